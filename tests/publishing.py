"""Helpers for the publish tests: a sample repo wired to the loopback registries, and doit."""

from __future__ import annotations

import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from demo.sample import Registries, build_sample

if TYPE_CHECKING:  # servers is a pytest plugin: imported for types only, so pytest rewrites it
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

# Logs a call, may kill doit's process group, runs the real tool: argv = TOOL REAL ARGS…
_SHIM_PY = """\
import fcntl, hashlib, json, os, signal, subprocess, sys, time

TOOL, REAL, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
UPLOADS = ("uv publish", "pnpm publish", "git push")
words = [a for a in argv if not a.startswith("-")]
event = f"{TOOL} {words[0]}" if words else TOOL


def parse(spec):
    \"\"\"'EVENT[@SUBSTRING][#N][:before|after|pause]'; EVENT 'upload' means any upload.\"\"\"
    what, _, when = spec.rpartition(":")
    if when not in ("before", "after", "pause"):
        what, when = spec, "before"
    what, _, nth = what.partition("#")
    what, _, needle = what.partition("@")
    return what, needle, int(nth or 1), when


def matches(record):
    hit = record["event"] in UPLOADS if what == "upload" else record["event"] == what
    return hit and needle in " ".join(record["argv"])


def append(phase, count=False, **extra):
    \"\"\"Append a JSON line under an exclusive lock; with ``count``, return how many
    earlier calls of this run matched the kill spec.\"\"\"
    record = dict(phase=phase, t=time.time_ns(), pid=os.getpid(), ppid=os.getppid())
    record.update(tool=TOOL, event=event, argv=argv)
    record.update(extra)
    with open(os.environ["RK_SHIM_LOG"], "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        seen = 0
        if count:
            f.seek(0)
            seen = sum(1 for line in f if (r := json.loads(line))["phase"] == "start" and matches(r))
        f.write(json.dumps(record) + "\\n")
        f.flush()
    return seen


def watched():
    files = [p for p in os.environ.get("RK_SHIM_WATCH", "").split(os.pathsep) if p]
    return {
        p: hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None
        for p in files
    }


def parent():
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
        return f.read().replace(b"\\0", b" ").decode(errors="replace").strip()


what, needle, nth, when = parse(os.environ.get("RK_TEST_KILL_AT", ""))
kill = bool(what) and matches({"event": event, "argv": argv})
earlier = append("start", count=kill, watch=watched(), parent=parent())
kill = kill and earlier == nth - 1
if kill and when == "pause":
    append("pause", watch=watched())
    time.sleep(120)
    sys.exit(1)
if kill and when == "before":
    append("kill", watch=watched())
    os.killpg(os.getpgid(0), signal.SIGKILL)
rc = subprocess.run([REAL, *argv]).returncode
append("done", rc=rc)
if kill:
    append("kill", watch=watched())
    os.killpg(os.getpgid(0), signal.SIGKILL)
sys.exit(rc)
"""

# Only these sub-commands go through Python (its start-up would slow every git call).
_SHIM_SH = """\
#!/bin/sh
case "$1" in
  build|publish|pack|install|push|tag|--version) exec {python} {shim_py} {tool} {real} "$@" ;;
esac
exec {real} "$@"
"""


def install_shims(directory: Path, tools: tuple[str, ...] = SHIMMED_TOOLS) -> Path:
    """Write logging wrappers for ``tools`` into ``directory`` (put it first on PATH).

    The wrappers log the calls that matter (build, pack, install, publish, push, tag,
    --version) as JSON lines in ``$RK_SHIM_LOG``: ``phase`` start/done/kill/pause,
    ``event`` such as "uv publish", ``argv``, ``t`` (ns), ``pid``, ``ppid``, the parent's
    command line, and the sha256 of every file in ``$RK_SHIM_WATCH``; then they run the real
    tool found on the current PATH. With ``RK_TEST_KILL_AT=
    "EVENT[@SUBSTRING][#N][:before|after|pause]"`` the N-th matching call of the run
    SIGKILLs the wrapper's whole process group before or after the real tool runs, or
    waits (``pause``) for the test to signal the group.
    """
    directory.mkdir(parents=True, exist_ok=True)
    shim_py = directory / "shim.py"
    shim_py.write_text(_SHIM_PY)
    for tool in tools:
        real = shutil.which(tool)
        if real is None:
            raise RuntimeError(f"{tool} is not on PATH")
        shim = directory / tool
        shim.write_text(
            _SHIM_SH.format(
                python=shlex.quote(sys.executable),
                shim_py=shlex.quote(str(shim_py)),
                tool=tool,
                real=shlex.quote(real),
            )
        )
        shim.chmod(0o755)
    return directory


def start_doit(
    root: Path,
    *args: str,
    shims: Path,
    log: Path,
    kill_at: str = "",
    watch: tuple[Path, ...] = (),
    program: tuple[str, ...] = ("-m", "doit"),
) -> subprocess.Popen[bytes]:
    """``python -m doit ARGS`` (or ``python PROGRAM… ARGS``) in its own session (a process
    group of doit and its children only), with the shims first on PATH; stdout and
    stderr go to the log's name with ``.out``."""
    env = {
        **os.environ,
        "NPM_TOKEN": "x",
        "PATH": os.pathsep.join([str(shims), os.environ["PATH"]]),
        "RK_SHIM_LOG": str(log),
        "RK_TEST_KILL_AT": kill_at,
        "RK_SHIM_WATCH": os.pathsep.join(map(str, watch)),
    }
    out = log.with_suffix(".out").open("wb")
    with out:
        return subprocess.Popen(
            [sys.executable, *program, *args],
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
    program: tuple[str, ...] = ("-m", "doit"),
) -> tuple[int, str]:
    """Run :func:`start_doit` to the end: (exit status, output). -9 means it was SIGKILLed."""
    proc = start_doit(
        root, *args, shims=shims, log=log, kill_at=kill_at, watch=watch, program=program
    )
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


