"""The committed versions file: package path -> current version.

Go modules have no version field, so their current version lives here (as in
release-please's manifest) between prepare and publish. Keys are package
folders relative to the repository root, in POSIX form.
"""

from __future__ import annotations

import json
from pathlib import Path

from releasekit_tasks.errors import RKError


def read_versions(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return parse_versions(path.read_text(encoding="utf-8"), path)


def parse_versions(text: str, path: Path) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RKError(
            "RK-MANIFEST-PARSE", f"invalid JSON: {exc.msg}", path=path, line=exc.lineno
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "the versions file must be a JSON object of path -> version strings",
            path=path,
        )
    return data
