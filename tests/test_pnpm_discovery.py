"""pnpm workspace discovery: membership, dependency classification, catalogs, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency
from releasekit_tasks.semver import is_valid as is_semver

from .repos.common import snapshot, write
from .repos.pnpm import (
    discover_pnpm,
    glob_workspace,
    manifest,
    offline_workspace,
    pnpm_workspace,
)


def rel_paths(root: Path) -> list[str]:
    return [p.path.relative_to(root).as_posix() for p in discover_pnpm(root)]


# --- the rich offline fixture ------------------------------------------------


def test_offline_workspace_members_and_dependencies(tmp_path: Path) -> None:
    root = offline_workspace(tmp_path)
    packages = {p.name: p for p in discover_pnpm(root)}

    assert list(packages) == [
        "@acme/button",
        "acme-cli",
        "@acme/core",
        "@acme/plugin",
        "@acme/utils",
    ]
    core, utils, cli = packages["@acme/core"], packages["@acme/utils"], packages["acme-cli"]
    assert (core.version, utils.version) == ("1.2.0", "0.3.0-beta.1")
    assert core.path == root.resolve() / "packages/core"
    assert core.manifest == core.path / "package.json"
    assert core.metadata == {"description": "Core", "license": "MIT", "readme": "README.md"}
    assert utils.metadata == {}
    assert all(p.ecosystem == "pnpm" and p.label == "js" for p in packages.values())
    assert all(p.version_source == "package.json" for p in packages.values())
    assert core.id == "js/@acme/core"

    assert cli.dependencies == [
        Dependency("@acme/core", "workspace:*", "runtime", internal=True),
        # An alias names the member it points at, not the key it is installed as.
        Dependency("@acme/core", "workspace:@acme/core@*", "runtime", internal=True),
        Dependency("@acme/utils", "workspace:~", "dev", internal=True),
    ]
    assert packages["@acme/plugin"].dependencies == [
        Dependency("@acme/core", "workspace:*", "dev", internal=True),
        Dependency("@acme/core", "workspace:^1.2.0", "peer", internal=True),
        Dependency("@acme/utils", "workspace:*", "optional", internal=True),
    ]
    button = packages["@acme/button"]
    assert button.dependencies == [
        Dependency("@acme/utils", "workspace:../../../packages/utils", "runtime", internal=True)
    ]
    assert (button.publishable, button.reason) == (False, "package.json private: true")
    assert (core.publishable, core.reason) == (True, "")


@pytest.mark.parametrize("build", [offline_workspace, glob_workspace])
def test_real_pnpm_agrees_on_members_and_links(
    tmp_path: Path, build: Callable[[Path], Path]
) -> None:
    """pnpm itself, offline, must accept the fixture and see the same members and links."""
    root = build(tmp_path / "ws")
    packages = discover_pnpm(root)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "npm_config_update_notifier": "false",
    }
    pnpm = shutil.which("pnpm")
    assert pnpm, "pnpm is not on PATH: source scripts/env.sh"
    subprocess.run(
        [pnpm, "install", "--lockfile-only", "--offline", "--store-dir", str(tmp_path / "store")],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    importers = yaml.safe_load((root / "pnpm-lock.yaml").read_text())["importers"]

    # pnpm always adds the root; we count it only when a glob lists it.
    ours = {p.path.relative_to(root.resolve()).as_posix(): p for p in packages}
    assert set(importers) - {"."} == set(ours)

    by_name = {p.name: p for p in packages}
    sections = {
        "dependencies": "runtime",
        "devDependencies": "dev",
        "optionalDependencies": "optional",
    }
    for rel, package in ours.items():
        links = {
            (kind, os.path.normpath(package.path / dep["version"].removeprefix("link:")))
            for section, kind in sections.items()
            for dep in importers[rel].get(section, {}).values()
        }
        # pnpm installs peers only through their dev/runtime twin, so leave peers out.
        expected = {
            (d.kind, os.path.normpath(by_name[d.name].path))
            for d in package.internal_dependencies
            if d.kind != "peer"
        }
        assert links == expected, rel


# --- membership ----------------------------------------------------------------


def test_root_is_a_member_only_when_a_glob_lists_it(tmp_path: Path) -> None:
    root_pkg = manifest("the-root", "0.1.0")
    pnpm_workspace(tmp_path, {".": root_pkg, "packages/a": manifest("a")})
    assert rel_paths(tmp_path) == ["packages/a"]

    pnpm_workspace(tmp_path, {".": root_pkg}, globs=[".", "packages/*"])
    assert rel_paths(tmp_path) == [".", "packages/a"]

    # No `packages:` key: pnpm's default is the root alone.
    pnpm_workspace(tmp_path, {".": root_pkg}, globs=None)
    assert rel_paths(tmp_path) == ["."]


def test_glob_forms(tmp_path: Path) -> None:
    glob_workspace(tmp_path)
    (tmp_path / "apps/empty").mkdir()  # matched, but no package.json: not a member
    assert rel_paths(tmp_path) == [
        ".config/cfg",
        "apps/web",
        "classes/a1",
        "classes/b1",
        "deep/a",
        "libs/x",
        "tools/lint",
        "x/.dotted",
    ]


def test_overlapping_globs_list_each_member_once(tmp_path: Path) -> None:
    pnpm_workspace(
        tmp_path, {"packages/a": manifest("a")}, globs=["packages/*", "packages/**", "**"]
    )
    assert rel_paths(tmp_path) == [".", "packages/a"]


# --- dependencies ----------------------------------------------------------------


def test_plain_range_on_a_member_is_external(tmp_path: Path) -> None:
    pnpm_workspace(
        tmp_path,
        {
            "packages/a": manifest("a", "1.0.0"),
            "packages/b": manifest("b", deps={"a": "^1.0.0", "lodash": "npm:lodash-es@^4"}),
        },
    )
    b = discover_pnpm(tmp_path)[1]
    assert b.dependencies == [
        Dependency("a", "^1.0.0", "runtime", internal=False),
        Dependency("lodash", "npm:lodash-es@^4", "runtime", internal=False),
    ]
    assert b.internal_dependencies == []


def test_catalog_ranges_resolve_from_the_workspace_file(tmp_path: Path) -> None:
    pnpm_workspace(
        tmp_path,
        {
            "packages/a": manifest(
                "a",
                deps={"lodash": "catalog:", "react": "catalog:react18"},
                dev={"typescript": "catalog:default"},
                peer={"react-dom": "catalog: react18"},
            )
        },
        catalog={"lodash": "^4.17.21", "typescript": "~5.6.0"},
        catalogs={"react18": {"react": "^18.3.1", "react-dom": "^18.3.1"}},
    )
    assert discover_pnpm(tmp_path)[0].dependencies == [
        Dependency("lodash", "^4.17.21", "runtime"),
        Dependency("react", "^18.3.1", "runtime"),
        Dependency("typescript", "~5.6.0", "dev"),
        Dependency("react-dom", "^18.3.1", "peer"),
    ]


def test_catalogs_default_is_the_default_catalog(tmp_path: Path) -> None:
    pnpm_workspace(
        tmp_path,
        {"packages/a": manifest("a", deps={"lodash": "catalog:"})},
        catalogs={"default": {"lodash": "^4.0.0"}},
    )
    assert discover_pnpm(tmp_path)[0].dependencies == [Dependency("lodash", "^4.0.0", "runtime")]


def test_private_member_may_lack_a_version(tmp_path: Path) -> None:
    pnpm_workspace(tmp_path, {"packages/app": manifest("@acme/app", None, private=True)})
    (app,) = discover_pnpm(tmp_path)
    assert (app.name, app.version, app.publishable) == ("@acme/app", None, False)


@pytest.mark.parametrize(
    ("value", "private"),
    [
        ("true", True),
        ("false", True),
        (1, True),
        ([], True),
        ("", False),
        (0, False),
        (None, False),
    ],
)
def test_private_is_read_as_npm_and_pnpm_read_it(tmp_path: Path, value: Any, private: bool) -> None:
    """JavaScript truthiness: vercel/ai's tools say `"private": "true"`, a string, and
    npm refuses to publish any package whose `private` is truthy ("false" too)."""
    data = {"name": "tool", "version": "0.0.0", "private": value}
    pnpm_workspace(tmp_path, {"packages/tool": json.dumps(data)})
    (tool,) = discover_pnpm(tmp_path)
    assert tool.publishable is not private
    if private:
        assert tool.reason == f"package.json private: {json.dumps(value)}"


def test_readme_is_found_case_insensitively(tmp_path: Path) -> None:
    pnpm_workspace(tmp_path, {"packages/a": manifest("a")})
    write(tmp_path / "packages/a/readme.markdown", "# a\n")
    write(tmp_path / "packages/a/readmeish.txt", "not a readme\n")
    assert discover_pnpm(tmp_path)[0].metadata == {"readme": "readme.markdown"}


# --- bad input ------------------------------------------------------------------

A = manifest("a")


def _bad_json(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": '{\n  "name": "a",\n  "version": "1.0.0"\n  "x": 1\n}\n'})


def _bad_yaml(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A})
    write(root / "pnpm-workspace.yaml", "packages:\n  - packages/*\n  - [unclosed\n")


def _duplicate(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A, "packages/b": A})


def _no_workspace_file(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A})
    (root / "pnpm-workspace.yaml").unlink()


def _workspace_non_member(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": manifest("a", deps={"left-pad": "workspace:*"})})


def _workspace_alias_non_member(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": manifest("a", deps={"x": "workspace:nope@^"})})


def _workspace_path_non_member(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": manifest("a", deps={"x": "workspace:../missing"})})


def _workspace_excluded_member(root: Path) -> None:
    pnpm_workspace(
        root,
        {"packages/a": manifest("a", deps={"b": "workspace:*"}), "packages/b": manifest("b")},
        globs=["packages/*", "!packages/b"],
    )


def _catalog_entry_missing(root: Path) -> None:
    pnpm_workspace(
        root, {"packages/a": manifest("a", dev={"jest": "catalog:"})}, catalog={"lodash": "^4"}
    )


def _catalog_name_missing(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": manifest("a", deps={"react": "catalog:react19"})})


def _catalog_defined_twice(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A}, catalog={"x": "1"}, catalogs={"default": {"x": "2"}})


def _packages_not_a_list(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A})
    write(root / "pnpm-workspace.yaml", "packages: packages/*\n")


def _deps_not_a_mapping(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": {"name": "a", "version": "1.0.0", "dependencies": ["b"]}})


def _manifest_not_an_object(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": "[1, 2]\n"})


def _glob_outside_root(root: Path) -> None:
    pnpm_workspace(root, {"packages/a": A}, globs=["packages/*", "../elsewhere/*"])


BAD: dict[str, tuple[Callable[[Path], None], str, str, int | None]] = {
    # case: (builder, code, file the error names, line)
    "malformed package.json": (_bad_json, "RK-MANIFEST-PARSE", "packages/a/package.json", 4),
    "malformed yaml": (_bad_yaml, "RK-MANIFEST-PARSE", "pnpm-workspace.yaml", 4),
    "duplicate names": (_duplicate, "RK-PACKAGE-DUPLICATE", "packages/b/package.json", 2),
    "no pnpm-workspace.yaml": (
        _no_workspace_file,
        "RK-WORKSPACE-MISSING",
        "pnpm-workspace.yaml",
        None,
    ),
    "workspace: on a non-member": (
        _workspace_non_member,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "workspace: alias on a non-member": (
        _workspace_alias_non_member,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "workspace: path to a non-member": (
        _workspace_path_non_member,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "workspace: on an excluded folder": (
        _workspace_excluded_member,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "catalog entry missing": (
        _catalog_entry_missing,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "named catalog missing": (
        _catalog_name_missing,
        "RK-WORKSPACE-UNRESOLVED",
        "packages/a/package.json",
        5,
    ),
    "default catalog twice": (
        _catalog_defined_twice,
        "RK-MANIFEST-FIELD",
        "pnpm-workspace.yaml",
        3,
    ),
    "packages not a list": (_packages_not_a_list, "RK-MANIFEST-FIELD", "pnpm-workspace.yaml", 1),
    "dependencies not a mapping": (
        _deps_not_a_mapping,
        "RK-MANIFEST-FIELD",
        "packages/a/package.json",
        4,
    ),
    "package.json not an object": (
        _manifest_not_an_object,
        "RK-MANIFEST-FIELD",
        "packages/a/package.json",
        1,
    ),
    "glob outside the root": (_glob_outside_root, "RK-MANIFEST-FIELD", "pnpm-workspace.yaml", 3),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_a_coded_error_and_changes_nothing(tmp_path: Path, case: str) -> None:
    build, code, file, line = BAD[case]
    build(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(RKError) as info:
        discover_pnpm(tmp_path)
    assert info.value.code == code
    assert info.value.path == tmp_path.resolve() / file
    assert info.value.line == line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-01", "1.0.0+", "1.0.٣", 1])
def test_invalid_versions_are_refused(tmp_path: Path, version: object) -> None:
    pnpm_workspace(tmp_path, {"packages/a": {"name": "a", "version": version}})
    before = snapshot(tmp_path)
    with pytest.raises(RKError) as info:
        discover_pnpm(tmp_path)
    assert (info.value.code, info.value.line) == ("RK-VERSION-INVALID", 3)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("0.0.0", True),
        ("1.2.3-alpha.1+build.5", True),
        ("1.0.0-0A.is.legal", True),
        ("10.20.30-rc.1---x", True),
        ("1.2", False),
        ("1.2.3-", False),
        ("1.2.3-alpha..1", False),
        ("1.2.3\n", False),
    ],
)
def test_semver(version: str, valid: bool) -> None:
    assert is_semver(version) is valid


# --- plugin surface and speed ------------------------------------------------------


def test_plugin_surface(tmp_path: Path) -> None:
    ecosystem = get_ecosystem("pnpm")
    assert (ecosystem.kind, ecosystem.manifest_name) == ("pnpm", "package.json")
    assert not ecosystem.detect(tmp_path)
    pnpm_workspace(tmp_path, {})
    assert ecosystem.detect(tmp_path)


def test_members_pnpm_accepts_but_nobody_publishes_are_listed_not_refused(tmp_path: Path) -> None:
    """vite's fixtures: no name, no version, private duplicates; an unnamed private root."""
    pnpm_workspace(
        tmp_path,
        {
            ".": {"private": True},
            "packages/a": manifest("a"),
            "packages/fixture": {"type": "module"},
            "packages/no-version": manifest("nover", None),
            "packages/dup1": manifest("dup", private=True),
            "packages/dup2": manifest("dup", private=True),
            "packages/pub": manifest("shared"),
            "packages/priv": manifest("shared", private=True),
        },
        globs=[".", "packages/*"],
    )
    found = {p.name: p for p in discover_pnpm(tmp_path)}
    assert set(found) == {
        "a",
        "./packages/fixture",
        "nover",
        "dup",
        "./packages/dup2",
        "shared",
        "./packages/priv",
    }
    assert found["a"].publishable and found["shared"].publishable
    assert found["./packages/fixture"].reason == "package.json has no `name`"
    assert found["nover"].reason == "package.json has no `version`"
    assert not found["./packages/dup2"].publishable
    assert "also" in found["./packages/dup2"].reason
    assert not found["./packages/priv"].publishable


def test_two_publishable_members_with_one_name_are_an_error(tmp_path: Path) -> None:
    pnpm_workspace(tmp_path, {"packages/a": manifest("x"), "packages/b": manifest("x")})
    with pytest.raises(RKError) as info:
        discover_pnpm(tmp_path)
    assert info.value.code == "RK-PACKAGE-DUPLICATE"
