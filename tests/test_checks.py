"""`doit check` on real repositories, one finding each, plus checks.py edge cases in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from releasekit_tasks.checks import Finding, run_checks
from releasekit_tasks.graph import build_graph
from releasekit_tasks.model import Dependency, Package
from tests.publishing import doit
from tests.repos.common import snapshot, write
from tests.repos.golang import Mod, go_repo
from tests.repos.pnpm import manifest, pnpm_workspace
from tests.repos.polyglot import polyglot_repo, without_doit_db, write_config
from tests.repos.uv import WORKSPACE, member, uv_workspace

META: dict[str, Any] = {"description": "fixture", "license": "MIT", "readme": "README.md"}


# --- single-finding repositories ---------------------------------------------------------


def uv_repo(root: Path, members: dict[str, dict[str, Any]]) -> None:
    uv_workspace(root / "py", {f"packages/{name}": doc for name, doc in members.items()})
    write_config(root, {"py": ("uv", "py")})


def pnpm_repo(root: Path, members: dict[str, dict[str, Any]]) -> None:
    pnpm_workspace(root / "js", {f"packages/{folder}": m for folder, m in members.items()})
    for folder in members:
        write(root / "js/packages" / folder / "README.md", "# readme\n")
    write_config(root, {"js": ("pnpm", "js")})


def go_repo_with(root: Path, modules: tuple[Mod, ...], versions: str) -> None:
    ws = go_repo(root, modules, workspace="go", go_work="block")
    for mod in modules:
        write(ws / mod.dir / "README.md", "# readme\n")
    write(root / "LICENSE", "MIT\n")
    write(root / ".releasekit-versions.json", versions)
    write_config(root, {"go": ("go", "go")})


def cycle(root: Path) -> None:
    uv_repo(
        root,
        {
            "a": member("a", deps=["b"], sources={"b": WORKSPACE}, **META),
            "b": member("b", deps=["c"], sources={"c": WORKSPACE}, **META),
            "c": member("c", deps=["a"], sources={"a": WORKSPACE}, **META),
        },
    )


def self_dep(root: Path) -> None:
    pnpm_repo(
        root,
        {"a": manifest("@x/a", deps={"@x/a": "workspace:*"}, description="d", license="MIT")},
    )


def private_dep(root: Path) -> None:
    uv_repo(
        root,
        {
            "app": member("app", deps=["secret"], sources={"secret": WORKSPACE}, **META),
            "secret": member("secret", classifiers=["Private :: Do Not Upload"]),
        },
    )


def uv_mismatch(root: Path) -> None:
    uv_repo(
        root,
        {
            "app": member("app", deps=["lib>=2"], sources={"lib": WORKSPACE}, **META),
            "lib": member("lib", "1.0", **META),
        },
    )


def pnpm_mismatch(root: Path) -> None:
    pnpm_repo(
        root,
        {
            "lib": manifest("@x/lib", "1.0.0", description="d", license="MIT"),
            "app": manifest(
                "@x/app", deps={"@x/lib": "workspace:^2.0.0"}, description="d", license="MIT"
            ),
        },
    )


def metadata(root: Path) -> None:
    uv_repo(root, {"bare": member("bare")})


def go_path(root: Path) -> None:
    go_repo_with(root, (Mod("core", "example.com/x/go/kernel"),), '{"go/core": "v0.1.0"}\n')


def go_major(root: Path) -> None:
    go_repo_with(root, (Mod("core", "example.com/x/go/core"),), '{"go/core": "2.1.0"}\n')


# (builder, code, exit non-zero, text in the output)
FINDINGS: dict[str, tuple[Callable[[Path], None], str, bool, str]] = {
    "cycle": (cycle, "RK-GRAPH-CYCLE", True, "py/a → py/b → py/c → py/a"),
    "self-dependency": (self_dep, "RK-GRAPH-SELF-DEP", True, "js/@x/a: depends on itself"),
    "private-dependency": (
        private_dep,
        "RK-CHECK-PRIVATE-DEP",
        True,
        "depends on unpublishable py/secret (classifier Private :: Do Not Upload)",
    ),
    "uv-version-mismatch": (
        uv_mismatch,
        "RK-CHECK-VERSION-MISMATCH",
        True,
        "requires lib>=2 but the workspace has 1.0",
    ),
    "pnpm-version-mismatch": (
        pnpm_mismatch,
        "RK-CHECK-VERSION-MISMATCH",
        True,
        "requires @x/lib@^2.0.0 but the workspace has 1.0.0",
    ),
    "metadata": (metadata, "RK-CHECK-METADATA", False, "missing description, license, readme"),
    "go-module-path": (
        go_path,
        "RK-CHECK-GO-PATH",
        True,
        "module path example.com/x/go/kernel does not end with its directory `go/core`",
    ),
    "go-major": (
        go_major,
        "RK-CHECK-GO-MAJOR",
        True,
        "version v2.1.0 needs the module path to end in /v2",
    ),
}


@pytest.mark.parametrize("case", list(FINDINGS))
def test_check_reports_the_finding(tmp_path: Path, case: str) -> None:
    build, code, fails, text = FINDINGS[case]
    build(tmp_path)
    before = snapshot(tmp_path)
    result = doit(tmp_path, "check", check=False)
    output = result.stdout + result.stderr
    assert (result.returncode != 0) == fails, output
    assert f"[{code}]" in output and text in output, output
    # Only this finding: each fixture is otherwise healthy.
    assert output.count("[RK-") == 1, output
    assert "Traceback" not in output
    assert "fix: " in output
    assert without_doit_db(snapshot(tmp_path)) == without_doit_db(before)


def test_check_on_a_healthy_polyglot_repo(tmp_path: Path) -> None:
    root = polyglot_repo(tmp_path / "repo")
    result = doit(root, "check")
    assert result.stdout == "18 packages checked: 0 errors, 0 warnings\n"


def test_check_counts_warnings_and_errors(tmp_path: Path) -> None:
    uv_repo(
        tmp_path,
        {
            "app": member("app", deps=["secret", "lib>=2"], sources={"secret": WORKSPACE, "lib": WORKSPACE}),
            "lib": member("lib", "1.0", **META),
            "secret": member("secret", classifiers=["Private :: Do Not Upload"]),
        },
    )  # fmt: skip
    result = doit(tmp_path, "check", check=False)
    assert result.returncode != 0
    lines = result.stdout.splitlines()
    assert "3 packages checked: 2 errors, 1 warnings" in lines
    assert sorted(
        line.split("]")[0] for line in lines if line.startswith(("error[", "warning["))
    ) == [
        "error[RK-CHECK-PRIVATE-DEP",
        "error[RK-CHECK-VERSION-MISMATCH",
        "warning[RK-CHECK-METADATA",
    ]


# --- run_checks in-process: edge cases ------------------------------------------------------


def pkg(
    name: str,
    version: str | None = "1.0.0",
    *deps: Dependency,
    ecosystem: str = "uv",
    publishable: bool = True,
    folder: str | None = None,
    root: Path = Path("/repo"),
) -> Package:
    path = root / (folder or name)
    return Package(
        ecosystem=ecosystem,
        label={"uv": "py", "pnpm": "js", "go": "go"}[ecosystem],
        name=name,
        version=version,
        path=path,
        manifest=path / {"uv": "pyproject.toml", "pnpm": "package.json", "go": "go.mod"}[ecosystem],
        publishable=publishable,
        reason="" if publishable else "private",
        dependencies=list(deps),
        metadata={"description": "d", "license": "MIT", "readme": "README.md"},
    )


def dep(name: str, spec: str = "", kind: str = "runtime") -> Dependency:
    return Dependency(name, spec, kind, internal=True)


def codes(*packages: Package) -> list[str]:
    return [f.code for f in run_checks(build_graph(packages), Path("/repo"))]


def test_an_extra_pulling_other_extras_of_its_package_is_not_a_self_dependency() -> None:
    assert codes(pkg("a", "1.0", dep("a", "", "optional:all"))) == []
    assert codes(pkg("a", "1.0", dep("a"))) == ["RK-GRAPH-SELF-DEP"]


def test_a_package_in_its_own_dev_dependencies_is_not_a_self_dependency() -> None:
    # pnpm's repository: @pnpm-private/updater has itself in devDependencies (workspace:*)
    assert codes(pkg("a", "1.0", dep("a", "workspace:*", "dev"))) == []
    assert codes(pkg("a", "1.0", dep("a", "", "group:test"))) == []


def test_cycle_and_other_findings_are_all_reported() -> None:
    a = pkg("a", "1.0", dep("b"), dep("secret"))
    b = pkg("b", "1.0", dep("a"))
    secret = pkg("secret", "1.0", publishable=False)
    findings = run_checks(build_graph([a, b, secret]), Path("/repo"))
    assert [(f.code, f.package) for f in findings] == [
        ("RK-GRAPH-CYCLE", "py/a"),
        ("RK-CHECK-PRIVATE-DEP", "py/a"),
    ]
    assert findings[0].message == "cycle: py/a → py/b → py/a"


def test_unshipped_dependencies_on_private_packages_are_fine() -> None:
    secret = pkg("secret", "1.0", publishable=False)
    assert codes(pkg("a", "1.0", dep("secret", "", "group:dev")), secret) == []
    tools = pkg("@x/tools", ecosystem="pnpm", publishable=False)
    assert (
        codes(pkg("@x/a", "1.0.0", dep("@x/tools", "workspace:*", "dev"), ecosystem="pnpm"), tools)
        == []
    )
    # A peer dependency is installed with the package: it must be on the registry.
    peer = pkg("@x/a", "1.0.0", dep("@x/tools", "workspace:*", "peer"), ecosystem="pnpm")
    assert codes(peer, tools) == ["RK-CHECK-PRIVATE-DEP"]


def test_private_packages_may_depend_on_private_ones_and_lack_metadata() -> None:
    secret = pkg("secret", "1.0", publishable=False)
    sample = pkg("sample", "1.0", dep("secret"), publishable=False)
    sample.metadata.clear()
    assert codes(sample, secret) == []


@pytest.mark.parametrize(
    ("spec", "version", "bad"),
    [
        (">=2", "1.0", True),
        (">=1.0", "1.1.0rc1", False),  # a prerelease of the member still satisfies
        ("==1.0.*", "1.0.5", False),
        ("<1", "1.0", True),
        ("", "1.0", False),  # no constraint
        ("@ file:///repo/lib", "1.0", False),  # a direct reference has no version constraint
    ],
)
def test_uv_constraints(spec: str, version: str | None, bad: bool) -> None:
    found = codes(pkg("app", "1.0", dep("lib", spec)), pkg("lib", version))
    assert found == (["RK-CHECK-VERSION-MISMATCH"] if bad else [])


def test_a_pinned_dependency_with_a_dynamic_version_is_an_error() -> None:
    """Nothing to compare, but the dependent's build would pin an empty version."""
    found = codes(pkg("app", "1.0", dep("lib", ">=2")), pkg("lib", None))
    # lib itself: a warning that releasekit cannot read (so never releases) its version
    assert found == ["RK-MANIFEST-FIELD", "RK-VERSION-DYNAMIC"]


