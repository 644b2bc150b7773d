"""A progress reporter for ``doit publish``: one row per package, live on a terminal.

doit calls a reporter's methods in the main process, also under ``-n N`` (the
workers send their ``execute_task`` events back), so all state lives here.

* terminal: a ``rich.live.Live`` table (level, package, ecosystem, stage,
  elapsed), a footer (counts per stage, elapsed, ETA) and a panel per failure;
* otherwise: one line per stage change, ``<time> <package> <stage>``, or JSON
  lines when ``RELEASEKIT_LOG_FORMAT=json``;
* under GitHub Actions also ``::error`` annotations and a Markdown summary
  appended to ``$GITHUB_STEP_SUMMARY``.

A run that touches no package task (``doit plan``, ``doit check`` …) is
reported exactly as :class:`QuietTitleReporter` does: their stdout is data.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from releasekit_tasks.doit_plugins.reporter import QuietTitleReporter

STEPS = ("build", "upload", "verify")
PACKAGE_STEPS = (*STEPS, "publish")
RUNNING = {"build": "building", "upload": "uploading", "verify": "verifying"}
# Stages a package does not leave once reached.
FINAL = ("published", "up to date", "dry run", "failed", "blocked")
ACTIVE = tuple(RUNNING.values())
STAGE_STYLE = {
    "waiting": "dim",
    "built": "cyan",
    "building": "bold yellow",
    "uploading": "bold yellow",
    "verifying": "bold yellow",
    "published": "green",
    "up to date": "green",
    "dry run": "blue",
    "failed": "bold red",
    "blocked": "red",
}
MAX_ROWS = 30
OUTPUT_TAIL = 15
RK_CODE = re.compile(r"\bRK-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")


@dataclass
class Row:
    """One package's progress."""

    id: str
    label: str
    level: int | None = None
    stage: str = "waiting"
    started: float | None = None
    finished: float | None = None
    blocked_by: str = ""
    done: set[str] = field(default_factory=set)
    version: str = ""
    registry: str = ""


@dataclass
class Failure:
    task: str
    package: str
    code: str
    message: str
    output: str


def package_step(name: str) -> tuple[str, str] | None:
    """``("upload", "py/acme-core")`` for ``upload:py/acme-core``; None for other tasks."""
    step, sep, pid = name.partition(":")
    if sep and step in PACKAGE_STEPS and "/" in pid:
        return step, pid
    return None


def rk_code(text: str) -> str:
    match = RK_CODE.search(text)
    return match.group(0) if match else ""


def closure(tasks: Mapping[str, Any], start: Iterable[str]) -> set[str]:
    """Every task reachable from ``start`` through task_dep and setup."""
    seen: set[str] = set()
    todo = [n for n in start if n in tasks]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        task = tasks[name]
        for dep in [*getattr(task, "task_dep", []), *getattr(task, "setup_tasks", [])]:
            if dep in tasks and dep not in seen:
                todo.append(dep)
    return seen


def levels(tasks: Mapping[str, Any], pids: Iterable[str]) -> dict[str, int]:
    """Release level: 0 without internal deps, else 1 + the deepest dependency.

    upload:P waits for verify:D of each internal dependency D, so that edge is the graph.
    """
    result: dict[str, int] = {}

    def level(pid: str) -> int:
        if pid not in result:
            upload = tasks.get(f"upload:{pid}")
            deps = [
                p[1]
                for d in getattr(upload, "task_dep", [])
                if (p := package_step(d)) and p[0] == "verify" and p[1] != pid
            ]
            result[pid] = 1 + max(map(level, deps)) if deps else 0
        return result[pid]

    for pid in pids:
        level(pid)
    return result


