"""The bad-input corpus: every broken input gets a coded error, and nothing changes on disk.

Each case breaks a copy of the sample monorepo (releasekit.toml, pyproject.toml,
package.json, pnpm-workspace.yaml, go.mod/go.work, the versions file, git
states, options), runs the real ``doit`` on it and asserts: the ``RK-…`` code,
the file (or option) named, no ``Traceback``, the exit status, and a
byte-identical tree (every file and folder, new ones too, the state DB
included; see tests/badinput.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from demo.sample import build_sample
from tests.badinput import (
    GO_CLI,
    GO_CORE,
    GO_HTTP,
    GO_WORK,
    JS_CORE,
    JS_HTTP,
    JS_ROOT,
    JS_WS,
    NOT_UTF8,
    PY_CORE,
    PY_CORE_CFG,
    PY_HTTP,
    PY_ROOT,
    ROOT_CFG,
    VERSIONS,
    Case,
    append,
    case,
    edit_json,
    nested,
    no_commit,
    no_repo,
    remove,
    replace,
    run_git,
    shallow,
    snapshot,
    tree_diff,
    write,
)

CFG_CORE = "js/packages/core/releasekit.toml"


def _set(key: str, value: object):
    def edit(data: dict) -> None:
        data[key] = value

    return edit


def _dep(field: str, name: str, value: object):
    def edit(data: dict) -> None:
        data.setdefault(field, {})[name] = value

    return edit


# acme-core's version read by hatch from src/acme_core/version.py (autogen's agbench)
HATCH_PATH = (
    replace(PY_CORE, 'version = "0.3.0"', 'dynamic = ["version"]'),
    append(PY_CORE, '\n[tool.hatch.version]\npath = "src/acme_core/version.py"\n'),
)

CASES: list[Case] = [
    # --- releasekit.toml ------------------------------------------------------------
    case("cfg-syntax", write(ROOT_CFG, "synchronize = \n"), code="RK-CONFIG-PARSE", names=ROOT_CFG),
    case("cfg-not-utf8", write(ROOT_CFG, NOT_UTF8), code="RK-CONFIG-PARSE", names=ROOT_CFG),
    case(
        "cfg-deep-nesting",
        write(ROOT_CFG, "a = " + nested("[", "]") + "\n"),
        code="RK-CONFIG-PARSE",
        names=ROOT_CFG,
    ),
    case(
        "cfg-unknown-key",
        replace(ROOT_CFG, "synchronize", "synchronise"),
        code="RK-CONFIG-UNKNOWN-KEY",
        names=ROOT_CFG,
    ),
    case(
        "cfg-wrong-type",
        replace(ROOT_CFG, "synchronize = false", 'synchronize = "no"'),
        code="RK-CONFIG-TYPE",
        names=ROOT_CFG,
    ),
    case(
        "cfg-dispatch-table-key",
        replace(
            ROOT_CFG,
            "synchronize = false",
            'synchronize = false\nforge = "gitlab"\n'
            'dispatch = [{repo = "acme/docs", branch = "main"}]',
        ),
        code="RK-CONFIG-UNKNOWN-KEY",
        names=(ROOT_CFG, "branch"),
    ),
    case(
        "cfg-dispatch-token-in-token-env",
        replace(
            ROOT_CFG,
            "synchronize = false",
            'synchronize = false\nforge = "gitlab"\n'
            'dispatch = [{repo = "acme/docs", token_env = "glptt-0123456789abcdef"}]',
        ),
        code="RK-CONFIG-VALUE",
        names=(ROOT_CFG, "token_env"),
    ),
    case(
        "cfg-publish-from",
        append(ROOT_CFG, ""),
        replace(ROOT_CFG, "synchronize = false", 'synchronize = false\npublish_from = "cloud"'),
        code="RK-CONFIG-VALUE",
        names=ROOT_CFG,
    ),
    case(
        "cfg-ecosystems-not-table",
        write(ROOT_CFG, "ecosystems = 3\n"),
        code="RK-CONFIG-TYPE",
        names=ROOT_CFG,
    ),
    case(
        "cfg-unknown-kind",
        replace(ROOT_CFG, 'kind = "uv"', 'kind = "cargo"'),
        code="RK-ECOSYSTEM-UNKNOWN",
        names=ROOT_CFG,
    ),
    case(
        "cfg-workspace-root-missing",
        replace(ROOT_CFG, 'workspace_root = "py"', 'workspace_root = "python"'),
        code="RK-WORKSPACE-MISSING",
        names="python",
    ),
    case("cfg-missing", remove(ROOT_CFG), code="RK-CONFIG-MISSING", names=ROOT_CFG),
    case(
        "cfg-tag-format-unknown-placeholder",
        replace(ROOT_CFG, "{name}-v{version}", "{name}-v{versoin}"),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=(ROOT_CFG, "versoin"),
    ),
    case(
        "cfg-tag-format-unknown-placeholder-plan",
        replace(ROOT_CFG, "{name}-v{version}", "{name}-v{versoin}"),
        code="RK-CONFIG-TAG-FORMAT",
        names=(ROOT_CFG, "versoin"),
    ),
    case(
        "cfg-tag-format-unbalanced",
        replace(ROOT_CFG, "{name}-v{version}", "{name-v{version}"),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=ROOT_CFG,
    ),
    case(
        "cfg-tag-format-no-version",
        replace(ROOT_CFG, "{name}-v{version}", "{name}-release"),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=(ROOT_CFG, "{version}"),
    ),
    case(
        "cfg-umbrella-unknown-placeholder",
        replace(ROOT_CFG, 'umbrella_tag = "v{version}"', 'umbrella_tag = "v{version}-{name}"'),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=(ROOT_CFG, "umbrella_tag"),
    ),
    case(
        "cfg-tag-format-format-spec",
        replace(ROOT_CFG, "{name}-v{version}", "{name}-v{version!r}"),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=ROOT_CFG,
    ),
    case(
        "pkgcfg-syntax",
        write(PY_CORE_CFG, "group = \n"),
        code="RK-CONFIG-PARSE",
        names=PY_CORE_CFG,
    ),
    case(
        "pkgcfg-not-utf8", write(PY_CORE_CFG, NOT_UTF8), code="RK-CONFIG-PARSE", names=PY_CORE_CFG
    ),
    case(
        "pkgcfg-unknown-key",
        write(PY_CORE_CFG, 'grup = "core"\n'),
        code="RK-CONFIG-UNKNOWN-KEY",
        names=PY_CORE_CFG,
    ),
    case(
        "pkgcfg-tag-format-placeholder",
        write(CFG_CORE, 'group = "core"\ntag_format = "{nmae}@{version}"\n'),
        args="check",
        code="RK-CONFIG-TAG-FORMAT",
        names=(CFG_CORE, "nmae"),
    ),
    case(
        "pkgcfg-version-files-no-placeholder",
        write(
            PY_CORE_CFG,
            'version_files = [{path = "src/acme_core/__init__.py", pattern = "NAME = 1"}]\n',
        ),
        args="check",
        code="RK-CONFIG-VALUE",
        names=PY_CORE_CFG,
    ),
    # --- pyproject.toml -------------------------------------------------------------
    case("py-syntax", append(PY_CORE, "[project\n"), code="RK-MANIFEST-PARSE", names=PY_CORE),
    case("py-not-utf8", write(PY_CORE, NOT_UTF8), code="RK-MANIFEST-PARSE", names=PY_CORE),
    case(
        "py-deep-nesting",
        write(PY_CORE, "x = " + nested("[", "]") + "\n"),
        code="RK-MANIFEST-PARSE",
        names=PY_CORE,
    ),
    case(
        "py-no-name",
        replace(PY_CORE, 'name = "acme-core"\n', ""),
        code="RK-MANIFEST-FIELD",
        names=PY_CORE,
    ),
    case(
        "py-bad-version",
        replace(PY_CORE, 'version = "0.3.0"', 'version = "0.3.0.banana"'),
        code="RK-VERSION-INVALID",
        names=PY_CORE,
    ),
    case(
        "py-version-not-string",
        replace(PY_CORE, 'version = "0.3.0"', "version = 3"),
        code="RK-MANIFEST-FIELD",
        names=PY_CORE,
    ),
    # a version the build backend reads from a file (hatch `path`, setuptools `attr`)
    case(
        "py-version-file-missing",
        *HATCH_PATH,
        code="RK-VERSION-FILE",
        names=(PY_CORE, "src/acme_core/version.py"),
    ),
    case(
        "py-version-file-no-assignment",
        *HATCH_PATH,
        write("py/packages/acme-core/src/acme_core/version.py", "NAME = 'core'\n"),
        code="RK-VERSION-FILE",
        names="py/packages/acme-core/src/acme_core/version.py",
    ),
    case(
        "py-version-file-invalid",
        *HATCH_PATH,
        write("py/packages/acme-core/src/acme_core/version.py", '__version__ = "0.3-ish"\n'),
        code="RK-VERSION-INVALID",
        names="py/packages/acme-core/src/acme_core/version.py:1",
    ),
    case(
        "py-version-attr-not-static",
        replace(PY_CORE, 'version = "0.3.0"', 'dynamic = ["version"]'),
        append(
            PY_CORE,
            '\n[tool.setuptools.dynamic]\nversion = {attr = "acme_core.__version__"}\n',
        ),
        write(
            "py/packages/acme-core/src/acme_core/__init__.py",
            "from importlib import metadata\n\n__version__ = metadata.version('acme-core')\n",
        ),
        args="version",
        code="RK-VERSION-FILE",
        names=("py/packages/acme-core/src/acme_core/__init__.py:3", "file ="),
    ),
    case(
        "py-dynamic-version-pinned-by-dependent",
        replace(PY_CORE, 'version = "0.3.0"', 'dynamic = ["version"]'),
        args="check",
        code="RK-MANIFEST-FIELD",
        names=PY_CORE,
    ),
    case(
        "py-sources-not-table",
        replace(PY_HTTP, "acme-core = { workspace = true }", 'acme-core = "workspace"'),
        code="RK-MANIFEST-FIELD",
        names=(PY_HTTP, "acme-core"),
    ),
    case(
        "py-sources-workspace-not-bool",
        replace(PY_HTTP, "acme-core = { workspace = true }", 'acme-core = { workspace = "yes" }'),
        code="RK-MANIFEST-FIELD",
        names=(PY_HTTP, "acme-core"),
    ),
    case(
        "py-sources-not-a-member",
        replace(PY_HTTP, "acme-core = { workspace = true }", "acme-kore = { workspace = true }"),
        code="RK-WORKSPACE-UNRESOLVED",
        names=(PY_HTTP, "acme-kore"),
    ),
    case(
        "py-sources-path-missing",
        replace(PY_HTTP, "acme-core = { workspace = true }", 'acme-core = { path = "../nowhere" }'),
        code="RK-WORKSPACE-UNRESOLVED",
        names=(PY_HTTP, "nowhere"),
    ),
    case(
        "py-bad-requirement",
        replace(PY_HTTP, '"acme-core>=0.3.0"', '"acme-core>>=0.3.0"'),
        code="RK-MANIFEST-PARSE",
        names=(PY_HTTP, "acme-core>>=0.3.0"),
    ),
    case(
        "py-dependencies-not-list",
        replace(PY_HTTP, 'dependencies = ["acme-core>=0.3.0"]', 'dependencies = "acme-core"'),
        code="RK-MANIFEST-FIELD",
        names=PY_HTTP,
    ),
    case(
        "py-root-syntax", append(PY_ROOT, "members = [\n"), code="RK-MANIFEST-PARSE", names=PY_ROOT
    ),
    case(
        "py-member-without-manifest",
        write("py/packages/empty/README.md", "no pyproject here\n"),
        code="RK-MANIFEST-MISSING",
        names="py/packages/empty",
    ),
    case(
        "py-duplicate-name",
        replace(PY_HTTP, 'name = "acme-http"', 'name = "acme_core"'),
        code="RK-PACKAGE-DUPLICATE",
        names="acme-core",
    ),
    case(
        "py-self-dependency",
        replace(PY_CORE, "dependencies = []", 'dependencies = ["acme-core"]'),
        append(PY_CORE, "\n[tool.uv.sources]\nacme-core = { workspace = true }\n"),
        code="RK-GRAPH-SELF-DEP",
        names="acme-core",
    ),
    case(
        "py-cycle",
        replace(PY_CORE, "dependencies = []", 'dependencies = ["acme-cli"]'),
        append(PY_CORE, "\n[tool.uv.sources]\nacme-cli = { workspace = true }\n"),
        code="RK-GRAPH-CYCLE",
        names="acme-cli",
    ),
    case(
        "run-plan-then-failing-check-keeps-no-state-db",
        edit_json(VERSIONS, _set("go/core", "v2.0.0")),
        args="plan check",
        code="RK-CHECK-GO-MAJOR",
        names=GO_CORE,
    ),
    case(
        "py-private-dependency",
        replace(PY_CORE, "dependencies = []", 'dependencies = ["acme-sample"]'),
        append(PY_CORE, "\n[tool.uv.sources]\nacme-sample = { workspace = true }\n"),
        args="check",
        code="RK-GRAPH-CYCLE",
        names="acme-sample",
    ),
    # --- package.json ---------------------------------------------------------------
    case(
        "js-syntax",
        replace(JS_CORE, '"version": "0.3.0",', '"version": "0.3.0"'),
        code="RK-MANIFEST-PARSE",
        names=JS_CORE + ":4",
    ),
    case("js-not-utf8", write(JS_CORE, NOT_UTF8), code="RK-MANIFEST-PARSE", names=JS_CORE),
    case(
        "js-deep-nesting",
        write(JS_CORE, nested("[", "]")),
        code="RK-MANIFEST-PARSE",
        names=JS_CORE,
    ),
    case("js-not-object", write(JS_CORE, "[1, 2]\n"), code="RK-MANIFEST-FIELD", names=JS_CORE),
    case(
        "js-no-name",
        edit_json(JS_CORE, lambda d: d.pop("name")),
        code="RK-WORKSPACE-UNRESOLVED",  # unnamed: private, so its dependents cannot find it
        names=("package.json", "@acme/core"),
    ),
    case(
        "js-bad-version",
        edit_json(JS_CORE, _set("version", "0.3")),
        code="RK-VERSION-INVALID",
        names=JS_CORE,
    ),
    case(
        "js-version-not-string",
        edit_json(JS_CORE, _set("version", 3)),
        code="RK-VERSION-INVALID",
        names=JS_CORE,
    ),
    case(
        "js-workspace-banana",
        edit_json(JS_HTTP, _dep("dependencies", "@acme/core", "workspace:banana")),
        code="RK-WORKSPACE-RANGE",
        names=(JS_HTTP, "workspace:banana"),
    ),
    case(
        "js-workspace-unknown-member",
        edit_json(JS_HTTP, _dep("dependencies", "@acme/kore", "workspace:^")),
        code="RK-WORKSPACE-UNRESOLVED",
        names=(JS_HTTP, "@acme/kore"),
    ),
    case(
        "js-dependencies-not-object",
        edit_json(JS_HTTP, _set("dependencies", ["@acme/core"])),
        code="RK-MANIFEST-FIELD",
        names=JS_HTTP,
    ),
    case(
        "js-dependency-not-string",
        edit_json(JS_HTTP, _dep("dependencies", "@acme/core", 3)),
        code="RK-MANIFEST-FIELD",
        names=(JS_HTTP, "dependencies"),
    ),
    case(
        "js-root-syntax",
        write(JS_ROOT, '{"name": "x",,}\n'),
        code="RK-MANIFEST-PARSE",
        names=JS_ROOT,
    ),
    case("js-root-not-utf8", write(JS_ROOT, NOT_UTF8), code="RK-MANIFEST-PARSE", names=JS_ROOT),
    case("js-root-not-object", write(JS_ROOT, '"x"\n'), code="RK-MANIFEST-FIELD", names=JS_ROOT),
    case(
        "js-catalog-missing-entry",
        edit_json(JS_HTTP, _dep("dependencies", "left-pad", "catalog:")),
        code="RK-WORKSPACE-UNRESOLVED",
        names=(JS_HTTP, "left-pad"),
    ),
    # --- pnpm-workspace.yaml ---------------------------------------------------------
    case(
        "yaml-syntax",
        write(JS_WS, "packages:\n  - 'packages/*\n"),
        code="RK-MANIFEST-PARSE",
        names=JS_WS,
    ),
    case("yaml-not-utf8", write(JS_WS, NOT_UTF8), code="RK-MANIFEST-PARSE", names=JS_WS),
    case(
        "yaml-packages-not-list",
        write(JS_WS, "packages: 3\n"),
        code="RK-MANIFEST-FIELD",
        names=JS_WS,
    ),
    case("yaml-not-mapping", write(JS_WS, "- packages/*\n"), code="RK-MANIFEST-FIELD", names=JS_WS),
    case(
        "yaml-glob-not-string",
        write(JS_WS, "packages:\n  - {a: 1}\n"),
        code="RK-MANIFEST-FIELD",
        names=JS_WS,
    ),
    case(
        "yaml-deep-nesting",
        write(JS_WS, "packages: " + nested("[", "]", 10_000) + "\n"),
        code="RK-MANIFEST-PARSE",
        names=JS_WS,
    ),
    # --- go.mod / go.work -------------------------------------------------------------
    case(
        "gowork-unknown-directive",
        replace(GO_WORK, "go 1.22\n", "go 1.22\n\nfrobnicate ./x\n"),
        code="RK-MANIFEST-PARSE",
        names=GO_WORK,
    ),
    case(
        "gowork-unbalanced",
        write(GO_WORK, "go 1.22\n\nuse (\n\t./core\n"),
        code="RK-MANIFEST-PARSE",
        names=GO_WORK,
    ),
    case(
        "gowork-use-missing",
        replace(GO_WORK, "\t./cli\n", "\t./cli\n\t./nowhere\n"),
        code="RK-MANIFEST-MISSING",
        names=(GO_WORK, "nowhere"),
    ),
    case("gowork-not-utf8", write(GO_WORK, NOT_UTF8), code="RK-MANIFEST-PARSE", names=GO_WORK),
    case("gomod-not-utf8", write(GO_CORE, NOT_UTF8), code="RK-MANIFEST-PARSE", names=GO_CORE),
    case(
        "gomod-no-module",
        write(GO_CORE, "go 1.22\n"),
        code="RK-MANIFEST-FIELD",
        names=GO_CORE,
    ),
    case(
        "gomod-unknown-directive",
        append(GO_CORE, "\nfrobnicate x\n"),
        code="RK-MANIFEST-PARSE",
        names=GO_CORE,
    ),
    case(
        "gomod-invalid-module-path",
        replace(GO_CORE, "module example.com/acme/go/core", "module example.com/acme/go/co:re"),
        code="RK-GO-PATH-INVALID",
        names=(GO_CORE, "co:re"),
    ),
    case(
        "gomod-replace-missing-folder",
        replace(GO_CLI, "=> ../core", "=> ../kore"),
        code="RK-GO-REPLACE-MISSING",
        names=(GO_CLI, "../kore"),
    ),
    case(
        "gomod-bad-require-version",
        replace(GO_HTTP, "example.com/acme/go/core v0.3.0", "example.com/acme/go/core 0.3"),
        code="RK-MANIFEST-PARSE",
        names=GO_HTTP,
    ),
    case(
        "gomod-bad-go-directive",
        replace(GO_CORE, "go 1.22", "go one.twenty"),
        code="RK-MANIFEST-PARSE",
        names=GO_CORE,
    ),
    case(
        "go-v2-without-suffix",
        edit_json(VERSIONS, _set("go/core", "v2.0.0")),
        args="check",
        code="RK-CHECK-GO-MAJOR",
        names=GO_CORE,
    ),
    case(
        "go-v2-without-suffix-publish",
        edit_json(VERSIONS, _set("go/core", "v2.0.0")),
        args="publish dry_run=1",
        code="RK-CHECK-GO-MAJOR",
        names=GO_CORE,
    ),
    # --- the versions file --------------------------------------------------------------
    case(
        "versions-syntax",
        write(VERSIONS, '{"go/core": v0.3.0}\n'),
        code="RK-MANIFEST-PARSE",
        names=VERSIONS + ":1",
    ),
    case("versions-not-utf8", write(VERSIONS, NOT_UTF8), code="RK-MANIFEST-PARSE", names=VERSIONS),
    case("versions-not-object", write(VERSIONS, "[]\n"), code="RK-MANIFEST-FIELD", names=VERSIONS),
    case(
        "versions-bad-version",
        edit_json(VERSIONS, _set("go/core", "0.3")),
        code="RK-VERSION-INVALID",
        names=(VERSIONS, "go/core"),
    ),
    case(
        "versions-not-string",
        edit_json(VERSIONS, _set("go/core", 3)),
        code="RK-MANIFEST-FIELD",
        names=(VERSIONS, "go/core"),
    ),
    case(
        "versions-deep-nesting",
        write(VERSIONS, nested("[", "]")),
        code="RK-MANIFEST-PARSE",
        names=VERSIONS,
    ),
    # --- git states -------------------------------------------------------------------
    case(
        "git-no-repo-version",
        no_repo,
        args="version",
        code="RK-GIT-NO-REPO",
        names=".",
        committed=False,
    ),
    case("git-no-repo-tag", no_repo, args="tag", code="RK-GIT-NO-REPO", names=".", committed=False),
    case(
        "git-no-commit-version",
        no_commit,
        args="version",
        code="RK-GIT-NO-COMMIT",
        names="HEAD",
        committed=False,
    ),
    case(
        "git-no-commit-tag",
        no_commit,
        args="tag",
        code="RK-GIT-NO-COMMIT",
        names="no commit",
        committed=False,
    ),
    case(
        "git-shallow-plan", shallow, code="RK-GIT-SHALLOW", names="fetch-depth: 0", committed=False
    ),
    case(
        "git-shallow-version",
        shallow,
        args="version",
        code="RK-GIT-SHALLOW",
        names="fetch-depth: 0",
        committed=False,
    ),
    case(
        "git-dirty-version",
        write("py/packages/acme-core/src/acme_core/__init__.py", "changed = 1\n"),
        args="version",
        code="RK-PREFLIGHT-DIRTY",
        names="acme_core/__init__.py",
        committed=False,
    ),
    # --- options ----------------------------------------------------------------------
    case(
        "opt-poll-timeout",
        args="publish dry_run=1 poll_timeout=abc",
        code="RK-OPTION-INVALID",
        names="poll_timeout",
        exit=3,
    ),
    case(
        "opt-poll-timeout-negative",
        args="publish dry_run=1 poll_timeout=-5",
        code="RK-OPTION-INVALID",
        names="poll_timeout",
        exit=3,
    ),
    case(
        "opt-poll-concurrency",
        args="publish dry_run=1 poll_concurrency=x",
        code="RK-OPTION-INVALID",
        names="poll_concurrency",
        exit=3,
    ),
    case(
        "opt-poll-concurrency-zero",
        args="publish dry_run=1 poll_concurrency=0",
        code="RK-OPTION-INVALID",
        names="poll_concurrency",
        exit=3,
    ),
    case(
        "opt-retries-negative",
        args="publish dry_run=1 retries=-1",
        code="RK-OPTION-INVALID",
        names="retries",
        exit=3,
    ),
    case(
        "opt-retries-env",
        args="publish dry_run=1",
        env={"RELEASEKIT_RETRIES": "many"},
        code="RK-OPTION-INVALID",
        names="RELEASEKIT_RETRIES",
        exit=3,
    ),
    case(
        "opt-trusted-publishing",
        args="publish dry_run=1 trusted_publishing=sometimes",
        code="RK-OPTION-INVALID",
        names="trusted_publishing",
        exit=3,
    ),
    case(
        "opt-dry-run-word",
        args="publish dry_run=maybe",
        code="RK-OPTION-INVALID",
        names="dry_run",
        exit=3,
    ),
    case(
        "opt-unknown-ecosystem-publish",
        args="publish dry_run=1 ecosystem=cobol",
        code="RK-OPTION-INVALID",
        names="cobol",
        exit=3,
    ),
    case(
        "opt-unknown-ecosystem-plan",
        args="plan ecosystem=cobol",
        code="RK-OPTION-INVALID",
        names="cobol",
        exit=3,
    ),
    case(
        "opt-unknown-ecosystem-param",
        args="plan --ecosystem cobol",
        code="RK-OPTION-INVALID",
        names="cobol",
    ),
    case("opt-bump-word", args="version bump=huge", code="RK-OPTION-INVALID", names="bump", exit=3),
    case(
        "opt-prerelease-word",
        args="version prerelease=rc-1!",
        code="RK-OPTION-INVALID",
        names="prerelease",
        exit=3,
    ),
    case("opt-unknown-group", args="plan --group nope", code="RK-GROUP-UNKNOWN", names="nope"),
    case(
        "opt-unknown-package",
        args="plan --package py/nope",
        code="RK-PACKAGE-UNKNOWN",
        names="py/nope",
    ),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample monorepo, built once (with its lockfiles), copied for each case."""
    return build_sample(tmp_path_factory.mktemp("bad-input") / "base", namespace="acme")


