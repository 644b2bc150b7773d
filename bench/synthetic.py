"""A synthetic polyglot monorepo for the benchmarks: N packages over uv, pnpm and Go.

The packages are split about evenly over the three ecosystems (package k goes
to ``ECOSYSTEMS[k % 3]``). Within one ecosystem, packages are spread over
``levels`` topological levels; a package on level l > 0 depends on one package
of level l - 1 (so its level is exactly l) and on ``deps - 1`` more picked from
every lower level. Edges never cross ecosystems, as releasekit's never do.
Level-0 packages have no dependencies, so the mean is a little under ``deps``.

The manifests are the real thing: uv members sourced with
``[tool.uv.sources] x = { workspace = true }``, pnpm ``workspace:^`` ranges,
and Go modules used by go.work with a local ``replace`` per requirement and
their versions in the committed ``.releasekit-versions.json``. The repo also
gets releasekit.toml, a one-line dodo.py and a git commit. The same arguments
always give the same repo (seeded ``random.Random``).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from demo.sample import Registries, render_config

ECOSYSTEMS = ("uv", "pnpm", "go")
LABELS = {"uv": "py", "pnpm": "js", "go": "go"}
GO_DIRECTIVE = "1.22"
LICENSE = "Apache License 2.0 (synthetic benchmark repo)\n"
IGNORE = ".releasekit/\n.doit.db*\nnode_modules/\ndist/\n.venv/\n"

__all__ = ["ECOSYSTEMS", "Registries", "SyntheticRepo", "generate"]


@dataclass
class SyntheticRepo:
    """What was generated: package ids (releasekit's ``<label>/<name>``) and their edges."""

    root: Path
    namespace: str
    levels: int
    ids: dict[str, list[str]] = field(default_factory=dict)  # ecosystem -> ids, by index
    level: dict[str, int] = field(default_factory=dict)
    deps: dict[str, list[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.level)

    @property
    def edges(self) -> int:
        return sum(len(d) for d in self.deps.values())


@dataclass(frozen=True)
class _Pkg:
    index: int  # within its ecosystem
    level: int
    version: str  # without a leading v
    deps: tuple[int, ...]  # indexes within the same ecosystem


def generate(
    root: Path,
    *,
    packages: int = 1000,
    levels: int = 6,
    deps: int = 3,
    seed: int = 20240601,
    namespace: str = "syn",
    registries: Registries | None = None,
    remote: str | None = None,
    lock: bool = False,
) -> SyntheticRepo:
    """Write the repo into ``root`` (created; must not hold another repo) and commit it.

    ``namespace`` prefixes every package name (a fresh one gives names no
    registry holds yet); ``registries`` goes into releasekit.toml as in the
    demo; ``remote`` becomes git's ``origin`` (Go tags are pushed there) and
    gets the commit; ``lock`` commits uv.lock and pnpm-lock.yaml, as a real
    repo would (slower: it runs ``uv lock`` and ``pnpm install --lockfile-only``).
    """
    if packages < 3 or levels < 1 or deps < 1:
        raise ValueError("need packages >= 3, levels >= 1 and deps >= 1")
    rng = random.Random(seed)
    counts = {eco: len(range(n, packages, 3)) for n, eco in enumerate(ECOSYSTEMS)}
    plan = {eco: _layout(rng, counts[eco], levels, deps) for eco in ECOSYSTEMS}
    root.mkdir(parents=True, exist_ok=True)
    repo = SyntheticRepo(root=root, namespace=namespace, levels=levels)
    names = {
        "uv": [f"{namespace}-mod{k:04d}" for k in range(counts["uv"])],
        "pnpm": [f"@{namespace}/mod{k:04d}" for k in range(counts["pnpm"])],
        "go": [f"example.com/{namespace}/go/m{k:04d}" for k in range(counts["go"])],
    }
    for eco in ECOSYSTEMS:
        ids = [f"{LABELS[eco]}/{name}" for name in names[eco]]
        repo.ids[eco] = ids
        for pkg in plan[eco]:
            repo.level[ids[pkg.index]] = pkg.level
            repo.deps[ids[pkg.index]] = [ids[d] for d in pkg.deps]
    _write_uv(root, plan["uv"], names["uv"])
    _write_pnpm(root, plan["pnpm"], names["pnpm"], namespace)
    _write_go(root, plan["go"], names["go"])
    _write(root, "releasekit.toml", render_config(registries))
    _write(root, "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
    _write(root, "LICENSE", LICENSE)
    _write(root, ".gitignore", IGNORE)
    if lock:
        _run(["uv", "lock", "-q"], root / "py")
        _run(["pnpm", "install", "--lockfile-only", "--silent"], root / "js")
    _commit(root, remote)
    return repo


def _layout(rng: random.Random, count: int, levels: int, deps: int) -> list[_Pkg]:
    """``count`` packages on ``levels`` levels (as even as the count allows), deps only downwards."""
    levels = min(levels, count)  # no empty level: each level's packages need one below
    level_of = [k * levels // count for k in range(count)]
    by_level: dict[int, list[int]] = {}
    for k, lvl in enumerate(level_of):
        by_level.setdefault(lvl, []).append(k)
    result = []
    for k, lvl in enumerate(level_of):
        chosen: list[int] = []
        if lvl > 0:
            chosen.append(rng.choice(by_level[lvl - 1]))
            lower = [j for j in range(k) if level_of[j] < lvl and j not in chosen]
            chosen += rng.sample(lower, min(deps - 1, len(lower)))
        version = f"{rng.randint(0, 1)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
        result.append(_Pkg(k, lvl, version, tuple(sorted(chosen))))
    return result


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_uv(root: Path, plan: list[_Pkg], names: list[str]) -> None:
    _write(
        root,
        "py/pyproject.toml",
        '# A virtual workspace root.\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
    )
    for pkg in plan:
        name = names[pkg.index]
        module = name.replace("-", "_")
        requires = [f"{names[d]}>={plan[d].version}" for d in pkg.deps]
        sources = "".join(f"{names[d]} = {{ workspace = true }}\n" for d in pkg.deps)
        text = (
            f'[project]\nname = "{name}"\nversion = "{pkg.version}"\n'
            f'description = "{name}: a synthetic benchmark package"\nreadme = "README.md"\n'
            f'license = "Apache-2.0"\nrequires-python = ">=3.11"\n'
            f"dependencies = {json.dumps(requires)}\n\n"
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n'
        )
        if sources:
            text += f"\n[tool.uv.sources]\n{sources}"
        base = f"py/packages/{name}"
        _write(root, f"{base}/pyproject.toml", text)
        _write(root, f"{base}/README.md", f"# {name}\n")
        imports = "".join(f"import {names[d].replace('-', '_')}  # noqa: F401\n" for d in pkg.deps)
        _write(root, f"{base}/src/{module}/__init__.py", f'{imports}NAME = "{name}"\n')


def _write_pnpm(root: Path, plan: list[_Pkg], names: list[str], namespace: str) -> None:
    _write(root, "js/pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
    root_manifest = {"name": f"{namespace}-js-workspace", "private": True}
    _write(root, "js/package.json", json.dumps(root_manifest, indent=2) + "\n")
    for pkg in plan:
        name = names[pkg.index]
        folder = f"js/packages/{name.split('/', 1)[1]}"
        manifest: dict[str, object] = {
            "name": name,
            "version": pkg.version,
            "description": f"{name}: a synthetic benchmark package",
            "license": "Apache-2.0",
            "main": "index.js",
        }
        if pkg.deps:
            manifest["dependencies"] = {names[d]: "workspace:^" for d in pkg.deps}
        _write(root, f"{folder}/package.json", json.dumps(manifest, indent=2) + "\n")
        _write(root, f"{folder}/README.md", f"# {name}\n")
        requires = "".join(f'require("{names[d]}");\n' for d in pkg.deps)
        _write(root, f"{folder}/index.js", f'{requires}module.exports = "{name}";\n')


def _write_go(root: Path, plan: list[_Pkg], names: list[str]) -> None:
    folders = [f"m{pkg.index:04d}" for pkg in plan]
    uses = "".join(f"\t./{f}\n" for f in folders)
    _write(root, "go/go.work", f"go {GO_DIRECTIVE}\n\nuse (\n{uses})\n")
    versions = {}
    for pkg in plan:
        folder, path = folders[pkg.index], names[pkg.index]
        text = f"module {path}\n\ngo {GO_DIRECTIVE}\n"
        if pkg.deps:
            # What the published go.mod requires; the replaces matter only in this repo.
            requires = "".join(f"\t{names[d]} v{plan[d].version}\n" for d in pkg.deps)
            replaces = "".join(f"replace {names[d]} => ../{folders[d]}\n" for d in pkg.deps)
            text += f"\nrequire (\n{requires})\n\n{replaces}"
        _write(root, f"go/{folder}/go.mod", text)
        imports = "".join(f'\t_ "{names[d]}"\n' for d in pkg.deps)
        import_block = f"import (\n{imports})\n\n" if pkg.deps else ""
        _write(
            root,
            f"go/{folder}/{folder}.go",
            f"package {folder}\n\n{import_block}// Name says which module this is.\n"
            f'const Name = "{path}"\n',
        )
        _write(root, f"go/{folder}/README.md", f"# {path}\n")
        versions[f"go/{folder}"] = f"v{pkg.version}"
    _write(root, ".releasekit-versions.json", json.dumps(versions, indent=2) + "\n")


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` in {cwd} failed:\n{result.stdout}{result.stderr}")


def _commit(root: Path, remote: str | None) -> None:
    # A fixed identity and date, so the same arguments give the same commit.
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2024-06-01T12:00:00Z",
        "GIT_COMMITTER_DATE": "2024-06-01T12:00:00Z",
    }
    steps = [
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "release-bot@example.com"],
        ["config", "user.name", "Release Bot"],
        ["config", "commit.gpgsign", "false"],
        ["add", "-A"],
        ["commit", "-q", "-m", "feat: synthetic benchmark monorepo"],
    ]
    if remote:
        steps += [["remote", "add", "origin", remote], ["push", "-q", "origin", "main"]]
    for args in steps:
        result = subprocess.run(
            ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed in {root}:\n{result.stderr}")


def load_average() -> str:
    """The 1/5/15-minute load: the benchmarks print it, since other work skews wall times."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())
