"""uv workspace discovery: membership, dependency classification, metadata, bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from releasekit_tasks.config import EcosystemConfig, RootConfig
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.ecosystems.uv.discover import detect, discover_workspace
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Package
from tests.repos.common import snapshot, write
from tests.repos.uv import WORKSPACE, dump, member, uv_workspace


def genkit_tree(root: Path) -> Path:
    """A uv-valid workspace (no external deps, so `uv lock --offline` works) with:
    a private root member, two member globs and an exclude, optional deps and
    dependency groups, a source declared in a member, and a name spelled three ways.
    """
    uv_workspace(
        root,
        {
            "packages/genkit": member("genkit", "2.0.0", description="core", license="Apache-2.0"),
            "plugins/plugin-a": member(
                "plugin-a", "2.0.0", deps=["genkit>=2.0"], optional={"b": ["plugin-b"]}
            ),
            "plugins/plugin_b": member("Plugin_B", "2.0.0", deps=["genkit"]),
            "packages/tool-y": member(
                "tool-y", "0.1.0", deps=["tool-z"], sources={"tool-z": WORKSPACE}
            ),
            "packages/tool-z": member("tool-z", "0.1.0"),
        },
        globs=["packages/*", "plugins/*", "plugins/experimental-x/*"],
        exclude=["plugins/experimental-*"],
        sources={"genkit": WORKSPACE, "plugin-a": WORKSPACE, "PLUGIN_B": WORKSPACE},
        project=member(
            "Genkit_Dev",
            "0.0.0",
            classifiers=["Private :: Do Not Upload"],
            groups={"dev": ["genkit", {"include-group": "docs"}], "docs": ["plugin-a"]},
        ),
    )
    # Matched by a glob but not members, exactly as uv sees them:
    write(root / "plugins/experimental-x/pyproject.toml", "not [ toml")  # excluded
    # Excluded too: in exclude globs `*` also matches `/` (uv matches whole paths).
    write(root / "plugins/experimental-x/sub/pyproject.toml", dump(member("exp-sub")))
    write(root / "packages/.cache/blob", "x")  # hidden folder
    (root / "packages/empty").mkdir()  # empty folder
    write(root / "packages/README.md", "a file, not a folder")
    write(root / "tools/tool-x/pyproject.toml", dump(member("tool-x")))  # no glob matches it
    return root


def by_name(packages: list[Package]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def edges(package: Package) -> set[tuple[str, str, bool]]:
    return {(d.kind, d.name, d.internal) for d in package.dependencies}


def test_members_globs_exclude_and_root_member(tmp_path: Path) -> None:
    root = genkit_tree(tmp_path)
    packages = discover_workspace(root, "py")

    assert [p.name for p in packages] == [
        "genkit",
        "genkit-dev",
        "plugin-a",
        "plugin-b",
        "tool-y",
        "tool-z",
    ]
    dev = by_name(packages)["genkit-dev"]
    assert dev.path == root and dev.manifest == root / "pyproject.toml"
    plugin_b = by_name(packages)["plugin-b"]
    assert plugin_b.path == root / "plugins/plugin_b"
    assert plugin_b.manifest == root / "plugins/plugin_b/pyproject.toml"
    assert all(p.path.is_absolute() and p.ecosystem == "uv" and p.label == "py" for p in packages)
    assert all(p.version_source == "pyproject.toml" for p in packages)
    assert by_name(packages)["genkit"].version == "2.0.0"


def test_virtual_root_is_not_a_member(tmp_path: Path) -> None:
    uv_workspace(tmp_path, {"packages/a": member("a")})
    assert [p.name for p in discover_workspace(tmp_path, "py")] == ["a"]


def test_dependency_kinds_and_workspace_sources(tmp_path: Path) -> None:
    packages = by_name(discover_workspace(genkit_tree(tmp_path), "py"))

    assert edges(packages["plugin-a"]) == {
        ("runtime", "genkit", True),
        ("optional:b", "plugin-b", True),
    }
    assert [d.spec for d in packages["plugin-a"].dependencies] == [">=2.0", ""]
    # Root-level group entries; the {include-group} table is not a dependency.
    assert edges(packages["genkit-dev"]) == {
        ("group:dev", "genkit", True),
        ("group:docs", "plugin-a", True),
    }
    # `Plugin_B` (project name), `PLUGIN_B` (source key), `plugin-b` (requirement): one name.
    assert edges(packages["plugin-b"]) == {("runtime", "genkit", True)}
    # tool-z is workspace-sourced in tool-y's own pyproject, not the root's.
    assert edges(packages["tool-y"]) == {("runtime", "tool-z", True)}
    assert [d.name for d in packages["plugin-a"].internal_dependencies] == ["genkit", "plugin-b"]


def test_member_pinned_to_registry_is_external(tmp_path: Path) -> None:
    """Spec §3: app-legacy pins genkit==1.0.0 from PyPI, so it is outside genkit's tree.

    The plugins declare genkit workspace-sourced in their own pyproject; a root-level
    source would apply to app-legacy too (uv semantics) and make the edge internal.
    """
    uv_workspace(
        tmp_path,
        {
            "packages/genkit": member("genkit", "2.0.0"),
            "packages/plugin-a": member(
                "plugin-a", "2.0.0", deps=["genkit"], sources={"genkit": WORKSPACE}
            ),
            "packages/app-legacy": member("app-legacy", "0.3.0", deps=["genkit==1.0.0", "httpx"]),
        },
    )
    packages = by_name(discover_workspace(tmp_path, "py"))

    assert edges(packages["plugin-a"]) == {("runtime", "genkit", True)}
    assert edges(packages["app-legacy"]) == {
        ("runtime", "genkit", False),
        ("runtime", "httpx", False),
    }
    assert packages["app-legacy"].dependencies[0].spec == "==1.0.0"
    assert packages["genkit"].internal_dependencies == []


def test_member_source_overrides_root_source(tmp_path: Path) -> None:
    uv_workspace(
        tmp_path,
        {
            "packages/genkit": member("genkit", "2.0.0"),
            "packages/app": member(
                "app", deps=["genkit==1.0.0"], sources={"genkit": {"index": "pypi"}}
            ),
            "packages/plugin": member("plugin", deps=["genkit"]),
        },
        sources={"genkit": WORKSPACE},
    )
    packages = by_name(discover_workspace(tmp_path, "py"))
    assert edges(packages["app"]) == {("runtime", "genkit", False)}
    assert edges(packages["plugin"]) == {("runtime", "genkit", True)}


def test_workspace_source_for_a_non_member_is_refused(tmp_path: Path) -> None:
    """uv refuses it ("references a workspace ... but is not a workspace member")."""
    uv_workspace(
        tmp_path, {"packages/a": member("a", deps=["ghost"])}, sources={"ghost": WORKSPACE}
    )
    with pytest.raises(RKError) as caught:
        discover_workspace(tmp_path, "py")
    assert caught.value.code == "RK-WORKSPACE-UNRESOLVED"
    assert "ghost" in caught.value.message


def test_marker_guarded_source_list_and_legacy_dev_dependencies(tmp_path: Path) -> None:
    app = member("app", deps=["core"], sources={"core": [WORKSPACE]})
    app["tool"]["uv"]["dev-dependencies"] = ["core"]
    uv_workspace(tmp_path, {"packages/core": member("core"), "packages/app": app})
    packages = by_name(discover_workspace(tmp_path, "py"))
    assert edges(packages["app"]) == {("runtime", "core", True), ("group:dev", "core", True)}


def test_private_classifier_dynamic_version_and_metadata(tmp_path: Path) -> None:
    uv_workspace(
        tmp_path,
        {
            "samples/demo": member(
                "sample-demo", classifiers=["Private :: Do Not Upload"], readme="README.md"
            ),
            "packages/dyn": member(
                "dyn",
                None,
                license={"text": "MIT"},
                readme={"file": "README.rst", "content-type": "text/x-rst"},
            ),
            "packages/lib": member(
                "lib", classifiers=["Programming Language :: Python"], license={"file": "LICENSE"}
            ),
        },
        globs=["packages/*", "samples/*"],
    )
    packages = by_name(discover_workspace(tmp_path, "py"))

    demo = packages["sample-demo"]
    assert (demo.publishable, demo.reason) == (False, "classifier Private :: Do Not Upload")
    assert demo.metadata == {"readme": "README.md"}
    dyn = packages["dyn"]
    assert (dyn.version, dyn.version_source, dyn.publishable, dyn.vcs_version) == (
        None,
        "dynamic: set by the build backend",
        True,
        "",
    )
    assert dyn.metadata == {"license": "MIT", "readme": "README.rst"}
    lib = packages["lib"]
    assert (lib.publishable, lib.reason, lib.metadata) == (True, "", {"license": "LICENSE"})


def test_unmanaged_member_is_left_out(tmp_path: Path) -> None:
    legacy = member("legacy")
    legacy["tool"] = {"uv": {"managed": False}}
    uv_workspace(tmp_path, {"packages/a": member("a"), "packages/legacy": legacy})
    assert [p.name for p in discover_workspace(tmp_path, "py")] == ["a"]


def test_folder_with_only_gitignored_files_is_skipped_in_git(tmp_path: Path) -> None:
    uv_workspace(tmp_path, {"packages/a": member("a")})
    write(tmp_path / ".gitignore", "__pycache__/\n")
    write(tmp_path / "packages/removed/__pycache__/mod.cpython-311.pyc", "x")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert [p.name for p in discover_workspace(tmp_path, "py")] == ["a"]

    write(tmp_path / "packages/removed/notes.txt", "not ignored")
    with pytest.raises(RKError) as err:
        discover_workspace(tmp_path, "py")
    assert err.value.code == "RK-MANIFEST-MISSING"


def test_detect(tmp_path: Path) -> None:
    uv_workspace(tmp_path / "ws", {"packages/a": member("a")})
    write(tmp_path / "plain/pyproject.toml", dump(member("plain")))
    assert detect(tmp_path / "ws")
    assert not detect(tmp_path / "ws/packages/a")
    assert not detect(tmp_path / "plain")
    assert not detect(tmp_path / "nothing")


def test_through_the_ecosystem_protocol(tmp_path: Path) -> None:
    uv_workspace(tmp_path / "py", {"packages/a": member("a")})
    ecosystem = get_ecosystem("uv")
    assert (ecosystem.kind, ecosystem.manifest_name) == ("uv", "pyproject.toml")
    assert ecosystem.detect(tmp_path / "py")
    eco = EcosystemConfig(
        label="python",
        kind="uv",
        workspace_root=tmp_path / "py",
        registry="https://pypi.org/simple/",
    )
    [package] = ecosystem.discover(eco, RootConfig(root=tmp_path, ecosystems={"python": eco}))
    assert (package.id, package.version) == ("python/a", "1.0.0")


# --- bad input: a coded error naming the file (and line), nothing written -------------------


def _malformed_member(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a")})
    write(root / "packages/b/pyproject.toml", '[project]\nname = "b"\nversion = 1.0.0\n')
    return "packages/b/pyproject.toml", 3


def _malformed_root(root: Path) -> tuple[str, int | None]:
    write(root / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["packages/*"\n')
    return "pyproject.toml", 2  # the array is still open at the end of the document


def _member_without_manifest(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a")})
    write(root / "packages/b/src/b/__init__.py", "")
    return "pyproject.toml", 4  # the line of the glob that matched it


def _member_without_project(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a")})
    write(root / "packages/b/pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    return "packages/b/pyproject.toml", None


def _missing_name(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": {"project": {"version": "1.0.0"}}})
    return "packages/a/pyproject.toml", 1


def _missing_version(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": {"project": {"name": "a"}}})
    return "packages/a/pyproject.toml", 1


def _invalid_version(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a", "1.0-banana")})
    return "packages/a/pyproject.toml", 4


def _invalid_name(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("-a-")})
    return "packages/a/pyproject.toml", 2


def _invalid_requirement(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a", optional={"x": ["ok>=1", "bad>>=1"]})})
    return "packages/a/pyproject.toml", 6


def _dependencies_not_a_list(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("a", dependencies="genkit")})
    return "packages/a/pyproject.toml", 4


def _no_workspace_table(root: Path) -> tuple[str, int | None]:
    write(root / "pyproject.toml", dump(member("single")))
    return "pyproject.toml", None


def _no_pyproject(root: Path) -> tuple[str, int | None]:
    write(root / "README.md", "nothing here")
    return "pyproject.toml", None


def _duplicate_name(root: Path) -> tuple[str, int | None]:
    uv_workspace(root, {"packages/a": member("Foo_Bar"), "packages/b": member("foo-bar")})
    return "packages/b/pyproject.toml", 2


BAD_INPUT: list[tuple[Callable[[Path], tuple[str, int | None]], str]] = [
    (_malformed_member, "RK-MANIFEST-PARSE"),
    (_malformed_root, "RK-MANIFEST-PARSE"),
    (_member_without_manifest, "RK-MANIFEST-MISSING"),
    (_member_without_project, "RK-MANIFEST-FIELD"),
    (_missing_name, "RK-MANIFEST-FIELD"),
    (_missing_version, "RK-MANIFEST-FIELD"),
    (_invalid_version, "RK-VERSION-INVALID"),
    (_invalid_name, "RK-MANIFEST-FIELD"),
    (_invalid_requirement, "RK-MANIFEST-PARSE"),
    (_dependencies_not_a_list, "RK-MANIFEST-FIELD"),
    (_no_workspace_table, "RK-WORKSPACE-MISSING"),
    (_no_pyproject, "RK-WORKSPACE-MISSING"),
    (_duplicate_name, "RK-PACKAGE-DUPLICATE"),
]


@pytest.mark.parametrize(("build", "code"), BAD_INPUT, ids=[b.__name__[1:] for b, _ in BAD_INPUT])
def test_bad_input(
    tmp_path: Path, build: Callable[[Path], tuple[str, int | None]], code: str
) -> None:
    manifest, line = build(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(RKError) as err:
        discover_workspace(tmp_path, "py")
    assert err.value.code == code
    assert err.value.path == tmp_path / manifest
    assert err.value.line == line
    assert snapshot(tmp_path) == before


def test_duplicate_error_names_both_manifests(tmp_path: Path) -> None:
    _duplicate_name(tmp_path)
    with pytest.raises(RKError) as err:
        discover_workspace(tmp_path, "py")
    assert str(tmp_path / "packages/a/pyproject.toml") in err.value.message
    assert "`foo-bar`" in err.value.message


# --- the fixture is a real uv workspace; discovery agrees with uv's own lock ----------------


def test_uv_lock_accepts_the_fixture_and_agrees_on_members_and_edges(tmp_path: Path) -> None:
    root = genkit_tree(tmp_path)
    uv = shutil.which("uv")
    assert uv, "uv is a dev dependency"
    # --offline: the fixture has no external deps, so nothing may be fetched.
    subprocess.run(
        [uv, "lock", "--offline", "--quiet", "--python", sys.executable],
        cwd=root,
        check=True,
        capture_output=True,
    )
    lock = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))
    packages = by_name(discover_workspace(root, "py"))

    assert sorted(lock["manifest"]["members"]) == sorted(packages)
    for entry in lock["package"]:
        ours = packages[entry["name"]]
        assert entry["version"] == ours.version
        locked = {("runtime", d["name"]) for d in entry.get("dependencies", [])}
        for extra, deps in entry.get("optional-dependencies", {}).items():
            locked |= {(f"optional:{extra}", d["name"]) for d in deps}
        found = {(d.kind, d.name) for d in ours.internal_dependencies}
        assert {e for e in found if not e[0].startswith("group:")} == locked
        # uv expands {include-group} into its groups; discovery lists each entry once.
        for group, deps in entry.get("dev-dependencies", {}).items():
            assert {n for k, n in found if k == f"group:{group}"} <= {d["name"] for d in deps}


# --- speed ----------------------------------------------------------------------------------
