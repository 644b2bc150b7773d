"""pyproject.toml rewrites that keep the layout: the version and internal requirements."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from tomlkit.exceptions import ParseError
from tomlkit.items import Array, String

from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.rewrite import line_at


def _pep440(new: str, path: Path) -> None:
    try:
        Version(new)
    except InvalidVersion:
        raise RKError(
            "RK-VERSION-INVALID", f"{new!r} is not a PEP 440 version", path=path
        ) from None


def _parse_toml(text: str, path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise RKError("RK-MANIFEST-PARSE", str(exc), path=path, line=exc.line) from None


def _toml_line(text: str, regex: str, start: int = 0) -> int | None:
    """The line of the first match of ``regex`` (multiline) at or after ``start``."""
    m = re.compile(regex, re.MULTILINE).search(text, start)
    return line_at(text, m.start()) if m else None


_PROJECT_HEADER = r"^[ \t]*\[[ \t]*project[ \t]*\]"


def set_pyproject_version(text: str, new: str, path: Path) -> str:
    """Set ``[project] version`` to ``new``, keeping its quoting and comment."""
    _pep440(new, path)
    doc = _parse_toml(text, path)
    project = doc.get("project")
    if not isinstance(project, MutableMapping):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "no [project] table",
            path=path,
            fix="add a [project] table with name and version",
        )
    header = re.search(_PROJECT_HEADER, text, re.MULTILINE)
    header_line = line_at(text, header.start()) if header else None
    dynamic = project.get("dynamic", [])
    if isinstance(dynamic, list) and "version" in dynamic:
        raise RKError(
            "RK-MANIFEST-FIELD",
            "[project] version is dynamic, so there is no version to rewrite",
            path=path,
            line=_toml_line(text, r"^[ \t]*dynamic[ \t]*=", header.start() if header else 0),
            fix='remove "version" from `dynamic` and write `version = "..."` in [project] '
            "(or configure the file the build backend reads in `version_files`)",
        )
    old = project.get("version")
    if not isinstance(old, String):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "[project] has no version string",
            path=path,
            line=header_line,
            fix='add `version = "X.Y.Z"` to [project]',
        )
    # Same string type (basic or literal); tomlkit keeps the key's comment and spacing.
    project["version"] = String.from_raw(new, old.type)
    return tomlkit.dumps(doc)


def _requirement_lists(doc: tomlkit.TOMLDocument, path: Path) -> Iterator[tuple[str, Array]]:
    """(where, list) for [project].dependencies, each extra and each dependency group."""
    lists: list[tuple[str, Any]] = []
    project = doc.get("project")
    if isinstance(project, Mapping):
        if "dependencies" in project:
            lists.append(("[project].dependencies", project["dependencies"]))
        extras = project.get("optional-dependencies")
        if isinstance(extras, Mapping):
            lists += [(f"[project.optional-dependencies].{k}", v) for k, v in extras.items()]
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        lists += [(f"[dependency-groups].{k}", v) for k, v in groups.items()]
    for where, value in lists:
        if not isinstance(value, Array):
            raise RKError(
                "RK-MANIFEST-FIELD",
                f"{where} must be an array of requirement strings",
                path=path,
            )
        yield where, value


def _unique_line(text: str, needle: str) -> int | None:
    """The line of ``needle`` when it occurs exactly once (else the line is unknown)."""
    first = text.find(needle)
    if first < 0 or text.find(needle, first + 1) >= 0:
        return None
    return line_at(text, first)


# Lower bounds and exact pins; `===` is tried before `==` so it is not split.
_PEP440_OPS = r"(===|==|>=|~=)(\s*)"
# Characters that may continue a PEP 440 version: "0.3.0" must not match in "0.3.0.post1".
_PEP440_TAIL = r"(?![\w.+!*-])"


def rewrite_pyproject_dependency(text: str, dep: str, old: str, new: str, path: Path) -> str:
    """Replace ``old`` by ``new`` in the lower bounds and pins of every requirement
    on ``dep``, editing each requirement string in place."""
    _pep440(new, path)
    doc = _parse_toml(text, path)
    clause = re.compile(_PEP440_OPS + re.escape(old) + _PEP440_TAIL)
    wanted = canonicalize_name(dep)
    changed = False
    for where, requirements in _requirement_lists(doc, path):
        for i, item in enumerate(requirements):
            if not isinstance(item, String):
                continue  # {include-group = "..."} in a dependency group
            raw = item.as_string()
            try:
                req = Requirement(item.value)
            except InvalidRequirement as exc:
                raise RKError(
                    "RK-MANIFEST-FIELD",
                    f"invalid requirement {item.value!r} in {where}: {exc}",
                    path=path,
                    line=_unique_line(text, raw),
                    fix="write a PEP 508 requirement such as `name>=1.0`",
                ) from None
            if canonicalize_name(req.name) != wanted or not req.specifier:
                continue
            # Edit the string as written (between its quotes), and only before the
            # markers, so spacing, extras and markers stay untouched.
            quote = item.type.value
            inner = raw[len(quote) : -len(quote)]
            spec, sep, markers = inner.partition(";")
            new_inner = clause.sub(lambda m: m.group(1) + m.group(2) + new, spec) + sep + markers
            value = item.value
            if new_inner != inner:
                value = tomllib.loads(f"v = {quote}{new_inner}{quote}")["v"]
                requirements[i] = String(item.type, value, new_inner, item.trivia)
                changed = True
            if not Requirement(value).specifier.contains(new, prereleases=True):
                raise RKError(
                    "RK-VERSION-RANGE",
                    f"requirement {value!r} in {where} does not admit {dep} {new}",
                    path=path,
                    line=_unique_line(text, raw),
                    fix=f"widen the range of {dep} in {where} so that it admits {new}",
                )
    return tomlkit.dumps(doc) if changed else text
