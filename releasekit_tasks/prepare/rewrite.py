"""Layout-preserving version rewrites: text in, text out.

The prepare stage writes new versions into pyproject.toml, package.json,
go.mod, the committed versions file and user-configured version files. Every
function here takes a file's text and returns the new text, changing only the
bytes of the values it rewrites; ``path`` only names the file in errors. Any
problem raises an :class:`RKError` before anything is returned, so a caller
that writes the result never writes half a rewrite.
"""

from __future__ import annotations

import json
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

from releasekit_tasks import semver
from releasekit_tasks.ecosystems.go.modfile import (
    is_valid_go_version,
    parse_gomod,
    version_fits_path,
)
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.versions_file import parse_versions


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _end(regex: re.Pattern[str], text: str, i: int) -> int:
    """Where ``regex`` matching at ``i`` ends; callers know that it matches."""
    m = regex.match(text, i)
    assert m is not None
    return m.end()


# --- pyproject.toml -----------------------------------------------------------


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
    return _line_at(text, m.start()) if m else None


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
    header_line = _line_at(text, header.start()) if header else None
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
    return _line_at(text, first)


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


# --- package.json -------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_WS = re.compile(r"[ \t\r\n]*")
_JSON_SCALAR = re.compile(r"[^,\]}\s]+")

Span = tuple[int, int]


def _value_end(text: str, i: int) -> int:
    """The end of the JSON value starting at ``i``."""
    if text[i] == '"':
        return _end(_JSON_STRING, text, i)
    if text[i] not in "{[":
        return _end(_JSON_SCALAR, text, i)
    depth = 0
    while True:
        c = text[i]
        if c == '"':
            i = _end(_JSON_STRING, text, i)
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def _members(text: str, i: int) -> dict[str, Span]:
    """Key -> value span of the JSON object starting at ``i``. A repeated key keeps
    its last span, as json.loads keeps its last value."""
    members: dict[str, Span] = {}
    i = _end(_JSON_WS, text, i + 1)
    while text[i] != "}":
        key_end = _end(_JSON_STRING, text, i)
        key = json.loads(text[i:key_end])
        colon = _end(_JSON_WS, text, key_end)
        start = _end(_JSON_WS, text, colon + 1)
        end = _value_end(text, start)
        members[key] = (start, end)
        i = _end(_JSON_WS, text, end)
        if text[i] == ",":
            i = _end(_JSON_WS, text, i + 1)
    return members


def _top_level(text: str, path: Path) -> dict[str, Span]:
    """Validate ``text`` as a package.json and return its top-level member spans."""
    # npm tolerates a byte-order mark; json.loads does not.
    bom = 1 if text.startswith("\ufeff") else 0
    try:
        data = json.loads(text[bom:])
    except json.JSONDecodeError as exc:
        raise RKError(
            "RK-MANIFEST-PARSE", f"invalid JSON: {exc.msg}", path=path, line=exc.lineno
        ) from None
    if not isinstance(data, dict):
        raise RKError("RK-MANIFEST-FIELD", "package.json must hold a JSON object", path=path)
    return _members(text, _end(_JSON_WS, text, bom))


def _semver(new: str, path: Path) -> None:
    if not semver.is_valid(new):
        raise RKError("RK-VERSION-INVALID", f"{new!r} is not a SemVer 2.0 version", path=path)


def _splice(text: str, edits: list[tuple[Span, str]]) -> str:
    for (start, end), replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def set_package_json_version(text: str, new: str, path: Path) -> str:
    """Set the top-level ``"version"`` of a package.json to ``new``."""
    _semver(new, path)
    members = _top_level(text, path)
    span = members.get("version")
    if span is None or text[span[0]] != '"':
        raise RKError(
            "RK-MANIFEST-FIELD",
            'package.json has no top-level "version" string',
            path=path,
            line=_line_at(text, span[0]) if span else None,
            fix='add `"version": "X.Y.Z"` to the top-level object',
        )
    return _splice(text, [(span, json.dumps(new))])


_DEPENDENCY_SECTIONS = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
)
# Characters that continue a SemVer token: "0.3.0" is not a token of "0.3.0-rc.1".
_SEMVER_CHAR = r"[0-9A-Za-z.+-]"


def _rewrite_npm_range(spec: str, old: str, new: str) -> tuple[str, str | None]:
    """The rewritten spec and the SemVer range to check it against (None for specs
    that name no version: ``workspace:^``, aliases, paths, URLs, dist-tags)."""
    prefix = "workspace:" if spec.startswith("workspace:") else ""
    rng = spec[len(prefix) :]
    # "workspace:^" and "workspace:~" follow the member's own version; "*" is any
    # version, prereleases included (npm's "*" would refuse them).
    if rng.strip() in ("", "^", "~", "*", "x", "X") or ":" in rng or "/" in rng:
        return spec, None
    try:
        semver.parse_range(rng)
    except ValueError:
        return spec, None  # a dist-tag such as "latest"
    token = re.compile(rf"(?<!{_SEMVER_CHAR})(v?){re.escape(old)}(?!{_SEMVER_CHAR})")
    rng = token.sub(lambda m: m.group(1) + new, rng)
    return prefix + rng, rng


