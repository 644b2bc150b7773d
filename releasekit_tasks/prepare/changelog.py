"""Per-package CHANGELOG.md sections and umbrella release notes, from the release manifest.

Everything here is a pure function of its arguments (the date is passed in), so
the prepare stage can render, compare and write, and re-running it rewrites the
same bytes.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from releasekit_tasks import semver
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.manifest import SECTIONS, ChangeNote, PlannedRelease, ReleaseManifest

NO_CHANGES = "No user-facing changes."
MANIFEST_BEGIN = "<!-- releasekit-manifest"
MANIFEST_END = "releasekit-manifest -->"

_PR_REF = re.compile(r"#(\d+)")
# "## 1.2.0", "## v1.2.0 (2026-11-21)": a version heading. Other "## " headings
# ("## Unreleased", "## [1.2.0](…)") are not version sections and are never touched.
_VERSION_HEADING = re.compile(r"## +v?(\S+)(?: +\(.*\))? *")


# --- rendering ----------------------------------------------------------------


def _note_line(note: ChangeNote, repo_url: str | None) -> str:
    # A description is one Markdown list item: an embedded newline would end it.
    text = re.sub(r"\s*\n\s*", " ", note.description.strip())
    if note.scope:
        text = f"**{note.scope}:** {text}"
    if note.sha:
        short = note.sha[:7]
        text += f" ([{short}]({repo_url}/commit/{note.sha}))" if repo_url else f" ({short})"
    for ref in note.references:
        pr = _PR_REF.fullmatch(ref)
        if repo_url and pr:
            text += f" ([{ref}]({repo_url}/pull/{pr.group(1)}))"
        else:
            text += f" ({ref})"
    return f"- {text}"


def _render(
    release: PlannedRelease, date: str, repo_url: str | None, level: int, label: str
) -> str:
    unknown = {n.section for n in release.notes} - SECTIONS.keys()
    if unknown:
        # Dropping them would silently lose changelog entries.
        raise ValueError(f"{release.id}: unknown changelog section(s) {sorted(unknown)}")
    url = repo_url.rstrip("/") if repo_url else None
    lines = [f"{'#' * level} {label}{release.new_version} ({date})", ""]
    for key, title in SECTIONS.items():
        notes = [n for n in release.notes if n.section == key]
        if notes:
            lines += [f"{'#' * (level + 1)} {title}", ""]
            lines += [_note_line(n, url) for n in notes]
            lines.append("")
    if not release.notes:
        lines += [NO_CHANGES, ""]
    return "\n".join(lines[:-1]) + "\n"


def render_section(release: PlannedRelease, date: str, repo_url: str | None = None) -> str:
    """The Markdown for one version of one package, ending with a single newline."""
    return _render(release, date, repo_url, level=2, label="")


def _cell(text: str) -> str:
    # A "|" or a newline inside a cell would break the table.
    return " ".join(text.split()).replace("|", "\\|")


def release_notes(manifest: ReleaseManifest, date: str, repo_url: str | None = None) -> str:
    """Umbrella notes for the whole release: a summary table, then each package's section."""
    title = manifest.umbrella_tag or date
    lines = [
        f"# Release {title}",
        "",
        "| package | ecosystem | old | new | bump | why |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in manifest.releases:
        cells = [r.name, r.ecosystem, r.old_version or "—", r.new_version, r.bump]
        cells.append("; ".join(r.reasons))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    parts = ["\n".join(lines) + "\n"]
    parts += [_render(r, date, repo_url, level=3, label=f"{r.name} ") for r in manifest.releases]
    return "\n".join(parts)


# --- CHANGELOG.md -------------------------------------------------------------


def _release_of(text: str) -> tuple[tuple[int, ...], bool] | None:
    """(release numbers without trailing zeros, is a prerelease), or None for no version.

    SemVer ("1.2.0-rc.1", Go's "v1.2.0-rc.1") is tried first, then PEP 440
    ("1.2.0rc1", "1.2.0.dev3"); trailing zeros are dropped so "1.2" and "1.2.0" agree.
    """
    parsed = semver.parse(text)
    numbers: tuple[int, ...]
    if parsed is not None:
        numbers, pre = parsed.core, bool(parsed.prerelease)
    else:
        try:
            version = Version(text)
        except InvalidVersion:
            return None
        numbers, pre = version.release, version.is_prerelease
    while numbers and numbers[-1] == 0:
        numbers = numbers[:-1]
    return numbers, pre


def _lines(text: str) -> list[str]:
    # str.splitlines would also split on \x0c, \u2028 …, which are not line breaks in Markdown.
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _blocks(text: str) -> tuple[str, list[str]]:
    """The head (title and preamble) and the "## " sections, each kept byte for byte."""
    head: list[str] = []
    blocks: list[list[str]] = []
    fenced = False
    for line in _lines(text):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced  # a "## " line inside a code sample is no heading
        if line.startswith("## ") and not fenced:
            blocks.append([])
        (blocks[-1] if blocks else head).append(line)
    return "".join(head), ["".join(b) for b in blocks]


def _replaced_by(block: str, version: str) -> bool:
    """Whether writing `version` supersedes this section: same version, or (D-4) its prerelease."""
    heading = _VERSION_HEADING.fullmatch(block.split("\n", 1)[0].rstrip("\r"))
    if heading is None:
        return False
    existing = heading.group(1)
    if existing == version.removeprefix("v"):
        return True
    new, old = _release_of(version), _release_of(existing)
    if new is None or old is None:
        return False
    # A final release rolls up its prereleases; the caller merged their entries into `section`.
    return not new[1] and old[1] and old[0] == new[0]


def section_of(text: str, version: str) -> str | None:
    """The ``## <version>`` section of a CHANGELOG.md text, or None when it has none."""
    for block in _blocks(text)[1]:
        heading = _VERSION_HEADING.fullmatch(block.split("\n", 1)[0].rstrip("\r"))
        if heading is not None and heading.group(1) == version.removeprefix("v"):
            return block.rstrip() + "\n"
    return None


def prepend(existing: str | None, section: str, version: str) -> str:
    """`existing` CHANGELOG.md text with `section` (for `version`) as its newest entry."""
    if not existing:
        return "# Changelog\n\n" + section.rstrip("\n") + "\n"
    first_break = existing.find("\n")
    nl = "\r\n" if first_break > 0 and existing[first_break - 1] == "\r" else "\n"
    new = section.replace("\r\n", "\n").rstrip("\n").replace("\n", nl) + nl
    head, blocks = _blocks(existing)
    if head and not head.endswith("\n"):
        head += nl
    if head and _lines(head)[-1].strip():
        head += nl  # a blank line between the preamble and the section
    rest = "".join(b for b in blocks if not _replaced_by(b, version))
    return head + new + (nl + rest if rest else "")


# --- the manifest in the Release PR body ----------------------------------------


def embed_manifest(body: str, manifest: ReleaseManifest) -> str:
    """`body` with the manifest JSON in an HTML comment (invisible on the forge)."""
    # JSON only has ">" inside strings, so escaping it keeps a "-->" in a commit
    # message from ending the comment early; json.loads reads "\u003e" back as ">".
    data = manifest.to_json().replace(">", "\\u003e")
    block = f"{MANIFEST_BEGIN}\n{data}{MANIFEST_END}"
    start = body.find(MANIFEST_BEGIN)
    end = body.find(MANIFEST_END, start)
    if start >= 0 and end >= 0:
        return body[:start] + block + body[end + len(MANIFEST_END) :]
    return f"{body}\n{block}\n"


def extract_manifest(body: str) -> ReleaseManifest:
    """The manifest embedded by :func:`embed_manifest`."""
    start = body.find(MANIFEST_BEGIN)
    end = body.find(MANIFEST_END, start)
    if start < 0 or end < 0:
        raise RKError(
            "RK-MANIFEST-MISSING-PR",
            "the Release PR body has no releasekit manifest block",
            fix="the Release PR body lost its manifest block: run `doit prepare` again",
        )
    return ReleaseManifest.from_json(body[start + len(MANIFEST_BEGIN) : end])
