"""The forge clients against the fake GitHub (behind prism's OpenAPI contract check)
and the fake GitLab (checked against the parameter tables of GitLab's API docs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from releasekit_tasks.errors import RKError
from releasekit_tasks.forges import (
    PENDING,
    TAGGED,
    DispatchTarget,
    ForgeConfig,
    ForgeSettings,
    connect,
    open_forge,
    resolve,
)
from releasekit_tasks.forges.api import rate_limit_wait
from releasekit_tasks.forges.github import GitHub
from releasekit_tasks.forges.gitlab import GitLab
from tests.forge_fakes import Answer, FakeGitLab
from tests.forge_fixtures import *  # noqa: F403 — github, gitlab fixtures
from tests.forge_fixtures import GitHubContract


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def github_client(github: GitHubContract, sleep: Sleeps | None = None) -> GitHub:
    settings = resolve(ForgeConfig(forge="github"), github.env())
    assert isinstance(settings, ForgeSettings)
    return GitHub(settings, sleep=Sleeps() if sleep is None else sleep)


def gitlab_client(gitlab: FakeGitLab, token_var: str = "GITLAB_TOKEN") -> GitLab:
    env = {"CI_API_V4_URL": gitlab.url + "/api/v4", "CI_PROJECT_ID": "42", token_var: gitlab.token}
    settings = resolve(ForgeConfig(forge="gitlab"), env)
    assert isinstance(settings, ForgeSettings)
    return GitLab(settings, sleep=Sleeps())


def bare_remote(tmp_path: Path) -> Path:
    """A bare repository with `main` and a `releasekit/release` branch one commit ahead."""
    work = tmp_path / "work"
    remote = tmp_path / "remote.git"
    run = lambda *a, cwd=work: subprocess.run(a, cwd=cwd, check=True, capture_output=True)  # noqa: E731
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    work.mkdir()
    run("git", "init", "-q", "-b", "main")
    run("git", "config", "user.email", "t@example.test")
    run("git", "config", "user.name", "t")
    (work / "a.txt").write_text("a\n")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "init")
    run("git", "checkout", "-qb", "releasekit/release")
    (work / "b.txt").write_text("b\n")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "chore(release): 1 package")
    run("git", "push", "-q", str(remote), "main", "releasekit/release")
    return remote


# --- settings -------------------------------------------------------------------------


def test_settings_follow_each_ci_and_never_show_the_token() -> None:
    gh = resolve(ForgeConfig(forge="github"), {"GITHUB_REPOSITORY": "o/r", "GH_TOKEN": "s3cret"})
    assert isinstance(gh, ForgeSettings)
    assert (gh.api_url, gh.repo, gh.token_source) == ("https://api.github.com", "o/r", "GH_TOKEN")
    assert "s3cret" not in repr(gh)
    gl = resolve(
        ForgeConfig(forge="gitlab", repo="g/p"),
        {"CI_API_V4_URL": "https://gl.example/api/v4/", "CI_JOB_TOKEN": "j"},
    )
    assert isinstance(gl, ForgeSettings)
    assert (gl.api_url, gl.repo, gl.token_source) == (
        "https://gl.example/api/v4",
        "g/p",
        "CI_JOB_TOKEN",
    )
    assert (
        resolve(ForgeConfig(forge="github", repo="o/r"), {})
        == "github: no token in GITHUB_TOKEN or GH_TOKEN"
    )
    assert "no repository" in str(resolve(ForgeConfig(forge="gitlab"), {"GITLAB_TOKEN": "t"}))
    with pytest.raises(RKError) as err:
        resolve(ForgeConfig(forge="gitea"), {})
    assert err.value.code == "RK-CONFIG-VALUE"


def test_no_token_warns_and_returns_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert open_forge(ForgeConfig(forge="github", repo="o/r"), {}, what="the Release PR") is None
    assert (
        "warning  github: no token in GITHUB_TOKEN or GH_TOKEN: the Release PR skipped"
        in capsys.readouterr().out
    )
    assert open_forge(ForgeConfig(), {}) is None
    assert capsys.readouterr().out == ""  # forge = "none": silent unless asked
    assert open_forge(ForgeConfig(), {}, note=True) is None
    assert "note" in capsys.readouterr().out


def test_rate_limit_wait_reads_github_and_gitlab_headers() -> None:
    def response(status: int, **headers: str) -> httpx.Response:
        return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x"))

    assert (
        rate_limit_wait(
            response(403, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}),
            now=lambda: 1000.0,
        )
        == 11.0
    )
    assert rate_limit_wait(response(403, **{"retry-after": "7"})) == 7.0
    assert (
        rate_limit_wait(
            response(429, **{"ratelimit-remaining": "0", "ratelimit-reset": "1003"}),
            now=lambda: 1000.0,
        )
        == 4.0
    )
    assert rate_limit_wait(response(403)) is None  # a permission error, not a rate limit
    assert rate_limit_wait(response(404, **{"retry-after": "7"})) is None


# --- GitHub ---------------------------------------------------------------------------


def test_github_release_pr_lifecycle(github: GitHubContract) -> None:
    with github_client(github) as gh:
        assert gh.default_branch() == "main"
        assert gh.find_open_pr("releasekit/release", "main") is None
        pr = gh.open_pr("releasekit/release", "main", "chore(release): v1", "body 1", (PENDING,))
        assert pr.state == "open" and pr.labels == (PENDING,)
        found = gh.find_open_pr("releasekit/release", "main")
        assert found is not None and found.number == pr.number
        updated = gh.update_pr(found, "chore(release): v2", "body 2")
        assert (updated.title, updated.body, updated.labels) == (
            "chore(release): v2",
            "body 2",
            (PENDING,),
        )
        with pytest.raises(RKError) as err:  # GitHub refuses a second PR for the branch
            gh.open_pr("releasekit/release", "main", "again", "", ())
        assert err.value.code == "RK-FORGE-RESPONSE" and "already exists" in err.value.message
        gh.close_pr(updated)
        assert gh.find_open_pr("releasekit/release", "main") is None
    assert github.fake.prs[pr.number]["state"] == "closed"


def test_github_merged_pr_labels_releases_and_dispatch(
    github: GitHubContract, tmp_path: Path
) -> None:
    github.fake.remote = bare_remote(tmp_path)
    with github_client(github) as gh:
        pr = gh.open_pr("releasekit/release", "main", "chore(release): v1", "notes", (PENDING,))
        sha = github.fake.merge(pr.number)
        merged = gh.find_merged_pr("releasekit/release", PENDING, sha)
        assert merged is not None and merged.number == pr.number and merged.merge_sha == sha
        # Without the commit (a squash elsewhere, a rerun on a later commit): by label.
        assert gh.find_merged_pr("releasekit/release", PENDING, "f" * 40) == merged
        gh.set_labels(merged, (TAGGED,), (PENDING,))
        gh.set_labels(merged, (TAGGED,), (PENDING,))  # idempotent: the label is gone already
        assert github.fake.prs[pr.number]["labels"] == [TAGGED]
        assert gh.find_merged_pr("releasekit/release", PENDING) is None

        assert gh.get_release("v1.0.0") is None
        release = gh.create_release("v1.0.0", "v1.0.0", "notes", prerelease=False, draft=False)
        assert gh.get_release("v1.0.0") == release
        draft = gh.create_release("v2.0.0-rc.1", "rc", "n", prerelease=True, draft=True)
        assert gh.get_release("v2.0.0-rc.1") == draft and draft.draft and draft.prerelease
        assert gh.delete_release("v2.0.0-rc.1") is True
        assert gh.delete_release("v2.0.0-rc.1") is False

        assert gh.dispatch(
            DispatchTarget("acme/downstream"),
            "releasekit-published",
            {"packages": ["a"], "versions": {"a": "1"}},
        )
    assert github.fake.dispatches == [
        {
            "repo": "acme/downstream",
            "event_type": "releasekit-published",
            "client_payload": {"packages": ["a"], "versions": {"a": "1"}},
        }
    ]
    # The merge landed in the bare remote, as a merge commit of both branches.
    parents = subprocess.run(
        ["git", "rev-list", "--parents", "-n1", "main"],
        cwd=github.fake.remote,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert parents[0] == sha and len(parents) == 3


def test_github_pagination_follows_link_headers(github: GitHubContract) -> None:
    for i in range(5):
        github.fake.create_release({}, {"tag_name": f"t{i}", "name": f"t{i}", "draft": True})
    with github_client(github) as gh:
        items = list(gh.api.pages(f"{gh.base}/releases", {"per_page": 2}))
    assert sorted(i["tag_name"] for i in items) == [f"t{i}" for i in range(5)]
    pages = [
        line for line in github.fake.log if line.startswith("GET /repos/acme/monorepo/releases")
    ]
    assert len(pages) == 3 and "page=3" in pages[-1]


def test_github_rate_limit_403_waits_for_the_reset(github: GitHubContract) -> None:
    github.fake.rate_limit_next("POST /repos/acme/monorepo/pulls", reset_in=2)
    sleeps = Sleeps()
    with github_client(github, sleeps) as gh:
        pr = gh.open_pr("feature", "main", "t", "b", ())
    assert pr.number >= 1
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 4.0
    assert github.fake.log.count("POST /repos/acme/monorepo/pulls") == 2


def test_github_rate_limit_past_the_deadline_fails_at_once(github: GitHubContract) -> None:
    github.fake.rate_limit_next("GET /repos/acme/monorepo", reset_in=3600)
    sleeps = Sleeps()
    with github_client(github, sleeps) as gh, pytest.raises(RKError) as err:
        gh.default_branch()
    assert err.value.code == "RK-FORGE-UNAVAILABLE" and sleeps == []
    assert "403" in err.value.message and github.fake.token not in err.value.render()


def test_github_bad_token_is_an_auth_error_without_the_token(github: GitHubContract) -> None:
    # GitHub answers 401 from every endpoint, but documents it for few: prism says so.
    github.expected.append("Unable to match the returned status code")
    settings = resolve(ForgeConfig(forge="github"), github.env(GITHUB_TOKEN="wrong-token-value"))
    assert isinstance(settings, ForgeSettings)
    with connect(settings) as gh, pytest.raises(RKError) as err:
        gh.default_branch()
    assert err.value.code == "RK-FORGE-AUTH"
    assert "wrong-token-value" not in err.value.render() and "GITHUB_TOKEN" in err.value.message


# --- GitLab ---------------------------------------------------------------------------


def test_gitlab_merge_request_lifecycle(gitlab: FakeGitLab, tmp_path: Path) -> None:
    gitlab.remote = bare_remote(tmp_path)
    with gitlab_client(gitlab) as gl:
        assert gl.default_branch() == "main"
        assert gl.find_open_pr("releasekit/release", "main") is None
        mr = gl.open_pr("releasekit/release", "main", "chore(release): v1", "b1", (PENDING,))
        assert mr.labels == (PENDING,) and mr.state == "open"
        found = gl.find_open_pr("releasekit/release", "main")
        assert found is not None and found.number == mr.number
        assert gl.update_pr(found, "v2", "b2").body == "b2"
        sha = gitlab.merge(mr.number)
        merged = gl.find_merged_pr("releasekit/release", PENDING, sha)
        assert merged is not None and merged.merge_sha == sha and merged.state == "merged"
        gl.set_labels(merged, (TAGGED,), (PENDING,))
        assert gitlab.mrs[mr.number]["labels"] == [TAGGED]
        assert gl.find_merged_pr("releasekit/release", PENDING) is None
        assert gl.get_release("v1") is None
        release = gl.create_release("v1", "v1", "notes", prerelease=True, draft=False)
        assert release.name == "v1 (prerelease)" and gl.get_release("v1") == release
        assert gl.delete_release("v1") and not gl.delete_release("v1")


def test_merged_prs_still_pending_come_oldest_first(gitlab: FakeGitLab, tmp_path: Path) -> None:
    """Merged MRs labelled pending, the oldest merge first; an older one whose merge
    commit is not in the clone stops `doit tag` before any tag, naming it."""
    from releasekit_tasks.forges.flow import MergedRelease
    from releasekit_tasks.prepare.manifest import ReleaseManifest
    from releasekit_tasks.prepare.stage import _check_merge_commits

    for iid, merged_at, labels in [
        (1, "2026-01-02T00:00:00.000Z", [PENDING]),
        (2, "2026-01-01T00:00:00.000Z", [PENDING]),
        (3, "2026-01-03T00:00:00.000Z", [TAGGED]),
    ]:
        gitlab.mrs[iid] = {
            "iid": iid,
            "title": "t",
            "description": "",
            "state": "merged",
            "source_branch": "releasekit/release",
            "target_branch": "main",
            "labels": labels,
            "merge_commit_sha": f"{iid}" * 40,
            "merged_at": merged_at,
            "seq": iid,
        }
    with gitlab_client(gitlab) as gl:
        pending = gl.merged_prs("releasekit/release", PENDING)
    assert [pr.number for pr in pending] == [2, 1]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    older = [MergedRelease(pr, ReleaseManifest("", False, "", [])) for pr in pending]
    with pytest.raises(RKError) as error:
        _check_merge_commits(tmp_path, older)
    assert error.value.code == "RK-RELEASE-PR-UNTAGGED" and "#2, #1" in error.value.message


def test_gitlab_offset_pagination_and_429(gitlab: FakeGitLab) -> None:
    for i in range(5):
        gitlab.create_mr({}, {"source_branch": f"b{i}", "target_branch": "main", "title": "t"})
    gitlab.rate_limit_next("GET /api/v4/projects/42/merge_requests")
    gl = gitlab_client(gitlab)
    with gl:
        items = list(gl.api.pages(f"{gl.base}/merge_requests", {"per_page": 2, "state": "opened"}))
    assert len(items) == 5
    pages = [
        line for line in gitlab.log if line.startswith("GET /api/v4/projects/42/merge_requests")
    ]
    assert len(pages) == 4  # the 429, then pages 1-3
    assert gl.api.sleep == [1.0]  # type: ignore[comparison-overlap]


def test_gitlab_fake_enforces_the_documented_parameters(gitlab: FakeGitLab) -> None:
    with gitlab_client(gitlab) as gl, pytest.raises(RKError) as err:
        gl.api.json(
            "POST",
            f"{gl.base}/merge_requests",
            json={"source_branch": "a", "target_branch": "main"},
        )
    assert err.value.code == "RK-FORGE-RESPONSE" and "title is missing" in err.value.message
    gitlab.fail_next(Answer(401, {"message": "401 Unauthorized"}))
    with gitlab_client(gitlab, "CI_JOB_TOKEN") as gl, pytest.raises(RKError) as err:
        gl.default_branch()
    assert err.value.code == "RK-FORGE-AUTH" and gitlab.token not in err.value.render()


def test_gitlab_dispatch_triggers_the_downstream_pipeline(
    gitlab: FakeGitLab, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab's repository_dispatch: the trigger API with the downstream project's trigger
    token (never the project token, never printed); no token: a warning, nothing sent."""
    payload = {"packages": ["py/a"], "versions": {"py/a": "1.2.0"}, "sha": "c" * 40}
    docs = DispatchTarget("acme/sub/docs", ref="stable", token_env="DOCS_TRIGGER_TOKEN")
    with gitlab_client(gitlab) as gl:
        assert not gl.dispatch(docs, "releasekit-published", payload)
        assert gitlab.triggers == [] and "no pipeline trigger token in DOCS_TRIGGER_TOKEN" in (
            capsys.readouterr().out
        )
        monkeypatch.setenv("DOCS_TRIGGER_TOKEN", gitlab.trigger_token)
        assert gl.dispatch(docs, "releasekit-published", payload)
        assert "private-token" not in gitlab.last_headers  # the trigger token authenticates
        monkeypatch.setenv("DOCS_TRIGGER_TOKEN", "glptt-revoked")
        with pytest.raises(RKError) as err:
            gl.dispatch(docs, "releasekit-published", payload)
        gl.create_release("v1", "v1", "", prerelease=False, draft=True)
    (sent,) = gitlab.triggers
    assert sent["project"] == "acme/sub/docs" and sent["ref"] == "stable"
    assert sent["variables"]["RELEASEKIT_EVENT"] == "releasekit-published"
    assert json.loads(sent["variables"]["RELEASEKIT_PAYLOAD"]) == payload
    assert err.value.code == "RK-FORGE-RESPONSE" and "glptt-revoked" not in err.value.render()
    assert "DOCS_TRIGGER_TOKEN" in err.value.fix
    assert "no draft releases" in capsys.readouterr().out


