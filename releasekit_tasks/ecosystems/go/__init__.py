"""Go multi-module repositories: Go semver, path-prefixed tags, go.mod, module zips, GOPROXY.

- :mod:`.discover` — modules, their versions (versions file or tags) and edges
- :mod:`.modfile` — the go.mod parser; :mod:`.manifest` — go.mod rewrites
- :mod:`.checks` — module path and major version rules for ``doit check``
- :mod:`.modzip` — module zips and their ``h1:`` hashes
- :mod:`.proxy_tree` — a GOPROXY file tree on disk
- :mod:`.publish` — build, tag, upload and verify one module release
- :mod:`.registry` — the GOPROXY protocol client

Go modules have no version field: the committed versions file keeps them
(``version_in_manifest = False``), and a release is the tag ``upload`` pushes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.ecosystems import Ecosystem, LockCommand
from releasekit_tasks.ecosystems.go import discover
from releasekit_tasks.ecosystems.go.modfile import major_suffix
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.versions import Version, VersionError, render_semver, to_version

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig
    from releasekit_tasks.model import Package
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome


class Go(Ecosystem):
    kind = "go"
    manifest_name = "go.mod"
    workspace_markers = ("go.work", "go.mod")
    default_label = "go"
    migration_sources = ("multimod", "release-please:go", "modman")
    default_registry = "https://proxy.golang.org/"
    version_command = ("go", "version")
    version_in_manifest = False
    # pkg.go.dev hides a module's documentation without a license it recognises; a
    # README is optional there (the doc comments are the page), so none is asked for:
    # opentelemetry-go-contrib's 68 modules would warn 35 times for nothing.
    required_metadata = ("license",)
    checksum_key = "h1"
    upload_checks_registry = False
    builds_in_stage = False  # the module zip comes from `git archive HEAD`
    uses_tag_format = False
    # Go modules may require each other in a cycle (opentelemetry-go: otel ↔ otel/metric):
    # the go command builds them, so the cycle is one release unit.
    allows_cycles = True
    covers_nested = True
    github_setup = ({"uses": "actions/setup-go@v6", "with": {"go-version": "stable"}},)
    gitlab_setup = (
        'curl -fsSL "https://go.dev/dl/go${RK_GO_VERSION}.linux-amd64.tar.gz" | tar -C /usr/local -xz',
        'export PATH="/usr/local/go/bin:$PATH"',
    )

    def detect(self, folder: Path) -> bool:
        return discover.detect(folder)

    def discover(self, eco: EcosystemConfig, root: RootConfig) -> list[Package]:
        return discover.discover(eco, root)

    def parse_version(self, text: str) -> Version:
        if not text.startswith("v"):
            raise VersionError(f"{text!r} is not a Go version (it needs a leading v)")
        version = to_version(text, strict=False)
        if version is None:
            raise VersionError(f"{text!r} is not a SemVer version")
        return version

    def render_version(self, version: Version) -> str:
        return "v" + render_semver(version)

    def first_version(self, package: Package) -> str:
        """v0.1.0, or vN.0.0 for a /vN module."""
        major = major_suffix(package.name)
        return package.version or (f"v{major}.0.0" if major else "v0.1.0")

    def check_version(self, package: Package, version: str) -> None:
        """A major version ≥ 2 lives at a new module path (``…/vN``): never write a broken go.mod."""
        new = self.parse_version(version)
        if new.major >= 2 and major_suffix(package.name) != new.major:
            raise RKError(
                "RK-GO-MAJOR-PATH",
                f"{package.name}: {package.version} → {version} is a new major "
                f"version, and a Go module's major version ≥ 2 is part of its path",
                path=package.manifest,
                fix=(
                    f"start module {package.name}/v{new.major} (change the `module` line and "
                    "the imports, see go.dev/doc/modules/major-version), or release a minor: "
                    "bump=minor"
                ),
            )

    def tag_affixes(self, package: Package, tag_format: str, repo_root: Path) -> tuple[str, str]:
        """Go's tags are fixed: the module's folder, then the version (``tag_format`` does not apply)."""
        return discover.tag_prefix(package.path, package.name, repo_root), ""

    def tag_name(self, package: Package, tag_format: str, repo_root: Path, version: str) -> str:
        return discover.tag_for(discover.tag_prefix(package.path, package.name, repo_root), version)

    def publish_tag(self, package: Package, tag_format: str, repo_root: Path) -> str:
        return self.tag_name(package, tag_format, repo_root, package.version or "")

    def rewrite_dependency(self, text: str, dep: str, old: str, new: str, path: Path) -> str:
        from releasekit_tasks.ecosystems.go.manifest import rewrite_go_require

        return rewrite_go_require(text, dep, new, path)

    def lock_commands(
        self, root: Path, changed: list[tuple[Package, Path]], released: list[str]
    ) -> list[LockCommand]:
        from releasekit_tasks.ecosystems.go.manifest import standalone

        return [
            (["go", "mod", "tidy"], folder) for package, folder in changed if standalone(package)
        ]

    def findings(self, package: Package, repo_root: Path) -> list[tuple[str, str]]:
        from releasekit_tasks.ecosystems.go.checks import findings

        # A private module (no dot in its path: genkit's samples) is never fetched by path.
        return findings(package, repo_root) if package.publishable else []

    def preflight(self, releases: list[Release]) -> None:
        from releasekit_tasks.ecosystems.go.publish import preflight

        preflight(releases)

    def build(self, release: Release) -> list[dict]:
        from releasekit_tasks.ecosystems.go.publish import build

        return build(release)

    def remote_state(self, release: Release, *, deep: bool = True) -> dict[str, str]:
        from releasekit_tasks.ecosystems.go.publish import remote_state

        return remote_state(release, deep=deep)

    def upload(self, release: Release, files: list[Path]) -> None:
        from releasekit_tasks.ecosystems.go.publish import upload

        upload(release)

    def rollback(self, release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
        from releasekit_tasks.ecosystems.go.recovery import rollback

        return rollback(release, reason=reason, force=force, dry_run=dry_run)

    def tag_drift(self, release: Release, tag: str) -> str | None:
        from releasekit_tasks.ecosystems.go.publish import tag_drift

        return tag_drift(release, tag)

    def served_versions(self, release: Release) -> list[str] | None:
        from releasekit_tasks.ecosystems.go.recovery import served_versions

        return served_versions(release)


ECOSYSTEM = Go()
