"""git through its CLI: argument lists only, never a shell string."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from releasekit_tasks.errors import RKError


def _git_env() -> dict[str, str]:
    """The environment with ``core.quotePath=false`` added (git >= 2.31 reads config from
    GIT_CONFIG_COUNT/KEY_n/VALUE_n), so argv stays ``git <verb> …`` and paths come back
    unquoted; configuration the caller passes the same way is kept."""
    env = dict(os.environ)
    n = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    env.update(
        {
            "GIT_CONFIG_COUNT": str(n + 1),
            f"GIT_CONFIG_KEY_{n}": "core.quotePath",
            f"GIT_CONFIG_VALUE_{n}": "false",
        }
    )
    return env


def git(repo: Path, *args: str, check: bool = True) -> str:
    """``git ARGS`` in ``repo``; its stdout. Paths in the output are never quoted
    (``core.quotePath=false``): a non-ASCII folder name comes back as itself."""
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=repo,
            env=_git_env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
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


def require_history(repo: Path) -> str:
    """HEAD's commit in a repository with its whole history; a coded error otherwise.

    Everything that reads history (next versions, tags) calls this first: no
    repository, no commit yet, or a shallow clone (CI's default, whose missing
    tags would make every package "a first release") would give wrong answers.
    """
    top = repo_toplevel(repo)
    if top is None:
        raise RKError(
            "RK-GIT-NO-REPO",
            f"{repo} is not inside a git repository",
            path=repo,
        )
    head = git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).strip()
    if not head:
        raise RKError(
            "RK-GIT-NO-COMMIT",
            "the repository has no commit yet (HEAD names nothing)",
            path=top,
        )
    if git(top, "rev-parse", "--is-shallow-repository", check=False).strip() == "true":
        raise RKError(
            "RK-GIT-SHALLOW",
            "this is a shallow clone: the commits and tags before its depth are missing, "
            "so versions counted from them would be wrong",
            path=top,
        )
    return head


def parse_remote_tags(ls_remote: str) -> dict[str, str]:
    """Tag -> commit from ``git ls-remote --tags`` output (annotated tags peeled)."""
    tags: dict[str, str] = {}
    for line in ls_remote.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            tags[name[:-3]] = sha  # the peeled commit wins over the tag object
        else:
            tags.setdefault(name, sha)
    return tags
