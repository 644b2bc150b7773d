"""Next versions from real git histories: every rule of the decision, through decide()."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import Selection, build_graph
from releasekit_tasks.prepare.decide import Decision, VersionOptions, decide
from releasekit_tasks.workspace import collect
from tests.repos.common import SAMPLE_RELEASE_TAGS, git_init, write
from tests.repos.pnpm import manifest, pnpm_workspace


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def commit(root: Path, path: str, message: str) -> str:
    """Change ``path`` (append a line) and commit it with ``message``."""
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a") as f:
        f.write(f"{message!r}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def js_repo(root: Path, versions: dict[str, str] | None = None, config: str = "") -> Path:
    """Two release trees and a member pinned to the registry:

    tree 1: a ← b ← c        tree 2: x ← y        p: depends on a as "^1.0.0" (not workspace:)
    """
    v = {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0", "x": "0.3.0", "y": "0.3.0", "p": "2.0.0"}
    v.update(versions or {})
    pnpm_workspace(
        root / "js",
        {
            "packages/a": manifest("a", v["a"]),
            "packages/b": manifest("b", v["b"], deps={"a": "workspace:^"}),
            "packages/c": manifest("c", v["c"], deps={"b": "workspace:^"}),
            "packages/x": manifest("x", v["x"]),
            "packages/y": manifest("y", v["y"], deps={"x": "workspace:*"}),
            "packages/p": manifest("p", v["p"], deps={"a": "^1.0.0"}),
        },
    )
    write(
        root / "releasekit.toml",
        f'tag_format = "{{name}}@{{version}}"\n{config}\n[ecosystems.js]\nkind = "pnpm"\n'
        'workspace_root = "js"\n',
    )
    write(root / "js/packages/a/releasekit.toml", 'group = "core"\n')
    git_init(root)
    for name in v:
        git(root, "tag", f"{name}@{v[name]}")
    return root


def run(root: Path, **options) -> Decision:
    workspace = collect(root)
    graph = build_graph(workspace.packages.values())
    return decide(workspace, graph, "HEAD", VersionOptions(**options))


def versions_of(decision: Decision) -> dict[str, tuple[str | None, str, str]]:
    return {r.name: (r.old_version, r.new_version, r.bump) for r in decision.manifest.releases}


def test_unchanged_packages_are_skipped_and_say_why(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/README.md", "docs: explain")
    decision = run(root)
    assert decision.manifest.releases == []
    assert decision.skipped["js/a"] == "no releasable commits since a@1.0.0 (1 other commits)"
    assert decision.skipped["js/x"] == "unchanged since x@0.3.0"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("fix: y", ("1.0.0", "1.0.1", "patch")),
        ("perf: y", ("1.0.0", "1.0.1", "patch")),
        ("feat(parser): y", ("1.0.0", "1.1.0", "minor")),
        ("feat!: y", ("1.0.0", "2.0.0", "major")),
        ("fix: y\n\nBREAKING CHANGE: z is gone", ("1.0.0", "2.0.0", "major")),
        ("fix: y\n\nBREAKING-CHANGE: z is gone", ("1.0.0", "2.0.0", "major")),
    ],
)
def test_bump_rules(tmp_path, message, expected):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", message)
    assert versions_of(run(root))["a"] == expected


def test_the_largest_bump_wins_and_reasons_name_the_commit(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "fix: small")
    sha = commit(root, "js/packages/a/index.js", "feat(api): big")
    commit(root, "js/packages/a/index.js", "chore: tidy")
    release = run(root).manifest.by_id()["js/a"]
    assert release.new_version == "1.1.0"
    assert release.reasons == [f"feature {sha[:7]} feat(api): big (+1 more)"]
    assert [(n.section, n.scope, n.description) for n in release.notes] == [
        ("feat", "api", "big"),
        ("fix", None, "small"),
    ]


def test_breaking_on_zero_is_minor_unless_major_on_zero(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/x/index.js", "feat!: new shape")
    assert versions_of(run(root))["x"] == ("0.3.0", "0.4.0", "minor")
    write(root / "releasekit.toml", (root / "releasekit.toml").read_text() + "")
    text = (
        (root / "releasekit.toml")
        .read_text()
        .replace("[ecosystems.js]", "major_on_zero = true\n\n[ecosystems.js]")
    )
    (root / "releasekit.toml").write_text(text)
    assert versions_of(run(root))["x"] == ("0.3.0", "1.0.0", "major")


def test_propagation_is_a_patch_through_three_levels_and_stays_in_its_tree(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "feat!: breaking in a")
    decision = run(root)
    assert versions_of(decision) == {
        "a": ("1.0.0", "2.0.0", "major"),
        "b": ("1.0.0", "1.0.1", "patch"),  # D-11: never the dependency's major
        "c": ("1.0.0", "1.0.1", "patch"),
    }
    assert decision.manifest.by_id()["js/c"].reasons == ["dependency b → 1.0.1"]
    # the other tree and the member pinned to a registry version are untouched
    assert "unchanged" in decision.skipped["js/x"]
    assert "unchanged" in decision.skipped["js/p"]


def test_a_dependent_with_its_own_change_keeps_its_bump_and_notes_the_dependency(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "fix: a")
    commit(root, "js/packages/b/index.js", "feat: b")
    release = run(root).manifest.by_id()["js/b"]
    assert (release.new_version, release.bump) == ("1.1.0", "minor")
    assert [n.section for n in release.notes] == ["feat", "deps"]


def test_reverted_commit_makes_no_release(tmp_path):
    root = js_repo(tmp_path)
    sha = commit(root, "js/packages/a/index.js", "feat: oops")
    git(root, "revert", "--no-edit", sha)
    decision = run(root)
    assert "js/a" in decision.skipped
    assert decision.manifest.releases == []


def test_a_file_belongs_to_the_deepest_package(tmp_path):
    root = js_repo(tmp_path)
    write(root / "js/packages/a/nested/package.json", '{"name": "nested", "version": "1.0.0"}\n')
    pnpm = root / "js/pnpm-workspace.yaml"
    pnpm.write_text("packages:\n  - 'packages/*'\n  - 'packages/a/nested'\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: add nested")
    git(root, "tag", "nested@1.0.0")
    git(root, "tag", "-f", "a@1.0.0")
    commit(root, "js/packages/a/nested/index.js", "feat: only nested")
    assert versions_of(run(root)) == {"nested": ("1.0.0", "1.1.0", "minor")}


def test_merged_branch_commits_are_read_one_by_one(tmp_path):
    root = js_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "topic")
    commit(root, "js/packages/a/index.js", "fix: first")
    commit(root, "js/packages/x/index.js", "feat: on x")
    git(root, "checkout", "-q", "main")
    commit(root, "js/packages/y/index.js", "fix: meanwhile on main")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    result = versions_of(run(root))
    assert result["a"] == ("1.0.0", "1.0.1", "patch")
    assert result["x"] == ("0.3.0", "0.4.0", "minor")
    assert result["y"] == ("0.3.0", "0.3.1", "patch")


def test_non_conventional_merge_branch_falls_back_to_the_merge_message(tmp_path):
    root = js_repo(tmp_path)
    git(root, "checkout", "-q", "-b", "topic")
    commit(root, "js/packages/a/index.js", "wip")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "feat: the topic (#5)", "topic")
    release = run(root).manifest.by_id()["js/a"]
    assert release.new_version == "1.1.0"
    assert release.notes[0].description == "the topic"
    assert release.notes[0].references == ("#5",)


def test_never_released_package_is_released_at_its_manifest_version(tmp_path):
    root = js_repo(tmp_path)
    git(root, "tag", "-d", "c@1.0.0")
    release = run(root).manifest.by_id()["js/c"]
    assert (release.old_version, release.new_version, release.bump) == ("1.0.0", "1.0.0", "initial")


def test_bootstrap_sha_stands_for_the_last_release(tmp_path):
    root = js_repo(tmp_path)
    for tag in git(root, "tag").split():
        git(root, "tag", "-d", tag)
    base = commit(root, "js/packages/a/index.js", "feat: before releasekit")
    text = (root / "releasekit.toml").read_text()
    (root / "releasekit.toml").write_text(f'bootstrap_sha = "{base}"\n' + text)
    git(root, "commit", "-q", "-am", "chore: adopt releasekit")
    commit(root, "js/packages/a/index.js", "fix: after")
    result = run(root)
    assert versions_of(result)["a"] == ("1.0.0", "1.0.1", "patch")
    assert "unchanged since bootstrap_sha" in result.skipped["js/x"]


def test_manual_override_and_force(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "fix: a")
    chosen = Selection(packages=("a",))
    assert versions_of(run(root, bump="major", selection=chosen))["a"][1] == "2.0.0"
    forced = run(root, force=True, selection=Selection(packages=("x",)))
    assert versions_of(forced)["x"] == ("0.3.0", "0.3.1", "patch")
    with pytest.raises(RKError) as err:
        run(root, bump="huge")
    assert err.value.code == "RK-CONFIG-VALUE"


def test_group_selection_releases_only_the_group(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "feat: a")
    commit(root, "js/packages/x/index.js", "fix: x")
    assert set(versions_of(run(root, selection=Selection(groups=("core",))))) == {"a"}
    with pytest.raises(RKError) as err:
        run(root, selection=Selection(groups=("nope",)))
    assert err.value.code == "RK-GROUP-UNKNOWN"


def test_prerelease_then_next_prerelease_then_promotion_rolls_up(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "feat: one")
    first = run(root, prerelease="rc").manifest.by_id()["js/a"]
    assert (first.new_version, first.bump) == ("1.1.0-rc.1", "prerelease")
    # release it: the manifest now says 1.1.0-rc.1 and the tag exists
    _release(root, "a", "1.1.0-rc.1")
    commit(root, "js/packages/a/index.js", "fix: two")
    second = run(root, prerelease="rc").manifest.by_id()["js/a"]
    assert second.new_version == "1.1.0-rc.2"
    assert [n.description for n in second.notes] == ["two"]
    _release(root, "a", "1.1.0-rc.2")
    final = run(root).manifest.by_id()["js/a"]
    assert (final.new_version, final.bump) == ("1.1.0", "promote")
    # D-4: the final release carries every change since 1.0.0, not just since rc.2
    assert [n.description for n in final.notes] == ["two", "one"]


def test_an_untagged_manifest_prerelease_waits_for_a_change(tmp_path):
    # trpc's @trpc/openapi says 11.18.0-alpha in its manifest and was never tagged so:
    # a plain release must not graduate it to 11.18.0 without a releasable commit.
    root = js_repo(tmp_path, {"x": "0.4.0-alpha", "y": "0.3.0"})
    git(root, "tag", "-d", "x@0.4.0-alpha")
    git(root, "tag", "x@0.3.0")
    decision = run(root)
    assert "x" not in versions_of(decision)
    assert decision.skipped["js/x"] == "unchanged since x@0.3.0"
    commit(root, "js/packages/x/index.js", "fix: x")
    assert versions_of(run(root))["x"] == ("0.4.0-alpha", "0.4.0", "promote")


def test_a_breaking_change_after_an_rc_moves_the_target(tmp_path):
    root = js_repo(tmp_path)
    commit(root, "js/packages/a/index.js", "feat: one")
    _release(root, "a", "1.1.0-rc.1")
    commit(root, "js/packages/a/index.js", "feat!: two")
    assert versions_of(run(root, prerelease="rc"))["a"][1] == "2.0.0-rc.1"
    assert versions_of(run(root, prerelease="beta.3"))["a"][1] == "2.0.0-beta.3"


def test_invalid_current_version_is_a_coded_error(tmp_path):
    root = js_repo(tmp_path, {"a": "1.0"})
    commit(root, "js/packages/a/index.js", "fix: a")
    with pytest.raises(RKError) as err:
        run(root)
    assert err.value.code == "RK-VERSION-INVALID"
    assert err.value.path == root / "js/packages/a/package.json"


def _release(root: Path, name: str, version: str) -> None:
    """Write ``version`` into the package's manifest, commit and tag it, as a release would."""
    path = root / f"js/packages/{name}/package.json"
    text = path.read_text()
    import json

    data = json.loads(text)
    data["version"] = version
    path.write_text(json.dumps(data, indent=2) + "\n")
    git(root, "commit", "-q", "-am", f"chore(release): {name} {version}")
    git(root, "tag", f"{name}@{version}")


