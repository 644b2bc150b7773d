"""releasekit.toml: the root config and the per-package config.

Both are flat TOML read with ``tomllib``. Unknown keys are errors with a
did-you-mean suggestion; every value is type-checked. docs/configuration.md
documents each key listed in the schemas below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit_tasks.ecosystems import detect_kinds, get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.forges import TRIGGER_TOKEN_ENV, DispatchTarget
from releasekit_tasks.tomlfile import key_line, read_toml

CONFIG_NAME = "releasekit.toml"

# key -> (python type, allowed values or None). Keep docs/configuration.md in step.
ROOT_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "synchronize": (bool, None),
    "tag_format": (str, None),
    "secondary_tag_format": (str, None),
    "umbrella_tag": (str, None),
    "propagate": (bool, None),
    "skip_checks": (list, None),
    "publish_from": (str, ("local", "ci")),
    "major_on_zero": (bool, None),
    "bootstrap_sha": (str, None),
    "release_branch": (str, None),
    "versions_file": (str, None),
    "changelog": (bool, None),
    "repo_url": (str, None),
    "ecosystems": (dict, None),
    # the forge (see releasekit_tasks/forges)
    "forge": (str, ("github", "gitlab", "none")),
    "repo": (str, None),
    "forge_api_url": (str, None),
    "pr_title_template": (str, None),
    "stale_release_pr": (str, ("close", "leave")),
    "forge_releases": (bool, None),
    "release_draft": (bool, None),
    "dispatch": (list, None),
    "trusted_publishing": (str, ("automatic", "always", "never")),
}
ECOSYSTEM_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "kind": (str, None),
    "workspace_root": (str, None),
    "registry": (str, None),
    "upload_url": (str, None),
    "tag_format": (str, None),
    "secondary_tag_format": (str, None),
    "umbrella_tag": (str, None),
    "synchronize": (bool, None),
    "bootstrap_sha": (str, None),
    "major_on_zero": (bool, None),
    "changelog": (bool, None),
    "propagate": (bool, None),
    "groups": (dict, None),
    "exclude": (list, None),
    "exclude_bump": (list, None),
    "exclude_publish": (list, None),
    "skip_checks": (list, None),
    "release_units": (list, None),
    "token_env": (str, None),
    "pin": (str, ("exact", "compatible", "minimum")),
    "dist_tag": (str, None),
    "access": (str, ("public", "restricted")),
    "proxy_dir": (str, None),
    "sumdb": (str, None),
    "private": (str, None),
}
PACKAGE_KEYS: dict[str, tuple[type, tuple[str, ...] | None]] = {
    "group": (str, None),
    "publishable": (bool, None),
    "tag_format": (str, None),
    "registry": (str, None),
    "version_files": (list, None),
    "skip_checks": (list, None),
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
    sumdb: str | None = None  # Go: GOSUMDB's value for verify ("off", a known name, "key url")
    private: str | None = None  # Go: GOPRIVATE-style patterns kept out of the checksum database
    # Release policy; None: the root config's value.
    secondary_tag_format: str | None = None
    umbrella_tag: str | None = None
    synchronize: bool | None = None
    bootstrap_sha: str | None = None
    major_on_zero: bool | None = None
    changelog: bool | None = None
    propagate: bool | None = None
    # Selection by list: group name → names/globs; exclude* → names, globs, `group:<name>`.
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    exclude_bump: tuple[str, ...] = ()
    exclude_publish: tuple[str, ...] = ()
    skip_checks: tuple[str, ...] = ()
    # Lists of names/globs/`group:` released as one unit (one version), like a Go cycle.
    release_units: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Policy:
    """The release policy of one ecosystem: its own values, else the root's."""

    tag_format: str
    secondary_tag_format: str | None
    umbrella_tag: str
    synchronize: bool
    # "" = synchronized with every ecosystem that does not set its own; the label
    # when the ecosystem synchronizes on its own; None = independent versions.
    sync_domain: str | None
    bootstrap_sha: str | None
    major_on_zero: bool
    changelog: bool
    propagate: bool


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
    secondary_tag_format: str | None = None  # a second tag per release (an older convention)
    propagate: bool = True  # dependents of a bumped package get at least a patch
    skip_checks: tuple[str, ...] = ()  # RK-CHECK-… codes `doit check` does not report
    ecosystems: dict[str, EcosystemConfig] = field(default_factory=dict)
    forge: str = "none"  # github | gitlab | none: where the Release PR and releases live
    repo: str | None = None  # owner/name (GitHub) or project path / id (GitLab)
    forge_api_url: str | None = None  # else GITHUB_API_URL / CI_API_V4_URL, else the public one
    pr_title_template: str = "chore(release): {summary}"
    stale_release_pr: str = "close"  # nothing left to release: close the open Release PR
    forge_releases: bool = True  # a forge release per package tag (and the umbrella tag)
    release_draft: bool = False
    dispatch: tuple[DispatchTarget, ...] = ()  # repositories told after a publish
    trusted_publishing: str = "automatic"  # OIDC publishing where the CI offers an id token

    def policy(self, label: str) -> Policy:
        eco = self.ecosystems.get(label)

        def pick(name: str) -> Any:
            own = getattr(eco, name, None) if eco is not None else None
            return own if own is not None else getattr(self, name)

        own_sync = eco.synchronize if eco is not None else None
        if own_sync is True:
            domain: str | None = label
        elif own_sync is None and self.synchronize:
            domain = ""
        else:
            domain = None
        return Policy(
            tag_format=pick("tag_format"),
            secondary_tag_format=pick("secondary_tag_format"),
            umbrella_tag=(eco.umbrella_tag if eco and eco.umbrella_tag else self.umbrella_tag),
            synchronize=domain is not None,
            sync_domain=domain,
            bootstrap_sha=pick("bootstrap_sha"),
            major_on_zero=pick("major_on_zero"),
            changelog=pick("changelog"),
            propagate=pick("propagate"),
        )


