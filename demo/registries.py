"""Real registries on loopback: pypiserver, verdaccio and a static GOPROXY.

Used by the demo and by the test fixtures (tests/servers.py). Each server
gets a free port and its own folder, is waited for, and is stopped by PID
(verdaccio renames its process, so a name would not find it).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VERDACCIO = REPO / ".tools" / "node" / "node_modules" / ".bin" / "verdaccio"
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def wait_until_answers(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    # urllib without proxies: a stray HTTP_PROXY must not swallow loopback traffic.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    end = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with opener.open(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError(f"{url}: no answer within {STARTUP_TIMEOUT:g} s:\n{log.read_text()}")


def start(args: list[str], log: Path, ready_url: str, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    wait_until_answers(ready_url, proc, log)
    return proc


@contextlib.contextmanager
def pypiserver(root: Path) -> Iterator[tuple[str, Path]]:
    """(url, packages folder): uploads open to anyone, no fallback to the public index."""
    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    args = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port)]
    args += ["-a", ".", "-P", ".", "--disable-fallback", str(packages)]
    proc = start(args, root / "pypiserver.log", url + "simple/", root)
    try:
        yield url, packages
    finally:
        stop(proc)


VERDACCIO_CONFIG = """\
storage: {storage}
uplinks: {{}}
packages:
  '**':
    access: $all
    publish: $all
    unpublish: $all
listen: 127.0.0.1:{port}
middlewares:
  audit:
    enabled: false
web:
  enable: false
log: {{type: stdout, level: warn}}
"""


@contextlib.contextmanager
def verdaccio(root: Path) -> Iterator[tuple[str, int, Path]]:
    """(url, port, storage): no uplinks, open publishing (pnpm still wants some token)."""
    if not VERDACCIO.exists():
        raise RuntimeError(f"{VERDACCIO} is missing: run scripts/bootstrap.sh")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yaml"
    config.write_text(VERDACCIO_CONFIG.format(storage=root / "storage", port=port))
    url = f"http://127.0.0.1:{port}/"
    proc = start(
        [str(VERDACCIO), "--config", str(config)], root / "verdaccio.log", url + "-/ping", root
    )
    try:
        yield url, port, root / "storage"
    finally:
        stop(proc)


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def static_files(root: Path) -> Iterator[str]:
    """An HTTP file server over ``root`` (a static tree of ``@v/`` files is a GOPROXY)."""
    root.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def bare_git_repo(path: Path) -> str:
    """A bare repository: a real git remote. Returns its file:// URL."""
    subprocess.run(
        ["git", "init", "--bare", "-q", "-b", "main", str(path)], check=True, capture_output=True
    )
    return path.as_uri()
