"""Versions the build backend reads from a source file (``dynamic = ["version"]``).

The most common dynamic version in Python lives in a file of the package
(autogen's agbench: ``src/agbench/version.py`` holds ``__version__ = "0.0.1a1"``).
releasekit reads it the way each backend does, without running any code:

=========================  ==========================================  ==================================
backend                    configured by                               read with
=========================  ==========================================  ==================================
hatchling (``regex``)      ``[tool.hatch.version] path`` (``source``   ``pattern``, else hatch's default
                           absent or ``"regex"``)                      ``__version__``/``VERSION = "…"``
setuptools                 ``[tool.setuptools.dynamic] version =``     the module's first assignment of
                           ``{attr = "pkg.mod.__version__"}``          the name, read with ``ast``
setuptools                 ``version = {file = "VERSION"}`` (a list)   the file's content
pdm-backend                ``[tool.pdm.version] source = "file"``,     ``^__version__ = "…"``
                           ``path``
flit_core                  the build backend, the module               the module's ``__version__ = "…"``
                           (``[tool.flit.module] name``)               (version.py, _version.py … first)
=========================  ==========================================  ==================================

Releasing such a member rewrites that one version string in the file (a
``version_files`` entry: the line, with ``{version}`` for the version) and
leaves pyproject.toml without a version. What the backend could only learn by
importing the module (``__version__ = get_version()``) is refused with the
file and line: releasekit runs no project code.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit_tasks.ecosystems.uv.vcs_version import dig, dynamic_doc
from releasekit_tasks.errors import RKError

HATCH = "hatch"
SETUPTOOLS = "setuptools"
PDM = "pdm-backend"
FLIT = "flit"

# hatchling.version.core.DEFAULT_PATTERN (searched with re.MULTILINE).
HATCH_DEFAULT = r"(?i)^(__version__|VERSION) *= *([\'\"])v?(?P<version>.+?)\2"
# pdm-backend's resolve_version_from_file (re.M).
PDM_PATTERN = r"^__version__\s*=\s*[\"'](?P<version>.+?)[\"']\s*(?:#.*)?$"
# flit_core.common.Module.version_files: these (when present) before __init__.py; the
# last file that assigns a string to __version__ wins.
FLIT_VERSION_FILES = ("__version__.py", "_version.py", "version.py", "__init__.py")

_NO_CODE = (
    "releasekit reads versions statically and runs no project code: write the version as "
    'a string literal (`__version__ = "1.2.3"`)'
)


@dataclass(frozen=True)
class FileVersion:
    """Where one member's build backend reads its version, and what it reads."""

    source: str  # HATCH, SETUPTOOLS, PDM or FLIT
    file: Path  # the version file (absolute)
    version: str  # the version as written in the file
    line: int  # the line holding it (1-based)
    pattern: str  # that line with the version replaced by {version}

    def relative(self, folder: Path) -> str:
        # hatch accepts a path out of the package folder (`../VERSION`)
        return Path(os.path.relpath(self.file, folder)).as_posix()

    def describe(self, folder: Path) -> str:
        return f"{self.relative(folder)} ({self.source})"


def detect(doc: dict[str, Any], manifest: Path) -> FileVersion | None:
    """The version file of a pyproject.toml whose version is dynamic, or None when the
    backend does not read the version from a file (git tags, a hook, code)."""
    hatch = dig(doc, "tool", "hatch", "version") or {}
    if hatch.get("source", "regex") == "regex" and ("path" in hatch or "source" in hatch):
        # hatch's RegexSource: an empty pattern is the default one; `path` is required
        pattern = hatch.get("pattern", "")
        pattern = HATCH_DEFAULT if pattern == "" else pattern
        where = Setting("tool.hatch.version", "pattern")
        return _by_regex(
            HATCH, manifest, _path(hatch, manifest, "tool.hatch.version"), pattern, where
        )
    pdm = dig(doc, "tool", "pdm", "version")
    if pdm is not None and pdm.get("source") == "file":
        return _by_regex(PDM, manifest, _path(pdm, manifest, "tool.pdm.version"), PDM_PATTERN, None)
    dynamic = dig(doc, "tool", "setuptools", "dynamic")
    directive = dynamic.get("version") if dynamic is not None else None
    if isinstance(directive, dict) and "attr" in directive:
        return _by_attr(doc, manifest, directive["attr"])
    if isinstance(directive, dict) and "file" in directive:
        return _by_file(manifest, directive["file"])
    backend = dig(doc, "build-system") or {}
    if str(backend.get("build-backend", "")).startswith("flit_core"):
        return _by_flit(doc, manifest)
    return None


