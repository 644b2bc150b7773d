"""ReleaseReporter: recorded doit event sequences on real doit Task objects, rendered
by a fixed-width rich Console, plus one real ``doit -n 2`` run."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from doit.exceptions import TaskFailed, UnmetDependency
from doit.task import Stream, Task
from rich.console import Console

from releasekit_tasks.doit_plugins.progress import ReleaseReporter, Row, visible_rows
from releasekit_tasks.errors import RKError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def ok_build() -> None:
    print("built it")


def ok_upload() -> None:
    print("uploaded a.whl")


def already_upload() -> None:
    print("py/a 1.0.0 is already on http://r/: nothing to upload")


def failing_build() -> TaskFailed:
    print("pnpm pack: ERR_PNPM_SOMETHING at line 3")
    return TaskFailed(RKError("RK-BUILD-FAILED", "pnpm pack exited with 1").render())


def failing_preflight() -> TaskFailed:
    return TaskFailed(RKError("RK-PREFLIGHT-DIRTY", "1 uncommitted change(s)").render())


def world(tmp_path: Path, deps: dict[str, list[str]], **actions: Any) -> dict[str, Task]:
    """The task set task_publish & co. create: query, preflight, build/upload/verify/publish."""
    tasks = {
        "query": Task("query", [ok_build]),
        "preflight": Task("preflight", [actions.get("preflight", ok_build)]),
        "plan": Task("plan", [ok_build], meta={"quiet": True}),
    }
    for pid, needs in deps.items():
        slug = pid.replace("/", "-")
        receipt = tmp_path / "receipts" / f"{slug}.json"
        tasks[f"build:{pid}"] = Task(
            f"build:{pid}",
            [actions.get(f"build:{pid}", ok_build)],
            task_dep=["preflight", "query"],
            targets=[str(tmp_path / "dist" / slug / "artifacts.json")],
        )
        tasks[f"upload:{pid}"] = Task(
            f"upload:{pid}",
            [actions.get(f"upload:{pid}", ok_upload)],
            task_dep=[f"build:{pid}", "preflight", *(f"verify:{d}" for d in needs)],
        )
        tasks[f"verify:{pid}"] = Task(
            f"verify:{pid}", [ok_build], task_dep=[f"upload:{pid}"], targets=[str(receipt)]
        )
        tasks[f"publish:{pid}"] = Task(f"publish:{pid}", None, task_dep=[f"verify:{pid}"])
    return tasks


def receipt(tmp_path: Path, pid: str, version: str) -> None:
    path = tmp_path / "receipts" / f"{pid.replace('/', '-')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": pid, "version": version, "registry": "http://r/"}))


def run(reporter: ReleaseReporter, task: Task, clock: Clock | None = None, took: float = 0) -> None:
    """What doit's Runner does for one task that is not up to date."""
    reporter.get_status(task)
    task.overwrite_verbosity(Stream(None))
    reporter.execute_task(task)
    if clock:
        clock.now += took
    fail = task.execute(Stream(None))
    if fail:
        reporter.add_failure(task, fail)
    else:
        reporter.add_success(task)


def text(renderable: Any) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def row_of(rendered: str, pid: str) -> list[str]:
    line = next(ln for ln in rendered.splitlines() if f" {pid} " in f" {ln} ")
    return re.split(r"\s{2,}", line.strip())


def tty_reporter(env: dict[str, str] | None = None) -> tuple[ReleaseReporter, io.StringIO, Clock]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    clock = Clock()
    reporter = ReleaseReporter(
        out, {}, console=console, env=env or {}, clock=clock, auto_refresh=False
    )
    return reporter, out, clock


DEPS = {"py/a": [], "py/b": ["py/a"], "js/@acme/c": [], "js/@acme/d": ["js/@acme/c"]}


