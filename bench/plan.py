"""How fast releasekit-tasks reads a large repo: ``doit list``, ``doit plan``, ``doit graph``.

Generates a synthetic polyglot monorepo (default 1,000 packages over uv, pnpm
and Go, 6 levels, about 3 internal deps each), then times, as a user would
run them (a fresh ``python -m doit`` process each time, in the repo):

    doit list --all             every task `doit publish` would run (~4 per package)
    doit plan --format json     the release plan
    doit graph --format json    the dependency graph

Prints the median, min and max wall time of ``--runs`` runs (after one
untimed warm-up) and the median CPU time (user + sys), which other work on
the machine barely moves.

The floor, measured in the same run: a dodo file that reads every manifest
of the repo with tomllib/json (go.mod as text) and gives doit the same task
names ``doit list --all`` printed, as trivial tasks; ``doit list --all`` on
it is what no release tool on doit can beat. The ratio of the real listing to
it is the target (≤ 1.2). ``--growth`` also times ``doit list --all`` on a
5× larger repo: the time should grow at most 5×.
The target is under 1 s each; a figure above that is profiled
(``python -X importtime`` and cProfile) and the top entries printed. If pnpm
is on PATH it also times ``pnpm -r ls --depth -1 --json`` on the pnpm part of
the same repo, as a real peer figure.

    source scripts/env.sh && python bench/plan.py [--packages 1000] [--runs 5] [--growth] [--profile]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.synthetic import SyntheticRepo, generate, load_average  # noqa: E402

TARGET = 1.0  # seconds
FLOOR_RATIO = 1.2  # doit list --all against the floor
GROWTH = 5  # --growth: the larger repo has this many times the packages
DOIT = [sys.executable, "-m", "doit"]
COMMANDS = {
    "doit list --all": ["list", "--all"],
    "doit plan --format json": ["plan", "--format", "json"],
    "doit graph --format json": ["graph", "--format", "json"],
}
# Quoted from the DESIGN (measured there, on this kind of machine); not re-run here.
REFERENCE = [
    ("lerna 8 `list --all --toposort`, 400 pnpm packages", 0.64),
    ("pnpm 12 (native) listing the same 400 packages", 0.02),
]


# The environment of every timed process. main() makes it cache bytecode (in the
# work folder, not the source tree) as a normal install does: with
# PYTHONDONTWRITEBYTECODE set, every run would compile our modules anew.
ENV: dict[str, str] = dict(os.environ)


def cache_bytecode(cache: Path) -> None:
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    ENV["PYTHONPYCACHEPREFIX"] = str(cache)


def run(cmd: list[str], cwd: Path) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"bench: `{' '.join(cmd)}` exited {result.returncode}\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[list[float], list[float], str]:
    """Wall and CPU (user + sys) seconds of ``runs`` runs after one untimed warm-up,
    and the last output. CPU time barely moves when other work loads the machine."""
    out = run(cmd, cwd)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = run(cmd, cwd)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus, out


def describe(walls: list[float], cpus: list[float]) -> str:
    return (
        f"median {statistics.median(walls):6.3f} s   "
        f"(min {min(walls):.3f}, max {max(walls):.3f}; CPU {statistics.median(cpus):.3f} s)"
    )


def check_output(name: str, out: str, repo: SyntheticRepo) -> str:
    """A short proof that the command saw the whole repo (a fast wrong answer is no figure)."""
    if name.startswith("doit list"):
        tasks = [line for line in out.splitlines() if line.strip()]
        return f"{len(tasks)} tasks listed"
    data = json.loads(out)
    if name.startswith("doit plan"):  # [{id, level, deps, …}] in publish order
        deps = {row["id"]: row["deps"] for row in data}
        levels = 1 + max(row["level"] for row in data)
    else:  # {id: {version, deps}}
        deps = {pid: node["deps"] for pid, node in data.items()}
        levels = 0
    if deps != repo.deps:
        raise SystemExit(f"bench: {name} did not see the generated graph")
    edges = sum(len(d) for d in deps.values())
    return f"{len(deps)} packages, {edges} edges" + (f", {levels} levels" if levels else "")


FLOOR_DODO = """\
import json
import tomllib

