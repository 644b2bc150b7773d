"""Ecosystem plugins: one object per kind covers the whole release lifecycle.

The generic code (config, prepare, publish, checks, tasks) never compares an
ecosystem's name: it asks the :class:`Ecosystem` of the package's kind. A kind
subclasses :class:`Ecosystem` and overrides what differs from the defaults
(SemVer versions, ``tag_format`` tags, nothing to install, no lockfile, and a
registry that is asked before each upload):

    discover     detect, discover                       (config → packages)
    versions     parse_version, render_version, first_version, check_version,
                 check_release_tags
    tags         tag_affixes, tag_name
    manifests    set_version, rewrite_dependency, lock_commands
    checks       required_metadata, constraint_mismatch, findings
    publish      install_step/install, build (pins for the build), remote_state,
                 is_complete, remote_sum, upload, preflight, publish_tag

Built-in kinds (``uv``, ``pnpm``, ``go``) are imported directly (fast); other
kinds come from the ``releasekit_tasks.ecosystems`` entry-point group. doit
actions receive the kind as a string and look the object up in the worker with
:func:`get_ecosystem`, so everything pickled stays plain data.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.versions import Version, VersionError, render_semver, to_version

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig
    from releasekit_tasks.model import Dependency, Package
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome

ENTRY_POINT_GROUP = "releasekit_tasks.ecosystems"
BUILTIN = {
    "uv": "releasekit_tasks.ecosystems.uv",
    "pnpm": "releasekit_tasks.ecosystems.pnpm",
    "go": "releasekit_tasks.ecosystems.go",
}

LockCommand = tuple[list[str], Path]  # (argv, cwd)


@dataclass(frozen=True)
class InstallStep:
    """What the ``install:<label>`` task of a workspace needs (see Ecosystem.install_step)."""

    file_dep: list[str]
    targets: list[str]
    doc: str


class Ecosystem:
    """One ecosystem kind. Subclass it and override what differs from these defaults."""

    kind: str = ""
    manifest_name: str = ""  # one member's manifest: pyproject.toml, package.json, go.mod
    workspace_markers: tuple[str, ...] = ()  # files that make a folder a workspace root (init)
    default_label: str = ""  # init's [ecosystems.<label>]; the kind when empty
    default_registry: str = ""
    version_command: tuple[str, ...] = ()  # prints the tool's version in preflight
    # False: the committed versions file holds the version (Go has no version field).
    version_in_manifest: bool = True
    required_metadata: tuple[str, ...] = ("description", "license", "readme")
    checksum_key: str = "sha256"  # the artifact digest the registry's checksum is compared with
    # False: the kind's tag names are fixed (Go's path-prefixed tags): no tag_format,
    # no umbrella tag stands for one of its releases.
    uses_tag_format: bool = True
    # True: upload asks the registry first and passes only the files it lacks,
    # refusing different bytes. False: upload is idempotent itself (Go's tag push).
    upload_checks_registry: bool = True
    # True: install and build run in the staging worktree (publish/stage.py), so
    # pins and tool temp files never touch the checkout. False: the build reads
    # git itself (Go's module zip comes from `git archive HEAD`).
    builds_in_stage: bool = True
    # True when the ecosystem builds and installs members that require each
    # other in a cycle (Go modules): such a cycle is a release unit, not an error.
    allows_cycles: bool = False
    # Dependency kinds that are soft edges: pinned at build, rewritten at bump,
    # but neither ordering nor propagating (extras, peer and optional deps). A
    # trailing ":" matches a prefix ("optional:" matches "optional:flask").
    soft_kinds: tuple[str, ...] = ()
    # True when a workspace root also finds the workspaces below it (Go's nested
    # go.mod scan): init then takes the root once, not each folder.
    covers_nested: bool = False
    # True when names carry a scope (npm's @scope/name) that short tag forms drop:
    # a tag component migrated from another tool is then `{short}`, else `{name}`.
    scoped_names: bool = False
    # Other tools' release configurations whose packages are of this kind, for
    # init's migration: "changesets", "multimod", "release-please:<release-type>".
    migration_sources: tuple[str, ...] = ()
    # --- CI (init --ci): what a job installs, and the registry token ----------------
    # The token's environment variable when `token_env` is unset, and the CI
    # secret that fills it (empty: no token, e.g. Go's tags).
    default_token_env: str = ""
    token_secret: str = ""
    pip_tools: tuple[str, ...] = ()  # pip-installed next to releasekit (uv)
    # GitHub Actions steps that set the toolchain up (uses:/run: mappings),
    # and the same as shell lines for a GitLab job on a Python + Node image.
    github_setup: tuple[dict, ...] = ()
    gitlab_setup: tuple[str, ...] = ()
    gitlab_needs_node: bool = False
    # The built files a PEP 740 signing step signs before the upload (globs in a
    # package's .releasekit/dist/<package>/ folder); empty: the registry takes none.
    attestation_globs: tuple[str, ...] = ()

    # --- discovery --------------------------------------------------------------

    def detect(self, folder: Path) -> bool:
        """True when ``folder`` holds a workspace of this kind."""
        raise NotImplementedError

    def discover(self, eco: EcosystemConfig, root: RootConfig) -> list[Package]:
        """The members of the workspace at ``eco.workspace_root``.

        Packages carry ``label = eco.label``; their dependencies are internal
        only when workspace-sourced. Raise RKError on bad input.
        """
        raise NotImplementedError

    # --- versions -------------------------------------------------------------------

    def parse_version(self, text: str) -> Version:
        """The neutral form of one of this kind's versions; VersionError if it is none."""
        sem = to_version(text, strict=True)
        if sem is None:
            raise VersionError(f"{text!r} is not a SemVer version")
        return sem

    def render_version(self, version: Version) -> str:
        """This kind's spelling of ``version`` (prereleases included); VersionError if none."""
        return render_semver(version)

    def first_version(self, package: Package) -> str | None:
        """The version of a first release; None when the build sets it (skipped)."""
        return package.version

    def check_version(self, package: Package, version: str) -> None:
        """Refuse a planned version this kind cannot release (RKError)."""

    def check_release_tags(self, package: Package, version: str, tags: list[str]) -> None:
        """Refuse a planned release whose build would not get ``version`` (RKError): a
        build backend deriving the version from git tags (``package.vcs_version``) must
        read it from one of ``tags``, the tags ``doit tag`` makes for the release."""

    # --- tags -----------------------------------------------------------------------

    def tag_affixes(self, package: Package, tag_format: str, repo_root: Path) -> tuple[str, str]:
        """The text before and after the version in this package's release tags."""
        from releasekit_tasks import tagformat

        return tagformat.affixes(
            tag_format, name=package.name, label=package.label, dir=_dir(package, repo_root)
        )

    def tag_name(self, package: Package, tag_format: str, repo_root: Path, version: str) -> str:
        """The release tag of ``package`` at ``version`` (``tag_format`` is the configured one)."""
        from releasekit_tasks import tagformat

        return tagformat.render(
            tag_format,
            name=package.name,
            version=version,
            label=package.label,
            dir=_dir(package, repo_root),
        )

    def publish_tag(self, package: Package, tag_format: str, repo_root: Path) -> str:
        """The tag ``upload`` itself creates and pushes ("" when ``doit tag`` does it)."""
        return ""

    # --- manifests (prepare) ---------------------------------------------------------

    def set_version(self, text: str, new: str, path: Path) -> str:
        """The manifest ``text`` with its version set to ``new`` (if version_in_manifest)."""
        raise NotImplementedError

    def rewrite_dependency(self, text: str, dep: str, old: str, new: str, path: Path) -> str:
        """The manifest ``text`` with its internal dependency ``dep`` moved from ``old`` to ``new``."""
        return text

    def lock_commands(
        self, root: Path, changed: list[tuple[Package, Path]], released: list[str]
    ) -> list[LockCommand]:
        """The commands updating the lockfile of the workspace at ``root`` (in the tree
        written to), given the members whose manifests changed (with their folder in
        that tree) and the names released in this workspace."""
        return []

    # --- checks ----------------------------------------------------------------------

    def constraint_mismatch(self, dep: Dependency, version: str) -> str | None:
        """A message when ``dep``'s constraint excludes the member's ``version``."""
        return None

    def findings(self, package: Package, repo_root: Path) -> list[tuple[str, str]]:
        """Further (code, message) errors of one package for ``doit check``."""
        return []

    # --- publish -----------------------------------------------------------------------

    def default_upload_url(self, registry: str) -> str:
        return ""

    def install_step(self, root: Path) -> InstallStep | None:
        """The ``install:<label>`` task building needs first; None: no such task."""
        return None

    def install(self, root: Path) -> None:
        """Run the install step in the workspace at ``root``."""

    def preflight(self, releases: list[Release]) -> None:
        """Checks before any upload of these releases (not in dry runs, only releases the
        registry lacks); RKError when one cannot go. One call per kind and run."""

    def build(self, release: Release) -> list[dict]:
        """Build into ``release.dist_dir``: one dict per artifact with ``file`` and its digests
        (``publish.release.file_digests``), the checksum_key one included. Pin the internal
        dependencies (``release.pins``) in what is built, never in the checkout."""
        raise NotImplementedError

    def remote_state(self, release: Release, *, deep: bool = True) -> dict[str, str]:
        """What the registry holds of this release: artifact name -> checksum ({} if nothing).
        ``deep=False`` may answer from a cheaper request (the run-start query)."""
        raise NotImplementedError

    def is_complete(self, release: Release, remote: dict[str, str]) -> bool:
        """Does the registry hold the whole release?"""
        return bool(remote)

    def remote_sum(self, remote: dict[str, str], artifact: dict) -> str | None:
        """The registry's checksum of one built artifact (None: it lacks it)."""
        return remote.get(artifact["file"])

    def upload(self, release: Release, files: list[Path]) -> None:
        """Put ``files`` (built artifacts the registry lacks) on the registry."""
        raise NotImplementedError

    # --- recovery ----------------------------------------------------------------------

    def rollback(self, release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
        """Take ``release.version`` back on the registry the way it allows (yank, deprecate,
        retract …) and say what was done (``doit rollback``). ``force`` allows the
        destructive way (unpublish) where the registry has one."""
        raise RKError(
            "RK-ROLLBACK-UNSUPPORTED",
            f"the {self.kind} ecosystem cannot take a release back",
            fix="take the version back by hand on its registry",
        )

    def tag_drift(self, release: Release, tag: str) -> str | None:
        """When the registry serves ``release.version``: does ``tag`` still build what it
        serves? A message when not (the tag moved after the release); None when it does
        or cannot be told (``doit doctor``)."""
        return None

    def served_versions(self, release: Release) -> list[str] | None:
        """Every version of the package the registry serves (``doit doctor``); None when
        the registry cannot list them."""
        return None


def _dir(package: Package, repo_root: Path) -> str:
    """The package folder relative to the repository (``{dir}`` in tag templates)."""
    import os

    rel = Path(os.path.relpath(package.path, repo_root)).as_posix()
    return "" if rel == "." else rel


_loaded: dict[str, Ecosystem] = {}


def get_ecosystem(kind: str, *, config_path: Path | None = None) -> Ecosystem:
    if kind in _loaded:
        return _loaded[kind]
    if kind in BUILTIN:
        ecosystem: Ecosystem = importlib.import_module(BUILTIN[kind]).ECOSYSTEM
    else:
        ecosystem = _from_entry_points(kind, config_path)
    _loaded[kind] = ecosystem
    return ecosystem


def _from_entry_points(kind: str, config_path: Path | None) -> Ecosystem:
    from importlib.metadata import entry_points

    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if kind not in found:
        known = ", ".join(sorted(set(BUILTIN) | set(found)))
        raise RKError(
            "RK-ECOSYSTEM-UNKNOWN",
            f"unknown ecosystem kind `{kind}`; known kinds: {known}",
            path=config_path,
        )
    ecosystem = found[kind].load()
    if not isinstance(ecosystem, Ecosystem):
        raise RKError(
            "RK-ECOSYSTEM-INVALID",
            f"the `{kind}` ecosystem ({found[kind].value}) is a {type(ecosystem).__name__}, "
            "not a releasekit_tasks.ecosystems.Ecosystem",
            path=config_path,
        )
    return ecosystem


def allows_cycles(kind: str) -> bool:
    return get_ecosystem(kind).allows_cycles


def default_label(kind: str) -> str:
    return get_ecosystem(kind).default_label or kind


def detect_kinds(folder: Path) -> list[str]:
    """The built-in kinds whose workspace lives in ``folder``."""
    return [kind for kind in BUILTIN if get_ecosystem(kind).detect(folder)]
