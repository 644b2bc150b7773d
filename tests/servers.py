"""Real registries on loopback, as pytest fixtures.

Load with ``pytest_plugins = ["tests.servers"]`` in tests/conftest.py (or
``from tests.servers import *``). Each server gets a free port and a tmp
folder, is started once per session, is waited for (at most
a few seconds) and is stopped by PID in the finalizer.

- ``pypi_server``   pypiserver (upload with ``uv publish``)
- ``npm_registry``  verdaccio (publish with ``pnpm publish``)
- ``goproxy_server`` a static file server: a tree of ``@v/`` files is a GOPROXY
- ``git_remote``    a bare repository (function scope)
- ``fault_proxy``   a forwarder that misbehaves on cue (function scope)
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo import registries

__all__ = [
    "Fault",
    "FaultProxy",
    "GitRemote",
    "GoProxyServer",
    "NpmRegistry",
    "PypiServer",
    "fault_proxy",
    "git_remote",
    "goproxy_server",
    "npm_registry",
    "pypi_server",
]


# --- helpers ------------------------------------------------------------------


# --- pypiserver -----------------------------------------------------------------


@dataclass(frozen=True)
class PypiServer:
    url: str  # root, which is also the upload URL for `uv publish --publish-url`
    simple_url: str  # the PEP 503 index, `url + "simple/"`
    packages_dir: Path


@pytest.fixture(scope="session")
def pypi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """pypiserver with uploads open to anyone (`-a . -P .`) and no fallback to the public index."""
    with registries.pypiserver(tmp_path_factory.mktemp("pypiserver")) as (url, packages):
        yield PypiServer(url=url, simple_url=url + "simple/", packages_dir=packages)


# --- verdaccio ------------------------------------------------------------------


@dataclass(frozen=True)
class NpmRegistry:
    url: str  # with a trailing slash, as npm writes registries
    port: int
    storage: Path

    def write_npmrc(self, directory: Path) -> Path:
        """Write ``directory/.npmrc`` pointing at this registry, with a placeholder token.

        pnpm 10 hands ``publish`` to the npm CLI, which refuses to publish
        without a token for the registry (ENEEDAUTH, measured with pnpm 10.34 /
        npm 11). verdaccio with ``publish: $all`` accepts any token, so ``x``
        does. Without this file ``pnpm publish`` fails here.
        """
        path = directory / ".npmrc"
        path.write_text(f"registry={self.url}\n//127.0.0.1:{self.port}/:_authToken=x\n")
        return path


@pytest.fixture(scope="session")
def npm_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NpmRegistry]:
    """verdaccio with no uplinks (nothing from the public registry) and open publishing.

    Anonymous publishing is allowed by the config, but the npm CLI (which
    pnpm 10 runs for ``publish``) still wants a token: use :meth:`NpmRegistry.write_npmrc`.
    """
    with registries.verdaccio(tmp_path_factory.mktemp("verdaccio")) as (url, port, storage):
        yield NpmRegistry(url=url, port=port, storage=storage)


# --- static GOPROXY -------------------------------------------------------------


@dataclass(frozen=True)
class GoProxyServer:
    url: str  # no trailing slash, as GOPROXY values are written
    root: Path  # write `<escaped module>/@v/...` files here


@pytest.fixture(scope="session")
def goproxy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoProxyServer]:
    """A static HTTP file server over a tmp folder (in a thread: it is pure Python)."""
    root = tmp_path_factory.mktemp("goproxy")
    with registries.static_files(root) as url:
        yield GoProxyServer(url=url, root=root)


# --- git remote -----------------------------------------------------------------


@dataclass(frozen=True)
class GitRemote:
    path: Path
    url: str  # file:// URL of the bare repository


@pytest.fixture
def git_remote(tmp_path: Path) -> GitRemote:
    path = tmp_path / "remote.git"
    return GitRemote(path=path, url=registries.bare_git_repo(path))


# --- fault-injecting forwarder --------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, used for one request.

    ``status`` answers that HTTP status (with ``retry_after`` as Retry-After);
    ``reset`` drops the connection with a TCP RST and no response; ``stall``
    holds the request that many seconds (past the client's timeout), then drops it.
    """

    status: int = 0
    retry_after: str | None = None
    reset: bool = False
    stall: float = 0.0


@dataclass
class FaultProxy:
    """Forwards ``url + path`` to ``upstream + path`` unless a queued fault comes first.

    ``seen`` records one line per request: ``"GET /path -> 503"`` (or ``reset``,
    ``stall``, or the upstream status). Bounded: at most ``max_requests``
    requests and ``lifetime`` seconds, after which it stops by itself.
    """

    url: str
    upstream: str = ""
    faults: deque[Fault] = field(default_factory=deque)
    seen: list[str] = field(default_factory=list)
    max_requests: int = 200
    lifetime: float = 120.0
    stopped: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def take(self, line: str) -> tuple[int, Fault | None, bool]:
        """Record a request; its index in ``seen``, its fault (``None``: forward it) and
        whether the request budget is spent."""
        with self.lock:
            self.seen.append(line)
            spent = len(self.seen) > self.max_requests
            return len(self.seen) - 1, (self.faults.popleft() if self.faults else None), spent

    def record(self, index: int, outcome: str) -> None:
        with self.lock:
            self.seen[index] += f" -> {outcome}"


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}
)


class _FaultHandler(BaseHTTPRequestHandler):
    server: _FaultServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _drop(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _handle(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        index, fault, spent = state.take(f"{self.command} {self.path}")
        if spent or state.stopped.is_set():
            state.record(index, "over budget")
            self._drop()
            return
        if fault is not None and fault.reset:
            state.record(index, "reset")
            self._drop()
        elif fault is not None and fault.stall:
            state.record(index, "stall")
            state.stopped.wait(fault.stall)
            self._drop()
        elif fault is not None:
            state.record(index, str(fault.status))
            self.send_response(fault.status)
            if fault.retry_after is not None:
                self.send_header("Retry-After", fault.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._forward(state, index, body)

    def _forward(self, state: FaultProxy, index: int, body: bytes) -> None:
        target = urlsplit(state.upstream.rstrip("/") + self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path, body=body or None, headers=headers)
            upstream = conn.getresponse()
            data = upstream.read()
        finally:
            conn.close()
        state.record(index, str(upstream.status))
        self.send_response(upstream.status)
        for key, value in upstream.getheaders():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle


class _FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    state: FaultProxy


@pytest.fixture
def fault_proxy() -> Iterator[FaultProxy]:
    """A loopback forwarder: set ``upstream``, ``push`` faults, send requests to ``url``."""
    server = _FaultServer(("127.0.0.1", 0), _FaultHandler)
    state = FaultProxy(url=f"http://127.0.0.1:{server.server_address[1]}/")
    server.state = state
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    # Self-stopping even if a test forgets it: shutdown() must run off the serving thread.
    timer = threading.Timer(state.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield state
    finally:
        state.stopped.set()  # wakes stalled handlers
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
