"""Builders for the bad-input corpus (tests/test_bad_input.py).

A :class:`Case` is one broken input: steps that break a copy of the sample
monorepo (demo/sample.py, namespace ``acme``), the doit command to run on it,
and what must come out — the ``RK-…`` code, the file (or option) named, the
exit status. The test also asserts that no traceback is printed and that the
tree is byte-identical afterwards (every file, new ones too; see :func:`snapshot`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Step = Callable[[Path], None]

# Paths in the sample (namespace "acme").
ROOT_CFG = "releasekit.toml"
PY_ROOT = "py/pyproject.toml"
PY_CORE = "py/packages/acme-core/pyproject.toml"
PY_HTTP = "py/packages/acme-http/pyproject.toml"
PY_CORE_CFG = "py/packages/acme-core/releasekit.toml"
JS_ROOT = "js/package.json"
JS_WS = "js/pnpm-workspace.yaml"
JS_CORE = "js/packages/core/package.json"
JS_HTTP = "js/packages/http/package.json"
GO_WORK = "go/go.work"
GO_CORE = "go/core/go.mod"
GO_HTTP = "go/plugins/http/go.mod"
GO_CLI = "go/cli/go.mod"
VERSIONS = ".releasekit-versions.json"

NOT_UTF8 = b"\xff\xfe\x00bad \xc3\x28\n"


# --- steps ------------------------------------------------------------------------


def write(rel: str, content: str | bytes) -> Step:
    def step(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return step


def replace(rel: str, old: str, new: str) -> Step:
    def step(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return step


def append(rel: str, text: str) -> Step:
    def step(root: Path) -> None:
        with (root / rel).open("a", encoding="utf-8") as f:
            f.write(text)

    return step


def edit_json(rel: str, edit: Callable[[dict], object]) -> Step:
    def step(root: Path) -> None:
        path = root / rel
        data = json.loads(path.read_text(encoding="utf-8"))
        edit(data)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    return step


def remove(rel: str) -> Step:
    def step(root: Path) -> None:
        (root / rel).unlink()

    return step


def git(*args: str) -> Step:
    def step(root: Path) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    return step


def commit(message: str = "chore: bad input") -> Step:
    """Commit everything (most commands refuse a dirty tree before reading anything)."""

    def step(root: Path) -> None:
        run_git(root, "add", "-A")
        run_git(root, "commit", "-q", "--allow-empty", "-m", message)

    return step


def run_git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def no_repo(root: Path) -> None:
    import shutil

    shutil.rmtree(root / ".git")


def no_commit(root: Path) -> None:
    import shutil

    shutil.rmtree(root / ".git")
    run_git(root, "init", "-q", "-b", "main")


def shallow(root: Path) -> None:
    """Replace the repo by a depth-1 clone of itself with one more commit (CI's default)."""
    import shutil

    run_git(root, "tag", "-a", "-m", "r", "acme-core-v0.3.0")
    (root / "py/packages/acme-core/src/acme_core/extra.py").write_text("X = 1\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "feat(core): extra")
    full = root.with_name(root.name + "-full")
    root.rename(full)
    run_git(full.parent, "clone", "-q", "--depth", "1", f"file://{full}", str(root))
    shutil.rmtree(full)
    for key, value in (("user.email", "bot@example.com"), ("user.name", "Bot")):
        run_git(root, "config", key, value)


def nested(open_: str, close: str, depth: int = 100_000) -> str:
    return open_ * depth + close * depth


# --- the case ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    steps: tuple[Step, ...]
    args: tuple[str, ...]
    code: str
    names: tuple[str, ...]  # each must appear in the output (a file, an option …)
    exit: int = 1
    env: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.id


def case(
    id: str,
    *steps: Step,
    args: str = "plan",
    code: str,
    names: str | tuple[str, ...],
    exit: int = 1,
    env: dict[str, str] | None = None,
    committed: bool = True,
) -> Case:
    all_steps = (*steps, commit()) if committed else steps
    return Case(
        id=id,
        steps=all_steps,
        args=tuple(args.split()),
        code=code,
        names=(names,) if isinstance(names, str) else names,
        exit=exit,
        env=env or {},
    )


# --- the tree, byte for byte ------------------------------------------------------

# git rewrites its index's stat cache on `git status`; objects may be added by
# `git hash-object`. Neither is a change a user sees. Everything else counts.
_IGNORED_GIT = (".git/index", ".git/objects/")


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 (files), 'dir' (folders), 'link:<target>' (symlinks)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs + files:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if rel.startswith(_IGNORED_GIT) or rel == ".git/objects":
                continue
            if path.is_symlink():
                found[rel] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def tree_diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    lines = [f"new      {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed  {p}" for p in sorted(before.keys() - after.keys())]
    lines += [
        f"changed  {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    return lines
