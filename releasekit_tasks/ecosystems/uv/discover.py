"""uv workspaces: find the members, read their PEP 621 metadata, classify dependencies.

Membership follows uv's own rules (``uv-workspace``'s ``collect_members``): the
workspace root is a member when it has a ``[project]`` table; each ``members``
glob is expanded relative to the root (``*`` stays within one folder); a match
is dropped when an ``exclude`` glob matches it (there ``*`` also crosses ``/``,
as in uv); files, hidden folders and folders holding only gitignored files are
skipped; any other matched folder without pyproject.toml is an error, as in uv;
members with ``[tool.uv] managed = false`` are left out.

A dependency is internal only when it names a member AND that name is
workspace-sourced: ``{workspace = true}`` in ``[tool.uv.sources]`` of the member,
or else of the workspace root (a member's entry replaces the root's, per name).
A member pinned to a registry version is external (spec §3). uv itself refuses to
lock such a workspace, but discovery reports it instead of failing, so the plan
can still show the state.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import subprocess
import tomllib
from collections import ChainMap
from collections.abc import Container, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from releasekit_tasks import vcs
from releasekit_tasks.ecosystems.uv import file_version, vcs_version
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package
from releasekit_tasks.tomlfile import key_line, line_from_message

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig

MANIFEST = "pyproject.toml"
# PyPI rejects every upload carrying a classifier with this prefix.
PRIVATE_CLASSIFIER_PREFIX = "Private ::"


def detect(folder: Path) -> bool:
    """True for a folder whose pyproject.toml has [tool.uv.workspace].

    A malformed pyproject.toml raises RK-MANIFEST-PARSE instead of hiding the workspace.
    """
    path = folder / MANIFEST
    return path.is_file() and _workspace_table(read_pyproject(path), path) is not None


def discover(eco: EcosystemConfig, root: RootConfig) -> list[Package]:
    return discover_workspace(eco.workspace_root, eco.label, root.versions_file)


def discover_workspace(
    workspace_root: Path, label: str, versions_file: str = ".releasekit-versions.json"
) -> list[Package]:
    """Every member of the uv workspace at ``workspace_root``, sorted by name.

    A member whose build backend derives its version from git tags (see
    :mod:`.vcs_version`) gets the version of its highest matching tag reachable
    from HEAD, or the committed versions file's when that is higher (a bump
    not yet tagged)."""
    root_manifest = workspace_root / MANIFEST
    if not root_manifest.is_file():
        raise RKError(
            "RK-WORKSPACE-MISSING",
            f"no {MANIFEST} in {workspace_root}",
            path=root_manifest,
        )
    root_doc = read_pyproject(root_manifest)
    workspace = _workspace_table(root_doc, root_manifest)
    if workspace is None:
        raise RKError(
            "RK-WORKSPACE-MISSING",
            f"{root_manifest} has no [tool.uv.workspace] table",
            path=root_manifest,
            fix="add [tool.uv.workspace] with `members = [...]`, or point `workspace_root` at the uv workspace",
        )
    root_sources = _sources(root_doc, root_manifest)

    docs: dict[Path, dict[str, Any]] = {}
    if "project" in root_doc:
        docs[workspace_root] = root_doc
    for folder in member_dirs(workspace_root, workspace, root_manifest):
        docs[folder] = read_pyproject(folder / MANIFEST)

    members: list[tuple[Package, dict[str, Any]]] = []
    by_name: dict[str, Package] = {}
    tagged = TagVersions(workspace_root, versions_file)
    for folder, doc in docs.items():
        if _uv_table(doc, folder / MANIFEST).get("managed") is False:
            continue
        package = _package(label, folder, doc, tagged)
        if folder == workspace_root and package.publishable and _virtual(doc, folder / MANIFEST):
            # genkit's py/pyproject.toml: a workspace root without [build-system] is
            # "virtual" to uv (tool.uv.package defaults to false): tooling, not a release.
            package.publishable = False
            package.reason = "workspace root without [build-system]: uv does not build it"
        if package.name in by_name:
            first = by_name[package.name]
            raise RKError(
                "RK-PACKAGE-DUPLICATE",
                f"`{package.name}` is the name of both {first.manifest} and {package.manifest}",
                path=package.manifest,
                line=key_line(package.manifest, "name"),
            )
        by_name[package.name] = package
        members.append((package, doc))

    names = by_name.keys()
    _check_sources(root_doc, root_manifest, names)
    for package, doc in members:
        _check_sources(doc, package.manifest, names)
        # A member's own [tool.uv.sources] entry replaces the root's for that name.
        sources = ChainMap(_sources(doc, package.manifest), root_sources)
        package.dependencies = _dependencies(doc, package.manifest, names, sources)
    return sorted(by_name.values(), key=lambda p: p.name)


def member_dirs(workspace_root: Path, workspace: dict[str, Any], manifest: Path) -> list[Path]:
    """The folders matched by ``members`` minus ``exclude``, glob by glob, each glob's
    matches sorted. The root is never among them: it is a member only by its [project]."""
    globs = _string_list(workspace.get("members", []), manifest, "tool.uv.workspace.members")
    excludes = [
        os.path.normpath(pattern)
        for pattern in _string_list(
            workspace.get("exclude", []), manifest, "tool.uv.workspace.exclude"
        )
    ]
    found: list[Path] = []
    seen: set[Path] = {workspace_root}
    for pattern in globs:
        for match in _glob(workspace_root, pattern, manifest):
            if match in seen:
                continue
            seen.add(match)
            relative = os.path.relpath(match, workspace_root)
            if any(fnmatch.fnmatchcase(relative, exclude) for exclude in excludes):
                continue
            if (match / MANIFEST).is_file():
                found.append(match)
            elif match.is_dir() and not match.name.startswith(".") and not _only_ignored(match):
                raise RKError(
                    "RK-MANIFEST-MISSING",
                    f"workspace member {match} (matched by `{pattern}`) has no {MANIFEST}",
                    path=manifest,
                    line=_line_containing(manifest, pattern),
                )
    return found


def _glob(workspace_root: Path, pattern: str, manifest: Path) -> list[Path]:
    normalized = os.path.normpath(pattern)
    if normalized == ".":
        return [workspace_root]
    try:
        return sorted(workspace_root.glob(normalized))
    except (ValueError, NotImplementedError) as exc:
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"workspace member glob `{pattern}` cannot be used: {exc}",
            path=manifest,
            line=_line_containing(manifest, pattern),
            fix="write member globs relative to the workspace root",
        ) from None


def _only_ignored(folder: Path) -> bool:
    """True for a folder with no files, or only gitignored ones (a left-over __pycache__).

    uv skips such folders instead of failing; this runs only on the rare error path.
    """
    if not any(p.is_file() for p in folder.rglob("*")):
        return True
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."],
            cwd=folder,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False  # not a git checkout (or no git): the folder's files count
    return listed == b""


def _package(label: str, folder: Path, doc: dict[str, Any], tagged: TagVersions) -> Package:
    manifest = folder / MANIFEST
    project = doc.get("project")
    if not isinstance(project, dict):
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"workspace member {folder} has no [project] table",
            path=manifest,
            fix="add a [project] table with name and version, or exclude the folder",
        )
    raw_name = project.get("name")
    if not isinstance(raw_name, str):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "[project] has no `name` string",
            path=manifest,
            line=_line_containing(manifest, "[project]"),
        )
    if not _NAME.fullmatch(raw_name):
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"[project] name `{raw_name}` is not a valid Python package name",
            path=manifest,
            line=key_line(manifest, "name"),
            fix="use letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit",
        )
    name = canonicalize_name(raw_name)
    in_file = _file_version(project, manifest, doc)
    version: str | None
    if in_file is not None:
        version, version_source, vcs_source = in_file.version, in_file.describe(folder), ""
    else:
        version, version_source, vcs_source = _version(project, manifest, doc, tagged)
    classifiers = _string_list(project.get("classifiers", []), manifest, "project.classifiers")
    private = next((c for c in classifiers if c.startswith(PRIVATE_CLASSIFIER_PREFIX)), None)
    return Package(
        ecosystem="uv",
        label=label,
        name=name,
        version=version,
        path=folder,
        manifest=manifest,
        publishable=private is None,
        reason=f"classifier {private}" if private else "",
        metadata=_metadata(project),
        version_source=version_source,
        vcs_version=vcs_source,
        version_file=(in_file.relative(folder), in_file.pattern) if in_file else None,
    )


def _file_version(
    project: dict[str, Any], manifest: Path, doc: dict[str, Any]
) -> file_version.FileVersion | None:
    """The file a dynamic version is read from (hatch's `path` …), or None. It comes
    before git tags: setuptools-scm yields to `[tool.setuptools.dynamic] version`."""
    dynamic = project.get("dynamic", [])
    if not (isinstance(dynamic, list) and "version" in dynamic):
        return None
    return file_version.detect(doc, manifest)


def _virtual(doc: dict[str, Any], manifest: Path) -> bool:
    package = _uv_table(doc, manifest).get("package")
    return package is False or (package is None and "build-system" not in doc)


def _version(
    project: dict[str, Any], manifest: Path, doc: dict[str, Any], tagged: TagVersions
) -> tuple[str | None, str, str]:
    """(version, where it came from, the git-tag version source or "")."""
    dynamic = project.get("dynamic", [])
    if isinstance(dynamic, list) and "version" in dynamic:
        found = vcs_version.detect(doc, manifest)
        if found is None:
            return None, f"dynamic: set by {vcs_version.unknown_reason(doc)}", ""
        version, source = tagged.of(manifest.parent, found)
        return version, source, found.source
    version = project.get("version")
    if not isinstance(version, str):
        raise RKError(
            "RK-MANIFEST-FIELD",
            "[project] has no static `version` string (and `version` is not in `dynamic`)",
            path=manifest,
            line=_line_containing(manifest, "[project]"),
        )
    try:
        Version(version)
    except InvalidVersion:
        raise RKError(
            "RK-VERSION-INVALID",
            f"[project] version `{version}` is not a PEP 440 version",
            path=manifest,
            line=key_line(manifest, "version"),
        ) from None
    return version, MANIFEST, ""


class TagVersions:
    """Versions from the repository's tags (one git call) and the versions file."""

    def __init__(self, start: Path, versions_file: str) -> None:
        self.top = vcs.repo_toplevel(start)
        self.file = (self.top or start) / versions_file
        self._tags: list[str] | None = None
        self._pinned: dict[str, str] | None = None

    def tags(self) -> list[str]:
        """The tags reachable from HEAD: what a backend's `git describe` can find."""
        if self._tags is None:
            self._tags = []
            if self.top is not None:
                out = vcs.git(self.top, "tag", "--merged", "HEAD", check=False)
                self._tags = out.split()
        return self._tags

    def of(self, folder: Path, found: vcs_version.VcsVersion) -> tuple[str | None, str]:
        best: tuple[Version, str] | None = None
        for tag in self.tags():
            text = found.version_of(tag)
            if text is not None and (best is None or Version(text) > best[0]):
                best = (Version(text), tag)
        pinned = self._pinned_version(folder)
        if pinned is not None and (best is None or pinned > best[0]):
            return str(pinned), f"versions file ({found.source}; the tag is not made yet)"
        if best is None:
            return None, f"no tag yet ({found.describe()})"
        return str(best[0]), f"tag {best[1]} ({found.source})"

    def _pinned_version(self, folder: Path) -> Version | None:
        if self._pinned is None:
            from releasekit_tasks.prepare.versions_file import read_versions

            self._pinned = read_versions(self.file)
        key = Path(os.path.relpath(folder, self.top or folder)).as_posix()
        text = self._pinned.get(key)
        if text is None:
            return None
        try:
            return Version(text)
        except InvalidVersion:
            raise RKError(
                "RK-VERSION-INVALID",
                f"version {text!r} of {key} is not a PEP 440 version",
                path=self.file,
                line=_line_containing(self.file, f'"{key}"'),
                fix='write the version as MAJOR.MINOR.PATCH, e.g. "1.0.11"',
            ) from None


def _metadata(project: dict[str, Any]) -> dict[str, str]:
    """The registry-facing fields that are present; a table gives its file or text."""
    metadata: dict[str, str] = {}
    for key in ("description", "license", "readme"):
        value = project.get(key)
        if isinstance(value, str):
            metadata[key] = value
        elif isinstance(value, dict):
            metadata[key] = str(value.get("file") or value.get("text") or "")
    return metadata


def _dependencies(
    doc: dict[str, Any], manifest: Path, members: Container[str], sources: Mapping[str, bool]
) -> list[Dependency]:
    project = doc["project"]
    declared: list[tuple[str, str]] = [
        ("runtime", r)
        for r in _string_list(project.get("dependencies", []), manifest, "project.dependencies")
    ]
    extras = _table(project.get("optional-dependencies", {}), manifest, "optional-dependencies")
    for extra, requirements in extras.items():
        where = f"project.optional-dependencies.{extra}"
        declared += [(f"optional:{extra}", r) for r in _string_list(requirements, manifest, where)]
    groups = _table(doc.get("dependency-groups", {}), manifest, "dependency-groups")
    for group, entries in groups.items():
        declared += [(f"group:{group}", r) for r in _group_entries(entries, manifest, group)]
    declared += hook_requirements(doc, manifest)
    # uv's legacy [tool.uv] dev-dependencies belong to its "dev" group.
    legacy_dev = _uv_table(doc, manifest).get("dev-dependencies", [])
    where = "tool.uv.dev-dependencies"
    declared += [("group:dev", r) for r in _string_list(legacy_dev, manifest, where)]

    dependencies: list[Dependency] = []
    for kind, text in declared:
        try:
            name, spec = _parse_requirement(_HOOK_VERSION.sub(_HOOK_SENTINEL, text))
            spec = spec.replace(_HOOK_SENTINEL, HOOK_VERSION)
        except ValueError as exc:  # packaging's InvalidRequirement
            raise RKError(
                "RK-MANIFEST-PARSE",
                f"invalid requirement `{text}` ({kind}): {exc}",
                path=manifest,
                line=_line_containing(manifest, text),
            ) from None
        internal = name in members and sources.get(name, False)
        dependencies.append(Dependency(name=name, spec=spec, kind=kind, internal=internal))
    return dependencies


# uv-dynamic-versioning's metadata hook renders `{{ version }}` (Jinja) in the
# requirements it adds: pydantic-ai's members require each other at `=={{ version }}`.
HOOK_TABLE = "uv-dynamic-versioning"
HOOK_VERSION = "{{ version }}"
_HOOK_VERSION = re.compile(r"\{\{\s*version\s*\}\}")
_HOOK_SENTINEL = "999999.0.0"  # a version no requirement names, swapped back after parsing


def hook_requirements(doc: dict[str, Any], manifest: Path) -> list[tuple[str, str]]:
    """(kind, requirement) from ``[tool.hatch.metadata.hooks.uv-dynamic-versioning]``, which
    fills ``dependencies`` / ``optional-dependencies`` when [project] lists them in ``dynamic``."""
    project = doc.get("project", {})
    dynamic = project.get("dynamic", []) if isinstance(project, dict) else []
    hook = vcs_version.dig(doc, "tool", "hatch", "metadata", "hooks", HOOK_TABLE)
    if hook is None or not isinstance(dynamic, list):
        return []
    where = f"tool.hatch.metadata.hooks.{HOOK_TABLE}"
    declared: list[tuple[str, str]] = []
    if "dependencies" in dynamic:
        requirements = hook.get("dependencies", [])
        declared += [
            ("runtime", r) for r in _string_list(requirements, manifest, where + ".dependencies")
        ]
    if "optional-dependencies" in dynamic:
        extras = _table(
            hook.get("optional-dependencies", {}), manifest, where + ".optional-dependencies"
        )
        for extra, requirements in extras.items():
            listed = _string_list(requirements, manifest, f"{where}.optional-dependencies.{extra}")
            declared += [(f"optional:{extra}", r) for r in listed]
    return declared


def hook_pinned(doc: dict[str, Any], manifest: Path) -> set[str]:
    """Names the metadata hook requires at exactly the member's own version (`=={{ version }}`)."""
    pinned = set()
    for _, text in hook_requirements(doc, manifest):
        if _HOOK_VERSION.search(text):
            name, spec = _parse_requirement(_HOOK_VERSION.sub(_HOOK_SENTINEL, text))
            if spec == f"=={_HOOK_SENTINEL}":
                pinned.add(name)
    return pinned


def _group_entries(entries: Any, manifest: Path, group: str) -> list[str]:
    """A PEP 735 group's requirement strings; ``{include-group = …}`` tables are not deps."""
    if not isinstance(entries, list):
        raise _field_error(manifest, f"dependency-groups.{group}", "a list")
    requirements: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            requirements.append(entry)
        elif not (isinstance(entry, dict) and set(entry) == {"include-group"}):
            raise _field_error(
                manifest, f"dependency-groups.{group}", "requirement strings or {include-group = …}"
            )
    return requirements


# PEP 508 names and PEP 503 normalization, as packaging.utils has them: importing that
# (and the platform tags it brings) would cost more than reading a hundred manifests.
_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]+")
# The usual requirement: a name, maybe one bound on a release version (`acme-core>=0.3`).
_SIMPLE_REQUIREMENT = re.compile(
    r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:(==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)*))?\s*"
)


