"""Text renderings of the release graph: pure functions ``Graph -> str``.

Hard edges are solid arrows; soft edges (extras, peer and optional
dependencies: pinned, never ordering) are dashed (``dot``, ``mermaid``,
``d2``), listed as ``soft`` in ``json`` and marked ``⇢`` in ``levels``.
Members of a release unit (a cycle the ecosystem allows) share a level and
are marked ``[unit]``.
"""

from __future__ import annotations

import json

from releasekit_tasks.graph import Graph, levels

FORMATS = ("levels", "ascii", "dot", "mermaid", "d2", "json")


def render(graph: Graph, fmt: str) -> str:
    return {
        "levels": _levels,
        "ascii": _ascii,
        "dot": _dot,
        "mermaid": _mermaid,
        "d2": _d2,
        "json": _json,
    }[fmt](graph)


def _version(graph: Graph, pid: str) -> str:
    return graph.nodes[pid].version or "?"


def _levels(graph: Graph) -> str:
    lines = []
    for n, ids in enumerate(levels(graph)):
        lines.append(f"level {n}:")
        for pid in ids:
            unit = " [unit]" if pid in graph.units else ""
            soft = "".join(f" ⇢ {d}" for d in graph.soft.get(pid, []))
            lines.append(f"  {pid} {_version(graph, pid)}{unit}{soft}")
    return "\n".join(lines)


def _ascii(graph: Graph) -> str:
    """Each root with its dependents below it as a tree; shared subtrees marked (*)."""
    lines: list[str] = []
    shown: set[str] = set()

    def walk(pid: str, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└── " if last else "├── ")
        again = pid in shown
        lines.append(f"{prefix}{branch}{pid} {_version(graph, pid)}{' (*)' if again else ''}")
        if again:
            return
        shown.add(pid)
        children = graph.rdeps[pid]
        child_prefix = prefix + ("" if top else ("    " if last else "│   "))
        for i, child in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, False)

    for pid in graph.nodes:
        if all(graph.same_unit(pid, d) for d in graph.deps[pid]) and pid == graph.tier_of(pid)[0]:
            walk(pid, "", True, True)
    return "\n".join(lines)


def _dot(graph: Graph) -> str:
    lines = ["digraph releasekit {", "  rankdir=LR;"]
    lines += [f'  "{pid}" [label="{pid}\\n{_version(graph, pid)}"];' for pid in graph.nodes]
    lines += [f'  "{pid}" -> "{dep}";' for pid, deps in graph.deps.items() for dep in deps]
    lines += [
        f'  "{pid}" -> "{dep}" [style=dashed];' for pid, deps in graph.soft.items() for dep in deps
    ]
    lines.append("}")
    return "\n".join(lines)


def _mermaid(graph: Graph) -> str:
    ident = {pid: f"n{i}" for i, pid in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    lines += [f'  {ident[pid]}["{pid} {_version(graph, pid)}"]' for pid in graph.nodes]
    lines += [
        f"  {ident[pid]} --> {ident[dep]}" for pid, deps in graph.deps.items() for dep in deps
    ]
    lines += [
        f"  {ident[pid]} -.-> {ident[dep]}" for pid, deps in graph.soft.items() for dep in deps
    ]
    return "\n".join(lines)


def _d2(graph: Graph) -> str:
    def quote(pid: str) -> str:
        return '"' + pid.replace('"', '\\"') + '"'

    lines = [f"{quote(pid)}: {quote(pid + ' ' + _version(graph, pid))}" for pid in graph.nodes]
    lines += [f"{quote(pid)} -> {quote(dep)}" for pid, deps in graph.deps.items() for dep in deps]
    lines += [
        f"{quote(pid)} -> {quote(dep)}: {{style.stroke-dash: 3}}"
        for pid, deps in graph.soft.items()
        for dep in deps
    ]
    return "\n".join(lines)


def _json(graph: Graph) -> str:
    return json.dumps(
        {
            pid: {
                "version": graph.nodes[pid].version,
                "deps": graph.deps[pid],
                "soft": graph.soft.get(pid, []),
                "unit": list(graph.units.get(pid, ())),
            }
            for pid in graph.nodes
        },
        indent=2,
    )
