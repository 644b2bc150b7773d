"""uv: pin internal deps (journaled), ``uv build --no-sources``, ``uv publish``."""

from __future__ import annotations

import email.parser
import glob
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from releasekit_tasks.ecosystems.uv import file_version, vcs_version
from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.journal import temporary_edit
from releasekit_tasks.publish.release import Release, file_digests
from releasekit_tasks.publish.tools import run_tool


def pinned_specifier(version: str, mode: str) -> str:
    from packaging.version import Version

    if mode == "exact":
        return f"=={version}"
    if mode == "minimum":
        return f">={version}"
    # compatible: allow what SemVer-style releases promise (same major; same minor on 0.x)
    v = Version(version)
    upper = f"{v.major + 1}" if v.major > 0 else f"0.{v.minor + 1}"
    return f">={version},<{upper}"


def pin_pyproject(text: str, pins: dict[str, str], mode: str) -> str:
    """``text`` with every requirement on a pinned name set to the released version.

    tomlkit keeps comments and layout, so only the pinned strings change.
    """
    import tomlkit
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    doc = tomlkit.parse(text)
    project = doc.get("project", {})
    arrays = [project.get("dependencies")]
    arrays += list(project.get("optional-dependencies", {}).values())
    for array in arrays:
        if array is None:
            continue
        for index, item in enumerate(array):
            requirement = Requirement(str(item))
            name = canonicalize_name(requirement.name)
            if name not in pins:
                continue
            extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
            marker = f"; {requirement.marker}" if requirement.marker else ""
            array[index] = f"{requirement.name}{extras}{pinned_specifier(pins[name], mode)}{marker}"
    return tomlkit.dumps(doc)


def build(release: Release) -> list[dict]:
    from releasekit_tasks.ecosystems.uv.discover import hook_pinned, read_pyproject

    pins = dict(release.pins)
    manifest = Path(release.manifest)
    pinned = pin_pyproject(manifest.read_text(encoding="utf-8"), pins, release.pin).encode()
    in_file = file_version.read(manifest)
    # A version read from a file comes before git tags (setuptools-scm yields to it).
    found = None if in_file else vcs_version.read(manifest)
    env = None
    if found is not None:
        # The backend would ask git: the tag may not be made yet, and the pinned
        # pyproject.toml makes the tree dirty (setuptools-scm then builds a .dev version).
        variable = found.override_env(release.name)
        env = {**os.environ, variable: release.version}
        _explain_missing_tag(release, found, variable)
    exact = hook_pinned(read_pyproject(manifest), manifest)
    out = Path(tempfile.mkdtemp(prefix="rk-uv-build-", dir=release.state_dir))
    try:
        with temporary_edit(manifest, pinned, release.journal_dir):
            run_tool(
                ["uv", "build", "--no-sources", "--out-dir", str(out), release.path],
                cwd=Path(release.path),
                code="RK-BUILD-FAILED",
                what=f"building {release.id}",
                env=env,
            )
        files = sorted(p for p in out.iterdir() if p.suffix in (".whl", ".gz"))
        check_dist_versions(files, release, found, in_file)
        for wheel in (p for p in files if p.suffix == ".whl"):
            check_wheel_pins(wheel, pins, release.pin, exact)
        release.dist_dir.mkdir(parents=True, exist_ok=True)
        artifacts = []
        for path in files:
            target = release.dist_dir / path.name
            shutil.move(path, target)
            artifacts.append({"file": path.name, **file_digests(target)})
        return artifacts
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _explain_missing_tag(release: Release, found: vcs_version.VcsVersion, variable: str) -> None:
    """Say so when no tag at HEAD gives the version: a build from git alone (pip
    installing the commit, a rebuild without releasekit) would not carry it."""
    from releasekit_tasks.vcs import git

    at_head = git(Path(release.path), "tag", "--points-at", "HEAD", check=False).split()
    if not any(found.version_of(tag) == release.version for tag in at_head):
        print(
            f"note     {release.id}: no tag at HEAD gives {found.source} the version "
            f"{release.version} yet (`doit tag` makes it); built with {variable}={release.version}"
        )


def dist_version(path: Path) -> str:
    """The version in a wheel's or sdist's file name (``name-1.0.11-py3-none-any.whl``)."""
    stem = path.name.removesuffix(".tar.gz").removesuffix(".whl")
    return stem.split("-")[1] if stem.count("-") >= 1 else ""


