"""Reading text files a user wrote: UTF-8 and JSON behind coded errors.

Every manifest, lockfile-adjacent and state file releasekit reads goes through
here (TOML through :mod:`releasekit_tasks.tomlfile`), so no input — bytes that
are not UTF-8, JSON nested deeper than the parser's recursion limit, a folder
where a file should be — ends in a traceback: it is ``code`` (usually
``RK-MANIFEST-PARSE``) naming the file and, where known, the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from releasekit_tasks.errors import RKError


def read_utf8(path: Path, code: str = "RK-MANIFEST-PARSE") -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RKError(code, f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RKError(
            code,
            f"not UTF-8 text: {exc.reason} at byte {exc.start}",
            path=path,
            line=data[: exc.start].count(b"\n") + 1,
        ) from None


def load_json(path: Path, code: str = "RK-MANIFEST-PARSE", text: str | None = None) -> Any:
    """The JSON value in ``path`` (or in ``text``, read from it)."""
    if text is None:
        text = read_utf8(path, code)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RKError(code, f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except RecursionError:
        raise RKError(
            code, "invalid JSON: arrays or objects nested too deeply", path=path
        ) from None
