"""The static GOPROXY tree, consumed by the real go command over file://."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go.modzip import ZipResult, create_module_zip
from releasekit_tasks.ecosystems.go.proxy_tree import (
    escape_path,
    escape_version,
    unescape_path,
    write_version,
)
from releasekit_tasks.errors import RKError
from tests.repos.common import snapshot, write

TIME = "2024-05-01T12:00:00Z"


def go(tmp: Path, tree: Path, cwd: Path, *args: str) -> str:
    """Run the go command with ``tree`` as its only GOPROXY and a private module cache."""
    env = dict(os.environ)
    env.update(
        GOPATH=str(tmp / "gopath"),
        GOMODCACHE=str(tmp / "gopath" / "pkg" / "mod"),
        GOFLAGS="-modcacherw -mod=mod",
        GOTOOLCHAIN="local",
        GOPROXY=tree.resolve().as_uri(),
        GOSUMDB="off",
        GOWORK="off",
    )
    done = subprocess.run(
        ["go", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def build_zip(
    module_dir: Path, module_path: str, version: str, out_dir: Path, repo_root: Path | None = None
) -> ZipResult:
    return create_module_zip(
        module_dir, module_path, version, out_dir / f"{version}.zip", repo_root=repo_root
    )


def library(folder: Path, module_path: str, package: str, greeting: str) -> None:
    write(folder / "go.mod", f"module {module_path}\n\ngo 1.22\n")
    write(
        folder / f"{package}.go",
        f'package {package}\n\nfunc Hello() string {{ return "{greeting}" }}\n',
    )


def consumer(folder: Path, requires: dict[str, str], imports: dict[str, str]) -> None:
    """A main module requiring ``requires`` and printing each import alias's Hello()."""
    lines = "".join(f"\t{p} {v}\n" for p, v in requires.items())
    write(folder / "go.mod", f"module example.com/consumer\n\ngo 1.22\n\nrequire (\n{lines})\n")
    imps = "".join(f'\t{alias} "{path}"\n' for alias, path in imports.items())
    calls = "".join(f"\tprintln({alias}.Hello())\n" for alias in imports)
    write(folder / "main.go", f"package main\n\nimport (\n{imps})\n\nfunc main() {{\n{calls}}}\n")


def build_and_run(tmp: Path, tree: Path, folder: Path) -> str:
    go(tmp, tree, folder, "build", "-o", "app", ".")
    done = subprocess.run([str(folder / "app")], capture_output=True, text=True, check=True)
    return done.stderr  # println writes to stderr


# --- escaping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "escaped"),
    [
        ("github.com/foo/bar", "github.com/foo/bar"),
        ("github.com/Azure/azure-sdk-for-go", "github.com/!azure/azure-sdk-for-go"),
        ("github.com/GoogleCloudPlatform/x", "github.com/!google!cloud!platform/x"),
        ("example.com/Upper/Lib/v2", "example.com/!upper/!lib/v2"),
    ],
)
def test_escape_path_round_trips(path: str, escaped: str) -> None:
    assert escape_path(path) == escaped
    assert unescape_path(escaped) == path


def test_escape_version() -> None:
    assert escape_version("v1.0.0") == "v1.0.0"
    assert escape_version("v1.0.0-RC1") == "v1.0.0-!r!c1"


@pytest.mark.parametrize("bad", ["Github.com/x", "github.com/a!b", "github.com/ü", "x/y", ""])
def test_escape_path_rejects_invalid(bad: str) -> None:
    with pytest.raises(RKError) as info:
        escape_path(bad)
    assert info.value.code == "RK-GO-PATH-INVALID"


@pytest.mark.parametrize("bad", ["v1.0.0!", "v1/0", "", "v1.0.0:x"])
def test_escape_version_rejects_invalid(bad: str) -> None:
    with pytest.raises(RKError):
        escape_version(bad)


@pytest.mark.parametrize(
    "bad", ["github.com/!Azure/x", "github.com/Azure/x", "github.com/azure!", "github.com/!!a"]
)
def test_unescape_path_rejects_invalid(bad: str) -> None:
    with pytest.raises(RKError) as info:
        unescape_path(bad)
    assert info.value.code == "RK-GO-PATH-INVALID"


# --- the go command as the consumer -------------------------------------------


