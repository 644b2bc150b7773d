"""``doit go-directive``: raise every Go module's ``go`` line to 1.(N-1).0 on a branch.

Options: ``go=1.X.0`` (default: one minor below ``go env GOVERSION``),
``remote=origin``, ``push=0``, ``dry_run=1``.
"""

from __future__ import annotations

from doit.exceptions import TaskFailed

from releasekit_tasks import options
from releasekit_tasks.errors import RKError
from releasekit_tasks.tasks.loading import repo_root
from releasekit_tasks.tasks.publish import option


def _go_directive(
    root: str, target: str, remote: str, push: bool, dry_run: bool
) -> TaskFailed | None:
    from releasekit_tasks.ecosystems.go import directive as go_directive

    try:
        go_directive.run(root, target, remote, push, dry_run)
    except RKError as err:
        return TaskFailed(err.render())
    return None


def task_go_directive() -> dict:
    """Raise the go directive of every Go module to 1.(N-1).0 on releasekit/go-directive."""
    return {
        "basename": "go-directive",
        "actions": [
            (
                _go_directive,
                [
                    str(repo_root()),
                    option("go"),
                    option("remote", "origin"),
                    options.flag("push"),
                    options.flag("dry_run"),
                ],
            )
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