def canonicalize_name(name: str) -> str:
    return _SEPARATORS.sub("-", name).lower()


@functools.cache
def _parse_requirement(text: str) -> tuple[str, str]:
    """(normalized name, constraint) of a PEP 508 string; cached because members repeat them.

    The usual shapes are read with one regex; anything else (extras, markers, several
    bounds, URLs) by packaging, which raises InvalidRequirement (a ValueError)."""
    simple = _SIMPLE_REQUIREMENT.fullmatch(text)
    if simple:
        name, operator, version = simple.groups()
        return canonicalize_name(name), f"{operator}{version}" if operator else ""
    from packaging.requirements import Requirement

    requirement = Requirement(text)
    spec = f"@ {requirement.url}" if requirement.url else str(requirement.specifier)
    return canonicalize_name(requirement.name), spec


def _sources(doc: dict[str, Any], manifest: Path) -> dict[str, bool]:
    """Normalized name -> whether ``[tool.uv.sources]`` makes it workspace-sourced."""
    sources = _table(_uv_table(doc, manifest).get("sources", {}), manifest, "tool.uv.sources")
    return {canonicalize_name(name): _is_workspace(value) for name, value in sources.items()}


# The keys uv reads in a [tool.uv.sources] entry (uv's own schema).
_SOURCE_KINDS = ("workspace", "path", "git", "url", "index")


