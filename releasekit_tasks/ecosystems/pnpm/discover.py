"""pnpm workspaces: find the members, read their package.json, classify dependencies.

Membership follows pnpm's own rules (``@pnpm/workspace.find-packages``): each
``packages:`` glob of pnpm-workspace.yaml gets ``/package.json`` appended and
is matched against the tree; ``!`` globs exclude wherever they appear;
``node_modules`` and ``bower_components`` are never searched; folders without
package.json are not members. Unlike pnpm, the workspace root is a member only
when a glob matches it (pnpm always adds it, but it is almost always a private
tooling package, not a release unit).

A dependency is internal only when its range uses the ``workspace:`` protocol:
with pnpm's default ``link-workspace-packages=false`` a plain range on a member's
name is fetched from the registry, so it is external.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit_tasks import semver
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package
from releasekit_tasks.textfile import load_json, read_utf8

if TYPE_CHECKING:
    from releasekit_tasks.config import EcosystemConfig, RootConfig

WORKSPACE_FILE = "pnpm-workspace.yaml"
MANIFEST = "package.json"
DEPENDENCY_KINDS = (
    ("dependencies", "runtime"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
)
# pnpm's findWorkspacePackages ignores these at any depth.
IGNORED_DIRS = frozenset({"node_modules", "bower_components"})

# pnpm's WorkspaceSpec: `workspace:[<alias>@]<version>`; an alias may be scoped.
WORKSPACE_SPEC = re.compile(r"workspace:(?:(?P<alias>[^._/][^@]*)@)?(?P<version>.*)", re.DOTALL)
_GLOB_CHARS = frozenset("*?[{")


def detect(folder: Path) -> bool:
    return (folder / WORKSPACE_FILE).is_file()


def discover(eco: EcosystemConfig, root: RootConfig) -> list[Package]:
    """The members of the pnpm workspace at ``eco.workspace_root``, sorted by folder."""
    workspace_root = eco.workspace_root
    config_path = workspace_root / WORKSPACE_FILE
    if not config_path.is_file():
        raise RKError(
            "RK-WORKSPACE-MISSING",
            f"[ecosystems.{eco.label}]: no {WORKSPACE_FILE} in {workspace_root}",
            path=config_path,
        )
    config = _load_yaml(config_path)
    if (workspace_root / MANIFEST).is_file():
        _load_json(workspace_root / MANIFEST)  # pnpm refuses an invalid root package.json
    patterns = _string_list(config.get("packages", ["."]), config_path, "packages")
    catalogs = _catalogs(config, config_path)

    members: list[tuple[Package, dict[str, Any]]] = []
    by_name: dict[str, Package] = {}
    for rel, readme in member_dirs(workspace_root, patterns, config_path):
        read = _read_member(eco.label, workspace_root / rel, rel, readme)
        if read is None:
            continue  # an unnamed workspace root: pnpm's tooling package, never a release unit
        package, data = read
        other = by_name.get(package.name)
        if other is not None:
            if package.publishable and other.publishable:
                raise RKError(
                    "RK-PACKAGE-DUPLICATE",
                    f"two publishable members are named `{package.name}`: "
                    f"{other.manifest} and {package.manifest}",
                    path=package.manifest,
                    line=_json_key_line(package.manifest, "name"),
                    fix="rename one of them, or make one private",
                )
            # pnpm accepts duplicate names; only the registry cannot. The
            # unpublishable one is known by its folder.
            if package.publishable:
                _rename_by_folder(other, workspace_root, f"its name is also {package.id}")
                by_name[package.name] = package
                by_name[other.name] = other
            else:
                _rename_by_folder(package, workspace_root, f"its name is also {other.manifest}")
                by_name.setdefault(package.name, package)
        else:
            by_name[package.name] = package
        members.append((package, data))

    by_dir = {os.path.normpath(p.path): p.name for p in by_name.values()}
    for package, data in members:
        package.dependencies = _dependencies(package, data, by_name, by_dir, catalogs, config_path)
    return [package for package, _ in members]


# --- membership ------------------------------------------------------------


def member_dirs(root: Path, patterns: list[str], config_path: Path) -> list[tuple[str, str]]:
    """Member folders (relative, posix, ``""`` for the root) with their README name, sorted.

    A folder is a member when ``<folder>/package.json`` exists, matches a
    positive glob and no ``!`` glob (globs are compared against the manifest
    path, as pnpm does).
    """
    positive = [p for p in patterns if not p.startswith("!")]
    negative = [p[1:] for p in patterns if p.startswith("!")]
    for pattern in patterns:
        if ".." in pattern.split("/"):
            raise RKError(
                "RK-MANIFEST-FIELD",
                f"`packages` glob {pattern!r} reaches outside the workspace root",
                path=config_path,
                line=_yaml_item_line(config_path, pattern),
                fix="list only folders inside the workspace root",
            )
    include = _compile(positive)
    exclude = _compile(negative)
    root_str = str(root)
    found: dict[str, str] = {}
    for pattern in (q for p in positive for q in _expand_braces(p)):
        prefix, depth, dots = _walk_plan(pattern)
        for rel in _walk(root_str, prefix, depth, dots):
            if rel in found:
                continue
            manifest_rel = f"{rel}/{MANIFEST}" if rel else MANIFEST
            if not include.fullmatch(manifest_rel) or exclude.fullmatch(manifest_rel):
                continue
            try:
                names = os.listdir(os.path.join(root_str, rel))
            except OSError:
                continue
            if MANIFEST in names:
                found[rel] = _readme(names)
    return sorted(found.items())


def _walk_plan(pattern: str) -> tuple[str, int | None, bool]:
    """Where to start walking for one glob, how deep to go, whether to enter dot folders."""
    segments = [s for s in _strip_dot(pattern).split("/") if s]
    literal: list[str] = []
    for segment in segments:
        if _GLOB_CHARS & set(segment):
            break
        literal.append(segment)
    rest = segments[len(literal) :]
    depth = None if "**" in rest else len(rest)
    dots = any(s.startswith(".") for s in rest)
    return "/".join(literal), depth, dots


def _walk(root: str, prefix: str, max_depth: int | None, dots: bool) -> Iterator[str]:
    """Folders under ``prefix`` (relative paths), pruned like pnpm's glob (no symlinks)."""
    if any(part in IGNORED_DIRS for part in prefix.split("/")):
        return
    if not os.path.isdir(os.path.join(root, prefix)):
        return
    stack = [(prefix, 0)]
    while stack:
        rel, depth = stack.pop()
        yield rel
        if max_depth is not None and depth >= max_depth:
            continue
        try:
            entries = os.scandir(os.path.join(root, rel))
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = entry.name
                if name in IGNORED_DIRS or (name.startswith(".") and not dots):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{rel}/{name}" if rel else name, depth + 1))


