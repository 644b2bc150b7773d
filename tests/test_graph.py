from pathlib import Path

import pytest

from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import (
    Selection,
    assert_valid,
    build_graph,
    dependencies_of,
    dependents_of,
    find_cycles,
    levels,
    release_trees,
    select,
)
from releasekit_tasks.model import Dependency, Package


def pkg(
    name: str, *deps: str, label: str = "py", group: str | None = None, kind: str = "runtime"
) -> Package:
    return Package(
        ecosystem="uv",
        label=label,
        name=name,
        version="1.0.0",
        path=Path("/ws") / name,
        manifest=Path("/ws") / name / "pyproject.toml",
        group=group,
        dependencies=[Dependency(d, d, kind, internal=True) for d in deps],
    )


def test_levels_follow_internal_edges_only() -> None:
    external = Package(
        "uv",
        "py",
        "app",
        "1.0",
        Path("/a"),
        Path("/a/p"),
        dependencies=[Dependency("core", "core==0.1", "runtime", internal=False)],
    )
    graph = build_graph(
        [pkg("core"), pkg("plugin", "core"), pkg("sample", "plugin", "core"), external]
    )
    assert levels(graph) == [["py/core", "py/app"], ["py/plugin"], ["py/sample"]]


def test_dev_only_dependencies_are_not_edges() -> None:
    graph = build_graph([pkg("a", "b", kind="dev"), pkg("b", "a")])
    assert graph.deps["py/a"] == []
    assert find_cycles(graph) == []


def test_cycle_reported_with_full_path() -> None:
    graph = build_graph([pkg("a", "b"), pkg("b", "c"), pkg("c", "a"), pkg("d", "a")])
    cycles = find_cycles(graph)
    assert cycles == [["py/a", "py/b", "py/c", "py/a"]]
    with pytest.raises(RKError) as err:
        assert_valid(graph)
    assert err.value.code == "RK-GRAPH-CYCLE"
    assert "py/a → py/b → py/c → py/a" in err.value.message


def test_self_dependency_is_its_own_error() -> None:
    graph = build_graph([pkg("flask-plugin", "flask-plugin")])
    with pytest.raises(RKError) as err:
        assert_valid(graph)
    assert err.value.code == "RK-GRAPH-SELF-DEP"


def test_closures_and_release_trees() -> None:
    graph = build_graph(
        [
            pkg("core"),
            pkg("a", "core"),
            pkg("b", "a"),
            pkg("tool-x"),
            pkg("tool-y", "tool-x"),
            pkg("lone"),
        ]
    )
    assert dependents_of(graph, ["py/core"]) == {"py/a", "py/b"}
    assert dependencies_of(graph, ["py/b"]) == {"py/a", "py/core"}
    assert release_trees(graph) == [
        ["py/core", "py/a", "py/b"],
        ["py/tool-x", "py/tool-y"],
        ["py/lone"],
    ]


def test_edges_never_cross_ecosystems() -> None:
    graph = build_graph(
        [pkg("core", label="py"), pkg("core", label="js"), pkg("app", "core", label="js")]
    )
    assert graph.deps["js/app"] == ["js/core"]
    assert graph.rdeps["py/core"] == []


def test_group_selection_pulls_in_dependencies() -> None:
    graph = build_graph(
        [pkg("core"), pkg("plugin", "core", group="plugins"), pkg("other", group="misc")]
    )
    chosen, pulled = select(graph, Selection(groups=("plugins",)))
    assert chosen == {"py/plugin"}
    assert pulled == {"py/core"}


def test_unknown_group_and_package() -> None:
    graph = build_graph([pkg("core", group="core")])
    with pytest.raises(RKError) as err:
        select(graph, Selection(groups=("nope",)))
    assert err.value.code == "RK-GROUP-UNKNOWN"
    assert "core" in err.value.message
    with pytest.raises(RKError) as err:
        select(graph, Selection(packages=("missing",)))
    assert err.value.code == "RK-PACKAGE-UNKNOWN"


def test_deep_chain_does_not_recurse() -> None:
    chain = [pkg("p0")] + [pkg(f"p{i}", f"p{i - 1}") for i in range(1, 5000)]
    graph = build_graph(chain)
    assert len(levels(graph)) == 5000
    assert find_cycles(graph) == []
