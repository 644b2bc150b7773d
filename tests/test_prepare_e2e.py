"""`doit prepare` on the polyglot sample with a realistic history, the way a user runs it.

Real git (a bare remote), real `uv lock`, `pnpm install --lockfile-only` and
`go mod tidy`; byte-level checks that only versions changed; kills at the
tool calls leave the user's checkout untouched and the next run finishes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from releasekit_tasks.prepare.changelog import extract_manifest
from releasekit_tasks.prepare.manifest import ReleaseManifest
from tests.publishing import doit, run_doit
from tests.repos.common import SAMPLE_RELEASE_TAGS, snapshot

BRANCH = "releasekit/release"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def change(root: Path, path: str, message: str) -> None:
    with (root / path).open("a") as f:
        f.write("// change\n" if path.endswith((".go", ".js")) else "# change\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from demo.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("sample") / "repo")


@pytest.fixture
def repo(sample: Path, tmp_path: Path) -> Path:
    """The sample, released once (tagged), then a realistic history on top, with a remote."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    root = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(sample), str(root))
    git(root, "remote", "set-url", "origin", str(remote))
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    for tag in SAMPLE_RELEASE_TAGS:
        git(root, "tag", tag)
    change(root, "py/packages/acme-core/src/acme_core/__init__.py", "feat(core): add x (#12)")
    change(
        root,
        "js/packages/core/index.js",
        "refactor!: drop old API\n\nBREAKING CHANGE: old() is gone",
    )
    change(root, "go/core/core.go", "fix: handle nil")
    change(root, "js/packages/cli/index.js", "docs: comment only")
    git(root, "push", "-q", "origin", "main", "--tags")
    return root


def user_files(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root).items() if not k.startswith(".releasekit")}


def branch_file(root: Path, path: str, ref: str = BRANCH) -> str:
    return git(root, "show", f"{ref}:{path}")


def test_prepare_commits_versions_lockfiles_and_changelogs_on_a_pushed_branch(repo, tmp_path):
    before = user_files(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    result = doit(repo, "prepare")
    assert "push     releasekit/release → origin" in result.stdout

    # the user's checkout is untouched: still main, same bytes
    assert user_files(repo) == before
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    # the branch on the remote is one commit on top of HEAD
    remote = tmp_path / "remote.git"
    pushed = git(remote, "rev-parse", BRANCH).strip()
    assert git(repo, "rev-parse", f"{pushed}^").strip() == head
    assert git(repo, "log", "-1", "--format=%s", pushed).strip() == "chore(release): 9 packages"
    changed = set(git(repo, "diff", "--name-only", head, pushed).split())
    assert changed == {
        ".releasekit-versions.json",
        "py/uv.lock",
        "py/packages/acme-core/pyproject.toml",
        "py/packages/acme-http/pyproject.toml",
        "py/packages/acme-cli/pyproject.toml",
        "js/packages/core/package.json",
        "js/packages/http/package.json",
        "js/packages/cli/package.json",
        "go/plugins/http/go.mod",
        "go/cli/go.mod",
        *(
            f"{p}/CHANGELOG.md"
            for p in (
                "py/packages/acme-core",
                "py/packages/acme-http",
                "py/packages/acme-cli",
                "js/packages/core",
                "js/packages/http",
                "js/packages/cli",
                "go/core",
                "go/plugins/http",
                "go/cli",
            )
        ),
    }

    # byte-level: each manifest differs from the original only in its version strings
    def only(path: str, *pairs: tuple[str, str]) -> None:
        expected = before[path].decode()
        for old, new in pairs:
            assert old in expected, (path, old)
            expected = expected.replace(old, new)
        assert branch_file(repo, path) == expected, path

    only("py/packages/acme-core/pyproject.toml", ('version = "0.3.0"', 'version = "0.4.0"'))
    only(
        "py/packages/acme-http/pyproject.toml",
        ('version = "0.2.0"', 'version = "0.2.1"'),
        ("acme-core>=0.3.0", "acme-core>=0.4.0"),
    )
    only(
        "py/packages/acme-cli/pyproject.toml",
        ('version = "0.1.0"', 'version = "0.1.1"'),
        ("acme-http>=0.2.0", "acme-http>=0.2.1"),
        ("acme-core>=0.3.0", "acme-core>=0.4.0"),
    )
    # 0.x: the breaking change is a minor bump (major_on_zero is false)
    only("js/packages/core/package.json", ('"version": "0.3.0"', '"version": "0.4.0"'))
    only("js/packages/cli/package.json", ('"version": "0.1.0"', '"version": "0.1.1"'))
    only("go/plugins/http/go.mod", ("core v0.3.0", "core v0.3.1"))
    only("go/cli/go.mod", ("core v0.3.0", "core v0.3.1"), ("http v0.2.0", "http v0.2.1"))
    assert json.loads(branch_file(repo, ".releasekit-versions.json")) == {
        "go/core": "v0.3.1",
        "go/plugins/http": "v0.2.1",
        "go/cli": "v0.1.1",
    }

    # the lockfiles agree with the manifests, checked by the tools themselves
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(remote), str(checkout))
    subprocess.run(["uv", "lock", "--locked"], cwd=checkout / "py", check=True, capture_output=True)
    lock = (checkout / "py/uv.lock").read_text()
    assert 'name = "acme-core"\nversion = "0.4.0"' in lock
    subprocess.run(
        ["pnpm", "install", "--lockfile-only", "--frozen-lockfile"],
        cwd=checkout / "js",
        check=True,
        capture_output=True,
    )
    subprocess.run(["go", "build", "./..."], cwd=checkout / "go/cli", check=True)

    changelog = branch_file(repo, "py/packages/acme-core/CHANGELOG.md")
    assert "## 0.4.0 (" in changelog
    assert "### Features\n\n- **core:** add x (" in changelog and "(#12)" in changelog
    assert "- drop old API: old() is gone" in branch_file(repo, "js/packages/core/CHANGELOG.md")
    assert "- acme-http bumped to 0.2.1" in branch_file(repo, "py/packages/acme-cli/CHANGELOG.md")

    # the Release PR body embeds the manifest the tag stage will read back
    body = (repo / ".releasekit/release-pr.md").read_text()
    manifest = ReleaseManifest.from_json((repo / ".releasekit/release-manifest.json").read_text())
    assert extract_manifest(body) == manifest
    assert manifest.head == head
    assert "| @acme/core | pnpm | 0.3.0 | 0.4.0 | minor |" in body
    # the worktree is gone; the branch stays
    assert not (repo / ".releasekit/release-worktree").exists()
    assert "release-worktree" not in git(repo, "worktree", "list")


