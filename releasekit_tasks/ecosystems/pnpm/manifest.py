"""package.json rewrites that keep the layout: the version and internal ranges."""

from __future__ import annotations

import json
import re
from pathlib import Path

from releasekit_tasks import semver
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.rewrite import line_at, match_end

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_WS = re.compile(r"[ \t\r\n]*")
_JSON_SCALAR = re.compile(r"[^,\]}\s]+")

Span = tuple[int, int]


def _valuematch_end(text: str, i: int) -> int:
    """The end of the JSON value starting at ``i``."""
    if text[i] == '"':
        return match_end(_JSON_STRING, text, i)
    if text[i] not in "{[":
        return match_end(_JSON_SCALAR, text, i)
    depth = 0
    while True:
        c = text[i]
        if c == '"':
            i = match_end(_JSON_STRING, text, i)
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
    i = match_end(_JSON_WS, text, i + 1)
    while text[i] != "}":
        key_end = match_end(_JSON_STRING, text, i)
        key = json.loads(text[i:key_end])
        colon = match_end(_JSON_WS, text, key_end)
        start = match_end(_JSON_WS, text, colon + 1)
        end = _valuematch_end(text, start)
        members[key] = (start, end)
        i = match_end(_JSON_WS, text, end)
        if text[i] == ",":
            i = match_end(_JSON_WS, text, i + 1)
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
    return _members(text, match_end(_JSON_WS, text, bom))


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
            line=line_at(text, span[0]) if span else None,
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
                line=line_at(text, dep_span[0]),
                fix=f"widen the range of {dep} in {section} so that it admits {new}",
            )
        if new_spec != spec:
            edits.append((dep_span, json.dumps(new_spec, ensure_ascii=False)))
    return _splice(text, edits)
