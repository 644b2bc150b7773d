"""The advisory repository lock: held by live processes, reclaimed from dead ones."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from releasekit_tasks.errors import RKError
from releasekit_tasks.lock import DEFAULT_MAX_AGE, _remove_if_unchanged, acquire

HOLD = """
import sys
from pathlib import Path
from releasekit_tasks.lock import acquire

with acquire(Path(sys.argv[1]), "publish"):
    print("held", flush=True)
    sys.stdin.read()
"""


def lock_file(root: Path) -> Path:
    return root / ".releasekit" / "lock"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def write_lock(root: Path, *, pid: int, host: str, since: datetime) -> str:
    text = json.dumps(
        {"pid": pid, "host": host, "since": since.isoformat(), "purpose": "tag", "token": "t0"}
    )
    lock_file(root).parent.mkdir(parents=True, exist_ok=True)
    lock_file(root).write_text(text)
    return text


def test_acquire_writes_the_holder_and_release_removes_it(tmp_path: Path) -> None:
    with acquire(tmp_path, "publish") as lock:
        data = json.loads(lock_file(tmp_path).read_text())
        assert data["pid"] == os.getpid()
        assert data["host"] == socket.gethostname()
        assert data["purpose"] == "publish"
        since = datetime.fromisoformat(data["since"])
        assert abs(datetime.now(UTC) - since) < timedelta(minutes=1)
        assert lock.replaced is None
    # No private files left either, and the folder the lock created is gone with it.
    assert not (tmp_path / ".releasekit").exists()


def test_release_keeps_a_state_folder_that_existed_or_holds_files(tmp_path: Path) -> None:
    (tmp_path / ".releasekit").mkdir()
    with acquire(tmp_path, "publish"):
        pass
    assert list((tmp_path / ".releasekit").iterdir()) == []
    other = tmp_path / "other"
    with acquire(other, "publish"):
        (other / ".releasekit" / "doit.sqlite3").write_text("state")
    assert [p.name for p in (other / ".releasekit").iterdir()] == ["doit.sqlite3"]


def test_a_live_holder_blocks_a_second_acquirer(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        before = lock_file(tmp_path).read_bytes()
        with pytest.raises(RKError) as caught:
            acquire(tmp_path, "tag")
        error = caught.value
        assert error.code == "RK-LOCK-HELD"
        assert error.path == lock_file(tmp_path)
        message = str(error)
        assert f"pid {holder.pid} on {socket.gethostname()} since " in message
        assert "for 'publish'" in message
        assert f"if process {holder.pid} on {socket.gethostname()} is gone, remove" in message
        assert lock_file(tmp_path).read_bytes() == before
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    assert not lock_file(tmp_path).exists()  # the holder released it on exit
    with acquire(tmp_path, "tag"):
        pass


def test_a_lock_of_a_dead_process_on_this_host_is_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = dead_pid()
    write_lock(tmp_path, pid=pid, host=socket.gethostname(), since=datetime.now(UTC))
    with acquire(tmp_path, "publish") as lock:
        assert lock.replaced is not None and lock.replaced.pid == pid
        assert json.loads(lock_file(tmp_path).read_text())["pid"] == os.getpid()
    said = capsys.readouterr().err
    assert f"replaced the stale lock {lock_file(tmp_path)} (pid {pid} on " in said
    assert f"process {pid} is gone" in said


def test_a_lock_from_another_host_is_kept_until_older_than_max_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pid is dead here, but on another host it cannot be checked.
    pid, now = dead_pid(), datetime.now(UTC)
    text = write_lock(tmp_path, pid=pid, host="ci-runner-7.example", since=now)
    with pytest.raises(RKError) as caught:
        acquire(tmp_path, "publish")
    assert caught.value.code == "RK-LOCK-HELD"
    assert "on ci-runner-7.example" in str(caught.value)
    assert lock_file(tmp_path).read_text() == text

    # Still young for a one-day limit, too old for a one-hour one.
    write_lock(tmp_path, pid=pid, host="ci-runner-7.example", since=now - timedelta(hours=2))
    with pytest.raises(RKError):
        acquire(tmp_path, "publish", max_age=timedelta(days=1))
    with acquire(tmp_path, "publish", max_age=timedelta(hours=1)) as lock:
        assert lock.replaced is not None and lock.replaced.host == "ci-runner-7.example"
    assert "it is older than 1:00:00" in capsys.readouterr().err


def test_a_live_holder_older_than_max_age_is_replaced(tmp_path: Path) -> None:
    """pids are reused: past the age limit even a live pid does not keep the lock."""
    old = datetime.now(UTC) - DEFAULT_MAX_AGE - timedelta(minutes=1)
    write_lock(tmp_path, pid=os.getpid(), host=socket.gethostname(), since=old)
    with acquire(tmp_path, "publish") as lock:
        assert lock.replaced is not None and lock.replaced.since == old


def test_an_unreadable_lock_file_is_replaced(tmp_path: Path) -> None:
    lock_file(tmp_path).parent.mkdir()
    lock_file(tmp_path).write_text('{"pid": 0, "host": "h"}')
    with acquire(tmp_path, "publish") as lock:
        assert lock.replaced is None  # there was no holder to name
        assert json.loads(lock_file(tmp_path).read_text())["pid"] == os.getpid()


def test_release_leaves_a_lock_that_is_no_longer_ours(tmp_path: Path) -> None:
    with acquire(tmp_path, "publish"):
        # Say another process judged us stale and took over.
        theirs = write_lock(
            tmp_path, pid=os.getppid(), host=socket.gethostname(), since=datetime.now(UTC)
        )
    assert lock_file(tmp_path).read_text() == theirs


def test_reclaiming_never_removes_a_lock_taken_after_the_stale_one_was_read(
    tmp_path: Path,
) -> None:
    stale = write_lock(tmp_path, pid=dead_pid(), host=socket.gethostname(), since=datetime.now(UTC))
    fresh = write_lock(
        tmp_path, pid=os.getppid(), host=socket.gethostname(), since=datetime.now(UTC)
    )
    assert stale != fresh
    assert not _remove_if_unchanged(lock_file(tmp_path), stale, "t1")
    assert lock_file(tmp_path).read_text() == fresh
    assert _remove_if_unchanged(lock_file(tmp_path), fresh, "t1")
    assert list(lock_file(tmp_path).parent.iterdir()) == []