def test_live_rows_stages_footer_failure_panel_and_summary(tmp_path: Path) -> None:
    tasks = world(tmp_path, DEPS, **{"build:js/@acme/c": failing_build})
    reporter, out, clock = tty_reporter()
    reporter.initialize(tasks, ["publish"] + [f"publish:{p}" for p in DEPS])
    assert reporter.mode == "live"
    for name in ("query", "preflight"):
        run(reporter, tasks[name], clock, 1)
    run(reporter, tasks["build:py/a"], clock, 4)
    reporter.execute_task(tasks["upload:py/a"])
    clock.now += 2

    view = text(reporter.render())
    assert row_of(view, "py/a") == ["0", "py/a", "py", "uploading", "6.0s"]
    assert row_of(view, "py/b") == ["1", "py/b", "py", "waiting"]
    # ETA: one build observed (4 s); 3 builds, 4 uploads, 4 verifies left at 4 s each.
    assert "3 waiting · 1 uploading │ elapsed 8.0s │ ETA 44.0s" in view

    tasks["upload:py/a"].execute(Stream(None))
    reporter.add_success(tasks["upload:py/a"])
    run(reporter, tasks["verify:py/a"], clock, 1)
    assert tasks["build:py/a"].verbosity == 0  # captured, so workers cannot write over the table
    run(reporter, tasks["build:js/@acme/c"], clock, 1)

    view = text(reporter.render())
    assert row_of(view, "py/a") == ["0", "py/a", "py", "published", "7.0s"]
    assert row_of(view, "js/@acme/c")[3] == "failed"
    # d needs build:js/@acme/c, which failed: blocked at once, before doit even gets there.
    assert row_of(view, "js/@acme/d")[3] == "blocked (js/@acme/c)"
    assert "1 waiting · 1 published · 1 failed · 1 blocked │" in view
    assert "build:js/@acme/c failed [RK-BUILD-FAILED]" in view
    assert "error[RK-BUILD-FAILED]: pnpm pack exited with 1" in view
    assert "ERR_PNPM_SOMETHING at line 3" in view  # the captured output, in the panel

    receipt(tmp_path, "py/a", "1.0.0")
    reporter.complete_run()
    assert reporter._live is None
    rendered = ANSI.sub("", out.getvalue())
    assert "\x1b[?25h" in out.getvalue()  # cursor shown again
    summary = rendered[rendered.index("release summary") :]
    assert "1 published, 1 failed, 1 blocked, 1 not run" in summary
    assert re.search(r"py/a\s+│\s+1\.0\.0\s+│\s+published\s+│\s+http://r/", summary)
    assert re.search(r"js/@acme/d\s+│\s+│\s+blocked by js/@acme/c", summary)


def test_window_keeps_active_failed_and_recent_rows() -> None:
    rows = [Row(f"py/p{i:02d}", "py") for i in range(40)]
    for i in range(34):  # finished one after another: p00 oldest, p33 newest
        rows[i].stage, rows[i].finished = "published", T0 + i
    rows[3].stage = "failed"
    rows[35].stage = rows[36].stage = "building"
    shown, collapsed = visible_rows(rows)
    ids = [r.id for r in shown]
    assert len(shown) == 30 and collapsed == 10
    assert {"py/p03", "py/p35", "py/p36", "py/p33"} <= set(ids)
    # the 6 oldest finished rows go first, then the waiting ones
    assert not {"py/p00", "py/p01", "py/p02", "py/p04", "py/p05", "py/p06", "py/p34"} & set(ids)
    assert "py/p07" in ids
    assert ids == sorted(ids)  # still in release order


def test_live_view_collapses_above_30_packages(tmp_path: Path) -> None:
    deps: dict[str, list[str]] = {f"py/p{i:02d}": [] for i in range(35)}
    tasks = world(tmp_path, deps)
    reporter, _, _ = tty_reporter()
    reporter.initialize(tasks, [f"publish:{p}" for p in deps])
    reporter.execute_task(tasks["build:py/p34"])
    view = text(reporter.render())
    assert "… 5 more package(s) collapsed" in view
    assert row_of(view, "py/p34")[3] == "building"
    assert sum(1 for ln in view.splitlines() if ln.strip().startswith("0 ")) == 30
    reporter.complete_run()


def test_quiet_and_packageless_runs_print_like_doit(tmp_path: Path) -> None:
    tasks = world(tmp_path, DEPS)
    out = io.StringIO()
    reporter = ReleaseReporter(out, {}, env={})
    reporter.initialize(tasks, ["plan"])
    run(reporter, tasks["plan"])
    reporter.complete_run()
    assert out.getvalue() == ""  # plan's stdout is data
    reporter = ReleaseReporter(out, {}, env={})
    reporter.initialize(tasks, ["preflight"])
    run(reporter, tasks["preflight"])
    reporter.complete_run()
    assert out.getvalue() == ".  preflight\n"