def check_dist_versions(
    files: list[Path],
    release: Release,
    found: vcs_version.VcsVersion | None,
    in_file: file_version.FileVersion | None = None,
) -> None:
    """Every built file must carry the release's version (RK-BUILD-VERSION)."""
    from packaging.version import InvalidVersion, Version

    wanted = Version(release.version)
    for path in files:
        got = dist_version(path)
        try:
            same = Version(got) == wanted
        except InvalidVersion:
            same = False
        if same:
            continue
        how = _version_origin(release, found, in_file)
        raise RKError(
            "RK-BUILD-VERSION",
            f"{path.name} has version {got}, not {release.version}: {how}",
            path=Path(release.manifest),
        )


def _version_origin(
    release: Release,
    found: vcs_version.VcsVersion | None,
    in_file: file_version.FileVersion | None,
) -> str:
    if found is not None:
        return (
            f"its version comes from git tags ({found.describe()}) and the build ran with "
            f"{found.override_env(release.name)}={release.version}, which the backend ignored"
        )
    if in_file is not None:
        return (
            f"the backend read it from {in_file.describe(Path(release.path))}, which holds "
            f"{in_file.version} (was the release commit built, after `doit bump`?)"
        )
    return "its version is read from pyproject.toml"


def check_wheel_pins(
    wheel: Path,
    pins: dict[str, str],
    mode: str,
    exact: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """The wheel's Requires-Dist must carry the pinned versions of internal deps (``exact``:
    names the build requires at exactly the released version whatever the pin mode)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    required: dict[str, str] = {}
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is None or "extra" not in str(requirement.marker):
            required[canonicalize_name(requirement.name)] = str(requirement.specifier)
    for name, version in pins.items():
        expected = pinned_specifier(version, "exact" if name in exact else mode)
        got = required.get(name)
        if got is not None and sorted(got.split(",")) != sorted(expected.split(",")):
            raise RKError(
                "RK-BUILD-UNPINNED",
                f"{wheel.name} requires {name}{got}, expected {name}{expected}",
                path=wheel,
            )


def remote_files(release: Release) -> dict[str, str]:
    """filename -> sha256 of what the index holds for this version."""
    from releasekit_tasks.ecosystems.uv import registry as pypi
    from releasekit_tasks.http import shared_client

    return pypi.version_files(shared_client(), release.registry, release.name, release.version)


def attestations(dist: Path) -> list[Path]:
    """The PEP 740 attestations signed for ``dist``: ``<dist>.<kind>.attestation`` next to it
    (``.publish.attestation`` from pypi-attestations, astral-sh/attest-action or
    gh-action-pypi-publish). ``uv publish`` uploads them only when they are named with
    their distribution; a rebuild clears the folder, and with it attestations of old bytes."""
    found = sorted(dist.parent.glob(glob.escape(dist.name) + ".*.attestation"))
    for path in found:
        try:
            valid = isinstance(json.loads(path.read_bytes()), dict)
        except ValueError:
            valid = False
        if not valid:
            raise RKError(
                "RK-ATTESTATION-INVALID",
                f"{path.name} is not a PEP 740 attestation (a JSON object)",
                path=path,
                fix=f"sign {dist.name} again (e.g. `python -m pypi_attestations sign`) "
                "or delete the file",
            )
    return found


def upload(release: Release, files: list[Path]) -> None:
    signed = {dist: attestations(dist) for dist in files}
    for dist, found in signed.items():
        if found:
            print(f"attest   {dist.name}: {', '.join(p.name for p in found)}")
    env = dict(os.environ)
    token = os.environ.get(release.token_env or "UV_PUBLISH_TOKEN", "")
    if token:
        env["UV_PUBLISH_TOKEN"] = token
    elif release.trusted_publishing != "never":
        pass  # uv asks the CI for an OIDC token and PyPI for an upload token
    elif not env.get("UV_PUBLISH_PASSWORD"):
        # An index without authentication (pypiserver -a . -P .) still wants a user.
        env["UV_PUBLISH_USERNAME"], env["UV_PUBLISH_PASSWORD"] = "releasekit", "unused"
    # releasekit retries uploads itself, asking the index what arrived first
    # (publish/retry.py); uv's own retry would resend an upload that arrived.
    env["UV_HTTP_RETRIES"] = "0"
    run_tool(
        [
            "uv",
            "publish",
            "--publish-url",
            release.upload_url,
            "--check-url",
            release.registry,
            "--trusted-publishing",
            release.trusted_publishing,
            *(str(path) for dist, found in signed.items() for path in (dist, *found)),
        ],
        cwd=Path(release.repo_root),
        code="RK-UPLOAD-FAILED",
        what=f"uploading {release.id}",
        env=env,
        secrets=(token, env.get("UV_PUBLISH_PASSWORD", "")),
    )
