"""git through its CLI: argument lists only, never a shell string."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import time
from collections.abc import Callable
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
    return _checked(_run(repo, args), args, check)


# What git prints when the connection failed rather than the request: worth another
# try. Refusals (auth, permissions, a rejected ref) are not, and are never retried.
_TRANSIENT = re.compile(
    r"Could not resolve host|Temporary failure in name resolution|Connection (reset|refused|"
    r"timed out|closed)|Operation timed out|remote end hung up unexpectedly|early EOF|"
    r"RPC failed|Could not read from remote repository|returned error: (5\d\d|429)|"
    r"HTTP (5\d\d|429)|gnutls_handshake|SSL_ERROR|unexpected disconnect",
    re.IGNORECASE,
)
_REFUSED = re.compile(
    r"Permission denied|Authentication failed|returned error: 40[134]|rejected|"
    r"Repository not found|does not appear to be a git repository",
    re.IGNORECASE,
)


def git_remote(
    repo: Path,
    *args: str,
    check: bool = True,
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """``git ARGS`` that talks to a remote (push, ls-remote, fetch): a dropped
    connection or a 5xx from the forge is retried with full-jitter backoff. Pushes
    are safe to repeat: a ref that arrived is "up to date" the second time."""
    from releasekit_tasks.http import backoff

    for attempt in range(attempts):
        result = _run(repo, args)
        failed = result.returncode != 0
        if not (failed and _TRANSIENT.search(result.stderr) and not _REFUSED.search(result.stderr)):
            break
        if attempt + 1 < attempts:
            wait = backoff(attempt, 1.0, 10.0)
            reason = next(line for line in result.stderr.splitlines() if _TRANSIENT.search(line))
            print(f"git {args[0]} failed ({reason.strip()}); retry {attempt + 1} in {wait:.1f} s")
            sleep(wait)
    return _checked(result, args, check)


def _run(repo: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
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


def _checked(result: subprocess.CompletedProcess[str], args: tuple[str, ...], check: bool) -> str:
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


def remote_tags(repo: Path, remote: str, *patterns: str) -> dict[str, str]:
    """Tag -> commit on ``remote`` (annotated tags peeled): one ``git ls-remote``, retried
    as every remote call is; CalledProcessError when the remote cannot be listed."""
    ls_remote = git_remote(repo, "ls-remote", "--tags", remote, *patterns)
    tags: dict[str, str] = {}
    for line in ls_remote.splitlines():
        sha, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            tags[name[:-3]] = sha  # the peeled commit wins over the tag object
        else:
            tags.setdefault(name, sha)
    return tags