# --- configuration and trusted publishing -------------------------------------------------


def test_forge_keys_in_releasekit_toml(tmp_path: Path) -> None:
    from releasekit_tasks.config import load_root_config

    (tmp_path / "releasekit.toml").write_text(
        'forge = "github"\nrepo = "acme/monorepo"\ndispatch = ["acme/docs"]\n'
        'stale_release_pr = "leave"\nrelease_draft = true\n'
    )
    config = load_root_config(tmp_path)
    docs = DispatchTarget("acme/docs")
    assert (config.forge, config.repo, config.dispatch) == ("github", "acme/monorepo", (docs,))
    assert ForgeConfig.of(config) == ForgeConfig("github", "acme/monorepo", None, (docs,))
    (tmp_path / "releasekit.toml").write_text(
        'forge = "gitlab"\ndispatch = ["acme/docs", "1234", '
        '{repo = "acme/sub/deploy", ref = "production", token_env = "DEPLOY_TRIGGER"}]\n'
    )
    assert load_root_config(tmp_path).dispatch == (
        DispatchTarget("acme/docs", "main", "RELEASEKIT_TRIGGER_TOKEN"),
        DispatchTarget("1234"),  # a project id
        DispatchTarget("acme/sub/deploy", "production", "DEPLOY_TRIGGER"),
    )
    for text, code in [
        ('forge = "gitea"\n', "RK-CONFIG-VALUE"),
        ('dispatch = ["not a repo"]\n', "RK-CONFIG-VALUE"),
        ('dispatch = "acme/docs"\n', "RK-CONFIG-TYPE"),
        ('trusted_publishing = "sometimes"\n', "RK-CONFIG-VALUE"),
        ('forge = "github"\ndispatch = ["acme/sub/docs"]\n', "RK-CONFIG-VALUE"),
        ('forge = "github"\ndispatch = [{repo = "acme/docs", ref = "main"}]\n', "RK-CONFIG-VALUE"),
        (
            'forge = "gitlab"\ndispatch = [{repo = "acme/docs", branch = "x"}]\n',
            "RK-CONFIG-UNKNOWN-KEY",
        ),
        ('forge = "gitlab"\ndispatch = [{repo = "acme/docs", ref = ""}]\n', "RK-CONFIG-VALUE"),
        (
            'forge = "gitlab"\ndispatch = [{repo = "acme/docs", token_env = "glptt-secret"}]\n',
            "RK-CONFIG-VALUE",
        ),
        ('forge = "gitlab"\ndispatch = [7]\n', "RK-CONFIG-VALUE"),
    ]:
        (tmp_path / "releasekit.toml").write_text(text)
        with pytest.raises(RKError) as err:
            load_root_config(tmp_path)
        assert err.value.code == code and err.value.line == text.count("\n")
        assert "glptt-secret" not in err.value.render()  # a token written in is not shown