def run_doit(
    root: Path, args: tuple[str, ...], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",  # dodo.py's __pycache__ is Python's, not ours
        "NO_COLOR": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("bad", [pytest.param(c, id=c.id) for c in CASES])
def test_bad_input(bad: Case, sample: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(sample, root, symlinks=True)
    for step in bad.steps:
        step(root)
    before = snapshot(root)
    result = run_doit(root, bad.args, bad.env)
    out = result.stdout + result.stderr
    shown = f"doit {' '.join(bad.args)} exited {result.returncode}:\n{out[-4000:]}"
    assert "Traceback" not in out, shown
    assert f"error[{bad.code}]" in out or bad.code in out, shown
    for name in bad.names:
        assert name in out, f"{name!r} not named\n{shown}"
    assert result.returncode == bad.exit, shown
    assert tree_diff(before, snapshot(root)) == [], shown


def test_doit_plan_json_into_head_closes_quietly(sample: Path, tmp_path: Path) -> None:
    """`doit plan --format json | head`: the reader goes away early; no BrokenPipeError."""
    root = tmp_path / "repo"
    shutil.copytree(sample, root, symlinks=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # The reader closes its end at once, as `| true` would.
    doit = subprocess.Popen(
        [sys.executable, "-m", "doit", "plan", "--format", "json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert doit.stdout is not None
    doit.stdout.close()
    _, stderr = doit.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr
    assert "BrokenPipe" not in stderr, stderr


def test_commits_in_a_non_ascii_package_folder_count(sample: Path, tmp_path: Path) -> None:
    """git quotes non-ASCII paths unless asked not to: a feat there must release."""
    root = tmp_path / "repo"
    shutil.copytree(sample, root, symlinks=True)
    old, new = root / "py/packages/acme-core", root / "py/packages/acme-cœur"
    old.rename(new)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "chore: move core")
    run_git(root, "tag", "-a", "-m", "r", "acme-core-v0.3.0")
    (new / "src/acme_core/thing.py").write_text("THING = 1\n")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "feat(core): a thing")
    result = run_doit(root, ("plan", "--format", "json", "--package", "py/acme-core"), {})
    assert result.returncode == 0, result.stdout + result.stderr
    import json

    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["py/acme-core"]["next"] == "0.4.0", rows["py/acme-core"]
