"""git's network operations ride out a dropped connection (issue 13: "transient
network failures are retried everywhere, uploads included" — a Go release *is*
its tag push). The remote is a real bare repository behind git's ``ext::``
transport, through a script that drops the first connections of each service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from demo.sample import build_sample
from releasekit_tasks.vcs import git_remote
from tests.publishing import doit, git_out

FLAKY = """\
import os, sys
from pathlib import Path

service, bare, failures, message = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
counter = Path(bare) / f"{service}.connections"
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
if n < failures:
    sys.stderr.write(message.replace("_", " ") + "\\n")
    sys.exit(128)
os.execvp("git", ["git", service.removeprefix("git-"), bare])
"""


def flaky_remote(tmp_path: Path, failures: int, message: str = "Connection_reset_by_peer") -> str:
    """An ``ext::`` URL to a bare repository whose first ``failures`` connections per
    service (upload-pack, receive-pack) fail with ``message`` (``_`` for spaces)."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    script = tmp_path / "flaky.py"
    script.write_text(FLAKY)
    return f"ext::{sys.executable} {script} %S {bare} {failures} {message}"


def connections(tmp_path: Path, service: str) -> int:
    counter = tmp_path / "remote.git" / f"git-{service}.connections"
    return int(counter.read_text()) if counter.exists() else 0


def repo_with(tmp_path: Path, url: str) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for key, value in (("user.email", "t@e"), ("user.name", "t"), ("protocol.ext.allow", "always")):
        git_out(repo, "config", key, value)
    git_out(repo, "commit", "-q", "--allow-empty", "-m", "feat: one")
    git_out(repo, "tag", "v0.1.0")
    git_out(repo, "remote", "add", "origin", url)
    return repo


def test_a_dropped_connection_is_retried_and_the_push_lands(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, flaky_remote(tmp_path, failures=2))
    waits: list[float] = []
    git_remote(repo, "push", "origin", "refs/tags/v0.1.0", sleep=waits.append)
    assert len(waits) == 2 and connections(tmp_path, "receive-pack") == 3
    assert "v0.1.0" in git_out(tmp_path / "remote.git", "tag", "--list")
    # A push repeated after it landed (its answer lost) is "up to date", not an error.
    git_remote(repo, "push", "origin", "refs/tags/v0.1.0", sleep=waits.append)


def test_it_gives_up_after_its_attempts(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, flaky_remote(tmp_path, failures=9))
    waits: list[float] = []
    with pytest.raises(subprocess.CalledProcessError) as err:
        git_remote(repo, "ls-remote", "--tags", "origin", attempts=3, sleep=waits.append)
    assert "Connection reset by peer" in err.value.stderr
    assert len(waits) == 2 and connections(tmp_path, "upload-pack") == 3


def test_a_refusal_is_not_retried(tmp_path: Path) -> None:
    url = flaky_remote(tmp_path, failures=9, message="Permission_denied_(publickey).")
    repo = repo_with(tmp_path, url)
    waits: list[float] = []
    out = git_remote(
        repo, "push", "--porcelain", "origin", "v0.1.0", check=False, sleep=waits.append
    )
    assert "Done" not in out and waits == [] and connections(tmp_path, "receive-pack") == 1


def test_doit_tag_pushes_through_a_flaky_connection(tmp_path: Path) -> None:
    url = flaky_remote(tmp_path, failures=1)
    repo = build_sample(tmp_path / "repo", namespace="gr")
    git_out(repo, "config", "protocol.ext.allow", "always")
    git_out(repo, "remote", "add", "origin", url)
    result = doit(repo, "tag")
    assert "retry 1" in result.stdout, result.stdout
    remote = set(git_out(tmp_path / "remote.git", "tag", "--list").split())
    assert "gr-core-v0.3.0" in remote and remote == set(git_out(repo, "tag", "--list").split())
    # ls-remote (upload-pack) and the push (receive-pack) were each dropped once
    assert connections(tmp_path, "upload-pack") >= 2 and connections(tmp_path, "receive-pack") == 2


def test_a_rollback_deletion_whose_answer_was_lost_counts_as_done(tmp_path: Path) -> None:
    """The first deletion push reaches the remote but its connection drops before git
    hears back; the retry then finds no such ref. The tags are gone: that is success."""
    from releasekit_tasks.recovery.rollback import _delete_tags

    bare = tmp_path / "remote.git"
    repo = repo_with(tmp_path, flaky_remote(tmp_path, failures=0))
    git_remote(repo, "push", "origin", "refs/tags/v0.1.0")
    # Now every receive-pack first deletes for real, then reports a dropped connection once.
    script = tmp_path / "flaky.py"
    script.write_text(
        FLAKY.replace(
            "if n < failures:",
            "if service == 'git-receive-pack' and n == 1:\n"
            "    import subprocess\n"
            "    subprocess.run(['git', '-C', bare, 'tag', '-d', 'v0.1.0'], capture_output=True)\n"
            "if service == 'git-receive-pack' and n == 1:",
        )
    )
    _delete_tags(repo, ["v0.1.0"], "origin", push=True)
    assert git_out(bare, "tag", "--list") == "" and git_out(repo, "tag", "--list") == ""
    assert connections(tmp_path, "receive-pack") == 3  # the push, the lost one, the retry
