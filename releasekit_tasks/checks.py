"""Workspace health checks behind ``doit check``: each finding has an RK code and a fix."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import CATALOGUE
from releasekit_tasks.graph import (
    SOFT,
    Graph,
    edge_kind,
    find_cycles,
    release_units,
    self_dependencies,
    ships_with_package,
    soft_cycles,
)
from releasekit_tasks.model import Package


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "error" | "warning" | "info"
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


def run_checks(graph: Graph, repo_root: Path, skip: tuple[str, ...] = ()) -> list[Finding]:
    """Every finding, less those ``skip_checks`` silences (root ``skip``, ecosystem, package)."""
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
    for unit in release_units(graph):
        findings.append(
            Finding(
                "RK-GRAPH-RELEASE-UNIT",
                "info",
                unit[0],
                f"release unit (a cycle {graph.nodes[unit[0]].ecosystem} allows): "
                + ", ".join(unit),
                graph.nodes[unit[0]].manifest,
            )
        )
    for cycle in soft_cycles(graph):
        hops = [
            f"{a} {'⇢' if b in graph.soft.get(a, ()) and b not in graph.deps[a] else '→'} "
            for a, b in itertools.pairwise(cycle)
        ]
        findings.append(
            Finding(
                "RK-GRAPH-SOFT-CYCLE",
                "info",
                cycle[0],
                "soft cycle (⇢ is an extra/peer/optional dependency, which orders nothing): "
                + "".join(hops)
                + cycle[-1],
                graph.nodes[cycle[0]].manifest,
            )
        )
    for package in graph.nodes.values():
        findings += _package_findings(graph, package, repo_root)
    return [
        f
        for f in findings
        if f.code not in skip
        and not (f.package in graph.nodes and f.code in graph.nodes[f.package].skip_checks)
    ]


def _package_findings(graph: Graph, package: Package, repo_root: Path) -> list[Finding]:
    found: list[Finding] = []

    def add(code: str, severity: str, message: str) -> None:
        found.append(Finding(code, severity, package.id, message, package.manifest))

    ecosystem = get_ecosystem(package.ecosystem)
    for dep in package.internal_dependencies:
        target = graph.nodes.get(f"{package.label}/{dep.name}")
        if target is None or target is package:
            continue
        # A released package (it has a version) pins its internal dependencies at build;
        # one whose version releasekit cannot know would be pinned to nothing.
        pins_nothing = package.version is not None and target.version is None
        if package.publishable and pins_nothing and ships_with_package(dep):
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
        uploads = package.publishable and not package.no_publish
        if uploads and ships_with_package(dep) and (not target.publishable or target.no_publish):
            why = target.reason or target.no_publish
            if edge_kind(package, dep) == SOFT:
                # An extra / peer on it: publishing works, installing that option does not.
                add(
                    "RK-CHECK-PRIVATE-DEP",
                    "warning",
                    f"its {dep.kind} dependency {target.id} is never uploaded ({why})",
                )
            else:
                add(
                    "RK-CHECK-PRIVATE-DEP", "error", f"depends on unpublishable {target.id} ({why})"
                )
        if target.version is not None:
            mismatch = ecosystem.constraint_mismatch(dep, target.version)
            if mismatch:
                add("RK-CHECK-VERSION-MISMATCH", "error", mismatch)
    if package.publishable and not package.no_bump and ecosystem.first_version(package) is None:
        add(
            "RK-VERSION-DYNAMIC",
            "warning",
            f"releasekit cannot read or bump its version ({package.version_source or 'dynamic'}),"
            " so it is left out of releases",
        )
    if package.publishable and not package.no_publish:
        missing = [k for k in ecosystem.required_metadata if not package.metadata.get(k)]
        if missing:
            add("RK-CHECK-METADATA", "warning", f"missing {', '.join(missing)}")
    found += [
        Finding(c, "error", package.id, m, package.manifest)
        for c, m in ecosystem.findings(package, repo_root)
    ]
    return found
