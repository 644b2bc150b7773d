"""Versions the build backend derives from git tags (``dynamic = ["version"]``).

A member whose ``[project]`` lists ``version`` in ``dynamic`` has no version in
its pyproject.toml; four common version sources read it from the repository's
tags instead, and releasekit reads the tags the same way:

=====================  ===================================  ===================================
version source         configured by                        tag pattern (default)
=====================  ===================================  ===================================
uv-dynamic-versioning  ``[tool.hatch.version] source =``    ``[tool.uv-dynamic-versioning]``
                       ``"uv-dynamic-versioning"``          ``pattern`` / ``pattern-prefix``
                                                            (dunamai's ``^v…``: ``v1.0.10``)
hatch-vcs              ``[tool.hatch.version] source =``    ``tag-pattern``, or ``tag_regex`` of
                       ``"vcs"``                            ``raw-options`` (setuptools-scm's)
setuptools-scm         ``[tool.setuptools_scm]`` (or        ``tag_regex`` (``[prefix-]v1.2.3``)
                       setuptools-scm in build requires)
pdm-backend            ``[tool.pdm.version] source =``      ``tag_regex``, ``tag_filter`` (a glob)
                       ``"scm"``
=====================  ===================================  ===================================

The current version is the highest tag reachable from HEAD that the pattern
matches (what the backend finds on the release commit). Releasing such a
member writes no version into pyproject.toml: the release tag is the version.
Builds set the backend's override variable (``override_env``) to the released
version, so a build is the same whether or not the tag exists yet, and the
pinned (edited) pyproject.toml does not make the backend add a dirty suffix.

A version kept in a file (hatch's ``regex`` source, setuptools' ``attr``/``file``,
pdm-backend's ``file``, flit) is :mod:`.file_version`'s. Any other dynamic
version (hatch's ``code`` source, pdm-backend's ``call``, a custom hook) stays
unknown to releasekit: :func:`unknown_reason` says what it is and how to make
it readable.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit_tasks.errors import RKError
from releasekit_tasks.tomlfile import key_line

if TYPE_CHECKING:
    from releasekit_tasks.model import Package

UV_DYNAMIC_VERSIONING = "uv-dynamic-versioning"
HATCH_VCS = "hatch-vcs"
SETUPTOOLS_SCM = "setuptools-scm"
PDM_BACKEND = "pdm-backend"

# dunamai's Pattern.Default and Pattern.DefaultUnprefixed (uv-dynamic-versioning's presets).
_DUNAMAI_BODY = (
    r"((?P<epoch>\d+)!)?(?P<base>\d+(\.\d+)*)"
    r"([-._]?((?P<stage>[a-zA-Z]+)[-._]?(?P<revision>\d+)?))?"
    r"(\+(?P<tagged_metadata>.+))?$"
)
_DUNAMAI_PRESETS = {"default": "^v" + _DUNAMAI_BODY, "default-unprefixed": "^v?" + _DUNAMAI_BODY}
# setuptools-scm's DEFAULT_TAG_REGEX (hatch-vcs passes tag-pattern on as tag_regex).
_SCM_DEFAULT = r"^(?:[\w-]+-)?(?P<version>[vV]?\d+(?:\.\d+){0,2}[^\+]*)(?:\+.*)?$"
# pdm-backend's DEFAULT_TAG_REGEX.
_PDM_DEFAULT = (
    r"^(?:\D*)?(?P<version>([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|c|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$)$"
)


@dataclass(frozen=True)
class VcsVersion:
    """How one member's build backend derives its version from git tags."""

    source: str  # UV_DYNAMIC_VERSIONING, HATCH_VCS, SETUPTOOLS_SCM or PDM_BACKEND
    pattern: str  # the tag regex (configured, or the backend's default)
    configured: bool  # the pattern comes from pyproject.toml
    setting: str  # where it is configured: "[tool.uv-dynamic-versioning] pattern"
    tag_filter: str = ""  # pdm-backend's glob on tag names ("" = every tag)
    value: str = ""  # the setting as written, when not the whole pattern (pattern-prefix)

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def version_of(self, tag: str) -> str | None:
        """The PEP 440 version the backend reads from ``tag`` (None: it ignores the tag)."""
        from packaging.version import InvalidVersion, Version

        if self.tag_filter and not fnmatch.fnmatchcase(tag, self.tag_filter):
            return None
        regex = self.regex
        # dunamai searches; setuptools-scm and pdm-backend match from the start.
        m = regex.search(tag) if self.source == UV_DYNAMIC_VERSIONING else regex.match(tag)
        if m is None:
            return None
        groups = regex.groupindex
        if "version" in groups:
            text = m.group("version") or ""
        elif "base" in groups:
            text = (m.group("base") or "") + (
                (m.group("stage") or "") + (m.group("revision") or "") if "stage" in groups else ""
            )
            if "epoch" in groups and m.group("epoch"):
                text = f"{m.group('epoch')}!{text}"
        elif regex.groups == 1:
            text = m.group(1) or ""
        else:
            text = m.group(0)
        try:
            version = Version(text.lstrip("vV"))
        except InvalidVersion:
            return None
        return None if version.local else str(version)

    def override_env(self, dist_name: str) -> str:
        """The environment variable that makes the backend build ``dist_name`` at a
        given version without asking git (each backend's documented override)."""
        if self.source == UV_DYNAMIC_VERSIONING:
            return "UV_DYNAMIC_VERSIONING_BYPASS"
        if self.source == PDM_BACKEND:
            return "PDM_BUILD_SCM_VERSION"
        if self.source == HATCH_VCS:
            # hatch-vcs calls setuptools-scm without the distribution's name, so only the
            # global variable reaches it (its README documents this one).
            return "SETUPTOOLS_SCM_PRETEND_VERSION"
        # setuptools-scm: the per-distribution variable (dependencies built from source
        # in the same isolated build keep their own versions).
        return "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_" + re.sub(r"[-_.]+", "_", dist_name).upper()

    def describe(self) -> str:
        written = self.value or self.pattern
        how = f"{self.setting} = {written!r}" if self.configured else "its default tag pattern"
        return f"{self.source}, {how}"


