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

from releasekit_tasks.config import (
    CONFIG_NAME,
    EcosystemConfig,
    RootConfig,
    load_package_config,
    load_root_config,
)
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
        members = get_ecosystem(eco.kind).discover(eco, config)
        for package in members:
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
        _apply_selection_lists(eco, members, config.root / CONFIG_NAME)
    return Workspace(config, packages)


def _apply_selection_lists(eco: EcosystemConfig, members: list[Package], path: Path) -> None:
    """Groups from ``[ecosystems.<label>.groups]``; the rule of ``exclude*`` that matched."""
    from releasekit_tasks import rules
    from releasekit_tasks.tomlfile import key_line

    for package in members:
        listed = rules.groups_of(package.name, eco.groups)
        own = [package.group] if package.group else []
        package.groups = tuple(dict.fromkeys([*own, *listed]))
        if package.group is None and listed:
            package.group = listed[0]
    known = set(eco.groups) | {g for p in members for g in p.groups}
    lists = {key: getattr(eco, key) for key in rules.EXCLUDE_KEYS}
    lists.update({"release_units": tuple(e for u in eco.release_units for e in u)})
    for key, entries in lists.items():
        unknown = rules.unknown_group_refs(entries, known)
        if unknown:
            raise RKError(
                "RK-CONFIG-GROUP-REF",
                f"`{key}` in [ecosystems.{eco.label}] names {unknown[0]!r}, but no such group "
                f"exists; groups: {', '.join(sorted(known)) or '(none)'}",
                path=path,
                line=key_line(path, key),
            )
    attributes = {"exclude": "excluded", "exclude_bump": "no_bump", "exclude_publish": "no_publish"}
    for key, attribute in attributes.items():
        entries = getattr(eco, key)
        for package in members:
            rule = rules.first_match(entries, package.name, package.groups)
            if rule is not None:
                setattr(package, attribute, f"{key}: {rule!r}")
    for n, entries in enumerate(eco.release_units):
        for package in members:
            if rules.first_match(entries, package.name, package.groups) is not None:
                package.unit = f"{eco.label}#{n}"
    for package in members:
        package.skip_checks = tuple(dict.fromkeys([*eco.skip_checks, *package.skip_checks]))
        if package.excluded and package.publishable:
            package.publishable = False
            package.reason = f"excluded by {package.excluded}"


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
    package.skip_checks = own.skip_checks
    if own.publishable is not None and own.publishable != package.publishable:
        package.publishable = own.publishable
        package.reason = "" if own.publishable else "releasekit.toml: publishable = false"
