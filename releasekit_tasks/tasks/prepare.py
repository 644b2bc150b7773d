"""The prepare stage as doit tasks.

    version            .releasekit/release-manifest.json: package, old → new, bump, reasons
    bump     ← version  write the versions into the working tree (+ lockfiles)
    changelog ← version prepend CHANGELOG.md sections in the working tree
    prepare  ← version  all of it on the release branch: commit, push, Release PR body

``version`` is up to date while HEAD, the tags, releasekit.toml and the
options are unchanged. Options are doit variables: ``prerelease=rc``,
``bump=auto|patch|minor|major``, ``force=1`` (release unchanged packages),
``group=…``, ``package=…``, ``ecosystem=…``, ``dry_run=1``, and for prepare
``remote=origin``, ``push=0``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from releasekit_tasks import options
from releasekit_tasks.config import RootConfig
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare import MANIFEST_FILE
from releasekit_tasks.tasks.loading import repo_root
from releasekit_tasks.vcs import git, repo_toplevel
from releasekit_tasks.workspace import collect_cached

_flag = options.flag


def option_values() -> dict:
    def listed(name: str) -> list[str]:
        return list(options.listed(name))

    return {
        "group": listed("group"),
        "package": listed("package"),
        "ecosystem": listed("ecosystem"),
        "prerelease": options.text("prerelease"),
        "bump": options.text("bump"),
        "force": _flag("force"),
    }


def fingerprint(root: str, values: dict) -> str:
    """What the manifest depends on besides the working tree (which must be clean)."""
    config = Path(root) / "releasekit.toml"
    parts = [
        repr(sorted(values.items())),
        hashlib.sha256(config.read_bytes()).hexdigest() if config.is_file() else "",
    ]
    if repo_toplevel(Path(root)) is not None:
        parts.append(git(Path(root), "rev-parse", "HEAD", check=False).strip())
        parts.append(git(Path(root), "for-each-ref", "refs/tags", check=False))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def manifest_is_current(task: object, values: dict, root: str, options: dict) -> bool:
    """doit uptodate: computed only when the task is considered, never by `doit list`."""
    return values.get("fingerprint") == fingerprint(root, options)


def stage(action: str, *args: object) -> object:
    """Run an action of the prepare stage; imported when a task runs, not by `doit list`."""
    from releasekit_tasks.prepare import stage

    return getattr(stage, action)(*args)


def _version(root: str, options: dict, dry_run: bool) -> dict | object:
    failed = stage("version", root, options, dry_run)
    return failed if failed is not None else {"fingerprint": fingerprint(root, options)}


def _release_branch(root: Path, values: dict) -> str:
    try:  # the workspace every task creator shares, collected once
        branch = collect_cached(root).config.release_branch
    except RKError:  # a broken workspace fails in the version task, with its RK code
        branch = RootConfig.release_branch
    groups = values["group"]  # (forges.flow.release_branch, without importing the forges here)
    return f"{branch}-{'-'.join(groups)}" if groups else branch


def task_version() -> dict:
    """Decide the next versions from Conventional Commits (.releasekit/release-manifest.json)."""
    root = repo_root()
    values = option_values()
    dry_run = _flag("dry_run")
    task: dict = {
        "actions": [(_version, [str(root), values, dry_run])],
        "verbosity": 2,
    }
    if dry_run:
        task["uptodate"] = [False]
    else:
        task["targets"] = [str(root / ".releasekit" / MANIFEST_FILE)]
        task["uptodate"] = [(manifest_is_current, [str(root), values])]
    return task


def task_bump() -> dict:
    """Write the decided versions into the working tree: manifests, versions file, lockfiles."""
    root = repo_root()
    return {
        "actions": [(stage, ["bump", str(root), option_values(), _flag("dry_run")])],
        "task_dep": ["version"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_changelog() -> dict:
    """Prepend each released package's CHANGELOG.md section in the working tree."""
    root = repo_root()
    return {
        "actions": [(stage, ["write_changelogs", str(root), option_values(), _flag("dry_run")])],
        "task_dep": ["version"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_prepare() -> dict:
    """Versions, manifests, lockfiles and changelogs committed on the release branch and pushed."""
    root = repo_root()
    values = option_values()
    return {
        "actions": [
            (
                stage,
                [
                    "prepare",
                    str(root),
                    values,
                    _release_branch(root, values),
                    options.text("remote"),
                    _flag("push"),
                    _flag("dry_run"),
                ],
            )
        ],
        "task_dep": ["version"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_tag() -> dict:
    """After the Release PR merged: tag each package's new version, push the tags, forge releases."""
    root = repo_root()
    values = option_values()
    return {
        "actions": [
            (
                stage,
                [
                    "tag",
                    str(root),
                    values,
                    options.text("remote"),
                    _flag("push"),
                    _flag("dry_run"),
                    _release_branch(root, values),
                ],
            )
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
