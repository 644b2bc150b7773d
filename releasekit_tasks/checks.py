"""Workspace health checks behind ``doit check``: each finding has an RK code and a fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks import semver
from releasekit_tasks.errors import CATALOGUE
from releasekit_tasks.graph import Graph, find_cycles, self_dependencies, ships_with_package
from releasekit_tasks.model import Dependency, Package


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "error" | "warning"
    package: str  # package id, or "" for workspace-wide findings
    message: str
    path: Path | None = None

    @property
    def fix(self) -> str:
        return CATALOGUE[self.code].fix

    def render(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return (
            f"{self.severity}[{self.code}] {self.package}: {self.message}{where}\n  fix: {self.fix}"
        )


REQUIRED_METADATA = {
    "uv": ("description", "license", "readme"),
    "pnpm": ("description", "license", "readme"),
    "go": ("license", "readme"),
}


def run_checks(graph: Graph, repo_root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for package in self_dependencies(graph.nodes.values()):
        findings.append(
            Finding("RK-GRAPH-SELF-DEP", "error", package.id, "depends on itself", package.manifest)
        )
    for cycle in find_cycles(graph):
        findings.append(
            Finding(
                "RK-GRAPH-CYCLE",
                "error",
                cycle[0],
                "cycle: " + " → ".join(cycle),
                graph.nodes[cycle[0]].manifest,
            )
        )
    for package in graph.nodes.values():
        findings += _package_findings(graph, package, repo_root)
    return findings


def _package_findings(graph: Graph, package: Package, repo_root: Path) -> list[Finding]:
    found: list[Finding] = []

    def add(code: str, severity: str, message: str) -> None:
        found.append(Finding(code, severity, package.id, message, package.manifest))

    for dep in package.internal_dependencies:
        target = graph.nodes.get(f"{package.label}/{dep.name}")
        if target is None or target is package:
            continue
        if package.publishable and target.version is None and ships_with_package(dep):
            found.append(
                Finding(
                    "RK-MANIFEST-FIELD",
                    "error",
                    target.id,
                    f"its version is not known ({target.version_source or 'no version'}), "
                    f"but {package.id} pins it when it is built",
                    target.manifest,
                )
            )
        if package.publishable and not target.publishable and ships_with_package(dep):
            add(
                "RK-CHECK-PRIVATE-DEP",
                "error",
                f"depends on unpublishable {target.id} ({target.reason})",
            )
        mismatch = _constraint_mismatch(package.ecosystem, dep, target.version)
        if mismatch:
            add("RK-CHECK-VERSION-MISMATCH", "error", mismatch)
    if package.publishable:
        missing = [
            k for k in REQUIRED_METADATA.get(package.ecosystem, ()) if not package.metadata.get(k)
        ]
        if missing:
            add("RK-CHECK-METADATA", "warning", f"missing {', '.join(missing)}")
    if package.ecosystem == "go":
        found += [
            Finding(c, "error", package.id, m, package.manifest)
            for c, m in _go_findings(package, repo_root)
        ]
    return found


def _constraint_mismatch(ecosystem: str, dep: Dependency, version: str | None) -> str | None:
    """A message when the dependent's constraint excludes the member's actual version."""
    if version is None:
        return None
    if ecosystem == "uv":
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            specifier = SpecifierSet(dep.spec)  # uv discovery keeps only the constraint
        except InvalidSpecifier:
            return None  # a direct reference (`@ url`) has no version constraint
        if specifier and not specifier.contains(version, prereleases=True):
            return f"requires {dep.name}{specifier} but the workspace has {version}"
    elif ecosystem == "pnpm":
        wanted = dep.spec.removeprefix("workspace:").rsplit("@", 1)[-1]
        if wanted in ("*", "^", "~", "") or not semver.is_valid(version):
            return None
        try:
            ok = semver.satisfies(version, wanted)
        except ValueError:
            return None
        if not ok:
            return f"requires {dep.name}@{wanted} but the workspace has {version}"
    return None


_MAJOR = re.compile(r"/v(\d+)$")


def _go_findings(package: Package, repo_root: Path) -> list[tuple[str, str]]:
    found = []
    try:
        rel = package.path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        rel = ""
    rel = "" if rel == "." else rel
    base_path = _MAJOR.sub("", package.name)
    base_dir = _MAJOR.sub("", "/" + rel)[1:]
    if rel and base_dir and not (base_path == base_dir or base_path.endswith("/" + base_dir)):
        found.append(
            (
                "RK-CHECK-GO-PATH",
                f"module path {package.name} does not end with its directory `{rel}`",
            )
        )
    version = semver.parse(package.version or "")
    suffix = _MAJOR.search(package.name)
    path_major = int(suffix.group(1)) if suffix else None
    if version and version.major >= 2 and path_major != version.major:
        found.append(
            (
                "RK-CHECK-GO-MAJOR",
                f"version {package.version} needs the module path to end in /v{version.major}",
            )
        )
    elif version and path_major is not None and path_major != version.major:
        # The go command rejects it too: a /v2 module's versions are v2.x.y.
        found.append(
            (
                "RK-CHECK-GO-MAJOR",
                f"version {package.version} does not fit the module path's /v{path_major} "
                f"suffix: its versions must be v{path_major}.x.y",
            )
        )
    return found