def test_trusted_publishing_only_where_the_ci_offers_an_id_token() -> None:
    from releasekit_tasks.publish import trusted

    github = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
    assert trusted.mode("automatic", {}) == "never"  # a laptop, the loopback tests
    assert trusted.mode("automatic", github) == "automatic"
    assert trusted.mode("automatic", {"PYPI_ID_TOKEN": "jwt"}) == "automatic"  # GitLab
    assert trusted.mode("never", github) == "never"
    assert trusted.mode("always", {}) == "always"


# --- the flow: titles, release notes, the stale Release PR --------------------------------


def _manifest(*versions: tuple[str, str, str], umbrella: str = ""):
    from releasekit_tasks.prepare.manifest import ChangeNote, PlannedRelease, ReleaseManifest

    releases = [
        PlannedRelease(
            id=f"{eco}/{name}", name=name, ecosystem={"py": "uv", "js": "pnpm"}[eco], label=eco,
            path=name, manifest=f"{name}/pyproject.toml", old_version="1.0.0",
            new_version=version, bump="minor",
            notes=[ChangeNote("feat", f"{name} grows", sha="a" * 40)],
        )
        for eco, name, version in versions
    ]  # fmt: skip
    return ReleaseManifest(
        head="b" * 40, synchronize=bool(umbrella), prerelease="", releases=releases,
        umbrella_tag=umbrella,
    )  # fmt: skip