with open("floor-manifests.json") as f:
    MANIFESTS = json.load(f)
with open("floor-tasks.json") as f:
    TASKS = json.load(f)  # group -> subtask names ([] for a plain task)
for path in MANIFESTS:
    with open(path, "rb") as f:
        if path.endswith(".toml"):
            tomllib.load(f)
        elif path.endswith(".json"):
            json.load(f)
        else:
            f.read().decode()


def _creator(group, names):
    def create():
        if not names:
            return {"actions": None, "doc": group}
        return ({"name": n, "actions": None, "doc": group + " " + n} for n in names)

    create.__doc__ = group
    return create


for _group, _names in TASKS.items():
    globals()["task_" + _group] = _creator(_group, _names)
"""


def write_floor(repo: SyntheticRepo, listing: str, folder: Path) -> list[str]:
    """The floor's dodo file in ``folder``, mirroring the tasks of ``listing``."""
    tasks: dict[str, list[str]] = {}
    for line in listing.splitlines():
        if not line.strip():
            continue
        group, _, name = line.split()[0].partition(":")
        tasks.setdefault(group, [])
        if name:
            tasks[group].append(name)
    manifests = [
        str(path)
        for pattern in ("pyproject.toml", "package.json", "go.mod")
        for path in sorted(repo.root.rglob(pattern))
        if "node_modules" not in path.parts
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "floor-manifests.json").write_text(json.dumps(manifests))
    (folder / "floor-tasks.json").write_text(json.dumps(tasks))
    (folder / "dodo.py").write_text(FLOOR_DODO)
    return manifests


