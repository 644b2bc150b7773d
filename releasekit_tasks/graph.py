"""The release graph: packages as nodes, internal dependencies as edges.

Only workspace-sourced dependencies that ship with the package are edges;
development-only ones (npm devDependencies, PEP 735 dependency groups) are not
part of what a registry user installs, so they neither order publishing nor
propagate versions. Edges never cross ecosystems (seed §6).

Hard edges (uv ``[project].dependencies``, pnpm ``dependencies``, Go
``require``) order publishing and propagate versions. Soft edges (uv extras,
pnpm ``peerDependencies``/``optionalDependencies``) only get pinned at build and
rewritten at bump: they never order and never make a cycle. A cycle of hard
edges that the ecosystem allows (Go modules requiring each other) is a release
unit: its members share a level and are released together. Any other cycle is
an error.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from releasekit_tasks.ecosystems import allows_cycles, get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package


def ships_with_package(dep: Dependency) -> bool:
    """True unless the dependency is development-only (never installed with the package)."""
    return dep.kind != "dev" and not dep.kind.startswith("group:")


HARD, SOFT = "hard", "soft"


def edge_kind(package: Package, dep: Dependency) -> str | None:
    """``hard`` (orders and propagates), ``soft`` (pinned and rewritten only) or None.

    The ecosystem names its soft kinds (``soft_kinds``; a trailing ``:`` matches a
    prefix): uv extras, pnpm peer and optional dependencies.
    """
    if not ships_with_package(dep):
        return None
    for kind in get_ecosystem(package.ecosystem).soft_kinds:
        if dep.kind == kind or (kind.endswith(":") and dep.kind.startswith(kind)):
            return SOFT
    return HARD


@dataclass
class Graph:
    nodes: dict[str, Package]  # id -> package, in discovery order
    deps: dict[str, list[str]]  # id -> ids it depends on (hard edges)
    rdeps: dict[str, list[str]]  # id -> ids that depend on it (hard edges)
    # id -> ids it names as an extra / peer / optional dependency (soft edges)
    soft: dict[str, list[str]] = field(default_factory=dict)
    # id -> every member of its release unit (a cycle its ecosystem allows); absent: alone
    units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # cycles the ecosystem cannot release (errors), one path per strongly connected component
    cycles: list[list[str]] = field(default_factory=list)
    # id -> the members released at its level: its unit, merged with the units it forms a
    # cycle with (opentelemetry-go's module sets require each other); absent: alone
    tiers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __contains__(self, package_id: str) -> bool:
        return package_id in self.nodes

    def unit_of(self, package_id: str) -> tuple[str, ...]:
        return self.units.get(package_id, (package_id,))

    def same_unit(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` are released at one level, neither waiting for the other."""
        return a == b or b in self.tiers.get(a, ())

    def tier_of(self, package_id: str) -> tuple[str, ...]:
        return self.tiers.get(package_id, (package_id,))


def build_graph(packages: Iterable[Package]) -> Graph:
    nodes = {p.id: p for p in packages}
    deps: dict[str, list[str]] = {pid: [] for pid in nodes}
    rdeps: dict[str, list[str]] = {pid: [] for pid in nodes}
    soft: dict[str, list[str]] = {pid: [] for pid in nodes}
    for pid, package in nodes.items():
        for dep in package.internal_dependencies:
            target = f"{package.label}/{dep.name}"
            if target not in nodes or target == pid:
                continue
            kind = edge_kind(package, dep)
            if kind == HARD and target not in deps[pid]:
                deps[pid].append(target)
                rdeps[target].append(pid)
    for pid, package in nodes.items():
        for dep in package.internal_dependencies:
            target = f"{package.label}/{dep.name}"
            if (
                target in nodes
                and target != pid
                and edge_kind(package, dep) == SOFT
                and target not in deps[pid]
                and target not in soft[pid]
            ):
                soft[pid].append(target)
    graph = Graph(nodes, deps, rdeps, soft)
    groups: list[set[str]] = []
    for component in strongly_connected(nodes, deps):
        members = [nodes[m] for m in component]
        if (
            all(allows_cycles(m.ecosystem) for m in members)
            and len({m.label for m in members}) == 1
        ):
            groups.append(set(component))
        else:
            graph.cycles.append(_cycle_path(deps, set(component)))
    configured: dict[str, set[str]] = {}
    for pid, package in nodes.items():
        if package.unit:
            configured.setdefault(package.unit, set()).add(pid)
    groups += [ids for ids in configured.values() if len(ids) > 1]
    merged = _merge_overlapping(groups)
    for ids in merged:
        unit = tuple(pid for pid in nodes if pid in ids)
        for pid in unit:
            graph.units[pid] = unit
    # Units may require each other in turn: such a loop of units shares one level.
    rep = {pid: graph.units.get(pid, (pid,))[0] for pid in nodes}
    condensed: dict[str, list[str]] = {r: [] for r in set(rep.values())}
    for pid, ds in deps.items():
        for d in ds:
            if rep[d] != rep[pid] and rep[d] not in condensed[rep[pid]]:
                condensed[rep[pid]].append(rep[d])
    tiers = [set(ids) for ids in merged]
    for loop in strongly_connected(sorted(condensed), condensed):
        looped = {pid for pid in nodes if rep[pid] in loop}
        if not any(pid in graph.units for pid in looped):
            continue  # a plain cycle: reported above
        if all(allows_cycles(nodes[m].ecosystem) for m in looped):
            tiers.append(looped)
        else:
            graph.cycles.append(_cycle_path(deps, looped))
    for ids in _merge_overlapping(tiers):
        tier = tuple(pid for pid in nodes if pid in ids)
        for pid in tier:
            graph.tiers[pid] = tier
    return graph


