"""Crash-safe temporary edits of manifests (ephemeral pinning).

Before a manifest is changed, its original bytes and their SHA-256 are written
to ``.releasekit/journal/`` and fsynced. The edit is undone in ``finally``, on
SIGTERM/SIGINT, and — if the process was killed (SIGKILL leaves no chance to
clean up) — by :func:`restore_all` at the start of the next run. A restored
file is verified against the recorded hash, so manifests end byte-identical.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from releasekit_tasks.errors import RKError


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file + rename, both fsynced: a kill leaves the old bytes or the new, never half."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _entry_name(target: Path) -> str:
    return hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]


def restore(entry: Path) -> Path:
    """Put the journaled original back, verify it, then drop the journal entry."""
    record = json.loads(entry.read_text(encoding="utf-8"))
    target = Path(record["path"])
    original = entry.with_suffix(".orig").read_bytes()
    if hashlib.sha256(original).hexdigest() != record["sha256"]:
        raise RKError(
            "RK-JOURNAL-CORRUPT",
            f"the journaled copy of {target} does not match its recorded hash",
            path=entry,
        )
    if not target.exists() or target.read_bytes() != original:
        write_atomically(target, original)
    if hashlib.sha256(target.read_bytes()).hexdigest() != record["sha256"]:
        raise RKError(
            "RK-JOURNAL-CORRUPT", f"restoring {target} did not give the original bytes", path=target
        )
    # The record first: a kill between the two leaves an orphan copy, which is
    # harmless, never a record whose copy is gone (the next run could not replay it).
    entry.unlink()
    entry.with_suffix(".orig").unlink()
    return target


def restore_all(journal_dir: Path) -> list[Path]:
    """Undo every edit a killed run left behind; returns the restored files."""
    if not journal_dir.is_dir():
        return []
    return [restore(entry) for entry in sorted(journal_dir.glob("*.json"))]


@contextlib.contextmanager
def _restore_on_signals(entry: Path) -> Iterator[None]:
    """SIGTERM/SIGINT restore the file, then die the way the signal intended."""

    def handler(signum: int, frame: object) -> None:
        if entry.exists():
            restore(entry)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Outside the main thread signals cannot be caught: finally + next-run recovery remain.
        with contextlib.suppress(ValueError):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def temporary_edit(target: Path, new_bytes: bytes, journal_dir: Path) -> Iterator[None]:
    """Replace ``target``'s bytes for the duration of the block, journaled."""
    journal_dir.mkdir(parents=True, exist_ok=True)
    entry = journal_dir / f"{_entry_name(target)}.json"
    if entry.exists():
        restore(entry)  # a previous run died mid-edit
    original = target.read_bytes()
    write_atomically(entry.with_suffix(".orig"), original)
    record = {
        "path": str(target.resolve()),
        "sha256": hashlib.sha256(original).hexdigest(),
        "pid": os.getpid(),
    }
    write_atomically(entry, json.dumps(record).encode())
    with _restore_on_signals(entry):
        try:
            write_atomically(target, new_bytes)
            yield
        finally:
            restore(entry)