# --- Go and synchronized releases over the sample monorepo --------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from demo.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("sample") / "repo")


def _copy(sample: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(sample), str(root)], check=True)
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    return root


def _tag_all(root: Path) -> None:
    for tag in SAMPLE_RELEASE_TAGS:
        git(root, "tag", tag)


def test_synchronize_applies_the_largest_bump_across_ecosystems(sample, tmp_path):
    root = _copy(sample, tmp_path)
    _tag_all(root)
    config = root / "releasekit.toml"
    config.write_text(config.read_text().replace("synchronize = false", "synchronize = true"))
    git(root, "commit", "-q", "-am", "chore: lockstep")
    commit(root, "js/packages/http/index.js", "feat: new option")
    decision = run(root)
    got = {r.id.split("/", 1)[0] + ":" + r.name: r.new_version for r in decision.manifest.releases}
    assert got == {
        "py:acme-core": "0.4.0",
        "py:acme-http": "0.4.0",
        "py:acme-cli": "0.4.0",
        "js:@acme/core": "0.4.0",
        "js:@acme/http": "0.4.0",
        "js:@acme/cli": "0.4.0",
        "go:example.com/acme/go/core": "v0.4.0",
        "go:example.com/acme/go/plugins/http": "v0.4.0",
        "go:example.com/acme/go/cli": "v0.4.0",
    }
    assert decision.manifest.umbrella_tag == "v0.4.0"
    assert decision.manifest.by_id()["py/acme-core"].reasons[0].startswith("synchronized with")


