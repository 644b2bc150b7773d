"""``doit doctor``: compare tags, manifests / versions file and registries; report drift.

Options: ``group=``, ``package=``, ``ecosystem=`` (select packages), ``remote=origin``.
Fails (exit 1) when anything drifts, each finding with the command that fixes it.
"""

from __future__ import annotations

from doit.exceptions import TaskFailed

from releasekit_tasks.errors import RKError
from releasekit_tasks.tasks.loading import repo_root
from releasekit_tasks.tasks.publish import option


def _listed(name: str) -> list[str]:
    return [v for v in option(name).split(",") if v]


def _doctor(root: str, values: dict, remote: str) -> TaskFailed | None:
    from releasekit_tasks.recovery import doctor

    try:
        agree = doctor.doctor(root, values, remote)
    except RKError as err:
        return TaskFailed(err.render())
    return None if agree else TaskFailed("tags, manifests and registries disagree (see above)")


def task_doctor() -> dict:
    """Compare tags, manifests/versions file and registries; report drift and its fix."""
    values = {
        "group": _listed("group"),
        "package": _listed("package"),
        "ecosystem": _listed("ecosystem"),
    }
    return {
        "actions": [(_doctor, [str(repo_root()), values, option("remote", "origin")])],
        "uptodate": [False],
        "verbosity": 2,
    }
