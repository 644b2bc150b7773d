"""``doit rollback``: take a bad release back (tags, registries, Go retractions).

Options: ``package=ID,…``, ``group=NAME,…`` or ``umbrella=TAG``; ``version=``
(default: each package's current version); ``reason="…"``; ``dry_run=1``;
``force=1`` (delete tags of versions a registry still serves, npm unpublish);
``remote=origin``; ``push=0`` (keep the remote's tags).
"""

from __future__ import annotations

from doit.exceptions import TaskFailed

from releasekit_tasks import options
from releasekit_tasks.errors import RKError
from releasekit_tasks.tasks.loading import repo_root
from releasekit_tasks.tasks.publish import option


def _listed(name: str) -> list[str]:
    return [v for v in option(name).split(",") if v]


def _rollback(
    root: str, values: dict, remote: str, push: bool, force: bool, dry_run: bool
) -> TaskFailed | None:
    from releasekit_tasks.recovery import rollback

    try:
        rollback.rollback(root, values, remote, push, force, dry_run)
    except RKError as err:
        return TaskFailed(err.render())
    return None


def task_rollback() -> dict:
    """Take a bad release back: registries (yank/remove, deprecate, Go retract) and tags."""
    values = {
        "package": _listed("package"),
        "group": _listed("group"),
        "umbrella": option("umbrella"),
        "version": option("version"),
        "reason": option("reason"),
    }
    return {
        "actions": [
            (
                _rollback,
                [
                    str(repo_root()),
                    values,
                    option("remote", "origin"),
                    options.flag("push"),
                    options.flag("force"),
                    options.flag("dry_run"),
                ],
            )
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
