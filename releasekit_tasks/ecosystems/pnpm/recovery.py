"""Taking an npm release back: deprecate it and move ``latest`` back; unpublish on request.

npm versions are immutable and, past the registry's unpublish window (72 hours
on npmjs.com), permanent: the way back is ``npm deprecate`` — installs of that
version print the message — plus moving the ``latest`` dist-tag to the highest
earlier version that is neither deprecated nor a prerelease, so a fresh ``npm
install <name>`` resolves it. ``force=1`` also runs ``npm unpublish
<name>@<version> --force``; the registry refuses it outside its window.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome


def _token(release: Release) -> str:
    return os.environ.get(release.token_env or "NPM_TOKEN", "")


def _npm(release: Release, *args: str, what: str) -> None:
    from releasekit_tasks.ecosystems.pnpm.build import npm_env
    from releasekit_tasks.publish.tools import run_tool

    with npm_env(release) as (env, token), tempfile.TemporaryDirectory() as tmp:
        run_tool(
            ["npm", *args, "--registry", release.registry],
            cwd=Path(tmp),
            code="RK-UPLOAD-FAILED",
            what=what,
            env=env,
            secrets=(token,),
        )


def _previous_latest(release: Release) -> str | None:
    """The version ``latest`` should point at instead, when it points at this one."""
    from releasekit_tasks import semver
    from releasekit_tasks.ecosystems.pnpm.registry import packument
    from releasekit_tasks.http import make_client

    with make_client() as client:
        doc = packument(client, release.registry, release.name, token=_token(release) or None)
    if not doc or doc.get("dist-tags", {}).get("latest") != release.version:
        return None
    candidates = []
    for version, meta in doc.get("versions", {}).items():
        parsed = semver.parse(version)
        if version == release.version or parsed is None or parsed.prerelease:
            continue
        if isinstance(meta, dict) and meta.get("deprecated"):
            continue
        candidates.append((parsed.key(), version))
    return max(candidates)[1] if candidates else None


def rollback(release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
    from releasekit_tasks.recovery.rollback import Outcome

    spec = f"{release.name}@{release.version}"
    previous = _previous_latest(release)
    done = [f"{'would run' if dry_run else 'ran'} npm deprecate {spec} {reason!r}"]
    if previous:
        done.append(f"{'would move' if dry_run else 'moved'} dist-tag latest → {previous}")
    if force:
        done.append(f"{'would run' if dry_run else 'ran'} npm unpublish {spec} --force")
    if dry_run:
        return Outcome(served=not force, done=done)
    _npm(release, "deprecate", spec, reason, what=f"deprecating {spec}")
    if previous:
        _npm(
            release, "dist-tag", "add", f"{release.name}@{previous}", "latest", what="moving latest"
        )
    if force:
        _npm(release, "unpublish", spec, "--force", what=f"unpublishing {spec}")
    return Outcome(served=not force, done=done)


def served_versions(release: Release) -> list[str] | None:
    """Every version in the packument (deprecated ones too: they still install), semver order."""
    from releasekit_tasks import semver
    from releasekit_tasks.ecosystems.pnpm.registry import packument
    from releasekit_tasks.http import make_client

    with make_client() as client:
        doc = packument(client, release.registry, release.name, token=_token(release) or None)
    versions = [v for v in (doc or {}).get("versions", {}) if semver.parse(v) is not None]
    return sorted(versions, key=lambda v: semver.parse(v).key())  # type: ignore[union-attr]
