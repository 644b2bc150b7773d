"""How fast ``doit publish`` releases a large repo to registries that answer slowly.

Starts real registries on loopback (pypiserver, verdaccio, a static GOPROXY
tree, a bare git remote per run; demo/registries.py) and puts a latency proxy
in front of each HTTP registry: it waits ``--latency`` (50 ms) before
forwarding every request, so the registry round trips cost what they cost over
a network. For each of ``-n 1``, ``-n 4`` and ``-n 8`` it generates a fresh
synthetic repo (default 200 packages over uv, pnpm and Go, 6 levels) under a
fresh package namespace, so no registry holds its versions yet, and times
``doit -n N publish`` from start to exit.

Each wall time is printed next to the lower bound ``max(critical path, total
work / N)``. Per-task work comes from the ``-n 1`` run: doit's JSON reporter
(``--reporter json``) gives every task's elapsed seconds; the critical path is
the longest chain setup → build → upload → verify through the packages'
internal dependencies (upload waits for its dependencies' verify). The CPU
seconds of each run (doit and every tool it started) are printed too: on a
2-core machine a run can never beat CPU seconds / 2. Last, the time of a no-op
re-run (``doit -n N publish`` with the largest N, in the repo just published).

    source scripts/env.sh && python bench/publish.py [--packages 200] [--quick] [--jobs 1,4,8]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.synthetic import Registries, SyntheticRepo, generate, load_average  # noqa: E402
from demo.registries import bare_git_repo, pypiserver, static_files, verdaccio  # noqa: E402

QUICK_PACKAGES = 30
SETUP_TASKS = ("query", "preflight")
SETUP_ORDER = ("query", "preflight", "install")
# Headers that belong to one connection, not to the request: never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


# --- the latency proxy ---------------------------------------------------------------


@dataclass
class LatencyProxy:
    """A loopback forwarder to ``upstream`` that sleeps ``latency`` s before each request.

    Bounded: it answers at most ``max_requests`` requests (503 after that) and
    shuts itself down after ``lifetime`` seconds even if nobody stops it.
    """

    upstream: str
    latency: float
    max_requests: int = 200_000
    lifetime: float = 4 * 3600.0
    url: str = ""
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self._lock:
            self.requests += 1
            return self.requests <= self.max_requests


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as registry clients use it
    server: _ProxyServer
    _conn: http.client.HTTPConnection | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _upstream(self) -> http.client.HTTPConnection:
        # One upstream connection per client connection, reused while it lives.
        if self._conn is None:
            target = urlsplit(self.server.proxy.upstream)
            self._conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=120)
        return self._conn

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._body()
        if not proxy.take():
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        time.sleep(proxy.latency)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):
            conn = self._upstream()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                data = reply.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._conn = None  # the upstream closed a kept-alive connection: retry once
                if attempt == 2:
                    raise
        self.send_response(reply.status, reply.reason)
        for key, value in reply.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def finish(self) -> None:
        super().finish()
        if self._conn is not None:
            self._conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: LatencyProxy

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client dropped a kept-alive connection: normal, not worth a traceback
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextlib.contextmanager
def latency_proxy(upstream: str, latency: float) -> Iterator[LatencyProxy]:
    proxy = LatencyProxy(upstream=upstream, latency=latency)
    server = _ProxyServer(("127.0.0.1", 0), _Forward)
    server.proxy = proxy
    path = urlsplit(upstream).path or "/"
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    timer = threading.Timer(proxy.lifetime, server.shutdown)  # self-stopping
    timer.daemon = True
    timer.start()
    try:
        yield proxy
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- running doit and reading its timings ----------------------------------------------


@dataclass
class Run:
    jobs: int
    wall: float
    cpu: float  # user + sys seconds of doit and everything it started
    elapsed: dict[str, float]  # task name -> seconds (doit's JSON reporter)


def doit(repo: Path, *args: str) -> tuple[float, float, str]:
    """(wall s, CPU s of the process tree, stdout) of ``python -m doit ARGS`` in ``repo``."""
    env = {
        **os.environ,
        "NPM_TOKEN": "bench-token",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        raise SystemExit(f"bench: `doit {' '.join(args)}` exited {result.returncode}\n{tail}")
    return wall, cpu, result.stdout


def task_times(stdout: str) -> dict[str, float]:
    """Task name -> elapsed seconds, from the JSON reporter's report (the last thing printed;
    with ``-n`` the workers' own prints come before it)."""
    report = json.loads(stdout[stdout.rindex('{"tasks": ') :])
    failed = [t["name"] for t in report["tasks"] if t["result"] == "fail"]
    if failed:
        raise SystemExit(f"bench: tasks failed: {', '.join(failed[:10])}")
    return {t["name"]: float(t["elapsed"] or 0.0) for t in report["tasks"]}