def _compile(patterns: list[str]) -> re.Pattern[str]:
    """One regex matching ``<folder>/package.json`` for any of the globs (never matches if none)."""
    alternatives = [
        _glob_regex(f"{_strip_dot(q).rstrip('/')}/{MANIFEST}".lstrip("/"))
        for p in patterns
        for q in _expand_braces(p)
    ]
    return re.compile("|".join(f"(?:{a})" for a in alternatives) or r"(?!)")


def _strip_dot(pattern: str) -> str:
    """Drop a leading ``./`` (and a lone ``.``): ``./packages/*`` is ``packages/*``."""
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return "" if pattern == "." else pattern


def _glob_regex(glob: str) -> str:
    """picomatch-style glob (ending in a file name) → regex: ``**`` spans folders,
    ``*``/``?``/``[…]`` stay within one name and do not match a leading dot."""
    out: list[str] = []
    *folders, file_name = glob.split("/")
    for segment in folders:
        if segment == "**":
            out.append(r"(?:(?!\.)[^/]+/)*")
        else:
            out.append(_segment_regex(segment) + "/")
    return "".join(out) + _segment_regex(file_name)


def _segment_regex(segment: str) -> str:
    piece = "" if segment.startswith(".") else r"(?!\.)"
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            piece += "[^/]*"
        elif char == "?":
            piece += "[^/]"
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end].replace("\\", "\\\\")
            negated = body[0] in "!^"
            piece += "[^" + body[1:] + "]" if negated else "[" + body + "]"
            i = end
        else:
            piece += re.escape(char)
        i += 1
    return piece