def _check_sources(doc: dict[str, Any], manifest: Path, members: Container[str]) -> None:
    """What ``uv lock`` would refuse in ``[tool.uv.sources]``, with the file and line.

    An entry is a table (or a list of marker-guarded tables) naming one source
    kind; ``workspace`` is a boolean naming a member; ``path`` names a folder or
    file that exists. A malformed entry would otherwise drop the edge silently.
    """
    sources = _table(_uv_table(doc, manifest).get("sources", {}), manifest, "tool.uv.sources")
    for name, source in sources.items():
        for option in source if isinstance(source, list) else [source]:
            kinds = [k for k in _SOURCE_KINDS if isinstance(option, dict) and k in option]
            if not isinstance(option, dict) or len(kinds) != 1:
                raise RKError(
                    "RK-MANIFEST-FIELD",
                    f"[tool.uv.sources] `{name}` must be a table with one of "
                    f"{', '.join(_SOURCE_KINDS)} (found {option!r})",
                    path=manifest,
                    line=key_line(manifest, name),
                    fix=f"write `{name} = {{ workspace = true }}` for a workspace member",
                )
            workspace = option.get("workspace")
            if "workspace" in option and not isinstance(workspace, bool):
                raise RKError(
                    "RK-MANIFEST-FIELD",
                    f"[tool.uv.sources] `{name}`: `workspace` must be true or false, "
                    f"not {workspace!r}",
                    path=manifest,
                    line=key_line(manifest, name),
                )
            if workspace is True and canonicalize_name(name) not in members:
                raise RKError(
                    "RK-WORKSPACE-UNRESOLVED",
                    f"[tool.uv.sources] `{name}` is workspace-sourced, but no workspace "
                    "member has that name",
                    path=manifest,
                    line=key_line(manifest, name),
                    fix="correct the name, or add the package to [tool.uv.workspace] members",
                )
            target = option.get("path")
            if isinstance(target, str) and not (manifest.parent / target).exists():
                raise RKError(
                    "RK-WORKSPACE-UNRESOLVED",
                    f"[tool.uv.sources] `{name}` points at {target!r}, which does not exist",
                    path=manifest,
                    line=key_line(manifest, name),
                    fix="correct the path (relative to this pyproject.toml)",
                )


