"""git through its CLI: argument lists only, never a shell string."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from releasekit_tasks.errors import RKError


def git(repo: Path, *args: str, check: bool = True) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise RKError("RK-TOOL-MISSING", "git is not installed") from None
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, ["git", *args], result.stdout, result.stderr
        )
    return result.stdout


@functools.cache
def repo_toplevel(path: Path) -> Path | None:
    """The root of the git repository holding ``path``, or None outside git."""
    try:
        out = git(path, "rev-parse", "--show-toplevel", check=False).strip()
    except RKError:
        return None
    return Path(out).resolve() if out else None


@functools.cache
def list_tags(repo: Path) -> tuple[str, ...]:
    """All tag names of the repository (one git call, cached for the run)."""
    if repo_toplevel(repo) is None:
        return ()
    return tuple(git(repo, "tag", "--list").split())


def uncommitted(repo: Path) -> list[str]:
    """`git status --porcelain` lines of tracked files with uncommitted changes."""
    if repo_toplevel(repo) is None:
        return []
    out = git(repo, "status", "--porcelain", "--untracked-files=no")
    return [line.strip() for line in out.splitlines() if line.strip()]