# --- where the settings are -------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A key of a pyproject.toml table, for error lines: ``tool.hatch.version`` ``path``."""

    table: str
    key: str

    def line(self, manifest: Path) -> int | None:
        return setting_line(manifest, self.table, self.key)

    def __str__(self) -> str:
        return f"[{self.table}] {self.key}"


def setting_line(manifest: Path, table: str, key: str) -> int | None:
    """The line setting ``key`` of ``[table]``: under its header, in an inline table
    (``version = {path = "…"}`` under ``[tool.hatch]``) or as a dotted key; else the
    line defining ``[table]`` itself, or None."""
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    assignment = re.compile(r"^\s*([\w.\"' -]+?)\s*=(.*)")
    inline = re.compile(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=")
    current, header_at = "", None
    for number, text in enumerate(lines, start=1):
        found = header.match(text)
        if found:
            current = _dotted(found.group(1))
            header_at = number if current == table else header_at
            continue
        assigned = assignment.match(text)
        if assigned is None:
            continue
        full = ".".join(filter(None, (current, _dotted(assigned.group(1)))))
        if full == f"{table}.{key}" or (full == table and inline.search(assigned.group(2))):
            return number
        header_at = number if full == table and header_at is None else header_at
    return header_at


def _dotted(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def _path(table: dict[str, Any], manifest: Path, where: str) -> str:
    value = table.get("path")
    if not isinstance(value, str) or not value:
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"[{where}] path must be a non-empty string (a file relative to pyproject.toml)",
            path=manifest,
            line=setting_line(manifest, where, "path"),
        )
    return value


# --- hatch's regex source, pdm-backend's file source ---------------------------------------


def _by_regex(
    source: str, manifest: Path, rel: str, pattern: Any, where: Setting | None
) -> FileVersion:
    table = "tool.hatch.version" if source == HATCH else "tool.pdm.version"
    file = _existing(manifest, rel, Setting(table, "path"), source)
    regex = _compile(pattern, manifest, where)
    text = _read(file)
    match = regex.search(text)
    if match is None:
        wanted = (
            f"the pattern {pattern!r}"
            if where is not None and pattern != HATCH_DEFAULT
            else 'an assignment such as `__version__ = "1.2.3"`'
            + (' or `VERSION = "1.2.3"`' if source == HATCH else "")
        )
        raise RKError(
            "RK-VERSION-FILE",
            f"{source} reads the version from {rel}, but no line there matches {wanted}",
            path=file,
            fix=f'add `__version__ = "0.1.0"` to {rel}, or correct [{table}] path',
        )
    return _found(source, file, text, match.start("version"), match.group("version"))


def _compile(pattern: Any, manifest: Path, where: Setting | None) -> re.Pattern[str]:
    """hatch's `pattern` (pdm-backend's is fixed): a regex with a `version` group."""

    def error(problem: str, fix: str | None = None) -> RKError:
        line = where.line(manifest) if where else None
        return RKError("RK-MANIFEST-FIELD", f"{where} {problem}", path=manifest, line=line, fix=fix)

    if not isinstance(pattern, str):
        raise error("must be a regular expression string")
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise error(
            f"{pattern!r} is not a valid regular expression: {exc}",
            "correct the regular expression (backslashes are doubled in TOML basic strings)",
        ) from None
    if "version" not in regex.groupindex:
        raise error(
            f"{pattern!r} has no group named `version`",
            "capture the version in (?P<version>...), as hatch requires",
        )
    return regex


# --- setuptools -----------------------------------------------------------------------------


def _by_attr(doc: dict[str, Any], manifest: Path, attr: Any) -> FileVersion:
    where = Setting("tool.setuptools.dynamic", "version")
    if not isinstance(attr, str) or not re.fullmatch(r"\s*[\w.]*\w\s*", attr):
        raise RKError(
            "RK-MANIFEST-FIELD",
            f'{where}: attr must be a dotted name such as "pkg.__version__", not {attr!r}',
            path=manifest,
            line=where.line(manifest),
        )
    *modules, name = attr.strip().split(".")
    module = ".".join(modules) or "__init__"
    file = _module_file(module, _package_dir(doc, manifest), manifest.parent)
    if file is None:
        raise RKError(
            "RK-VERSION-FILE",
            f"{where} reads {attr!r}, but there is no module {module} in "
            f"{manifest.parent} (looked for {module.replace('.', '/')}.py and "
            f"{module.replace('.', '/')}/__init__.py, under [tool.setuptools] package-dir)",
            path=manifest,
            line=where.line(manifest),
            fix="correct the attr, or set [tool.setuptools] package-dir",
        )
    text = _read(file)
    tree = _parse(file, text)
    # setuptools' StaticModule: the first assignment of the name, read with literal_eval.
    value = next((v for target, v in _assignments(tree) if target == name), None)
    if value is None:
        raise RKError(
            "RK-VERSION-FILE",
            f"{where} reads {attr!r}, but {file.name} has no `{name} = ...` assignment "
            "at module level",
            path=file,
            fix=f'add `{name} = "0.1.0"` to {file.name}',
        )
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        raise RKError(
            "RK-VERSION-FILE",
            f"`{name}` in {file.name} is not a string literal: setuptools would import the "
            f"module to evaluate it, and {_NO_CODE}, or use "
            '[tool.setuptools.dynamic] version = {file = "VERSION"}',
            path=file,
            line=value.lineno,
            fix=f'write `{name} = "X.Y.Z"`, or `version = {{file = "VERSION"}}` with the '
            "version in that file",
        )
    return _literal(SETUPTOOLS, file, text, value)


def _package_dir(doc: dict[str, Any], manifest: Path) -> dict[str, str]:
    """setuptools' package_dir: configured, from packages.find.where, or the src layout."""
    tool = dig(doc, "tool", "setuptools") or {}
    configured = tool.get("package-dir")
    if isinstance(configured, dict) and all(isinstance(v, str) for v in configured.values()):
        return dict(configured)
    packages = tool.get("packages")
    where = packages.get("find", {}).get("where") if isinstance(packages, dict) else None
    if isinstance(where, list) and len(where) == 1 and isinstance(where[0], str):
        return {"": where[0]}
    return {"": "src"} if (manifest.parent / "src").is_dir() else {}


def _module_file(module: str, package_dir: dict[str, str], root: Path) -> Path | None:
    """setuptools' _find_module: the most specific package_dir entry, then .py or a package."""
    parts = module.split(".")
    start = root.joinpath(package_dir.get("", ""), *parts)
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in package_dir:
            start = root.joinpath(package_dir[prefix], *parts[i:])
            break
    for candidate in (start.with_name(start.name + ".py"), start / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _by_file(manifest: Path, value: Any) -> FileVersion:
    where = Setting("tool.setuptools.dynamic", "version")
    names = [value] if isinstance(value, str) else value
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"{where}: file must be a path or a list of paths, not {value!r}",
            path=manifest,
            line=where.line(manifest),
        )
    files = [_existing(manifest, name, where, SETUPTOOLS) for name in names]
    # setuptools joins the files' contents; the version is the one non-blank file's.
    holding = [f for f in files if _read(f).strip()]
    if len(holding) != 1:
        listed = ", ".join(names)
        raise RKError(
            "RK-VERSION-FILE",
            f"{where} reads the version from {listed}, but "
            + (
                "more than one of them has content"
                if holding
                else ("it is empty" if len(files) == 1 else "they are empty")
            ),
            path=manifest,
            line=where.line(manifest),
            fix="keep the version (one line, e.g. 1.2.3) in one file",
        )
    text = _read(holding[0])
    content = text.strip()
    if "\n" in content:
        raise RKError(
            "RK-VERSION-INVALID",
            f"{holding[0].name} must hold only the version, on one line",
            path=holding[0],
            line=text.count("\n", 0, text.index(content)) + 1,
        )
    return _found(SETUPTOOLS, holding[0], text, text.index(content), content)


# --- flit -------------------------------------------------------------------------------------


def _by_flit(doc: dict[str, Any], manifest: Path) -> FileVersion:
    module = dig(doc, "tool", "flit", "module") or {}
    project = doc.get("project") or {}
    name = module.get("name") or str(project.get("name", "")).replace("-", "_")
    if not isinstance(name, str) or not name:
        raise RKError(
            "RK-MANIFEST-FIELD",
            "[tool.flit.module] name must be a string",
            path=manifest,
            line=setting_line(manifest, "tool.flit.module", "name"),
        )
    files = _flit_files(name, manifest)
    for file in reversed(files):  # the last file assigning a string wins
        text = _read(file)
        value = next(
            (
                v
                for target, v in _assignments(_parse(file, text))
                if target == "__version__" and isinstance(v, ast.Constant)
            ),
            None,
        )
        if value is not None and isinstance(value.value, str):
            return _literal(FLIT, file, text, value)
    raise RKError(
        "RK-VERSION-FILE",
        f"flit reads the version of module {name} from `__version__`, but "
        f"{', '.join(f.name for f in files)} assign no string to it: flit would import the "
        f"module to find it, and {_NO_CODE}",
        path=files[-1],
        fix=f'add `__version__ = "0.1.0"` to {files[-1].name}',
    )


def _flit_files(name: str, manifest: Path) -> list[Path]:
    """flit_core's Module: the package or module file, in the folder or under src/."""
    folder = manifest.parent
    as_path = name.replace(".", "/")
    candidates = [folder / as_path, folder / f"{as_path}.py"]
    candidates += [folder / "src" / as_path, folder / "src" / f"{as_path}.py"]
    existing = [c for c in candidates if c.is_dir() or (c.suffix == ".py" and c.is_file())]
    if len(existing) != 1:
        found = ", ".join(str(p.relative_to(folder)) for p in existing)
        raise RKError(
            "RK-VERSION-FILE",
            f"flit builds module {name}, but "
            + (f"several files or folders could be it: {found}" if existing else "it is missing")
            + f" (looked for {as_path}/, {as_path}.py, src/{as_path}/ and src/{as_path}.py)",
            path=manifest,
            line=setting_line(manifest, "tool.flit.module", "name"),
            fix="set [tool.flit.module] name to the module's import name",
        )
    if existing[0].suffix == ".py":
        return existing
    return [existing[0] / f for f in FLIT_VERSION_FILES if (existing[0] / f).is_file()] or [
        existing[0] / "__init__.py"
    ]


# --- reading the file -------------------------------------------------------------------------


def _existing(manifest: Path, rel: str, where: Setting, source: str) -> Path:
    file = manifest.parent / rel
    if not file.is_file():
        raise RKError(
            "RK-VERSION-FILE",
            f"{source} reads the version from {rel} ({where}), which "
            + ("is a folder, not a file" if file.is_dir() else "does not exist"),
            path=manifest,
            line=where.line(manifest),
            fix=f"correct {where} (relative to pyproject.toml), or create {rel}",
        )
    return file


def _read(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RKError("RK-VERSION-FILE", f"not UTF-8: {exc}", path=file) from None
    except OSError as exc:
        raise RKError("RK-VERSION-FILE", f"cannot read it: {exc.strerror}", path=file) from None


def _parse(file: Path, text: str) -> ast.Module:
    try:
        return ast.parse(text, filename=str(file))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        raise RKError(
            "RK-VERSION-FILE",
            f"not valid Python, so its version cannot be read: {getattr(exc, 'msg', exc)}",
            path=file,
            line=line,
        ) from None


def _assignments(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    """(name, value) of each module-level ``name = value`` / ``name: T = value``, in order."""
    found: list[tuple[str, ast.expr]] = []
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            found += [(t.id, statement.value) for t in statement.targets if isinstance(t, ast.Name)]
        elif (
            isinstance(statement, ast.AnnAssign)
            and statement.value is not None
            and isinstance(statement.target, ast.Name)
        ):
            found.append((statement.target.id, statement.value))
    return found


def _literal(source: str, file: Path, text: str, value: ast.Constant) -> FileVersion:
    """The version in a one-line string literal, located in the text."""
    lines = text.splitlines(keepends=True)
    line = lines[value.lineno - 1]
    # ast's columns count UTF-8 bytes.
    start = len(line.encode("utf-8")[: value.col_offset].decode("utf-8", "replace"))
    segment = line[start:]
    at = segment.find(str(value.value)) if value.end_lineno == value.lineno else -1
    if at < 0 or not str(value.value):
        raise RKError(
            "RK-VERSION-FILE",
            "the version string must be written plainly on one line (no escapes or "
            "implicit concatenation), so releasekit can rewrite it",
            path=file,
            line=value.lineno,
            fix='write it as `__version__ = "X.Y.Z"`',
        )
    offset = sum(len(x) for x in lines[: value.lineno - 1]) + start + at
    return _found(source, file, text, offset, str(value.value))


def _found(source: str, file: Path, text: str, offset: int, version: str) -> FileVersion:
    from packaging.version import InvalidVersion, Version

    line = text.count("\n", 0, offset) + 1
    try:
        Version(version)
    except InvalidVersion:
        raise RKError(
            "RK-VERSION-INVALID",
            f"the version {version!r} that {source} reads here is not a PEP 440 version",
            path=file,
            line=line,
            fix='write a version such as "1.2.3" or "0.4.0a1"',
        ) from None
    begin = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    whole = text[begin : len(text) if end < 0 else end].rstrip("\r")
    column = offset - begin
    pattern = whole[:column] + "{version}" + whole[column + len(version) :]
    return FileVersion(source, file, version, line, pattern)


def read(manifest: Path) -> FileVersion | None:
    """The version file of the member whose pyproject.toml is ``manifest``."""
    doc = dynamic_doc(manifest)
    return detect(doc, manifest) if doc is not None else None