def test_quiet_task_inside_a_live_run_prints_nothing(tmp_path: Path) -> None:
    tasks = world(tmp_path, DEPS)
    reporter, out, _ = tty_reporter()
    reporter.initialize(tasks, ["plan", "publish:py/a"])
    before = out.getvalue()
    reporter.get_status(tasks["plan"])
    reporter.execute_task(tasks["plan"])
    reporter.add_success(tasks["plan"])
    assert out.getvalue() == before
    assert tasks["plan"].verbosity is None  # its output is not captured either
    reporter.complete_run()


def stamp(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def test_text_lines_and_github_annotations(tmp_path: Path) -> None:
    tasks = world(tmp_path, {"py/a": [], "js/c": []}, **{"build:js/c": failing_build})
    summary_file = tmp_path / "summary.md"
    summary_file.write_text("earlier step\n")
    out = io.StringIO()
    clock = Clock()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary_file)}
    reporter = ReleaseReporter(out, {}, env=env, clock=clock)
    reporter.initialize(tasks, ["publish:py/a", "publish:js/c"])
    assert reporter.mode == "text"
    run(reporter, tasks["build:py/a"], clock, 2)
    run(reporter, tasks["upload:py/a"], clock, 1)
    reporter.skip_uptodate(tasks["verify:py/a"])
    run(reporter, tasks["build:js/c"], clock, 1)
    receipt(tmp_path, "py/a", "1.0.0")
    reporter.complete_run()

    lines = out.getvalue().splitlines()
    t = stamp(T0)
    assert lines[:7] == [
        f"{t} py/a building",
        f"{stamp(T0 + 2)} py/a built",
        f"{stamp(T0 + 2)} py/a uploading",
        f"{stamp(T0 + 3)} py/a up to date (3.0s)",
        f"{stamp(T0 + 3)} js/c building",
        "::error title=build%3Ajs/c::error[RK-BUILD-FAILED]: pnpm pack exited with 1%0A"
        "  fix: " + RKError("RK-BUILD-FAILED", "x").fix,
        f"{stamp(T0 + 4)} js/c failed (1.0s)",
    ]
    assert lines[7] == "    error[RK-BUILD-FAILED]: pnpm pack exited with 1"
    assert "    pnpm pack: ERR_PNPM_SOMETHING at line 3" in lines
    assert lines[-3:] == [
        "summary: 1 already there, 1 failed",
        "  js/c  -           failed",
        "  py/a  1.0.0       already there",
    ]
    markdown = summary_file.read_text()
    assert markdown.startswith("earlier step\n## Release summary\n")
    assert "| py/a | py | 1.0.0 | already there |" in markdown
    assert "| js/c | js |  | failed |" in markdown
    assert "### `build:js/c` failed (RK-BUILD-FAILED)" in markdown


def test_json_lines(tmp_path: Path) -> None:
    tasks = world(tmp_path, {"py/a": [], "py/b": ["py/a"]}, preflight=failing_preflight)
    out = io.StringIO()
    clock = Clock()
    reporter = ReleaseReporter(out, {}, env={"RELEASEKIT_LOG_FORMAT": "json"}, clock=clock)
    reporter.initialize(tasks, ["publish:py/a", "publish:py/b"])
    run(reporter, tasks["query"], clock, 1)
    run(reporter, tasks["preflight"], clock, 1)
    reporter.complete_run()  # doit stops at the first failure (no --continue)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r.get("task"), r.get("stage"), r.get("package")) for r in records[:-1]] == [
        ("query", "running", None),
        ("query", "done", None),
        ("preflight", "running", None),
        ("preflight", "failed", None),
        ("preflight", "blocked", "py/a"),
        ("preflight", "blocked", "py/b"),
    ]
    assert records[3]["code"] == "RK-PREFLIGHT-DIRTY"
    assert records[4]["blocked_by"] == "preflight" and records[5]["level"] == 1
    assert records[-1]["summary"] == [
        {
            "package": "py/a",
            "ecosystem": "py",
            "version": None,
            "registry": None,
            "result": "blocked by preflight",
        },
        {
            "package": "py/b",
            "ecosystem": "py",
            "version": None,
            "registry": None,
            "result": "blocked by preflight",
        },
    ]