def test_prepare_twice_gives_the_same_branch_and_version_is_up_to_date(repo, tmp_path):
    doit(repo, "prepare")
    first = git(repo, "rev-parse", f"{BRANCH}^{{tree}}").strip()
    again = doit(repo, "prepare")
    assert "-- version" in again.stdout  # HEAD and options unchanged: not recomputed
    assert git(repo, "rev-parse", f"{BRANCH}^{{tree}}").strip() == first


def test_dry_run_changes_nothing(repo, tmp_path):
    before = user_files(repo)
    result = doit(repo, "prepare", "dry_run=1")
    assert "release  py/acme-core 0.3.0 → 0.4.0 (minor)" in result.stdout
    assert "would write  py/packages/acme-core/pyproject.toml" in result.stdout
    assert "would run  uv lock" in result.stdout
    assert user_files(repo) == before
    assert BRANCH not in git(repo, "branch", "--list")
    assert git(tmp_path / "remote.git", "branch", "--list", BRANCH).strip() == ""


def test_plan_shows_next_versions_and_why(repo):
    rows = {r["id"]: r for r in json.loads(doit(repo, "plan", "--format", "json").stdout)}
    assert rows["py/acme-core"]["next"] == "0.4.0"
    assert rows["py/acme-core"]["why"].startswith("feature ")
    assert rows["js/@acme/http"]["why"] == "dependency @acme/core → 0.4.0"
    assert rows["js/@acme/site"]["next"] is None
    assert rows["go/example.com/acme/go/core"]["next"] == "v0.3.1"


def test_prerelease_spelled_per_ecosystem_through_doit(repo):
    doit(repo, "prepare", "prerelease=rc")
    assert 'version = "0.4.0rc1"' in branch_file(repo, "py/packages/acme-core/pyproject.toml")
    assert '"version": "0.4.0-rc.1"' in branch_file(repo, "js/packages/core/package.json")
    assert '"go/core": "v0.3.1-rc.1"' in branch_file(repo, ".releasekit-versions.json")


def test_group_release_uses_its_own_branch(repo):
    doit(repo, "prepare", "group=core")
    files = git(repo, "diff", "--name-only", "main", f"{BRANCH}-core").split()
    assert "py/packages/acme-core/pyproject.toml" in files
    assert "py/packages/acme-http/CHANGELOG.md" not in files


