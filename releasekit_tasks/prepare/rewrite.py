"""Layout-preserving version rewrites: text in, text out.

The prepare stage writes new versions into manifests (each ecosystem's
``set_version``/``rewrite_dependency``, in ``ecosystems/<kind>/manifest.py``),
the committed versions file and user-configured version files. Every function
takes a file's text and returns the new text, changing only the bytes of the
values it rewrites; ``path`` only names the file in errors. Any problem raises
an :class:`RKError` before anything is returned, so a caller that writes the
result never writes half a rewrite.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.versions_file import parse_versions


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def match_end(regex: re.Pattern[str], text: str, i: int) -> int:
    """Where ``regex`` matching at ``i`` ends; callers know that it matches."""
    m = regex.match(text, i)
    assert m is not None
    return m.end()


# --- the versions file ----------------------------------------------------------


def update_versions_file(
    text: str | None, updates: dict[str, str], path: Path = Path(".releasekit-versions.json")
) -> str:
    """Set each folder -> version of ``updates`` in the versions file ``text``
    (None: no file yet). Existing entries keep their order; new ones follow, sorted."""
    versions = parse_versions(text, path) if text is not None else {}
    for folder in sorted(updates):
        versions[folder] = updates[folder]
    return json.dumps(versions, indent=2, ensure_ascii=False) + "\n"


# --- user-configured version files ------------------------------------------------

_VERSION_TOKEN = r"(v?)([0-9A-Za-z.+-]+)"


def rewrite_version_pattern(
    text: str, pattern: str, new: str, path: Path, *, whole_line: bool = False
) -> str:
    """Replace the version in every match of ``pattern`` (literal text around one
    ``{version}``), keeping or dropping a leading "v" as the old value had it.

    ``whole_line``: the pattern is a whole line, and only the first line that is
    exactly it changes (the version file a build backend reads, where another
    assignment may end like it: ``API_VERSION = "2.0"`` after ``VERSION = "1.0"``)."""
    parts = pattern.split("{version}")
    if len(parts) != 2:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"version pattern {pattern!r} for {path} must contain `{{version}}` exactly once",
            path=path,
            fix="check `version_files` in releasekit.toml",
        )
    if not re.fullmatch(_VERSION_TOKEN, new):
        raise RKError("RK-VERSION-INVALID", f"{new!r} cannot be written as a version", path=path)
    regex = re.compile(re.escape(parts[0]) + _VERSION_TOKEN + re.escape(parts[1]))
    if whole_line:
        regex = re.compile(f"^{regex.pattern}(?=\\r?$)", re.MULTILINE)
    bare = new.removeprefix("v")
    result, count = regex.subn(
        lambda m: parts[0] + m.group(1) + bare + parts[1], text, count=1 if whole_line else 0
    )
    if count == 0:
        raise RKError(
            "RK-VERSION-PATTERN",
            f"no {'line' if whole_line else 'match'} for the version pattern {pattern!r}",
            path=path,
            fix="the version file changed since it was read: run the command again"
            if whole_line
            else "check `version_files` in releasekit.toml",
        )
    return result
