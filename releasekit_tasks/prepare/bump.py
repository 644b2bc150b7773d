"""Write a release manifest's versions everywhere they live, in one checkout.

For each release: its manifest's version (pyproject, package.json), the
committed versions file, and the package's configured ``version_files``. A
version the build backend derives from git tags (``Package.vcs_version``) is
not written into the manifest: it goes to the versions file until tagged. One
the backend reads from a file (``Package.version_file``) is rewritten there. For
every member (private ones too) that depends on a released package through the
workspace: the version in its dependency specifier (uv, pnpm) or its go.mod
``require``. Then the lockfiles, with the ecosystems' own tools (D-2):
``uv lock --upgrade-package``, ``pnpm install --lockfile-only``, ``go mod
tidy``. All edits are computed before the first write, so bad input changes
nothing; every file is replaced atomically.

``tree`` is the checkout written to: the user's working tree for ``doit
bump``, the release worktree for ``doit prepare``. Paths from the workspace
(discovered in the repository root) are mapped into it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare import rewrite
from releasekit_tasks.prepare.manifest import ReleaseManifest
from releasekit_tasks.publish.journal import write_atomically
from releasekit_tasks.publish.tools import run_tool
from releasekit_tasks.tagformat import toplevel
from releasekit_tasks.workspace import Workspace


@dataclass
class Edits:
    files: dict[Path, str] = field(default_factory=dict)  # absolute path in tree -> new text
    lock_commands: list[tuple[list[str], Path]] = field(default_factory=list)  # (argv, cwd)
    # Pending changesets the release consumes (``changeset version`` deletes them too).
    deletions: list[Path] = field(default_factory=list)
    originals: dict[Path, str] = field(default_factory=dict)  # the text each file had

    def text(self, path: Path) -> str:
        if path not in self.files:
            if not path.is_file():
                raise RKError("RK-MANIFEST-MISSING", f"{path} does not exist", path=path)
            self.files[path] = self.originals[path] = _read(path)
        return self.files[path]

    def drop_unchanged(self) -> None:
        """Forget files read but left as they were (a member whose dependency is
        pinned by a build hook, not by a specifier): nothing to write or relock."""
        self.files = {p: t for p, t in self.files.items() if self.originals.get(p) != t}


def plan_edits(manifest: ReleaseManifest, workspace: Workspace, tree: Path) -> Edits:
    """Every file edit and lockfile command the manifest needs, computed without writing."""
    repo = toplevel(workspace.config)
    into = _mapper(repo, tree)
    edits = Edits()
    released = {r.id: r for r in manifest.releases}
    for release in manifest.releases:
        package = workspace.packages[release.id]
        ecosystem = get_ecosystem(release.ecosystem)
        path = into(package.manifest)
        # A version the build derives from git tags is not written: the tag is the version.
        if ecosystem.version_in_manifest and not (package.vcs_version or package.version_file):
            edits.files[path] = ecosystem.set_version(edits.text(path), release.new_version, path)
        if package.version_file:
            # A dynamic version the build reads from a file: that one line changes.
            rel, line = package.version_file
            extra = into(package.path / rel)
            edits.files[extra] = rewrite.rewrite_version_pattern(
                edits.text(extra), line, release.new_version, extra, whole_line=True
            )
        for rel, pattern in package.version_files:
            extra = into(package.path / rel)
            edits.files[extra] = rewrite.rewrite_version_pattern(
                edits.text(extra), pattern, release.new_version, extra
            )
    for package in workspace.packages.values():
        path = into(package.manifest)
        for dep in package.internal_dependencies:
            target = released.get(f"{package.label}/{dep.name}")
            if target is None or target.old_version == target.new_version:
                continue
            edits.files[path] = get_ecosystem(package.ecosystem).rewrite_dependency(
                edits.text(path), dep.name, target.old_version or "", target.new_version, path
            )
    versions_path = tree / workspace.config.versions_file
    current = _read(versions_path) if versions_path.is_file() else None
    # The versions file holds what no manifest does: Go modules' versions, and tag-derived
    # ones until `doit tag` makes the tag (discovery takes the higher of file and tag).
    updates = {
        r.path: r.new_version
        for r in manifest.releases
        if not get_ecosystem(r.ecosystem).version_in_manifest
        or workspace.packages[r.id].vcs_version
    }
    if updates:
        edits.files[versions_path] = rewrite.update_versions_file(current, updates)
    edits.drop_unchanged()
    edits.lock_commands = _lock_commands(manifest, workspace, tree, into, edits)
    if manifest.releases:
        from releasekit_tasks.prepare import changesets

        edits.deletions = [into(c.path) for c in changesets.pending(repo) if into(c.path).is_file()]
    return edits


def _mapper(repo: Path, tree: Path):
    def into(path: Path) -> Path:
        return tree / os.path.relpath(path, repo)

    return into


def _lock_commands(
    manifest: ReleaseManifest, workspace: Workspace, tree: Path, into, edits: Edits
) -> list[tuple[list[str], Path]]:
    commands: list[tuple[list[str], Path]] = []
    changed = set(edits.files)
    for label, eco in workspace.config.ecosystems.items():
        members = [p for p in workspace.packages.values() if p.label == label]
        changed_members = [(p, into(p.path)) for p in members if into(p.manifest) in changed]
        if not changed_members:
            continue
        released = [r.name for r in manifest.releases if r.label == label]
        commands += get_ecosystem(eco.kind).lock_commands(
            into(eco.workspace_root), changed_members, released
        )
    return commands


def write_edits(edits: Edits) -> list[Path]:
    """Write the files (atomically, each), then run the lockfile tools."""
    written = []
    for path, text in edits.files.items():
        if path.is_file() and _read(path) == text:
            continue
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    for argv, cwd in edits.lock_commands:
        run_tool(argv, cwd=cwd, code="RK-LOCK-UPDATE", what=f"updating the lockfile in {cwd}")
    for path in edits.deletions:
        path.unlink(missing_ok=True)
        written.append(path)
    return written


def _read(path: Path) -> str:
    # Bytes, not read_text: universal newlines would turn a CRLF file into LF.
    return path.read_bytes().decode("utf-8")
