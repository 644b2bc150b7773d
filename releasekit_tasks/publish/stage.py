"""The staging worktree: publish builds there, never in the user's checkout.

uv builds pin internal dependencies in the member's pyproject.toml, and
``pnpm install``/``pnpm pack`` write temporary folders (``_tmp_<pid>_…``) into
the workspace. Done in the checkout, a ``kill -9`` at the wrong instant would
leave those changes for ``git status`` (and a careless commit) to find. So the
``stage`` task keeps a detached git worktree of HEAD at ``.releasekit/stage``,
and ecosystems that build from the working tree (``Ecosystem.builds_in_stage``)
install and build in it. The checkout is only read; artifacts land in
``.releasekit/dist/`` as before. The worktree is reused by the next run
(reset to HEAD and cleaned, keeping ``node_modules`` so installs stay fast).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from releasekit_tasks.publish.release import Release
from releasekit_tasks.vcs import git, repo_toplevel

STAGE = Path(".releasekit") / "stage"


def stage_dir(root: Path) -> Path:
    return root / STAGE


def staged_path(root: Path, path: str | Path) -> Path:
    """Where ``path`` (in the checkout) is in the staging worktree."""
    top = repo_toplevel(root) or root
    return stage_dir(root) / Path(os.path.relpath(Path(path).resolve(), top.resolve()))


def staged(release: Release) -> Release:
    """The same release, read from the staging worktree (its artifacts still go to dist/)."""
    root = Path(release.repo_root)
    return dataclasses.replace(
        release,
        path=str(staged_path(root, release.path)),
        manifest=str(staged_path(root, release.manifest)),
    )


def refresh(root: Path) -> Path:
    """A worktree of HEAD at ``.releasekit/stage`` with nothing else in it (bar node_modules)."""
    top = repo_toplevel(root) or root
    tree = stage_dir(root)
    head = git(top, "rev-parse", "HEAD").strip()
    if (tree / ".git").is_file():
        git(tree, "checkout", "-q", "-f", "--detach", head)
        git(tree, "clean", "-q", "-f", "-d", "-x", "-e", "node_modules")
        return tree
    if tree.exists():
        shutil.rmtree(tree)
    git(top, "worktree", "prune")
    git(top, "worktree", "add", "-q", "-f", "--detach", str(tree), head)
    return tree
