"""doit reporters.

``QuietTitleReporter`` is doit's console reporter, except that tasks marked
``meta={"quiet": True}`` (plan, graph, check, explain) print no ``.  title``
line, so what they print (JSON, CSV, DOT …) is the whole of stdout.
"""

from __future__ import annotations

from typing import Any

from doit.reporter import ConsoleReporter


class QuietTitleReporter(ConsoleReporter):
    def execute_task(self, task: Any) -> None:
        if (task.meta or {}).get("quiet"):
            return
        super().execute_task(task)
