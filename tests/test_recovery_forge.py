"""The forge side of go-directive (its PR) and rollback (forge releases of deleted tags),
against the fake GitHub behind prism's contract check."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.forge_fixtures import *  # noqa: F403 — the github fixture
from tests.forge_fixtures import GitHubContract
from tests.publishing import Published, doit


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def _on_github(published: Published, github: GitHubContract) -> Path:
    root = published.root
    github.fake.remote = published.remote.path
    config = root / "releasekit.toml"  # root keys go before the first [table]
    config.write_text('forge = "github"\nrepo = "acme/monorepo"\n' + config.read_text())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: talk to the forge")
    git(root, "push", "-q", "origin", "main")
    return root


def test_go_directive_opens_then_updates_its_pr(
    published: Published, github: GitHubContract, monkeypatch
) -> None:
    root = _on_github(published, github)
    for key, value in github.env().items():
        monkeypatch.setenv(key, value)
    out = doit(root, "go-directive", "go=1.25.0").stdout
    assert "pr       opened #" in out
    (pr,) = github.fake.prs.values()
    assert pr["head"] == "releasekit/go-directive" and pr["base"] == "main"
    assert pr["title"] == "chore(go): raise go directive to 1.25.0"
    assert "| 1.22 | 1.25.0 |" in pr["body"]
    out = doit(root, "go-directive", "go=1.26.0").stdout
    assert f"pr       updated #{pr['number']}" in out
    assert len(github.fake.prs) == 1
    assert github.fake.prs[pr["number"]]["title"] == "chore(go): raise go directive to 1.26.0"


def test_rollback_deletes_the_forge_release_of_a_deleted_tag(
    published: Published, github: GitHubContract, monkeypatch
) -> None:
    root, ns = _on_github(published, github), published.ns
    for key, value in github.env().items():
        monkeypatch.setenv(key, value)
    py = published.release_id("py", "core")
    doit(root, "tag", f"package={py}")
    doit(root, "publish", f"package={py}")
    # doit tag made the forge release of the new tag (no Release PR merged).
    assert list(github.fake.releases) and f"{ns}-core-v0.3.0" in str(github.fake.releases)
    dry = doit(root, "rollback", f"package={py}", "dry_run=1").stdout
    assert f"would delete the forge release of {ns}-core-v0.3.0" in dry
    assert len(github.fake.releases) == 1
    out = doit(root, "rollback", f"package={py}", "reason=bad").stdout
    assert f"deleted the forge release of {ns}-core-v0.3.0" in out
    assert github.fake.releases == {}
