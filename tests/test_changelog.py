from __future__ import annotations

import pytest

from releasekit_tasks import errors
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.changelog import (
    MANIFEST_BEGIN,
    MANIFEST_END,
    embed_manifest,
    extract_manifest,
    prepend,
    release_notes,
    render_section,
)
from releasekit_tasks.prepare.manifest import ChangeNote, PlannedRelease, ReleaseManifest

SHA1 = "abc1234def5678abc1234def5678abc1234def56"
SHA2 = "0123456789abcdef0123456789abcdef01234567"
SHA3 = "fedcba9876543210fedcba9876543210fedcba98"
URL = "https://github.com/acme/mono"


def release(
    name: str = "acme-core",
    new: str = "0.4.0",
    notes: list[ChangeNote] | None = None,
    *,
    ecosystem: str = "uv",
    old: str | None = "0.3.0",
    bump: str = "minor",
    reasons: list[str] | None = None,
) -> PlannedRelease:
    return PlannedRelease(
        id=f"py/{name}",
        name=name,
        ecosystem=ecosystem,
        label="py",
        path=f"packages/{name}",
        manifest=f"packages/{name}/pyproject.toml",
        old_version=old,
        new_version=new,
        bump=bump,
        reasons=reasons or [],
        notes=notes or [],
    )


ALL_NOTES = [
    # Given out of section order: rendering groups them in SECTIONS order.
    ChangeNote("deps", "acme-util bumped to 1.1.0"),
    ChangeNote("fix", "handle empty config", scope="cli", sha=SHA2),
    ChangeNote("breaking", "drop Python 3.9", sha=SHA1, references=("#12",)),
    ChangeNote("feat", "  add retry\n   to the client  ", scope="http", sha=SHA3),
    ChangeNote("feat", "second feature", sha=SHA2, references=("#7", "#8")),
    ChangeNote("perf", "faster graph walk", sha=SHA1),
    ChangeNote("revert", 'revert "feat: x"', sha=SHA3, references=("JIRA-9",)),
]


# --- render_section -------------------------------------------------------------


def test_render_all_sections_plain() -> None:
    assert render_section(release(notes=ALL_NOTES), "2026-11-21") == (
        "## 0.4.0 (2026-11-21)\n"
        "\n"
        "### Breaking changes\n"
        "\n"
        "- drop Python 3.9 (abc1234) (#12)\n"
        "\n"
        "### Features\n"
        "\n"
        "- **http:** add retry to the client (fedcba9)\n"
        "- second feature (0123456) (#7) (#8)\n"
        "\n"
        "### Fixes\n"
        "\n"
        "- **cli:** handle empty config (0123456)\n"
        "\n"
        "### Performance\n"
        "\n"
        "- faster graph walk (abc1234)\n"
        "\n"
        "### Reverts\n"
        "\n"
        '- revert "feat: x" (fedcba9) (JIRA-9)\n'
        "\n"
        "### Dependencies\n"
        "\n"
        "- acme-util bumped to 1.1.0\n"
    )


def test_render_links_with_repo_url() -> None:
    notes = [
        ChangeNote("breaking", "drop Python 3.9", scope="core", sha=SHA1, references=("#12",)),
        ChangeNote("fix", "a fix", sha=SHA2, references=("JIRA-9",)),
        ChangeNote("deps", "acme-util bumped to 1.1.0"),
    ]
    # A trailing slash on the URL does not double up.
    assert render_section(release(notes=notes), "2026-11-21", URL + "/") == (
        "## 0.4.0 (2026-11-21)\n"
        "\n"
        "### Breaking changes\n"
        "\n"
        f"- **core:** drop Python 3.9 ([abc1234]({URL}/commit/{SHA1})) ([#12]({URL}/pull/12))\n"
        "\n"
        "### Fixes\n"
        "\n"
        f"- a fix ([0123456]({URL}/commit/{SHA2})) (JIRA-9)\n"
        "\n"
        "### Dependencies\n"
        "\n"
        "- acme-util bumped to 1.1.0\n"
    )


def test_render_empty_release_and_go_version() -> None:
    go = release("example.com/mono/lib", "v1.0.0", [], ecosystem="go", bump="major")
    assert render_section(go, "2026-11-21") == (
        "## v1.0.0 (2026-11-21)\n\nNo user-facing changes.\n"
    )


def test_render_unknown_section_is_refused() -> None:
    with pytest.raises(ValueError, match="chore"):
        render_section(release(notes=[ChangeNote("chore", "x", sha=SHA1)]), "2026-11-21")


# --- prepend ----------------------------------------------------------------------

NEW = "## 1.2.0 (2026-11-21)\n\n### Features\n\n- new thing (abc1234)\n"


@pytest.mark.parametrize("existing", [None, ""])
def test_prepend_to_nothing(existing: str | None) -> None:
    assert prepend(existing, NEW + "\n\n", "1.2.0") == "# Changelog\n\n" + NEW


