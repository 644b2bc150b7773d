"""releasekit-tasks: release orchestration for polyglot monorepos on doit.

A user's dodo.py is one line::

    from releasekit_tasks import *

which brings the task creators below and ``DOIT_CONFIG`` into it.
"""

from releasekit_tasks.doit_plugins import continue_on_failure
from releasekit_tasks.doit_plugins.progress import ReleaseReporter
from releasekit_tasks.tasks.doctor import task_doctor
from releasekit_tasks.tasks.go_directive import task_go_directive
from releasekit_tasks.tasks.info import task_check, task_explain, task_graph, task_plan
from releasekit_tasks.tasks.prepare import (
    task_bump,
    task_changelog,
    task_prepare,
    task_tag,
    task_version,
)
from releasekit_tasks.tasks.publish import (
    task_announce,
    task_build,
    task_install,
    task_preflight,
    task_publish,
    task_query,
    task_stage,
    task_upload,
    task_verify,
)
from releasekit_tasks.tasks.rollback import task_rollback

continue_on_failure.install()


def _quiet_broken_pipe() -> None:
    """`doit plan --format json | head`: when the reader goes away, end quietly as Unix
    tools do (SIGPIPE's default action), not with a BrokenPipeError traceback."""
    import signal

    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


_quiet_broken_pipe()

__version__ = "0.1.0"

DOIT_CONFIG = {
    "default_tasks": ["plan"],
    # A live Rich table in a terminal, one line per step elsewhere (CI), and
    # the plain output of plan/graph/check/explain untouched.
    "reporter": ReleaseReporter,
    # Commits after every task, so a killed run keeps what it finished
    # (doit's stock backends write once, at the end). Registered as a
    # doit.BACKEND entry point by this package.
    "backend": "releasekit-sqlite",
    # doit --continue: a failed step stops only what depends on it, so one release
    # tree's failure never holds back the independent ones (the summary says which
    # packages were blocked, and by what). `doit --no-continue` restores stop-at-first.
    "continue": True,
    "dep_file": ".releasekit/doit.sqlite3",
}

__all__ = [
    "DOIT_CONFIG",
    "task_announce",
    "task_build",
    "task_bump",
    "task_changelog",
    "task_check",
    "task_doctor",
    "task_explain",
    "task_go_directive",
    "task_graph",
    "task_install",
    "task_plan",
    "task_preflight",
    "task_prepare",
    "task_publish",
    "task_query",
    "task_rollback",
    "task_stage",
    "task_tag",
    "task_upload",
    "task_verify",
    "task_version",
]