@pytest.mark.parametrize(
    ("spec", "version", "bad"),
    [
        ("workspace:^2.0.0", "1.0.0", True),
        ("workspace:^1.0.0", "1.4.2", False),
        ("workspace:~1.4.0", "1.5.0", True),
        ("workspace:>=1.0.0 <2.0.0", "1.9.9", False),
        ("workspace:1.0.0", "1.0.1", True),
        ("workspace:*", "9.0.0", False),
        ("workspace:^", "9.0.0", False),
        ("workspace:~", "9.0.0", False),
        ("workspace:@x/lib@^2.0.0", "1.0.0", True),  # an alias: the range after the name
        ("workspace:@x/lib@*", "1.0.0", False),
        ("workspace:../lib", "1.0.0", False),  # a path: no range
        ("workspace:^1.0.0", "1.1.0-beta.1", True),  # node-semver: ranges skip prereleases
    ],
)
def test_pnpm_constraints(spec: str, version: str, bad: bool) -> None:
    app = pkg("@x/app", "1.0.0", dep("@x/lib", spec), ecosystem="pnpm")
    found = codes(app, pkg("@x/lib", version, ecosystem="pnpm"))
    assert found == (["RK-CHECK-VERSION-MISMATCH"] if bad else [])


@pytest.mark.parametrize(
    ("module", "folder", "version", "expected"),
    [
        ("example.com/x/go/core", "go/core", "v0.3.0", []),
        ("example.com/x", "", "v1.0.0", []),  # the root module: no directory to match
        ("example.com/x/go/core/v2", "go/core/v2", "v2.1.0", []),  # major subdirectory
        ("example.com/x/go/core/v2", "go/core", "v2.1.0", []),  # major branch
        ("example.com/x/go/notcore", "go/core", "v0.1.0", ["RK-CHECK-GO-PATH"]),
        ("example.com/x/go/core", "go/core", "v2.0.0", ["RK-CHECK-GO-MAJOR"]),
        ("example.com/x/go/core/v2", "go/core/v2", "v3.0.0", ["RK-CHECK-GO-MAJOR"]),
        # A /v2 module's versions are v2.x.y: the go command refuses v1.5.0 for it.
        ("example.com/x/go/core/v2", "go/core/v2", "v1.5.0", ["RK-CHECK-GO-MAJOR"]),
        ("example.com/x/go/core/v2", "go/core/v2", None, []),  # no version yet
    ],
)
def test_go_module_rules(
    module: str, folder: str, version: str | None, expected: list[str]
) -> None:
    assert codes(pkg(module, version, ecosystem="go", folder=folder)) == expected


def test_go_metadata_needs_a_license_only() -> None:
    module = pkg("example.com/x/go/core", "v0.1.0", ecosystem="go", folder="go/core")
    module.metadata = {"readme": "go/core/README.md"}
    findings = run_checks(build_graph([module]), Path("/repo"))
    assert [(f.code, f.severity, f.message) for f in findings] == [
        ("RK-CHECK-METADATA", "warning", "missing license")
    ]
    # pkg.go.dev needs no README (opentelemetry-go-contrib has 35 modules without one).
    module.metadata = {"license": "LICENSE"}
    assert run_checks(build_graph([module]), Path("/repo")) == []


def test_finding_render_names_code_package_file_and_fix() -> None:
    finding = Finding(
        "RK-CHECK-METADATA", "warning", "py/a", "missing license", Path("/r/a/pyproject.toml")
    )
    assert finding.render() == (
        "warning[RK-CHECK-METADATA] py/a: missing license (/r/a/pyproject.toml)\n"
        "  fix: add the field named in the message (Go: a LICENSE file in the module or "
        "repository root)"
    )