def test_go_downloads_and_builds_an_uppercase_module_from_the_tree(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    path = "example.com/Acme/Greeter"
    results = {}
    for version, greeting in [("v1.0.0", "hello 1.0"), ("v1.1.0-RC.1", "hello rc")]:
        lib = tmp_path / "src" / version
        library(lib, path, "greeter", greeting)
        results[version] = build_zip(lib, path, version, tmp_path / "dist")
        write_version(tree, path, version, results[version].path, results[version].gomod, TIME)

    folder = tree / "example.com" / "!acme" / "!greeter" / "@v"
    assert (folder / "list").read_text() == "v1.0.0\nv1.1.0-RC.1\n"
    assert json.loads((folder / "v1.1.0-!r!c.1.info").read_text()) == {
        "Version": "v1.1.0-RC.1",
        "Time": TIME,
    }
    assert (folder / "v1.0.0.mod").read_bytes() == results["v1.0.0"].gomod

    work = tmp_path / "work"
    work.mkdir()
    for version, result in results.items():
        out = json.loads(go(tmp_path, tree, work, "mod", "download", "-json", f"{path}@{version}"))
        assert out["Sum"] == result.h1
        assert out["GoModSum"] == result.gomod_h1
    versions = go(tmp_path, tree, work, "list", "-m", "-versions", path).split()
    assert versions == [path, "v1.0.0", "v1.1.0-RC.1"]

    app = tmp_path / "app"
    consumer(app, {path: "v1.1.0-RC.1"}, {"greeter": path})
    assert build_and_run(tmp_path, tree, app) == "hello rc\n"
    sums = (app / "go.sum").read_text()
    rc = results["v1.1.0-RC.1"]
    assert f"{path} v1.1.0-RC.1 {rc.h1}\n" in sums
    assert f"{path} v1.1.0-RC.1/go.mod {rc.gomod_h1}\n" in sums


def test_v2_module_in_a_subdirectory_next_to_v1(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    write(repo / "LICENSE", "root license\n")
    v1_dir, v2_dir = repo / "plugins" / "foo", repo / "plugins" / "foo" / "v2"
    v1_path, v2_path = "example.com/mono/plugins/foo", "example.com/mono/plugins/foo/v2"
    library(v1_dir, v1_path, "foo", "foo v1")
    library(v2_dir, v2_path, "foo", "foo v2")
    v1 = build_zip(v1_dir, v1_path, "v1.4.0", tmp_path / "dist1", repo)
    v2 = build_zip(v2_dir, v2_path, "v2.0.0", tmp_path / "dist2", repo)
    # The v2 folder is its own module: not in v1's zip. Both get the root LICENSE.
    assert v1.files == [f"{v1_path}@v1.4.0/{n}" for n in ("LICENSE", "foo.go", "go.mod")]
    assert v2.files == [f"{v2_path}@v2.0.0/{n}" for n in ("LICENSE", "foo.go", "go.mod")]

    tree = tmp_path / "tree"
    write_version(tree, v1_path, "v1.4.0", v1.path, v1.gomod, TIME)
    write_version(tree, v2_path, "v2.0.0", v2.path, v2.gomod, TIME)
    assert (tree / "example.com/mono/plugins/foo/v2/@v/v2.0.0.zip").is_file()

    app = tmp_path / "app"
    consumer(app, {v1_path: "v1.4.0", v2_path: "v2.0.0"}, {"foo1": v1_path, "foo2": v2_path})
    assert build_and_run(tmp_path, tree, app) == "foo v1\nfoo v2\n"
    sums = (app / "go.sum").read_text()
    assert f"{v1_path} v1.4.0 {v1.h1}\n" in sums
    assert f"{v2_path} v2.0.0 {v2.h1}\n" in sums


# --- immutability and idempotence -------------------------------------------------


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path, ZipResult]:
    lib = tmp_path / "lib"
    library(lib, "example.com/lib", "lib", "hi")
    result = build_zip(lib, "example.com/lib", "v1.0.0", tmp_path / "dist")
    tree = tmp_path / "tree"
    write_version(tree, "example.com/lib", "v1.0.0", result.path, result.gomod, TIME)
    return tree, lib, result


def _mtimes(tree: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in tree.rglob("*")}


def test_same_version_again_is_a_no_op(published: tuple[Path, Path, ZipResult]) -> None:
    tree, _, result = published
    before, times = snapshot(tree), _mtimes(tree)
    write_version(
        tree, "example.com/lib", "v1.0.0", result.path, result.gomod, "2030-01-01T00:00:00Z"
    )
    assert snapshot(tree) == before
    assert _mtimes(tree) == times


def test_same_content_in_other_zip_bytes_is_accepted(
    tmp_path: Path, published: tuple[Path, Path, ZipResult]
) -> None:
    tree, _, result = published
    stored = tmp_path / "stored.zip"
    with zipfile.ZipFile(result.path) as src, zipfile.ZipFile(stored, "w") as dst:
        for name in reversed(src.namelist()):
            dst.writestr(name, src.read(name), compress_type=zipfile.ZIP_STORED)
    assert stored.read_bytes() != result.path.read_bytes()
    before = snapshot(tree)
    write_version(tree, "example.com/lib", "v1.0.0", stored, result.gomod, TIME)
    assert snapshot(tree) == before


def test_other_content_for_a_published_version_is_rejected(
    tmp_path: Path, published: tuple[Path, Path, ZipResult]
) -> None:
    tree, lib, _ = published
    write(lib / "lib.go", 'package lib\n\nfunc Hello() string { return "changed" }\n')
    changed = build_zip(lib, "example.com/lib", "v1.0.0", tmp_path / "dist2")
    before = snapshot(tree)
    with pytest.raises(RKError) as info:
        write_version(tree, "example.com/lib", "v1.0.0", changed.path, changed.gomod, TIME)
    assert info.value.code == "RK-GO-VERSION-IMMUTABLE"
    assert snapshot(tree) == before


def test_other_go_mod_for_a_published_version_is_rejected(
    tmp_path: Path, published: tuple[Path, Path, ZipResult]
) -> None:
    tree, lib, _ = published
    write(lib / "go.mod", "module example.com/lib\n\ngo 1.23\n")
    changed = build_zip(lib, "example.com/lib", "v1.0.0", tmp_path / "dist2")
    before = snapshot(tree)
    with pytest.raises(RKError) as info:
        write_version(tree, "example.com/lib", "v1.0.0", changed.path, changed.gomod, TIME)
    assert info.value.code == "RK-GO-VERSION-IMMUTABLE"
    assert info.value.path == tree / "example.com/lib/@v/v1.0.0.mod"
    assert snapshot(tree) == before


def test_interrupted_write_is_completed(published: tuple[Path, Path, ZipResult]) -> None:
    tree, _, result = published
    folder = tree / "example.com/lib/@v"
    for name in ("list", "v1.0.0.info", "v1.0.0.mod"):
        (folder / name).unlink()
    write_version(tree, "example.com/lib", "v1.0.0", result.path, result.gomod, TIME)
    assert sorted(p.name for p in folder.iterdir()) == [
        "list",
        "v1.0.0.info",
        "v1.0.0.mod",
        "v1.0.0.zip",
    ]
    assert (folder / "list").read_text() == "v1.0.0\n"


def test_list_is_kept_in_semver_order(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    library(lib, "example.com/lib", "lib", "hi")
    tree = tmp_path / "tree"
    order = ["v1.10.0", "v1.2.0", "v1.2.0-rc.1", "v1.2.0-beta.10", "v0.9.0", "v1.2.0-beta.2"]
    for version in order:
        result = build_zip(lib, "example.com/lib", version, tmp_path / "dist")
        write_version(tree, "example.com/lib", version, result.path, result.gomod, TIME)
    assert (tree / "example.com/lib/@v/list").read_text().split() == [
        "v0.9.0",
        "v1.2.0-beta.2",
        "v1.2.0-beta.10",
        "v1.2.0-rc.1",
        "v1.2.0",
        "v1.10.0",
    ]


# --- bad input changes nothing ----------------------------------------------------


def test_zip_of_another_version_is_rejected(
    tmp_path: Path, published: tuple[Path, Path, ZipResult]
) -> None:
    tree, _, result = published
    before = snapshot(tree)
    with pytest.raises(RKError) as info:
        write_version(tree, "example.com/lib", "v1.0.1", result.path, result.gomod, TIME)
    assert info.value.code == "RK-GO-ZIP-INVALID"
    assert "v1.0.0" in info.value.message
    assert snapshot(tree) == before


def test_go_mod_differing_from_the_zips_is_rejected(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    library(lib, "example.com/lib", "lib", "hi")
    result = build_zip(lib, "example.com/lib", "v1.0.0", tmp_path / "dist")
    with pytest.raises(RKError) as info:
        write_version(
            tmp_path / "tree", "example.com/lib", "v1.0.0", result.path, b"module x\n", TIME
        )
    assert info.value.code == "RK-GO-ZIP-INVALID"
    assert not (tmp_path / "tree").exists()


@pytest.mark.parametrize(
    "bad", ["2024-05-01 12:00:00Z", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "yesterday"]
)
def test_bad_time_is_rejected(tmp_path: Path, bad: str) -> None:
    lib = tmp_path / "lib"
    library(lib, "example.com/lib", "lib", "hi")
    result = build_zip(lib, "example.com/lib", "v1.0.0", tmp_path / "dist")
    with pytest.raises(RKError) as info:
        write_version(
            tmp_path / "tree", "example.com/lib", "v1.0.0", result.path, result.gomod, bad
        )
    assert info.value.code == "RK-GO-INFO-INVALID"
    assert not (tmp_path / "tree").exists()