def floor(repo: SyntheticRepo, listing: str, work: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU of ``doit list --all`` on the floor (see the module doc)."""
    folder = work / "floor"
    manifests = write_floor(repo, listing, folder)
    walls, cpus, out = timed([*DOIT, "list", "--all"], folder, runs)
    print(f"{'floor: doit list --all, trivial tasks':<40} {describe(walls, cpus)}")
    listed = sum(1 for line in out.splitlines() if line.strip())
    print(f"    {listed} tasks listed, {len(manifests)} manifests read")
    return statistics.median(walls), statistics.median(cpus)


def growth(packages: int, levels: int, work: Path, runs: int, base: tuple[float, float]) -> None:
    """``doit list --all`` on a GROWTH× larger repo, against ``base`` (median wall, CPU)."""
    big = generate(work / "big", packages=packages * GROWTH, levels=levels)
    walls, cpus, out = timed([*DOIT, "list", "--all"], big.root, runs)
    listed = sum(1 for line in out.splitlines() if line.strip())
    name = f"doit list --all, {big.size} packages"
    print(f"{name:<40} {describe(walls, cpus)}")
    wall, cpu = statistics.median(walls) / base[0], statistics.median(cpus) / base[1]
    verdict = "linear" if min(wall, cpu) <= GROWTH else "OVER"
    print(
        f"    {listed} tasks listed; {wall:.2f}× the {packages}-package wall time, "
        f"{cpu:.2f}× its CPU ({verdict}: ≤ {GROWTH}×)"
    )


def pnpm_peer(repo: SyntheticRepo, runs: int) -> None:
    pnpm = shutil.which("pnpm")
    if pnpm is None:
        print("pnpm is not on PATH: no peer figure (source scripts/env.sh)")
        return
    js = repo.root / "js"
    version = run([pnpm, "--version"], js).strip()
    start = time.perf_counter()
    run([pnpm, "install", "--lockfile-only", "--silent"], js)
    install = time.perf_counter() - start
    walls, cpus, out = timed([pnpm, "-r", "ls", "--depth", "-1", "--json"], js, runs)
    listed = len(json.loads(out))
    print(f"pnpm {version} -r ls --depth -1 --json     {describe(walls, cpus)}")
    print(
        f"    {listed} projects (workspace root included); lockfile-only install took {install:.2f} s"
    )


def profile(name: str, args: list[str], cwd: Path, top: int = 15) -> None:
    """Where the time of one run goes: slowest imports, then cProfile's cumulative top."""
    print(f"\n--- profile of `{name}` ---")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "doit", *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    imports = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, module = (
                p.strip() for p in line.removeprefix("import time:").split("|")
            )
            imports.append((int(cumulative), module))
    print("slowest imports (cumulative µs, nested ones counted in their parents):")
    for micros, module in sorted(imports, reverse=True)[:top]:
        print(f"  {micros / 1e6:7.3f} s  {module}")
    stats_file = cwd / ".releasekit" / "bench.prof"
    stats_file.parent.mkdir(exist_ok=True)
    run([sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "doit", *args], cwd)
    text = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    # Our own functions by cumulative time, then the whole run by own time.
    stats.sort_stats("cumulative").print_stats("releasekit_tasks", top)
    stats.sort_stats("tottime").print_stats(top)
    print("\n".join(line for line in text.getvalue().splitlines() if _is_row(line)))


def _is_row(line: str) -> bool:
    return bool(line.strip()) and (line.lstrip()[0].isdigit() or "ncalls" in line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/plan.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile even under the target")
    parser.add_argument("--growth", action="store_true", help=f"also time a {GROWTH}x larger repo")
    parser.add_argument("--keep", action="store_true", help="keep the generated repo")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="rk-bench-plan-"))
    cache_bytecode(work / "pycache")
    try:
        import doit

        print(
            f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"doit {'.'.join(map(str, doit.__version__))}; load average {load_average()} "
            "(other work on the machine skews the figures)"
        )
        start = time.perf_counter()
        repo = generate(work / "repo", packages=args.packages, levels=args.levels)
        counts = ", ".join(f"{len(ids)} {eco}" for eco, ids in repo.ids.items())
        print(
            f"repo: {repo.size} packages ({counts}), {repo.levels} levels, "
            f"{repo.edges} internal deps; generated in {time.perf_counter() - start:.1f} s"
        )
        print(f"      {repo.root}\n")
        over, to_profile = [], []
        medians: dict[str, tuple[float, float]] = {}
        listing = ""
        for name, cmd_args in COMMANDS.items():
            times, cpus, out = timed([*DOIT, *cmd_args], repo.root, args.runs)
            print(f"{name:<40} {describe(times, cpus)}")
            print(f"    {check_output(name, out, repo)}")
            medians[name] = statistics.median(times), statistics.median(cpus)
            listing = out if name == "doit list --all" else listing
            if statistics.median(times) > TARGET:
                over.append(name)
            if statistics.median(times) > TARGET or args.profile:
                to_profile.append((name, cmd_args))
        floor_wall, floor_cpu = floor(repo, listing, work, args.runs)
        list_wall, list_cpu = medians["doit list --all"]
        ratio = list_wall / floor_wall
        print(
            f"    doit list --all / floor: {ratio:.2f}× wall, {list_cpu / floor_cpu:.2f}× CPU "
            f"({'within' if ratio <= FLOOR_RATIO else 'OVER'} the {FLOOR_RATIO}× target)"
        )
        if args.growth:
            growth(args.packages, args.levels, work, args.runs, (list_wall, list_cpu))
        print()
        pnpm_peer(repo, args.runs)
        print("\nfor comparison, quoted from the DESIGN (not measured by this script):")
        for what, seconds in REFERENCE:
            print(f"    {seconds:5.2f} s  {what}")
        if over:
            print(f"\ntarget {TARGET:g} s: OVER for {', '.join(over)}")
        else:
            print(f"\ntarget {TARGET:g} s: every median is under it")
        print(f"load average at the end: {load_average()}")
        for name, cmd_args in to_profile:
            profile(name, cmd_args, repo.root)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
