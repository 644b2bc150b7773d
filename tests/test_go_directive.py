"""``doit go-directive`` (seed 003) with the real go command: modules at go 1.21, go 1.26,
go 1.27.0 (skipped) and with a toolchain line, a /v2 module and a nested one, with and
without a committed go.work; byte checks, then a real ``go build`` of every module."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go import directive as go_directive
from releasekit_tasks.errors import RKError

TARGET = "1.26.0"
OLD_GO = """\
//go:build !nope

package {name}

func Echo(x interface{{}}) interface{{}} {{
	for i := 0; i < 3; i++ {{
		_ = i
	}}
	return x
}}
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _repo(tmp: Path, modules: dict[str, str], gowork: str | None = None) -> tuple[Path, Path]:
    """A git repo with releasekit.toml and the Go modules {folder: go.mod text}; its remote."""
    remote = tmp / "remote.git"
    _git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    repo = tmp / "repo"
    _write(repo / "releasekit.toml", '[ecosystems.go]\nkind = "go"\nworkspace_root = "go"\n')
    _write(repo / "dodo.py", "from releasekit_tasks import *\n")
    _write(repo / ".gitignore", ".releasekit/\n")
    for folder, gomod in modules.items():
        _write(repo / "go" / folder / "go.mod", gomod)
        name = Path(folder).name.replace("v2", "lib")
        if name != "bare":
            _write(repo / "go" / folder / f"{name}.go", OLD_GO.format(name=name))
    if gowork is not None:
        _write(repo / "go" / "go.work", gowork)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    _git(repo, "remote", "add", "origin", str(remote))
    return repo, remote


MODULES = {
    "old": "module example.com/mono/go/old\n\ngo 1.21\n",
    "old/nested": "module example.com/mono/go/old/nested\n\ngo 1.21\n",
    "mid": "module example.com/mono/go/mid\n\ngo 1.26\n",
    "new": "module example.com/mono/go/new\n\ngo 1.27.0\n",
    "tool": "module example.com/mono/go/tool\n\ngo 1.21\n\ntoolchain go1.27.1\n",
    "lib/v2": "module example.com/mono/go/lib/v2\n\ngo 1.22\n",
    "bare": "module example.com/mono/go/bare\n",  # no go line, and (below) no Go file
}


def test_version_order_and_default_target() -> None:
    key = go_directive.go_version_key
    assert key("1.21") < key("1.21rc1") < key("1.21.0") < key("1.21.1") < key("1.22")
    assert go_directive.default_target("go1.27.3") == "1.26.0"
    assert go_directive.default_target("go1.27rc1") == "1.26.0"
    with pytest.raises(RKError):
        go_directive.check_target("1.26")
    assert go_directive.check_target("go1.26.0") == "1.26.0"


def test_installed_go_is_what_the_default_target_is_read_from() -> None:
    version = go_directive.local_go_version()
    assert version.startswith("go1.")
    minor = int(version.removeprefix("go1.").split(".")[0].split("rc")[0])
    assert go_directive.default_target(version) == f"1.{minor - 1}.0"


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, remote = _repo(tmp_path, MODULES)
    before = _git(repo, "rev-parse", "HEAD")
    go_directive.run(str(repo), TARGET, "origin", True, True)
    out = capsys.readouterr().out
    assert "would raise example.com/mono/go/old (go/old): go 1.21 → 1.26.0" in out
    assert "skip     example.com/mono/go/new: go 1.27.0 is not below 1.26.0" in out
    assert "would commit on releasekit/go-directive" in out
    assert _git(repo, "rev-parse", "HEAD") == before
    assert not _git(repo, "status", "--porcelain")
    assert not _git(remote, "branch", "--list")
    assert not (repo / ".releasekit" / "go-directive-pr.md").exists()


