"""uv workspaces: PEP 440 versions, pyproject.toml, ``uv build``/``uv publish``, PyPI.

- :mod:`.discover` — workspace members and their dependencies
- :mod:`.vcs_version` — versions the build backend derives from git tags
- :mod:`.file_version` — versions the build backend reads from a file of the package
- :mod:`.version` — PEP 440 spelling of releasekit's versions
- :mod:`.manifest` — pyproject.toml version and requirement rewrites
- :mod:`.build` — pin, build, check and upload wheels and sdists
- :mod:`.registry` — the PyPI simple and JSON APIs
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from releasekit_tasks.ecosystems import Ecosystem, LockCommand
from releasekit_tasks.ecosystems.uv import discover, version

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig
    from releasekit_tasks.model import Dependency, Package
    from releasekit_tasks.prepare.versions import Version
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome


class Uv(Ecosystem):
    kind = "uv"
    manifest_name = discover.MANIFEST
    workspace_markers = ("pyproject.toml",)
    default_label = "py"
    migration_sources = ("release-please:python",)
    default_registry = "https://pypi.org/simple/"
    version_command = ("uv", "--version")
    checksum_key = "sha256"
    # An extra (`optional:<extra>`) is installed only when asked for: genkit's core
    # offers its plugins as extras while each plugin requires the core.
    soft_kinds = ("optional:",)
    default_token_env = "UV_PUBLISH_TOKEN"
    token_secret = "PYPI_TOKEN"
    pip_tools = ("uv",)
    attestation_globs = ("*.whl", "*.tar.gz")  # `uv publish` uploads their attestations

    def detect(self, folder: Path) -> bool:
        return discover.detect(folder)

    def discover(self, eco: EcosystemConfig, root: RootConfig) -> list[Package]:
        return discover.discover(eco, root)

    def parse_version(self, text: str) -> Version:
        return version.parse(text)

    def render_version(self, version_: Version) -> str:
        return version.render(version_)

    def first_version(self, package: Package) -> str | None:
        """The manifest's version; 0.1.0 for a version derived from git tags, none yet."""
        return package.version or ("0.1.0" if package.vcs_version else None)

    def check_release_tags(self, package: Package, version: str, tags: list[str]) -> None:
        from releasekit_tasks.ecosystems.uv.vcs_version import check_release_tags

        check_release_tags(package, version, tags)

    def set_version(self, text: str, new: str, path: Path) -> str:
        from releasekit_tasks.ecosystems.uv.manifest import set_pyproject_version

        return set_pyproject_version(text, new, path)

    def rewrite_dependency(self, text: str, dep: str, old: str, new: str, path: Path) -> str:
        from releasekit_tasks.ecosystems.uv.manifest import rewrite_pyproject_dependency

        return rewrite_pyproject_dependency(text, dep, old, new, path)

    def lock_commands(
        self, root: Path, changed: list[tuple[Package, Path]], released: list[str]
    ) -> list[LockCommand]:
        if not (root / "uv.lock").is_file():
            return []
        upgrades = [arg for name in released for arg in ("--upgrade-package", name)]
        return [(["uv", "lock", "--quiet", *upgrades], root)]

    def constraint_mismatch(self, dep: Dependency, version_: str) -> str | None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            specifier = SpecifierSet(dep.spec)  # uv discovery keeps only the constraint
        except InvalidSpecifier:
            return None  # a direct reference (`@ url`) has no version constraint
        if specifier and not specifier.contains(version_, prereleases=True):
            return f"requires {dep.name}{specifier} but the workspace has {version_}"
        return None

    def default_upload_url(self, registry: str) -> str:
        # By host, not substring: test.pypi.org's index must never upload to production.
        host = urlsplit(registry).hostname
        if host == "pypi.org":
            return "https://upload.pypi.org/legacy/"
        if host == "test.pypi.org":
            return "https://test.pypi.org/legacy/"
        return registry.removesuffix("simple/")

    def build(self, release: Release) -> list[dict]:
        from releasekit_tasks.ecosystems.uv.build import build

        return build(release)

    def remote_state(self, release: Release, *, deep: bool = True) -> dict[str, str]:
        from releasekit_tasks.ecosystems.uv.build import remote_files

        return remote_files(release)

    def is_complete(self, release: Release, remote: dict[str, str]) -> bool:
        from releasekit_tasks.publish.release import read_artifacts

        local = read_artifacts(release)
        if local:
            return all(a["file"] in remote for a in local)
        return any(f.endswith(".tar.gz") for f in remote) and any(
            f.endswith(".whl") for f in remote
        )

    def upload(self, release: Release, files: list[Path]) -> None:
        from releasekit_tasks.ecosystems.uv.build import upload

        upload(release, files)

    def rollback(self, release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
        from releasekit_tasks.ecosystems.uv.recovery import rollback

        return rollback(release, reason=reason, force=force, dry_run=dry_run)

    def served_versions(self, release: Release) -> list[str] | None:
        from releasekit_tasks.ecosystems.uv.recovery import served_versions

        return served_versions(release)


ECOSYSTEM = Uv()
