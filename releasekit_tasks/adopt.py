"""What ``init`` infers from a repository's existing release tags.

Given one ecosystem's members and every tag of the repository, find the tag
template most of its members were released under (``{name}@{version}``,
``{label}/{name}-v{version}`` …), a second one if the repository used two, the
umbrella tag of synchronized releases (``py/v0.6.0``), and the commit the next
release should count from. Each answer carries its evidence, which ``init``
prints: "12 of 14 packages have tags like @genkit-ai/core@1.2.0".

Matching is by prefix and suffix around ``{version}`` (see tagformat), with the
tags indexed by every prefix, so thousands of tags and a hundred members take
milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from releasekit_tasks import tagformat

if TYPE_CHECKING:
    from releasekit_tasks.model import Package

PACKAGE_CANDIDATES = (
    "{name}-v{version}",
    "{name}@{version}",
    "{label}/{name}-v{version}",
    "{label}/{name}@{version}",
    "{name}/v{version}",
    "{short}-v{version}",
    "{short}@{version}",
    "{name}-{version}",
    "{name}_v{version}",
)
UMBRELLA_CANDIDATES = (
    "{label}/v{version}",
    "{label}-v{version}",
    "{label}@{version}",
    "v{version}",
    "{version}",  # bare (crewAI: 1.15.17): only tags starting with a digit count
)


@dataclass(frozen=True)
class Member:
    name: str
    version: str | None
    dir: str  # relative to the repository, posix
    publishable: bool = True
    vcs_version: str = ""  # the build derives the version from git tags (Package.vcs_version)
    package: Package | None = field(default=None, compare=False, repr=False)  # as discovered


@dataclass
class Evidence:
    template: str
    packages: int  # members with at least one tag of this form
    tags: int  # tags of this form
    example: str  # one such tag (the highest of the first member found)


@dataclass
class Inferred:
    tag_format: Evidence | None = None
    secondary_tag_format: Evidence | None = None
    umbrella_tag: Evidence | None = None
    synchronize: bool = False
    bootstrap_tag: str = ""  # the latest release tag of the ecosystem
    untagged: list[str] = field(default_factory=list)  # publishable members with no tag
    claimed: set[str] = field(default_factory=set)  # tags explained by these templates


def index_tags(tags: Iterable[str]) -> dict[str, list[str]]:
    """Every prefix of every tag → the tags starting with it (prefixes up to the last digit run)."""
    index: dict[str, list[str]] = {}
    for tag in tags:
        for end in range(len(tag)):
            index.setdefault(tag[:end], []).append(tag)
    return index


def _tags_of(
    template: str,
    member: Member,
    label: str,
    index: dict[str, list[str]],
    is_version: Callable[[str], bool],
) -> list[str]:
    before, after = tagformat.affixes(template, name=member.name, label=label, dir=member.dir)
    found = []
    for tag in index.get(before, ()):
        version = tagformat.version_of(tag, before, after)
        if version and is_version(version):
            found.append(tag)
    return found


def infer(
    label: str,
    members: list[Member],
    tags: list[str],
    is_version: Callable[[str], bool],
    *,
    taken: set[str] = frozenset(),  # type: ignore[assignment]
    index: dict[str, list[str]] | None = None,
    package_templates: bool = True,
    folder: str = "",
) -> Inferred:
    """The tag formats ``label``'s members were released under, with their evidence.

    ``taken`` holds tags another ecosystem already explained (never counted
    twice); ``package_templates=False`` skips per-package formats (Go's are
    fixed by the go command) and only looks for an umbrella tag. ``folder`` is
    the workspace's folder: umbrella tags are often named after it
    (autogen's ``python/`` workspace releases as ``python-v0.7.5``).
    """
    index = index if index is not None else index_tags(t for t in tags if t not in taken)
    result = Inferred()
    publishable = [m for m in members if m.publishable]
    scored: list[Evidence] = []
    per_template: dict[str, dict[str, list[str]]] = {}
    if package_templates:
        for template in PACKAGE_CANDIDATES:
            forms: dict[tuple[str, str], int] = {}
            for m in members:
                pair = tagformat.affixes(template, name=m.name, label=label, dir=m.dir)
                forms[pair] = forms.get(pair, 0) + 1
            found = {
                m.name: [
                    t for t in _tags_of(template, m, label, index, is_version) if t not in taken
                ]
                for m in publishable
                # a form two members share (`{short}`: mcp and @genkit-ai/mcp) proves nothing
                if forms[tagformat.affixes(template, name=m.name, label=label, dir=m.dir)] == 1
            }
            found = {name: ts for name, ts in found.items() if ts}
            if found:
                scored.append(
                    Evidence(
                        template,
                        len(found),
                        sum(map(len, found.values())),
                        _example(template, label, publishable, found),
                    )
                )
                per_template[template] = found
    scored.sort(key=lambda e: (-e.packages, -e.tags))
    if scored:
        result.tag_format = scored[0]
        primary = {t for ts in per_template[scored[0].template].values() for t in ts}
        for runner_up in scored[1:]:
            # A second convention: tags of other packages, or of other versions.
            own = {t for ts in per_template[runner_up.template].values() for t in ts} - primary
            if len(own) >= 2 and runner_up.packages * 4 >= scored[0].packages:
                result.secondary_tag_format = runner_up
                break
    for evidence in (result.tag_format, result.secondary_tag_format):
        if evidence is not None:
            for ts in per_template[evidence.template].values():
                result.claimed.update(ts)
    tagged = {
        n
        for e in (result.tag_format, result.secondary_tag_format)
        if e
        for n in per_template[e.template]
    }
    result.untagged = [m.name for m in publishable if m.name not in tagged]
    versions = {m.version for m in publishable if m.version}
    best_umbrella: Evidence | None = None
    best_tags: list[str] = []
    for template in UMBRELLA_CANDIDATES + _folder_candidates(folder, label):
        before, after = tagformat.affixes(template, label=label)
        matching = [
            t
            for t in index.get(before, ())
            if t not in result.claimed
            and t not in taken
            and (v := tagformat.version_of(t, before, after))
            and is_version(v)
            and (before or after or v[0].isdigit())  # bare: not `v1.0` or `go/v1.0`
        ]
        if not matching:
            continue
        # Scored by the members whose current version it tags: autogen's 86 older
        # `v0.4.x` tags lose to `python-v0.7.5`, the release of three members at 0.7.5.
        released = {tagformat.version_of(t, before, after) for t in matching}
        covered = sum(1 for m in publishable if m.version and m.version in released)
        current = [t for t in matching if tagformat.version_of(t, before, after) in versions]
        evidence = Evidence(template, covered, len(matching), max(current or matching))
        if best_umbrella is None or (evidence.packages, evidence.tags) > (
            best_umbrella.packages,
            best_umbrella.tags,
        ):
            best_umbrella, best_tags = evidence, matching
    if best_umbrella is not None and (best_umbrella.packages or not package_templates):
        result.umbrella_tag = best_umbrella
        result.claimed.update(best_tags)
    shared = {m.version for m in publishable}
    result.synchronize = bool(
        len(publishable) > 1 and len(shared) == 1 and result.umbrella_tag is not None
    )
    return result


def _folder_candidates(folder: str, label: str) -> tuple[str, ...]:
    """Umbrella templates named after the workspace folder (literal: no placeholder
    stands for it), when its name can be part of a tag and is not the label."""
    name = folder.rstrip("/").rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or name == label:
        return ()
    return (f"{name}/v{{version}}", f"{name}-v{{version}}", f"{name}@{{version}}")


def _example(template: str, label: str, members: list[Member], found: dict[str, list[str]]) -> str:
    """A tag of a member at its current version (what users recognise), else any one."""
    for member in members:
        if member.name in found and member.version:
            tag = tagformat.render(
                template, name=member.name, version=member.version, label=label, dir=member.dir
            )
            if tag in found[member.name]:
                return tag
    return min(next(iter(found.values())))


def latest(tags: Iterable[str], dates: dict[str, int]) -> str:
    """The most recent of ``tags`` by tag (or commit) date; "" when there are none."""
    return max(tags, key=lambda t: (dates.get(t, 0), t), default="")
