"""The release graph: packages as nodes, internal dependencies as edges.

Only workspace-sourced dependencies that ship with the package are edges;
development-only ones (npm devDependencies, PEP 735 dependency groups) are not
part of what a registry user installs, so they neither order publishing nor
propagate versions. Edges never cross ecosystems (seed §6).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package


def ships_with_package(dep: Dependency) -> bool:
    return dep.kind != "dev" and not dep.kind.startswith("group:")


@dataclass
class Graph:
    nodes: dict[str, Package]  # id -> package, in discovery order
    deps: dict[str, list[str]]  # id -> ids it depends on
    rdeps: dict[str, list[str]]  # id -> ids that depend on it

    def __contains__(self, package_id: str) -> bool:
        return package_id in self.nodes


def build_graph(packages: Iterable[Package]) -> Graph:
    nodes = {p.id: p for p in packages}
    deps: dict[str, list[str]] = {pid: [] for pid in nodes}
    rdeps: dict[str, list[str]] = {pid: [] for pid in nodes}
    for pid, package in nodes.items():
        for dep in package.internal_dependencies:
            target = f"{package.label}/{dep.name}"
            if (
                target in nodes
                and target != pid
                and ships_with_package(dep)
                and target not in deps[pid]
            ):
                deps[pid].append(target)
                rdeps[target].append(pid)
    return Graph(nodes, deps, rdeps)


def self_dependencies(packages: Iterable[Package]) -> list[Package]:
    """Packages that list themselves as a plain dependency.

    An extra that pulls in other extras of the same package (``foo[all]`` ->
    ``foo[a,b]``) is a legitimate idiom, so optional dependencies do not count.
    """
    return [
        p
        for p in packages
        if any(
            d.name == p.name and not d.kind.startswith("optional") for d in p.internal_dependencies
        )
    ]


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle path per strongly connected component with more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in graph.nodes:
        if start in index:
            continue
        # Iterative Tarjan: deep chains of thousands of packages must not hit the recursion limit.
        work = [(start, iter(graph.deps[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child == node:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.deps[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(_cycle_path(graph, set(component)))
    return components


def _cycle_path(graph: Graph, component: set[str]) -> list[str]:
    """A concrete cycle a → b → … → a through one strongly connected component."""
    start = min(component)
    # BFS from start back to start, staying inside the component.
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in graph.deps[node]:
            if child not in component:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if child not in parents:
                parents[child] = node
                queue.append(child)
    return sorted(component)


def assert_valid(graph: Graph) -> None:
    """Raise the first structural error: a self-dependency, then a cycle."""
    for package in self_dependencies(graph.nodes.values()):
        raise RKError(
            "RK-GRAPH-SELF-DEP",
            f"{package.id} depends on itself",
            path=package.manifest,
            fix=f"remove `{package.name}` from the dependencies in {package.manifest.name}",
        )
    for cycle in find_cycles(graph):
        first = graph.nodes[cycle[0]]
        raise RKError(
            "RK-GRAPH-CYCLE",
            "dependency cycle: " + " → ".join(cycle),
            path=first.manifest,
        )


def levels(graph: Graph) -> list[list[str]]:
    """Topological levels (Kahn): level 0 has no internal deps; the graph must be acyclic."""
    remaining = {pid: len(d) for pid, d in graph.deps.items()}
    current = [pid for pid, n in remaining.items() if n == 0]
    result: list[list[str]] = []
    while current:
        result.append(current)
        following = []
        for pid in current:
            for dependent in graph.rdeps[pid]:
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    following.append(dependent)
        current = following
    return result


def level_of(graph: Graph) -> dict[str, int]:
    return {pid: n for n, ids in enumerate(levels(graph)) for pid in ids}


def _closure(edges: dict[str, list[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        node = queue.popleft()
        for nxt in edges[node]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def dependencies_of(graph: Graph, ids: Iterable[str]) -> set[str]:
    """Everything the given packages depend on, transitively (not themselves)."""
    return _closure(graph.deps, ids)


def dependents_of(graph: Graph, ids: Iterable[str]) -> set[str]:
    """Every transitive reverse dependency of the given packages (not themselves)."""
    return _closure(graph.rdeps, ids)


def release_trees(graph: Graph) -> list[list[str]]:
    """Connected components (ignoring edge direction): the independent release trees."""
    undirected = {pid: graph.deps[pid] + graph.rdeps[pid] for pid in graph.nodes}
    seen: set[str] = set()
    trees = []
    for pid in graph.nodes:
        if pid in seen:
            continue
        tree = {pid} | _closure(undirected, [pid])
        seen |= tree
        trees.append([p for p in graph.nodes if p in tree])
    return trees


@dataclass(frozen=True)
class Selection:
    """What the user asked for: empty tuples mean everything."""

    groups: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()

    @property
    def is_everything(self) -> bool:
        return not (self.groups or self.packages or self.ecosystems)


def resolve_package(graph: Graph, name: str) -> str:
    """A package id from an id (`py/genkit`) or an unambiguous bare name."""
    if name in graph.nodes:
        return name
    matches = [pid for pid, p in graph.nodes.items() if name in (p.name, pid.split("/", 1)[1])]
    if len(matches) == 1:
        return matches[0]
    hint = f"ambiguous: {', '.join(matches)}" if matches else "no such package"
    raise RKError("RK-PACKAGE-UNKNOWN", f"`{name}`: {hint}")


def select(graph: Graph, selection: Selection) -> tuple[set[str], set[str]]:
    """(chosen ids, ids pulled in because a chosen package depends on them).

    Filters combine with AND; a group filter keeps only packages labelled with
    one of the groups (unlabelled packages are only in unfiltered runs).
    """
    if selection.is_everything:
        return set(graph.nodes), set()
    chosen = set(graph.nodes)
    if selection.groups:
        known = {p.group for p in graph.nodes.values() if p.group}
        unknown = [g for g in selection.groups if g not in known]
        if unknown:
            raise RKError(
                "RK-GROUP-UNKNOWN",
                f"no package has group {', '.join(unknown)}; groups: {', '.join(sorted(known)) or '(none)'}",
            )
        chosen = {pid for pid in chosen if graph.nodes[pid].group in selection.groups}
    if selection.ecosystems:
        known = {p.label for p in graph.nodes.values()} | {
            p.ecosystem for p in graph.nodes.values()
        }
        unknown = [e for e in selection.ecosystems if e not in known]
        if unknown:
            raise RKError(
                "RK-OPTION-INVALID",
                f"no ecosystem {', '.join(unknown)}; ecosystems: {', '.join(sorted(known))}",
                fix="select an ecosystem label or kind from releasekit.toml",
            )
        chosen = {
            pid
            for pid in chosen
            if graph.nodes[pid].label in selection.ecosystems
            or graph.nodes[pid].ecosystem in selection.ecosystems
        }
    if selection.packages:
        chosen &= {resolve_package(graph, name) for name in selection.packages}
    pulled = dependencies_of(graph, chosen) - chosen
    return chosen, pulled


def subgraph(graph: Graph, ids: set[str]) -> Graph:
    nodes = {pid: p for pid, p in graph.nodes.items() if pid in ids}
    return Graph(
        nodes,
        {pid: [d for d in graph.deps[pid] if d in ids] for pid in nodes},
        {pid: [d for d in graph.rdeps[pid] if d in ids] for pid in nodes},
    )
