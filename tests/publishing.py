"""Helpers for the publish tests: a sample repo wired to the loopback registries, and doit."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from demo.sample import Registries, build_sample
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

_names = itertools.count()


def sample_repo(
    tmp_path: Path,
    pypi: PypiServer,
    npm: NpmRegistry,
    goproxy: GoProxyServer,
    remote: GitRemote,
) -> Path:
    """A fresh sample monorepo with its own package names, publishing to the given registries."""
    namespace = f"t{os.getpid()}x{next(_names)}"
    tree = goproxy.root
    registries = Registries(pypi.simple_url, pypi.url, npm.url, goproxy.url, tree)
    return build_sample(
        tmp_path / "repo", namespace=namespace, registries=registries, remote=remote.url
    )


def doit(
    root: Path, *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NPM_TOKEN": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"doit {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


# --- tool shims: see what doit runs, and kill it at a chosen point -----------------

SHIMMED_TOOLS = ("uv", "pnpm", "git")

_SHIM = '''#!{python}
"""Test shim for `{tool}` (tests/publishing.py): logs, may kill doit's process group, runs {real}."""
import fcntl, hashlib, json, os, signal, subprocess, sys, time

REAL, TOOL = {real!r}, {tool!r}
UPLOADS = ("uv publish", "pnpm publish", "git push")
TRACKED = UPLOADS + ("uv build", "pnpm pack", "pnpm install", "git tag")
argv = sys.argv[1:]
words = [a for a in argv if not a.startswith("-")]
event = f"{{TOOL}} {{words[0]}}" if words else TOOL


def parse(spec):
    """'EVENT[@SUBSTRING][#N][:before|after|pause]'; EVENT 'upload' means any upload."""
    what, _, when = spec.rpartition(":")
    if when not in ("before", "after", "pause"):
        what, when = spec, "before"
    what, _, nth = what.partition("#")
    what, _, needle = what.partition("@")
    return what, needle, int(nth or 1), when


def matches(what, needle):
    hit = event in UPLOADS if what == "upload" else event == what
    return hit and needle in " ".join(argv)


def append(record, count=None):
    """Append a JSON line under an exclusive lock; with ``count``, also return how many
    earlier lines of this run matched it."""
    record.update(t=time.time_ns(), pid=os.getpid(), tool=TOOL, event=event, argv=argv)
    with open(os.environ["RK_SHIM_LOG"], "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        seen = 0
        if count is not None:
            f.seek(0)
            seen = sum(1 for line in f if count(json.loads(line)))
        f.write(json.dumps(record) + "\\n")
        f.flush()
    return seen


def watched():
    files = [p for p in os.environ.get("RK_SHIM_WATCH", "").split(os.pathsep) if p]
    return {{p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in files}}


def die():
    os.killpg(os.getpgid(0), signal.SIGKILL)


what, needle, nth, when = parse(os.environ.get("RK_TEST_KILL_AT", ""))
kill = bool(what) and matches(what, needle)
same = lambda r: r["phase"] == "start" and r["event"] in (UPLOADS if what == "upload" else (what,)) and needle in " ".join(r["argv"])
earlier = append({{"phase": "start", "watch": watched()}}, count=same if kill else None)
kill = kill and earlier == nth - 1
if kill and when == "before":
    append({{"phase": "kill", "watch": watched()}})
    die()
if kill and when == "pause":
    append({{"phase": "pause", "watch": watched()}})
    time.sleep(120)
    sys.exit(1)
if event not in TRACKED and not kill:
    os.execv(REAL, [REAL, *argv])
rc = subprocess.run([REAL, *argv]).returncode
append({{"phase": "done", "rc": rc}})
if kill:
    append({{"phase": "kill", "watch": watched()}})
    die()
sys.exit(rc)
'''


def install_shims(directory: Path, tools: tuple[str, ...] = SHIMMED_TOOLS) -> Path:
    """Write logging wrappers for ``tools`` into ``directory`` (put it first on PATH).

    Each wrapper appends JSON lines to ``$RK_SHIM_LOG`` (``phase`` start/done/kill/pause,
    ``event`` such as "uv publish", ``argv``, ``t`` in ns, the sha256 of every file in
    ``$RK_SHIM_WATCH``) and then runs the real tool found on the current PATH. With
    ``RK_TEST_KILL_AT="EVENT[@SUBSTRING][#N][:before|after|pause]"`` the N-th matching
    call SIGKILLs the wrapper's whole process group before or after the real tool runs,
    or waits (``pause``) for the test to signal the group.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        real = shutil.which(tool)
        if real is None:
            raise RuntimeError(f"{tool} is not on PATH")
        shim = directory / tool
        shim.write_text(_SHIM.format(python=sys.executable, tool=tool, real=real))
        shim.chmod(0o755)
    return directory


def start_doit(
    root: Path,
    *args: str,
    shims: Path,
    log: Path,
    kill_at: str = "",
    watch: tuple[Path, ...] = (),
    output: Path | None = None,
) -> subprocess.Popen[bytes]:
    """``doit ARGS`` in its own session (a process group of doit and its children only),
    with the shims first on PATH; stdout and stderr go to ``output`` (default: log + .out)."""
    env = {
        **os.environ,
        "NPM_TOKEN": "x",
        "PATH": os.pathsep.join([str(shims), os.environ["PATH"]]),
        "RK_SHIM_LOG": str(log),
        "RK_TEST_KILL_AT": kill_at,
        "RK_SHIM_WATCH": os.pathsep.join(map(str, watch)),
    }
    out = (output or log.with_suffix(".out")).open("wb")
    with out:
        return subprocess.Popen(
            [sys.executable, "-m", "doit", *args],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_doit(
    root: Path,
    *args: str,
    shims: Path,
    log: Path,
    kill_at: str = "",
    watch: tuple[Path, ...] = (),
    timeout: float = 300,
) -> tuple[int, str]:
    """Run :func:`start_doit` to the end: (exit status, output). -9 means it was SIGKILLed."""
    proc = start_doit(root, *args, shims=shims, log=log, kill_at=kill_at, watch=watch)
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return status, log.with_suffix(".out").read_text(errors="replace")


def read_shim_log(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def uploaded_items(record: dict) -> list[str]:
    """What an upload call in a shim log sends: files for uv/pnpm, tag refs for git push."""
    argv = record["argv"]
    if record["event"] == "uv publish":
        return [Path(a).name for a in argv if a.endswith((".whl", ".tar.gz"))]
    if record["event"] == "pnpm publish":
        return [Path(a).name for a in argv if a.endswith(".tgz")]
    if record["event"] == "git push":
        return [a for a in argv if a.startswith("refs/tags/")]
    return []