def test_unmet_dependency_under_continue_names_the_dependency(tmp_path: Path) -> None:
    tasks = world(tmp_path, DEPS, **{"upload:py/a": already_upload})
    out = io.StringIO()
    clock = Clock()
    reporter = ReleaseReporter(out, {}, env={}, clock=clock)
    reporter.initialize(tasks, [f"publish:{p}" for p in DEPS])
    for step in ("build", "upload", "verify"):
        run(reporter, tasks[f"{step}:py/a"], clock, 1)
    reporter.execute_task(tasks["build:py/b"])
    reporter.add_failure(tasks["build:py/b"], TaskFailed("boom"))
    # With --continue doit reports what depends on a failed task as UnmetDependency.
    reporter.add_failure(tasks["upload:py/b"], UnmetDependency("build:py/b"))
    reporter.add_failure(tasks["upload:js/@acme/d"], UnmetDependency("verify:js/@acme/c"))
    assert reporter.rows["py/a"].stage == "up to date"  # upload said "already on"
    assert reporter.rows["py/b"].stage == "failed"  # its own step: still failed
    assert reporter.rows["js/@acme/d"].stage == "blocked"
    assert reporter.rows["js/@acme/d"].blocked_by == "js/@acme/c"
    assert f"{stamp(T0 + 3)} js/@acme/d blocked by js/@acme/c" in out.getvalue().splitlines()


def test_complete_run_stops_live_after_ctrl_c(tmp_path: Path) -> None:
    tasks = world(tmp_path, DEPS)
    reporter, out, _ = tty_reporter()
    reporter.initialize(tasks, ["publish:py/a"])
    reporter.execute_task(tasks["build:py/a"])
    live = reporter._live
    assert live is not None and live.is_started
    # KeyboardInterrupt inside doit's run_tasks still reaches Runner.finish → complete_run.
    reporter.complete_run()
    assert not live.is_started and reporter._live is None
    summary = ANSI.sub("", out.getvalue())
    assert "0 published" not in summary and "1 not run" in summary
    assert out.getvalue().count("\x1b[?25l") == out.getvalue().count("\x1b[?25h")


DODO = """
from doit.exceptions import TaskFailed

from releasekit_tasks.doit_plugins.progress import ReleaseReporter

DOIT_CONFIG = {"reporter": ReleaseReporter, "dep_file": "db"}

def ok():
    print("work")

def bad():
    return TaskFailed("error[RK-BUILD-FAILED]: nope\\n  fix: look")

DEPS = {"py/a": [], "py/b": ["py/a"], "js/c": [], "js/d": ["js/c"]}

def task_build():
    for pid in DEPS:
        yield {"name": pid, "actions": [bad if pid == "js/c" else ok], "verbosity": 2}

def task_upload():
    for pid, deps in DEPS.items():
        yield {"name": pid, "actions": [ok], "verbosity": 2,
               "task_dep": [f"build:{pid}", *(f"verify:{d}" for d in deps)]}

def task_verify():
    for pid in DEPS:
        yield {"name": pid, "actions": [ok], "task_dep": [f"upload:{pid}"], "verbosity": 2}

def task_publish():
    for pid in DEPS:
        yield {"name": pid, "actions": None, "task_dep": [f"verify:{pid}"]}
"""


@pytest.mark.parametrize("parallel", [[], ["-n", "2"]])
def test_real_doit_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parallel: list[str],
) -> None:
    from doit.doit_cmd import DoitMain

    (tmp_path / "dodo.py").write_text(DODO)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("RELEASEKIT_LOG_FORMAT", raising=False)
    report = tmp_path / "report.txt"  # the reporter's outstream
    code = DoitMain().run([*parallel, "--continue", "-o", str(report), "publish"])
    out = report.read_text()
    # doit alone exits 2 (UnmetDependency is an error); releasekit's runner patch
    # (doit_plugins/continue_on_failure.py) makes a blocked dependent a failure: 1.
    assert code == 1
    events = [ln.split(" ", 1)[1] for ln in out.splitlines() if re.match(r"\d\d:\d\d:\d\d ", ln)]
    assert "js/c failed" in [e.split(" (")[0] for e in events]
    assert "js/d blocked by js/c" in events
    published = [e for e in events if e.endswith("s)") and "published" in e]
    assert {e.split()[0] for e in published} == {"py/a", "py/b"}
    # workers' execute_task events reach the reporter in the main process
    assert "py/b uploading" in events and events.index("py/b uploading") > events.index(
        next(e for e in events if e.startswith("py/a published"))
    )
    assert "summary: 2 published, 1 failed, 1 blocked" in out
