"""Go module zips and h1: hashes, checked against the real go command.

The oracle: the go command builds a module zip itself when it fetches a module
straight from git (GOPROXY=direct). A git ``url.<local repo>.insteadOf`` rule
points the module's https URL at a repository in tmp, so `go mod download`
reports the Sum/GoModSum of Go's own zip of our tagged fixture, no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go.modzip import (
    MAX_GO_MOD,
    MAX_LICENSE,
    check_module_version,
    create_module_zip,
    h1_hash_files,
    h1_hash_gomod,
    h1_hash_zip,
)
from releasekit_tasks.errors import RKError
from tests.repos.common import git_init, write

EMPTY_H1 = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # x/mod zip_test emptyHash


def go_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An isolated go environment: its own module cache, no network, no sum database."""
    env = dict(os.environ)
    env.update(
        GOPATH=str(tmp / "gopath"),
        GOMODCACHE=str(tmp / "gopath" / "pkg" / "mod"),
        GOFLAGS="-modcacherw",
        GOTOOLCHAIN="local",
        GOSUMDB="off",
        GOWORK="off",
        GOPROXY="off",
    )
    env.update(extra)
    return env


def go_vcs_download(repo: Path, module_path: str, version: str, tmp: Path) -> dict[str, object]:
    """`go mod download -json` of a module the go command zips itself from ``repo``."""
    assert shutil.which("go"), "go must be on PATH (source scripts/env.sh)"
    url = "https://" + module_path.split(".git")[0]
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text(f'[url "{repo}"]\n\tinsteadOf = {url}\n', encoding="utf-8")
    env = go_env(
        tmp,
        GOPROXY="direct",
        GOPRIVATE="example.com",
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
    )
    cwd = tmp / "downloader"
    cwd.mkdir(exist_ok=True)
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{module_path}@{version}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def zip_names(path: Path | str) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


def write_module(folder: Path, module_path: str, go_version: str) -> None:
    """A module exercising every inclusion rule (see EXPECTED)."""
    write(folder / "go.mod", f"module {module_path}\n\ngo {go_version}\n")
    write(folder / "a.go", 'package m\n\nfunc A() string { return "a" }\n')
    write(folder / "testdata" / "golden.txt", "testdata is kept\n")
    write(folder / "internal" / "x" / "x.go", "package x\n")
    write(folder / ".config" / "settings.json", "{}\n")
    write(folder / "with space.txt", "spaces are allowed\n")
    write(folder / "ünïcode.txt", "letters are allowed\n")
    write(folder / "vendor" / "modules.txt", "# kept before go 1.24\n")
    write(folder / "vendor" / "vendor.go", "package vendor\n")
    write(folder / "vendor" / "example.com" / "dep" / "dep.go", "package dep\n")
    write(folder / "pkg" / "vendor" / "vendor.go", "package vendor\n")  # issue 37397
    write(folder / "nested" / "go.mod", f"module {module_path}/nested\n\ngo {go_version}\n")
    write(folder / "nested" / "n.go", "package nested\n")
    write(folder / "nested" / "deeper" / "d.go", "package deeper\n")
    write(folder / ".hg_archival.txt", "repo: 0\n")
    (folder / "link.go").symlink_to("a.go")


ALWAYS = [
    ".config/settings.json",
    "a.go",
    "go.mod",
    "internal/x/x.go",
    "testdata/golden.txt",
    "vendor/vendor.go",
    "with space.txt",
    "ünïcode.txt",
]
EXPECTED = {
    "1.22": [*ALWAYS, "vendor/modules.txt"],
    "1.24": [*ALWAYS, "pkg/vendor/vendor.go"],
}


@pytest.mark.parametrize("layout", ["root", "sub"])
@pytest.mark.parametrize("go_version", ["1.22", "1.24"])
def test_zip_matches_the_go_commands_own_zip(tmp_path: Path, layout: str, go_version: str) -> None:
    repo = tmp_path / "mono"
    write(repo / "LICENSE", "Apache-2.0 (root)\n")
    write(repo / "README.md", "the repository's readme, not the module's\n")
    if layout == "root":
        module_dir, module_path, tag = repo, "example.com/mono.git", "v1.0.0"
    else:
        module_dir, module_path, tag = repo / "sub", "example.com/mono.git/sub", "sub/v1.0.0"
    write_module(module_dir, module_path, go_version)
    git_init(repo)
    subprocess.run(["git", "tag", tag], cwd=repo, check=True)
    # Untracked VCS folders: CreateFromDir skips them by name, git never sees them.
    for vcs in (".hg", ".svn", ".bzr"):
        write(module_dir / vcs / "store", "vcs data\n")

    go = go_vcs_download(repo, module_path, "v1.0.0", tmp_path)
    from_dir = create_module_zip(
        module_dir, module_path, "v1.0.0", tmp_path / "d.zip", repo_root=repo
    )
    from_git = create_module_zip(
        module_dir, module_path, "v1.0.0", tmp_path / "g.zip", repo_root=repo, rev=tag
    )

    prefix = f"{module_path}@v1.0.0/"
    want = sorted(prefix + name for name in [*EXPECTED[go_version], "LICENSE"])
    if layout == "root":
        want = sorted([*want, prefix + "README.md"])
    assert zip_names(str(go["Zip"])) == want
    for ours in (from_dir, from_git):
        assert ours.files == want
        assert zip_names(ours.path) == want
        assert ours.h1 == go["Sum"]
        assert ours.gomod_h1 == go["GoModSum"]
        assert h1_hash_zip(ours.path) == go["Sum"]
    with zipfile.ZipFile(from_dir.path) as archive:
        assert archive.read(prefix + "LICENSE") == b"Apache-2.0 (root)\n"


