"""The crash-safe doit state backend: interface, per-task commits, and SIGKILL survival."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from doit.dependency import DatabaseException, JSONCodec

from releasekit_tasks.doit_plugins.sqlite_backend import BACKEND_NAME, DurableSqliteDB
from tests.repos.common import write

# Registers the backend through doit's own plugin config, so these tests do not
# depend on how the package was installed (the entry point is tested separately).
PYPROJECT = """
[tool.doit.plugins.backend]
releasekit-sqlite = "releasekit_tasks.doit_plugins.sqlite_backend:DurableSqliteDB"
"""

# 30 tasks run one after the other (task_dep chain, so `-n 2` is deterministic
# too); each appends its number to ran.log. While kill-at-20 exists, task 20
# SIGKILLs the whole doit process group, workers included.
DODO = """
import os
import signal
from pathlib import Path

DOIT_CONFIG = {{"backend": {backend!r}, "dep_file": {dep_file!r}, "verbosity": 0}}


def step(i):
    with open("ran.log", "a") as log:
        log.write(f"{{i}}\\n")
    if i == 20 and Path("kill-at-20").exists():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    Path("out").mkdir(exist_ok=True)
    Path(f"out/{{i}}.txt").write_text(str(i))


def task_step():
    for i in range(1, 31):
        yield {{
            "name": str(i),
            "actions": [(step, [i])],
            "file_dep": ["input.txt"],
            "targets": [f"out/{{i}}.txt"],
            "task_dep": [f"step:{{i - 1}}"] if i > 1 else [],
        }}
"""


def make_project(root: Path, backend: str, dep_file: str) -> Path:
    write(root / "pyproject.toml", PYPROJECT)
    write(root / "dodo.py", DODO.format(backend=backend, dep_file=dep_file))
    write(root / "input.txt", "input\n")
    return root


def doit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A new session makes doit the leader of its own process group, so the
    # killpg in task 20 kills doit and its workers but not pytest.
    return subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=root,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=120,
    )


def ran(root: Path) -> list[int]:
    return [int(line) for line in (root / "ran.log").read_text().split()]


def crash_then_rerun(root: Path, *args: str) -> list[int]:
    """Run until task 20 kills doit, run again; return the tasks the second run executed."""
    (root / "kill-at-20").touch()
    killed = doit(root, *args)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert ran(root) == list(range(1, 21))
    (root / "kill-at-20").unlink()
    rerun = doit(root, *args)
    assert rerun.returncode == 0, rerun.stderr
    return ran(root)[20:]


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "parallel"])
def test_successes_before_a_sigkill_survive(tmp_path: Path, args: tuple[str, ...]) -> None:
    root = make_project(tmp_path, BACKEND_NAME, ".releasekit/doit.sqlite3")
    assert crash_then_rerun(root, *args) == list(range(20, 31))
    # And a third run has nothing left to do.
    assert doit(root, *args).returncode == 0
    assert len(ran(root)) == 20 + 11


def test_stock_sqlite3_backend_loses_every_success_on_sigkill(tmp_path: Path) -> None:
    """Why this backend exists: doit's own sqlite3 backend writes only at the end."""
    root = make_project(tmp_path, "sqlite3", ".doit.sqlite3")
    assert crash_then_rerun(root) == list(range(1, 31))


def test_is_registered_as_a_doit_backend_entry_point() -> None:
    """A user's DOIT_CONFIG names the backend; doit finds it in the `doit.BACKEND` group."""
    found = entry_points(group="doit.BACKEND", name=BACKEND_NAME)
    assert [point.load() for point in found] == [DurableSqliteDB]


def open_db(path: Path) -> DurableSqliteDB:
    return DurableSqliteDB(str(path), JSONCodec())


def rows(path: Path) -> dict[str, str]:
    """What another process would read from the file right now (the file appears on the first save)."""
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path)) as conn:
        return dict(conn.execute("select task_id, task_data from doit"))


def save_task(db: DurableSqliteDB, task_id: str, values: object) -> None:
    """The calls doit's Dependency.save_success makes, in its order."""
    db.set(task_id, "_values_:", values)
    db.set(task_id, "checker:", "MD5Checker")
    db.set(task_id, "deps:", ())


def test_a_task_record_is_committed_whole_when_doit_finishes_saving_it(tmp_path: Path) -> None:
    path = tmp_path / "state" / "doit.sqlite3"  # the folder is created on the first save
    db = open_db(path)
    db.set("a", "_values_:", {"x": 1})
    db.set("a", "checker:", "MD5Checker")
    assert rows(path) == {}  # half a record never reaches the disk
    db.set("a", "deps:", ("f",))
    assert rows(path) == {"a": '{"_values_:": {"x": 1}, "checker:": "MD5Checker", "deps:": ["f"]}'}
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)

    # Read back by a new instance without dump(), as after a crash.
    again = open_db(path)
    assert again.get("a", "_values_:") == {"x": 1}
    assert again.get("a", "missing") is None
    assert again.in_("a")
    assert not again.in_("b")


def test_ignore_remove_and_remove_all_are_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    db = open_db(path)
    save_task(db, "a", {})
    save_task(db, "b", {})
    db.set("c", "ignore:", "1")
    assert set(rows(path)) == {"a", "b", "c"}
    db.remove("a")
    assert set(rows(path)) == {"b", "c"}
    assert not db.in_("a")
    assert db.get("a", "_values_:") is None
    db.remove_all()
    assert rows(path) == {}
    assert not db.in_("b")


def test_dump_saves_leftovers_and_closes(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    db = open_db(path)
    db.set("a", "result:", "abc")
    db.dump()
    assert rows(path) == {"a": '{"result:": "abc"}'}
    assert not (tmp_path / "doit.sqlite3-wal").exists()  # closed: WAL checkpointed away


def test_a_value_that_is_not_json_is_refused_and_the_task_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    db = open_db(path)
    save_task(db, "good", {"n": 1})
    save_task(db, "bad", {"n": 1})
    with pytest.raises(DatabaseException, match=r"'bad' returned a value .* plain data"):
        save_task(db, "bad", {"n": object()})
    assert set(rows(path)) == {"good"}  # old record of "bad" gone: it must run again
    assert not db.in_("bad")
    db.dump()  # nothing left to fail at the end of the run
    assert set(rows(path)) == {"good"}


def test_a_file_that_is_not_a_database_is_reported_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "doit.sqlite3"
    path.write_text("this is not sqlite, just text that is long enough " * 20)
    with pytest.raises(DatabaseException, match=r"doit\.sqlite3: .*Remove it"):
        open_db(path)


def test_a_run_that_saves_nothing_leaves_no_file(tmp_path: Path) -> None:
    """A doit command that fails on bad input must not leave state behind."""
    path = tmp_path / ".releasekit" / "doit.sqlite3"
    db = open_db(path)
    assert db.get("plan", "deps:") is None
    db.remove("plan")
    db.dump()
    assert not path.parent.exists()