def detect(doc: dict[str, Any], manifest: Path) -> VcsVersion | None:
    """The git-tag version source of a pyproject.toml whose version is dynamic, or None."""
    tool = _table(doc.get("tool"), manifest, "tool")
    hatch_version = _table(
        _table(tool.get("hatch"), manifest, "tool.hatch").get("version"),
        manifest,
        "tool.hatch.version",
    )
    source = hatch_version.get("source")
    if source == UV_DYNAMIC_VERSIONING:
        return _uv_dynamic_versioning(
            _table(tool.get(UV_DYNAMIC_VERSIONING), manifest, "tool.uv-dynamic-versioning"),
            manifest,
        )
    if source == "vcs":
        raw = _table(hatch_version.get("raw-options"), manifest, "tool.hatch.version.raw-options")
        if "tag_regex" in raw:
            return _scm(
                HATCH_VCS,
                raw["tag_regex"],
                "[tool.hatch.version.raw-options] tag_regex",
                manifest,
                "tag_regex",
            )
        if "tag-pattern" in hatch_version:
            return _scm(
                HATCH_VCS,
                hatch_version["tag-pattern"],
                "[tool.hatch.version] tag-pattern",
                manifest,
                "tag-pattern",
            )
        return VcsVersion(HATCH_VCS, _SCM_DEFAULT, False, "")
    pdm_version = _table(
        _table(tool.get("pdm"), manifest, "tool.pdm").get("version"), manifest, "tool.pdm.version"
    )
    if pdm_version.get("source") == "scm":
        found = (
            _scm(
                PDM_BACKEND,
                pdm_version["tag_regex"],
                "[tool.pdm.version] tag_regex",
                manifest,
                "tag_regex",
            )
            if "tag_regex" in pdm_version
            else VcsVersion(PDM_BACKEND, _PDM_DEFAULT, False, "")
        )
        tag_filter = pdm_version.get("tag_filter", "")
        if not isinstance(tag_filter, str):
            raise field_error(manifest, "tool.pdm.version.tag_filter", "a string (a glob)")
        return VcsVersion(found.source, found.pattern, found.configured, found.setting, tag_filter)
    scm = tool.get("setuptools_scm")
    if scm is not None or (source is None and _requires_scm(doc)):
        scm = _table(scm, manifest, "tool.setuptools_scm")
        if "tag_regex" in scm:
            return _scm(
                SETUPTOOLS_SCM,
                scm["tag_regex"],
                "[tool.setuptools_scm] tag_regex",
                manifest,
                "tag_regex",
            )
        return VcsVersion(SETUPTOOLS_SCM, _SCM_DEFAULT, False, "")
    return None


def unknown_reason(doc: dict[str, Any]) -> str:
    """What sets a dynamic version releasekit cannot read, for plan and check."""
    hatch_version = dig(doc, "tool", "hatch", "version")
    if hatch_version is not None:
        return f'[tool.hatch.version] source = "{hatch_version.get("source", "regex")}"'
    pdm_version = dig(doc, "tool", "pdm", "version")
    if pdm_version is not None:
        return f'[tool.pdm.version] source = "{pdm_version.get("source", "file")}"'
    setuptools = dig(doc, "tool", "setuptools", "dynamic")
    if setuptools is not None and isinstance(setuptools.get("version"), dict):
        how = ", ".join(f"{k} = {v!r}" for k, v in setuptools["version"].items())
        return f"[tool.setuptools.dynamic] version ({how})"
    build = dig(doc, "build-system") or {}
    backend = build.get("build-backend")
    return f"the build backend {backend}" if isinstance(backend, str) else "the build backend"


def dig(doc: dict[str, Any], *keys: str) -> dict[str, Any] | None:
    """The table at ``keys``, or None when a step is missing or not a table."""
    value: Any = doc
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def _requires_scm(doc: dict[str, Any]) -> bool:
    """setuptools-scm ≥ 8 also activates when listed in build requirements."""
    build = doc.get("build-system")
    requires = build.get("requires", []) if isinstance(build, dict) else []
    return isinstance(requires, list) and any(
        isinstance(r, str) and re.match(r"\s*setuptools[-_]scm\b", r, re.IGNORECASE)
        for r in requires
    )