def test_dirty_tree_and_unknown_group_fail_with_codes_and_change_nothing(repo):
    path = repo / "py/packages/acme-core/pyproject.toml"
    path.write_text(path.read_text() + "# local edit\n")
    before = user_files(repo)
    result = doit(repo, "prepare", check=False)
    assert result.returncode != 0
    assert "RK-PREFLIGHT-DIRTY" in result.stdout + result.stderr
    assert user_files(repo) == before
    git(repo, "checkout", "--", ".")
    result = doit(repo, "prepare", "group=nope", check=False)
    assert "RK-GROUP-UNKNOWN" in result.stdout + result.stderr
    assert BRANCH + "-nope" not in git(repo, "branch", "--list")


@pytest.mark.parametrize("kill_at", ["pnpm install:before", "git push:before"])
def test_killed_prepare_leaves_the_checkout_identical_and_the_next_run_finishes(
    repo, tmp_path, shims, kill_at
):
    before = user_files(repo)
    log = tmp_path / "shim.log"
    status, out = run_doit(repo, "prepare", shims=shims, log=log, kill_at=kill_at)
    assert status == -9, out
    assert user_files(repo) == before
    status, out = run_doit(repo, "prepare", shims=shims, log=tmp_path / "again.log")
    assert status == 0, out
    assert user_files(repo) == before
    assert git(tmp_path / "remote.git", "rev-parse", BRANCH).strip()
    assert "0.4.0" in git(repo, "show", f"{BRANCH}:py/packages/acme-core/pyproject.toml")
    assert os.listdir(repo / ".releasekit").count("release-worktree") == 0


def test_after_the_release_pr_merges_tag_closes_the_loop(repo, tmp_path):
    doit(repo, "prepare")
    git(repo, "merge", "-q", "--ff-only", BRANCH)  # the Release PR merged
    head = git(repo, "rev-parse", "HEAD").strip()
    result = doit(repo, "tag")
    assert "tag  acme-core-v0.4.0" in result.stdout
    assert "tag  go/core/v0.3.1" in result.stdout
    remote_tags = git(tmp_path / "remote.git", "tag", "--list").split()
    for name in ("acme-core-v0.4.0", "@acme/cli-v0.1.1", "go/plugins/http/v0.2.1"):
        assert name in remote_tags
        assert git(repo, "rev-parse", f"{name}^{{commit}}").strip() == head
    assert "acme-sample-v0.0.1" not in remote_tags  # private packages are never tagged
    # released: nothing is due any more, and tagging again does nothing
    rows = json.loads(doit(repo, "plan", "--format", "json").stdout)
    assert [r["id"] for r in rows if r["next"]] == []
    assert "unchanged since acme-core-v0.4.0" in {r["why"] for r in rows}
    assert "tagged already" in doit(repo, "tag").stdout


def test_bump_and_changelog_write_the_working_tree_including_version_files(repo):
    init = repo / "py/packages/acme-core/src/acme_core/__init__.py"
    init.write_text(init.read_text() + '__version__ = "0.3.0"\n')
    (repo / "py/packages/acme-core/releasekit.toml").write_text(
        'group = "core"\nversion_files = [{path = "src/acme_core/__init__.py", '
        "pattern = '__version__ = \"{version}\"'}]\n"
    )
    git(repo, "commit", "-q", "-am", "chore: expose the version")
    before = user_files(repo)
    doit(repo, "bump")
    doit(repo, "changelog")
    assert init.read_text().endswith('__version__ = "0.4.0"\n')
    assert 'version = "0.4.0"' in (repo / "py/packages/acme-core/pyproject.toml").read_text()
    assert "## 0.4.0 (" in (repo / "py/packages/acme-core/CHANGELOG.md").read_text()
    changed = {k for k, v in user_files(repo).items() if before.get(k) != v}
    assert "py/uv.lock" in changed and "go/cli/go.mod" in changed
    # a bad pattern fails with its code and writes nothing
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "clean", "-qfd", "--", "py", "js", "go")
    (repo / "py/packages/acme-core/releasekit.toml").write_text(
        'version_files = [{path = "src/acme_core/__init__.py", pattern = \'VERSION = "{version}"\'}]\n'
    )
    git(repo, "commit", "-q", "-am", "chore: wrong pattern")
    before = user_files(repo)
    result = doit(repo, "bump", check=False)
    assert "RK-VERSION-PATTERN" in result.stdout + result.stderr
    assert user_files(repo) == before


def test_a_failed_push_leaves_no_worktree_and_no_branch(repo):
    """issue 13: a failed prepare removes its worktree and the branch it created."""
    git(repo, "remote", "set-url", "origin", str(repo.parent / "missing.git"))
    result = doit(repo, "prepare", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RK-GIT-PUSH" in result.stdout + result.stderr
    assert BRANCH not in git(repo, "branch", "--list")
    assert not (repo / ".releasekit/release-worktree").exists()
    assert "release-worktree" not in git(repo, "worktree", "list")
    assert git(repo, "status", "--porcelain") == ""