def visible_rows(rows: list[Row], limit: int = MAX_ROWS) -> tuple[list[Row], int]:
    """Rows to show and how many are collapsed: always active and failed rows,
    then the most recently finished, then the next waiting ones."""
    if len(rows) <= limit:
        return rows, 0
    keep = {r.id for r in rows if r.stage in ACTIVE or r.stage == "failed"}
    finished = sorted(
        (r for r in rows if r.id not in keep and r.finished is not None),
        key=lambda r: r.finished or 0.0,
        reverse=True,
    )
    rest = [r for r in rows if r.id not in keep and r.finished is None]
    for row in [*finished, *rest]:
        if len(keep) >= limit:
            break
        keep.add(row.id)
    shown = [r for r in rows if r.id in keep]
    return shown, len(rows) - len(shown)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def gha_escape(text: str, *, prop: bool = False) -> str:
    """Workflow-command escaping (properties additionally escape ``:`` and ``,``)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def captured_output(task: Any) -> str:
    actions = getattr(task, "actions", None) or []
    return "".join((a.out or "") + (a.err or "") for a in actions)


def read_release_info(task: Any) -> dict[str, str]:
    """Version and registry from a target JSON (verify's receipt, build's artifacts.json)."""
    for target in getattr(task, "targets", None) or []:
        path = Path(target)
        if path.suffix == ".json" and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("version"):
                return {"version": str(data["version"]), "registry": str(data.get("registry", ""))}
    return {}


class ReleaseReporter(QuietTitleReporter):
    """doit reporter: per-package progress for publish runs."""

    desc = "releasekit: per-package publish progress (live on a terminal)"

    def __init__(
        self,
        outstream: TextIO,
        options: dict[str, Any],
        *,
        console: Any = None,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        auto_refresh: bool = True,
    ) -> None:
        super().__init__(outstream, options)
        self.env = os.environ if env is None else env
        self.clock = clock
        self.auto_refresh = auto_refresh
        self._console = console
        self.mode = ""  # "" = plain doit behaviour; "live", "text" or "json"
        self.tasks: Mapping[str, Any] = {}
        self.rows: dict[str, Row] = {}
        self.needs: dict[str, set[str]] = {}
        self.failed: list[Failure] = []
        self.failed_tasks: list[str] = []
        self.running: dict[str, float] = {}
        self.durations: dict[str, list[float]] = {s: [] for s in STEPS}
        self.concurrency = 1
        self.upload_note: dict[str, str] = {}
        self.started = clock()
        self._live: Any = None

    # --- doit's reporter API ---------------------------------------------------

    def initialize(self, tasks: Mapping[str, Any], selected_tasks: list[str]) -> None:
        reach = closure(tasks, selected_tasks)
        pids = sorted({p[1] for name in reach if (p := package_step(name))})
        if not pids:
            return
        self.tasks = tasks
        lv = levels(tasks, pids)
        pids.sort(key=lambda pid: (lv[pid], pid))
        self.rows = {pid: Row(pid, pid.split("/", 1)[0], level=lv[pid]) for pid in pids}
        self.needs = {
            pid: closure(tasks, [f"{s}:{pid}" for s in PACKAGE_STEPS]) for pid in self.rows
        }
        self.started = self.clock()
        if self.env.get("RELEASEKIT_LOG_FORMAT", "").lower() == "json":
            self.mode = "json"
        elif self.console.is_terminal:
            self.mode = "live"
            self._start_live()
        else:
            self.mode = "text"

    def get_status(self, task: Any) -> None:
        # Live mode: capture task output (shown in the failure panel) instead of
        # letting verbosity-2 tasks, possibly in worker processes, write over the table.
        # doit applies the effective verbosity right after this call
        # (--force-verbosity still wins).
        if self.mode == "live" and not self._quiet(task):
            task.verbosity = 0

    def execute_task(self, task: Any) -> None:
        if not self.mode or self._quiet(task):
            super().execute_task(task)
            return
        now = self.clock()
        self.running[task.name] = now
        self.concurrency = max(self.concurrency, len(self.running))
        parsed = package_step(task.name)
        if parsed and parsed[0] in RUNNING:
            step, pid = parsed
            row = self.rows[pid]
            if row.started is None:
                row.started = now
            row.finished = None  # a blocked package may still build (doit --continue)
            self._set_stage(row, RUNNING[step], task.name)
        elif not parsed and task.actions and task.name[0] != "_":
            self._event(task.name, "running", task.name)
            self._refresh()

    def add_success(self, task: Any) -> None:
        if not self.mode or self._quiet(task):
            return
        begun = self.running.pop(task.name, None)
        parsed = package_step(task.name)
        if not parsed:
            if task.actions and task.name[0] != "_":
                self._event(task.name, "done", task.name)
                out = captured_output(task).strip()
                if self._live is not None and out:
                    # Its output was captured (see get_status); show it above the table.
                    self.console.print(out, markup=False, highlight=False)
            self._refresh()
            return
        step, pid = parsed
        if step not in STEPS:
            return
        if begun is not None:
            self.durations[step].append(self.clock() - begun)
        row = self.rows[pid]
        row.done.add(step)
        if step == "build":
            self._set_stage(row, "blocked" if row.blocked_by else "built", task.name)
        elif step == "upload":
            # actions.upload says so when the registry already held the release.
            out = captured_output(task)
            self.upload_note[pid] = (
                "dry run" if "dry run" in out else "up to date" if "already" in out else ""
            )
            self._refresh()
        else:
            row.finished = self.clock()
            self._set_stage(row, self.upload_note.get(pid) or "published", task.name)
            self._fill_release_info(row)

    def skip_uptodate(self, task: Any) -> None:
        if not self.mode or self._quiet(task):
            if not self._quiet(task):
                super().skip_uptodate(task)
            return
        parsed = package_step(task.name)
        if not parsed:
            self._event(task.name, "up to date", task.name)
            return
        step, pid = parsed
        row = self.rows[pid]
        if step not in STEPS:
            return
        row.done.add(step)
        if step == "build" and row.stage == "waiting":
            self._set_stage(row, "built", task.name)
        elif step == "verify":
            row.done.update(STEPS)
            row.finished = self.clock()
            self._set_stage(row, "up to date", task.name)
            self._fill_release_info(row)

    def skip_ignore(self, task: Any) -> None:
        if not self.mode:
            super().skip_ignore(task)
            return
        self._event(task.name, "ignored", task.name)

    def add_failure(self, task: Any, fail: Any) -> None:
        if not self.mode or self._quiet(task):
            super().add_failure(task, fail)
            return
        from doit.exceptions import UnmetDependency

        self.running.pop(task.name, None)
        parsed = package_step(task.name)
        if isinstance(fail, UnmetDependency):
            if parsed:
                row = self.rows[parsed[1]]
                blocker = self._describe(fail.message.split()[0] if fail.message.split() else "")
                if row.stage not in FINAL and blocker != row.id:
                    self._block(row, blocker, task.name)
            return
        if not fail.report:
            return
        message = fail.get_msg().strip()
        output = captured_output(task).strip()
        failure = Failure(
            task=task.name,
            package=parsed[1] if parsed else "",
            code=rk_code(message) or rk_code(output),
            message=message,
            output=output,
        )
        self.failed.append(failure)
        self.failed_tasks.append(task.name)
        if self.env.get("GITHUB_ACTIONS") == "true":
            self._write_line(
                f"::error title={gha_escape(task.name, prop=True)}::{gha_escape(message)}"
            )
        if parsed:
            row = self.rows[parsed[1]]
            row.finished = self.clock()
            self._set_stage(row, "failed", task.name, failure=failure)
        else:
            self._event(task.name, "failed", task.name, failure=failure)
        self._mark_blocked()
        self._refresh()

    def cleanup_error(self, exception: Any) -> None:
        if self._live is not None:
            self.console.print(exception.get_msg(), markup=False, highlight=False)
        else:
            super().cleanup_error(exception)

    def complete_run(self) -> None:
        if not self.mode:
            super().complete_run()
            return
        try:
            self._mark_blocked()
            for row in self.rows.values():
                if not row.version:
                    self._fill_release_info(row)
            self._stop_live()
            if self.mode == "live":
                self.console.print(self.summary_table())
            elif self.mode == "text":
                self.write(self.summary_text())
            else:
                self._write_line(json.dumps({"summary": self.summary_json()}))
            summary_file = self.env.get("GITHUB_STEP_SUMMARY")
            if self.env.get("GITHUB_ACTIONS") == "true" and summary_file:
                with open(summary_file, "a", encoding="utf-8") as handle:
                    handle.write(self.summary_markdown())
            if self.runtime_errors:
                self.write("#" * 40 + "\nExecution aborted.\n")
                self.write("\n".join(self.runtime_errors) + "\n")
        finally:
            self._stop_live()

    # --- state ---------------------------------------------------------------

    @property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.outstream)
        return self._console

    def _quiet(self, task: Any) -> bool:
        return bool((getattr(task, "meta", None) or {}).get("quiet"))

    def _describe(self, task_name: str) -> str:
        parsed = package_step(task_name)
        return parsed[1] if parsed else task_name

    def _block(self, row: Row, blocker: str, task_name: str) -> None:
        """Blocked is where the row rests from now on; doit may still build it."""
        row.blocked_by = row.blocked_by or blocker
        if row.stage not in ACTIVE:
            row.finished = row.finished or self.clock()
            self._set_stage(row, "blocked", task_name)

    def _mark_blocked(self) -> None:
        """Rows that have not started but need a failed task can no longer finish.

        Without --continue doit just stops at the first failure, so this is the only
        place their fate gets decided."""
        if not self.failed_tasks:
            return
        for row in self.rows.values():
            if row.stage in FINAL or row.blocked_by:
                continue
            hit = next((t for t in self.failed_tasks if t in self.needs[row.id]), None)
            if hit is not None:
                self._block(row, self._describe(hit), hit)

    def _fill_release_info(self, row: Row) -> None:
        for step in ("verify", "build"):
            info = read_release_info(self.tasks.get(f"{step}:{row.id}"))
            if info:
                row.version = info["version"]
                row.registry = row.registry or info["registry"]
                return

    def _set_stage(
        self, row: Row, stage: str, task_name: str, failure: Failure | None = None
    ) -> None:
        if row.stage == stage:
            return
        row.stage = stage
        self._event(row.id, stage, task_name, row=row, failure=failure)
        self._refresh()

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for row in self.rows.values():
            result[row.stage] = result.get(row.stage, 0) + 1
        return result

    def eta(self) -> float | None:
        """Mean observed duration per step × the steps still to run, spread over the
        largest number of tasks seen running at once (the -n of this run, as far as we know)."""
        means = {s: sum(d) / len(d) for s, d in self.durations.items() if d}
        if not means:
            return None
        overall = sum(means.values()) / len(means)
        remaining = sum(
            means.get(step, overall)
            for row in self.rows.values()
            if row.stage not in FINAL
            for step in STEPS
            if step not in row.done
        )
        return remaining / max(1, self.concurrency)

    # --- output ----------------------------------------------------------------

    def _write_line(self, line: str) -> None:
        if self._live is not None:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            self.write(line + "\n")

    def _event(
        self,
        subject: str,
        stage: str,
        task_name: str,
        *,
        row: Row | None = None,
        failure: Failure | None = None,
    ) -> None:
        """A stage change, as a line (text/JSON modes)."""
        if self.mode not in ("text", "json"):
            return
        now = self.clock()
        elapsed = now - row.started if row and row.started is not None else None
        if self.mode == "json":
            record: dict[str, Any] = {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now)),
                "task": task_name,
                "stage": stage,
            }
            if row:
                record.update(package=row.id, ecosystem=row.label, level=row.level)
            if elapsed is not None:
                record["elapsed"] = round(elapsed, 3)
            if row and row.blocked_by:
                record["blocked_by"] = row.blocked_by
            if failure:
                record.update(code=failure.code, message=failure.message)
            self._write_line(json.dumps(record))
            return
        line = f"{time.strftime('%H:%M:%S', time.localtime(now))} {subject} {stage}"
        if row and row.blocked_by and stage == "blocked":
            line += f" by {row.blocked_by}"
        elif elapsed is not None and stage in FINAL:
            line += f" ({duration(elapsed)})"
        self._write_line(line)
        if failure:
            self.write("".join(f"    {ln}\n" for ln in failure_text(failure).splitlines()))

    def _start_live(self) -> None:
        from rich.live import Live

        self._live = Live(
            console=self.console,
            auto_refresh=self.auto_refresh,
            refresh_per_second=2,
            get_renderable=self.render,
            transient=False,
        )
        self._live.start()

    def _stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.refresh()
            live.stop()

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.refresh()

    def render(self) -> Any:
        """The live view: table, collapsed-rows line, footer, failure panels."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        now = self.clock()
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name, justify in [
            ("level", "right"),
            ("package", "left"),
            ("ecosystem", "left"),
            ("stage", "left"),
            ("elapsed", "right"),
        ]:
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        shown, collapsed = visible_rows(list(self.rows.values()))
        for row in shown:
            end = row.finished if row.finished is not None else now
            stage = row.stage + (f" ({row.blocked_by})" if row.blocked_by else "")
            table.add_row(
                "" if row.level is None else str(row.level),
                row.id,
                row.label,
                Text(stage, style=STAGE_STYLE.get(row.stage, "")),
                duration(end - row.started) if row.started is not None else "",
            )
        parts: list[Any] = [table]
        if collapsed:
            parts.append(Text(f"… {collapsed} more package(s) collapsed", style="dim"))
        parts.append(Text(self.footer(now), style="bold"))
        for failure in self.failed:
            parts.append(
                Panel(
                    Text(failure_text(failure)),
                    title=f"{failure.task} failed" + (f" [{failure.code}]" if failure.code else ""),
                    title_align="left",
                    border_style="red",
                )
            )
        return Group(*parts)

    def footer(self, now: float) -> str:
        counts = self.counts()
        order = ["waiting", "built", *ACTIVE, *FINAL]
        stages = " · ".join(f"{counts[s]} {s}" for s in order if counts.get(s))
        eta = self.eta()
        running = [n for n in self.running if not package_step(n)]
        text = f"{stages} │ elapsed {duration(now - self.started)}"
        if eta is not None and any(r.stage not in FINAL for r in self.rows.values()):
            text += f" │ ETA {duration(eta)}"
        if running:
            text += f" │ running {', '.join(running)}"
        return text

    # --- end-of-run summary ---------------------------------------------------

    def outcomes(self) -> list[tuple[Row, str]]:
        """(row, result) with result published / already there / dry run / failed /
        blocked by X / not run."""
        names = {"up to date": "already there"}
        result = []
        for row in self.rows.values():
            if row.stage == "blocked":
                outcome = f"blocked by {row.blocked_by}"
            elif row.stage in FINAL:
                outcome = names.get(row.stage, row.stage)
            elif "upload" in row.done:
                # Its upload went through; the run ended before verify ran.
                outcome = (
                    "uploaded, not verified"
                    if self.upload_note.get(row.id) != "dry run"
                    else "dry run"
                )
            else:
                outcome = "not run"
            result.append((row, outcome))
        return result

    def _tally(self) -> str:
        tally = dict.fromkeys(("published", "already there", "dry run", "failed", "blocked"), 0)
        tally["uploaded, not verified"] = tally["not run"] = 0
        for _, outcome in self.outcomes():
            key = "blocked" if outcome.startswith("blocked") else outcome
            tally[key] += 1
        return ", ".join(f"{n} {k}" for k, n in tally.items() if n)

    def summary_table(self) -> Any:
        from rich.table import Table

        table = Table(title=f"release summary: {self._tally()}", title_justify="left")
        for name in ("package", "version", "result", "registry"):
            table.add_column(name)
        for row, outcome in self.outcomes():
            table.add_row(row.id, row.version, outcome, row.registry)
        return table

    def summary_text(self) -> str:
        lines = [f"summary: {self._tally()}"]
        width = max((len(r.id) for r in self.rows.values()), default=0)
        for row, outcome in self.outcomes():
            line = f"  {row.id:<{width}}  {row.version or '-':<10}  {outcome}"
            lines.append(line.rstrip())
        return "\n".join(lines) + "\n"

    def summary_json(self) -> list[dict[str, Any]]:
        return [
            {
                "package": row.id,
                "ecosystem": row.label,
                "version": row.version or None,
                "registry": row.registry or None,
                "result": outcome,
            }
            for row, outcome in self.outcomes()
        ]

    def summary_markdown(self) -> str:
        lines = [
            "## Release summary",
            "",
            f"{self._tally()}",
            "",
            "| package | ecosystem | version | result |",
            "|---|---|---|---|",
        ]
        for row, outcome in self.outcomes():
            cells = [row.id, row.label, row.version or "", outcome]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        for failure in self.failed:
            code = f" ({failure.code})" if failure.code else ""
            lines += ["", f"### `{failure.task}` failed{code}", "", "```", failure.message, "```"]
        return "\n".join(lines) + "\n\n"


def failure_text(failure: Failure) -> str:
    """The failure's message, then the tail of its captured output."""
    text = failure.message
    if failure.output and failure.output not in failure.message:
        tail = failure.output.splitlines()[-OUTPUT_TAIL:]
        text += "\n\noutput (last lines):\n" + "\n".join(tail)
    return text