def test_titles_and_release_notes(tmp_path: Path) -> None:
    from releasekit_tasks.config import RootConfig
    from releasekit_tasks.forges import flow

    config = RootConfig(root=tmp_path, pr_title_template="release {version} ({count}) → {base}")
    synced = _manifest(
        ("py", "core", "2.0.0rc1"), ("js", "web", "2.0.0-rc.1"), umbrella="v2.0.0-rc.1"
    )
    assert flow.pr_title(config, synced, "rk", "main") == "release  (2) → main"  # two spellings
    plain = RootConfig(root=tmp_path)
    assert flow.pr_title(plain, synced, "rk", "main") == "chore(release): v2.0.0-rc.1"
    one = _manifest(("py", "core", "1.1.0"))
    assert flow.pr_title(plain, one, "rk", "main") == "chore(release): 1 package"
    with pytest.raises(RKError) as err:
        flow.pr_title(RootConfig(root=tmp_path, pr_title_template="{nope}"), one, "rk", "main")
    assert err.value.code == "RK-CONFIG-VALUE"

    tags = flow.release_tags(synced, {"py/core": "core-v2.0.0rc1"}, config, "2026-01-01")
    assert [(t.tag, t.name, t.prerelease) for t in tags] == [
        ("core-v2.0.0rc1", "core 2.0.0rc1", True),  # js/web is not selected: no tag
        ("v2.0.0-rc.1", "v2.0.0-rc.1", True),  # the umbrella, with every package's notes
    ]
    assert "core grows" in tags[0].notes and "web grows" in tags[1].notes
    final = flow.release_tags(one, {"py/core": "core-v1.1.0"}, config, "2026-01-01")
    assert [t.prerelease for t in final] == [False]
    payload = flow.dispatch_payload({"py/core": {"version": "1.1.0", "registry": "r"}}, "c" * 40)
    assert payload == {
        "packages": ["py/core"], "versions": {"py/core": "1.1.0"},
        "registries": {"py/core": "r"}, "sha": "c" * 40,
    }  # fmt: skip
    assert len(payload) <= 10  # GitHub's limit on client_payload's top-level keys


