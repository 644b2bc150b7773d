"""Pending changesets (``.changeset/*.md``): a bump source besides Conventional Commits.

A changeset is a Markdown file whose front matter maps package names to a
bump, followed by the summary that goes into the changelog::

    ---
    "@acme/web": minor
    '@acme/core': patch
    ---

    Add the dark theme.

``doit version`` reads every pending changeset of the repository; a package
named in one gets at least that bump (the larger of it and its commits'). The
files are deleted on the release branch by ``doit bump``/``prepare``, as
``changeset version`` does, so they count once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks.errors import RKError

FOLDER = ".changeset"
BUMPS = ("patch", "minor", "major")
_LINE = re.compile(r"""^\s*(?P<q>["']?)(?P<name>[^"':]+?)(?P=q)\s*:\s*(?P<bump>\w+)\s*$""")


@dataclass(frozen=True)
class Changeset:
    path: Path
    bumps: dict[str, str]  # package name → patch | minor | major
    summary: str


def pending(repo_root: Path) -> list[Changeset]:
    """Every pending changeset under ``repo_root/.changeset``, sorted by file name."""
    folder = repo_root / FOLDER
    if not folder.is_dir():
        return []
    return [parse(path) for path in sorted(folder.glob("*.md")) if path.name.lower() != "readme.md"]


def parse(path: Path) -> Changeset:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise _bad(path, 1, "a changeset starts with a `---` front matter block")
    try:
        end = next(n for n in range(1, len(lines)) if lines[n].strip() == "---")
    except StopIteration:
        raise _bad(path, 1, "the front matter has no closing `---`") from None
    bumps: dict[str, str] = {}
    for number in range(1, end):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None or match.group("bump") not in BUMPS:
            raise _bad(
                path, number + 1, f'expected `"<package>": patch|minor|major`, got {line.strip()!r}'
            )
        bumps[match.group("name").strip()] = match.group("bump")
    summary = "\n".join(lines[end + 1 :]).strip()
    return Changeset(path, bumps, summary)


def _bad(path: Path, line: int, problem: str) -> RKError:
    return RKError(
        "RK-CHANGESET-INVALID",
        problem,
        path=path,
        line=line,
        fix='write the front matter as `"<package>": patch` lines between two `---` lines',
    )