def _built(folder: Path) -> None:
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": "-mod=mod"}
    done = subprocess.run(
        ["go", "build", "./..."], cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{folder}: {done.stderr}"


def test_raises_lower_modules_on_a_pushed_branch(tmp_path: Path) -> None:
    repo, remote = _repo(tmp_path, MODULES)
    head = _git(repo, "rev-parse", "HEAD").strip()
    go_directive.run(str(repo), "", "origin", True, False)  # default target: from go env

    # The user's checkout is untouched; the branch is on the remote.
    assert _git(repo, "rev-parse", "HEAD").strip() == head
    assert (repo / "go/old/go.mod").read_text() == MODULES["old"]
    assert not _git(repo, "status", "--porcelain")
    branch = _git(remote, "rev-parse", "releasekit/go-directive").strip()
    assert _git(remote, "rev-parse", f"{branch}^").strip() == head
    message = _git(remote, "log", "-1", "--format=%B", branch)
    assert message.startswith(f"chore(go): raise go directive to {TARGET}\n")

    check = tmp_path / "check"
    _git(tmp_path, "clone", "-q", "-b", "releasekit/go-directive", str(remote), str(check))
    go = check / "go"
    assert (go / "old/go.mod").read_text() == f"module example.com/mono/go/old\n\ngo {TARGET}\n"
    assert (go / "old/nested/go.mod").read_text() == (
        f"module example.com/mono/go/old/nested\n\ngo {TARGET}\n"
    )
    assert (go / "mid/go.mod").read_text() == f"module example.com/mono/go/mid\n\ngo {TARGET}\n"
    assert (go / "new/go.mod").read_text() == MODULES["new"]  # higher: never downgraded
    assert (go / "tool/go.mod").read_text() == (
        f"module example.com/mono/go/tool\n\ngo {TARGET}\n\ntoolchain go1.27.1\n"
    )  # the higher toolchain line stays
    assert (
        go / "lib/v2/go.mod"
    ).read_text() == f"module example.com/mono/go/lib/v2\n\ngo {TARGET}\n"
    # No go line before: one now, and no toolchain line introduced; no Go file: go fix
    # has nothing to do, which is no failure.
    assert (go / "bare/go.mod").read_text() == f"module example.com/mono/go/bare\n\ngo {TARGET}\n"
    # go fix ran with the new language version: interface{} → any, a counted loop → range.
    fixed = (go / "old/old.go").read_text()
    assert "func Echo(x any) any {" in fixed and "for i := range 3 {" in fixed
    assert (go / "new/new.go").read_text() == OLD_GO.format(name="new")
    for folder in MODULES:
        if folder != "bare":
            _built(go / folder)
    body = (repo / ".releasekit" / "go-directive-pr.md").read_text()
    assert "| `example.com/mono/go/old` | `go/old` | 1.21 | 1.26.0 |" in body
    assert "`example.com/mono/go/new` (go 1.27.0)" in body

    # Run again from the same HEAD: the same commit content, force-pushed.
    go_directive.run(str(repo), TARGET, "origin", True, False)
    again = _git(remote, "rev-parse", "releasekit/go-directive").strip()
    assert _git(remote, "rev-parse", f"{again}^{{tree}}") == _git(
        remote, "rev-parse", f"{branch}^{{tree}}"
    )


def test_committed_go_work_is_raised_and_synced(tmp_path: Path) -> None:
    modules = {
        # The go command resolves a sibling through the replace (offline: no proxy here).
        "a": "module example.com/mono/go/a\n\ngo 1.21\n\nrequire example.com/mono/go/b v0.1.0\n\n"
        "replace example.com/mono/go/b => ../b\n",
        "b": "module example.com/mono/go/b\n\ngo 1.21\n",
    }
    repo, remote = _repo(tmp_path, modules, gowork="go 1.21\n\nuse (\n\t./a\n\t./b\n)\n")
    go_directive.run(str(repo), TARGET, "origin", True, False)
    check = tmp_path / "check"
    _git(tmp_path, "clone", "-q", "-b", "releasekit/go-directive", str(remote), str(check))
    assert (check / "go/go.work").read_text() == f"go {TARGET}\n\nuse (\n\t./a\n\t./b\n)\n"
    assert (check / "go/b/go.mod").read_text() == f"module example.com/mono/go/b\n\ngo {TARGET}\n"
    assert f"go {TARGET}" in (check / "go/a/go.mod").read_text()
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    done = subprocess.run(
        ["go", "build", "./a/...", "./b/..."],
        cwd=check / "go",
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_nothing_below_the_target_makes_no_branch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, remote = _repo(tmp_path, {"new": MODULES["new"]})
    go_directive.run(str(repo), TARGET, "origin", True, False)
    assert "nothing to raise" in capsys.readouterr().out
    assert not _git(remote, "branch", "--list")


def test_through_doit(tmp_path: Path) -> None:
    from tests.publishing import doit

    repo, remote = _repo(tmp_path, {"old": MODULES["old"], "new": MODULES["new"]})
    dry = doit(repo, "go-directive", "go=1.26.0", "dry_run=1").stdout
    assert "would raise example.com/mono/go/old" in dry
    assert not _git(remote, "branch", "--list")
    out = doit(repo, "go-directive", "go=1.26.0").stdout
    assert "push     releasekit/go-directive → origin" in out
    assert _git(remote, "show", "releasekit/go-directive:go/old/go.mod") == (
        "module example.com/mono/go/old\n\ngo 1.26.0\n"
    )
    bad = doit(repo, "go-directive", "go=1.26", check=False)
    assert bad.returncode == 1 and "RK-CONFIG-VALUE" in bad.stdout + bad.stderr