def test_go_major_bump_needs_a_new_module_path(sample, tmp_path):
    root = _copy(sample, tmp_path)
    _tag_all(root)
    core = Selection(packages=("example.com/acme/go/core",))
    commit(root, "go/core/core.go", "feat!: new API")
    # 0.x → 1.0.0 needs no new path
    assert (
        versions_of(run(root, bump="major", selection=core))["example.com/acme/go/core"][1]
        == "v1.0.0"
    )
    versions = root / ".releasekit-versions.json"
    versions.write_text(versions.read_text().replace('"v0.3.0"', '"v1.2.0"'))
    git(root, "commit", "-q", "-am", "chore(release): core v1.2.0")
    git(root, "tag", "go/core/v1.2.0")
    commit(root, "go/core/core.go", "feat!: another new API")
    before = versions.read_bytes()
    with pytest.raises(RKError) as err:
        run(root, selection=core)
    assert err.value.code == "RK-GO-MAJOR-PATH"
    assert "example.com/acme/go/core/v2" in err.value.fix
    assert versions.read_bytes() == before
    assert (
        versions_of(run(root, bump="minor", selection=core))["example.com/acme/go/core"][1]
        == "v1.3.0"
    )


def test_go_prerelease_spelling_per_ecosystem(sample, tmp_path):
    root = _copy(sample, tmp_path)
    _tag_all(root)
    commit(root, "go/core/core.go", "feat: go")
    commit(root, "py/packages/acme-core/src/acme_core/__init__.py", "feat: py")
    commit(root, "js/packages/core/index.js", "feat: js")
    got = versions_of(run(root, prerelease="rc"))
    assert got["example.com/acme/go/core"][1] == "v0.4.0-rc.1"
    assert got["acme-core"][1] == "0.4.0rc1"
    assert got["@acme/core"][1] == "0.4.0-rc.1"
