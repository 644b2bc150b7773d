"""A polyglot monorepo with the edge cases ``doit plan`` / ``graph`` / ``check`` must get right.

    py/   uv    a-core ← a-http ← a-cli ← z-private (Private :: classifier)
                b-util ← b-app               (a second, independent tree; root-level source)
                c-pinned                      (requires a-core==1.0.0 from the registry: external)
                a-core's dev group needs b-util (workspace-sourced, but not an edge)
    js/   pnpm  @poly/core ← @poly/web        (web's devDependency on @poly/tools is no edge)
                @poly/tools (private: true)   @poly/legacy (^1.0.0 on core: external;
                                              publishable = false in its releasekit.toml)
    go/   go    core ← plugins/http           (go.work; versions from the versions file)
    gox/  go    lib ← tool, lib ← hello       (no go.work: nested go.mod scan, local replaces;
                nested/deep (no version)      versions from path-prefixed tags)
                pinned (requires lib v1.0.0 without a replace: external)
                hello (module path `gox/hello`: no dot, so private)

Real uv refuses to lock a workspace with a member pinned to a registry version,
so this repo is for discovery, planning and checks only (it is never locked).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.repos.common import git_init, write
from tests.repos.golang import Mod, go_repo
from tests.repos.uv import WORKSPACE, member, uv_workspace

DODO = "from releasekit_tasks import *  # noqa: F403\n"
LICENSE = "MIT License (fixture)\n"
GO_PREFIX = "example.com/poly"

# Go tags of the go.work-less workspace: the highest version that fits the
# module path wins (v1.10.0 > v1.2.0; v2.0.0 needs a /v2 path, so it is ignored).
GOX_TAGS = (
    "gox/lib/v1.1.0",
    "gox/lib/v1.2.0",
    "gox/lib/v1.10.0",
    "gox/lib/v2.0.0",
    "gox/tool/v0.2.0",
    "gox/tool/v0.3.0-rc.1",
    "go/core/v1.0.0",  # older than the versions file's entry, which wins
)


# doit opens its dep file (.releasekit/doit.sqlite3 with releasekit's backend)
# before it loads dodo.py, so even a run that fails on bad input leaves it behind.
DOIT_DB = frozenset(
    {".releasekit/doit.sqlite3", ".releasekit/doit.sqlite3-wal", ".releasekit/doit.sqlite3-shm"}
)


def without_doit_db(files: dict[str, bytes]) -> dict[str, bytes]:
    """A ``common.snapshot`` without doit's dep file: everything else must stay as it was."""
    return {k: v for k, v in files.items() if Path(k).as_posix() not in DOIT_DB}


def write_config(root: Path, ecosystems: dict[str, tuple[str, str]], extra: str = "") -> None:
    """releasekit.toml with ``label -> (kind, workspace_root)`` and the one-line dodo.py."""
    sections = "".join(
        f'\n[ecosystems.{label}]\nkind = "{kind}"\nworkspace_root = "{ws}"\n'
        for label, (kind, ws) in ecosystems.items()
    )
    write(root / "releasekit.toml", f"synchronize = false\n{extra}{sections}")
    write(root / "dodo.py", DODO)


def _meta(name: str) -> dict[str, Any]:
    return {"description": f"{name} (fixture)", "license": "MIT", "readme": "README.md"}


def write_uv(root: Path) -> None:
    py = root / "py"
    members = {
        "packages/a-core": member("a-core", "1.0.0", groups={"dev": ["b-util"]}, **_meta("a-core")),
        "packages/a-http": member(
            "a-http",
            "1.1.0",
            deps=["a-core>=1.0"],
            sources={"a-core": WORKSPACE},
            **_meta("a-http"),
        ),
        "packages/a-cli": member(
            "a-cli",
            "0.5.0",
            deps=["a-http>=1.1", "a-core>=1.0"],
            sources={"a-http": WORKSPACE, "a-core": WORKSPACE},
            **_meta("a-cli"),
        ),
        "packages/b-util": member("b-util", "2.0.0", **_meta("b-util")),
        # Sourced from the workspace by the root's [tool.uv.sources].
        "packages/b-app": member("b-app", "0.1.0", deps=["b-util>=2"], **_meta("b-app")),
        "packages/c-pinned": member(
            "c-pinned", "0.2.0", deps=["a-core==1.0.0"], **_meta("c-pinned")
        ),
        "packages/z-private": member(
            "z-private",
            "0.0.1",
            deps=["a-cli"],
            sources={"a-cli": WORKSPACE},
            classifiers=["Private :: Do Not Upload"],
        ),
    }
    uv_workspace(py, members, sources={"b-util": WORKSPACE})
    for folder in members:
        write(py / folder / "README.md", f"# {folder}\n")
    write(py / "packages/a-core/releasekit.toml", 'group = "core"\n')
    write(py / "packages/a-cli/releasekit.toml", 'group = "apps"\n')


