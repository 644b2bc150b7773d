"""Builders of small Go multi-module repositories that the real go command accepts.

``go_repo(root, modules)`` writes every module (go.mod plus one Go file that
imports its direct dependencies) under ``root/<workspace>/`` and, depending on
``go_work``, a go.work (block or single-line ``use``) or the local ``replace``
lines the go command needs without one. Requirements are complete (transitive
internal modules are listed ``// indirect``), so the go.mod files are tidy and
``go list -m all`` / ``go build ./...`` run offline. Every requirement is a
module of the repository: the go command can never need the network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.repos.common import write

REPO = "github.com/acme/mono"  # the module path prefix of the repository root
GO = "1.22"


@dataclass(frozen=True)
class Mod:
    dir: str  # relative to the Go workspace root, POSIX
    path: str  # the module path
    deps: tuple[str, ...] = ()  # module paths it imports (its direct requirements)


GENKIT = Mod("genkit", f"{REPO}/go/genkit")
GOOGLEAI = Mod("plugins/googleai", f"{REPO}/go/plugins/googleai", (GENKIT.path,))
VERTEXAI = Mod(
    "plugins/vertexai/v2", f"{REPO}/go/plugins/vertexai/v2", (GENKIT.path, GOOGLEAI.path)
)
HELLO = Mod("samples/hello", "example/hello", (GOOGLEAI.path, VERTEXAI.path))  # no dot: private
GENKIT_LIKE = (GENKIT, GOOGLEAI, VERTEXAI, HELLO)


def closure(mod: Mod, by_path: dict[str, Mod]) -> list[str]:
    """Every internal module path ``mod`` needs, directly or not, sorted."""
    seen: set[str] = set()
    stack = list(mod.deps)
    while stack:
        path = stack.pop()
        if path not in seen:
            seen.add(path)
            stack.extend(by_path[path].deps)
    return sorted(seen)


def go_repo(
    root: Path,
    modules: tuple[Mod, ...] = GENKIT_LIKE,
    *,
    workspace: str = "go",
    go_work: Literal["block", "single"] | None = "block",
    replaces: bool = True,
    pinned: frozenset[str] = frozenset(),
    version: str = "v0.1.0",
) -> Path:
    """Write the modules under ``root/workspace`` and return that folder.

    With ``replaces`` each go.mod replaces every internal module it needs by
    its relative folder, except the paths in ``pinned`` (required from the
    registry, so not buildable offline). The go command needs those replaces
    even with a go.work when it cannot reach a proxy: in workspace mode it
    still reads the go.mod of each required version.
    """
    ws = root / workspace
    by_path = {m.path: m for m in modules}
    for mod in modules:
        write(ws / mod.dir / "go.mod", gomod_text(mod, by_path, replaces, pinned, version))
        write(ws / mod.dir / f"{package_name(mod)}.go", go_source(mod, by_path))
    if go_work == "block":
        uses = "".join(f"\t./{m.dir}\n" for m in modules)
        write(ws / "go.work", f"go {GO}\n\nuse (\n{uses})\n")
    elif go_work == "single":
        write(ws / "go.work", f"go {GO}\n\n" + "".join(f"use ./{m.dir}\n" for m in modules))
    return ws


def gomod_text(
    mod: Mod, by_path: dict[str, Mod], replaces: bool, pinned: frozenset[str], version: str
) -> str:
    needed = closure(mod, by_path)
    lines = [f"module {mod.path}", "", f"go {GO}", ""]
    if needed:
        lines.append("require (")
        for path in needed:
            indirect = "" if path in mod.deps else " // indirect"
            lines.append(f"\t{path} {required_version(path, version)}{indirect}")
        lines += [")", ""]
    if replaces:
        for path in needed:
            if path not in pinned:
                rel = os.path.relpath(by_path[path].dir, mod.dir)
                lines.append(f"replace {path} => {Path(rel).as_posix()}")
    return "\n".join(lines).rstrip("\n") + "\n"


def required_version(path: str, version: str) -> str:
    """``version`` for a v0/v1 module; ``vN.0.0`` for a ``/vN`` one (Go's major rule)."""
    last = path.rsplit("/", 1)[-1]
    return f"{last}.0.0" if last[:1] == "v" and last[1:].isdigit() else version


def package_name(mod: Mod) -> str:
    parts = mod.path.split("/")
    return parts[-2] if parts[-1][:1] == "v" and parts[-1][1:].isdigit() else parts[-1]


def go_source(mod: Mod, by_path: dict[str, Mod]) -> str:
    """A Go file whose Name() calls Name() of each direct dependency.

    No package imports the standard library, so building them all is quick.
    """
    imports = "".join(f'\t{package_name(by_path[p])} "{p}"\n' for p in mod.deps)
    calls = "".join(f' + " " + {package_name(by_path[p])}.Name()' for p in mod.deps)
    text = f"package {package_name(mod)}\n\n"
    if imports:
        text += f"import (\n{imports})\n\n"
    return text + f'func Name() string {{ return "{mod.dir}"{calls} }}\n'
