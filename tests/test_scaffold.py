"""`python -m releasekit_tasks init` in a real repository, then `doit plan` on what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from releasekit_tasks.scaffold import DODO, detect_workspaces
from tests.publishing import doit
from tests.repos.common import snapshot, write
from tests.repos.golang import Mod, go_repo
from tests.repos.pnpm import manifest, pnpm_workspace
from tests.repos.uv import WORKSPACE, member, uv_workspace

ECOSYSTEMS = {
    "py": {"kind": "uv", "workspace_root": "py"},
    "js": {"kind": "pnpm", "workspace_root": "js"},
    "go": {"kind": "go", "workspace_root": "go"},
}
IDS = {"py/core", "py/app", "js/@x/core", "js/@x/app", "go/example.com/x/go/core"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """py/ (uv), js/ (pnpm), go/ (go.work), and node_modules/ that detection must skip."""
    root = tmp_path / "repo"
    uv_workspace(
        root / "py",
        {
            "packages/core": member("core"),
            "packages/app": member("app", deps=["core"], sources={"core": WORKSPACE}),
        },
    )
    pnpm_workspace(
        root / "js",
        {
            "packages/core": manifest("@x/core"),
            "packages/app": manifest("@x/app", deps={"@x/core": "workspace:^"}),
        },
    )
    go_repo(root, (Mod("core", "example.com/x/go/core"),), workspace="go")
    write(root / "node_modules/pkg/pnpm-workspace.yaml", "packages: []\n")
    write(root / ".gitignore", "node_modules")  # no final newline
    return root


def init(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "releasekit_tasks", "init", *args],
        cwd=cwd or root,
        capture_output=True,
        text=True,
    )


def actions(stdout: str) -> list[str]:
    """What init did to files (after what it inferred, which is indented)."""
    return [line for line in stdout.splitlines() if line != "inferred:" and line[:1] != " "]


def test_init_writes_config_and_dodo_and_doit_plan_works(repo: Path) -> None:
    result = init(repo)
    assert result.returncode == 0, result.stderr
    assert actions(result.stdout) == [
        "wrote releasekit.toml",
        "wrote dodo.py",
        "added .releasekit/ to .gitignore",
    ]
    config = tomllib.loads((repo / "releasekit.toml").read_text())
    assert config["ecosystems"] == ECOSYSTEMS
    assert (repo / "dodo.py").read_text() == DODO
    assert (repo / ".gitignore").read_text() == "node_modules\n.releasekit/\n"

    rows = json.loads(doit(repo, "plan", "--format", "json").stdout)
    assert {r["id"] for r in rows} == IDS
    assert {r["id"]: r["deps"] for r in rows}["js/@x/app"] == ["js/@x/core"]

    # A second run changes nothing and says so.
    before = snapshot(repo)
    again = init(repo)
    assert again.returncode == 0, again.stderr
    assert actions(again.stdout) == ["unchanged releasekit.toml", "unchanged dodo.py"]
    assert snapshot(repo) == before


def test_init_takes_the_repository_as_an_argument(repo: Path, tmp_path: Path) -> None:
    result = init(repo, str(repo), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert tomllib.loads((repo / "releasekit.toml").read_text())["ecosystems"] == ECOSYSTEMS
    assert not (tmp_path / "releasekit.toml").exists()


def test_init_refuses_to_replace_other_content(repo: Path) -> None:
    write(repo / "releasekit.toml", "synchronize = true\n")
    before = snapshot(repo)
    result = init(repo)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error[RK-INIT-EXISTS]: {repo / 'releasekit.toml'}: ")
    assert "fix: pass --force to overwrite it" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(repo) == before  # no dodo.py, no .gitignore line either


def test_init_force_overwrites(repo: Path) -> None:
    write(repo / "releasekit.toml", "synchronize = true\n")
    write(repo / "dodo.py", DODO)
    result = init(repo, "--force")
    assert result.returncode == 0, result.stderr
    assert actions(result.stdout) == [
        "overwrote releasekit.toml",
        "unchanged dodo.py",
        "added .releasekit/ to .gitignore",
    ]
    assert tomllib.loads((repo / "releasekit.toml").read_text())["ecosystems"] == ECOSYSTEMS


def test_init_dry_run_writes_nothing(repo: Path) -> None:
    write(repo / "dodo.py", "# mine\n")
    before = snapshot(repo)
    result = init(repo, "--dry-run", "--force")
    assert result.returncode == 0, result.stderr
    assert actions(result.stdout) == [
        "would write releasekit.toml",
        "would overwrite dodo.py",
        "would add .releasekit/ to .gitignore",
    ]
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    "line", [".releasekit/", ".releasekit", "/.releasekit/", "  .releasekit/  "]
)
def test_init_leaves_a_gitignore_that_already_ignores_the_state(repo: Path, line: str) -> None:
    write(repo / ".gitignore", f"dist/\n{line}\n")
    result = init(repo)
    assert result.returncode == 0, result.stderr
    assert "to .gitignore" not in result.stdout
    assert (repo / ".gitignore").read_text() == f"dist/\n{line}\n"


def test_init_reports_a_malformed_manifest_and_writes_nothing(repo: Path) -> None:
    write(repo / "py/pyproject.toml", "[tool.uv.workspace\n")
    before = snapshot(repo)
    result = init(repo)
    assert result.returncode == 2
    assert f"error[RK-MANIFEST-PARSE]: {repo / 'py/pyproject.toml'}:1: " in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(repo) == before


def test_init_in_a_missing_folder_is_a_coded_error(tmp_path: Path) -> None:
    result = init(tmp_path, str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error[RK-INIT-NO-FOLDER]: {tmp_path / 'nope'}: ")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Modules under go/, with or without go.work: go/ is the workspace, not the root.
        (["go/go.work", "go/core/go.mod", "go/plugins/http/go.mod"], [("go", "go", "go")]),
        (["go/core/go.mod", "go/plugins/http/go.mod"], [("go", "go", "go")]),
        # go.work at the root, or modules spread over several top-level folders: the root.
        (["go.work", "core/go.mod", "plugins/http/go.mod"], [("go", "go", ".")]),
        (["core/go.mod", "plugins/http/go.mod"], [("go", "go", ".")]),
        (["go.mod", "tools/go.mod"], [("go", "go", ".")]),
    ],
)
def test_detect_go_workspace_root(tmp_path: Path, files: list[str], expected: list) -> None:
    for rel in files:
        text = "go 1.22\n" if rel.endswith("go.work") else f"module example.com/{rel}\n"
        write(tmp_path / rel, text)
    assert detect_workspaces(tmp_path) == expected
