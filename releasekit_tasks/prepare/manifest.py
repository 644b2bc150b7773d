"""The release manifest: what the prepare stage decided, as plain data.

``doit version`` writes it to ``.releasekit/release-manifest.json``; ``bump``,
``changelog`` and ``prepare`` read it, and the Release PR body embeds it so the
tag stage can recover exactly what was decided. Paths are POSIX and relative to
the repository root, so the manifest applies to any checkout of the commit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from releasekit_tasks.errors import RKError

# Changelog sections, in the order they are rendered.
SECTIONS = {
    "breaking": "Breaking changes",
    "feat": "Features",
    "fix": "Fixes",
    "perf": "Performance",
    "revert": "Reverts",
    "deps": "Dependencies",
}


@dataclass(frozen=True)
class ChangeNote:
    """One changelog line: a commit's description, or a dependency that moved."""

    section: str  # a key of SECTIONS
    description: str
    scope: str | None = None
    sha: str = ""  # the full commit sha; "" for dependency notes
    references: tuple[str, ...] = ()  # PR / issue references such as "#123"


@dataclass
class PlannedRelease:
    id: str  # "<label>/<name>"
    name: str
    ecosystem: str  # uv | pnpm | go
    label: str
    path: str  # the package folder, relative to the repository root (POSIX)
    manifest: str  # pyproject.toml / package.json / go.mod, relative (POSIX)
    old_version: str | None
    new_version: str
    bump: str  # major | minor | patch | prerelease | promote | initial
    reasons: list[str] = field(default_factory=list)
    notes: list[ChangeNote] = field(default_factory=list)
    since: str = ""  # the tag (or sha) the commits were read from; "" for all history


@dataclass
class ReleaseManifest:
    head: str  # the commit the versions were computed at
    synchronize: bool
    prerelease: str  # the requested identifier ("rc"), or ""
    releases: list[PlannedRelease]
    umbrella_tag: str = ""  # set when every release shares one version

    def by_id(self) -> dict[str, PlannedRelease]:
        return {r.id: r for r in self.releases}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=False) + "\n"

    @staticmethod
    def from_json(text: str, path: Path | None = None) -> ReleaseManifest:
        try:
            data = json.loads(text)
            releases = [
                PlannedRelease(
                    **{
                        **r,
                        "notes": [
                            ChangeNote(**{**n, "references": tuple(n["references"])})
                            for n in r["notes"]
                        ],
                    }
                )
                for r in data.pop("releases")
            ]
            return ReleaseManifest(releases=releases, **data)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RKError(
                "RK-MANIFEST-PARSE",
                f"not a release manifest: {exc}",
                path=path,
                fix="run `doit version` to compute it again",
            ) from None