@pytest.mark.parametrize("title", ["# Changelog", "# Changelog\n", "# Changelog\n\n"])
def test_prepend_title_only(title: str) -> None:
    assert prepend(title, NEW, "1.2.0") == "# Changelog\n\n" + NEW


def test_prepend_keeps_title_and_preamble() -> None:
    existing = "# Changelog\n\nAll notable changes.\n\nSee also DOCS.md.\n"
    assert prepend(existing, NEW, "1.2.0") == existing + "\n" + NEW


OLD_SECTIONS = (
    "## 1.1.0 (2026-10-01)\n"
    "\n"
    "### Fixes\n"
    "\n"
    "- odd   spacing kept  \n"
    "\n"
    "```md\n"
    "## 1.2.0\n"  # inside a code sample: no heading, not replaced
    "```\n"
    "\n"
    "## 1.0.0\n"
    "\n"
    "- first release"  # no final newline: kept as is
)


def test_prepend_above_existing_sections_keeps_bytes_below() -> None:
    head = "# Changelog\n\nPreamble.\n\n"
    result = prepend(head + OLD_SECTIONS, NEW, "1.2.0")
    assert result == head + NEW + "\n" + OLD_SECTIONS
    assert result.encode().endswith(OLD_SECTIONS.encode())


def test_prepend_without_title() -> None:
    assert prepend(OLD_SECTIONS, NEW, "1.2.0") == NEW + "\n" + OLD_SECTIONS


def test_prepend_keeps_crlf() -> None:
    head = "# Changelog\r\n\r\n"
    old = "## 1.1.0 (2026-10-01)\r\n\r\n- old\r\n"
    result = prepend(head + old, NEW, "1.2.0")
    assert result == head + NEW.replace("\n", "\r\n") + "\r\n" + old
    assert "\n" not in result.replace("\r\n", "")


def test_prepend_is_idempotent() -> None:
    existing = "# Changelog\n\n" + OLD_SECTIONS
    once = prepend(existing, NEW, "1.2.0")
    assert prepend(once, NEW, "1.2.0") == once
    # A re-run with other notes replaces the section rather than adding a second one.
    updated = NEW.replace("new thing", "renamed thing")
    assert prepend(once, updated, "1.2.0") == "# Changelog\n\n" + updated + "\n" + OLD_SECTIONS


def test_prepend_replaces_heading_with_v_prefix_and_no_date() -> None:
    existing = "# Changelog\n\n## v1.2.0\n\n- stale\n\n## 1.1.0\n\n- kept\n"
    assert prepend(existing, NEW, "1.2.0") == "# Changelog\n\n" + NEW + "\n## 1.1.0\n\n- kept\n"


ROLLUP_TAIL = "## 1.1.0 (2026-10-01)\n\n- one-one\n\n## Unreleased\n\n- not a version heading\n"


def test_prepend_final_rolls_up_semver_prereleases() -> None:
    unrelated = "## 1.3.0-rc.1 (2026-11-20)\n\n- next minor\n\n"
    existing = (
        "# Changelog\n\n"
        + unrelated
        + "## 1.2.0-rc.2 (2026-11-10)\n\n- rc two\n\n"
        + "## 1.2.0-rc.1 (2026-11-01)\n\n- rc one\n\n"
        + ROLLUP_TAIL
    )
    assert (
        prepend(existing, NEW, "1.2.0") == "# Changelog\n\n" + NEW + "\n" + unrelated + ROLLUP_TAIL
    )


def test_prepend_prerelease_does_not_roll_up() -> None:
    existing = "# Changelog\n\n## 1.2.0-rc.1 (2026-11-01)\n\n- rc one\n"
    rc2 = "## 1.2.0-rc.2 (2026-11-10)\n\n- rc two\n"
    assert prepend(existing, rc2, "1.2.0-rc.2") == "# Changelog\n\n" + rc2 + "\n" + existing[13:]


@pytest.mark.parametrize(
    "prerelease", ["1.2.0rc1", "1.2.0a1", "1.2.0b2", "1.2.0.dev3", "1.2.0-rc1", "1.2rc1"]
)
def test_prepend_final_rolls_up_pep440_prereleases(prerelease: str) -> None:
    existing = f"# Changelog\n\n## {prerelease} (2026-11-01)\n\n- pre\n\n" + ROLLUP_TAIL
    assert prepend(existing, NEW, "1.2.0") == "# Changelog\n\n" + NEW + "\n" + ROLLUP_TAIL


def test_prepend_go_final_rolls_up_go_prereleases() -> None:
    go_new = NEW.replace("## 1.2.0", "## v1.2.0")
    tail = "## v1.1.0 (2026-10-01)\n\n- one-one\n\n## v1.2.1-rc.1\n\n- later patch\n"
    existing = "# Changelog\n\n## v1.2.0-rc.1 (2026-11-01)\n\n- pre\n\n" + tail
    assert prepend(existing, go_new, "v1.2.0") == "# Changelog\n\n" + go_new + "\n" + tail