def _is_workspace(source: Any) -> bool:
    # A source is one table or a list of marker-guarded tables.
    options = source if isinstance(source, list) else [source]
    return any(isinstance(o, dict) and o.get("workspace") is True for o in options)


def _workspace_table(doc: dict[str, Any], manifest: Path) -> dict[str, Any] | None:
    workspace = _uv_table(doc, manifest).get("workspace")
    return workspace if isinstance(workspace, dict) else None


def _uv_table(doc: dict[str, Any], manifest: Path) -> dict[str, Any]:
    tool = doc.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else None
    if not isinstance(uv, dict):
        raise _field_error(manifest, "tool.uv", "a table")
    return uv


def _table(value: Any, manifest: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _field_error(manifest, where, "a table")
    return value


def _string_list(value: Any, manifest: Path, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _field_error(manifest, where, "a list of strings")
    return value


_field_error = vcs_version.field_error


def read_pyproject(path: Path) -> dict[str, Any]:
    """Parse a pyproject.toml; syntax errors become RK-MANIFEST-PARSE with the line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RKError("RK-MANIFEST-PARSE", f"not UTF-8: {exc}", path=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = line_from_message(str(exc))
        if line is None and "end of document" in str(exc):
            line = text.count("\n") + (not text.endswith("\n"))  # the last line
        raise RKError("RK-MANIFEST-PARSE", f"invalid TOML: {exc}", path=path, line=line) from None
    except RecursionError:
        raise RKError(
            "RK-MANIFEST-PARSE", "invalid TOML: arrays or tables nested too deeply", path=path
        ) from None


def _line_containing(path: Path, text: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, start=1) if text in line), None)
