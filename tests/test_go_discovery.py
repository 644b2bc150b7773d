"""Go discovery: go.work and nested go.mod scans, internal edges, versions, bad input.

The fixtures are real Go repositories: one test runs the go command on them
(offline) and checks that its view of local replacements matches ours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from releasekit_tasks.config import EcosystemConfig, RootConfig, load_root_config
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.ecosystems.go import ECOSYSTEM
from releasekit_tasks.ecosystems.go.discover import tag_for, tag_prefix
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Package
from tests.repos.common import git_init, snapshot, write
from tests.repos.golang import GENKIT, GENKIT_LIKE, GOOGLEAI, HELLO, REPO, VERTEXAI, Mod, go_repo

GO = shutil.which("go")


def discover(
    root: Path, workspace: str = "go", versions_file: str = ".versions.json"
) -> list[Package]:
    eco = EcosystemConfig(
        label="go", kind="go", workspace_root=root / workspace, registry="https://proxy.golang.org/"
    )
    return ECOSYSTEM.discover(eco, RootConfig(root=root, versions_file=versions_file))


def by_name(packages: list[Package]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def edges(package: Package) -> dict[str, tuple[str, bool]]:
    return {d.name: (d.kind, d.internal) for d in package.dependencies}


def expect_error(root: Path, code: str, workspace: str = "go") -> RKError:
    before = snapshot(root)
    with pytest.raises(RKError) as info:
        discover(root, workspace)
    assert info.value.code == code
    assert snapshot(root) == before
    return info.value


# --- membership ----------------------------------------------------------------


def test_go_work_block_use(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, go_work="block", replaces=False)
    write(tmp_path / "LICENSE", "Apache-2.0\n")
    write(ws / "genkit/README.md", "# genkit\n")
    write(ws / "plugins/googleai/LICENSE.txt", "MIT\n")
    packages = discover(tmp_path)

    assert [p.name for p in packages] == [m.path for m in GENKIT_LIKE]  # go.work order
    assert all(p.ecosystem == "go" and p.label == "go" for p in packages)
    pkgs = by_name(packages)
    genkit = pkgs[GENKIT.path]
    assert (genkit.path, genkit.manifest) == (ws / "genkit", ws / "genkit/go.mod")
    assert genkit.id == f"go/{GENKIT.path}"
    # With go.work every required member is built from the workspace: internal.
    assert edges(pkgs[VERTEXAI.path]) == {
        GENKIT.path: ("require", True),
        GOOGLEAI.path: ("require", True),
    }
    assert edges(pkgs[HELLO.path]) == {
        GENKIT.path: ("indirect", True),
        GOOGLEAI.path: ("require", True),
        VERTEXAI.path: ("require", True),
    }
    assert {d.spec for d in pkgs[HELLO.path].dependencies} == {"v0.1.0", "v2.0.0"}
    # Metadata: the module's own files, else the repository's LICENSE.
    assert genkit.metadata == {"readme": "go/genkit/README.md", "license": "LICENSE"}
    assert pkgs[GOOGLEAI.path].metadata == {"license": "go/plugins/googleai/LICENSE.txt"}
    # No versions file, no git: the version is unknown, never the go directive.
    assert all(p.version is None and p.version_source == "none" for p in packages)


def test_go_work_single_use_and_folders_outside_the_workspace(tmp_path: Path) -> None:
    go_repo(tmp_path, (GENKIT, GOOGLEAI), go_work="single", replaces=False)
    shared = Mod("../shared", f"{REPO}/shared")
    write(tmp_path / "shared/go.mod", f"module {shared.path}\n\ngo 1.22\n")
    gowork = tmp_path / "go/go.work"
    gowork.write_text(gowork.read_text() + "use ../shared\n")
    packages = discover(tmp_path)
    assert [p.name for p in packages] == [GENKIT.path, GOOGLEAI.path, shared.path]
    assert packages[2].path == tmp_path / "shared"


def test_go_work_lists_only_used_modules(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, go_work="block", replaces=False)
    write(ws / "go.work", "go 1.22\n\nuse ./plugins/googleai // genkit is not used\n")
    (googleai,) = discover(tmp_path)
    assert edges(googleai) == {GENKIT.path: ("require", False)}


def test_scan_without_go_work_skips_what_go_skips(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, go_work=None)
    # Never read (they are malformed): vendor, testdata, _x, .x, node_modules.
    for skipped in ("vendor/a.com/x", "genkit/testdata/mod", "_old", ".cache/m", "node_modules/m"):
        write(ws / skipped / "go.mod", "this is ( not a go.mod\n")
    # Nested modules at any depth are members.
    nested = Mod("genkit/internal/tools", f"{REPO}/go/genkit/internal/tools")
    write(ws / nested.dir / "go.mod", f"module {nested.path}\n")
    packages = discover(tmp_path)
    assert [p.path.relative_to(ws).as_posix() for p in packages] == [
        "genkit",
        "genkit/internal/tools",
        "plugins/googleai",
        "plugins/vertexai/v2",
        "samples/hello",
    ]
    pkgs = by_name(packages)
    # Local replaces to the members' folders make the edges internal.
    assert edges(pkgs[HELLO.path]) == {
        GENKIT.path: ("indirect", True),
        GOOGLEAI.path: ("require", True),
        VERTEXAI.path: ("require", True),
    }


def test_required_member_without_local_replace_is_external(tmp_path: Path) -> None:
    go_repo(tmp_path, go_work=None, pinned=frozenset({GENKIT.path}))
    pkgs = by_name(discover(tmp_path))
    assert edges(pkgs[GOOGLEAI.path]) == {GENKIT.path: ("require", False)}
    assert edges(pkgs[VERTEXAI.path]) == {
        GENKIT.path: ("require", False),
        GOOGLEAI.path: ("require", True),
    }


def test_replace_must_point_at_the_member_and_match_the_version(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, (GENKIT,), go_work=None)
    write(ws / "fork/go.mod", "module example.com/fork\n")
    write(
        ws / "users/go.mod",
        f"""
        module {REPO}/go/users

        require (
        \t{GENKIT.path} v0.1.0
        )

        replace {GENKIT.path} v0.0.9 => ../genkit
        """,
    )
    write(
        ws / "users2/go.mod",
        f"module {REPO}/go/users2\nrequire {GENKIT.path} v0.1.0\nreplace {GENKIT.path} => ../fork\n",
    )
    write(
        ws / "users3/go.mod",
        f"module {REPO}/go/users3\nrequire {GENKIT.path} v0.1.0\n"
        f"replace {GENKIT.path} v0.1.0 => {ws / 'genkit'}\n",
    )
    pkgs = by_name(discover(tmp_path))
    assert edges(pkgs[f"{REPO}/go/users"]) == {GENKIT.path: ("require", False)}  # other version
    assert edges(pkgs[f"{REPO}/go/users2"]) == {GENKIT.path: ("require", False)}  # other folder
    assert edges(pkgs[f"{REPO}/go/users3"]) == {GENKIT.path: ("require", True)}  # absolute path


def test_publishable_needs_a_dot_in_the_first_path_element(tmp_path: Path) -> None:
    go_repo(tmp_path)
    pkgs = by_name(discover(tmp_path))
    assert pkgs[GENKIT.path].publishable and pkgs[GENKIT.path].reason == ""
    hello = pkgs[HELLO.path]
    assert not hello.publishable
    assert "no dot in its first element (example)" in hello.reason


# --- versions ------------------------------------------------------------------


def tag(root: Path, *names: str) -> None:
    for name in names:
        subprocess.run(["git", "tag", name], cwd=root, check=True, capture_output=True)


def test_versions_from_path_prefixed_tags(tmp_path: Path) -> None:
    go_repo(tmp_path)
    git_init(tmp_path)
    tag(
        tmp_path,
        "go/genkit/v0.5.0",
        "go/genkit/v0.6.0",
        "go/genkit/v0.10.0-rc.1",  # highest precedence, prerelease included
        "go/genkit/v0.11",  # not a canonical version
        "go/genkit/v0.12.0+build",  # build metadata: not a module version
        "go/genkit/v2.0.0",  # major 2 does not fit a path without /v2
        "go/genkit/sub/v9.0.0",  # another prefix
        "go/genkitx/v9.0.0",
        "genkit-v9.0.0",
        "v9.0.0",  # the repository root's tag
        "go/plugins/vertexai/v1.9.0",  # v1 does not fit the /v2 module
        "go/plugins/vertexai/v2.1.0",  # /v2 module in a v2/ folder: prefix without v2/
        "go/plugins/vertexai/v2/v2.5.0",  # not how Go names it
    )
    pkgs = by_name(discover(tmp_path))
    assert pkgs[GENKIT.path].version == "v0.10.0-rc.1"
    assert pkgs[GENKIT.path].version_source == "tag go/genkit/v0.10.0-rc.1"
    assert pkgs[VERTEXAI.path].version == "v2.1.0"
    assert pkgs[VERTEXAI.path].version_source == "tag go/plugins/vertexai/v2.1.0"
    assert (pkgs[GOOGLEAI.path].version, pkgs[GOOGLEAI.path].version_source) == (None, "none")


def test_root_module_uses_bare_tags(tmp_path: Path) -> None:
    root_mod = Mod(".", REPO)
    lib = Mod("lib", f"{REPO}/lib", (REPO,))
    go_repo(tmp_path, (root_mod, lib), workspace=".", go_work=None)
    git_init(tmp_path)
    tag(tmp_path, "v1.2.0", "v1.10.0", "lib/v0.3.0")
    pkgs = by_name(discover(tmp_path, workspace="."))
    assert (pkgs[REPO].version, pkgs[REPO].version_source) == ("v1.10.0", "tag v1.10.0")
    assert pkgs[lib.path].version == "v0.3.0"
    assert edges(pkgs[lib.path]) == {REPO: ("require", True)}


def test_versions_file_wins_over_tags(tmp_path: Path) -> None:
    go_repo(tmp_path)
    write(
        tmp_path / ".versions.json",
        json.dumps({"go/genkit": "0.6.0", "go/plugins/vertexai/v2": "v2.0.0-rc.1", "py/x": "1.0"}),
    )
    git_init(tmp_path)
    tag(tmp_path, "go/genkit/v0.9.0", "go/plugins/googleai/v0.4.0")
    pkgs = by_name(discover(tmp_path))
    assert (pkgs[GENKIT.path].version, pkgs[GENKIT.path].version_source) == (
        "v0.6.0",
        "versions file",
    )
    assert pkgs[VERTEXAI.path].version == "v2.0.0-rc.1"
    assert pkgs[GOOGLEAI.path].version_source == "tag go/plugins/googleai/v0.4.0"


def test_tag_prefix_and_tag_for(tmp_path: Path) -> None:
    repo = tmp_path
    assert tag_prefix(repo / "plugins/foo", "example.com/r/plugins/foo", repo) == "plugins/foo/"
    assert tag_prefix(repo, "example.com/r", repo) == ""
    # Major subdirectory and major branch layouts both tag as foo/v2.x.y.
    assert tag_prefix(repo / "foo/v2", "example.com/r/foo/v2", repo) == "foo/"
    assert tag_prefix(repo / "foo", "example.com/r/foo/v2", repo) == "foo/"
    assert tag_prefix(repo / "v2", "example.com/r/v2", repo) == ""
    # A v2 folder of a module without the suffix is an ordinary folder.
    assert tag_prefix(repo / "api/v2", "example.com/r/api", repo) == "api/v2/"
    assert tag_for("plugins/foo/", "0.6.0") == "plugins/foo/v0.6.0"
    assert tag_for("", "v1.0.0") == "v1.0.0"


# --- detection and config --------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    write(tmp_path / "work/go.work", "go 1.22\n")
    write(tmp_path / "root/go.mod", "module a.com/m\n")
    write(tmp_path / "two/a/b/go.mod", "module a.com/m\n")
    write(tmp_path / "three/a/b/c/go.mod", "module a.com/m\n")
    write(tmp_path / "vendored/vendor/a/go.mod", "module a.com/m\n")
    (tmp_path / "empty").mkdir()
    found = {name: ECOSYSTEM.detect(tmp_path / name) for name in sorted(os.listdir(tmp_path))}
    assert found == {
        "empty": False,
        "root": True,
        "three": False,
        "two": True,
        "vendored": False,
        "work": True,
    }
    assert not ECOSYSTEM.detect(tmp_path / "missing")


def test_config_detects_go_and_discovers(tmp_path: Path) -> None:
    go_repo(tmp_path)
    write(tmp_path / "releasekit.toml", '[ecosystems.go]\nworkspace_root = "go"\n')
    config = load_root_config(tmp_path)
    eco = config.ecosystems["go"]
    assert eco.kind == "go"
    packages = get_ecosystem("go").discover(eco, config)
    assert len(packages) == len(GENKIT_LIKE)


# --- bad input: a coded error naming the file, and nothing changed -----------------


def test_malformed_go_mod(tmp_path: Path) -> None:
    ws = go_repo(tmp_path)
    gomod = ws / "plugins/googleai/go.mod"
    gomod.write_text(gomod.read_text() + "require (\n\tbroken\n)\n")
    error = expect_error(tmp_path, "RK-MANIFEST-PARSE")
    assert error.path == gomod
    assert error.line == len(gomod.read_text().splitlines()) - 1


def test_malformed_go_work(tmp_path: Path) -> None:
    ws = go_repo(tmp_path)
    write(ws / "go.work", "go 1.22\n\nuse (\n\t./genkit\n")
    error = expect_error(tmp_path, "RK-MANIFEST-PARSE")
    assert (error.path, error.line) == (ws / "go.work", 3)


def test_use_folder_without_go_mod(tmp_path: Path) -> None:
    ws = go_repo(tmp_path)
    write(ws / "go.work", "go 1.22\n\nuse (\n\t./genkit\n\t./plugins/nothing\n)\n")
    error = expect_error(tmp_path, "RK-MANIFEST-MISSING")
    assert (error.path, error.line) == (ws / "go.work", 5)
    assert "plugins/nothing" in error.message


def test_go_mod_without_module_directive(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, go_work=None)
    write(ws / "plugins/googleai/go.mod", "go 1.22\n")
    error = expect_error(tmp_path, "RK-MANIFEST-FIELD")
    assert error.path == ws / "plugins/googleai/go.mod"


def test_invalid_version_in_versions_file(tmp_path: Path) -> None:
    go_repo(tmp_path)
    write(
        tmp_path / ".versions.json",
        '{\n  "go/genkit": "0.6.0",\n  "go/plugins/googleai": "v1.2"\n}\n',
    )
    error = expect_error(tmp_path, "RK-VERSION-INVALID")
    assert (error.path, error.line) == (tmp_path / ".versions.json", 3)
    assert "go/plugins/googleai" in error.message


def test_duplicate_module_paths(tmp_path: Path) -> None:
    ws = go_repo(tmp_path, go_work=None)
    write(ws / "copy/go.mod", f"module {GENKIT.path}\n")
    error = expect_error(tmp_path, "RK-PACKAGE-DUPLICATE")
    assert str(ws / "copy/go.mod") in error.message  # the first one found (path order)
    assert (error.path, error.line) == (ws / "genkit/go.mod", 1)


def test_no_go_work_and_no_go_mod(tmp_path: Path) -> None:
    write(tmp_path / "go/README.md", "no modules here\n")
    write(tmp_path / "go/vendor/a/go.mod", "module a.com/a\n")  # skipped, so still none
    expect_error(tmp_path, "RK-WORKSPACE-MISSING")
    expect_error(tmp_path, "RK-WORKSPACE-MISSING", workspace="absent")
    write(tmp_path / "go/go.work", "go 1.22\n")
    assert "uses no module" in expect_error(tmp_path, "RK-WORKSPACE-MISSING").message


# --- the go command agrees -------------------------------------------------------


def go(folder: Path, *args: str, gowork: str) -> str:
    assert GO, "the go toolchain must be on PATH (source scripts/env.sh)"
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off", GOWORK=gowork)
    # -mod=mod is refused in workspace mode; readonly is its default there.
    env["GOFLAGS"] = "-mod=mod" if gowork == "off" else ""
    result = subprocess.run([GO, *args], cwd=folder, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_fixtures_are_valid_for_the_go_command(tmp_path: Path) -> None:
    # Without go.work: each module's own replaces; the go command lists which
    # requirements it takes from local folders, and those are our internal edges.
    plain = go_repo(tmp_path / "plain", go_work=None)
    before = snapshot(tmp_path)
    template = "{{.Path}}|{{with .Replace}}{{.Path}}|{{.Version}}{{end}}"
    for package in discover(tmp_path / "plain"):
        local = set()
        for line in go(package.path, "list", "-m", "-f", template, "all", gowork="off").split():
            path, _, replacement = line.partition("|")
            new_path, _, new_version = replacement.partition("|")
            if new_path and not new_version:
                assert (package.path / new_path / "go.mod").is_file()
                local.add(path)
        assert local == {d.name for d in package.internal_dependencies}, package.name
    go(plain / "samples/hello", "build", "./...", gowork="off")
    # With go.work: every module is a main module of the workspace.
    work = go_repo(tmp_path / "work", go_work="block")
    mains = go(work, "list", "-m", "all", gowork=str(work / "go.work")).split()
    assert set(mains) == {m.path for m in GENKIT_LIKE}
    go(work, "build", *[f"./{m.dir}/..." for m in GENKIT_LIKE], gowork=str(work / "go.work"))
    # The fixtures are tidy: the go command did not have to change a file.
    assert {k: v for k, v in snapshot(tmp_path).items() if k.startswith("plain/")} == before