def _uv_dynamic_versioning(table: dict[str, Any], manifest: Path) -> VcsVersion:
    pattern = table.get("pattern", "default")
    prefix = table.get("pattern-prefix", "")
    for key, value in (("pattern", pattern), ("pattern-prefix", prefix)):
        if not isinstance(value, str):
            raise field_error(manifest, f"tool.uv-dynamic-versioning.{key}", "a string")
    configured = "pattern" in table or "pattern-prefix" in table
    regex = _DUNAMAI_PRESETS.get(pattern, pattern)
    if prefix:
        # dunamai inserts the prefix after the start anchor.
        regex = "^" + prefix + regex[1:] if regex.startswith("^") else prefix + regex
    setting = "[tool.uv-dynamic-versioning] " + (
        "pattern-prefix" if "pattern" not in table else "pattern"
    )
    found = VcsVersion(
        UV_DYNAMIC_VERSIONING,
        regex,
        configured,
        setting,
        value=pattern if "pattern" in table else prefix,
    )
    compiled = _compile(found, manifest, "pattern-prefix" if "pattern" not in table else "pattern")
    if "base" not in compiled.groupindex:
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"[tool.uv-dynamic-versioning] pattern {pattern!r} has no `base` group and is "
            "not a dunamai preset",
            path=manifest,
            line=key_line(manifest, "pattern"),
            fix='capture the version in (?P<base>...), or use "default" / "default-unprefixed"',
        )
    return found


def _scm(source: str, pattern: Any, setting: str, manifest: Path, key: str) -> VcsVersion:
    if not isinstance(pattern, str):
        raise field_error(manifest, setting, "a regular expression string")
    found = VcsVersion(source, pattern, True, setting)
    compiled = _compile(found, manifest, key)
    if "version" not in compiled.groupindex and compiled.groups != 1:
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"{setting} {pattern!r} needs a group named `version` (or exactly one group)",
            path=manifest,
            line=key_line(manifest, key),
            fix="capture the version part of the tag in (?P<version>...)",
        )
    return found


def _compile(found: VcsVersion, manifest: Path, key: str) -> re.Pattern[str]:
    try:
        return found.regex
    except re.error as exc:
        raise RKError(
            "RK-MANIFEST-FIELD",
            f"{found.setting} {found.pattern!r} is not a valid regular expression: {exc}",
            path=manifest,
            line=key_line(manifest, key),
            fix="correct the regular expression (backslashes are doubled in TOML basic strings)",
        ) from None


def _table(value: Any, manifest: Path, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise field_error(manifest, where, "a table")
    return value


def field_error(manifest: Path, where: str, expected: str) -> RKError:
    """RK-MANIFEST-FIELD: ``where`` (``tool.uv.sources``, ``[tool.pdm.version] tag_regex``)
    is not ``expected``; the line is its last key's."""
    return RKError(
        "RK-MANIFEST-FIELD",
        f"`{where}` must be {expected}",
        path=manifest,
        line=key_line(manifest, where.rsplit(".", 1)[-1].split()[-1]),
    )


def template_of(tag: str, found: VcsVersion) -> str | None:
    """The releasekit tag template spelling ``tag`` (``v1.0.10`` → ``v{version}``), when
    the backend reads a version from it and the tag holds that version as written."""
    version = found.version_of(tag)
    at = tag.rfind(version) if version else -1
    if version is None or at < 0:
        return None
    return tag[:at] + "{version}" + tag[at + len(version) :]


def read(manifest: Path) -> VcsVersion | None:
    """The git-tag version source of the member whose pyproject.toml is ``manifest``."""
    doc = dynamic_doc(manifest)
    return detect(doc, manifest) if doc is not None else None


def dynamic_doc(manifest: Path) -> dict[str, Any] | None:
    """The parsed pyproject.toml when its [project] lists `version` in `dynamic`, else None."""
    from releasekit_tasks.ecosystems.uv.discover import read_pyproject

    doc = read_pyproject(manifest)
    project = doc.get("project")
    dynamic = project.get("dynamic", []) if isinstance(project, dict) else []
    return doc if isinstance(dynamic, list) and "version" in dynamic else None


def check_release_tags(package: Package, version: str, tags: list[str]) -> None:
    """RK-VERSION-TAG-PATTERN unless the backend reads ``version`` from one of ``tags``."""
    if not package.vcs_version:
        return
    found = read(package.manifest)
    if found is None:
        return
    from packaging.version import Version

    wanted = Version(version)
    if any((got := found.version_of(tag)) is not None and Version(got) == wanted for tag in tags):
        return
    raise RKError(
        "RK-VERSION-TAG-PATTERN",
        f"{package.id} builds its version from git tags ({found.describe()}), but reads "
        f"{version} from none of the release's tags ({', '.join(tags)})",
        path=package.manifest,
        line=key_line(package.manifest, found.setting.rsplit(" ", 1)[-1])
        if found.configured
        else None,
    )
