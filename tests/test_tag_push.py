"""`doit tag` pushes every selected tag the remote lacks, and never moves one (issue 13)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from demo.sample import build_sample
from tests.publishing import doit, git_out
from tests.servers import GitRemote


def remote_tags(remote: GitRemote) -> dict[str, str]:
    fmt = "--format=%(refname:short) %(*objectname)"
    out = git_out(remote.path, "for-each-ref", fmt, "refs/tags")
    return dict(line.split() for line in out.splitlines())


def test_tags_made_earlier_but_not_pushed_reach_the_remote_on_the_next_run(
    tmp_path: Path, git_remote: GitRemote
) -> None:
    repo = build_sample(tmp_path / "repo", namespace="tg")  # no remote yet
    first = doit(repo, "tag", check=False)
    out = first.stdout + first.stderr
    assert first.returncode == 1, out
    assert "RK-GIT-PUSH" in out and "no git remote named `origin`" in out
    assert git_out(repo, "tag", "--list") == ""  # refused before tagging anything

    doit(repo, "tag", "push=0")  # tagged here only (as a run whose push failed leaves it)
    made = git_out(repo, "tag", "--list").split()
    assert "tg-core-v0.3.0" in made
    git_out(repo, "remote", "add", "origin", git_remote.url)
    second = doit(repo, "tag")
    assert "push  tg-core-v0.3.0 (tagged earlier, not on origin)" in second.stdout
    assert set(made) <= set(remote_tags(git_remote))

    third = doit(repo, "tag")
    assert "every selected version is tagged already (on origin too)" in third.stdout


def test_a_tag_at_another_commit_on_the_remote_is_refused(
    tmp_path: Path, git_remote: GitRemote
) -> None:
    repo = build_sample(tmp_path / "repo", namespace="tc", remote=git_remote.url)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", git_remote.url, str(other)], check=True)
    for key, value in (("user.email", "x@example.com"), ("user.name", "X")):
        git_out(other, "config", key, value)
    git_out(other, "commit", "-q", "--allow-empty", "-m", "chore: elsewhere")
    git_out(other, "tag", "-a", "-m", "r", "tc-core-v0.3.0")
    git_out(other, "push", "-q", "origin", "HEAD:refs/heads/other", "refs/tags/tc-core-v0.3.0")
    git_out(repo, "tag", "-a", "-m", "r", "tc-core-v0.3.0")  # here: at HEAD

    result = doit(repo, "tag", check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "RK-TAG-CONFLICT" in out and "tc-core-v0.3.0" in out
    assert "tc-http-v0.2.0" not in remote_tags(git_remote)  # nothing pushed
