"""Conventional Commits 1.0: a commit message → type, scope, breaking, references.

``type(scope)!: description`` on the first line; footers (``BREAKING CHANGE:``,
``BREAKING-CHANGE:``, ``Refs: #12``) after a blank line. Reverts come in two
spellings — ``revert: <subject>`` and git's own ``Revert "<subject>"`` — and
both name the reverted commit in a ``This reverts commit <sha>.`` line.
A message that does not follow the grammar parses with ``type=None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(
    r"(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()\r\n]*)\))?(?P<bang>!)?: +(?P<description>\S.*)"
)
_GIT_REVERT = re.compile(r'Revert "(?P<subject>.+)"$')
_REVERTS_SHA = re.compile(r"This reverts commit (?P<sha>[0-9a-f]{7,40})")
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE: *(?P<text>.*)$")
_REFERENCE = re.compile(r"(?<![\w/])#(\d+)\b")
# A footer token is `Word-word: ` or `Word #`; BREAKING CHANGE is the one with a space.
_FOOTER_START = re.compile(r"^(?:BREAKING CHANGE|[\w-]+)(?:: | #)")

# The types that make a release, and the bump each one asks for.
RELEASING_TYPES = {"feat": "minor", "fix": "patch", "perf": "patch", "revert": "patch"}


@dataclass(frozen=True)
class ParsedCommit:
    sha: str
    subject: str
    type: str | None  # lower-cased; None when the message is not conventional
    scope: str | None
    description: str
    breaking: bool
    breaking_notes: tuple[str, ...]
    references: tuple[str, ...]  # "#12", from the subject and the body
    reverts: str | None  # the sha (or its prefix) this commit reverts

    @property
    def bump(self) -> str | None:
        """major / minor / patch, or None for a commit that makes no release."""
        if self.breaking:
            return "major"
        return RELEASING_TYPES.get(self.type or "")


def parse(sha: str, message: str) -> ParsedCommit:
    lines = message.strip("\n").splitlines()
    subject = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:])
    references = tuple(dict.fromkeys(f"#{n}" for n in _REFERENCE.findall(message)))
    reverted = _REVERTS_SHA.search(body)
    git_revert = _GIT_REVERT.match(subject)
    if git_revert:
        return ParsedCommit(
            sha=sha,
            subject=subject,
            type="revert",
            scope=None,
            description=git_revert.group("subject"),
            breaking=False,
            breaking_notes=(),
            references=references,
            reverts=reverted.group("sha") if reverted else None,
        )
    header = _HEADER.fullmatch(subject)
    if not header:
        return ParsedCommit(sha, subject, None, None, subject, False, (), references, None)
    notes = _breaking_notes(lines[1:])
    description = header.group("description").strip()
    bang = header.group("bang") is not None
    if bang and not notes:
        notes = (description,)
    kind = header.group("type").lower()
    return ParsedCommit(
        sha=sha,
        subject=subject,
        type=kind,
        scope=(header.group("scope") or "").strip() or None,
        description=description,
        breaking=bang or bool(notes),
        breaking_notes=notes,
        references=references,
        reverts=reverted.group("sha") if kind == "revert" and reverted else None,
    )


def _breaking_notes(body: list[str]) -> tuple[str, ...]:
    """The text of each BREAKING CHANGE footer; a footer runs until the next footer."""
    notes: list[list[str]] = []
    current: list[str] | None = None
    for line in body:
        match = _BREAKING_FOOTER.match(line)
        if match:
            current = [match.group("text").strip()]
            notes.append(current)
        elif current is not None:
            if _FOOTER_START.match(line):
                current = None
            else:
                current.append(line.strip())
    return tuple(" ".join(part for part in note if part).strip() for note in notes if any(note))


def drop_reverted(commits: list[ParsedCommit]) -> list[ParsedCommit]:
    """Cancel each revert against the commit it reverts when both are in ``commits``.

    A revert of a commit outside the range (one already released) stays: it
    changes released behaviour, so it makes a patch release.
    """
    cancelled: set[str] = set()
    for commit in commits:
        if commit.reverts and commit.sha not in cancelled:
            target = next(
                (c for c in commits if c.sha.startswith(commit.reverts) and c.sha not in cancelled),
                None,
            )
            if target is not None:
                cancelled.update({commit.sha, target.sha})
    return [c for c in commits if c.sha not in cancelled]
