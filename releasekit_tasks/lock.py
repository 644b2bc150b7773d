"""An advisory lock on the repository, so two release runs never overlap.

The lock is the file ``.releasekit/lock`` under the repository root: JSON naming
the holder's pid, host, start time and purpose. It is advisory (only
releasekit-tasks looks at it) and survives a crash of its holder, so a lock is
*stale*, and replaced, when its process is gone from this host or when it is
older than ``max_age`` (pids are reused, and a holder on another host cannot be
checked at all).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from releasekit_tasks.errors import RKError

LOCK_PATH = Path(".releasekit") / "lock"
DEFAULT_MAX_AGE = timedelta(hours=12)


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    since: datetime
    purpose: str
    # Tells our lock from a later one taken by a process that reused our pid.
    token: str

    def describe(self) -> str:
        return (
            f"pid {self.pid} on {self.host} since {self.since:%Y-%m-%d %H:%M:%S} UTC "
            f"for {self.purpose!r}"
        )


@dataclass
class Lock:
    """A held lock; a context manager that releases it on exit."""

    path: Path
    holder: Holder
    replaced: Holder | None = None  # the stale lock this one took over, if any
    created_dir: bool = False  # .releasekit/ did not exist before this lock

    def release(self) -> None:
        """Remove the lock file if it is still ours (a stale-lock reclaim may have taken it),
        and .releasekit/ too when the lock created it and nothing else landed there:
        a run that wrote nothing leaves nothing."""
        if os.getpid() != self.holder.pid:
            return  # a forked worker (doit -n) inherits this object; it is not the holder
        text = _read(self.path)
        if text is not None and _parse(text) == self.holder:
            self.path.unlink(missing_ok=True)
        if self.created_dir:
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()  # only succeeds when empty

    def __enter__(self) -> Lock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire(root: Path, purpose: str, *, max_age: timedelta = DEFAULT_MAX_AGE) -> Lock:
    """Take ``root/.releasekit/lock`` or raise RK-LOCK-HELD naming its live holder."""
    path = root / LOCK_PATH
    created_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    me = Holder(os.getpid(), socket.gethostname(), _now(), purpose, secrets.token_hex(8))
    replaced: Holder | None = None
    # Each turn either takes the lock, raises, or removed a stale lock (or saw the
    # lock vanish); a few turns only repeat if other processes race for it.
    for _ in range(5):
        if _create(path, me):
            return Lock(path, me, replaced, created_dir)
        text = _read(path)
        if text is None:
            continue  # released between our attempt and our read
        current = _parse(text)
        reason = _stale_reason(current, me.host, max_age)
        if reason is None:
            assert current is not None  # an unreadable lock is always stale
            raise _held(path, current)
        if _remove_if_unchanged(path, text, me.token):
            replaced = current
            what = current.describe() if current else "with unreadable content"
            print(f"releasekit: replaced the stale lock {path} ({what}): {reason}", file=sys.stderr)
    raise RKError(
        "RK-LOCK-HELD", "other processes keep taking and dropping the repository lock", path=path
    )


def _create(path: Path, holder: Holder) -> bool:
    """Atomically create the lock file with its full content; False if it exists.

    The content goes to a private file first and is then hard-linked to the lock
    path: link() fails if the path exists, like O_CREAT|O_EXCL, and a reader never
    sees a lock file that is empty or half written.
    """
    private = path.with_name(f"{path.name}.{holder.pid}.{holder.token}")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(_dump(holder))
            out.flush()
            os.fsync(out.fileno())
        os.link(private, path)
    except FileExistsError:
        return False
    finally:
        private.unlink(missing_ok=True)
    return True


def _remove_if_unchanged(path: Path, seen: str, token: str) -> bool:
    """Remove the stale lock whose content was ``seen``, and only that one.

    Renaming first means we never delete a fresh lock that another process put in
    place after our read: if the renamed file is not the one we judged stale, it
    goes back.
    """
    aside = path.with_name(f"{path.name}.stale.{token}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    try:
        if aside.read_text(encoding="utf-8") == seen:
            return True
        # If yet another process has taken the lock meanwhile, it wins.
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
        return False
    finally:
        aside.unlink(missing_ok=True)


def _stale_reason(current: Holder | None, host: str, max_age: timedelta) -> str | None:
    if current is None:
        return "its content is not a releasekit lock"
    if _now() - current.since > max_age:
        return f"it is older than {max_age}"
    if current.host == host and not _alive(current.pid):
        return f"process {current.pid} is gone"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _held(path: Path, holder: Holder) -> RKError:
    gone = f"if process {holder.pid} on {holder.host} is gone, remove {path}"
    return RKError(
        "RK-LOCK-HELD",
        f"the repository lock is held by {holder.describe()}",
        path=path,
        fix=f"wait for that run to finish; {gone}",
    )


def _dump(holder: Holder) -> str:
    data = asdict(holder)
    data["since"] = holder.since.isoformat()
    return json.dumps(data, indent=2) + "\n"


def _parse(text: str) -> Holder | None:
    """The holder named by a lock file's text, or None if it is not a valid lock."""
    try:
        data = json.loads(text)
        holder = Holder(
            pid=data["pid"],
            host=data["host"],
            since=datetime.fromisoformat(data["since"]),
            purpose=data["purpose"],
            token=data["token"],
        )
    except (ValueError, TypeError, KeyError):
        return None
    valid = (
        type(holder.pid) is int
        and holder.pid > 0  # os.kill(0 or -N) would signal whole process groups
        and isinstance(holder.host, str)
        and holder.since.tzinfo is not None
        and isinstance(holder.purpose, str)
        and isinstance(holder.token, str)
    )
    return holder if valid else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)
