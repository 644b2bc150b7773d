"""`doit list/plan/graph/explain` as a user runs them: real doit processes in a polyglot repo.

The repository is tests.repos.polyglot (uv, pnpm, Go with go.work, Go without
it): its expected plan below was worked out from the manifests, not copied
from an output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.publishing import doit
from tests.repos.common import snapshot, write
from tests.repos.polyglot import polyglot_repo, without_doit_db

PY, JS, GO, GOX = "py/", "js/", "go/example.com/poly/go/", "gox/example.com/poly/gox/"
PYPI, NPM, PROXY = (
    "https://pypi.org/simple/",
    "https://registry.npmjs.org/",
    "https://proxy.golang.org/",
)
NO_VERSION = "no version yet: run `doit prepare` or tag the package"
PULLED = "a selected package depends on it"
NO_DOT = (
    "module path gox/hello has no dot in its first element (gox), "
    "so the go command cannot download it"
)

# id -> (name, ecosystem, label, version, level, status, reason, group, registry, deps)
EXPECTED: dict[str, tuple] = {
    PY + "a-core": ("a-core", "uv", "py", "1.0.0", 0, "publishable", "", "core", PYPI, []),
    PY + "a-http": ("a-http", "uv", "py", "1.1.0", 1, "publishable", "", None, PYPI, [PY + "a-core"]),
    PY + "a-cli": (
        "a-cli", "uv", "py", "0.5.0", 2, "publishable", "", "apps", PYPI,
        [PY + "a-http", PY + "a-core"],
    ),
    PY + "b-util": ("b-util", "uv", "py", "2.0.0", 0, "publishable", "", None, PYPI, []),
    PY + "b-app": ("b-app", "uv", "py", "0.1.0", 1, "publishable", "", None, PYPI, [PY + "b-util"]),
    # Requires a-core==1.0.0 without a workspace source: external, so no edge.
    PY + "c-pinned": ("c-pinned", "uv", "py", "0.2.0", 0, "publishable", "", None, PYPI, []),
    PY + "z-private": (
        "z-private", "uv", "py", "0.0.1", 3, "private", "classifier Private :: Do Not Upload",
        None, PYPI, [PY + "a-cli"],
    ),
    JS + "@poly/core": ("@poly/core", "pnpm", "js", "1.0.0", 0, "publishable", "", "core", NPM, []),
    JS + "@poly/web": (
        "@poly/web", "pnpm", "js", "1.2.0", 1, "publishable", "", None,
        "https://npm.example.com/", [JS + "@poly/core"],
    ),
    JS + "@poly/tools": (
        "@poly/tools", "pnpm", "js", "0.1.0", 0, "private", "package.json private: true",
        None, NPM, [],
    ),
    JS + "@poly/legacy": (
        "@poly/legacy", "pnpm", "js", "0.9.0", 0, "private",
        "releasekit.toml: publishable = false", None, NPM, [],
    ),
    GO + "core": ("example.com/poly/go/core", "go", "go", "v1.4.0", 0, "publishable", "", "core", PROXY, []),
    GO + "plugins/http": (
        "example.com/poly/go/plugins/http", "go", "go", "v0.2.0", 1, "publishable", "", None,
        PROXY, [GO + "core"],
    ),
    GOX + "lib": ("example.com/poly/gox/lib", "go", "gox", "v1.10.0", 0, "publishable", "", None, PROXY, []),
    GOX + "tool": (
        "example.com/poly/gox/tool", "go", "gox", "v0.3.0-rc.1", 1, "publishable", "", None,
        PROXY, [GOX + "lib"],
    ),
    GOX + "nested/deep": (
        "example.com/poly/gox/nested/deep", "go", "gox", None, 0, "publishable", NO_VERSION,
        None, PROXY, [],
    ),
    GOX + "pinned": (
        "example.com/poly/gox/pinned", "go", "gox", None, 0, "publishable", NO_VERSION, None,
        PROXY, [],
    ),
    "gox/gox/hello": ("gox/hello", "go", "gox", None, 1, "private", NO_DOT, None, PROXY, [GOX + "lib"]),
}  # fmt: skip
TREES = {
    frozenset({PY + "a-core", PY + "a-http", PY + "a-cli", PY + "z-private"}),
    frozenset({PY + "b-util", PY + "b-app"}),  # a-core's dev group on b-util is no edge
    frozenset({PY + "c-pinned"}),
    frozenset({JS + "@poly/core", JS + "@poly/web"}),
    frozenset({JS + "@poly/tools"}),  # web's devDependency is no edge
    frozenset({JS + "@poly/legacy"}),
    frozenset({GO + "core", GO + "plugins/http"}),
    frozenset({GOX + "lib", GOX + "tool", "gox/gox/hello"}),
    frozenset({GOX + "nested/deep"}),
    frozenset({GOX + "pinned"}),
}
EDGES = {(pid, dep) for pid, row in EXPECTED.items() for dep in row[-1]}
# Packages `doit publish` releases: publishable, with a version.
RELEASED = {pid for pid, row in EXPECTED.items() if row[5] == "publishable" and row[3]}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return polyglot_repo(tmp_path_factory.mktemp("polyglot") / "repo")


@pytest.fixture(scope="module")
def repo(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy for read-only commands (doit's state file may appear in it)."""
    return Path(shutil.copytree(template, tmp_path_factory.mktemp("ro") / "repo", symlinks=True))


