"""Selection by list: groups, ``exclude``, ``exclude_bump``, ``exclude_publish``, ``skip_checks``.

An entry is a package name (``genkit``), a glob on the name (``genkit-plugin-*``,
``@genkit-ai/*``) or ``group:<name>`` — every package of that group. Groups
come from ``[ecosystems.<label>.groups]`` (lists of names or globs) and from a
package's own ``group`` label.

What each list does (``doit plan`` names the rule in its reason column):

    exclude          not released at all: never versioned, tagged or published
    exclude_bump     kept at its version: never bumped (still tagged and published
                     when that version has no tag or is not on the registry)
    exclude_publish  versioned with the others (changelog, tags), never uploaded
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from pathlib import Path

from releasekit_tasks.errors import RKError

GROUP_PREFIX = "group:"
EXCLUDE_KEYS = ("exclude", "exclude_bump", "exclude_publish")
_GLOB_CHARS = frozenset("*?[")


def is_glob(entry: str) -> bool:
    return bool(_GLOB_CHARS & set(entry))


def matches(entry: str, name: str, groups: Iterable[str] = ()) -> bool:
    """True when ``entry`` (name, glob or ``group:<g>``) selects the package ``name``."""
    if entry.startswith(GROUP_PREFIX):
        return entry[len(GROUP_PREFIX) :] in groups
    if is_glob(entry):
        return fnmatch.fnmatchcase(name, entry)
    return entry == name


def first_match(entries: Iterable[str], name: str, groups: Iterable[str] = ()) -> str | None:
    groups = tuple(groups)
    return next((e for e in entries if matches(e, name, groups)), None)


def groups_of(name: str, group_lists: Mapping[str, Iterable[str]]) -> list[str]:
    """The groups whose lists select ``name`` (a list may not use ``group:``)."""
    return [g for g, entries in group_lists.items() if first_match(entries, name) is not None]


def check_entries(
    key: str,
    entries: object,
    known_groups: Iterable[str],
    *,
    where: str,
    path: Path | None = None,
    line: int | None = None,
    allow_groups: bool = True,
) -> tuple[str, ...]:
    """Validate one selection list from releasekit.toml and return it as a tuple.

    ``group:<name>`` must name a group defined in the same ecosystem (or a
    package's ``group`` label, which only discovery knows: those are checked
    by :func:`unknown_group_refs`).
    """
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise RKError(
            "RK-CONFIG-TYPE",
            f"`{key}` in {where} must be an array of package names, globs or `group:<name>`",
            path=path,
            line=line,
        )
    for entry in entries:
        if entry.startswith(GROUP_PREFIX) and not allow_groups:
            raise RKError(
                "RK-CONFIG-VALUE",
                f"`{key}` in {where}: a group list cannot contain {entry!r}",
                path=path,
                line=line,
                fix="list package names or globs",
            )
    return tuple(entries)


def unknown_group_refs(entries: Iterable[str], known_groups: Iterable[str]) -> list[str]:
    known = set(known_groups)
    return [
        e for e in entries if e.startswith(GROUP_PREFIX) and e[len(GROUP_PREFIX) :] not in known
    ]