def test_rev_mode_leaves_out_untracked_and_ignored_files_like_go(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    write(repo / "go.mod", "module example.com/mono.git\n\ngo 1.22\n")
    write(repo / "m.go", "package m\n")
    write(repo / ".gitignore", "*.log\n")
    git_init(repo)
    subprocess.run(["git", "tag", "v0.3.0"], cwd=repo, check=True)
    write(repo / "build.log", "ignored\n")
    write(repo / "notes.txt", "untracked\n")
    write(repo / "m.go", "package m // edited after the tag\n")

    go = go_vcs_download(repo, "example.com/mono.git", "v0.3.0", tmp_path)
    from_git = create_module_zip(
        repo, "example.com/mono.git", "v0.3.0", tmp_path / "g.zip", repo_root=repo, rev="v0.3.0"
    )
    from_dir = create_module_zip(repo, "example.com/mono.git", "v0.3.0", tmp_path / "d.zip")

    assert from_git.h1 == go["Sum"]
    assert from_dir.h1 != go["Sum"]  # the working tree is not the tag
    p = "example.com/mono.git@v0.3.0/"
    assert from_git.files == [p + ".gitignore", p + "go.mod", p + "m.go"]
    assert p + "notes.txt" in from_dir.files and p + "build.log" in from_dir.files


def test_submodule_keeps_its_own_license(tmp_path: Path) -> None:
    write(tmp_path / "LICENSE", "root\n")
    write(tmp_path / "lib" / "go.mod", "module example.com/r/lib\n")
    write(tmp_path / "lib" / "LICENSE", "lib's own\n")
    result = create_module_zip(
        tmp_path / "lib", "example.com/r/lib", "v1.0.0", tmp_path / "o.zip", repo_root=tmp_path
    )
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("example.com/r/lib@v1.0.0/LICENSE") == b"lib's own\n"


def test_zip_is_deterministic_and_hashes_match(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    write(mod / "go.mod", "module example.com/m\n\ngo 1.22\n")
    write(mod / "b.go", "package m\n")
    write(mod / "a" / "b.go", "package a\n")
    write(mod / "a.go", "package m\n")
    first = create_module_zip(mod, "example.com/m", "1.2.3", tmp_path / "1.zip")
    second = create_module_zip(mod, "example.com/m", "v1.2.3", tmp_path / "2.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.size == first.path.stat().st_size
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == [
        "example.com/m@v1.2.3/a.go",
        "example.com/m@v1.2.3/a/b.go",
        "example.com/m@v1.2.3/b.go",
        "example.com/m@v1.2.3/go.mod",
    ]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert first.gomod == (mod / "go.mod").read_bytes()
    assert first.gomod_h1 == h1_hash_gomod(first.gomod)
    by_path = {n: mod / n.removeprefix("example.com/m@v1.2.3/") for n in first.files}
    by_bytes = {n: p.read_bytes() for n, p in by_path.items()}
    assert h1_hash_files(by_path) == h1_hash_files(by_bytes) == first.h1


def test_x_mod_golden_hashes(tmp_path: Path) -> None:
    assert h1_hash_files({}) == EMPTY_H1
    # x/mod TestCreateFromDirSpecial "dir_is_vendor": a module folder named
    # vendor is not itself vendored.
    vendor = tmp_path / "vendor"
    write(vendor / "go.mod", "module example.com/m\n\ngo 1.13\n")
    result = create_module_zip(vendor, "example.com/m", "v1.0.0", tmp_path / "o.zip")
    assert result.h1 == "h1:XduFAgX/GaspZa8Jv4pfzoGEzNaU/r88PiCunijw5ok="


def _assert_rejected(tmp_path: Path, mod: Path, code: str, *needles: str) -> RKError:
    out = tmp_path / "dist" / "o.zip"
    with pytest.raises(RKError) as info:
        create_module_zip(mod, "example.com/m", "v1.0.0", out)
    assert info.value.code == code
    for needle in needles:
        assert needle in info.value.message
    assert not out.parent.exists()  # nothing written
    return info.value


def test_case_fold_collision_is_rejected(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    write(mod / "go.mod", "module example.com/m\n")
    write(mod / "A.go", "package m\n")
    write(mod / "a.go", "package m\n")
    error = _assert_rejected(tmp_path, mod, "RK-GO-ZIP-INVALID", "'A.go'", "'a.go'", "collision")
    assert error.path is not None and error.path.parent == mod


def test_case_fold_collision_between_folders_is_rejected(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    write(mod / "go.mod", "module example.com/m\n")
    write(mod / "Pkg" / "x.go", "package pkg\n")
    write(mod / "pkg" / "y.go", "package pkg\n")
    _assert_rejected(tmp_path, mod, "RK-GO-ZIP-INVALID", "'Pkg'", "'pkg'")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad:name.go", "invalid char ':'"),
        ("what?.go", "invalid char '?'"),
        ("it's.go", "invalid char"),
        ("con.go", "disallowed as path element component on Windows"),
        ("aux/x.go", "disallowed as path element component on Windows"),
        ("trailing.", "trailing dot"),
        ("GO.MOD", "go.mod files must have lowercase names"),
    ],
)
def test_invalid_file_names_are_rejected(tmp_path: Path, name: str, reason: str) -> None:
    mod = tmp_path / "m"
    write(mod / "go.mod", "module example.com/m\n")
    write(mod / name, "x\n")
    error = _assert_rejected(tmp_path, mod, "RK-GO-ZIP-INVALID", name, reason)
    assert error.path == mod / name


def _sparse(path: Path, size: int, head: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)


def test_oversize_go_mod_and_license_are_rejected(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    _sparse(mod / "go.mod", MAX_GO_MOD + 1, b"module example.com/m\n")
    _sparse(mod / "LICENSE", MAX_LICENSE + 1)
    error = _assert_rejected(tmp_path, mod, "RK-GO-ZIP-INVALID", "go.mod file too large")
    assert "LICENSE file too large" in error.message


def test_limits_are_inclusive(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    _sparse(mod / "go.mod", MAX_GO_MOD, b"module example.com/m\n")
    result = create_module_zip(mod, "example.com/m", "v1.0.0", tmp_path / "o.zip")
    assert result.files == ["example.com/m@v1.0.0/go.mod"]


def test_module_over_500_mib_is_rejected_without_reading_it(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    write(mod / "go.mod", "module example.com/m\n")
    _sparse(mod / "data" / "one.bin", 260 << 20)
    _sparse(mod / "data" / "two.bin", 260 << 20)
    _assert_rejected(tmp_path, mod, "RK-GO-ZIP-TOO-LARGE", "too large")


def test_missing_go_mod(tmp_path: Path) -> None:
    mod = tmp_path / "m"
    write(mod / "m.go", "package m\n")
    _assert_rejected(tmp_path, mod, "RK-MANIFEST-MISSING", "no go.mod")


@pytest.mark.parametrize(
    ("path", "version", "code"),
    [
        ("Example.com/m", "v1.0.0", "RK-GO-PATH-INVALID"),
        ("example.com/m/v1", "v1.0.0", "RK-GO-PATH-INVALID"),
        ("example/m", "v1.0.0", "RK-GO-PATH-INVALID"),
        ("example.com/m!", "v1.0.0", "RK-GO-PATH-INVALID"),
        ("example.com/m", "v1.2", "RK-VERSION-INVALID"),
        ("example.com/m", "v1.0.0+build.5", "RK-VERSION-INVALID"),
        ("example.com/m", "v1.0.0-01", "RK-VERSION-INVALID"),
        ("example.com/m", "v2.0.0", "RK-CHECK-GO-MAJOR"),
        ("example.com/m/v2", "v1.0.0", "RK-CHECK-GO-MAJOR"),
        ("example.com/m/v2", "v3.0.0", "RK-CHECK-GO-MAJOR"),
    ],
)
def test_bad_module_path_or_version(path: str, version: str, code: str) -> None:
    with pytest.raises(RKError) as info:
        check_module_version(path, version)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("example.com/m", "1.2.3"),
        ("example.com/m/v2", "v2.0.0-rc.1"),
        ("example.com/m", "v2.0.0+incompatible"),
        ("gopkg.in/yaml.v3", "v3.0.1"),
        ("example.com/Upper/Case~x", "v0.1.0"),
    ],
)
def test_good_module_path_and_version(path: str, version: str) -> None:
    assert check_module_version(path, version) == ("v" + version.removeprefix("v"))
