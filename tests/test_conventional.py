"""Conventional Commits parsing: headers, footers, reverts."""

from __future__ import annotations

import pytest

from releasekit_tasks.prepare.conventional import drop_reverted, parse


@pytest.mark.parametrize(
    ("message", "kind", "scope", "breaking", "bump"),
    [
        ("feat: add x", "feat", None, False, "minor"),
        ("feat(core): add x", "feat", "core", False, "minor"),
        ("Feat(Core): add x", "feat", "Core", False, "minor"),
        ("fix: y", "fix", None, False, "patch"),
        ("perf(db): faster", "perf", "db", False, "patch"),
        ("docs: readme", "docs", None, False, None),
        ("chore(deps): bump", "chore", "deps", False, None),
        ("refactor!: drop old API", "refactor", None, True, "major"),
        ("feat(api)!: new shape", "feat", "api", True, "major"),
        ("feat:no space", None, None, False, None),
        ("update stuff", None, None, False, None),
        ("feat(): empty scope", "feat", None, False, "minor"),
    ],
)
def test_header(message, kind, scope, breaking, bump):
    commit = parse("a" * 40, message)
    assert (commit.type, commit.scope, commit.breaking, commit.bump) == (
        kind,
        scope,
        breaking,
        bump,
    )


@pytest.mark.parametrize("token", ["BREAKING CHANGE", "BREAKING-CHANGE"])
def test_breaking_footer_makes_a_major_and_keeps_its_text(token):
    message = (
        f"fix(io): close files\n\nLonger body.\n\n{token}: open() now\n  takes a mode.\nRefs: #7\n"
    )
    commit = parse("b" * 40, message)
    assert commit.breaking and commit.bump == "major"
    assert commit.breaking_notes == ("open() now takes a mode.",)
    assert commit.references == ("#7",)


def test_breaking_text_in_the_body_is_not_a_footer():
    commit = parse("c" * 40, "fix: x\n\nThis mentions a BREAKING CHANGE: in prose")
    assert not commit.breaking


def test_references_from_subject_and_body_once_each():
    commit = parse("d" * 40, "fix: x (#12)\n\nCloses #12, see #3 and org/repo#9")
    assert commit.references == ("#12", "#3")


def test_git_revert_and_conventional_revert():
    git_style = parse("e" * 40, 'Revert "feat: add x"\n\nThis reverts commit abcdef1234.\n')
    assert (git_style.type, git_style.reverts, git_style.description) == (
        "revert",
        "abcdef1234",
        "feat: add x",
    )
    conventional = parse("f" * 40, "revert: feat: add x\n\nThis reverts commit abcdef1.")
    assert conventional.reverts == "abcdef1"


def test_a_revert_cancels_the_commit_it_reverts_when_both_are_in_range():
    feat = parse("abcdef1" + "0" * 33, "feat: add x")
    fix = parse("1" * 40, "fix: y")
    revert = parse("2" * 40, 'Revert "feat: add x"\n\nThis reverts commit abcdef1.')
    assert drop_reverted([revert, fix, feat]) == [fix]


def test_reverting_a_revert_brings_the_change_back():
    feat = parse("a1" * 20, "feat: add x")
    revert = parse("b2" * 20, f'Revert "feat: add x"\n\nThis reverts commit {"a1" * 20}.')
    again = parse("c3" * 20, f'Revert "Revert "feat: add x""\n\nThis reverts commit {"b2" * 20}.')
    # newest first, as git log lists them
    assert drop_reverted([again, revert, feat]) == [feat]


def test_a_revert_of_an_already_released_commit_is_a_patch():
    revert = parse("2" * 40, 'Revert "feat: add x"\n\nThis reverts commit 9999999.')
    assert drop_reverted([revert]) == [revert]
    assert revert.bump == "patch"
