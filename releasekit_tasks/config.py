"""releasekit.toml: the root config and the per-package config.

Both are flat TOML read with ``tomllib``. Unknown keys are errors with a
did-you-mean suggestion; every value is type-checked. docs/configuration.md
documents each key listed in the schemas below.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit_tasks.ecosystems import detect_kinds, get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.tomlfile import key_line, read_toml

CONFIG_NAME = "releasekit.toml"

# key -> (python type, allowed values or None). Keep docs/configuration.md in step.
ROOT_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "synchronize": (bool, None),
    "tag_format": (str, None),
    "umbrella_tag": (str, None),
    "publish_from": (str, ("local", "ci")),
    "major_on_zero": (bool, None),
    "bootstrap_sha": (str, None),
    "release_branch": (str, None),
    "versions_file": (str, None),
    "changelog": (bool, None),
    "repo_url": (str, None),
    "ecosystems": (dict, None),
}
ECOSYSTEM_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "kind": (str, None),
    "workspace_root": (str, None),
    "registry": (str, None),
    "upload_url": (str, None),
    "tag_format": (str, None),
    "token_env": (str, None),
    "pin": (str, ("exact", "compatible", "minimum")),
    "dist_tag": (str, None),
    "access": (str, ("public", "restricted")),
    "proxy_dir": (str, None),
}
PACKAGE_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "group": (str, None),
    "publishable": (bool, None),
    "tag_format": (str, None),
    "registry": (str, None),
    "version_files": (list, None),
}

DEFAULT_REGISTRIES = {
    "uv": "https://pypi.org/simple/",
    "pnpm": "https://registry.npmjs.org/",
    "go": "https://proxy.golang.org/",
}


@dataclass(frozen=True)
class EcosystemConfig:
    label: str
    kind: str
    workspace_root: Path  # absolute
    registry: str
    upload_url: str | None = None
    tag_format: str | None = None
    token_env: str | None = None
    pin: str = "exact"
    dist_tag: str | None = None
    access: str | None = None
    proxy_dir: Path | None = None


@dataclass(frozen=True)
class RootConfig:
    root: Path  # the repository root: where releasekit.toml and dodo.py live
    synchronize: bool = False
    tag_format: str = "{name}-v{version}"
    umbrella_tag: str = "v{version}"
    publish_from: str = "local"
    major_on_zero: bool = False
    bootstrap_sha: str | None = None
    release_branch: str = "releasekit/release"
    versions_file: str = ".releasekit-versions.json"
    changelog: bool = True  # write CHANGELOG.md in each released package
    repo_url: str | None = None  # links commits and PRs in changelogs
    ecosystems: dict[str, EcosystemConfig] = field(default_factory=dict)


@dataclass(frozen=True)
class PackageConfig:
    group: str | None = None
    publishable: bool | None = None
    tag_format: str | None = None
    registry: str | None = None
    # Extra files holding the version: (path relative to the package, pattern
    # with one {version} placeholder), e.g. ("src/acme/__init__.py", '__version__ = "{version}"').
    version_files: tuple[tuple[str, str], ...] = ()


# Placeholders a tag template may use; `{version}` is required (a tag names one version).
TAG_FIELDS = ("name", "version")
UMBRELLA_FIELDS = ("version",)


def check_template(
    template: str, fields: tuple[str, ...], *, path: Path, key: str, where: str
) -> None:
    """A ``str.format`` template: balanced braces, known placeholders, ``{version}`` once.

    ``RK-CONFIG-TEMPLATE`` names the key, the file and its line otherwise.
    """
    import string

    def fail(problem: str) -> RKError:
        allowed = ", ".join(f"{{{f}}}" for f in fields)
        return RKError(
            "RK-CONFIG-TEMPLATE",
            f"`{key}` in {where} is {template!r}: {problem}",
            path=path,
            line=key_line(path, key),
            fix=f"use only {allowed} (with `{{version}}` exactly once); write {{{{ and }}}} for a literal brace",
        )

    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise fail(f"unbalanced braces ({exc})") from None
    used = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields:
            raise fail(f"unknown placeholder `{{{name}}}`" if name else "an empty placeholder `{}`")
        if spec or conversion:
            raise fail(f"placeholder `{{{name}}}` may not carry a conversion or format spec")
        used.append(name)
    if used.count("version") != 1:
        raise fail("`{version}` must appear exactly once")


def _validate(
    data: dict[str, Any],
    schema: dict[str, tuple[type, tuple[str, ...] | None]],
    path: Path,
    where: str,
) -> None:
    for key, value in data.items():
        if key not in schema:
            close = difflib.get_close_matches(key, schema, n=1)
            hint = f" — did you mean `{close[0]}`?" if close else ""
            known = ", ".join(sorted(schema))
            raise RKError(
                "RK-CONFIG-UNKNOWN-KEY",
                f"unknown key `{key}` in {where}{hint}",
                path=path,
                line=key_line(path, key),
                fix=f"use `{close[0]}`" if close else f"known keys: {known}",
            )
        expected, allowed = schema[key]
        if not isinstance(value, expected):
            raise RKError(
                "RK-CONFIG-TYPE",
                f"`{key}` in {where} must be {_type_name(expected)}, not {_type_name(type(value))}",
                path=path,
                line=key_line(path, key),
            )
        if allowed is not None and value not in allowed:
            raise RKError(
                "RK-CONFIG-VALUE",
                f"`{key}` in {where} is {value!r}; allowed: {', '.join(allowed)}",
                path=path,
                line=key_line(path, key),
            )


def _type_name(t: type) -> str:
    return {
        bool: "a boolean",
        str: "a string",
        dict: "a table",
        int: "an integer",
        list: "an array",
    }.get(t, t.__name__)


def load_root_config(root: Path) -> RootConfig:
    """Read ``<root>/releasekit.toml``; error if it is missing (init writes it)."""
    root = root.resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise RKError("RK-CONFIG-MISSING", f"no {CONFIG_NAME} in {root}", path=path)
    data = read_toml(path)
    _validate(data, ROOT_KEYS, path, CONFIG_NAME)
    for key, fields in (("tag_format", TAG_FIELDS), ("umbrella_tag", UMBRELLA_FIELDS)):
        if key in data:
            check_template(data[key], fields, path=path, key=key, where=CONFIG_NAME)
    ecosystems = {
        label: _ecosystem_config(root, path, label, table)
        for label, table in data.pop("ecosystems", {}).items()
    }
    return RootConfig(root=root, ecosystems=ecosystems, **data)


def _ecosystem_config(root: Path, path: Path, label: str, table: Any) -> EcosystemConfig:
    where = f"[ecosystems.{label}]"
    if not isinstance(table, dict):
        raise RKError(
            "RK-CONFIG-TYPE", f"{where} must be a table", path=path, line=key_line(path, label)
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", label):
        raise RKError(
            "RK-CONFIG-VALUE",
            f"ecosystem label `{label}` must be letters, digits, `_`, `.` or `-`",
            path=path,
            line=key_line(path, label),
        )
    _validate(table, ECOSYSTEM_KEYS, path, where)
    if "tag_format" in table:
        check_template(table["tag_format"], TAG_FIELDS, path=path, key="tag_format", where=where)
    workspace_root = (root / table.get("workspace_root", ".")).resolve()
    kind = table.get("kind") or _detect_kind(workspace_root)
    if kind is None:
        raise RKError(
            "RK-WORKSPACE-MISSING",
            f"{where}: cannot tell the ecosystem of {workspace_root} (no workspace file found)",
            path=path,
            line=key_line(path, label),
            fix="set `kind` (uv, pnpm, go) and check `workspace_root`",
        )
    get_ecosystem(kind, config_path=path)  # unknown kinds fail here, with the config file named
    proxy_dir = table.get("proxy_dir")
    return EcosystemConfig(
        label=label,
        kind=kind,
        workspace_root=workspace_root,
        registry=table.get("registry", DEFAULT_REGISTRIES.get(kind, "")),
        upload_url=table.get("upload_url"),
        tag_format=table.get("tag_format"),
        token_env=table.get("token_env"),
        pin=table.get("pin", "exact"),
        dist_tag=table.get("dist_tag"),
        access=table.get("access"),
        proxy_dir=(root / proxy_dir).resolve() if proxy_dir else None,
    )


def _detect_kind(workspace_root: Path) -> str | None:
    kinds = detect_kinds(workspace_root)
    return kinds[0] if len(kinds) == 1 else None


def load_package_config(package_dir: Path, repo_root: Path) -> PackageConfig:
    """Read a package's own releasekit.toml; defaults when it has none.

    The repository root's releasekit.toml is the root config, never a package's.
    """
    path = package_dir / CONFIG_NAME
    if package_dir.resolve() == repo_root.resolve() or not path.is_file():
        return PackageConfig()
    data = read_toml(path)
    where = f"{path.parent.name}/{CONFIG_NAME}"
    _validate(data, PACKAGE_KEYS, path, where)
    if "tag_format" in data:
        check_template(data["tag_format"], TAG_FIELDS, path=path, key="tag_format", where=where)
    if "version_files" in data:
        data["version_files"] = _version_files(data["version_files"], path)
    return PackageConfig(**data)


def _version_files(entries: list[Any], path: Path) -> tuple[tuple[str, str], ...]:
    result = []
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or set(entry) != {"path", "pattern"}
            or not all(isinstance(v, str) for v in entry.values())
        ):
            raise RKError(
                "RK-CONFIG-VALUE",
                "each `version_files` entry is a table with a `path` and a `pattern` "
                "holding `{version}` once",
                path=path,
                line=key_line(path, "version_files"),
                fix='version_files = [{path = "src/pkg/__init__.py", pattern = \'__version__ = "{version}"\'}]',
            )
        if entry["pattern"].count("{version}") != 1:
            raise RKError(
                "RK-CONFIG-TEMPLATE",
                f"the `version_files` pattern {entry['pattern']!r} must hold `{{version}}` exactly once",
                path=path,
                line=key_line(path, "version_files"),
                fix="e.g. pattern = '__version__ = \"{version}\"'",
            )
        result.append((entry["path"], entry["pattern"]))
    return tuple(result)
