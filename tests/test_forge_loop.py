"""The whole release loop through doit, on the fake GitHub behind prism's contract check.

Real git (a bare remote the fake merges into), real local registries:

    publish + tag (first release, no PR) → feat → prepare (PR opened) → fix →
    prepare (the same PR updated) → merge on the forge → pull → tag (tags on the
    merge commit from the PR's manifest, one GitHub release per tag, label
    tagged) → publish (new versions on the registries, label published,
    repository_dispatch) → tag and publish again (nothing new) → prepare
    (nothing to release).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from releasekit_tasks.forges import PENDING, PUBLISHED, TAGGED
from releasekit_tasks.prepare.changelog import extract_manifest
from tests.forge_fakes import FakeGitLab
from tests.forge_fixtures import *  # noqa: F403 — the github fixture
from tests.forge_fixtures import GitHubContract
from tests.publishing import Published

BRANCH = "releasekit/release"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def doit(root: Path, env: dict[str, str], *args: str, status: int = 0) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=root,
        env={**os.environ, "NPM_TOKEN": "x", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    for key, value in env.items():
        assert "TOKEN" not in key or value not in output, f"{key} printed by doit {args}"
    assert result.returncode == status, (
        f"doit {' '.join(args)} exited {result.returncode}\n{output}"
    )
    return output


def commit(root: Path, path: str, message: str) -> None:
    with (root / path).open("a") as f:
        f.write("// change\n" if path.endswith((".go", ".js")) else "# change\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    git(root, "push", "-q", "origin", "main")


def on_forge(root: Path, keys: str) -> None:
    """Put the forge ``keys`` into releasekit.toml, commit and push."""
    config = root / "releasekit.toml"  # root keys go before the first [table]
    config.write_text(keys + config.read_text())
    git(root, "config", "user.email", "dev@example.test")
    git(root, "config", "user.name", "Dev")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: talk to the forge")
    git(root, "push", "-q", "origin", "main")


def test_release_loop_on_github(published: Published, github: GitHubContract) -> None:
    root, fake = published.root, github.fake
    fake.remote = published.remote.path
    ns = published.ns
    on_forge(root, 'forge = "github"\nrepo = "acme/monorepo"\ndispatch = ["acme/downstream"]\n')
    env = github.env()

    # The first release: published and tagged without any Release PR.
    out = doit(root, env, "publish")
    assert "no merged Release PR for this commit" in out and len(fake.dispatches) == 1
    out = doit(root, env, "tag")
    assert f"tag  {ns}-core-v0.3.0" in out
    # No Release PR: a forge release per new tag, its notes from CHANGELOG.md (none yet).
    initial = {r["tag_name"]: r for r in fake.releases.values()}
    assert fake.prs == {} and f"{ns}-core-v0.3.0" in initial
    assert initial[f"{ns}-core-v0.3.0"]["body"].strip() == f"{ns}-core 0.3.0"

    # A feature lands: prepare opens the Release PR.
    commit(
        root,
        f"py/packages/{ns}-core/src/{ns.replace('-', '_')}_core/__init__.py",
        "feat(core): add x",
    )
    out = doit(root, env, "prepare")
    assert "pr       opened #" in out
    (pr,) = fake.prs.values()
    assert pr["head"] == BRANCH and pr["base"] == "main" and pr["labels"] == [PENDING]
    assert pr["title"].startswith("chore(release): ")
    first_body = pr["body"]
    assert {r.id for r in extract_manifest(first_body).releases} >= {f"py/{ns}-core"}

    # A fix lands: prepare updates the same PR.
    commit(root, "go/core/core.go", "fix: handle nil")
    out = doit(root, env, "prepare")
    assert f"pr       updated #{pr['number']}" in out
    assert len(fake.prs) == 1 and fake.prs[pr["number"]]["body"] != first_body
    manifest = extract_manifest(fake.prs[pr["number"]]["body"])
    versions = {r.id: r.new_version for r in manifest.releases}
    assert versions[f"py/{ns}-core"] == "0.4.0"
    assert versions[f"go/example.com/{ns}/go/core"].startswith("v0.")

    # The Release PR is merged on the forge; CI checks out the merge commit.
    merge_sha = fake.merge(pr["number"])
    git(root, "pull", "-q", "--ff-only", "origin", "main")
    assert git(root, "rev-parse", "HEAD") == merge_sha

    out = doit(root, env, "tag")
    assert f"pr       #{pr['number']} merged" in out
    core_tag = f"{ns}-core-v0.4.0"
    assert git(root, "rev-list", "-n1", core_tag) == merge_sha
    assert git(published.remote.path, "rev-list", "-n1", core_tag) == merge_sha
    releases = {r["tag_name"]: r for r in fake.releases.values() if r["tag_name"] not in initial}
    assert (
        core_tag in releases and f"go/core/{versions[f'go/example.com/{ns}/go/core']}" in releases
    )
    assert len(releases) == len(manifest.releases)  # one per package tag (no umbrella here)
    assert "Features" in releases[core_tag]["body"] and "add x" in releases[core_tag]["body"]
    assert not releases[core_tag]["prerelease"] and not releases[core_tag]["draft"]
    assert fake.prs[pr["number"]]["labels"] == [TAGGED]

    # Tag again: nothing new anywhere.
    count = len(fake.releases)
    out = doit(root, env, "tag")
    assert "every selected version is tagged already" in out and len(fake.releases) == count

    # Publish the new versions: registries, the label, the dispatch.
    out = doit(root, env, "publish")
    assert f"label    #{pr['number']} {PUBLISHED}" in out
    assert fake.prs[pr["number"]]["labels"] == [PUBLISHED]
    _first, sent = fake.dispatches
    assert sent["repo"] == "acme/downstream" and sent["event_type"] == "releasekit-published"
    payload = sent["client_payload"]
    assert payload["versions"][f"py/{ns}-core"] == "0.4.0"
    assert payload["sha"] == merge_sha and set(payload["registries"]) == set(payload["packages"])
    assert published.pypi.packages_dir.joinpath(
        f"{ns.replace('-', '_')}_core-0.4.0.tar.gz"
    ).exists()

    # Publish again: already there, already announced.
    out = doit(root, env, "publish")
    assert "nothing to announce" in out and len(fake.dispatches) == 2

    # Nothing left to release: prepare makes no branch and there is no open PR to close.
    out = doit(root, env, "prepare")
    assert "nothing to release" in out


def test_release_loop_on_gitlab(published: Published, gitlab: FakeGitLab) -> None:
    """prepare → MR → prepare again → merge → tag (releases, label) → publish (label, the
    downstream pipeline triggered) → a change and its revert: nothing to release, and
    prepare closes the stale MR."""
    root = published.root
    gitlab.remote = published.remote.path
    ns = published.ns
    on_forge(
        root,
        'forge = "gitlab"\nrepo = "acme/monorepo"\n'
        'dispatch = [{repo = "acme/sub/docs", ref = "stable", token_env = "DOCS_TRIGGER_TOKEN"}]\n',
    )
    env = {
        "CI_API_V4_URL": gitlab.url + "/api/v4",
        "GITLAB_TOKEN": gitlab.token,
        "DOCS_TRIGGER_TOKEN": gitlab.trigger_token,
    }
    doit(root, env, "tag")  # the versions of the sample, tagged as released
    # No Release PR merged: each new package tag still gets its forge release.
    first_releases = dict(gitlab.releases)
    assert f"{ns}-core-v0.3.0" in first_releases

    core = f"py/packages/{ns}-core/src/{ns.replace('-', '_')}_core/__init__.py"
    commit(root, core, "feat(core): add x")
    assert "pr       opened #1" in doit(root, env, "prepare")
    commit(root, "go/core/core.go", "fix: handle nil")
    assert "pr       updated #1" in doit(root, env, "prepare")
    assert len(gitlab.mrs) == 1 and gitlab.mrs[1]["labels"] == [PENDING]

    merge_sha = gitlab.merge(1)
    # Not pulled yet: the merge commit is not here, and HEAD has the old versions.
    out = doit(root, env, "tag", status=1)
    assert "RK-MANIFEST-STALE" in out and "is not here" in out
    assert gitlab.releases == first_releases  # the refused tag made no release
    git(root, "pull", "-q", "--ff-only", "origin", "main")
    out = doit(root, env, "tag")
    assert "pr       #1 merged" in out
    assert git(root, "rev-list", "-n1", f"{ns}-core-v0.4.0") == merge_sha
    assert f"{ns}-core-v0.4.0" in gitlab.releases
    assert gitlab.mrs[1]["labels"] == [TAGGED]

    # Publish: the MR labelled published, the downstream pipeline triggered with the payload.
    out = doit(root, env, "publish")
    assert "dispatch releasekit-published → acme/sub/docs" in out
    assert gitlab.mrs[1]["labels"] == [PUBLISHED]
    (trigger,) = gitlab.triggers
    assert trigger["project"] == "acme/sub/docs" and trigger["ref"] == "stable"
    assert trigger["variables"]["RELEASEKIT_EVENT"] == "releasekit-published"
    payload = json.loads(trigger["variables"]["RELEASEKIT_PAYLOAD"])
    assert payload["versions"][f"py/{ns}-core"] == "0.4.0" and payload["sha"] == merge_sha
    assert set(payload["registries"]) == set(payload["packages"])

    # A feature and its revert: nothing to release any more, so the new MR is closed.
    commit(root, core, "feat(core): add y")
    assert "pr       opened #2" in doit(root, env, "prepare")
    git(root, "revert", "--no-edit", "HEAD")
    git(root, "push", "-q", "origin", "main")
    out = doit(root, env, "prepare")
    assert "nothing to release" in out and "pr       closed #2" in out
    assert gitlab.mrs[2]["state"] == "closed"


def test_merged_release_prs_still_pending_are_tagged_oldest_first(
    published: Published, github: GitHubContract
) -> None:
    """The tag job of Release PR A failed: A stays `autorelease: pending`. prepare refuses
    to open another Release PR (it would bump A's untagged versions again). Release PR B
    merges anyway (a prepare that raced the tag job); `doit tag` on B's merge commit tags
    A's versions on A's merge commit, then B's on B's, and labels both tagged — what
    release-please's release-pr and github-release do."""
    root, fake, ns = published.root, github.fake, published.ns
    fake.remote = published.remote.path
    on_forge(root, 'forge = "github"\nrepo = "acme/monorepo"\n')
    env = github.env()
    doit(root, env, "tag")  # the sample's versions, released

    core = f"py/packages/{ns}-core/src/{ns.replace('-', '_')}_core/__init__.py"
    commit(root, core, "feat(core): add x")
    doit(root, env, "prepare")
    (first,) = fake.prs.values()
    a = first["number"]
    a_sha = fake.merge(a)  # merged; its tag job failed
    git(root, "pull", "-q", "--ff-only", "origin", "main")

    commit(root, core, "fix(core): handle y")
    out = doit(root, env, "prepare", status=1)
    assert "RK-RELEASE-PR-UNTAGGED" in out and f"#{a}" in out and "doit tag" in out
    assert len(fake.prs) == 1  # no second Release PR

    fake.prs[a]["labels"] = []  # the race: a prepare that ran before A was labelled
    doit(root, env, "prepare")
    fake.prs[a]["labels"] = [PENDING]
    b = max(fake.prs)
    assert b != a and fake.prs[b]["state"] == "open"
    b_sha = fake.merge(b)
    git(root, "pull", "-q", "--ff-only", "origin", "main")
    a_version = {r.id: r.new_version for r in extract_manifest(first["body"]).releases}
    b_version = {r.id: r.new_version for r in extract_manifest(fake.prs[b]["body"]).releases}
    a_tag, b_tag = (f"{ns}-core-v{v[f'py/{ns}-core']}" for v in (a_version, b_version))
    assert a_tag != b_tag

    out = doit(root, env, "tag")
    assert out.index(f"pr       #{a} merged") < out.index(f"pr       #{b} merged")
    assert git(root, "rev-list", "-n1", a_tag) == a_sha
    assert git(root, "rev-list", "-n1", b_tag) == b_sha
    assert git(published.remote.path, "rev-list", "-n1", a_tag) == a_sha
    assert {a_tag, b_tag} <= {r["tag_name"] for r in fake.releases.values()}
    assert fake.prs[a]["labels"] == [TAGGED] and fake.prs[b]["labels"] == [TAGGED]
    # Nothing pending any more: the next run finds only B (HEAD's PR), tagged already.
    out = doit(root, env, "tag")
    assert f"#{a} merged" not in out and "every selected version is tagged already" in out
