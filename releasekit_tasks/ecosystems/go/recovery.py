"""Taking a Go release back: a ``retract`` directive, released as the next patch.

A Go version, once a proxy fetched it, is served forever (and recorded in the
checksum database). The module's own go.mod is how it is taken back: a
``retract vX.Y.Z // <reason>`` directive. The go command reads retractions from
the module's latest version, so the directive takes effect once the next
version (the patch ``doit prepare`` computes from the ``fix:`` commit that
``doit rollback`` makes) is published: ``go list -m -versions`` hides the
retracted version, ``go get <module>@latest`` skips it, and ``go get`` of it
explicitly warns with the reason. The release tag stays: the proxy serves it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome


def add_retract(text: str, version: str, reason: str) -> str:
    """go.mod text with ``version`` retracted (inside a ``retract (`` block if there is one)."""
    rationale = " ".join(reason.split()) or "rolled back"
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip().replace(" ", "") == "retract(":
            for j in range(i + 1, len(lines)):
                if lines[j].strip() == ")":
                    lines.insert(j, f"\t{version} // {rationale}\n")
                    return "".join(lines)
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{text}\nretract {version} // {rationale}\n"


def is_retracted(gomod: Path, version: str) -> bool:
    from releasekit_tasks.ecosystems.go.modfile import read_gomod, semver_key

    key = semver_key(version)
    return any(semver_key(r.low) <= key <= semver_key(r.high) for r in read_gomod(gomod).retracts)


def rollback(release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
    from releasekit_tasks.recovery.rollback import Outcome

    gomod = Path(release.path) / "go.mod"
    rel = Path(release.path).relative_to(release.repo_root) / "go.mod"
    if is_retracted(gomod, release.version):
        return Outcome(served=True, done=[f"{release.version} is already retracted in {rel}"])
    verb = "would add" if dry_run else "added"
    done = [
        f"{verb} `retract {release.version} // {reason}` to {rel}; the next patch release "
        "carries it, and `go get` skips the version from then on"
    ]
    if dry_run:
        return Outcome(served=True, done=done)
    from releasekit_tasks.publish.journal import write_atomically

    write_atomically(
        gomod, add_retract(gomod.read_text(encoding="utf-8"), release.version, reason).encode()
    )
    return Outcome(served=True, done=done, changed=[gomod])


def served_versions(release: Release) -> list[str] | None:
    """The proxy's ``@v/list`` (retracted versions included: the proxy still serves them)."""
    from releasekit_tasks.ecosystems.go import registry as goproxy
    from releasekit_tasks.ecosystems.go.artifacts import read_headers
    from releasekit_tasks.http import make_client

    headers = read_headers(release.registry, release.token_env)
    with make_client(headers=headers) as client:
        return goproxy.list_versions(
            client, release.registry, release.name, retries=release.retries
        )
