"""Plain data types shared by discovery, the graph and the tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Dependency:
    """One dependency declaration of a package, as its manifest states it.

    ``name`` is normalized the way its ecosystem compares names (PEP 503 for
    Python, verbatim npm names, full Go module paths). ``internal`` is true only
    for workspace-sourced dependencies on a member of the same workspace: those
    are the edges of the release graph.
    """

    name: str
    spec: str  # the raw constraint: ">=1.0", "workspace:^", "v1.2.3"
    kind: str  # "runtime", "optional:<extra>", "group:<name>", "dev", "peer", "require" …
    internal: bool = False


@dataclass
class Package:
    """A workspace member: one publishable (or private) unit of one ecosystem."""

    ecosystem: str  # the kind: "uv", "pnpm", "go"
    label: str  # the [ecosystems.<label>] key, e.g. "py"
    name: str  # normalized distribution name, npm name, or Go module path
    version: str | None  # current version; None when the repo does not know it yet
    path: Path  # the package folder (absolute)
    manifest: Path  # pyproject.toml / package.json / go.mod (absolute)
    publishable: bool = True
    reason: str = ""  # why it is not publishable (or empty)
    group: str | None = None
    registry: str = ""  # where it is published (ecosystem default or per-package override)
    dependencies: list[Dependency] = field(default_factory=list)
    # Registry-facing metadata: description, license, readme (for `check`).
    metadata: dict[str, str] = field(default_factory=dict)
    # Where the version came from ("pyproject.toml", "tag go/foo/v1.2.0", …).
    version_source: str = ""
    # The build derives the version from git tags ("uv-dynamic-versioning", "hatch-vcs",
    # …; "" when not): releasing writes no version into the manifest (the tag is the
    # version) and keeps the decided version in the versions file until it is tagged.
    vcs_version: str = ""
    # A dynamic version the build backend reads from a file of the package (hatch's
    # `path`, setuptools' `attr`/`file`, pdm-backend's `file`, flit's module): (the
    # file relative to the package folder, its version line with `{version}`).
    # Releasing rewrites that line instead of the manifest.
    version_file: tuple[str, str] | None = None
    # From the package's own releasekit.toml: its release tag format (None: the
    # ecosystem's or the root's) and extra files holding its version (path, pattern).
    tag_format: str | None = None
    version_files: tuple[tuple[str, str], ...] = ()
    # Every group the package is in: its own `group` and the ecosystem's group lists.
    groups: tuple[str, ...] = ()
    # Why a selection list keeps it out (the rule that matched), or "":
    excluded: str = ""  # `exclude`: not released at all
    no_bump: str = ""  # `exclude_bump`: never versioned
    no_publish: str = ""  # `exclude_publish`: versioned and tagged, never uploaded
    skip_checks: tuple[str, ...] = ()  # RK codes `doit check` does not report for it
    unit: str = ""  # a configured release unit (`release_units`) it belongs to, or ""

    @property
    def id(self) -> str:
        """The package id used in task names: ``<label>/<name>``."""
        return f"{self.label}/{self.name}"

    @property
    def internal_dependencies(self) -> list[Dependency]:
        return [d for d in self.dependencies if d.internal]