# --- release_notes ----------------------------------------------------------------


def three_packages(umbrella_tag: str = "") -> ReleaseManifest:
    core = release(
        "acme-core",
        "0.4.0",
        [
            ChangeNote("feat", "add retry", scope="http", sha=SHA1, references=("#12",)),
            ChangeNote("fix", "handle empty config", sha=SHA2),
        ],
        reasons=["feat commits", "fix commits"],
    )
    web = release(
        "@acme/web",
        "2.0.0",
        [ChangeNote("deps", "acme-core bumped to 0.4.0")],
        ecosystem="pnpm",
        old="1.9.0",
        bump="major",
        reasons=["dependency acme-core | breaking"],
    )
    lib = release("example.com/mono/lib", "v0.1.0", [], ecosystem="go", old=None, bump="initial")
    return ReleaseManifest(
        head=SHA3,
        synchronize=False,
        prerelease="",
        releases=[core, web, lib],
        umbrella_tag=umbrella_tag,
    )


NOTES_BODY = (
    "| package | ecosystem | old | new | bump | why |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
    "| acme-core | uv | 0.3.0 | 0.4.0 | minor | feat commits; fix commits |\n"
    "| @acme/web | pnpm | 1.9.0 | 2.0.0 | major | dependency acme-core \\| breaking |\n"
    "| example.com/mono/lib | go | — | v0.1.0 | initial |  |\n"
    "\n"
    "### acme-core 0.4.0 (2026-11-21)\n"
    "\n"
    "#### Features\n"
    "\n"
    f"- **http:** add retry ([abc1234]({URL}/commit/{SHA1})) ([#12]({URL}/pull/12))\n"
    "\n"
    "#### Fixes\n"
    "\n"
    f"- handle empty config ([0123456]({URL}/commit/{SHA2}))\n"
    "\n"
    "### @acme/web 2.0.0 (2026-11-21)\n"
    "\n"
    "#### Dependencies\n"
    "\n"
    "- acme-core bumped to 0.4.0\n"
    "\n"
    "### example.com/mono/lib v0.1.0 (2026-11-21)\n"
    "\n"
    "No user-facing changes.\n"
)


def test_release_notes_dated() -> None:
    notes = release_notes(three_packages(), "2026-11-21", URL)
    assert notes == "# Release 2026-11-21\n\n" + NOTES_BODY


def test_release_notes_with_umbrella_tag() -> None:
    notes = release_notes(three_packages("v0.6.0"), "2026-11-21", URL)
    assert notes == "# Release v0.6.0\n\n" + NOTES_BODY


# --- the manifest in the PR body --------------------------------------------------


@pytest.fixture
def missing_pr_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # The code is new: until it is in the catalogue, RKError would refuse it.
    if "RK-MANIFEST-MISSING-PR" not in errors.CATALOGUE:
        info = errors.CodeInfo("no manifest in the Release PR body", "run `doit prepare`", "")
        monkeypatch.setitem(errors.CATALOGUE, "RK-MANIFEST-MISSING-PR", info)


def test_embed_extract_round_trip() -> None:
    manifest = three_packages("v0.6.0")
    # A commit message that would end an HTML comment early must stay inside the block.
    manifest.releases[0].notes.append(ChangeNote("fix", "arrow --> fixed", sha=SHA3))
    body = embed_manifest("Release notes here.\n", manifest)
    assert body.startswith("Release notes here.\n\n" + MANIFEST_BEGIN + "\n")
    assert body.endswith(MANIFEST_END + "\n")
    assert body.count("-->") == 1
    assert extract_manifest(body) == manifest


def test_extract_survives_crlf_body() -> None:
    manifest = three_packages()
    body = embed_manifest("notes\n", manifest).replace("\n", "\r\n")
    assert extract_manifest(body) == manifest


def test_embed_replaces_existing_block() -> None:
    first, second = three_packages(), three_packages("v0.6.0")
    body = embed_manifest("Notes.\n", first) + "Edited on the forge.\n"
    replaced = embed_manifest(body, second)
    assert replaced.count(MANIFEST_BEGIN) == 1
    assert replaced.startswith("Notes.\n\n" + MANIFEST_BEGIN)
    assert replaced.endswith(MANIFEST_END + "\nEdited on the forge.\n")
    assert extract_manifest(replaced) == second
    assert embed_manifest(embed_manifest("Notes.\n", first), second) == embed_manifest(
        "Notes.\n", second
    )


@pytest.mark.usefixtures("missing_pr_code")
@pytest.mark.parametrize("body", ["Just notes.\n", f"{MANIFEST_BEGIN}\n{{}}\n"])
def test_extract_without_markers(body: str) -> None:
    with pytest.raises(RKError) as info:
        extract_manifest(body)
    assert info.value.code == "RK-MANIFEST-MISSING-PR"
    assert info.value.fix == (
        "the Release PR body lost its manifest block: run `doit prepare` again"
    )
