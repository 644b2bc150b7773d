"""Migration from the release tools users leave: their configuration → releasekit.toml.

``init`` calls :func:`find_sources`; each source converts into changes to a
:class:`Draft` (the configuration ``init`` is about to write) and a
:class:`Report` naming every key it mapped and every key it could not.

- the original releasekit's ``releasekit.toml`` (``[workspace.<label>]`` with
  ``ecosystem``/``tool``/``root``, ``[workspace.<label>.groups]``, ``exclude_*``
  with ``group:`` references, per-workspace policy);
- release-please's ``release-please-config.json`` and ``.release-please-manifest.json``;
- changesets' ``.changeset/config.json`` (pending ``.changeset/*.md`` files stay
  where they are: ``doit version`` reads them as a bump source);
- lerna's ``lerna.json`` (fixed mode: one version, ``v``-prefixed tags; independent
  mode: ``name@version`` tags), as trpc and many pnpm monorepos still have it;
- modman's ``modman.toml`` (aws/smithy-go, aws-sdk-go-v2): modules marked
  ``no_tag`` are never released.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit_tasks.ecosystems import BUILTIN, get_ecosystem
from releasekit_tasks.errors import RKError

ORIGINAL_CONFIG = "releasekit.toml"
RELEASE_PLEASE_CONFIG = "release-please-config.json"
RELEASE_PLEASE_MANIFEST = ".release-please-manifest.json"
CHANGESET_DIR = ".changeset"
MULTIMOD_CONFIG = "versions.yaml"  # go.opentelemetry.io/build-tools/multimod
LERNA_CONFIG = "lerna.json"
MODMAN_CONFIG = "modman.toml"  # github.com/awslabs/aws-go-multi-module-repository-tools


@dataclass
class Draft:
    """The configuration ``init`` writes: root keys and one table per ecosystem label."""

    root: dict[str, Any] = field(default_factory=dict)
    ecosystems: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (label or "", key) → why it has its value: written as a comment above the key.
    why: dict[tuple[str, str], str] = field(default_factory=dict)

    def set(self, label: str, key: str, value: Any, why: str = "") -> None:
        table = self.ecosystems[label] if label else self.root
        table[key] = value
        if why:
            self.why[(label, key)] = why

    def label_for(self, workspace_root: str, kind: str | None = None) -> str | None:
        """The label of the ecosystem at ``workspace_root`` (relative, posix)."""
        for label, table in self.ecosystems.items():
            if table.get("workspace_root") == workspace_root and kind in (None, table["kind"]):
                return label
        return None

    def label_holding(self, rel: str) -> str | None:
        """The label whose workspace root is the deepest folder holding ``rel``."""
        best: tuple[int, str] | None = None
        for label, table in self.ecosystems.items():
            ws = table.get("workspace_root", ".")
            if ws == "." or rel == ws or rel.startswith(ws.rstrip("/") + "/"):
                depth = 0 if ws == "." else ws.count("/") + 1
                if best is None or depth > best[0]:
                    best = (depth, label)
        return best[1] if best else None


@dataclass
class Report:
    source: str  # the file migrated
    mapped: list[tuple[str, str]] = field(default_factory=list)  # (original key, what it became)
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (original key, why)
    kept_as: str = ""  # where the previous file now is ("" = left in place)

    def render(self) -> str:
        lines = [f"migrated {self.source}" + (f" (kept as {self.kept_as})" if self.kept_as else "")]
        lines += [f"  mapped       {key} → {what}" for key, what in self.mapped]
        lines += [f"  unsupported  {key}: {why}" for key, why in self.unsupported]
        return "\n".join(lines)


def find_sources(root: Path) -> list[str]:
    """The migration sources present in ``root`` (relative names), in migration order."""
    found = []
    if (root / ORIGINAL_CONFIG).is_file() and is_original_releasekit(root / ORIGINAL_CONFIG):
        found.append(ORIGINAL_CONFIG)
    if (root / RELEASE_PLEASE_CONFIG).is_file():
        found.append(RELEASE_PLEASE_CONFIG)
    if (root / CHANGESET_DIR / "config.json").is_file():
        found.append(f"{CHANGESET_DIR}/config.json")
    multimod = root / MULTIMOD_CONFIG
    if multimod.is_file() and "module-sets:" in multimod.read_text(
        encoding="utf-8", errors="replace"
    ):
        found.append(MULTIMOD_CONFIG)
    if (root / LERNA_CONFIG).is_file():
        found.append(LERNA_CONFIG)
    if (root / MODMAN_CONFIG).is_file():
        found.append(MODMAN_CONFIG)
    return found


def migrate(root: Path, source: str, draft: Draft) -> Report:
    if source == ORIGINAL_CONFIG:
        return from_original_releasekit(root / source, draft)
    if source == RELEASE_PLEASE_CONFIG:
        return from_release_please(root, draft)
    if source == MULTIMOD_CONFIG:
        return from_multimod(root, draft)
    if source == LERNA_CONFIG:
        return from_lerna(root, draft)
    if source == MODMAN_CONFIG:
        return from_modman(root, draft)
    return from_changesets(root, draft)


# --- the original releasekit ---------------------------------------------------


def is_original_releasekit(path: Path) -> bool:
    """True for the original tool's format: a ``[workspace.<label>]`` table, no ``ecosystems``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return isinstance(data.get("workspace"), dict) and "ecosystems" not in data


