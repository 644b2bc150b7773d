"""Go multi-module repositories: find the modules, their versions and internal edges.

Modules: with a ``go.work`` in the workspace root, its ``use`` folders; without
one, every ``go.mod`` below the root, skipping what the go command skips
(``vendor``, ``testdata``, folders starting with ``.`` or ``_``) and
``node_modules``.

Internal edges: a required module is internal when it is a member of the
workspace and the go command builds it from the workspace, not the registry:
with go.work every ``use``d module is (the workspace wins); without go.work
only when the requiring go.mod has a ``replace`` of it by a local path that is
that module's folder. A member required without such a replace is pinned to a
registry version, so the edge is external (seed §3).

Versions: Go modules have no version field, and the ``go`` directive is a
language version, never the module's. ``Package.version`` is Go semver *with*
its leading ``v`` (``"v0.6.0"``), as tags, the proxy and ``require`` lines write
it. It comes from the committed versions file (keys: module folders relative
to the repository root, POSIX; values ``"0.6.0"`` or ``"v0.6.0"``), else from
the highest path-prefixed git tag of the module (``plugins/foo/v0.6.0``; the
root module's tags are bare ``v0.6.0``; a ``/vN`` major-version folder is not
part of the prefix), prereleases included, else None. Go's tag rules are fixed,
so an ecosystem ``tag_format`` does not apply here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks import vcs
from releasekit_tasks.ecosystems.go.modfile import (
    GoMod,
    GoWork,
    Replace,
    Require,
    is_valid_go_version,
    major_suffix,
    read_gomod,
    read_gowork,
    semver_key,
    version_fits_path,
)
from releasekit_tasks.ecosystems.go.modzip import check_module_path
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package
from releasekit_tasks.prepare.versions_file import read_versions

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig

__all__ = [
    "is_valid_go_version",
    "major_suffix",
    "semver_key",
    "tag_for",
    "tag_prefix",
]

# Folders the go command ignores in ./... patterns, plus node_modules.
_SKIP_DIRS = frozenset({"vendor", "testdata", "node_modules"})
_DETECT_DEPTH = 2  # detect() looks this many folder levels down for a go.mod


def tag_prefix(module_dir: Path, module_path: str, repo_root: Path) -> str:
    """The tag prefix of a module: its folder in the repository plus ``/``
    (``"plugins/foo/"``), ``""`` for the root module. A trailing ``vN`` folder
    of a ``/vN`` module is dropped: ``foo/v2`` is tagged ``foo/v2.0.0``."""
    rel = relative(module_dir, repo_root)
    rel = "" if rel == "." else rel
    major = major_suffix(module_path)
    if major is not None and rel.rpartition("/")[2] == f"v{major}":
        rel = rel.rpartition("/")[0]
    return f"{rel}/" if rel else ""


def relative(path: Path, root: Path) -> str:
    """``os.path.relpath`` as POSIX, without its two ``getcwd`` calls for the common
    case of a folder inside ``root`` (a thousand modules ask)."""
    text, top = str(path), str(root)
    if text == top:
        return "."
    rel = text[len(top) + 1 :] if text.startswith(top + os.sep) else os.path.relpath(text, top)
    return rel.replace(os.sep, "/")


def tag_for(prefix: str, version: str) -> str:
    """The git tag of ``version`` (with or without its ``v``) under ``prefix``."""
    return f"{prefix}{version if version.startswith('v') else 'v' + version}"


def _skipped(name: str) -> bool:
    return name in _SKIP_DIRS or name.startswith((".", "_"))


def _module_dirs(root: Path, max_depth: int | None = None) -> list[Path]:
    """Folders holding a go.mod at or below ``root``, in path order."""
    found: list[Path] = []
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if "go.mod" in files:
            found.append(here)
        if max_depth is not None and len(here.parts) - base_depth >= max_depth:
            dirs.clear()
        else:
            dirs[:] = [d for d in dirs if not _skipped(d)]
    return sorted(found)


def detect(folder: Path) -> bool:
    if (folder / "go.work").is_file() or (folder / "go.mod").is_file():
        return True
    return bool(_module_dirs(folder, _DETECT_DEPTH))


def discover(eco: EcosystemConfig, root: RootConfig) -> list[Package]:
    ws = eco.workspace_root.resolve()
    work = _read_work(ws)
    dirs = _use_dirs(work) if work else _module_dirs(ws)
    if not dirs:
        raise RKError(
            "RK-WORKSPACE-MISSING",
            f"no go.work and no go.mod in {ws}",
            path=ws,
            fix="point `workspace_root` at the folder holding go.work or the Go modules",
        )
    mods = [read_gomod(d / "go.mod") for d in dirs]
    for mod in mods:
        _check_module(mod)
    if work is not None:
        _check_replaces(work.path, work.replaces)
    members = _members(mods)
    repo = root.root.resolve()
    versions = _Versions(repo, root.versions_file)
    repo_license = _first_files(vcs.repo_toplevel(repo) or repo, "LICENSE").get("LICENSE")
    packages = []
    for mod in mods:
        folder = mod.path.parent
        version, source = versions.of(folder, mod.module)
        publishable, reason = _fetchable(mod.module)
        deps = [
            Dependency(
                name=req.path,
                spec=req.version,
                kind="indirect" if req.indirect else "require",
                internal=_is_internal(req, mod, members, work),
            )
            for req in mod.requires
        ]
        packages.append(
            Package(
                ecosystem="go",
                label=eco.label,
                name=mod.module,
                version=version,
                path=folder,
                manifest=mod.path,
                publishable=publishable,
                reason=reason,
                dependencies=deps,
                metadata=_metadata(folder, repo_license, repo),
                version_source=source,
            )
        )
    return packages


def _check_module(mod: GoMod) -> None:
    """What the go command refuses later, found now: an invalid module path, and a
    local ``replace`` whose folder holds no go.mod."""
    # A path without a dot in its first element cannot be fetched: such a module is
    # private (see _fetchable), not invalid; the proxy's rules apply to the others.
    reason = check_module_path(mod.module) if _fetchable(mod.module)[0] else None
    if reason:
        raise RKError(
            "RK-GO-PATH-INVALID",
            f"module path {mod.module!r} is invalid: {reason}",
            path=mod.path,
            line=mod.module_line,
        )
    _check_replaces(mod.path, mod.replaces)


def _check_replaces(file: Path, replaces: list[Replace]) -> None:
    for r in replaces:
        if not r.is_local:
            continue
        folder = Path(os.path.normpath(file.parent / r.new_path))
        if not (folder / "go.mod").is_file():
            missing = "does not exist" if not folder.exists() else "has no go.mod"
            raise RKError(
                "RK-GO-REPLACE-MISSING",
                f"`replace {r.old_path} => {r.new_path}`: {folder} {missing}",
                path=file,
                line=r.line,
            )


def _read_work(ws: Path) -> GoWork | None:
    path = ws / "go.work"
    return read_gowork(path) if path.is_file() else None


def _use_dirs(work: GoWork) -> list[Path]:
    if not work.uses:
        raise RKError(
            "RK-WORKSPACE-MISSING",
            "go.work uses no module",
            path=work.path,
            fix="add `use ./dir` lines for the workspace's modules to go.work",
        )
    dirs = []
    for use in work.uses:
        folder = Path(os.path.normpath(work.path.parent / use.path))
        if not (folder / "go.mod").is_file():
            raise RKError(
                "RK-MANIFEST-MISSING",
                f"`use {use.path}`: {folder} has no go.mod",
                path=work.path,
                line=use.line,
                fix=f"add {folder / 'go.mod'} (go mod init) or remove the `use` line",
            )
        dirs.append(folder)
    return dirs


def _members(mods: list[GoMod]) -> dict[str, Path]:
    """Module path -> module folder; two go.mod files declaring one path are an error."""
    members: dict[str, GoMod] = {}
    for mod in mods:
        other = members.get(mod.module)
        if other is not None:
            raise RKError(
                "RK-PACKAGE-DUPLICATE",
                f"module {mod.module} is declared by both {other.path} and {mod.path}",
                path=mod.path,
                line=mod.module_line,
            )
        members[mod.module] = mod
    return {path: mod.path.parent for path, mod in members.items()}


def _is_internal(req: Require, mod: GoMod, members: dict[str, Path], work: GoWork | None) -> bool:
    target = members.get(req.path)
    if target is None:
        return False
    if work is not None:
        return True  # every member is `use`d, and the workspace overrides requirements
    folder = mod.path.parent
    return any(
        r.old_path == req.path
        and r.is_local
        and r.old_version in (None, req.version)
        and Path(os.path.normpath(folder / r.new_path)) == target
        for r in mod.replaces
    )


def _fetchable(module: str) -> tuple[bool, str]:
    first = module.split("/", 1)[0]
    if "." in first:
        return True, ""
    return False, (
        f"module path {module} has no dot in its first element ({first}), "
        "so the go command cannot download it"
    )


def _first_files(folder: Path, *prefixes: str) -> dict[str, Path]:
    """Prefix -> the first file (by name) in ``folder`` whose name starts with it, any
    case; one directory listing for all the prefixes."""
    found: dict[str, str] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                upper = entry.name.upper()
                for prefix in prefixes:
                    if (
                        upper.startswith(prefix)
                        and (prefix not in found or entry.name < found[prefix])
                        and entry.is_file()
                    ):
                        found[prefix] = entry.name
    except OSError:
        return {}
    return {prefix: folder / name for prefix, name in found.items()}


def _metadata(folder: Path, repo_license: Path | None, repo_root: Path) -> dict[str, str]:
    """readme / license: the files' paths relative to the repository root (POSIX)."""
    files = _first_files(folder, "README", "LICENSE")
    found = {"readme": files.get("README"), "license": files.get("LICENSE") or repo_license}
    return {key: relative(path, repo_root) for key, path in found.items() if path is not None}