# --- what the registries hold for one sample repo ---------------------------------

# The sample's releases by short name: the uv and pnpm packages share names and
# versions; Go's "http" is the module plugins/http. Each needs the ones listed.
SAMPLE_DEPS = {"core": (), "http": ("core",), "cli": ("http", "core")}
SAMPLE_VERSIONS = {"core": "0.3.0", "http": "0.2.0", "cli": "0.1.0"}
GO_MODULES = {"core": "core", "http": "plugins/http", "cli": "cli"}
ECOSYSTEMS = ("py", "js", "go")


def namespace_of(root: Path) -> str:
    """The package-name prefix :func:`sample_repo` gave this repo."""
    return next((root / "py" / "packages").glob("*-core")).name.removesuffix("-core")


def git_out(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


class Published:
    """The session's registries and the git remote, seen from one sample repo.

    ``ecosystems`` limits the expectations to the labels a test publishes.
    """

    def __init__(
        self,
        root: Path,
        pypi: PypiServer,
        npm: NpmRegistry,
        goproxy: GoProxyServer,
        remote: GitRemote,
        ecosystems: tuple[str, ...] = ECOSYSTEMS,
    ) -> None:
        self.root, self.pypi, self.npm, self.goproxy, self.remote = root, pypi, npm, goproxy, remote
        self.ecosystems = ecosystems
        self.ns = namespace_of(root)

    def release_id(self, ecosystem: str, short: str) -> str:
        ns = self.ns
        return {
            "py": f"py/{ns}-{short}",
            "js": f"js/@{ns}/{short}",
            "go": f"go/example.com/{ns}/go/{GO_MODULES[short]}",
        }[ecosystem]

    def release_ids(self) -> set[str]:
        return {self.release_id(e, s) for e in self.ecosystems for s in SAMPLE_DEPS}

    def expected_uploads(self) -> set[str]:
        """Every file uploaded and tag pushed (as shim logs name them, see uploaded_items)."""
        ns, items = self.ns, set()
        for short, version in SAMPLE_VERSIONS.items():
            if "py" in self.ecosystems:
                items |= {
                    f"{ns}_{short}-{version}-py3-none-any.whl",
                    f"{ns}_{short}-{version}.tar.gz",
                }
            if "js" in self.ecosystems:
                items.add(f"{ns}-{short}-{version}.tgz")
            if "go" in self.ecosystems:
                items.add(f"refs/tags/{self.go_tag(short)}")
        return items

    def go_tag(self, short: str) -> str:
        return f"go/{GO_MODULES[short]}/v{SAMPLE_VERSIONS[short]}"

    def release_of(self, item: str) -> str:
        """The release id an uploaded item (file name or tag ref) belongs to."""
        if item.startswith("refs/tags/go/"):
            module = item.removeprefix("refs/tags/go/").rsplit("/", 1)[0]
            return self.release_id("go", module.rsplit("/", 1)[-1])
        short = item.removeprefix(f"{self.ns}_").removeprefix(f"{self.ns}-").split("-", 1)[0]
        return self.release_id("js" if item.endswith(".tgz") else "py", short)

    def holds(self, item: str) -> bool:
        """Does the registry (or the git remote) hold this uploaded item?"""
        if item.startswith("refs/tags/"):
            return item.removeprefix("refs/tags/") in self.remote_tags()
        if item.endswith(".tgz"):
            short = self.release_of(item).rsplit("/", 1)[1]
            return SAMPLE_VERSIONS[short] in self.packument(short).get("versions", {})
        return item in self.pypi_files()

    def pypi_files(self) -> dict[str, int]:
        """File name -> mtime (ns) in pypiserver's folder: when the upload was stored."""
        return {p.name: p.stat().st_mtime_ns for p in self.pypi.packages_dir.glob(f"{self.ns}_*")}

    def packument(self, short: str) -> dict:
        import httpx

        return dict(httpx.get(f"{self.npm.url}@{self.ns}%2f{short}", timeout=10).json())

    def goproxy_files(self) -> dict[str, int]:
        """Path under example.com/<ns>/ -> mtime (ns), in the static GOPROXY tree."""
        base = self.goproxy.root / "example.com" / self.ns
        return {
            str(p.relative_to(base)): p.stat().st_mtime_ns for p in base.rglob("*") if p.is_file()
        }

    def remote_tags(self) -> dict[str, str]:
        """Tag -> the commit it points at, on the bare remote."""
        fmt = "--format=%(refname:short) %(*objectname)"
        out = git_out(self.remote.path, "for-each-ref", fmt, "refs/tags")
        return dict(line.split() for line in out.splitlines())

    def receipts(self) -> dict[str, dict]:
        """Release id -> receipt, with ``mtime_ns`` of the receipt file added."""
        folder = self.root / ".releasekit" / "receipts"
        found = {}
        for path in folder.glob("*.json") if folder.is_dir() else []:
            receipt = json.loads(path.read_text())
            found[receipt["id"]] = {**receipt, "mtime_ns": path.stat().st_mtime_ns}
        return found