# original ecosystem/tool → kind
_KINDS = {"python": "uv", "uv": "uv", "js": "pnpm", "pnpm": "pnpm", "go": "go"}
# keys carried over unchanged (same meaning)
_SAME_KEYS = (
    "tag_format",
    "secondary_tag_format",
    "umbrella_tag",
    "bootstrap_sha",
    "changelog",
    "synchronize",
    "major_on_zero",
    "exclude",
    "exclude_bump",
    "exclude_publish",
    "dist_tag",
)
_RENAMED_KEYS = {"root": "workspace_root", "propagate_bumps": "propagate"}
_UNSUPPORTED_WORKSPACE_KEYS = {
    "core_package": "releasekit-tasks finds the core from the dependency graph",
    "library_dirs": "the py.typed check is not built",
    "plugin_dirs": "plugin naming checks are not built",
    "namespace_dirs": "PEP 420 namespace checks are not built",
    "plugin_prefix": "plugin naming checks are not built",
    "smoke_test": "install smoke tests are not built; `verify` compares registry checksums",
    "sbom": "SBOM generation is not built",
    "sbom_formats": "SBOM generation is not built",
    "prerelease_mode": "prereleases always roll up into the final release (D-4)",
    "auto_merge": "Release PRs are not merged automatically",
    "max_commits": "history is read in full (first-parent) since each package's last tag",
    "publish_branch": "pnpm publishes from the checked-out commit",
    "provenance": "npm provenance is not built",
    "extra_files": "set `version_files` (path + pattern) in the package's own releasekit.toml",
}
_UNSUPPORTED_ROOT_KEYS = {
    "pr_title_template": "the Release PR title is `chore(release): …`",
    "default_branch": "the release branch is `release_branch`; the base is the checked-out branch",
    "http_pool_size": "registry clients size their pools themselves",
    "license": "license compatibility checks are not built",
    "forge": "used with repo_owner/repo_name for repo_url only",
}


