"""SemVer 2.0 versions and npm ranges, just what release tooling needs.

npm ranges follow node-semver: ``||`` alternatives of space-separated
comparators; ``^``, ``~``, x-ranges, hyphen ranges; and its prerelease rule (a
prerelease only matches a comparator set naming the same major.minor.patch
with a prerelease).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The official SemVer 2.0 regular expression (semver.org).
SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,  # so \d is [0-9]: "１.2.3" is no version
)


@dataclass(frozen=True, order=False)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()

    @property
    def core(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def key(self) -> tuple:
        # A release sorts after its prereleases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (*self.core, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: SemVer) -> bool:
        return self.key() < other.key()

    def __le__(self, other: SemVer) -> bool:
        return self.key() <= other.key()

    def __str__(self) -> str:
        pre = "-" + ".".join(self.prerelease) if self.prerelease else ""
        return f"{self.major}.{self.minor}.{self.patch}{pre}"


def parse(text: str) -> SemVer | None:
    match = SEMVER_RE.fullmatch(text.strip().removeprefix("v"))
    if not match:
        return None
    major, minor, patch, pre, _build = match.groups()
    return SemVer(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else ())


def is_valid(text: str) -> bool:
    return SEMVER_RE.fullmatch(text) is not None


# --- ranges -------------------------------------------------------------------

_PARTIAL = re.compile(
    r"^v?(\d+|[xX*])?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
Comparator = tuple[str, SemVer]  # (operator, version)


def _partial(text: str) -> tuple[list[int | None], tuple[str, ...]]:
    match = _PARTIAL.match(text)
    if not match:
        raise ValueError(f"invalid version in range: {text!r}")
    parts: list[int | None] = [
        None if p is None or p in "xX*" else int(p) for p in match.groups()[:3]
    ]
    # Anything after an x is an x too ("1.x.3" means "1.x").
    for i in range(1, 3):
        if parts[i - 1] is None:
            parts[i] = None
    pre = tuple(match.group(4).split(".")) if match.group(4) else ()
    return parts, pre


def _comparators(op: str, text: str) -> list[Comparator]:
    (major, minor, patch), pre = _partial(text)
    if major is None:
        return [] if op in ("", "=", ">=", "<=", "^", "~") else [("<", SemVer(0, 0, 0, ("0",)))]
    lo = SemVer(major, minor or 0, patch or 0, pre)
    if op in ("", "="):
        if minor is None:
            return [(">=", lo), ("<", SemVer(major + 1, 0, 0, ("0",)))]
        if patch is None:
            return [(">=", lo), ("<", SemVer(major, minor + 1, 0, ("0",)))]
        return [("=", lo)]
    if op == "~":
        upper = (
            SemVer(major + 1, 0, 0, ("0",))
            if minor is None
            else SemVer(major, minor + 1, 0, ("0",))
        )
        return [(">=", lo), ("<", upper)]
    if op == "^":
        if major > 0 or minor is None:
            upper = SemVer(major + 1, 0, 0, ("0",))
        elif minor > 0 or patch is None:
            upper = SemVer(0, minor + 1, 0, ("0",))
        else:
            upper = SemVer(0, 0, (patch or 0) + 1, ("0",))
        return [(">=", lo), ("<", upper)]
    if op == ">" and (minor is None or patch is None):
        bump = SemVer(major + 1, 0, 0) if minor is None else SemVer(major, minor + 1, 0)
        return [(">=", bump)]
    if op == "<=" and (minor is None or patch is None):
        bump = (
            SemVer(major + 1, 0, 0, ("0",))
            if minor is None
            else SemVer(major, minor + 1, 0, ("0",))
        )
        return [("<", bump)]
    return [(op, lo)]


_TOKEN = re.compile(r"(\^|~>?|>=|<=|>|<|=)?\s*([^\s<>=^~|]+)")


def parse_range(text: str) -> list[list[Comparator]]:
    """``||``-separated sets of comparators. Raises ValueError for garbage."""
    sets = []
    for alternative in text.split("||"):
        alternative = alternative.strip()
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alternative)
        if hyphen:
            sets.append(_comparators(">=", hyphen.group(1)) + _comparators("<=", hyphen.group(2)))
            continue
        comparators: list[Comparator] = []
        for op, version in _TOKEN.findall(alternative):
            comparators += _comparators(op.replace("~>", "~"), version)
        sets.append(comparators)
    return sets


def _test(op: str, version: SemVer, bound: SemVer) -> bool:
    return {
        "=": version.key() == bound.key(),
        ">": bound < version,
        ">=": bound <= version,
        "<": version < bound,
        "<=": version <= bound,
    }[op]


def satisfies(version: str, range_text: str) -> bool:
    parsed = parse(version)
    if parsed is None:
        raise ValueError(f"invalid version {version!r}")
    for comparators in parse_range(range_text):
        if not all(_test(op, parsed, bound) for op, bound in comparators):
            continue
        if not parsed.prerelease:
            return True
        # node-semver: a prerelease matches only a set that names its own core with a prerelease.
        if any(
            b.prerelease and b.core == parsed.core for _, b in comparators if b.prerelease != ("0",)
        ):
            return True
    return False
