"""The execution plan: one row per package, in publish order, as table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from releasekit_tasks.graph import Graph, Selection, level_of, release_trees, select

if TYPE_CHECKING:
    from releasekit_tasks.prepare.decide import Decision

FORMATS = ("table", "json", "csv")


@dataclass
class PlanRow:
    order: int
    level: int
    id: str
    name: str
    ecosystem: str
    label: str
    version: str | None
    registry: str
    status: str  # publishable | private | excluded
    reason: str
    group: str | None
    tree: int  # index of the release tree (connected component)
    deps: list[str]  # internal dependency ids
    next: str | None = None  # the version `doit prepare` would release, if any
    why: str = ""  # why that version, or why none


def make_plan(
    graph: Graph, selection: Selection | None = None, decision: Decision | None = None
) -> list[PlanRow]:
    chosen, pulled = select(graph, selection or Selection())
    level = level_of(graph)
    tree = {pid: n for n, ids in enumerate(release_trees(graph)) for pid in ids}
    position = {pid: n for n, pid in enumerate(graph.nodes)}
    # A package on a cycle (outside the selection) has no level: it sorts last, as -1.
    level = {pid: level.get(pid, -1) for pid in graph.nodes}
    ordered = sorted(graph.nodes, key=lambda pid: (level[pid] < 0, level[pid], position[pid]))
    rows = []
    for order, pid in enumerate(ordered, start=1):
        package = graph.nodes[pid]
        status, reason = _status(pid, package.publishable, package.reason, chosen, pulled)
        rule = package.excluded or package.no_publish or package.no_bump
        if rule and status != "excluded":
            # The selection list that keeps it out, in its own words.
            what = {
                package.excluded: "not released",
                package.no_publish: "versioned and tagged, not uploaded",
                package.no_bump: "not versioned",
            }[rule]
            status = "excluded" if package.excluded or package.no_publish else status
            reason = f"{rule} ({what})"
        if status == "publishable" and package.version is None:
            reason = "no version yet: run `doit prepare` or tag the package"
        rows.append(
            PlanRow(
                order=order,
                level=level[pid],
                id=pid,
                name=package.name,
                ecosystem=package.ecosystem,
                label=package.label,
                version=package.version,
                registry=package.registry,
                status=status,
                reason=reason,
                group=", ".join(package.groups) or package.group,
                tree=tree[pid],
                deps=list(graph.deps[pid]),
            )
        )
    if decision is not None:
        planned = decision.manifest.by_id()
        for row in rows:
            if row.id in planned:
                row.next = planned[row.id].new_version
                row.why = "; ".join(planned[row.id].reasons)
            else:
                row.why = decision.skipped.get(row.id, "")
    return rows


def _status(
    pid: str, publishable: bool, why: str, chosen: set[str], pulled: set[str]
) -> tuple[str, str]:
    if pid not in chosen and pid not in pulled:
        return "excluded", "not in the selection"
    if not publishable:
        return "private", why
    if pid in pulled:
        return "publishable", "a selected package depends on it"
    return "publishable", ""


def render(rows: list[PlanRow], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([asdict(r) for r in rows], indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "order",
                "level",
                "id",
                "ecosystem",
                "version",
                "registry",
                "status",
                "reason",
                "deps",
                "next",
                "why",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.order,
                    r.level,
                    r.id,
                    r.ecosystem,
                    r.version or "",
                    r.registry,
                    r.status,
                    r.reason,
                    " ".join(r.deps),
                    r.next or "",
                    r.why,
                ]
            )
        return out.getvalue()
    return _table(rows)


STATUS_STYLE = {"publishable": "green", "private": "yellow", "excluded": "dim"}


def table(rows: list[PlanRow]):  # -> rich.table.Table (rich is imported lazily)
    from rich.table import Table

    counts = {s: sum(r.status == s for r in rows) for s in STATUS_STYLE}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    result = Table(
        title="release plan", title_justify="left", caption=summary, caption_justify="left"
    )
    with_next = any(r.next or r.why for r in rows)
    columns = ["#", "lvl", "package", "eco", "version", "registry", "status", "reason"]
    for column in columns + (["next", "why"] if with_next else []):
        result.add_column(column, overflow="fold")
    for r in rows:
        result.add_row(
            str(r.order),
            str(r.level),
            r.id,
            r.ecosystem,
            r.version or "—",
            r.registry,
            f"[{STATUS_STYLE[r.status]}]{r.status}[/]",
            r.reason,
            *([r.next or "—", r.why] if with_next else []),
        )
    return result


def _table(rows: list[PlanRow]) -> str:
    from rich.console import Console

    console = Console(width=220, file=io.StringIO(), color_system=None)
    console.print(table(rows))
    return console.file.getvalue()  # type: ignore[attr-defined]
