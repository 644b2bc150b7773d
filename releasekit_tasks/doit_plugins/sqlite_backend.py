"""A doit state backend that survives SIGKILL: sqlite in WAL mode, one commit per task.

doit 0.37's own backends (dbm, json, sqlite3) keep every change in memory and
write once, in ``dump()`` at the end of the run, so a killed run forgets every
task it completed. This backend has the same interface (doit calls ``get``,
``set``, ``in_``, ``remove``, ``remove_all`` and ``dump``) but commits each
task's record as soon as doit has finished saving it. WAL with
``synchronous=NORMAL`` makes a commit an append to the WAL file without fsync:
cheap, durable against a killed process (only a power cut can lose the last
commits, and never corrupts the file), and readers such as ``doit list`` do not
block the running ``doit``.

It is the doit ``BACKEND`` plugin ``releasekit-sqlite`` (entry-point group
``doit.BACKEND``). A dodo.py selects it with::

    DOIT_CONFIG = {"backend": "releasekit-sqlite", "dep_file": ".releasekit/doit.sqlite3"}

The table layout is the one of doit's ``sqlite3`` backend, so either can read
the other's file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Protocol

from doit.dependency import DatabaseException

BACKEND_NAME = "releasekit-sqlite"

# doit's Dependency.save_success() sets a task's values, result, checker and
# file-dep states and always ends with "deps:"; Dependency.ignore() sets only
# "ignore:". Committing when one of these keys arrives gives one commit per
# saved task and never puts half of a task's record on disk (a row holds the
# whole record, and a half-saved record could make a task look up to date).
_LAST_KEYS = frozenset({"deps:", "ignore:"})


class Codec(Protocol):
    def encode(self, data: Any) -> str: ...

    def decode(self, data: str) -> Any: ...


class DurableSqliteDB:
    """doit dependency DB: one row per task, committed when the task is saved."""

    desc = "sqlite3 in WAL mode, committed after each task (survives SIGKILL)"

    def __init__(self, name: str, codec: Codec, *, module_name: str | None = None) -> None:
        self.name = name
        self.codec = codec
        self._cache: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        # Opened on first need, and created only on the first write: a doit
        # command that fails on bad input (or only reads) leaves no file behind.
        self._conn: sqlite3.Connection | None = None
        self.existed = Path(name).exists()  # False: this run creates the file (if it writes)
        self._db(create=False)  # an existing file is checked now (a corrupt one fails early)

    def _db(self, *, create: bool) -> sqlite3.Connection | None:
        if self._conn is None and (create or Path(self.name).exists()):
            self._conn = _connect(self.name)
        return self._conn

    def get(self, task_id: str, dependency: str) -> Any:
        return self._task(task_id).get(dependency)

    def set(self, task_id: str, dependency: str, value: Any) -> None:
        self._task(task_id)[dependency] = value
        self._dirty.add(task_id)
        if dependency in _LAST_KEYS:
            self._flush()

    def in_(self, task_id: str) -> bool:
        return bool(self._task(task_id))

    def remove(self, task_id: str) -> None:
        # Committed at once: a failed task must not look up to date after a crash.
        self._cache[task_id] = {}
        self._dirty.discard(task_id)
        conn = self._db(create=False)
        if conn is not None:
            with conn:
                conn.execute("delete from doit where task_id = ?", (task_id,))

    def remove_all(self) -> None:
        self._cache.clear()
        self._dirty.clear()
        conn = self._db(create=False)
        if conn is not None:
            with conn:
                conn.execute("delete from doit")

    def dump(self) -> None:
        """doit calls this once, at the end: save what is left and close."""
        try:
            self._flush()
        finally:
            if self._conn is not None:
                self._conn.close()

    def discard_if_new(self) -> None:
        """After a failed run: remove the state file if this run created it (and its
        folder, when that is left empty), so a failing command leaves nothing behind.
        Nothing is lost that matters: receipts and the registries say what is done."""
        if self.existed:
            return
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        path = Path(self.name)
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when empty

    def _task(self, task_id: str) -> dict[str, Any]:
        data = self._cache.get(task_id)
        if data is None:
            conn = self._db(create=False)
            row = None
            if conn is not None:
                row = conn.execute(
                    "select task_data from doit where task_id = ?", (task_id,)
                ).fetchone()
            data = self._cache[task_id] = self.codec.decode(row[0]) if row else {}
        return data

    def _flush(self) -> None:
        rows: list[tuple[str, str]] = []
        unsavable: list[tuple[str, Exception]] = []
        for task_id in sorted(self._dirty):
            try:
                rows.append((task_id, self.codec.encode(self._cache[task_id])))
            except (TypeError, ValueError) as error:
                unsavable.append((task_id, error))
        self._dirty.clear()
        if not rows and not unsavable:
            return
        conn = self._db(create=True)
        assert conn is not None
        with conn:
            conn.executemany("insert or replace into doit values (?, ?)", rows)
            # The task ran but its new state cannot be stored; forgetting the old
            # state makes it run again rather than trust a stale record.
            for task_id, _ in unsavable:
                self._cache[task_id] = {}
                conn.execute("delete from doit where task_id = ?", (task_id,))
        if unsavable:
            task_id, reason = unsavable[0]
            raise DatabaseException(
                f"task {task_id!r} returned a value doit cannot store as JSON ({reason}); "
                "task actions must return plain data (dict of str, int, float, bool, "
                "None, list); its state was not saved, so it will run again"
            )


def _connect(name: str) -> sqlite3.Connection:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # A second writer (another doit command) waits instead of failing at once.
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = normal")
        conn.execute(
            "create table if not exists doit (task_id text not null primary key, task_data json)"
        )
    except sqlite3.DatabaseError as error:
        raise DatabaseException(
            f"{path.resolve()}: the doit state file cannot be opened ({error}). "
            "Remove it: a new one is created, and tasks check their targets and the "
            "registries again."
        ) from error
    return conn
