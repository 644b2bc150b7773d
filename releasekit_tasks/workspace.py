"""Collect every ecosystem's workspace into one set of packages.

This is the ``config → discovery`` half of the pipeline: read the root
config, ask each declared ecosystem for its members, apply each member's own
releasekit.toml (group, publishable), and refuse duplicate ids.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks.config import RootConfig, load_package_config, load_root_config
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Package


@dataclass
class Workspace:
    config: RootConfig
    packages: dict[str, Package]  # by id, in discovery order

    @property
    def root(self) -> Path:
        return self.config.root


def collect(root: Path) -> Workspace:
    config = load_root_config(root)
    packages: dict[str, Package] = {}
    for eco in config.ecosystems.values():
        for package in get_ecosystem(eco.kind).discover(eco, config):
            package.registry = eco.registry
            _apply_package_config(package, config.root)
            if package.id in packages:
                raise RKError(
                    "RK-PACKAGE-DUPLICATE",
                    f"two members are named `{package.name}` in [ecosystems.{eco.label}]: "
                    f"{packages[package.id].manifest} and {package.manifest}",
                    path=package.manifest,
                )
            packages[package.id] = package
    return Workspace(config, packages)


@functools.cache
def collect_cached(root: Path) -> Workspace:
    """One collection per process: every task creator of a doit run shares it."""
    with gc_paused():
        return collect(root)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection while a large workspace loads: its objects live for the
    whole run, so the collector would only walk them again and again (a fifth of the
    CPU at 5,000 packages). Afterwards they are frozen out of later collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _apply_package_config(package: Package, repo_root: Path) -> None:
    own = load_package_config(package.path, repo_root)
    if own.group is not None:
        package.group = own.group
    if own.registry is not None:
        package.registry = own.registry
    package.tag_format = own.tag_format
    package.version_files = own.version_files
    if own.publishable is not None and own.publishable != package.publishable:
        package.publishable = own.publishable
        package.reason = "" if own.publishable else "releasekit.toml: publishable = false"
