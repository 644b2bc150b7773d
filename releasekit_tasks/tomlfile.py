"""Reading TOML files with error positions (tomllib keeps none)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from releasekit_tasks.errors import RKError


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into RK-CONFIG-PARSE with the line."""
    return parse_toml(path, "RK-CONFIG-PARSE")


def parse_toml(path: Path, code: str) -> dict[str, Any]:
    """Read and parse a TOML file; any failure is ``code`` naming the file (and line).

    Not UTF-8, a syntax error, nesting deeper than the parser's recursion limit
    or an unreadable file: never a traceback.
    """
    from releasekit_tasks.textfile import read_utf8

    text = read_utf8(path, code)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = line_from_message(str(exc))
        raise RKError(code, f"invalid TOML: {exc}", path=path, line=where) from None
    except RecursionError:
        raise RKError(code, "invalid TOML: arrays or tables nested too deeply", path=path) from None


def line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def key_line(path: Path, key: str) -> int | None:
    """Best-effort line of ``key =`` in a TOML file (tomllib keeps no positions)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=|^\s*\[[^\]]*\b{re.escape(key)}\b")
    for number, text in enumerate(lines, start=1):
        if pattern.search(text):
            return number
    return None