def write_pnpm(root: Path) -> None:
    js = root / "js"
    write(js / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    write(js / "package.json", json.dumps({"name": "poly-js", "private": True}) + "\n")
    members: dict[str, dict[str, object]] = {
        "core": {"name": "@poly/core", "version": "1.0.0"},
        "web": {
            "name": "@poly/web",
            "version": "1.2.0",
            "dependencies": {"@poly/core": "workspace:^"},
            "devDependencies": {"@poly/tools": "workspace:*"},
        },
        "tools": {"name": "@poly/tools", "version": "0.1.0", "private": True},
        "legacy": {
            "name": "@poly/legacy",
            "version": "0.9.0",
            "dependencies": {"@poly/core": "^1.0.0"},
        },
    }
    for folder, manifest in members.items():
        manifest.update(description=f"{manifest['name']} (fixture)", license="MIT")
        write(js / "packages" / folder / "package.json", json.dumps(manifest, indent=2) + "\n")
        write(js / "packages" / folder / "README.md", f"# {manifest['name']}\n")
    write(js / "packages/core/releasekit.toml", 'group = "core"\n')
    write(js / "packages/legacy/releasekit.toml", "publishable = false\n")
    write(js / "packages/web/releasekit.toml", 'registry = "https://npm.example.com/"\n')


def write_go(root: Path) -> None:
    core = Mod("core", f"{GO_PREFIX}/go/core")
    http = Mod("plugins/http", f"{GO_PREFIX}/go/plugins/http", (core.path,))
    ws = go_repo(root, (core, http), workspace="go", go_work="block")
    for mod in (core, http):
        write(ws / mod.dir / "README.md", f"# {mod.path}\n")
    write(ws / "core/releasekit.toml", 'group = "core"\n')
    # "1.4.0" without its v: the versions file accepts both spellings.
    write(
        root / ".releasekit-versions.json",
        json.dumps({"go/core": "1.4.0", "go/plugins/http": "v0.2.0"}, indent=2) + "\n",
    )


def write_gox(root: Path) -> None:
    lib = Mod("lib", f"{GO_PREFIX}/gox/lib")
    tool = Mod("tool", f"{GO_PREFIX}/gox/tool", (lib.path,))
    deep = Mod("nested/deep", f"{GO_PREFIX}/gox/nested/deep")
    hello = Mod("hello", "gox/hello", (lib.path,))
    ws = go_repo(root, (lib, tool, deep, hello), workspace="gox", go_work=None)
    # Required from the registry (no replace): an external dependency.
    write(
        ws / "pinned/go.mod",
        f"module {GO_PREFIX}/gox/pinned\n\ngo 1.22\n\nrequire {lib.path} v1.0.0\n",
    )
    for folder in ("lib", "tool", "nested/deep", "hello", "pinned"):
        write(ws / folder / "README.md", f"# {folder}\n")
    # Folders the go command skips, so discovery must too.
    for skipped in ("testdata/fake", "_old", ".hidden", "tool/vendor/example.com/v"):
        write(ws / skipped / "go.mod", f"module example.com/skipped/{len(skipped)}\n\ngo 1.22\n")


def polyglot_repo(root: Path) -> Path:
    """Write the repository described in the module docstring, commit it, and tag it."""
    root.mkdir(parents=True, exist_ok=True)
    write_config(
        root,
        {"py": ("uv", "py"), "js": ("pnpm", "js"), "go": ("go", "go"), "gox": ("go", "gox")},
    )
    write(root / "LICENSE", LICENSE)
    write(root / ".gitignore", ".releasekit/\n")
    write_uv(root)
    write_pnpm(root)
    write_go(root)
    write_gox(root)
    git_init(root)
    for tag in GOX_TAGS:
        subprocess.run(["git", "tag", tag], cwd=root, check=True, capture_output=True)
    return root