def rewrite_package_json_dependency(text: str, dep: str, old: str, new: str, path: Path) -> str:
    """Replace the version ``old`` by ``new`` in every range on ``dep`` in the
    dependency sections of a package.json."""
    _semver(new, path)
    members = _top_level(text, path)
    edits: list[tuple[Span, str]] = []
    for section in _DEPENDENCY_SECTIONS:
        span = members.get(section)
        if span is None or text[span[0]] != "{":
            continue
        dep_span = _members(text, span[0]).get(dep)
        if dep_span is None or text[dep_span[0]] != '"':
            continue
        spec = json.loads(text[dep_span[0] : dep_span[1]])
        new_spec, rng = _rewrite_npm_range(spec, old, new)
        if rng is not None and not semver.satisfies(new, rng):
            raise RKError(
                "RK-VERSION-RANGE",
                f'"{section}" range {spec!r} for {dep} does not admit {new}',
                path=path,
                line=_line_at(text, dep_span[0]),
                fix=f"widen the range of {dep} in {section} so that it admits {new}",
            )
        if new_spec != spec:
            edits.append((dep_span, json.dumps(new_spec, ensure_ascii=False)))
    return _splice(text, edits)


# --- go.mod -------------------------------------------------------------------

# The code of a go.mod line: quoted strings may hold "//", a comment starts at the first other one.
_GOMOD_CODE = re.compile(r'(?:"(?:[^"\\]|\\.)*"|`[^`]*`|[^"`/]|/(?!/))*')
_LAST_TOKEN = re.compile(r"(\S+)\s*$")


def rewrite_go_require(text: str, module: str, new: str, path: Path) -> str:
    """Set the version of every ``require module vX`` (single line or in a block)."""
    if not is_valid_go_version(new):
        raise RKError(
            "RK-VERSION-INVALID", f"{new!r} is not a Go module version (vX.Y.Z)", path=path
        )
    if not version_fits_path(new, module):
        raise RKError(
            "RK-VERSION-INVALID",
            f"{module} cannot be required at {new}: its major version needs a /vN path",
            path=path,
            fix="require the /vN module path for versions v2 and above",
        )
    lines = text.split("\n")  # the same line numbering as gomod's parser
    for require in parse_gomod(text, path).requires:
        if require.path != module:
            continue
        line = lines[require.line - 1]
        code = line[: _end(_GOMOD_CODE, line, 0)]
        # The version is the last token before the comment; it may be quoted.
        m = _LAST_TOKEN.search(code)
        assert m is not None  # the parser saw a version on this line
        quote = '"' if m.group(1).startswith('"') else ""
        lines[require.line - 1] = line[: m.start(1)] + quote + new + quote + line[m.end(1) :]
    return "\n".join(lines)


# --- the versions file ----------------------------------------------------------


def update_versions_file(
    text: str | None, updates: dict[str, str], path: Path = Path(".releasekit-versions.json")
) -> str:
    """Set each folder -> version of ``updates`` in the versions file ``text``
    (None: no file yet). Existing entries keep their order; new ones follow, sorted."""
    versions = parse_versions(text, path) if text is not None else {}
    for folder in sorted(updates):
        versions[folder] = updates[folder]
    return json.dumps(versions, indent=2, ensure_ascii=False) + "\n"


# --- user-configured version files ------------------------------------------------

_VERSION_TOKEN = r"(v?)([0-9A-Za-z.+-]+)"


def rewrite_version_pattern(text: str, pattern: str, new: str, path: Path) -> str:
    """Replace the version in every match of ``pattern`` (literal text around one
    ``{version}``), keeping or dropping a leading "v" as the old value had it."""
    parts = pattern.split("{version}")
    if len(parts) != 2:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"version pattern {pattern!r} for {path} must contain `{{version}}` exactly once",
            path=path,
            fix="check `version_files` in releasekit.toml",
        )
    if not re.fullmatch(_VERSION_TOKEN, new):
        raise RKError("RK-VERSION-INVALID", f"{new!r} cannot be written as a version", path=path)
    regex = re.compile(re.escape(parts[0]) + _VERSION_TOKEN + re.escape(parts[1]))
    bare = new.removeprefix("v")
    result, count = regex.subn(lambda m: parts[0] + m.group(1) + bare + parts[1], text)
    if count == 0:
        raise RKError(
            "RK-VERSION-PATTERN",
            f"no match for the version pattern {pattern!r}",
            path=path,
            fix="check `version_files` in releasekit.toml",
        )
    return result