class _Versions:
    """Current module versions: the versions file first, then git tags (read once)."""

    def __init__(self, repo: Path, versions_file: str) -> None:
        self.repo = repo
        self.file = repo / versions_file
        self.pinned = read_versions(self.file)
        self._tags: dict[str, list[str]] | None = None

    def of(self, folder: Path, module: str) -> tuple[str | None, str]:
        key = relative(folder, self.repo)
        if key in self.pinned:
            return self._checked(key, self.pinned[key]), "versions file"
        toplevel = vcs.repo_toplevel(self.repo)
        if toplevel is None:
            return None, "none"
        prefix = tag_prefix(folder, module, toplevel)
        candidates = [
            v
            for v in self.tags().get(prefix, ())
            if is_valid_go_version(v) and version_fits_path(v, module)
        ]
        if not candidates:
            return None, "none"
        best = max(candidates, key=semver_key)
        return best, f"tag {tag_for(prefix, best)}"

    def tags(self) -> dict[str, list[str]]:
        """Version-looking tag names grouped by prefix (``"a/b/"``, ``""``): one git call."""
        if self._tags is None:
            self._tags = {}
            for tag in vcs.list_tags(self.repo):
                prefix, _, version = tag.rpartition("/")
                self._tags.setdefault(f"{prefix}/" if prefix else "", []).append(version)
        return self._tags

    def _checked(self, key: str, value: str) -> str:
        version = value if value.startswith("v") else f"v{value}"
        if not is_valid_go_version(version):
            raise RKError(
                "RK-VERSION-INVALID",
                f"version {value!r} of {key} is not a Go module version",
                path=self.file,
                line=_line_of(self.file, key),
                fix='write MAJOR.MINOR.PATCH with an optional -prerelease, e.g. "0.6.0" or "v1.2.0-rc.1"',
            )
        return version


def _line_of(path: Path, key: str) -> int | None:
    """The line of ``"key":`` in the JSON versions file (json keeps no positions)."""
    needle = json.dumps(key)
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return number
    return None