def test_stale_release_pr_closed_or_left(
    github: GitHubContract, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from releasekit_tasks.config import RootConfig
    from releasekit_tasks.forges import flow

    with github_client(github) as gh:
        pr = gh.open_pr("releasekit/release", "main", "t", "b", (PENDING,))
    leave = RootConfig(root=tmp_path, forge="github", stale_release_pr="leave")
    flow.stale_release_pr(leave, "releasekit/release", dry_run=False, env=github.env())
    assert github.fake.prs[pr.number]["state"] == "open"
    close = RootConfig(root=tmp_path, forge="github")
    flow.stale_release_pr(close, "releasekit/release", dry_run=True, env=github.env())
    assert github.fake.prs[pr.number]["state"] == "open"
    flow.stale_release_pr(close, "releasekit/release", dry_run=False, env=github.env())
    assert github.fake.prs[pr.number]["state"] == "closed"
    out = capsys.readouterr().out
    assert (
        "left open" in out and f"would close #{pr.number}" in out and f"closed #{pr.number}" in out
    )
    # Without a token: one warning, nothing else.
    flow.stale_release_pr(
        close, "releasekit/release", dry_run=False, env={"GITHUB_REPOSITORY": "o/r"}
    )
    assert "warning  github: no token" in capsys.readouterr().out


def test_long_bodies_lose_notes_never_the_manifest() -> None:
    from releasekit_tasks.forges.flow import fit_body
    from releasekit_tasks.prepare.changelog import embed_manifest, extract_manifest

    manifest = _manifest(*(("py", f"p{i}", "1.1.0") for i in range(40)))
    body = embed_manifest("# Release\n" + "- a note line\n" * 5000, manifest)
    assert fit_body(body, len(body)) == body
    limit = len(body) - 60_000
    short = fit_body(body, limit)
    assert len(short) <= limit and "notes are cut here" in short
    assert extract_manifest(short) == manifest  # tag reads it back whole
    with pytest.raises(RKError) as err:
        fit_body(body, 1000)
    assert err.value.code == "RK-FORGE-RESPONSE" and "group=" in err.value.fix


def test_labels_only_move_forward(github: GitHubContract) -> None:
    from releasekit_tasks.forges import PUBLISHED
    from releasekit_tasks.forges.flow import _relabel

    with github_client(github) as gh:
        pr = gh.open_pr("releasekit/release", "main", "t", "b", (PENDING,))
        _relabel(gh, pr, TAGGED, dry_run=False)
        assert github.fake.prs[pr.number]["labels"] == [TAGGED]
        pr = gh.find_open_pr("releasekit/release", "main")
        assert pr is not None
        _relabel(gh, pr, PUBLISHED, dry_run=False)
        pr = gh.find_open_pr("releasekit/release", "main")
        assert pr is not None
        _relabel(gh, pr, TAGGED, dry_run=False)  # `doit tag` rerun after the publish
        _relabel(gh, pr, PUBLISHED, dry_run=False)  # and a second publish
    assert github.fake.prs[pr.number]["labels"] == [PUBLISHED]


def test_changelog_section_of_a_version() -> None:
    from releasekit_tasks.prepare.changelog import section_of

    text = "# Changelog\n\n## 1.2.0 (2026-01-02)\n\n- b\n\n## v1.1.0\n\n- a\n"
    assert section_of(text, "1.2.0") == "## 1.2.0 (2026-01-02)\n\n- b\n"
    assert section_of(text, "v1.1.0") == "## v1.1.0\n\n- a\n"
    assert section_of(text, "1.0.0") is None and section_of("", "1.0.0") is None