@pytest.fixture
def fresh(template: Path, tmp_path: Path) -> Path:
    """A copy of its own for a test that breaks a file."""
    return Path(shutil.copytree(template, tmp_path / "repo", symlinks=True))


def plan_json(root: Path, *args: str) -> list[dict]:
    result = doit(root, "plan", "--format", "json", *args)
    return json.loads(result.stdout)  # the whole of stdout: no doit title line


# --- doit list -------------------------------------------------------------------------


def test_list_all_has_the_info_tasks_and_four_steps_per_released_package(repo: Path) -> None:
    before = without_doit_db(snapshot(repo))
    out = doit(repo, "list", "--all").stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"plan", "graph", "check", "explain", "query", "preflight", "install:js"} <= names
    for step in ("build", "upload", "verify", "publish"):
        assert step in names
        listed = {n.split(":", 1)[1] for n in names if n.startswith(step + ":")}
        # None for private packages nor for ones without a version yet.
        assert listed == RELEASED, step
    assert "publish:py/a-cli" in out and "waits for py/a-http, py/a-core" in out
    assert without_doit_db(snapshot(repo)) == before


# --- doit plan -------------------------------------------------------------------------


def test_plan_json_rows(repo: Path) -> None:
    rows = plan_json(repo)
    got = {
        r["id"]: (
            r["name"], r["ecosystem"], r["label"], r["version"], r["level"], r["status"],
            r["reason"], r["group"], r["registry"], r["deps"],
        )
        for r in rows
    }  # fmt: skip
    assert got == EXPECTED
    assert len(rows) == len(EXPECTED)
    # Release trees: one number per connected component, different across components.
    trees: dict[int, set[str]] = {}
    for r in rows:
        trees.setdefault(r["tree"], set()).add(r["id"])
    assert {frozenset(ids) for ids in trees.values()} == TREES
    # Publish order: 1..n, by level, every dependency before its dependents.
    assert [r["order"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["level"] for r in rows] == sorted(r["level"] for r in rows)
    position = {r["id"]: r["order"] for r in rows}
    assert all(position[dep] < position[pid] for pid, dep in EDGES)


def test_plan_csv_parses(repo: Path) -> None:
    out = doit(repo, "plan", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["id"]: r["status"] for r in rows} == {pid: row[5] for pid, row in EXPECTED.items()}
    by_id = {r["id"]: r for r in rows}
    assert by_id[PY + "a-cli"]["deps"].split() == [PY + "a-http", PY + "a-core"]
    assert by_id[GOX + "nested/deep"]["version"] == ""
    assert by_id[GOX + "nested/deep"]["reason"] == NO_VERSION
    assert by_id[GOX + "tool"]["version"] == "v0.3.0-rc.1"


def test_plan_table_has_a_row_per_package(repo: Path) -> None:
    out = doit(repo, "plan").stdout  # table is the default format
    assert out.startswith("release plan")
    rows = [line for line in out.splitlines() if re.match(r"│ \d+ ", line)]
    assert len(rows) == len(EXPECTED)
    for pid, (_name, eco, _label, version, level, status, *_rest) in EXPECTED.items():
        row = next(line for line in rows if f" {pid} " in line)
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[1:7] == [str(level), pid, eco, version or "—", EXPECTED[pid][8], status]
    assert "14 publishable, 4 private" in out


@pytest.mark.parametrize(
    ("args", "chosen"),
    [
        (["--group", "apps"], {PY + "a-cli"}),
        (["--group", "apps", "--group", "core"], {PY + "a-cli", PY + "a-core", JS + "@poly/core", GO + "core"}),
        (["--group", "core", "--ecosystem", "py"], {PY + "a-core"}),
        (["--package", "js/@poly/web"], {JS + "@poly/web"}),
        (["--package", "a-http", "--package", "example.com/poly/gox/tool"], {PY + "a-http", GOX + "tool"}),
        (["--package", "z-private"], {PY + "z-private"}),
        (["--ecosystem", "gox"], {pid for pid, row in EXPECTED.items() if row[2] == "gox"}),
        (["--ecosystem", "pnpm"], {pid for pid, row in EXPECTED.items() if row[1] == "pnpm"}),
        (["--ecosystem", "go"], {pid for pid, row in EXPECTED.items() if row[1] == "go"}),
    ],
    ids=["group", "two-groups", "group-and-ecosystem", "package-id", "bare-names",
         "private-package", "ecosystem-label", "ecosystem-kind", "label-and-kind"],
)  # fmt: skip
def test_plan_selection(repo: Path, args: list[str], chosen: set[str]) -> None:
    rows = {r["id"]: r for r in plan_json(repo, *args)}
    assert rows.keys() == EXPECTED.keys()  # the plan always shows every package
    needed = _dependencies_of(chosen) - chosen
    for pid, row in rows.items():
        status, reason = EXPECTED[pid][5], EXPECTED[pid][6]
        if pid in needed and status == "publishable":
            assert (row["status"], row["reason"]) == ("publishable", PULLED), pid
        elif pid in chosen | needed:
            assert (row["status"], row["reason"]) == (status, reason), pid
        else:
            assert (row["status"], row["reason"]) == ("excluded", "not in the selection"), pid


def _dependencies_of(ids: set[str]) -> set[str]:
    found: set[str] = set()
    todo = list(ids)
    while todo:
        for dep in EXPECTED[todo.pop()][-1]:
            if dep not in found:
                found.add(dep)
                todo.append(dep)
    return found


# --- doit graph ------------------------------------------------------------------------


def _parse_levels(out: str) -> set[tuple[str, str]]:
    """Levels carry no edges: check the levels and versions, and that every edge points down."""
    level, nodes = -1, {}
    for line in out.splitlines():
        if m := re.fullmatch(r"level (\d+):", line):
            level = int(m.group(1))
        else:
            pid, version = line.strip().rsplit(" ", 1)
            nodes[pid] = (level, version)
    assert nodes == {pid: (row[4], row[3] or "?") for pid, row in EXPECTED.items()}
    return {(p, d) for p in nodes for d in EXPECTED[p][-1] if nodes[d][0] < nodes[p][0]}


def _parse_ascii(out: str) -> set[tuple[str, str]]:
    """Each root with its dependents indented below it: (dependent, dependency) pairs."""
    edges: set[tuple[str, str]] = set()
    stack: list[str] = []
    expanded: list[str] = []
    for line in out.splitlines():
        text = line.lstrip(" │├└─")
        depth = (len(line) - len(text)) // 4
        pid = text.split(" ")[0]
        del stack[depth:]
        if stack:
            edges.add((pid, stack[-1]))
        stack.append(pid)
        if not text.endswith("(*)"):
            expanded.append(pid)
    assert sorted(expanded) == sorted(EXPECTED), "every package expanded exactly once"
    return edges


def _parse_dot(out: str) -> set[tuple[str, str]]:
    assert out.startswith("digraph releasekit {") and out.rstrip().endswith("}")
    nodes = set(re.findall(r'^  "([^"]+)" \[label="[^"]+"\];$', out, re.M))
    assert nodes == EXPECTED.keys()
    return set(re.findall(r'^  "([^"]+)" -> "([^"]+)";$', out, re.M))


def _parse_mermaid(out: str) -> set[tuple[str, str]]:
    assert out.startswith("flowchart LR\n")
    names = {
        n: label.rsplit(" ", 1)[0] for n, label in re.findall(r'^  (n\d+)\["(.+)"\]$', out, re.M)
    }
    assert set(names.values()) == EXPECTED.keys()
    return {(names[a], names[b]) for a, b in re.findall(r"^  (n\d+) --> (n\d+)$", out, re.M)}


def _parse_d2(out: str) -> set[tuple[str, str]]:
    nodes = set(re.findall(r'^"([^"]+)": "[^"]+"$', out, re.M))
    assert nodes == EXPECTED.keys()
    return set(re.findall(r'^"([^"]+)" -> "([^"]+)"$', out, re.M))


def _parse_json(out: str) -> set[tuple[str, str]]:
    data = json.loads(out)
    assert {pid: v["version"] for pid, v in data.items()} == {p: r[3] for p, r in EXPECTED.items()}
    return {(pid, dep) for pid, v in data.items() for dep in v["deps"]}


PARSERS: dict[str, Callable[[str], set[tuple[str, str]]]] = {
    "levels": _parse_levels,
    "ascii": _parse_ascii,
    "dot": _parse_dot,
    "mermaid": _parse_mermaid,
    "d2": _parse_d2,
    "json": _parse_json,
}


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_graph_format_has_every_edge(repo: Path, fmt: str) -> None:
    out = doit(repo, "graph", "--format", fmt).stdout
    assert PARSERS[fmt](out) == EDGES


@pytest.mark.parametrize(
    ("args", "nodes"),
    [
        (["--deps", "py/a-cli"], {PY + "a-cli", PY + "a-http", PY + "a-core"}),
        # c-pinned requires a-core from the registry: not a dependent.
        (["--rdeps", "a-core"], {PY + "a-core", PY + "a-http", PY + "a-cli", PY + "z-private"}),
        (["--rdeps", GOX + "lib"], {GOX + "lib", GOX + "tool", "gox/gox/hello"}),
    ],
)
def test_graph_focus(repo: Path, args: list[str], nodes: set[str]) -> None:
    data = json.loads(doit(repo, "graph", "--format", "json", *args).stdout)
    assert data.keys() == nodes
    assert {(p, d) for p, v in data.items() for d in v["deps"]} == {
        (p, d) for p, d in EDGES if p in nodes and d in nodes
    }


# --- doit explain ------------------------------------------------------------------------


def test_explain_prints_the_explanation(repo: Path) -> None:
    out = doit(repo, "explain", "rk-graph-cycle").stdout
    assert out.startswith("RK-GRAPH-CYCLE: internal dependencies form a cycle\n")
    assert "The message lists the full cycle." in out
    assert "fix: break the cycle" in out


def test_explain_unknown_code_suggests_close_ones(repo: Path) -> None:
    out = doit(repo, "explain", "RK-GRAPH-CYCL").stdout
    assert "unknown code RK-GRAPH-CYCL (did you mean RK-GRAPH-CYCLE" in out
    assert "RK-CONFIG-PARSE" in out  # and the list of every code


def test_explain_without_a_repository(tmp_path: Path) -> None:
    """`python -m releasekit_tasks explain` needs no releasekit.toml (bad config is when it helps)."""
    result = subprocess.run(
        [sys.executable, "-m", "releasekit_tasks", "explain", "RK-CONFIG-PARSE", "RK-CONFG-PARSE"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = result.stdout.split("\n\n", 1)[0], result.stdout.split("\n\n")[3]
    assert first == "RK-CONFIG-PARSE: releasekit.toml is not valid TOML"
    assert second.startswith("unknown code RK-CONFG-PARSE (did you mean RK-CONFIG-PARSE")
    assert list(tmp_path.iterdir()) == []


# --- bad input through doit ---------------------------------------------------------------


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))

    return mutate


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        write(root / rel, text)

    return mutate


def _delete(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


# (break the repo, extra doit arguments, code, file (relative), line or None, text in the message)
BAD_INPUT = {
    "config-toml": (
        _write("releasekit.toml", 'synchronize = false\n\n[ecosystems.py\nkind = "uv"\n'),
        [], "RK-CONFIG-PARSE", "releasekit.toml", 3, "invalid TOML",
    ),
    "config-unknown-key": (
        _replace("releasekit.toml", "synchronize = false", "synchronise = false"),
        [], "RK-CONFIG-UNKNOWN-KEY", "releasekit.toml", 1, "did you mean `synchronize`?",
    ),
    "ecosystem-unknown-key": (
        _replace("releasekit.toml", 'workspace_root = "js"', 'workspace_rot = "js"'),
        [], "RK-CONFIG-UNKNOWN-KEY", "releasekit.toml", 9, "did you mean `workspace_root`?",
    ),
    "package-config-unknown-key": (
        _write("py/packages/a-core/releasekit.toml", 'gruop = "core"\n'),
        [], "RK-CONFIG-UNKNOWN-KEY", "py/packages/a-core/releasekit.toml", 1,
        "did you mean `group`?",
    ),
    "pyproject": (
        _write("py/packages/a-http/pyproject.toml", '[project]\nname = "a-http"\nversion = \n'),
        [], "RK-MANIFEST-PARSE", "py/packages/a-http/pyproject.toml", 3, "invalid TOML",
    ),
    "package-json": (
        _write("js/packages/web/package.json", '{\n  "name": "@poly/web",\n  "version": "1.2.0",\n}\n'),
        [], "RK-MANIFEST-PARSE", "js/packages/web/package.json", 4, "invalid JSON",
    ),
    "pnpm-workspace-yaml": (
        _write("js/pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n  bad: [\n"),
        [], "RK-MANIFEST-PARSE", "js/pnpm-workspace.yaml", 3, "invalid YAML",
    ),
    "go-mod": (
        _write("gox/lib/go.mod", "module example.com/poly/gox/lib\n\ngo 1.22\n\nrequire example.com/x\n"),
        [], "RK-MANIFEST-PARSE", "gox/lib/go.mod", 5, "usage: require",
    ),
    "go-work-use": (
        _replace("go/go.work", "./core\n", "./core\n\t./gone\n"),
        [], "RK-MANIFEST-MISSING", "go/go.work", 5, "gone",
    ),
    "versions-file": (
        _write(".releasekit-versions.json", '{\n  "go/core": "one",\n  "go/plugins/http": "v0.2.0"\n}\n'),
        [], "RK-VERSION-INVALID", ".releasekit-versions.json", 2, "'one'",
    ),
    "missing-workspace-root": (
        _replace("releasekit.toml", 'workspace_root = "py"', 'workspace_root = "python"'),
        [], "RK-WORKSPACE-MISSING", "python/pyproject.toml", None, "no pyproject.toml",
    ),
    "undetectable-workspace": (
        _replace("releasekit.toml", 'kind = "pnpm"\nworkspace_root = "js"', 'workspace_root = "docs"'),
        [], "RK-WORKSPACE-MISSING", "releasekit.toml", 7, "cannot tell the ecosystem",
    ),
    "missing-config": (
        _delete("releasekit.toml"), [], "RK-CONFIG-MISSING", "releasekit.toml", None, "no releasekit.toml",
    ),
    "unknown-group": (
        lambda root: None, ["--group", "nope"], "RK-GROUP-UNKNOWN", None, None,
        "no package has group nope; groups: apps, core",
    ),
    "unknown-package": (
        lambda root: None, ["--package", "py/nope"], "RK-PACKAGE-UNKNOWN", None, None,
        "`py/nope`: no such package",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_a_coded_error_and_changes_nothing(fresh: Path, case: str) -> None:
    mutate, args, code, rel, line, text = BAD_INPUT[case]
    mutate(fresh)
    before = snapshot(fresh)
    result = doit(fresh, "plan", *args, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"error[{code}]: " in output, output
    assert text in output, output
    assert "Traceback" not in output, output
    if rel is not None:
        where = str(fresh.resolve() / rel) + (f":{line}:" if line else "")
        assert where in output, output
    # Nothing changed, and nothing new: no .releasekit/ state beyond doit's own dep file.
    assert without_doit_db(snapshot(fresh)) == without_doit_db(before)


def test_yes_no_options_read_alike_in_every_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """`push=on` passes validation, so every task must read it as yes (rollback and
    go-directive used to accept only 1/true/yes and silently did not push)."""
    from doit import doit_cmd

    from releasekit_tasks.tasks import go_directive, rollback

    monkeypatch.setattr(doit_cmd, "_CMDLINE_VARS", {"push": "on", "dry_run": "ON", "force": "yes"})
    monkeypatch.setattr(rollback, "repo_root", lambda: Path("/repo"))
    monkeypatch.setattr(go_directive, "repo_root", lambda: Path("/repo"))
    rollback_args = rollback.task_rollback()["actions"][0][1]
    assert rollback_args[-3:] == [True, True, True]
    directive_args = go_directive.task_go_directive()["actions"][0][1]
    assert directive_args[-2:] == [True, True]