def from_original_releasekit(path: Path, draft: Draft) -> Report:
    report = Report(path.name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RKError("RK-CONFIG-PARSE", f"invalid TOML: {exc}", path=path) from None
    owner, name = data.get("repo_owner"), data.get("repo_name")
    forge = data.get("forge", "github")
    if owner and name and forge in ("github", "gitlab"):
        url = f"https://{forge}.com/{owner}/{name}"
        draft.set("", "repo_url", url, f"from forge/repo_owner/repo_name in {path.name}")
        report.mapped.append(("forge, repo_owner, repo_name", f"repo_url = {url!r}"))
    for key in ("publish_from",):
        if key in data:
            draft.set("", key, data[key])
            report.mapped.append((key, key))
    for key, value in data.items():
        if key in ("workspace", "repo_owner", "repo_name", "publish_from"):
            continue
        if key == "forge" and owner and name:
            continue
        why = _UNSUPPORTED_ROOT_KEYS.get(key, "no equivalent")
        report.unsupported.append((key if not isinstance(value, dict) else f"[{key}]", why))
    for label, table in data.get("workspace", {}).items():
        _original_workspace(path, label, table, draft, report)
    return report


def _original_workspace(
    path: Path, label: str, table: dict[str, Any], draft: Draft, report: Report
) -> None:
    where = f"[workspace.{label}]"
    tool = table.get("tool") or table.get("ecosystem", "")
    kind = _KINDS.get(tool)
    if kind is None:
        report.unsupported.append((where, f"ecosystem/tool {tool!r} is not supported here"))
        return
    ws = str(table.get("root", ".")).strip("/") or "."
    existing = draft.label_for(ws, kind)
    if existing is not None and existing != label:
        draft.ecosystems[label] = draft.ecosystems.pop(existing)
        for lbl, key in list(draft.why):
            if lbl == existing:
                draft.why[(label, key)] = draft.why.pop((lbl, key))
    table_out = draft.ecosystems.setdefault(label, {})
    table_out["kind"] = kind
    table_out["workspace_root"] = ws
    report.mapped.append(
        (
            f"{where} ecosystem/tool/root",
            f"[ecosystems.{label}] kind = {kind!r}, workspace_root = {ws!r}",
        )
    )
    for key, value in table.items():
        if key in ("ecosystem", "tool", "root", "groups"):
            continue
        if key == "skip_checks":
            if value:
                report.unsupported.append(
                    (f"{where} skip_checks", f"{value!r}: name RK-CHECK-… codes instead")
                )
            continue
        new = _RENAMED_KEYS.get(key, key if key in _SAME_KEYS else None)
        if new is None:
            why = _UNSUPPORTED_WORKSPACE_KEYS.get(key, "no equivalent")
            report.unsupported.append((f"{where} {key}", why))
            continue
        if value in ("", []):
            continue  # the original's "unset"
        draft.set(label, new, value, f"from {where} {key} in {path.name}")
        report.mapped.append((f"{where} {key}", f"[ecosystems.{label}] {new}"))
    if "synchronize" not in table and "synchronize" in table_out:
        # A policy, not a fact: the original tool's default (independent) stands.
        del table_out["synchronize"]
        report.mapped.append((f"{where} (no synchronize)", "independent versions, as before"))
    groups = table.get("groups")
    if isinstance(groups, dict) and groups:
        draft.ecosystems[label]["groups"] = {g: list(v) for g, v in groups.items()}
        report.mapped.append(
            (f"{where.rstrip(']')}.groups]", f"[ecosystems.{label}.groups] ({len(groups)} groups)")
        )


def _kind_of(source: str) -> str | None:
    """The built-in kind whose packages another tool's configuration (``source``) releases."""
    return next((k for k in BUILTIN if source in get_ecosystem(k).migration_sources), None)


# --- release-please -----------------------------------------------------------

_RP_UNSUPPORTED = {
    "separate-pull-requests": "one Release PR per run (`group=` gives a branch per group)",
    "changelog-sections": "changelog sections are fixed (breaking, features, fixes …)",
    "changelog-type": "changelogs are written by releasekit-tasks",
    "changelog-path": "changelogs are CHANGELOG.md in each package",
    "pull-request-title-pattern": "the Release PR title is `chore(release): …`",
    "pull-request-header": "the Release PR body is the release notes",
    "draft": "forge releases are not drafted",
    "draft-pull-request": "Release PRs are not drafts",
    "prerelease": "pass prerelease=rc to `doit prepare`",
    "release-as": "pass bump= or force=1 to `doit prepare`",
    "versioning": "the versioning strategy is Conventional Commits",
    "bump-patch-for-minor-pre-major": "feat on 0.x bumps the minor",
    "exclude-paths": "a file belongs to the deepest package folder holding it",
    "extra-files": "set `version_files` in the package's own releasekit.toml",
    "label": "Release PR labels are not set",
    "release-label": "Release PR labels are not set",
    "last-release-sha": "the last release is found from the tags",
    "sequential-calls": "not needed",
    "always-link-local": "workspace links are the workspace's own",
}


def from_release_please(root: Path, draft: Draft) -> Report:
    path = root / RELEASE_PLEASE_CONFIG
    report = Report(path.name)
    config = _read_json(path)
    manifest_path = root / RELEASE_PLEASE_MANIFEST
    manifest = _read_json(manifest_path) if manifest_path.is_file() else {}
    if "bootstrap-sha" in config:
        draft.set("", "bootstrap_sha", config["bootstrap-sha"], f"bootstrap-sha in {path.name}")
        report.mapped.append(("bootstrap-sha", "bootstrap_sha"))
    v = "v" if config.get("include-v-in-tag", True) else ""
    separator = config.get("tag-separator", "-")
    with_component = config.get("include-component-in-tag", True)
    if "bump-minor-pre-major" in config:
        draft.set("", "major_on_zero", not config["bump-minor-pre-major"])
        report.mapped.append(("bump-minor-pre-major", "major_on_zero (negated)"))
    for key, value in config.items():
        if key in _RP_UNSUPPORTED and value not in (False, None, "", []):
            report.unsupported.append((key, _RP_UNSUPPORTED[key]))
    for plugin in config.get("plugins", []):
        name = plugin if isinstance(plugin, str) else plugin.get("type", "?")
        if name == "node-workspace":
            report.mapped.append(
                ("plugins: node-workspace", "dependents of a bumped member are bumped (default)")
            )
        elif name == "linked-versions" and isinstance(plugin, dict):
            report.unsupported.append(
                (
                    f"plugins: linked-versions {plugin.get('groupName', '')}",
                    "set synchronize = true on the ecosystem if it covers all of it",
                )
            )
        else:
            report.unsupported.append((f"plugins: {name}", "no equivalent"))
    listed: dict[str, set[str]] = {}
    for folder, entry in config.get("packages", {}).items():
        rel = folder.strip("/") or "."
        key = f"packages.{folder!r}"
        label = draft.label_holding(rel)
        release_type = entry.get("release-type", config.get("release-type", ""))
        kind = _kind_of(f"release-please:{release_type}")
        if label is None or kind is None or draft.ecosystems[label]["kind"] != kind:
            report.unsupported.append((key, "no uv/pnpm/Go workspace of that type holds it"))
            continue
        listed.setdefault(label, set()).add(rel)
        component = entry.get("component") or entry.get("package-name") or Path(rel).name
        short = component.rsplit("/", 1)[-1]
        if not get_ecosystem(kind).uses_tag_format:
            report.mapped.append((key, f"[ecosystems.{label}] (Go tags are path-prefixed)"))
            continue
        if with_component:
            placeholder = "{short}" if get_ecosystem(kind).scoped_names else "{name}"
            fmt = f"{placeholder}{separator}{v}{{version}}"
        else:
            fmt = f"{v}{{version}}"
        current = draft.ecosystems[label].get("tag_format")
        name = entry.get("package-name")
        if name is not None and component not in (name, short) and with_component:
            fmt_pkg = f"{component}{separator}{v}{{version}}"
            draft.ecosystems[label].setdefault("package_tag_formats", {})[rel] = fmt_pkg
            report.mapped.append(
                (f"{key} component", f"tag_format {fmt_pkg!r} in {rel}/releasekit.toml")
            )
        elif current is None or draft.why.get((label, "tag_format"), "").startswith("default"):
            draft.set(label, "tag_format", fmt, f"release-please tags ({path.name})")
            report.mapped.append((f"{key} tags", f"[ecosystems.{label}] tag_format = {fmt!r}"))
        elif current != fmt:
            report.unsupported.append((f"{key} tags", f"{fmt!r} differs from {current!r}"))
        else:
            report.mapped.append((f"{key} tags", f"[ecosystems.{label}] tag_format = {fmt!r}"))
        if rel in manifest:
            report.mapped.append(
                (
                    f"{RELEASE_PLEASE_MANIFEST} {rel}",
                    f"{manifest[rel]} (read from the package manifest)",
                )
            )
    for label, folders in listed.items():
        draft.ecosystems[label].setdefault("release_please_members", sorted(folders))
    return report


# --- changesets ---------------------------------------------------------------


def from_changesets(root: Path, draft: Draft) -> Report:
    path = root / CHANGESET_DIR / "config.json"
    report = Report(f"{CHANGESET_DIR}/config.json")
    config = _read_json(path)
    label = draft.label_for(".", "pnpm") or next(
        (lbl for lbl, t in draft.ecosystems.items() if t["kind"] == _kind_of("changesets")), None
    )
    if label is None:
        report.unsupported.append(("(all)", "no pnpm workspace found"))
        return report
    draft.set(label, "tag_format", "{name}@{version}", "changesets tags `{name}@{version}`")
    report.mapped.append(("(tags)", f"[ecosystems.{label}] tag_format = '{{name}}@{{version}}'"))
    for n, names in enumerate(config.get("fixed", []), start=1):
        group = f"fixed-{n}"
        draft.ecosystems[label].setdefault("groups", {})[group] = list(names)
        draft.ecosystems[label].setdefault("fixed_groups", []).append(group)
        report.mapped.append(
            (f"fixed[{n - 1}]", f"[ecosystems.{label}.groups] {group}, released as one unit")
        )
    for n, names in enumerate(config.get("linked", []), start=1):
        draft.ecosystems[label].setdefault("groups", {})[f"linked-{n}"] = list(names)
        report.unsupported.append(
            (f"linked[{n - 1}]", f"group linked-{n} defined; linked versions are not built")
        )
    if config.get("ignore"):
        draft.set(label, "exclude", list(config["ignore"]), "changesets `ignore`")
        report.mapped.append(("ignore", f"[ecosystems.{label}] exclude"))
    if "access" in config:
        draft.set(label, "access", config["access"])
        report.mapped.append(("access", f"[ecosystems.{label}] access"))
    if config.get("changelog") is False:
        draft.set(label, "changelog", False)
        report.mapped.append(("changelog", f"[ecosystems.{label}] changelog = false"))
    elif "changelog" in config:
        report.mapped.append(
            ("changelog", "CHANGELOG.md per package (releasekit-tasks' own format)")
        )
    if config.get("updateInternalDependencies", "patch") == "patch":
        report.mapped.append(
            ("updateInternalDependencies", "dependents get a patch bump (default)")
        )
    else:
        report.unsupported.append(
            ("updateInternalDependencies", "dependents always get a patch bump")
        )
    for key, why in (
        ("commit", "`doit prepare` commits on the release branch"),
        ("baseBranch", "the base is the checked-out branch"),
        ("privatePackages", "private packages are never versioned or tagged"),
        ("snapshot", "snapshot releases are not built"),
        ("___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH", "no equivalent"),
        ("bumpVersionsWithWorkspaceProtocolOnly", "only workspace: ranges are internal (default)"),
    ):
        if key in config:
            report.unsupported.append((key, why))
    pending = sorted(
        p.name for p in (root / CHANGESET_DIR).glob("*.md") if p.name.lower() != "readme.md"
    )
    if pending:
        report.mapped.append(
            (f"{len(pending)} pending changeset(s)", "read by `doit version` as a bump source")
        )
    return report


# --- multimod (opentelemetry-go's versions.yaml) ------------------------------------


def from_multimod(root: Path, draft: Draft) -> Report:
    """Module sets share one version: each becomes a release unit; excluded modules, exclude."""
    import yaml

    path = root / MULTIMOD_CONFIG
    report = Report(MULTIMOD_CONFIG)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RKError(
            "RK-MANIFEST-PARSE", f"invalid YAML: {exc}".replace("\n", " "), path=path
        ) from None
    kind = _kind_of("multimod")
    label = next((lbl for lbl, t in draft.ecosystems.items() if t["kind"] == kind), None)
    if label is None or not isinstance(data, dict):
        report.unsupported.append(("(all)", "no Go workspace found"))
        return report
    table = draft.ecosystems[label]
    for name, module_set in (data.get("module-sets") or {}).items():
        modules = list((module_set or {}).get("modules") or [])
        version = (module_set or {}).get("version", "?")
        if len(modules) > 1:
            table.setdefault("release_units", []).append(modules)
            draft.why[(label, "release_units")] = f"multimod module sets ({MULTIMOD_CONFIG})"
            report.mapped.append(
                (
                    f"module-sets.{name} ({len(modules)} modules, {version})",
                    f"[ecosystems.{label}] release_units: one version for the set",
                )
            )
        else:
            report.mapped.append((f"module-sets.{name}", "a single module: released on its own"))
    listed = [
        m for s in (data.get("module-sets") or {}).values() for m in (s or {}).get("modules") or []
    ]
    table["multimod_modules"] = sorted(set(listed))  # the others are not released (init)
    report.mapped.append(
        (
            "(modules in no module set)",
            f"[ecosystems.{label}] exclude: multimod releases only its sets",
        )
    )
    excluded = list(data.get("excluded-modules") or [])
    if excluded:
        table["exclude"] = sorted(set(table.get("exclude", [])) | set(excluded))
        draft.why[(label, "exclude")] = f"multimod excluded-modules ({MULTIMOD_CONFIG})"
        report.mapped.append(("excluded-modules", f"[ecosystems.{label}] exclude"))
    refs = [m for m, cfg in (data.get("modules") or {}).items() if (cfg or {}).get("version-refs")]
    if refs:
        report.unsupported.append(
            (
                f"modules.*.version-refs ({len(refs)} modules)",
                "set `version_files` (path + pattern) in the module's releasekit.toml",
            )
        )
    return report


# --- lerna ----------------------------------------------------------------------

_LERNA_UNSUPPORTED = {
    "ignoreChanges": "every change in a package's folder counts (use `exclude_bump` to hold one back)",
    "allowBranch": "run `doit prepare` from the branch you release",
    "message": "the release commit is `chore(release): …`",
    "createRelease": 'forge releases come from `forge = "github" | "gitlab"`',
}


def from_lerna(root: Path, draft: Draft) -> Report:
    """Fixed mode (a version in lerna.json) synchronizes the workspace under one
    ``v``-prefixed tag; ``"independent"`` tags each package ``name@version``."""
    report = Report(LERNA_CONFIG)
    config = _read_json(root / LERNA_CONFIG)
    kind = _kind_of("lerna")
    label = draft.label_for(".", kind) or next(
        (lbl for lbl, t in draft.ecosystems.items() if t["kind"] == kind), None
    )
    if label is None:
        report.unsupported.append(("(all)", "no pnpm workspace found"))
        return report
    command = config.get("command")
    commands: dict[str, Any] = command if isinstance(command, dict) else {}
    version_options = {**config, **(commands.get("version") or {})}
    publish_options = {**config, **(commands.get("publish") or {})}
    version = config.get("version")
    if version == "independent":
        draft.set(label, "tag_format", "{name}@{version}", "lerna independent mode tags")
        report.mapped.append(
            ("version: independent", f"[ecosystems.{label}] tag_format = '{{name}}@{{version}}'")
        )
    elif isinstance(version, str):
        prefix = str(version_options.get("tagVersionPrefix", "v"))
        umbrella = prefix.replace("{", "{{").replace("}", "}}") + "{version}"
        draft.set(label, "synchronize", True, f"lerna fixed mode ({version})")
        draft.set(label, "umbrella_tag", umbrella, "lerna fixed mode tags")
        report.mapped.append(
            (
                f"version: {version}",
                f"[ecosystems.{label}] synchronize = true, umbrella_tag = {umbrella!r}",
            )
        )
    registry = publish_options.get("registry")
    if isinstance(registry, str) and registry:
        draft.set(label, "registry", registry, "lerna publish registry")
        report.mapped.append(("registry", f"[ecosystems.{label}] registry"))
    if version_options.get("conventionalCommits"):
        report.mapped.append(
            ("conventionalCommits", "versions come from Conventional Commits (always)")
        )
    for key, why in _LERNA_UNSUPPORTED.items():
        if key in version_options or key in publish_options:
            report.unsupported.append((key, why))
    if "packages" in config:
        report.mapped.append(("packages", "members come from pnpm-workspace.yaml"))
    return report


# --- modman (aws-go-multi-module-repository-tools) -----------------------------------


def from_modman(root: Path, draft: Draft) -> Report:
    """``[modules."<dir>"] no_tag = true`` → the module at ``<dir>`` is excluded."""
    from releasekit_tasks.ecosystems.go.modfile import read_gomod

    path = root / MODMAN_CONFIG
    report = Report(MODMAN_CONFIG)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RKError("RK-MANIFEST-PARSE", f"invalid TOML: {exc}", path=path) from None
    kind = _kind_of("modman")
    label = next((lbl for lbl, t in draft.ecosystems.items() if t["kind"] == kind), None)
    if label is None:
        report.unsupported.append(("(all)", "no Go workspace found"))
        return report
    table = draft.ecosystems[label]
    listed = data.get("modules")
    modules: dict[str, Any] = listed if isinstance(listed, dict) else {}
    for folder, options in sorted(modules.items()):
        gomod = root / folder / "go.mod"
        if not (isinstance(options, dict) and options.get("no_tag")) or not gomod.is_file():
            continue
        module = read_gomod(gomod).module
        table["exclude"] = sorted({*table.get("exclude", []), module})
        draft.why[(label, "exclude")] = f"modman no_tag ({MODMAN_CONFIG})"
        report.mapped.append(
            (f'modules."{folder}".no_tag', f"[ecosystems.{label}] exclude {module}")
        )
    if data.get("dependencies"):
        report.unsupported.append(
            ("dependencies", "external requirement versions are kept as go.mod has them")
        )
    _modman_version_files(root, draft, label, report)
    return report


MODMAN_METADATA = "go_module_metadata.go"
MODMAN_PATTERN = 'const goModuleVersion = "{version}"'


def _modman_version_files(root: Path, draft: Draft, label: str, report: Report) -> None:
    """modman's generated ``go_module_metadata.go`` holds each module's version (without
    its v; the rewrite keeps that): a ``version_files`` entry in the module's own
    releasekit.toml. The repository root's file is the root config: not there."""
    workspace = root / draft.ecosystems[label].get("workspace_root", ".")
    found = sorted(workspace.rglob(MODMAN_METADATA))
    nested = []
    for path in found:
        folder = path.parent
        prefix = MODMAN_PATTERN.split("{version}")[0]
        if not (folder / "go.mod").is_file() or prefix not in path.read_text(
            encoding="utf-8", errors="replace"
        ):
            continue
        rel = folder.relative_to(root).as_posix()
        if rel == ".":
            report.unsupported.append(
                (
                    f"{MODMAN_METADATA} (root module)",
                    "the root's releasekit.toml is the root "
                    "config: its goModuleVersion is not rewritten",
                )
            )
            continue
        draft.ecosystems[label].setdefault("package_version_files", {})[rel] = [
            {"path": MODMAN_METADATA, "pattern": MODMAN_PATTERN}
        ]
        nested.append(rel)
    if nested:
        report.mapped.append(
            (
                f"{MODMAN_METADATA} ({len(nested)} modules)",
                "version_files in each module's releasekit.toml (goModuleVersion)",
            )
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RKError("RK-MANIFEST-PARSE", f"invalid JSON: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise RKError("RK-MANIFEST-FIELD", "must be a JSON object", path=path, line=1)
    return data
