"""Ecosystem plugins: one module per ecosystem behind one small interface.

An ecosystem knows how to find its workspace (``detect``) and how to collect
its members into :class:`~releasekit_tasks.model.Package` values with their
dependencies classified internal/external (``discover``). Built-in kinds are
imported directly (fast); other kinds come from the
``releasekit_tasks.ecosystems`` entry-point group, so a Cargo or Maven
ecosystem can be added from outside this package.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig
    from releasekit_tasks.model import Package

ENTRY_POINT_GROUP = "releasekit_tasks.ecosystems"
BUILTIN = {
    "uv": "releasekit_tasks.ecosystems.uv",
    "pnpm": "releasekit_tasks.ecosystems.pnpm",
    "go": "releasekit_tasks.ecosystems.go",
}


class Ecosystem(Protocol):
    kind: str
    # The manifest file name of one member (pyproject.toml, package.json, go.mod).
    manifest_name: str

    def detect(self, folder: Path) -> bool:
        """True when ``folder`` holds a workspace of this kind."""
        ...

    def discover(self, eco: EcosystemConfig, root: RootConfig) -> list[Package]:
        """Collect the members of the workspace at ``eco.workspace_root``.

        Packages carry ``label = eco.label``; their dependencies are marked
        internal only when workspace-sourced. Raise RKError on bad input.
        """
        ...


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
    ecosystem: Ecosystem = found[kind].load()
    return ecosystem


def detect_kinds(folder: Path) -> list[str]:
    """The built-in kinds whose workspace lives in ``folder``."""
    return [kind for kind in BUILTIN if get_ecosystem(kind).detect(folder)]
