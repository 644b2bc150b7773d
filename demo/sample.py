"""The bundled sample polyglot monorepo ("acme") used by the demo and the tests.

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
from pathlib import Path

MODULE_BASE = "example.com/acme"
LICENSE = "Apache License 2.0 (sample)\n"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _pyproject(name: str, version: str, deps: list[str], sources: list[str], private: bool = False) -> str:
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


def write_python(root: Path) -> None:
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
        "acme-core": ("0.3.0", [], [], False),
        "acme-http": ("0.2.0", ["acme-core>=0.3.0"], ["acme-core"], False),
        "acme-cli": ("0.1.0", ["acme-http>=0.2.0", "acme-core>=0.3.0"], ["acme-http", "acme-core"], False),
        "acme-sample": ("0.0.1", ["acme-cli"], ["acme-cli"], True),
    }
    for name, (version, deps, sources, private) in members.items():
        module = name.replace("-", "_")
        base = f"py/packages/{name}"
        _write(root, f"{base}/pyproject.toml", _pyproject(name, version, deps, sources, private))
        _write(root, f"{base}/README.md", f"# {name}\n")
        _write(root, f"{base}/src/{module}/__init__.py", f'NAME = "{name}"\n')


def write_js(root: Path) -> None:
    _write(root, "js/pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    _write(root, "js/package.json", '{\n  "name": "acme-js-workspace",\n  "private": true\n}\n')
    members = {
        "core": ("@acme/core", "0.3.0", {}, False),
        "http": ("@acme/http", "0.2.0", {"@acme/core": "workspace:^"}, False),
        "cli": ("@acme/cli", "0.1.0", {"@acme/http": "workspace:^", "@acme/core": "workspace:*"}, False),
        "site": ("@acme/site", "0.0.1", {"@acme/cli": "workspace:*"}, True),
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


def write_go(root: Path) -> None:
    modules = {
        "core": [],
        "plugins/http": ["core"],
        "cli": ["plugins/http", "core"],
    }
    uses = "".join(f"\t./{m}\n" for m in modules)
    _write(root, "go/go.work", f"go 1.22\n\nuse (\n{uses})\n")
    for module, deps in modules.items():
        path = f"{MODULE_BASE}/go/{module}"
        requires = "".join(f"\t{MODULE_BASE}/go/{d} v0.0.0\n" for d in deps)
        replaces = "".join(
            f"replace {MODULE_BASE}/go/{d} => {_relative(module, d)}\n" for d in deps
        )
        require_block = f"\nrequire (\n{requires})\n" if deps else ""
        replace_block = f"\n{replaces}" if deps else ""
        _write(root, f"go/{module}/go.mod", f"module {path}\n\ngo 1.22\n{require_block}{replace_block}")
        package = module.rsplit("/", 1)[-1]
        imports = "".join(f'\t_ "{MODULE_BASE}/go/{d}"\n' for d in deps)
        import_block = f"import (\n{imports})\n\n" if deps else ""
        _write(
            root,
            f"go/{module}/{package}.go",
            f'package {package}\n\n{import_block}// Name says which module this is.\nconst Name = "{path}"\n',
        )
        _write(root, f"go/{module}/README.md", f"# {path}\n")
    versions = {f"go/{m}": v for m, v in zip(modules, ["v0.3.0", "v0.2.0", "v0.1.0"], strict=True)}
    _write(root, ".releasekit-versions.json", json.dumps(versions, indent=2) + "\n")


def write_config(root: Path) -> None:
    _write(
        root,
        "releasekit.toml",
        """
        # The acme sample: one uv, one pnpm and one Go workspace.
        synchronize = false
        tag_format = "{name}-v{version}"
        umbrella_tag = "v{version}"

        [ecosystems.py]
        kind = "uv"
        workspace_root = "py"

        [ecosystems.js]
        kind = "pnpm"
        workspace_root = "js"

        [ecosystems.go]
        kind = "go"
        workspace_root = "go"
        """,
    )
    _write(root, "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
    _write(root, "LICENSE", LICENSE)
    _write(root, ".gitignore", ".releasekit/\n.doit.db*\nnode_modules/\ndist/\n.venv/\n")
    _write(root, "py/packages/acme-core/releasekit.toml", 'group = "core"\n')
    _write(root, "js/packages/core/releasekit.toml", 'group = "core"\n')
    _write(root, "go/core/releasekit.toml", 'group = "core"\n')


def _relative(module: str, dep: str) -> str:
    depth = module.count("/") + 1
    return "../" * depth + dep


def build_sample(root: Path, *, git: bool = True) -> Path:
    """Write the acme monorepo into ``root`` (and make it a git repo with one commit)."""
    root.mkdir(parents=True, exist_ok=True)
    write_python(root)
    write_js(root)
    write_go(root)
    write_config(root)
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
    return root
