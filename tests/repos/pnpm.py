"""Builders of small pnpm workspaces in a temporary directory."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from releasekit_tasks.config import EcosystemConfig, RootConfig
from releasekit_tasks.ecosystems.pnpm.discover import discover
from releasekit_tasks.model import Package

from .common import write


def manifest(
    name: str,
    version: str | None = "1.0.0",
    *,
    deps: dict[str, str] | None = None,
    dev: dict[str, str] | None = None,
    peer: dict[str, str] | None = None,
    optional: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A package.json as a dict; ``None`` sections and version are left out."""
    data: dict[str, Any] = {"name": name}
    if version is not None:
        data["version"] = version
    data.update(fields)
    sections = {
        "dependencies": deps,
        "devDependencies": dev,
        "peerDependencies": peer,
        "optionalDependencies": optional,
    }
    data.update({key: value for key, value in sections.items() if value is not None})
    return data


def pnpm_workspace(
    root: Path,
    packages: Mapping[str, Mapping[str, Any] | str],
    *,
    globs: Sequence[str] | None = ("packages/*",),
    catalog: dict[str, str] | None = None,
    catalogs: dict[str, dict[str, str]] | None = None,
    root_manifest: dict[str, Any] | None = None,
) -> Path:
    """Write a pnpm workspace: ``packages`` maps a folder (relative to ``root``,
    ``"."`` for the root) to its package.json — a dict, or raw text for broken files.
    ``globs=None`` leaves ``packages:`` out of pnpm-workspace.yaml."""
    config: dict[str, Any] = {}
    if globs is not None:
        config["packages"] = list(globs)
    if catalog is not None:
        config["catalog"] = catalog
    if catalogs is not None:
        config["catalogs"] = catalogs
    write(root / "pnpm-workspace.yaml", yaml.safe_dump(config, sort_keys=False))
    if "." not in packages:
        packages = {".": root_manifest or {"name": "monorepo", "private": True}, **packages}
    for folder, content in packages.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
        write(root / folder / "package.json", text)
    return root


def pnpm_config(root: Path, label: str = "js") -> tuple[EcosystemConfig, RootConfig]:
    eco = EcosystemConfig(
        label=label, kind="pnpm", workspace_root=root.resolve(), registry="http://127.0.0.1:1/"
    )
    return eco, RootConfig(root=root.resolve(), ecosystems={label: eco})


def discover_pnpm(root: Path, label: str = "js") -> list[Package]:
    return discover(*pnpm_config(root, label))


def offline_workspace(root: Path) -> Path:
    """A workspace using every membership rule and workspace: form but no registry
    package, so a real ``pnpm install --lockfile-only`` needs no network."""
    pnpm_workspace(
        root,
        {
            "packages/core": manifest("@acme/core", "1.2.0", description="Core", license="MIT"),
            "packages/utils": manifest(
                "@acme/utils", "0.3.0-beta.1", deps={"@acme/core": "workspace:^"}
            ),
            "packages/cli": manifest(
                "acme-cli",
                "2.0.0",
                deps={"@acme/core": "workspace:*", "core-alias": "workspace:@acme/core@*"},
                dev={"@acme/utils": "workspace:~"},
            ),
            "packages/plugin": manifest(
                "@acme/plugin",
                "1.0.0",
                dev={"@acme/core": "workspace:*"},
                peer={"@acme/core": "workspace:^1.2.0"},
                optional={"@acme/utils": "workspace:*"},
            ),
            "components/ui/button": manifest(
                "@acme/button",
                "1.0.0",
                private=True,
                deps={"@acme/utils": "workspace:../../../packages/utils"},
            ),
            # Not members: excluded by `!` globs, matched by no glob, inside
            # node_modules, or in a dot folder (`**` does not enter those).
            "packages/ignored": manifest("ignored"),
            "components/ui/test/fixture": manifest("fixture"),
            "apps/web": manifest("web"),
            "components/node_modules/stray": manifest("stray"),
            "components/.cache/hidden": manifest("hidden"),
        },
        globs=["packages/*", "components/**", "!**/test/**", "!packages/ignored"],
    )
    write(root / "packages/core/README.md", "# core\n")
    write(root / "packages/docs-only/README.md", "# not a package: no package.json\n")
    return root


def glob_workspace(root: Path) -> Path:
    """Every glob form pnpm accepts here: braces, ``./`` and trailing ``/``, ``**``,
    ``?`` and classes, dot folders named by the glob, and a ``!`` under ``**``."""
    return pnpm_workspace(
        root,
        {
            "apps/web": manifest("web"),
            "libs/x": manifest("x"),
            "tools/lint": manifest("lint"),
            "deep/a": manifest("deep-a"),
            "deep/a/b/c": manifest("deep-c"),
            "deep/node_modules/dep": manifest("dep"),
            "deep/bower_components/old": manifest("old"),
            "deep/.hidden/h": manifest("h"),
            "classes/a1": manifest("a1"),
            "classes/b1": manifest("b1"),
            "classes/c1": manifest("c1"),
            "classes/a22": manifest("a22"),
            ".config/cfg": manifest("cfg"),
            "x/.dotted": manifest("dotted"),
            "x/y/.dotted": manifest("too-deep"),
        },
        globs=[
            "{apps,libs}/*",
            "./tools/*/",
            "deep/**",
            "classes/[ab]?",
            ".config/*",
            "*/.dotted",
            "!deep/a/b/**",
        ],
    )
