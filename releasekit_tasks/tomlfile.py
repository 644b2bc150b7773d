"""Reading TOML files with error positions (tomllib keeps none)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from releasekit_tasks.errors import RKError


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into RK-CONFIG-PARSE with the line."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        line = line_from_message(str(exc))
        raise RKError("RK-CONFIG-PARSE", f"invalid TOML: {exc}", path=path, line=line) from None


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
