"""releasekit-tasks: release orchestration for polyglot monorepos on doit.

A user's dodo.py is one line::

    from releasekit_tasks import *

which brings the task creators below and ``DOIT_CONFIG`` into it.
"""

from releasekit_tasks.doit_plugins.reporter import QuietTitleReporter
from releasekit_tasks.tasks.info import task_check, task_explain, task_graph, task_plan

__version__ = "0.1.0"

DOIT_CONFIG = {
    "default_tasks": ["plan"],
    "reporter": QuietTitleReporter,
}

__all__ = ["DOIT_CONFIG", "task_check", "task_explain", "task_graph", "task_plan"]
