"""Small copies of the patterns real monorepos have (issue 11), as a user's repository.

Each builder writes a repository the real tools accept (uv, pnpm, go), makes
it a git repository with a history and, where the pattern needs them, the
release tags the repository already has. Nothing here writes a
releasekit-tasks ``releasekit.toml``: the tests run ``init`` on them, the way
a new user would.

- :func:`genkit_like` — firebase/genkit at 4396dfe (Feb 2026): a uv workspace
  whose core offers its plugins as extras while every plugin requires the core;
  two pnpm workspaces (``js/`` and ``genkit-tools/``), plugins that name the
  core as a ``peerDependency``, test apps that are neither private nor meant to
  be published, an unnamed private workspace root; one Go module at ``go/``
  with samples whose module paths have no dot; tags in three conventions
  (``@genkit-ai/core@1.2.0``, ``py/genkit-v0.6.0`` + umbrella ``py/v0.6.0``,
  ``go/v1.7.0``); optionally the original releasekit's ``releasekit.toml``.
- :func:`otel_like` — open-telemetry/opentelemetry-go: Go modules requiring
  each other in cycles (``otel ↔ otel/metric``, ``sdk ↔ sdk/metric``).
- :func:`vite_like` — vitejs/vite: a pnpm workspace whose test fixtures have
  no ``name`` or no ``version``, and private fixtures sharing a name.
- :func:`release_please_repo` — a release-please configuration and manifest.
- :func:`changesets_repo` — a changesets folder with pending changesets.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from tests.repos.common import git_init, write
from tests.repos.uv import dump

LICENSE = "Apache License 2.0 (fixture)\n"
GITIGNORE = ".releasekit/\nnode_modules/\ndist/\n.venv/\n"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def commit(root: Path, message: str, *touch: str) -> str:
    """Append a line to each file in ``touch`` (created if missing) and commit them."""
    for rel in touch:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        comment = "//" if rel.endswith((".go", ".js", ".ts")) else "#"
        with path.open("a", encoding="utf-8") as f:
            f.write(f"{comment} {message}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def tag(root: Path, *names: str, at: str = "HEAD") -> None:
    for name in names:
        git(root, "tag", name, at)


# --- uv ------------------------------------------------------------------------


def pyproject(
    name: str,
    version: str,
    *,
    deps: tuple[str, ...] = (),
    extras: dict[str, list[str]] | None = None,
    private: bool = False,
    description: str = "",
) -> str:
    """A buildable member (hatchling, src layout) with metadata ``doit check`` wants."""
    project: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": description or f"{name} (fixture)",
        "readme": "README.md",
        "license": "Apache-2.0",
        "requires-python": ">=3.10",
        "dependencies": list(deps),
    }
    if private:
        project["classifiers"] = ["Private :: Do Not Upload"]
    if extras:
        project["optional-dependencies"] = extras
    module = name.replace("-", "_")
    doc = {
        "project": project,
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "tool": {"hatch": {"build": {"targets": {"wheel": {"packages": [f"src/{module}"]}}}}},
    }
    return dump(doc)


def uv_member(root: Path, folder: str, name: str, version: str, **kwargs: Any) -> None:
    write(root / folder / "pyproject.toml", pyproject(name, version, **kwargs))
    write(root / folder / "README.md", f"# {name}\n")
    write(root / folder / "src" / name.replace("-", "_") / "__init__.py", f'NAME = "{name}"\n')


# --- pydantic-ai: versions from git tags ---------------------------------------------

# How each version source is declared: [build-system] requires, and the tool tables.
VCS_BACKENDS: dict[str, tuple[list[str], str, dict[str, Any]]] = {
    "uv-dynamic-versioning": (
        ["hatchling", "uv-dynamic-versioning"],
        "hatchling.build",
        {
            "hatch": {"version": {"source": "uv-dynamic-versioning"}},
            "uv-dynamic-versioning": {"vcs": "git", "style": "pep440", "bump": True},
        },
    ),
    "hatch-vcs": (
        ["hatchling", "hatch-vcs"],
        "hatchling.build",
        {"hatch": {"version": {"source": "vcs", "tag-pattern": r"^v(?P<version>\d+(\.\d+)*)$"}}},
    ),
    "setuptools-scm": (
        ["setuptools>=64", "setuptools-scm>=8"],
        "setuptools.build_meta",
        {"setuptools_scm": {}},
    ),
}


def tag_versioned_pyproject(
    name: str,
    backend: str,
    *,
    deps: tuple[str, ...] = (),
    hook_deps: tuple[str, ...] = (),
) -> str:
    """A member with ``dynamic = ["version"]`` whose ``backend`` reads it from git tags.

    ``hook_deps`` go to uv-dynamic-versioning's metadata hook (``=={{ version }}``
    pins, as pydantic-ai writes its internal requirements), ``deps`` to [project]."""
    requires, build_backend, tool = VCS_BACKENDS[backend]
    module = name.replace("-", "_")
    project: dict[str, Any] = {
        "name": name,
        "dynamic": ["version", "dependencies"] if hook_deps else ["version"],
        "description": f"{name} (fixture)",
        "readme": "README.md",
        "license": "MIT",
        "requires-python": ">=3.10",
    }
    if not hook_deps:
        project["dependencies"] = list(deps)
    tool = json.loads(json.dumps(tool))  # a copy per member
    if hook_deps:
        tool["hatch"]["metadata"] = {
            "hooks": {"uv-dynamic-versioning": {"dependencies": list(hook_deps)}}
        }
    if build_backend == "hatchling.build":
        tool["hatch"]["build"] = {"targets": {"wheel": {"packages": [f"src/{module}"]}}}
    doc = {
        "build-system": {"requires": requires, "build-backend": build_backend},
        "project": project,
        "tool": tool,
    }
    return dump(doc)


def pydantic_ai_like(root: Path, backend: str = "uv-dynamic-versioning") -> Path:
    """pydantic/pydantic-ai's shape: a uv workspace whose root is the ``pydantic-ai``
    umbrella package and whose members (slim, graph, evals) all take their version
    from one ``v{version}`` tag (one synchronized release); tags v1.0.9 and v1.0.10,
    then a ``feat:`` commit in slim; a tracked symlink to a folder (its
    ``.claude/skills/*``). With uv-dynamic-versioning the root and slim pin
    their internal dependencies in its metadata hook (``=={{ version }}``); evals
    requires slim in [project] (``>=1.0.10``), which a bump rewrites."""
    hooked = backend == "uv-dynamic-versioning"
    members = {
        "pydantic_ai_slim": ("pydantic-ai-slim", ("pydantic-graph",)),
        "pydantic_graph": ("pydantic-graph", ()),
        "pydantic_evals": ("pydantic-evals", ("pydantic-ai-slim",)),
    }
    sources = {n: {"workspace": True} for n in ("pydantic-ai", *[m[0] for m in members.values()])}
    for folder, (name, requires) in members.items():
        pinned = tuple(f"{r}=={{{{ version }}}}" for r in requires)
        ranged = tuple(f"{r}>=1.0.10" for r in requires)
        text = tag_versioned_pyproject(
            name,
            backend,
            deps=ranged if not hooked or folder == "pydantic_evals" else (),
            hook_deps=pinned if hooked and folder != "pydantic_evals" else (),
        )
        doc = tomllib.loads(text)
        doc["tool"]["uv"] = {"sources": {r: {"workspace": True} for r in requires}}
        write(root / folder / "pyproject.toml", dump(doc))
        write(root / folder / "README.md", f"# {name}\n")
        write(root / folder / "src" / name.replace("-", "_") / "__init__.py", f'NAME = "{name}"\n')
    top = tag_versioned_pyproject(
        "pydantic-ai",
        backend,
        deps=("pydantic-ai-slim>=1.0.10",) if not hooked else (),
        hook_deps=("pydantic-ai-slim=={{ version }}",) if hooked else (),
    )
    doc = tomllib.loads(top)
    doc["tool"]["uv"] = {"sources": sources, "workspace": {"members": list(members)}}
    write(root / "pyproject.toml", dump(doc))
    write(root / "README.md", "# pydantic-ai (fixture)\n")
    write(root / "src" / "pydantic_ai" / "__init__.py", 'NAME = "pydantic-ai"\n')
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    # pydantic-ai links agent skill folders: a tracked symlink to a folder in the root package
    write(root / ".agents" / "skills" / "review" / "SKILL.md", "# review\n")
    (root / ".claude" / "skills").mkdir(parents=True)
    (root / ".claude" / "skills" / "review").symlink_to("../../.agents/skills/review")
    git_init(root)
    commit(root, "fix: first fix", "pydantic_graph/src/pydantic_graph/__init__.py")
    tag(root, "v1.0.9")
    commit(root, "fix: graph edge case", "pydantic_graph/src/pydantic_graph/__init__.py")
    tag(root, "v1.0.10")
    commit(root, "feat: slim gains a feature", "pydantic_ai_slim/src/pydantic_ai_slim/__init__.py")
    return root


# --- pnpm ----------------------------------------------------------------------


def package_json(root: Path, folder: str, data: dict[str, Any], *, readme: bool = True) -> None:
    write(root / folder / "package.json", json.dumps(data, indent=2) + "\n")
    name = data.get("name")
    if readme and name and not data.get("private"):
        write(root / folder / "README.md", f"# {name}\n")
        write(root / folder / "index.js", f'module.exports = "{name}";\n')


def js_package(
    name: str,
    version: str | None = "1.2.0",
    *,
    deps: dict[str, str] | None = None,
    peer: dict[str, str] | None = None,
    dev: dict[str, str] | None = None,
    optional: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name}
    if version is not None:
        data["version"] = version
    data.update(description=f"{name} (fixture)", license="Apache-2.0", main="index.js")
    data.update(fields)
    for key, section in (
        ("dependencies", deps),
        ("peerDependencies", peer),
        ("devDependencies", dev),
        ("optionalDependencies", optional),
    ):
        if section:
            data[key] = section
    return data


def pnpm_lock(folder: Path) -> None:
    """``pnpm install --lockfile-only``: every dependency is a member, so no network."""
    subprocess.run(
        ["pnpm", "install", "--lockfile-only", "--silent"],
        cwd=folder,
        check=True,
        capture_output=True,
    )


# --- Go ------------------------------------------------------------------------


def go_module(
    root: Path,
    folder: str,
    path: str,
    *,
    requires: dict[str, str] | None = None,
    replaces: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """A go.mod (requires: path → version; replaces: path → relative folder) and Go files."""
    lines = [f"module {path}", "", "go 1.22", ""]
    if requires:
        lines.append("require (")
        lines += [f"\t{p} {v}" for p, v in sorted(requires.items())]
        lines += [")", ""]
    for p, rel in sorted((replaces or {}).items()):
        lines.append(f"replace {p} => {rel}")
    write(root / folder / "go.mod", "\n".join(lines).rstrip("\n") + "\n")
    for rel, text in (files or {}).items():
        write(root / folder / rel, text)
    write(root / folder / "README.md", f"# {path}\n")


def go_file(package: str, imports: tuple[str, ...] = ()) -> str:
    block = "".join(f'\t_ "{i}"\n' for i in imports)
    head = f"import (\n{block})\n\n" if imports else ""
    main = "\nfunc main() {}\n" if package == "main" else ""
    return f'package {package}\n\n{head}// Name says which package this is.\nconst Name = "{package}"\n{main}'


# === genkit ======================================================================

PY_PLUGINS = {  # folder → (distribution name, internal requirements)
    "plugins/google-genai": ("genkit-plugin-google-genai", ("genkit",)),
    "plugins/flask": ("genkit-plugin-flask", ("genkit", "genkit-plugin-google-genai")),
    "plugins/mistral": ("genkit-plugin-mistral", ("genkit",)),  # not released yet
}
PY_SAMPLES = {"samples/hello": ("provider-google-genai-hello", ("genkit-plugin-google-genai",))}
PY_TOOLS = {"tools/conform": ("conform", ("genkit",))}
JS_CORE = ("@genkit-ai/core", "@genkit-ai/ai", "genkit")
JS_PLUGINS = {
    "plugins/google-genai": "@genkit-ai/google-genai",
    "plugins/express": "@genkit-ai/express",
}
TOOLS_PACKAGES = {
    "common": ("@genkit-ai/tools-common", {}),
    "telemetry-server": ("@genkit-ai/telemetry-server", {"@genkit-ai/tools-common": "workspace:*"}),
    "cli": (
        "genkit-cli",
        {"@genkit-ai/tools-common": "workspace:*", "@genkit-ai/telemetry-server": "workspace:*"},
    ),
}
GO_MODULE = "github.com/acme/genkit/go"
JS_VERSION, PY_VERSION, GO_VERSION = "1.2.0", "0.6.0", "v1.7.0"

# The release tags genkit_like() creates at its release commit.
JS_TAGS = tuple(f"{n}@{JS_VERSION}" for n in (*JS_CORE, *JS_PLUGINS.values()))
TOOLS_TAGS = tuple(f"{n}@{JS_VERSION}" for n, _ in TOOLS_PACKAGES.values())
PY_TAGS = ("py/genkit-v0.6.0", "py/genkit-plugin-google-genai-v0.6.0", "py/v0.6.0")
GO_TAGS = ("go/v1.6.0", "go/v1.7.0")


def write_genkit_py(root: Path) -> None:
    py = root / "py"
    members = {**PY_PLUGINS, **PY_SAMPLES}
    sources = {name: {"workspace": True} for name, _ in [("genkit", ()), *members.values()]}
    workspace = {
        "project": {
            "name": "genkit-workspace",
            "version": "0.1.0",
            "requires-python": ">=3.10",
            "dependencies": ["genkit", "genkit-plugin-flask"],
        },
        "tool": {
            "uv": {
                "sources": sources,
                "workspace": {"members": ["packages/*", "plugins/*", "samples/*"]},
            }
        },
    }
    write(py / "pyproject.toml", dump(workspace))
    extras = {
        "flask": ["genkit-plugin-flask"],
        "google-genai": ["genkit-plugin-google-genai"],
    }
    uv_member(py, "packages/genkit", "genkit", PY_VERSION, extras=extras)
    for folder, (name, deps) in members.items():
        version = "0.1.0" if folder.startswith("samples") else PY_VERSION
        if name == "genkit-plugin-mistral":
            version = "0.1.0"
        uv_member(py, folder, name, version, deps=deps)


def write_genkit_js(root: Path) -> None:
    js = root / "js"
    write(
        js / "pnpm-workspace.yaml",
        "packages:\n  - './*'\n  - 'plugins/*'\n  - 'testapps/*'\n  - '!testapps/scratch'\n",
    )
    package_json(js, ".", {"private": True, "scripts": {"build": "echo build"}})
    package_json(js, "core", js_package("@genkit-ai/core"))
    package_json(js, "ai", js_package("@genkit-ai/ai", deps={"@genkit-ai/core": "workspace:*"}))
    package_json(
        js,
        "genkit",
        js_package(
            "genkit", deps={"@genkit-ai/ai": "workspace:*", "@genkit-ai/core": "workspace:*"}
        ),
    )
    for folder, name in JS_PLUGINS.items():
        package_json(
            js,
            folder,
            js_package(name, peer={"genkit": "workspace:^"}, dev={"genkit": "workspace:*"}),
        )
    # Test apps: not private, but never meant for the registry.
    package_json(js, "testapps/basic", js_package("basic", "1.0.0", deps={"genkit": "workspace:*"}))
    package_json(
        js,
        "testapps/rag",
        js_package("rag", "1.0.0", deps={"@genkit-ai/google-genai": "workspace:*"}),
    )
    package_json(js, "testapps/scratch", {"private": True})  # excluded by a `!` glob


def write_genkit_tools(root: Path) -> None:
    tools = root / "genkit-tools"
    write(
        tools / "pnpm-workspace.yaml",
        "packages:\n  - '.'\n  - 'cli'\n  - 'common'\n  - 'telemetry-server'\n",
    )
    # The workspace root is a member ('.'), private and unnamed.
    package_json(tools, ".", {"private": True, "devDependencies": {}})
    for folder, (name, deps) in TOOLS_PACKAGES.items():
        package_json(tools, folder, js_package(name, deps=deps))


def write_genkit_go(root: Path) -> None:
    go = root / "go"
    go_module(
        go,
        ".",
        GO_MODULE,
        files={"genkit/genkit.go": go_file("genkit"), "ai/ai.go": go_file("ai")},
    )
    # Samples: module paths without a dot (private), replacing the SDK by its folder.
    for folder, path in (
        ("samples/hello", "hello-sample"),
        ("samples/telemetry", "telemetry-test"),
    ):
        go_module(
            go,
            folder,
            path,
            requires={GO_MODULE: "v1.7.0"},
            replaces={GO_MODULE: "../.."},
            files={"main.go": go_file("main", (f"{GO_MODULE}/genkit",))},
        )


ORIGINAL_RELEASEKIT_TOML = """\
# The original releasekit's configuration, as genkit had it.
forge             = "github"
pr_title_template = "chore(release): genkit python v{version}"
repo_name         = "genkit"
repo_owner        = "acme"

[license]
project = "Apache-2.0"

[workspace.py]
bootstrap_sha = "BOOTSTRAP"
changelog     = true
core_package  = "genkit"
ecosystem     = "python"
library_dirs  = ["packages", "plugins"]
plugin_prefix = "genkit-plugin-"
root          = "py"
skip_checks   = ["license_compatibility"]
smoke_test    = true
tag_format    = "{label}/{name}-v{version}"
tool          = "uv"
umbrella_tag  = "{label}/v{version}"
extra_files   = ["packages/genkit/src/genkit/__init__.py"]
exclude_bump  = []
exclude_publish = [
  "group:samples",
  "group:unreleased_plugins",
  "group:internal_tools",
]

[workspace.py.groups]
core           = ["genkit"]
google_plugins = ["genkit-plugin-google-genai"]
community      = ["genkit-plugin-flask", "genkit-plugin-mistral"]
internal_tools = ["conform"]
samples        = ["provider-*"]
unreleased_plugins = ["genkit-plugin-mistral"]

[workspace.js]
ecosystem            = "js"
tool                 = "pnpm"
root                 = "js"
core_package         = "genkit"
tag_format           = "{name}@{version}"
secondary_tag_format = "{label}/{name}-v{version}"
umbrella_tag         = "js/v{version}"
synchronize          = true
propagate_bumps      = true
dist_tag             = "latest"
exclude_publish      = ["group:testapps"]

[workspace.js.groups]
core     = ["@genkit-ai/ai", "@genkit-ai/core", "genkit"]
testapps = ["basic", "rag"]

[workspace.js-cli]
ecosystem    = "js"
tool         = "pnpm"
root         = "genkit-tools"
tag_format   = "{name}@{version}"
umbrella_tag = "js-cli/v{version}"
synchronize  = true
"""


def genkit_like(
    root: Path, *, original_config: bool = False, lock: bool = False, history: bool = True
) -> Path:
    """The genkit patterns (see the module docstring), committed and tagged.

    History: an old commit tagged ``py/v0.5.0`` and ``go/v1.6.0`` (the
    original releasekit's bootstrap point), the release commit carrying every
    tag of the current versions, then a ``feat`` in the Python core, a ``fix``
    in a JS plugin and a ``fix`` in the Go module. With ``original_config``
    the original releasekit's ``releasekit.toml`` is committed too.
    ``lock`` commits ``uv.lock`` and the pnpm lockfiles (slower; needed for
    ``doit bump`` / ``prepare``).
    """
    root.mkdir(parents=True, exist_ok=True)
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    write(root / "package.json", json.dumps({"name": "genkit", "private": True}, indent=2) + "\n")
    write_genkit_py(root)
    write_genkit_js(root)
    write_genkit_tools(root)
    write_genkit_go(root)
    if lock:
        subprocess.run(["uv", "lock", "-q"], cwd=root / "py", check=True, capture_output=True)
        pnpm_lock(root / "js")
        pnpm_lock(root / "genkit-tools")
    git_init(root)
    if not history:
        return root
    bootstrap = git(root, "rev-parse", "HEAD").strip()
    tag(root, "py/v0.5.0", "go/v1.6.0")
    commit(root, "chore: release 0.6.0 / 1.2.0 / v1.7.0", "py/packages/genkit/CHANGELOG.md")
    tag(root, *JS_TAGS, *TOOLS_TAGS, *PY_TAGS, "go/v1.7.0")
    if original_config:
        write(root / "releasekit.toml", ORIGINAL_RELEASEKIT_TOML.replace("BOOTSTRAP", bootstrap))
        commit(root, "chore: releasekit configuration")
    commit(root, "feat(py): streaming flows", "py/packages/genkit/src/genkit/__init__.py")
    commit(root, "fix(js/plugins/google-genai): retry", "js/plugins/google-genai/index.js")
    commit(root, "fix(go): nil schema", "go/genkit/genkit.go")
    return root


# === opentelemetry-go ===========================================================

OTEL = "go.opentelemetry.io/otel"
OTEL_MODULES = {  # folder → (module path, requires (internal), Go files)
    ".": (
        OTEL,
        (f"{OTEL}/metric",),
        {
            "otel.go": go_file("otel", (f"{OTEL}/metric",)),
            "attribute/attribute.go": go_file("attribute"),
        },
    ),
    # metric requires otel (for otel/attribute) while otel requires metric: a module cycle,
    # but no package import cycle, so the go command builds both.
    "metric": (OTEL + "/metric", (OTEL,), {"metric.go": go_file("metric", (f"{OTEL}/attribute",))}),
    "sdk": (
        OTEL + "/sdk",
        (OTEL, f"{OTEL}/metric", f"{OTEL}/sdk/metric"),
        {
            "sdk.go": go_file("sdk", (f"{OTEL}/sdk/metric",)),
            "resource/resource.go": go_file("resource", (OTEL,)),
        },
    ),
    "sdk/metric": (
        OTEL + "/sdk/metric",
        (OTEL, f"{OTEL}/metric", f"{OTEL}/sdk"),
        {"metric.go": go_file("metric", (f"{OTEL}/sdk/resource", f"{OTEL}/metric"))},
    ),
    "exporters/stdout": (
        OTEL + "/exporters/stdout",
        (OTEL, f"{OTEL}/metric", f"{OTEL}/sdk", f"{OTEL}/sdk/metric"),
        {"stdout.go": go_file("stdout", (f"{OTEL}/sdk/metric",))},
    ),
    "schema": (OTEL + "/schema", (), {"schema.go": go_file("schema")}),
}
OTEL_TAGS = (
    "v1.2.0",
    "metric/v1.2.0",
    "sdk/v1.2.0",
    "sdk/metric/v1.2.0",
    "exporters/stdout/v1.2.0",
    "schema/v0.0.3",
)


OTEL_VERSIONS_YAML = f"""\
# multimod: module sets share one version
module-sets:
  stable-v1:
    version: v1.2.0
    modules:
      - {OTEL}
      - {OTEL}/metric
      - {OTEL}/sdk
      - {OTEL}/sdk/metric
      - {OTEL}/exporters/stdout
  experimental-schema:
    version: v0.0.3
    modules:
      - {OTEL}/schema
excluded-modules:
  - {OTEL}/internal/tools
modules:
  {OTEL}/exporters/stdout:
    version-refs:
      - ./version.go
"""


def otel_like(root: Path, *, multimod: bool = False) -> Path:
    """Go modules at the repository root requiring each other in cycles, tagged, then a fix.

    ``multimod`` adds opentelemetry-go's versions.yaml (module sets) and a tools
    module it excludes.
    """
    import os

    if multimod:
        write(root / "versions.yaml", OTEL_VERSIONS_YAML)
        go_module(
            root, "internal/tools", f"{OTEL}/internal/tools", files={"tools.go": go_file("tools")}
        )

    folders = {path: folder for folder, (path, _, _) in OTEL_MODULES.items()}
    for folder, (path, requires, files) in OTEL_MODULES.items():
        version = {p: ("v0.0.3" if p.endswith("schema") else "v1.2.0") for p in requires}
        replaces = {p: _go_rel(os.path.relpath(folders[p], folder)) for p in requires}
        go_module(root, folder, path, requires=version, replaces=replaces, files=files)
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, *OTEL_TAGS)
    commit(root, "fix(metric): race in the meter", "metric/metric.go")
    return root


def _go_rel(rel: str) -> str:
    return rel if rel.startswith("..") else f"./{rel}"


# === vite =======================================================================


def vite_like(root: Path) -> Path:
    """A pnpm workspace with test fixtures pnpm accepts but nobody publishes."""
    write(
        root / "pnpm-workspace.yaml",
        "packages:\n  - 'packages/*'\n  - 'playground/**'\n  - 'packages/**/__tests__/**'\n",
    )
    package_json(root, ".", {"name": "@vitejs/vite-monorepo", "private": True})
    package_json(root, "packages/vite", js_package("vite", "7.1.0"))
    package_json(root, "packages/create-vite", js_package("create-vite", "7.1.0"))
    package_json(
        root,
        "packages/plugin-legacy",
        js_package("@vitejs/plugin-legacy", "7.0.0", peer={"vite": "workspace:^"}),
    )
    fixtures = "packages/vite/src/node/__tests__/fixtures"
    package_json(root, f"{fixtures}/config/cjs-module", {"type": "module"})  # no name
    package_json(root, f"{fixtures}/config/no-version", {"name": "@vitejs/test-no-version"})
    package_json(
        root,
        "playground/alias",
        {"name": "@vitejs/test-alias", "private": True, "version": "0.0.0"},
    )
    # Two private fixtures with one name (pnpm accepts it).
    package_json(root, "playground/dup/a", {"name": "@vitejs/test-dup", "private": True})
    package_json(root, "playground/dup/b", {"name": "@vitejs/test-dup", "private": True})
    package_json(
        root,
        "playground/uses-vite",
        {
            "name": "@vitejs/test-uses-vite",
            "private": True,
            "devDependencies": {"vite": "workspace:*"},
        },
    )
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "v7.1.0", "create-vite@7.1.0", "plugin-legacy@7.0.0")
    commit(root, "feat(create-vite): a template", "packages/create-vite/index.js")
    return root


# === release-please ============================================================


def release_please_repo(root: Path) -> Path:
    """A uv package and a pnpm workspace released by release-please (manifest mode)."""
    uv_member(root, "python", "acme-py", "1.4.0")
    write(
        root / "python" / "pyproject.toml",
        (root / "python" / "pyproject.toml").read_text()
        + '\n[tool.uv.workspace]\nmembers = ["."]\n',
    )
    js = root / "js"
    write(js / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    package_json(js, ".", {"name": "acme-js", "private": True})
    package_json(js, "packages/core", js_package("@acme/core", "2.0.1"))
    package_json(
        js, "packages/web", js_package("@acme/web", "0.3.0", deps={"@acme/core": "workspace:^"})
    )
    config = {
        "$schema": "https://raw.githubusercontent.com/googleapis/release-please/main/schemas/config.json",
        "bootstrap-sha": "BOOTSTRAP",
        "include-v-in-tag": True,
        "tag-separator": "-",
        "separate-pull-requests": False,
        "changelog-sections": [{"type": "feat", "section": "Features"}],
        "plugins": ["node-workspace"],
        "packages": {
            "python": {"release-type": "python", "package-name": "acme-py"},
            "js/packages/core": {"release-type": "node", "component": "core"},
            "js/packages/web": {"release-type": "node", "package-name": "@acme/web", "draft": True},
        },
    }
    manifest = {"python": "1.4.0", "js/packages/core": "2.0.1", "js/packages/web": "0.3.0"}
    write(root / ".release-please-manifest.json", json.dumps(manifest, indent=2) + "\n")
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    bootstrap = git(root, "rev-parse", "HEAD").strip()
    config["bootstrap-sha"] = bootstrap
    write(root / "release-please-config.json", json.dumps(config, indent=2) + "\n")
    commit(root, "chore: release-please")
    tag(root, "acme-py-v1.4.0", "core-v2.0.1", "web-v0.3.0")  # release-please drops npm scopes
    commit(root, "fix(core): off by one", "js/packages/core/index.js")
    return root


# === changesets ================================================================

CHANGESET_CONFIG = {
    "$schema": "https://unpkg.com/@changesets/config@3.0.0/schema.json",
    "changelog": "@changesets/cli/changelog",
    "commit": False,
    "fixed": [["@acme/core", "@acme/react"]],
    "linked": [["@acme/web", "@acme/docs-site"]],
    "access": "public",
    "baseBranch": "main",
    "updateInternalDependencies": "patch",
    "ignore": ["@acme/example-*"],
}


def changesets_repo(root: Path) -> Path:
    """A pnpm workspace managed with changesets, with two pending changesets."""
    write(root / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n  - 'examples/*'\n")
    package_json(root, ".", {"name": "acme", "private": True})
    package_json(root, "packages/core", js_package("@acme/core", "1.0.0"))
    package_json(
        root,
        "packages/react",
        js_package("@acme/react", "1.0.0", deps={"@acme/core": "workspace:^"}),
    )
    package_json(
        root,
        "packages/web",
        js_package("@acme/web", "0.4.0", deps={"@acme/core": "workspace:^"}),
    )
    package_json(
        root,
        "examples/basic",
        js_package("@acme/example-basic", "0.0.1", deps={"@acme/react": "workspace:*"}),
    )
    write(root / ".changeset" / "config.json", json.dumps(CHANGESET_CONFIG, indent=2) + "\n")
    write(root / ".changeset" / "README.md", "# Changesets\n\nRun `pnpm changeset`.\n")
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "@acme/core@1.0.0", "@acme/react@1.0.0", "@acme/web@0.4.0")
    # Pending changesets: what `changeset version` would consume.
    write(
        root / ".changeset" / "brave-lions-dance.md",
        '---\n"@acme/web": minor\n---\n\nAdd the dark theme.\n',
    )
    write(
        root / ".changeset" / "quiet-owls-sing.md",
        "---\n'@acme/core': patch\n\"@acme/example-basic\": patch\n---\n\nFix the retry loop.\n",
    )
    commit(root, "chore: add changesets")
    return root


# === scale: a genkit-sized history =================================================


def scaled_repo(root: Path, *, py: int = 60, js: int = 60, versions: int = 30) -> Path:
    """~120 members (a uv and a pnpm workspace) and ``(py + js) * versions`` release tags.

    Every member depends on the core of its workspace (as genkit's plugins do) and the
    core offers every plugin as an extra / names none: the soft edges are there too.
    Tags are written with one ``git update-ref --stdin``.
    """
    pyroot, jsroot = root / "py", root / "js"
    names = [f"kit-plugin-{n:03d}" for n in range(py)]
    write(
        pyroot / "pyproject.toml",
        dump(
            {
                "tool": {
                    "uv": {
                        "workspace": {"members": ["packages/*"]},
                        "sources": {n: {"workspace": True} for n in ["kit", *names]},
                    }
                }
            }
        ),
    )
    uv_member(pyroot, "packages/kit", "kit", "1.0.0", extras={n: [n] for n in names[:10]})
    for name in names:
        uv_member(pyroot, f"packages/{name}", name, "1.0.0", deps=("kit",))
    write(jsroot / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    package_json(jsroot, ".", {"name": "kit-js", "private": True})
    package_json(jsroot, "packages/core", js_package("@kit/core", "1.0.0"))
    for n in range(js - 1):
        package_json(
            jsroot,
            f"packages/p{n:03d}",
            js_package(f"@kit/p{n:03d}", "1.0.0", peer={"@kit/core": "workspace:^"}),
        )
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    head = git(root, "rev-parse", "HEAD").strip()
    lines = []
    for v in range(versions):
        version = f"0.{v}.0" if v < versions - 1 else "1.0.0"
        lines += [f"create refs/tags/py/{n}-v{version} {head}" for n in ["kit", *names]]
        lines += [f"create refs/tags/@kit/core@{version} {head}"]
        lines += [f"create refs/tags/@kit/p{n:03d}@{version} {head}" for n in range(js - 1)]
    subprocess.run(
        ["git", "update-ref", "--stdin"],
        cwd=root,
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    commit(root, "feat: a change in the core", "py/packages/kit/src/kit/__init__.py")
    return root


# === autogen ====================================================================


def autogen_like(root: Path) -> Path:
    """microsoft/autogen at 027ecf0: a uv workspace in ``python/`` whose synchronized
    releases were tagged ``v0.4.x`` up to 0.4.4 and ``python-v…`` since (0.7.5 now),
    one member still at a version an old ``v`` tag also names (magentic-one-cli
    0.2.4), and a fix in the core after the last release.
    """
    py = root / "python"

    def members(version: str) -> None:
        uv_member(py, "packages/autogen-core", "autogen-core", version)
        uv_member(
            py,
            "packages/autogen-agentchat",
            "autogen-agentchat",
            version,
            deps=(f"autogen-core=={version}",),
        )

    names = ["autogen-core", "autogen-agentchat", "magentic-one-cli"]
    write(
        py / "pyproject.toml",
        dump(
            {
                "tool": {
                    "uv": {
                        "workspace": {"members": ["packages/*"]},
                        "sources": {n: {"workspace": True} for n in names},
                    }
                }
            }
        ),
    )
    members("0.4.4")
    uv_member(
        py,
        "packages/magentic-one-cli",
        "magentic-one-cli",
        "0.2.4",
        deps=("autogen-agentchat>=0.4",),
    )
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "v0.2.4", *(f"v0.4.{n}" for n in range(5)))
    commit(root, "feat(core): workbench", "python/packages/autogen-core/src/autogen_core/wb.py")
    members("0.7.5")
    commit(root, "chore: release 0.7.5")
    tag(root, "python-v0.7.5")
    commit(
        root,
        "fix(core): trusted namespaces only",
        "python/packages/autogen-core/src/autogen_core/x.py",
    )
    return root


# === trpc (lerna) ===============================================================


def lerna_repo(root: Path, version: str = "11.1.0") -> Path:
    """trpc/trpc at 340811b: a pnpm workspace with lerna.json in fixed mode (one
    version, tags ``v11.1.0``), a private example, then a fix in the server."""
    write(root / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n  - 'examples/*'\n")
    package_json(root, ".", {"name": "@trpc/root", "private": True})
    package_json(root, "packages/server", js_package("@trpc/server", version))
    package_json(
        root,
        "packages/client",
        js_package("@trpc/client", version, peer={"@trpc/server": "workspace:*"}),
    )
    package_json(
        root,
        "examples/minimal",
        js_package("example-minimal", "0.0.0", deps={"@trpc/server": "workspace:*"}, private=True),
    )
    lerna = {
        "version": version,
        "registry": "https://registry.npmjs.org/",
        "npmClient": "pnpm",
        "command": {"version": {"allowBranch": "main"}},
    }
    write(root / "lerna.json", json.dumps(lerna, indent=2) + "\n")
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "v11.0.0", f"v{version}")
    commit(root, "fix(server): keep-alive", "packages/server/index.js")
    return root


# === smithy-go (modman) =========================================================

SMITHY = "github.com/aws/smithy-go"
MODMAN_TOML = """[dependencies]

[modules]

  [modules.codegen]
    no_tag = true

  [modules."codegen/build/test-generated/go/internal/testmodule"]
    no_tag = true
"""


MODMAN_METADATA = """// Code generated by internal/repotools/cmd/updatemodulemeta DO NOT EDIT.

package smithy

// goModuleVersion is the tagged release for this module
const goModuleVersion = "{version}"
"""


def modman_repo(root: Path) -> Path:
    """aws/smithy-go at c589db5: Go modules released with path-prefixed tags, and a
    codegen module modman.toml marks ``no_tag`` (never released, never tagged)."""
    go_module(root, ".", SMITHY, files={"doc.go": go_file("smithy")})
    go_module(root, "aws-http-auth", f"{SMITHY}/aws-http-auth", files={"a.go": go_file("auth")})
    go_module(root, "codegen", f"{SMITHY}/codegen", files={"gen.go": go_file("codegen")})
    for folder, version in ((".", "1.27.7"), ("aws-http-auth", "1.2.1")):
        write(root / folder / "go_module_metadata.go", MODMAN_METADATA.format(version=version))
    write(root / "modman.toml", MODMAN_TOML)
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "v1.27.7", "aws-http-auth/v1.2.1")
    commit(root, "fix: retry on reset", "aws-http-auth/a.go", "codegen/gen.go")
    return root


# === versions kept in a file (autogen's agbench and autogen-studio, and the other backends) ===

# Each member: (name, its version file, the file's text, the build tables, its deps).
# The texts carry what a rewrite must leave alone: quotes, comments, another
# assignment ending like the version's (`API_VERSION = "0.4.3"`).
FILE_VERSIONED: dict[str, tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = {
    "agbench": (
        "agbench",
        "src/agbench/version.py",
        '__version__ = "0.4.1"\n',
        {
            "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
            "tool": {
                "hatch": {
                    "version": {"path": "src/agbench/version.py"},
                    "build": {"targets": {"wheel": {"packages": ["src/agbench"]}}},
                }
            },
        },
        (),
    ),
    "autogen-studio": (
        "autogenstudio",
        "autogenstudio/version.py",
        'VERSION = "0.4.3"\n__version__ = VERSION\nAPI_VERSION = "0.4.3"\nAPP_NAME = "studio"\n',
        {
            "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
            "tool": {
                "hatch": {
                    "version": {"path": "autogenstudio/version.py"},
                    "build": {"targets": {"wheel": {"packages": ["autogenstudio"]}}},
                }
            },
        },
        ("agbench>=0.4.1",),
    ),
    "st-attr": (
        "st-attr",
        "src/st_attr/__init__.py",
        '"""st-attr."""\n\nfrom typing import Final\n\n'
        "__version__: Final = '1.2.0'  # bumped by releasekit\nOTHER = '1.2.0'\n",
        {
            "build-system": {
                "requires": ["setuptools>=77"],
                "build-backend": "setuptools.build_meta",
            },
            "tool": {"setuptools": {"dynamic": {"version": {"attr": "st_attr.__version__"}}}},
        },
        (),
    ),
    "st-file": (
        "st-file",
        "VERSION",
        "2.0.0\n",
        {
            "build-system": {
                "requires": ["setuptools>=77"],
                "build-backend": "setuptools.build_meta",
            },
            "tool": {"setuptools": {"dynamic": {"version": {"file": "VERSION"}}}},
        },
        ("st-attr>=1.2.0",),
    ),
    "pdm-file": (
        "pdm-file",
        "src/pdm_file/__init__.py",
        '__version__ = "3.1.0"  # pdm reads this\n',
        {
            "build-system": {"requires": ["pdm-backend"], "build-backend": "pdm.backend"},
            "tool": {"pdm": {"version": {"source": "file", "path": "src/pdm_file/__init__.py"}}},
        },
        (),
    ),
    "flit-mod": (
        "flit-mod",
        "flit_mod/__init__.py",
        '"""flit-mod."""\n\n__version__ = "0.3.0"\n',
        {"build-system": {"requires": ["flit_core>=3.4"], "build-backend": "flit_core.buildapi"}},
        (),
    ),
}


def file_versioned_repo(root: Path) -> Path:
    """A uv workspace whose members keep their version in a file, one per backend style:
    hatch `path` (autogen's agbench, src layout, and autogen-studio, flat), setuptools
    `attr` (src layout, an annotated assignment) and `file`, pdm-backend `file`, flit's
    module. Each is tagged at its version, then gains a `feat:` commit."""
    names = [spec[0] for spec in FILE_VERSIONED.values()]
    write(
        root / "pyproject.toml",
        dump(
            {
                "tool": {
                    "uv": {
                        "workspace": {"members": ["packages/*"]},
                        "sources": {n: {"workspace": True} for n in names},
                    }
                }
            }
        ),
    )
    for folder, (name, rel, text, tables, deps) in FILE_VERSIONED.items():
        project = {
            "name": name,
            "dynamic": ["version"],
            "description": f"{name} (fixture)",
            "readme": "README.md",
            "license": "MIT",
            "requires-python": ">=3.10",
            "dependencies": list(deps),
        }
        write(root / "packages" / folder / "pyproject.toml", dump({"project": project, **tables}))
        write(root / "packages" / folder / "README.md", f"# {name}\n")
        (root / "packages" / folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "packages" / folder / rel).write_text(text, encoding="utf-8")
        if rel == "VERSION":
            write(root / "packages" / folder / "src/st_file/__init__.py", '"""st-file."""\n')
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    for name, _rel, text, _, _ in FILE_VERSIONED.values():
        version = re.search(r"\d+\.\d+\.\d+", text)
        assert version is not None
        tag(root, f"{name}-v{version.group(0)}")
    for folder in FILE_VERSIONED:
        commit(root, f"feat: {folder} grows", f"packages/{folder}/feature.py")
    return root


# === crewAI =======================================================================


def bare_tags_repo(root: Path) -> Path:
    """crewAIInc/crewAI at f4731f5: a uv workspace at the root whose members release
    together under bare version tags (``1.15.17``; older ``v0.x`` ones), then a feat."""
    names = ["crewai", "crewai-tools"]
    write(
        root / "pyproject.toml",
        dump(
            {
                "tool": {
                    "uv": {
                        "workspace": {"members": [f"lib/{n}" for n in names]},
                        "sources": {n: {"workspace": True} for n in names},
                    }
                }
            }
        ),
    )
    uv_member(root, "lib/crewai", "crewai", "1.15.17")
    uv_member(root, "lib/crewai-tools", "crewai-tools", "1.15.17", deps=("crewai==1.15.17",))
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", GITIGNORE)
    git_init(root)
    tag(root, "v0.119.0", "1.15.16", "1.15.17", "1.9.3")
    commit(root, "feat(events): record whether a run had inputs", "lib/crewai/src/crewai/ev.py")
    return root
