"""``doit check`` rules of Go modules: the module path fits its folder and its major version."""

from __future__ import annotations

import re
from pathlib import Path

from releasekit_tasks import semver
from releasekit_tasks.model import Package

_MAJOR = re.compile(r"/v(\d+)$")


def findings(package: Package, repo_root: Path) -> list[tuple[str, str]]:
    found = []
    try:
        rel = package.path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        rel = ""
    rel = "" if rel == "." else rel
    base_path = _MAJOR.sub("", package.name)
    base_dir = _MAJOR.sub("", "/" + rel)[1:]
    if rel and base_dir and not (base_path == base_dir or base_path.endswith("/" + base_dir)):
        found.append(
            (
                "RK-CHECK-GO-PATH",
                f"module path {package.name} does not end with its directory `{rel}`",
            )
        )
    version = semver.parse(package.version or "")
    suffix = _MAJOR.search(package.name)
    path_major = int(suffix.group(1)) if suffix else None
    if version and version.major >= 2 and path_major != version.major:
        found.append(
            (
                "RK-CHECK-GO-MAJOR",
                f"version {package.version} needs the module path to end in /v{version.major}",
            )
        )
    elif version and path_major is not None and path_major != version.major:
        # The go command rejects it too: a /v2 module's versions are v2.x.y.
        found.append(
            (
                "RK-CHECK-GO-MAJOR",
                f"version {package.version} does not fit the module path's /v{path_major} "
                f"suffix: its versions must be v{path_major}.x.y",
            )
        )
    return found