@dataclass(frozen=True)
class PackageConfig:
    group: str | None = None
    publishable: bool | None = None
    tag_format: str | None = None
    registry: str | None = None
    # Extra files holding the version: (path relative to the package, pattern
    # with one {version} placeholder), e.g. ("src/acme/__init__.py", '__version__ = "{version}"').
    version_files: tuple[tuple[str, str], ...] = ()
    skip_checks: tuple[str, ...] = ()


def _validate(
    data: dict[str, Any],
    schema: dict[str, tuple[type, tuple[str, ...] | None]],
    path: Path,
    where: str,
) -> None:
    for key, value in data.items():
        if key not in schema:
            import difflib  # only for the error: not on every load

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
    if "dispatch" in data:
        data["dispatch"] = _dispatch_targets(data["dispatch"], data.get("forge", "none"), path)
    _templates(data, path, CONFIG_NAME)
    if "skip_checks" in data:
        data["skip_checks"] = _skip_checks(data["skip_checks"], path, CONFIG_NAME)
    ecosystems = {
        label: _ecosystem_config(root, path, label, table)
        for label, table in data.pop("ecosystems", {}).items()
    }
    return RootConfig(root=root, ecosystems=ecosystems, **data)


# A repository to dispatch to: GitHub owner/name; GitLab group(/subgroup)*/project or an id.
_REPOSITORY = {"github": r"[\w.-]+/[\w.-]+", "gitlab": r"[\w.-]+(/[\w.-]+)+|\d+"}
_DISPATCH_KEYS = ("repo", "ref", "token_env")


def _dispatch_targets(entries: list[Any], forge: str, path: Path) -> tuple[DispatchTarget, ...]:
    """``dispatch``: each entry a repository, or a table {repo, ref, token_env} (GitLab)."""
    return tuple(_dispatch_target(entry, forge, path) for entry in entries)


