"""PEP 440 versions in releasekit's neutral form: 1.2.0, 1.2.0rc1, 1.2.0a1, 1.2.0.dev1."""

from __future__ import annotations

from releasekit_tasks.prepare.versions import Version, VersionError

_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}
_SPELLING = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "rc": "rc", "c": "rc"}


def parse(text: str) -> Version:
    from packaging.version import InvalidVersion
    from packaging.version import Version as Pep440Version

    try:
        v = Pep440Version(text)
    except InvalidVersion:
        raise VersionError(f"{text!r} is not a PEP 440 version") from None
    if v.local or v.epoch or len(v.release) > 3:
        raise VersionError(f"{text!r}: releasekit computes MAJOR.MINOR.PATCH versions only")
    major, minor, patch = (*v.release, 0, 0)[:3]
    pre: tuple[str, int | None] | None = None
    if v.pre:
        pre = (_PRE[v.pre[0]], v.pre[1])
    elif v.dev is not None:
        pre = ("dev", v.dev)
    return Version(major, minor, patch, pre)


def render(version: Version) -> str:
    core = f"{version.major}.{version.minor}.{version.patch}"
    if version.pre is None:
        return core
    label, number = version.pre
    if label == "dev":
        return f"{core}.dev{number or 0}"
    if label not in _SPELLING:
        raise VersionError(
            f"the prerelease `{label}` has no PEP 440 spelling (use alpha, beta, rc or dev)"
        )
    return f"{core}{_SPELLING[label]}{number or 0}"
