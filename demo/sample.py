"""The bundled sample polyglot monorepo ("acme" by default) used by the demo and the tests.

Three ecosystems, each with a three-level release tree plus the cases users
trip over: a private package, a member pinned to a registry version (outside
the release tree), and Go modules versioned by the committed versions file.

    py/  uv:    acme-core ← acme-http ← acme-cli        acme-sample (private)
    js/  pnpm:  @acme/core ← @acme/http ← @acme/cli     @acme/site (private)
    go/  go:    core ← plugins/http ← cli               (go.work)
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

LICENSE = "Apache License 2.0 (sample)\n"
GO_VERSIONS = {"core": "v0.3.0", "plugins/http": "v0.2.0", "cli": "v0.1.0"}


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _pyproject(
    name: str, version: str, deps: list[str], sources: list[str], private: bool = False
) -> str:
    classifiers = '\nclassifiers = ["Private :: Do Not Upload"]' if private else ""
    source_lines = "".join(f"{s} = {{ workspace = true }}\n" for s in sources)
    sources_table = f"\n[tool.uv.sources]\n{source_lines}" if sources else ""
    module = name.replace("-", "_")
    return (
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        f'description = "{name}: part of the acme sample"\nreadme = "README.md"\n'
        f'license = "Apache-2.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = {json.dumps(deps)}{classifiers}\n\n"
        f'[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n'
        f"{sources_table}"
    )


def write_python(root: Path, ns: str) -> None:
    _write(
        root,
        "py/pyproject.toml",
        """
        # A virtual workspace root: it is not a package itself.
        [tool.uv.workspace]
        members = ["packages/*"]
        """,
    )
    members = {
        f"{ns}-core": ("0.3.0", [], [], False),
        f"{ns}-http": ("0.2.0", [f"{ns}-core>=0.3.0"], [f"{ns}-core"], False),
        f"{ns}-cli": (
            "0.1.0",
            [f"{ns}-http>=0.2.0", f"{ns}-core>=0.3.0"],
            [f"{ns}-http", f"{ns}-core"],
            False,
        ),
        f"{ns}-sample": ("0.0.1", [f"{ns}-cli"], [f"{ns}-cli"], True),
    }
    for name, (version, deps, sources, private) in members.items():
        module = name.replace("-", "_")
        base = f"py/packages/{name}"
        _write(root, f"{base}/pyproject.toml", _pyproject(name, version, deps, sources, private))
        _write(root, f"{base}/README.md", f"# {name}\n")
        _write(root, f"{base}/src/{module}/__init__.py", f'NAME = "{name}"\n')


def write_js(root: Path, ns: str) -> None:
    _write(root, "js/pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    _write(root, "js/package.json", f'{{\n  "name": "{ns}-js-workspace",\n  "private": true\n}}\n')
    members = {
        "core": (f"@{ns}/core", "0.3.0", {}, False),
        "http": (f"@{ns}/http", "0.2.0", {f"@{ns}/core": "workspace:^"}, False),
        "cli": (
            f"@{ns}/cli",
            "0.1.0",
            {f"@{ns}/http": "workspace:^", f"@{ns}/core": "workspace:*"},
            False,
        ),
        "site": (f"@{ns}/site", "0.0.1", {f"@{ns}/cli": "workspace:*"}, True),
    }
    for folder, (name, version, deps, private) in members.items():
        manifest: dict[str, object] = {
            "name": name,
            "version": version,
            "description": f"{name}: part of the acme sample",
            "license": "Apache-2.0",
            "main": "index.js",
        }
        if private:
            manifest["private"] = True
        if deps:
            manifest["dependencies"] = deps
        _write(root, f"js/packages/{folder}/package.json", json.dumps(manifest, indent=2) + "\n")
        _write(root, f"js/packages/{folder}/README.md", f"# {name}\n")
        requires = "".join(f'require("{d}");\n' for d in deps)
        _write(root, f"js/packages/{folder}/index.js", f'{requires}module.exports = "{name}";\n')


def write_go(root: Path, ns: str) -> None:
    base = f"example.com/{ns}"
    modules = {
        "core": [],
        "plugins/http": ["core"],
        "cli": ["plugins/http", "core"],
    }
    uses = "".join(f"\t./{m}\n" for m in modules)
    _write(root, "go/go.work", f"go 1.22\n\nuse (\n{uses})\n")
    for module, deps in modules.items():
        path = f"{base}/go/{module}"
        # Published go.mod files require the released versions; the local
        # replaces only matter inside this repository.
        # Written the way `go mod tidy` writes them, so a tidy changes only versions.
        requires = [f"{base}/go/{d} {GO_VERSIONS[d]}" for d in sorted(deps)]
        replaces = "\n".join(f"replace {base}/go/{d} => {_relative(module, d)}\n" for d in deps)
        if len(requires) > 1:
            require_block = "\nrequire (\n" + "".join(f"\t{r}\n" for r in requires) + ")\n"
        else:
            require_block = "".join(f"\nrequire {r}\n" for r in requires)
        replace_block = f"\n{replaces}" if deps else ""
        _write(
            root, f"go/{module}/go.mod", f"module {path}\n\ngo 1.22\n{require_block}{replace_block}"
        )
        package = module.rsplit("/", 1)[-1]
        imports = "".join(f'\t_ "{base}/go/{d}"\n' for d in deps)
        import_block = f"import (\n{imports})\n\n" if deps else ""
        _write(
            root,
            f"go/{module}/{package}.go",
            f'package {package}\n\n{import_block}// Name says which module this is.\nconst Name = "{path}"\n',
        )
        _write(root, f"go/{module}/README.md", f"# {path}\n")
    versions = {f"go/{m}": GO_VERSIONS[m] for m in modules}
    _write(root, ".releasekit-versions.json", json.dumps(versions, indent=2) + "\n")


def write_config(root: Path, ns: str, registries: Registries | None) -> None:
    _write(root, "releasekit.toml", render_config(registries))
    _write(root, "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
    _write(root, "LICENSE", LICENSE)
    _write(root, ".gitignore", ".releasekit/\n.doit.db*\nnode_modules/\ndist/\n.venv/\n")
    _write(root, f"py/packages/{ns}-core/releasekit.toml", 'group = "core"\n')
    _write(root, "js/packages/core/releasekit.toml", 'group = "core"\n')
    _write(root, "go/core/releasekit.toml", 'group = "core"\n')


def _lock(root: Path) -> None:
    """Commit lockfiles, as a real repo would: uv.lock and pnpm-lock.yaml."""
    subprocess.run(["uv", "lock", "-q"], cwd=root / "py", check=True, capture_output=True)
    subprocess.run(
        ["pnpm", "install", "--lockfile-only", "--silent"],
        cwd=root / "js",
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class Registries:
    """Where the sample publishes: loopback registries in the demo and the tests."""

    pypi_simple: str  # PEP 503 index, e.g. http://127.0.0.1:8081/simple/
    pypi_upload: str  # e.g. http://127.0.0.1:8081/
    npm: str  # e.g. http://127.0.0.1:4873/
    goproxy: str  # URL that serves goproxy_dir
    goproxy_dir: Path  # the static GOPROXY tree releasekit writes


def render_config(registries: Registries | None) -> str:
    py = js = go = ""
    if registries:
        py = f'registry = "{registries.pypi_simple}"\nupload_url = "{registries.pypi_upload}"\n'
        js = f'registry = "{registries.npm}"\n'
        go = f'registry = "{registries.goproxy}"\nproxy_dir = "{registries.goproxy_dir}"\n'
    return (
        "# The sample monorepo: one uv, one pnpm and one Go workspace.\n"
        "synchronize = false\n"
        'tag_format = "{name}-v{version}"\n'
        'umbrella_tag = "v{version}"\n\n'
        f'[ecosystems.py]\nkind = "uv"\nworkspace_root = "py"\n{py}\n'
        f'[ecosystems.js]\nkind = "pnpm"\nworkspace_root = "js"\n{js}\n'
        f'[ecosystems.go]\nkind = "go"\nworkspace_root = "go"\n{go}'
    )


def _relative(module: str, dep: str) -> str:
    depth = module.count("/") + 1
    return "../" * depth + dep


def build_sample(
    root: Path,
    *,
    namespace: str = "acme",
    registries: Registries | None = None,
    remote: str | None = None,
    git: bool = True,
) -> Path:
    """Write the sample monorepo into ``root`` and make it a git repo with one commit.

    ``namespace`` prefixes every package name, so several samples can share
    one registry; ``remote`` becomes git's ``origin`` (Go tags are pushed there).
    """
    root.mkdir(parents=True, exist_ok=True)
    write_python(root, namespace)
    write_js(root, namespace)
    write_go(root, namespace)
    write_config(root, namespace, registries)
    _lock(root)
    if git:
        for args in (
            ["init", "-q", "-b", "main"],
            ["config", "user.email", "release-bot@example.com"],
            ["config", "user.name", "Release Bot"],
            ["config", "commit.gpgsign", "false"],
            ["add", "-A"],
            ["commit", "-q", "-m", "feat: the acme sample monorepo"],
        ):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
        if remote:
            for args in (["remote", "add", "origin", remote], ["push", "-q", "origin", "main"]):
                subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root
