"""Builders of small uv workspaces: pyproject.toml documents written from plain dicts.

``member(...)`` makes one member's document, ``uv_workspace(root, members)``
writes the root and every member. Malformed files are written with
``common.write`` directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.repos.common import write

WORKSPACE = {"workspace": True}  # a [tool.uv.sources] value
_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def member(
    name: str,
    version: str | None = "1.0.0",
    *,
    deps: list[str] | None = None,
    optional: dict[str, list[str]] | None = None,
    groups: dict[str, list[Any]] | None = None,
    sources: dict[str, Any] | None = None,
    classifiers: list[str] | None = None,
    **project: Any,
) -> dict[str, Any]:
    """One member's pyproject document. ``version=None`` makes the version dynamic."""
    table: dict[str, Any] = {"name": name, "requires-python": ">=3.11", **project}
    if version is None:
        table["dynamic"] = ["version"]
    else:
        table["version"] = version
    if deps:
        table["dependencies"] = deps
    if classifiers:
        table["classifiers"] = classifiers
    if optional:
        table["optional-dependencies"] = optional
    doc: dict[str, Any] = {"project": table}
    if groups:
        doc["dependency-groups"] = groups
    if sources:
        doc["tool"] = {"uv": {"sources": sources}}
    return doc


def uv_workspace(
    root: Path,
    members: dict[str, dict[str, Any]],
    *,
    globs: list[str] | None = None,
    exclude: list[str] | None = None,
    sources: dict[str, Any] | None = None,
    project: dict[str, Any] | None = None,
) -> Path:
    """Write a uv workspace at ``root``: ``members`` maps folder (relative) -> document.

    ``globs`` defaults to ``["packages/*"]``; ``project`` (a ``member(...)``
    document) makes the root itself a member. Returns ``root``.
    """
    doc: dict[str, Any] = dict(project or {})
    uv: dict[str, Any] = {"workspace": {"members": globs or ["packages/*"]}}
    if exclude:
        uv["workspace"]["exclude"] = exclude
    if sources:
        uv["sources"] = sources
    doc["tool"] = {"uv": {**doc.get("tool", {}).get("uv", {}), **uv}}
    write(root / "pyproject.toml", dump(doc))
    for folder, member_doc in members.items():
        write(root / folder / "pyproject.toml", dump(member_doc))
    return root


def dump(doc: dict[str, Any]) -> str:
    """TOML text of a document: tables with list or table values get a [header],
    tables of scalars are written inline (``genkit = {workspace = true}``)."""
    lines: list[str] = []
    _section(lines, [], doc)
    return "\n".join(lines) + "\n"


def _section(lines: list[str], path: list[str], table: dict[str, Any]) -> None:
    if path:
        lines.append(f"[{'.'.join(_key(k) for k in path)}]")
    subtables = {k: v for k, v in table.items() if isinstance(v, dict) and _needs_header(v, path)}
    for key, value in table.items():
        if key not in subtables:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in subtables.items():
        _section(lines, [*path, key], value)


def _needs_header(table: dict[str, Any], path: list[str]) -> bool:
    return not path or any(isinstance(v, (dict, list)) for v in table.values())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _key(key: str) -> str:
    return key if key and set(key) <= _BARE_KEY else json.dumps(key)
