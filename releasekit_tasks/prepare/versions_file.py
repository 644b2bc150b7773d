"""The committed versions file: package path -> current version.

Go modules have no version field, so their current version lives here (as in
release-please's manifest) between prepare and publish. Keys are package
folders relative to the repository root, in POSIX form.
"""

from __future__ import annotations

import json
from pathlib import Path

from releasekit_tasks.errors import RKError
from releasekit_tasks.textfile import load_json, read_utf8


def read_versions(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return parse_versions(read_utf8(path), path)


def parse_versions(text: str, path: Path) -> dict[str, str]:
    data = load_json(path, text=text)
    if not isinstance(data, dict):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "the versions file must be a JSON object of path -> version strings",
            path=path,
            line=1,
        )
    for key, value in data.items():
        if not isinstance(value, str):
            raise RKError(
                "RK-MANIFEST-FIELD",
                f'the version of {key} must be a string such as "v1.2.3", not {json.dumps(value)}',
                path=path,
                line=next(
                    (n for n, line in enumerate(text.splitlines(), 1) if json.dumps(key) in line),
                    None,
                ),
            )
    return data