def publish(repo: SyntheticRepo, jobs: int) -> Run:
    args = ["--reporter", "json", "publish"]
    if jobs > 1:
        args = ["-n", str(jobs), *args]
    wall, cpu, out = doit(repo.root, *args)
    (repo.root / ".releasekit" / "bench-report.json").write_text(out)  # for --keep
    receipts = len(list((repo.root / ".releasekit" / "receipts").glob("*.json")))
    if receipts != repo.size:
        raise SystemExit(f"bench: -n {jobs}: {receipts} receipts for {repo.size} packages")
    return Run(jobs, wall, cpu, task_times(out))


# --- the lower bound -------------------------------------------------------------------


@dataclass
class Work:
    total: float  # every task's seconds added up
    critical: float  # the longest chain of tasks that must run one after another
    by_step: dict[str, float]  # build/upload/verify/setup -> seconds added up


def work_of(repo: SyntheticRepo, elapsed: dict[str, float]) -> Work:
    """Total work and critical path of the publish task graph, timed by a ``-n 1`` run.

    The graph is the one tasks/publish.py declares: build:P after the setup
    tasks (query, preflight, and install:<label> for pnpm); upload:P after
    build:P, preflight and verify:D of each internal dependency D; verify:P
    after upload:P.
    """
    setup = max(elapsed.get(t, 0.0) for t in SETUP_TASKS)
    install = max([v for k, v in elapsed.items() if k.startswith("install:")] or [0.0])
    done: dict[str, float] = {}

    def verified(pid: str) -> float:
        if pid not in done:
            ready = max(setup, install) if pid.startswith("js/") else setup
            built = ready + elapsed.get(f"build:{pid}", 0.0)
            start = max([built, *(verified(d) for d in repo.deps[pid])])
            done[pid] = (
                start + elapsed.get(f"upload:{pid}", 0.0) + elapsed.get(f"verify:{pid}", 0.0)
            )
        return done[pid]

    by_step: dict[str, float] = {}
    for name, seconds in elapsed.items():
        step = name.split(":", 1)[0]
        if step == "publish":
            continue  # group tasks: no action of their own
        step = "setup" if step in (*SETUP_TASKS, "install") else step
        by_step[step] = by_step.get(step, 0.0) + seconds
    by_level = sorted(repo.deps, key=lambda pid: repo.level[pid])  # no deep recursion
    critical = max(verified(pid) for pid in by_level)
    return Work(sum(elapsed.values()), critical, by_step)


# --- main --------------------------------------------------------------------------------