def _merge_overlapping(groups: list[set[str]]) -> list[set[str]]:
    merged: list[set[str]] = []
    for group in groups:
        joined = set(group)
        for other in [m for m in merged if m & joined]:
            merged.remove(other)
            joined |= other
        merged.append(joined)
    return merged


def self_dependencies(packages: Iterable[Package]) -> list[Package]:
    """Packages that list themselves as a plain dependency.

    An extra that pulls in other extras of the same package (``foo[all]`` ->
    ``foo[a,b]``) is a legitimate idiom, so optional dependencies do not count;
    nor do development-only ones, which never ship (pnpm's own repository lists
    ``@pnpm-private/updater`` in its own devDependencies, and pnpm accepts it).
    """
    return [
        p
        for p in packages
        if any(
            d.name == p.name and not d.kind.startswith("optional") and ships_with_package(d)
            for d in p.internal_dependencies
        )
    ]


def find_cycles(graph: Graph) -> list[list[str]]:
    """The cycles that are errors: one path per strongly connected component that its
    ecosystem cannot release (release units are not errors)."""
    return graph.cycles


def release_units(graph: Graph) -> list[tuple[str, ...]]:
    """Each release unit once, in discovery order."""
    seen: set[tuple[str, ...]] = set()
    result = []
    for unit in graph.units.values():
        if unit not in seen:
            seen.add(unit)
            result.append(unit)
    return result


def soft_cycles(graph: Graph) -> list[list[str]]:
    """Loops that exist only through soft edges (information: they order nothing)."""
    both = {pid: graph.deps[pid] + graph.soft.get(pid, []) for pid in graph.nodes}
    hard = {frozenset(c) for c in strongly_connected(graph.nodes, graph.deps)}
    return [
        _cycle_path(both, set(component))
        for component in strongly_connected(graph.nodes, both)
        if frozenset(component) not in hard
    ]


def strongly_connected(nodes: Iterable[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        # Iterative Tarjan: deep chains of thousands of packages must not hit the recursion limit.
        work = [(start, iter(edges[start]))]
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
                    work.append((child, iter(edges[child])))
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
                    components.append(component)
    return components


def _cycle_path(edges: dict[str, list[str]], component: set[str]) -> list[str]:
    """A concrete cycle a → b → … → a through one strongly connected component."""
    start = min(component)
    # BFS from start back to start, staying inside the component.
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in edges[node]:
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
    """Topological levels (Kahn): level 0 has no internal deps.

    A release unit is one node: all its members share a level. Members of a
    cycle that is an error are left out (``assert_valid`` reports it first).
    """
    rep = {pid: graph.tier_of(pid)[0] for pid in graph.nodes}
    out: dict[str, set[str]] = {}
    remaining: dict[str, int] = {}
    for pid in graph.nodes:
        r = rep[pid]
        remaining.setdefault(r, 0)
        out.setdefault(r, set())
    wanted: dict[str, set[str]] = {r: set() for r in remaining}
    for pid, ds in graph.deps.items():
        for d in ds:
            if rep[d] != rep[pid]:
                wanted[rep[pid]].add(rep[d])
    for r, needed in wanted.items():
        remaining[r] = len(needed)
        for d in needed:
            out[d].add(r)
    current = [r for r, n in remaining.items() if n == 0]
    result: list[list[str]] = []
    while current:
        result.append(current)
        following = []
        for r in current:
            for dependent in out[r]:
                remaining[dependent] -= 1
                if remaining[dependent] == 0:
                    following.append(dependent)
        current = following
    position = {r: n for n, rs in enumerate(result) for r in rs}
    expanded: list[list[str]] = [[] for _ in result]
    for pid in graph.nodes:
        if rep[pid] in position:
            expanded[position[rep[pid]]].append(pid)
    return expanded


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
        known = {g for p in graph.nodes.values() for g in _groups(p)}
        unknown = [g for g in selection.groups if g not in known]
        if unknown:
            raise RKError(
                "RK-GROUP-UNKNOWN",
                f"no package has group {', '.join(unknown)}; groups: {', '.join(sorted(known)) or '(none)'}",
            )
        wanted = set(selection.groups)
        chosen = {pid for pid in chosen if wanted & set(_groups(graph.nodes[pid]))}
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
    pulled = dependencies_of(graph, chosen) | {m for pid in chosen for m in graph.unit_of(pid)}
    return chosen, pulled - chosen


def _groups(package: Package) -> tuple[str, ...]:
    return package.groups or ((package.group,) if package.group else ())


def subgraph(graph: Graph, ids: set[str]) -> Graph:
    nodes = {pid: p for pid, p in graph.nodes.items() if pid in ids}
    return Graph(
        nodes,
        {pid: [d for d in graph.deps[pid] if d in ids] for pid in nodes},
        {pid: [d for d in graph.rdeps[pid] if d in ids] for pid in nodes},
        {pid: [d for d in graph.soft.get(pid, []) if d in ids] for pid in nodes},
        {
            pid: tuple(m for m in unit if m in ids)
            for pid, unit in graph.units.items()
            if pid in ids
        },
        [c for c in graph.cycles if all(pid in ids for pid in c)],
        {
            pid: tuple(m for m in tier if m in ids)
            for pid, tier in graph.tiers.items()
            if pid in ids
        },
    )
