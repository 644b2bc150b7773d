"""Unit tests of issue 11's pieces: soft edges, release units, tag templates, selection lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit_tasks import rules, tagformat
from releasekit_tasks.adopt import Member, infer
from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import (
    Selection,
    build_graph,
    find_cycles,
    levels,
    release_units,
    select,
    soft_cycles,
)
from releasekit_tasks.model import Dependency, Package


def pkg(eco: str, name: str, *deps: tuple[str, str], unit: str = "") -> Package:
    return Package(
        ecosystem=eco,
        label={"uv": "py", "pnpm": "js", "go": "go"}[eco],
        name=name,
        version="1.0.0" if eco != "go" else "v1.0.0",
        path=Path(f"/r/{name}"),
        manifest=Path(f"/r/{name}/m"),
        dependencies=[Dependency(d, "", kind, internal=True) for d, kind in deps],
        unit=unit,
    )


def test_extras_and_peers_are_soft_edges_never_cycles() -> None:
    graph = build_graph(
        [
            pkg("uv", "genkit", ("flask", "optional:flask")),
            pkg("uv", "flask", ("genkit", "runtime")),
            pkg("pnpm", "core"),
            pkg("pnpm", "plugin", ("core", "peer"), ("core", "dev")),
            pkg("pnpm", "opt", ("plugin", "optional")),
        ]
    )
    assert graph.deps["py/genkit"] == [] and graph.soft["py/genkit"] == ["py/flask"]
    assert graph.deps["js/plugin"] == [] and graph.soft["js/plugin"] == ["js/core"]
    assert graph.soft["js/opt"] == ["js/plugin"]
    assert find_cycles(graph) == []
    assert soft_cycles(graph) == [["py/flask", "py/genkit", "py/flask"]]
    assert levels(graph)[0][:1] == ["py/genkit"]


def test_a_go_cycle_is_one_release_unit_at_one_level() -> None:
    graph = build_graph(
        [
            pkg("go", "otel", ("otel/metric", "require")),
            pkg("go", "otel/metric", ("otel", "require")),
            pkg("go", "sdk", ("otel", "require")),
        ]
    )
    assert find_cycles(graph) == []
    assert release_units(graph) == [("go/otel", "go/otel/metric")]
    assert levels(graph) == [["go/otel", "go/otel/metric"], ["go/sdk"]]
    # selecting one member brings the unit
    chosen, pulled = select(graph, Selection(packages=("go/otel",)))
    assert chosen == {"go/otel"} and pulled == {"go/otel/metric"}


def test_a_uv_cycle_stays_an_error() -> None:
    graph = build_graph([pkg("uv", "a", ("b", "runtime")), pkg("uv", "b", ("a", "runtime"))])
    assert find_cycles(graph) == [["py/a", "py/b", "py/a"]]
    assert release_units(graph) == []


def test_configured_units_merge_with_cycles() -> None:
    graph = build_graph(
        [pkg("pnpm", "core", unit="js#0"), pkg("pnpm", "react", ("core", "runtime"), unit="js#0")]
    )
    assert release_units(graph) == [("js/core", "js/react")]
    assert levels(graph) == [["js/core", "js/react"]]


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{name}-v{verison}", "unknown placeholder {verison}"),
        ("{name-v{version}", "unbalanced"),
        ("{name}", "needs {version} exactly once"),
        ("{version}-{version}", "needs {version} exactly once"),
        ("{name}:{version}", "valid git tag name"),
        ("{version!r}", "no format spec"),
    ],
)
def test_bad_tag_templates_are_coded(template: str, problem: str) -> None:
    with pytest.raises(RKError) as info:
        tagformat.check_template(template, key="tag_format")
    assert info.value.code == "RK-CONFIG-TAG-FORMAT"
    assert problem in info.value.message


def test_tag_templates_render_and_match() -> None:
    fields = {"name": "@genkit-ai/core", "label": "js", "dir": "js/core"}
    for template, tag in [
        ("{name}@{version}", "@genkit-ai/core@1.2.0"),
        ("{label}/{name}-v{version}", "js/@genkit-ai/core-v1.2.0"),
        ("{short}-v{version}", "core-v1.2.0"),
        ("{dir}/v{version}", "js/core/v1.2.0"),
    ]:
        tagformat.check_template(template, key="tag_format")
        assert tagformat.render(template, version="1.2.0", **fields) == tag
        before, after = tagformat.affixes(template, **fields)
        assert tagformat.version_of(tag, before, after) == "1.2.0"
    with pytest.raises(RKError):
        tagformat.check_template(
            "{name}/v{version}", key="umbrella_tag", allowed=tagformat.UMBRELLA_FIELDS
        )


def test_selection_entries() -> None:
    assert rules.matches("genkit-plugin-*", "genkit-plugin-flask")
    assert not rules.matches("genkit", "genkit-plugin-flask")
    assert rules.matches("group:samples", "x", ["samples"])
    assert rules.first_match(["a", "group:g", "b*"], "bee", ["h"]) == "b*"
    assert rules.groups_of("provider-x", {"samples": ["provider-*"], "core": ["genkit"]}) == [
        "samples"
    ]


def test_inference_finds_the_conventions_and_the_umbrella() -> None:
    members = [Member("genkit", "0.6.0", "py/packages/genkit"), Member("plugin", "0.6.0", "py/p")]
    tags = ["py/genkit-v0.5.0", "py/genkit-v0.6.0", "py/v0.6.0", "py/v0.5.0", "genkit@1.2.0"]
    result = infer("py", members, tags, lambda v: v[:1].isdigit())
    assert result.tag_format and result.tag_format.template == "{label}/{name}-v{version}"
    assert result.tag_format.example == "py/genkit-v0.6.0"
    assert result.umbrella_tag and result.umbrella_tag.template == "{label}/v{version}"
    assert result.untagged == ["plugin"]
    assert result.synchronize  # one version, and an umbrella tag at it