def _dispatch_target(entry: Any, forge: str, path: Path) -> DispatchTarget:
    line = key_line(path, "dispatch")
    table = entry if isinstance(entry, dict) else {"repo": entry}
    if unknown := sorted(set(table) - set(_DISPATCH_KEYS)):
        raise RKError(
            "RK-CONFIG-UNKNOWN-KEY",
            f"unknown key `{unknown[0]}` in a `dispatch` entry",
            path=path,
            line=line,
            fix=f"known keys: {', '.join(_DISPATCH_KEYS)}",
        )
    repo = table.get("repo")
    pattern = _REPOSITORY.get(forge, "|".join(_REPOSITORY.values()))
    if not isinstance(repo, str) or not re.fullmatch(pattern, repo):
        written = "owner/name" if forge == "github" else "group/project (or a project id)"
        raise RKError(
            "RK-CONFIG-VALUE",
            f"`dispatch` entries name repositories written {written}, not {repo!r}",
            path=path,
            line=line,
            fix='dispatch = ["acme/docs", "acme/deploy"]',
        )
    if forge == "github" and set(table) - {"repo"}:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"`ref` and `token_env` in `dispatch` are for GitLab pipeline triggers; "
            f"GitHub's repository_dispatch to {repo} takes neither",
            path=path,
            line=line,
            fix=f'write the entry as "{repo}"',
        )
    ref, token_env = table.get("ref", "main"), table.get("token_env", TRIGGER_TOKEN_ENV)
    if not isinstance(ref, str) or not ref.strip():
        raise RKError(
            "RK-CONFIG-VALUE",
            f"`ref` of the `dispatch` entry {repo} must be a branch or tag name, not {ref!r}",
            path=path,
            line=line,
        )
    if not isinstance(token_env, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        raise RKError(
            "RK-CONFIG-VALUE",
            # The value is not shown: it may be the token itself, written in by mistake.
            f"`token_env` of the `dispatch` entry {repo} must name an environment variable "
            "(letters, digits and _)",
            path=path,
            line=line,
            fix=f'token_env = "{TRIGGER_TOKEN_ENV}" (the variable holding the trigger token, '
            "never the token itself)",
        )
    return DispatchTarget(repo, ref, token_env)


def _templates(data: dict[str, Any], path: Path, where: str) -> None:
    """Every tag template in ``data`` is usable (RK-CONFIG-TAG-FORMAT otherwise)."""
    from releasekit_tasks import tagformat

    for key in ("tag_format", "secondary_tag_format", "umbrella_tag"):
        if key in data:
            allowed = (
                tagformat.UMBRELLA_FIELDS if key == "umbrella_tag" else tagformat.PACKAGE_FIELDS
            )
            tagformat.check_template(
                data[key],
                key=f"{key} in {where}",
                allowed=allowed,
                path=path,
                line=key_line(path, key),
            )


def _skip_checks(value: list[Any], path: Path, where: str) -> tuple[str, ...]:
    from releasekit_tasks.errors import CATALOGUE

    for code in value:
        if not isinstance(code, str) or code not in CATALOGUE:
            import difflib  # only for the error

            close = difflib.get_close_matches(str(code), CATALOGUE, n=1)
            raise RKError(
                "RK-CONFIG-VALUE",
                f"`skip_checks` in {where} names {code!r}, which is not an RK code",
                path=path,
                line=key_line(path, "skip_checks"),
                fix=f"use `{close[0]}`" if close else "list codes such as RK-CHECK-GO-PATH",
            )
    return tuple(value)


def _selection_lists(table: dict[str, Any], path: Path, where: str) -> dict[str, Any]:
    from releasekit_tasks import rules

    out: dict[str, Any] = {}
    groups = table.get("groups", {})
    out["groups"] = {
        name: rules.check_entries(
            f"groups.{name}",
            entries,
            (),
            where=where,
            path=path,
            line=key_line(path, name),
            allow_groups=False,
        )
        for name, entries in groups.items()
    }
    for key in rules.EXCLUDE_KEYS:
        if key in table:
            out[key] = rules.check_entries(
                key, table[key], groups, where=where, path=path, line=key_line(path, key)
            )
    if "release_units" in table:
        units = table["release_units"]
        if not isinstance(units, list) or not all(isinstance(u, list) for u in units):
            raise RKError(
                "RK-CONFIG-TYPE",
                f"`release_units` in {where} must be an array of arrays of names, globs or `group:<name>`",
                path=path,
                line=key_line(path, "release_units"),
            )
        out["release_units"] = tuple(
            rules.check_entries("release_units", u, groups, where=where, path=path) for u in units
        )
    return out


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
    ecosystem = get_ecosystem(kind, config_path=path)  # unknown kinds fail here, named
    _templates(table, path, where)
    proxy_dir = table.get("proxy_dir")
    policy = {
        key: table[key]
        for key in (
            "secondary_tag_format",
            "umbrella_tag",
            "synchronize",
            "bootstrap_sha",
            "major_on_zero",
            "changelog",
            "propagate",
        )
        if key in table
    }
    if "skip_checks" in table:
        policy["skip_checks"] = _skip_checks(table["skip_checks"], path, where)
    return EcosystemConfig(
        **policy,
        **_selection_lists(table, path, where),
        label=label,
        kind=kind,
        workspace_root=workspace_root,
        registry=table.get("registry", ecosystem.default_registry),
        upload_url=table.get("upload_url"),
        tag_format=table.get("tag_format"),
        token_env=table.get("token_env"),
        pin=table.get("pin", "exact"),
        dist_tag=table.get("dist_tag"),
        access=table.get("access"),
        proxy_dir=(root / proxy_dir).resolve() if proxy_dir else None,
        sumdb=table.get("sumdb"),
        private=table.get("private"),
    )


def _detect_kind(workspace_root: Path) -> str | None:
    kinds = detect_kinds(workspace_root)
    return kinds[0] if len(kinds) == 1 else None


def load_package_config(package_dir: Path, repo_root: Path) -> PackageConfig:
    """Read a package's own releasekit.toml; defaults when it has none.

    The repository root's releasekit.toml is the root config, never a package's.
    Both paths are resolved (discovery resolves workspace roots; load_root_config
    the repository root): no ``Path.resolve()`` per package.
    """
    path = package_dir / CONFIG_NAME
    if package_dir == repo_root or not path.is_file():
        return PackageConfig()
    data = read_toml(path)
    where = f"{path.parent.name}/{CONFIG_NAME}"
    _validate(data, PACKAGE_KEYS, path, where)
    _templates(data, path, where)
    if "skip_checks" in data:
        data["skip_checks"] = _skip_checks(data["skip_checks"], path, where)
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
                "RK-CONFIG-VALUE",
                f"the `version_files` pattern {entry['pattern']!r} must hold `{{version}}` exactly once",
                path=path,
                line=key_line(path, "version_files"),
                fix="e.g. pattern = '__version__ = \"{version}\"'",
            )
        result.append((entry["path"], entry["pattern"]))
    return tuple(result)
