"""Two patches to doit's runner.

Exit 1, not 2, when a run under ``--continue`` skips the dependents of a failed step.

doit counts a task skipped because a dependency failed (``UnmetDependency``) as an
*error*, the exit status it keeps for exceptions in actions (bugs). releasekit
runs publish with ``continue`` (DOIT_CONFIG), so one failed release tree leaves
the independent ones running; the blocked packages are a consequence of that
failure, not a new one, and the run exits 1 like any failed step.

A failing run leaves no state DB: when the run fails and the releasekit-sqlite
file did not exist before it, the file is removed at the end (a bad input must
leave the tree byte-identical). Later runs re-check targets and registries.
"""

from __future__ import annotations

from typing import Any

from doit.exceptions import UnmetDependency
from doit.runner import ERROR, FAILURE, SUCCESS, Runner

_PATCHED = "_releasekit_unmet_is_failure"


def install() -> None:
    if getattr(Runner, _PATCHED, False):
        return
    original = Runner._handle_task_error

    def handle(self: Any, node: Any, base_fail: Any) -> None:
        before = self.final_result
        original(self, node, base_fail)
        if isinstance(base_fail, UnmetDependency) and before != ERROR:
            self.final_result = FAILURE

    Runner._handle_task_error = handle

    original_finish = Runner.finish

    def finish(self: Any) -> Any:
        result = original_finish(self)
        backend: Any = getattr(getattr(self, "dep_manager", None), "backend", None)
        discard = getattr(backend, "discard_if_new", None)
        if self.final_result != SUCCESS and discard is not None:
            discard()
        return result

    Runner.finish = finish
    setattr(Runner, _PATCHED, True)
