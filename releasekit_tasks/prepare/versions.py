"""Version arithmetic, one neutral form for every ecosystem.

A :class:`Version` is ``major.minor.patch`` plus an optional prerelease
``(label, number)``. Each ecosystem parses and renders its own spelling
(``Ecosystem.parse_version``/``render_version``); SemVer 2.0 is the default:

    uv    PEP 440 (through ``packaging``)   1.2.0   1.2.0rc1   1.2.0a1   1.2.0.dev1
    pnpm  SemVer 2.0                        1.2.0   1.2.0-rc.1
    go    Go semver (SemVer with a "v")     v1.2.0  v1.2.0-rc.1
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from releasekit_tasks import semver

KINDS = ("patch", "minor", "major")  # in increasing order


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    # (label, number); number None for a bare label ("1.0.0-beta"). A release
    # sorts after its prereleases: see key().
    pre: tuple[str, int | None] | None = None

    @property
    def core(self) -> Version:
        return Version(self.major, self.minor, self.patch)

    def key(self) -> tuple:
        if self.pre is None:
            return (self.major, self.minor, self.patch, 1, "", 0)
        return (self.major, self.minor, self.patch, 0, self.pre[0], self.pre[1] or 0)


class VersionError(ValueError):
    """A version or prerelease that the ecosystem cannot spell."""


def to_version(text: str, *, strict: bool) -> Version | None:
    """A SemVer string as a :class:`Version` (None if it is none); ``strict`` refuses
    what SemVer 2.0 forbids but Go's lenient parser takes."""
    if strict and not semver.is_valid(text):
        return None
    sem = semver.parse(text)
    if sem is None:
        return None
    pre: tuple[str, int | None] | None = None
    if sem.prerelease:
        label = ".".join(p for p in sem.prerelease if not p.isdigit()) or "pre"
        numbers = [int(p) for p in sem.prerelease if p.isdigit()]
        pre = (label, numbers[-1] if numbers else None)
    return Version(sem.major, sem.minor, sem.patch, pre)


def render_semver(version: Version) -> str:
    text = f"{version.major}.{version.minor}.{version.patch}"
    if version.pre is not None:
        label, number = version.pre
        text += f"-{label}" + (f".{number}" if number is not None else "")
    return text


def bumped(version: Version, kind: str) -> Version:
    """The next release of ``kind`` after ``version``'s core."""
    if kind == "major":
        return Version(version.major + 1, 0, 0)
    if kind == "minor":
        return Version(version.major, version.minor + 1, 0)
    return Version(version.major, version.minor, version.patch + 1)


def larger(a: str | None, b: str | None) -> str | None:
    """The larger of two bump kinds (None is smaller than any)."""
    return max((k for k in (a, b) if k), key=KINDS.index, default=None)


def parse_prerelease(text: str) -> tuple[str, int | None] | None:
    """The ``prerelease`` option: "rc" (numbered automatically) or "rc.3"; "" for none."""
    if not text:
        return None
    label, _, number = text.partition(".")
    if not label.isalpha() or (number and not number.isdigit()):
        raise VersionError(f"prerelease {text!r} must be a word, optionally .N (rc, beta.2)")
    return (label.lower(), int(number) if number else None)


def next_version(
    current: Version,
    kind: str | None,
    prerelease: tuple[str, int | None] | None,
    last_final: Version | None,
    kind_since_final: str | None,
) -> Version:
    """The next version from ``current`` for a change of ``kind``.

    From a final version: bump, then add the prerelease (number 1) if asked.
    From a prerelease: the target core is the larger of its own core and the
    last final release bumped by everything since it; without a prerelease
    asked that core is the release (promotion), with one the number counts on
    while label and core stay, and restarts at 1 otherwise.
    """
    if current.pre is None:
        return _with_pre(bumped(current, kind or "patch"), prerelease)
    target = current.core
    if last_final is not None and kind_since_final:
        target = max(target, bumped(last_final, kind_since_final), key=Version.key)
    if prerelease is None:
        return target
    label, number = prerelease
    if target == current.core and current.pre[0] == label:
        return replace(target, pre=(label, number or (current.pre[1] or 0) + 1))
    return _with_pre(target, prerelease)


def _with_pre(target: Version, prerelease: tuple[str, int | None] | None) -> Version:
    """``target`` as the prerelease asked for, numbered 1 unless a number was given."""
    if prerelease is None:
        return target
    label, number = prerelease
    return replace(target, pre=(label, number or 1))
