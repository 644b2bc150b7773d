"""Read-only tasks: plan, graph, check and explain.

Actions are module-level functions with plain-data arguments (doit's parallel
mode pickles them). They print to stdout; the task title is suppressed by the
reporter (``meta: {"quiet": True}``) so ``--format json`` output is clean.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from doit.exceptions import TaskFailed

from releasekit_tasks import graph_formats, plan
from releasekit_tasks.checks import run_checks
from releasekit_tasks.errors import RKError, explain
from releasekit_tasks.graph import (
    assert_valid,
    dependencies_of,
    dependents_of,
    resolve_package,
    select,
    subgraph,
)
from releasekit_tasks.tasks.loading import load_graph, repo_root, selection, selection_params

if TYPE_CHECKING:
    from releasekit_tasks.prepare.decide import Decision

QUIET = {"quiet": True}


def show_plan(
    root: str, format: str, group: list, package: list, ecosystem: list
) -> TaskFailed | None:
    try:
        graph = load_graph(Path(root))
        chosen = selection(group, package, ecosystem)
        # Only what was asked for must be sound: a cycle elsewhere does not block --package.
        picked, pulled = select(graph, chosen)
        assert_valid(graph if chosen.is_everything else subgraph(graph, picked | pulled))
        rows = plan.make_plan(graph, chosen, _next_versions(Path(root), graph, chosen))
    except RKError as err:
        return TaskFailed(err.render())
    if format == "table" and sys.stdout.isatty():
        from rich.console import Console

        Console().print(plan.table(rows))
    else:
        print(plan.render(rows, format))
    return None


def _next_versions(root: Path, graph, chosen) -> Decision | None:
    """What `doit prepare` would release now (None outside git or in an empty history)."""
    from releasekit_tasks.prepare.decide import decide
    from releasekit_tasks.prepare.stage import options_from
    from releasekit_tasks.tasks.prepare import option_values
    from releasekit_tasks.vcs import git, repo_toplevel
    from releasekit_tasks.workspace import collect_cached

    if repo_toplevel(root) is None:
        return None
    head = git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).strip()
    if not head:
        return None
    options = replace(options_from(option_values()), selection=chosen)
    return decide(collect_cached(root), graph, head, options)


def show_graph(root: str, format: str, deps: str, rdeps: str) -> TaskFailed | None:
    try:
        graph = load_graph(Path(root))
        assert_valid(graph)
        if deps or rdeps:
            focus = resolve_package(graph, deps or rdeps)
            related = dependencies_of(graph, [focus]) if deps else dependents_of(graph, [focus])
            graph = subgraph(graph, related | {focus})
    except RKError as err:
        return TaskFailed(err.render())
    print(graph_formats.render(graph, format))
    return None


def run_health_checks(root: str) -> TaskFailed | None:
    try:
        graph = load_graph(Path(root))
    except RKError as err:
        return TaskFailed(err.render())
    from releasekit_tasks.workspace import collect_cached

    findings = run_checks(graph, Path(root), collect_cached(Path(root)).config.skip_checks)
    for finding in findings:
        print(finding.render())
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    infos = sum(f.severity == "info" for f in findings)
    notes = f", {infos} notes" if infos else ""
    print(f"{len(graph.nodes)} packages checked: {errors} errors, {warnings} warnings{notes}")
    return TaskFailed(f"{errors} check(s) failed") if errors else None


def print_explanation(codes: list[str]) -> None:
    print("\n\n".join(explain(code) for code in codes or [""]))


def task_plan() -> dict:
    """The release plan: order, level, version, registry and status of every package."""
    return {
        "actions": [(show_plan, [str(repo_root())])],
        "params": [
            {
                "name": "format",
                "long": "format",
                "default": "table",
                "choices": [(f, "") for f in plan.FORMATS],
                "help": "table, json or csv",
            },
            *selection_params(),
        ],
        "uptodate": [False],
        "verbosity": 2,
        "meta": QUIET,
    }


def task_graph() -> dict:
    """The internal dependency graph (levels, ascii, dot, mermaid, d2, json)."""
    return {
        "actions": [(show_graph, [str(repo_root())])],
        "params": [
            {
                "name": "format",
                "long": "format",
                "default": "levels",
                "choices": [(f, "") for f in graph_formats.FORMATS],
                "help": "output format",
            },
            {
                "name": "deps",
                "long": "deps",
                "default": "",
                "help": "only PKG and what it depends on",
            },
            {
                "name": "rdeps",
                "long": "rdeps",
                "default": "",
                "help": "only PKG and what depends on it",
            },
        ],
        "uptodate": [False],
        "verbosity": 2,
        "meta": QUIET,
    }


def task_check() -> dict:
    """Workspace health: cycles, private deps, version constraints, metadata, Go paths."""
    return {
        "actions": [(run_health_checks, [str(repo_root())])],
        "uptodate": [False],
        "verbosity": 2,
        "meta": QUIET,
    }


def task_explain() -> dict:
    """The long explanation of an RK-… error code: `doit explain RK-GRAPH-CYCLE`."""
    return {
        "actions": [(print_explanation,)],
        "pos_arg": "codes",
        "uptodate": [False],
        "verbosity": 2,
        "meta": QUIET,
    }