def warm_uv_cache(work: Path) -> None:
    """Build one throwaway package, so the first timed run does not pay for fetching hatchling."""
    warm = generate(work / "warm", packages=3, levels=1, namespace="warm")
    folder = next((warm.root / "py" / "packages").iterdir())
    subprocess.run(
        ["uv", "build", "--no-sources", "-q", "--out-dir", str(work / "warm-dist"), str(folder)],
        check=True,
        capture_output=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/publish.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PACKAGES} packages")
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--jobs", default="1,4,8", help="the -n values; the first must be 1")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    packages = QUICK_PACKAGES if args.quick else args.packages
    jobs = [int(n) for n in args.jobs.split(",")]
    if jobs[0] != 1:
        parser.error("--jobs must start with 1: the -n 1 run gives the per-task work")

    work = Path(tempfile.mkdtemp(prefix="rk-bench-publish-"))
    try:
        with contextlib.ExitStack() as stack:
            pypi_url, _ = stack.enter_context(pypiserver(work / "pypi"))
            npm_url, _, _ = stack.enter_context(verdaccio(work / "npm"))
            goproxy_dir = work / "goproxy"
            goproxy_url = stack.enter_context(static_files(goproxy_dir))
            pypi = stack.enter_context(latency_proxy(pypi_url, args.latency))
            npm = stack.enter_context(latency_proxy(npm_url, args.latency))
            goproxy = stack.enter_context(latency_proxy(goproxy_url + "/", args.latency))
            registries = Registries(
                pypi.url + "simple/", pypi.url, npm.url, goproxy.url, goproxy_dir
            )
            warm_uv_cache(work)
            cores = os.cpu_count() or 1
            print(
                f"machine: {cores} cores. CPU-bound steps (uv build, pnpm pack, node and "
                f"Python start-up) run at most {cores} at a time, so -n above {cores} gains "
                "only on waiting (registry latency, polling)."
            )
            print(f"load average: {load_average()} (other work on the machine skews the figures)")
            print(
                f"latency: {args.latency * 1000:g} ms added to every request to pypiserver, "
                "verdaccio and the GOPROXY (loopback proxies)"
            )
            runs: list[Run] = []
            repos: list[SyntheticRepo] = []
            for index, n in enumerate(jobs):
                namespace = f"b{os.getpid()}r{index}"
                remote = bare_git_repo(work / f"remote-{index}.git")
                repo = generate(
                    work / f"repo-{index}",
                    packages=packages,
                    levels=args.levels,
                    namespace=namespace,
                    registries=registries,
                    remote=remote,
                    lock=True,
                )
                if index == 0:
                    counts = ", ".join(f"{len(ids)} {eco}" for eco, ids in repo.ids.items())
                    print(
                        f"repo: {repo.size} packages ({counts}), {repo.levels} levels, "
                        f"{repo.edges} internal deps; a fresh copy and namespace for every run\n"
                    )
                repos.append(repo)
                run = publish(repo, n)
                runs.append(run)
                print(f"  doit -n {n} publish: {run.wall:.1f} s", flush=True)
            noop = publish(repos[-1], jobs[-1])
            # The -n 1 run's task names carry its own namespace: pair it with its repo.
            report(runs, work_of(repos[0], runs[0].elapsed), noop, cores)
            print(f"load average at the end: {load_average()}")
            total = pypi.requests + npm.requests + goproxy.requests
            print(
                f"\nrequests through the latency proxies: {total} "
                f"(pypi {pypi.requests}, npm {npm.requests}, goproxy {goproxy.requests})"
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(runs: list[Run], work: Work, noop: Run, cores: int) -> None:
    print("\nseconds per task in the -n 1 run (mean, by step and ecosystem label):")
    print(breakdown(runs[0].elapsed))
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in sorted(work.by_step.items()))
    print(f"per-task work, from the -n 1 run: {work.total:.1f} s in all ({steps})")
    print(f"critical path: {work.critical:.1f} s\n")
    header = f"{'run':<22}{'wall':>8}{'bound':>9}{'wall/bound':>12}{'CPU':>8}"
    print(f"{header}{'CPU/' + str(cores):>8}{'busy':>7}")
    for run in runs:
        bound = max(work.critical, work.total / run.jobs)
        print(
            f"{'doit -n ' + str(run.jobs) + ' publish':<22}{run.wall:>7.1f}s{bound:>8.1f}s"
            f"{run.wall / bound:>11.2f}x{run.cpu:>7.1f}s{run.cpu / cores:>7.1f}s"
            f"{sum(run.elapsed.values()) / run.wall:>7.1f}"
        )
    label = f"no-op re-run (-n {noop.jobs})"
    print(f"{label:<22}{noop.wall:>7.2f}s{'':>9}{'':>12}{noop.cpu:>7.1f}s")
    print(
        "\nbound = max(critical path, total work / n), from the -n 1 task times; "
        f"wall also holds doit's start-up and task loading. CPU/{cores}: no run on "
        f"{cores} cores can be faster (registry servers' own CPU not counted). "
        "busy: task seconds / wall, the mean number of tasks running at once."
    )
    print("\nthe no-op re-run, seconds per task (mean):")
    print(breakdown(noop.elapsed))


def breakdown(elapsed: dict[str, float]) -> str:
    """A small table: step rows, ecosystem-label columns, mean seconds per task."""
    cells: dict[tuple[str, str], list[float]] = {}
    for name, seconds in elapsed.items():
        step, _, pid = name.partition(":")
        if step == "publish":
            continue  # a group task: no action of its own
        cells.setdefault((step, pid.split("/", 1)[0] if pid else "-"), []).append(seconds)
    steps = sorted({s for s, _ in cells}, key=lambda s: (s not in SETUP_ORDER, s))
    labels = sorted({lbl for _, lbl in cells})
    lines = [f"    {'':<10}" + "".join(f"{lbl:>9}" for lbl in labels)]
    for step in steps:
        row = ""
        for lbl in labels:
            values = cells.get((step, lbl))
            row += f"{sum(values) / len(values):>8.2f}s" if values else f"{'':>9}"
        lines.append(f"    {step:<10}{row}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
