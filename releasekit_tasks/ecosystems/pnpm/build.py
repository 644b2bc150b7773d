"""pnpm: ``pnpm pack`` (which rewrites workspace: and catalog: ranges), ``pnpm publish``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.release import Release, file_digests
from releasekit_tasks.publish.tools import run_tool

UNPUBLISHABLE_PROTOCOLS = ("workspace:", "catalog:", "link:", "file:")
DEPENDENCY_FIELDS = ("dependencies", "peerDependencies", "optionalDependencies")


def install(folder: Path) -> None:
    """Link the workspace (frozen to its lockfile when there is one)."""
    frozen = ["--frozen-lockfile"] if (folder / "pnpm-lock.yaml").exists() else []
    run_tool(
        ["pnpm", "install", *frozen],
        cwd=folder,
        code="RK-BUILD-FAILED",
        what=f"pnpm install in {folder}",
    )


def build(release: Release) -> list[dict]:
    out = Path(tempfile.mkdtemp(prefix="rk-pnpm-pack-", dir=release.state_dir))
    try:
        run_tool(
            ["pnpm", "pack", "--pack-destination", str(out)],
            cwd=Path(release.path),
            code="RK-BUILD-FAILED",
            what=f"packing {release.id}",
        )
        tarballs = list(out.glob("*.tgz"))
        if len(tarballs) != 1:
            raise RKError(
                "RK-BUILD-FAILED", f"pnpm pack made {len(tarballs)} tarballs", path=release.path
            )
        check_tarball(tarballs[0])
        release.dist_dir.mkdir(parents=True, exist_ok=True)
        target = release.dist_dir / tarballs[0].name
        shutil.move(tarballs[0], target)
        return [{"file": target.name, **file_digests(target)}]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def check_tarball(tarball: Path) -> None:
    """Refuse a tarball whose package.json still holds workspace-only ranges."""
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/package.json")
        if member is None:
            raise RKError(
                "RK-BUILD-FAILED", "the tarball has no package/package.json", path=tarball
            )
        manifest = json.load(member)
    for field in DEPENDENCY_FIELDS:
        for name, spec in manifest.get(field, {}).items():
            if str(spec).startswith(UNPUBLISHABLE_PROTOCOLS):
                raise RKError(
                    "RK-BUILD-UNPINNED",
                    f"{tarball.name}: {field}.{name} is still `{spec}` after pnpm pack",
                    path=tarball,
                )


def remote_integrity(release: Release) -> str | None:
    """npm's ``dist.integrity`` of this version, or None when the registry lacks it."""
    from releasekit_tasks.ecosystems.pnpm import registry as npm
    from releasekit_tasks.http import shared_client

    dist = npm.version_dist(
        shared_client(), release.registry, release.name, release.version, token=_token(release)
    )
    return dist.get("integrity") if dist else None


def _token(release: Release) -> str:
    return os.environ.get(release.token_env or "NPM_TOKEN", "")


@contextlib.contextmanager
def npm_env(release: Release) -> Iterator[tuple[dict[str, str], str]]:
    """The environment for an npm/pnpm command that writes to ``release.registry``, and the
    token (for redaction). The token stays in the environment: a temporary npmrc only
    names the variable. Without a token the user's own ~/.npmrc applies, as with plain pnpm."""
    token = _token(release)
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="rk-npmrc-") as tmp:
        if token:
            host = urlsplit(release.registry)
            npmrc = Path(tmp) / ".npmrc"
            npmrc.write_text(
                f"registry={release.registry}\n"
                f"//{host.netloc}{host.path.rstrip('/')}/:_authToken=${{RK_NPM_TOKEN}}\n"
            )
            npmrc.chmod(0o600)
            env["RK_NPM_TOKEN"] = token
            env["NPM_CONFIG_USERCONFIG"] = str(npmrc)
        yield env, token


def upload(release: Release, tarball: Path) -> None:
    cmd = ["pnpm", "publish", str(tarball), "--registry", release.registry, "--no-git-checks"]
    if release.dist_tag:
        cmd += ["--tag", release.dist_tag]
    if release.access:
        cmd += ["--access", release.access]
    if release.trusted_publishing != "never":
        cmd += ["--provenance"]  # a signed provenance statement from the CI's OIDC token
    with npm_env(release) as (env, token):
        # releasekit retries uploads itself, asking the registry what arrived first
        # (publish/retry.py); npm's own retry of the PUT would be refused as a
        # duplicate when the first one arrived but its answer was lost.
        env["npm_config_fetch_retries"] = "0"
        run_tool(
            cmd,
            cwd=Path(release.path),
            code="RK-UPLOAD-FAILED",
            what=f"publishing {release.id}",
            env=env,
            secrets=(token,),
        )