def _expand_braces(pattern: str) -> list[str]:
    """``{a,b}/*`` → ``a/*``, ``b/*`` (nested braces too)."""
    start = pattern.find("{")
    if start == -1:
        return [pattern]
    depth = 0
    parts: list[str] = []
    last = start + 1
    for i in range(start, len(pattern)):
        char = pattern[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                parts.append(pattern[last:i])
                head, tail = pattern[:start], pattern[i + 1 :]
                if len(parts) == 1:  # `{a}` is not an alternation: keep it literal
                    return [head + "{" + parts[0] + "}" + t for t in _expand_braces(tail)]
                return [r for part in parts for r in _expand_braces(head + part + tail)]
        elif char == "," and depth == 1:
            parts.append(pattern[last:i])
            last = i + 1
    return [pattern]


def _readme(names: list[str]) -> str:
    readmes = sorted(n for n in names if n.lower() == "readme" or n.lower().startswith("readme."))
    return readmes[0] if readmes else ""


# --- manifests -------------------------------------------------------------


def _read_member(
    label: str, folder: Path, rel: str, readme: str
) -> tuple[Package, dict[str, Any]] | None:
    """The member in ``folder``; None for an unnamed workspace root.

    pnpm accepts members without a ``name`` or a ``version`` (test fixtures,
    the workspace root): they are listed as not publishable, with the reason.
    """
    manifest = folder / MANIFEST
    data = _load_json(manifest)
    name = data.get("name")
    private = _js_truthy(data.get("private"))
    version = data.get("version")
    reason = f"package.json private: {json.dumps(data.get('private'))}" if private else ""
    if not isinstance(name, str) or not name:
        if not rel:
            return None
        name = f"./{rel}"  # never an npm name: names cannot start with a dot
        reason = reason or "package.json has no `name`"
    elif version is None and not private:
        reason = "package.json has no `version`"
    if version is not None and not (isinstance(version, str) and semver.is_valid(version)):
        raise RKError(
            "RK-VERSION-INVALID",
            f"`{name}` has version {version!r}, which is not SemVer 2.0 (MAJOR.MINOR.PATCH)",
            path=manifest,
            line=_json_key_line(manifest, "version"),
        )
    metadata = {k: data[k] for k in ("description", "license") if isinstance(data.get(k), str)}
    if readme:
        metadata["readme"] = readme
    package = Package(
        ecosystem="pnpm",
        label=label,
        name=name,
        version=version,
        path=folder,
        manifest=manifest,
        publishable=not reason,
        reason=reason,
        metadata=metadata,
        version_source=MANIFEST,
    )
    return package, data


def _rename_by_folder(package: Package, workspace_root: Path, why: str) -> None:
    rel = Path(os.path.relpath(package.path, workspace_root)).as_posix()
    package.reason = f"{package.reason or 'not publishable'}; {why}"
    package.name = f"./{rel}"


def _dependencies(
    package: Package,
    data: dict[str, Any],
    members: dict[str, Package],
    dirs: dict[str, str],
    catalogs: dict[str, dict[str, str]],
    config_path: Path,
) -> list[Dependency]:
    result: list[Dependency] = []
    for field, kind in DEPENDENCY_KINDS:
        section = data.get(field, {})
        if not isinstance(section, dict) or not all(isinstance(v, str) for v in section.values()):
            raise RKError(
                "RK-MANIFEST-FIELD",
                f"`{field}` of `{package.name}` must map package names to version ranges",
                path=package.manifest,
                line=_json_key_line(package.manifest, field),
            )
        for dep, spec in section.items():
            if spec.startswith("workspace:"):
                target = _workspace_target(package, dep, spec, members, dirs)
                result.append(Dependency(target, spec, kind, internal=True))
            elif spec.startswith("catalog:"):
                resolved = _catalog_range(package, dep, spec, catalogs, config_path)
                result.append(Dependency(dep, resolved, kind))
            else:
                result.append(Dependency(dep, spec, kind))
    return result


def _workspace_target(
    package: Package,
    dep: str,
    spec: str,
    members: dict[str, Package],
    dirs: dict[str, str],
) -> str:
    """The member a ``workspace:`` range points at: by path, by alias, or by its own key."""
    rest = spec[len("workspace:") :]
    if rest.startswith(("./", "../")):
        target = dirs.get(os.path.normpath(package.path / rest))
    else:
        match = WORKSPACE_SPEC.fullmatch(spec)
        name = (match.group("alias") if match else None) or dep
        target = name if name in members else None
        _check_workspace_range(package, dep, spec, match.group("version") if match else rest)
    if target is None:
        raise RKError(
            "RK-WORKSPACE-UNRESOLVED",
            f"`{package.name}` depends on `{dep}` with {spec!r}, "
            "but no workspace member matches it",
            path=package.manifest,
            line=_json_key_line(package.manifest, dep),
            fix="add that package to the workspace, or use a registry version range",
        )
    return target


def _check_workspace_range(package: Package, dep: str, spec: str, version: str) -> None:
    """``workspace:*``, ``^``, ``~`` or a SemVer range; pnpm refuses anything else."""
    from releasekit_tasks import semver

    if version in ("*", "^", "~", ""):
        return
    try:
        semver.parse_range(version)
    except ValueError:
        raise RKError(
            "RK-WORKSPACE-RANGE",
            f"`{package.name}` depends on `{dep}` with {spec!r}: {version!r} is not a "
            "version range",
            path=package.manifest,
            line=_json_key_line(package.manifest, dep),
        ) from None


def _catalog_range(
    package: Package,
    dep: str,
    spec: str,
    catalogs: dict[str, dict[str, str]],
    config_path: Path,
) -> str:
    catalog = spec[len("catalog:") :].strip() or "default"
    resolved = catalogs.get(catalog, {}).get(dep)
    if resolved is None:
        where = "`catalog:`" if catalog == "default" else f"`catalogs.{catalog}`"
        raise RKError(
            "RK-WORKSPACE-UNRESOLVED",
            f"`{package.name}` depends on `{dep}` with {spec!r}, "
            f"but {where} in {config_path} has no entry for it",
            path=package.manifest,
            line=_json_key_line(package.manifest, dep),
            fix=f"add `{dep}: <range>` under {where} in {WORKSPACE_FILE}",
        )
    return resolved


def _catalogs(config: dict[str, Any], config_path: Path) -> dict[str, dict[str, str]]:
    """Catalog name → {package → range}; the ``catalog:`` key is the ``default`` catalog."""
    named = config.get("catalogs") or {}
    if not isinstance(named, dict):
        raise _yaml_field(config_path, "catalogs", "must map catalog names to catalogs")
    if config.get("catalog") is not None and named.get("default") is not None:
        raise _yaml_field(
            config_path, "catalog", "and `catalogs.default` both define the default catalog"
        )
    tables = {"default": config.get("catalog") or {}, **named}
    for catalog, table in tables.items():
        ok = isinstance(table, dict) and all(isinstance(v, str) for v in table.values())
        if not ok:
            raise _yaml_field(config_path, str(catalog), "must map package names to ranges")
        if any(v.startswith("workspace:") for v in table.values()):
            raise _yaml_field(config_path, str(catalog), "may not use the workspace: protocol")
    return tables


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness, which npm and pnpm apply to ``private``: vercel/ai's
    tools say ``"private": "true"`` (a string), and neither tool publishes them."""
    return isinstance(value, (list, dict)) or bool(value)


def _string_list(value: Any, config_path: Path, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _yaml_field(config_path, key, "must be a list of glob strings")
    return value


def _yaml_field(config_path: Path, key: str, problem: str) -> RKError:
    return RKError(
        "RK-MANIFEST-FIELD",
        f"`{key}` in {WORKSPACE_FILE} {problem}",
        path=config_path,
        line=_yaml_item_line(config_path, f"{key}:"),
    )


# The usual pnpm-workspace.yaml: comments, `packages:` and one glob per `- ` item
# (plain, or quoted without escapes). Read without PyYAML, whose import costs more
# than the rest of the discovery; anything else goes to PyYAML.
_SIMPLE_LINE = re.compile(
    r"""[ \t]*(?:\#.*)?|packages:(?:[ \t]+(?:\#.*)?)?"""
    r"""| +-[ \t]+(?:'(?P<single>[^'\n]*)'|"(?P<double>[^"\\\n]*)"|(?P<plain>[A-Za-z0-9._/][^#'":\s]*))"""
    r"""(?:[ \t]+(?:\#.*)?)?"""
)


def _simple_workspace(text: str) -> dict[str, Any] | None:
    packages: list[str] = []
    header = False
    for line in text.splitlines():
        m = _SIMPLE_LINE.fullmatch(line)
        if m is None:
            return None
        item = next((g for g in m.group("single", "double", "plain") if g is not None), None)
        if line.startswith("packages:"):
            if header:
                return None  # a repeated key: PyYAML says what it means
            header = True
        elif item is not None and header:
            packages.append(item)
        elif item is not None:
            return None
    return {"packages": packages} if header else None


def _load_yaml(path: Path) -> dict[str, Any]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    simple = _simple_workspace(text)
    if simple is not None:
        return simple
    import yaml  # lazy: only unusual workspace files pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = read_utf8(path)  # pnpm reads UTF-8; YAML's own UTF-16 detection would not
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader, C when built
    except RecursionError:
        raise RKError("RK-MANIFEST-PARSE", "invalid YAML: nested too deeply", path=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise RKError(
            "RK-MANIFEST-PARSE",
            f"invalid YAML: {exc}".replace("\n", " "),
            path=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"{WORKSPACE_FILE} must be a mapping (with a `packages:` list)",
            path=path,
            line=1,
        )
    return data


def _load_json(path: Path) -> dict[str, Any]:
    data = load_json(path)
    if not isinstance(data, dict):
        raise RKError("RK-MANIFEST-FIELD", "package.json must be a JSON object", path=path, line=1)
    return data


def _json_key_line(path: Path, key: str) -> int | None:
    """Best-effort line of ``"key":`` (only computed on the error path)."""
    return _first_line(path, re.compile(rf'"{re.escape(key)}"\s*:'))


def _yaml_item_line(path: Path, text: str) -> int | None:
    return _first_line(path, re.compile(re.escape(text)))


def _first_line(path: Path, pattern: re.Pattern[str]) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, start=1) if pattern.search(line)), None)
