"""pnpm workspaces: SemVer, package.json, ``pnpm pack``/``pnpm publish``, the npm registry.

- :mod:`.discover` — workspace members and their dependencies
- :mod:`.manifest` — package.json version and range rewrites
- :mod:`.build` — install, pack, check and publish tarballs
- :mod:`.registry` — npm packuments and version metadata
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks import semver
from releasekit_tasks.ecosystems import Ecosystem, InstallStep, LockCommand
from releasekit_tasks.ecosystems.pnpm import discover

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig
    from releasekit_tasks.model import Dependency, Package
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome

LOCKFILE = "pnpm-lock.yaml"


class Pnpm(Ecosystem):
    kind = "pnpm"
    manifest_name = discover.MANIFEST
    workspace_markers = (discover.WORKSPACE_FILE,)
    default_label = "js"
    scoped_names = True
    migration_sources = ("changesets", "release-please:node", "lerna")
    default_registry = "https://registry.npmjs.org/"
    version_command = ("pnpm", "--version")
    checksum_key = "integrity"
    # A peer or optional dependency on a member is installed by the user, not with the package.
    soft_kinds = ("peer", "optional")
    default_token_env = "NPM_TOKEN"
    token_secret = "NPM_TOKEN"
    github_setup = (
        {"uses": "actions/setup-node@v5", "with": {"node-version": "24"}},
        {"run": "npm install --global pnpm@10"},
    )
    gitlab_setup = ("npm install --global pnpm@10",)
    gitlab_needs_node = True

    def detect(self, folder: Path) -> bool:
        return discover.detect(folder)

    def discover(self, eco: EcosystemConfig, root: RootConfig) -> list[Package]:
        return discover.discover(eco, root)

    def set_version(self, text: str, new: str, path: Path) -> str:
        from releasekit_tasks.ecosystems.pnpm.manifest import set_package_json_version

        return set_package_json_version(text, new, path)

    def rewrite_dependency(self, text: str, dep: str, old: str, new: str, path: Path) -> str:
        from releasekit_tasks.ecosystems.pnpm.manifest import rewrite_package_json_dependency

        return rewrite_package_json_dependency(text, dep, old, new, path)

    def lock_commands(
        self, root: Path, changed: list[tuple[Package, Path]], released: list[str]
    ) -> list[LockCommand]:
        if not (root / LOCKFILE).is_file():
            return []
        return [(["pnpm", "install", "--lockfile-only", "--silent"], root)]

    def constraint_mismatch(self, dep: Dependency, version: str) -> str | None:
        wanted = dep.spec.removeprefix("workspace:").rsplit("@", 1)[-1]
        if wanted in ("*", "^", "~", "") or not semver.is_valid(version):
            return None
        try:
            ok = semver.satisfies(version, wanted)
        except ValueError:
            return None
        return None if ok else f"requires {dep.name}@{wanted} but the workspace has {version}"

    def install_step(self, root: Path) -> InstallStep:
        """pnpm pack needs the workspace's dependencies linked."""
        lockfile = root / LOCKFILE
        return InstallStep(
            file_dep=[str(lockfile)] if lockfile.exists() else [],
            targets=[str(root / "node_modules" / ".modules.yaml")],
            doc=f"pnpm install in {root}",
        )

    def install(self, root: Path) -> None:
        from releasekit_tasks.ecosystems.pnpm.build import install

        install(root)

    def build(self, release: Release) -> list[dict]:
        from releasekit_tasks.ecosystems.pnpm.build import build

        return build(release)

    def remote_state(self, release: Release, *, deep: bool = True) -> dict[str, str]:
        from releasekit_tasks.ecosystems.pnpm.build import remote_integrity

        integrity = remote_integrity(release)
        return {"tarball": integrity} if integrity else {}

    def remote_sum(self, remote: dict[str, str], artifact: dict) -> str | None:
        return remote.get("tarball")

    def upload(self, release: Release, files: list[Path]) -> None:
        from releasekit_tasks.ecosystems.pnpm.build import upload

        upload(release, files[0])

    def rollback(self, release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
        from releasekit_tasks.ecosystems.pnpm.recovery import rollback

        return rollback(release, reason=reason, force=force, dry_run=dry_run)

    def served_versions(self, release: Release) -> list[str] | None:
        from releasekit_tasks.ecosystems.pnpm.recovery import served_versions

        return served_versions(release)


ECOSYSTEM = Pnpm()
