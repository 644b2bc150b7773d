"""A fault-injecting reverse proxy for loopback registries (pypiserver, verdaccio, a GOPROXY).

``FaultProxy(upstream, rate=0.3, seed=1)`` listens on a free loopback port and
forwards every request to ``upstream`` — except a ``rate`` fraction, which it
answers with one of these faults (weights in :data:`DEFAULT_MIX`):

- ``503``          503 Service Unavailable, no Retry-After
- ``503-retry``    503 with ``Retry-After: <retry_after>``
- ``429``          429 Too Many Requests with ``Retry-After: <retry_after>``
- ``reset``        a TCP reset before anything is forwarded
- ``reset-after``  the request IS forwarded (an upload arrives and is stored), then the
                   client's connection is reset: the answer is lost
- ``stall``        (weight 0 unless asked) hold the request ``stall`` seconds, then reset

Deterministic: whether the n-th request with a given key (method, path and, for
uploads, the artifact's file name) is faulted, and how, depends only on
``seed``, that key and n — not on thread timing. Bounded: never more than
``max_consecutive`` faults in a row for one key (so a client that retries
that many times gets through), at most ``max_requests`` requests and
``lifetime`` seconds, after which every request is reset.

Uploads are recognised (pypiserver: a multipart POST with a ``content`` file;
npm: a PUT whose JSON has ``_attachments``) and counted per artifact:
``attempts`` (requests that reached the proxy), ``forwarded`` (reached the
registry) and ``stored`` (the registry answered 2xx). "Each artifact uploaded
exactly once" is ``stored == forwarded == 1`` for every artifact.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

FAULTS = ("503", "503-retry", "429", "reset", "reset-after", "stall")
DEFAULT_MIX: dict[str, float] = {
    "503": 0.3,
    "503-retry": 0.15,
    "429": 0.05,
    "reset": 0.25,
    "reset-after": 0.25,
}

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "host",
        "date",
        "server",
    }
)
_MULTIPART_FILE = re.compile(rb'name="content";\s*filename="([^"]+)"')


def upload_artifacts(method: str, headers: dict[str, str], body: bytes) -> list[str]:
    """The artifact file names an upload request carries ([] if it is not an upload)."""
    ctype = headers.get("content-type", "")
    if method == "POST" and ctype.startswith("multipart/form-data"):
        return [m.decode("utf-8", "replace") for m in _MULTIPART_FILE.findall(body)]
    if method == "PUT" and body[:1] == b"{" and b'"_attachments"' in body:
        try:
            attachments = json.loads(body).get("_attachments") or {}
        except ValueError:
            return []
        return sorted(attachments)
    return []


def form_fields(headers: dict[str, str], body: bytes) -> dict[str, str]:
    """The text fields of a multipart upload, and its file's name under "file"."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        if name == "content":
            fields["file"] = str(part.get_filename())
        elif isinstance(payload, bytes):
            fields[name] = payload.decode()
    return fields


def _unit(seed: int, key: str, n: int, salt: str) -> float:
    digest = hashlib.sha256(f"{seed}\0{key}\0{n}\0{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class Stats:
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)  # uploads seen, per artifact
    forwarded: Counter[str] = field(default_factory=Counter)  # uploads that reached upstream
    stored: Counter[str] = field(default_factory=Counter)  # ... and got a 2xx
    log: list[str] = field(default_factory=list)  # "PUT /x -> reset-after(201)" per request
    # The text fields of each multipart upload (PyPI's legacy upload API), e.g.
    # {"name": …, "version": …, "filetype": …, "attestations": "[…]"}, and "file": its name.
    forms: list[dict[str, str]] = field(default_factory=list)


class FaultProxy:
    """See the module docstring. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.3,
        seed: int = 0,
        mix: dict[str, float] | None = None,
        retry_after: str = "1",
        stall: float = 30.0,
        max_consecutive: int = 2,
        max_requests: int = 20_000,
        lifetime: float = 900.0,
        only: tuple[str, ...] = (),
    ) -> None:
        unknown = set(mix or {}) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {FAULTS}")
        self.upstream = upstream.rstrip("/")
        self.rate = rate
        self.seed = seed
        self.mix = {k: v for k, v in (mix or DEFAULT_MIX).items() if v > 0}
        self.retry_after = retry_after
        self.stall = stall
        self.max_consecutive = max_consecutive
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.only = only  # methods to fault ("PUT", "POST"); empty: every method
        self.stats = Stats()
        self._seen: Counter[str] = Counter()
        self._streak: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self.url = ""

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> FaultProxy:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.proxy = self
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self._stopped.set)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- decisions ---------------------------------------------------------------

    def decide(self, method: str, path: str, artifacts: list[str]) -> tuple[int, str | None]:
        """Record a request; (its log index, the fault to apply or None to forward cleanly)."""
        key = f"{method} {path.split('?')[0]} {','.join(artifacts)}"
        with self._lock:
            stats = self.stats
            stats.requests += 1
            stats.log.append(f"{method} {path}")
            index = len(stats.log) - 1
            for name in artifacts:
                stats.attempts[name] += 1
            if self._stopped.is_set() or stats.requests > self.max_requests:
                return index, "reset"
            n = self._seen[key]
            self._seen[key] += 1
            fault: str | None = None
            eligible = not self.only or method in self.only
            if (
                eligible
                and self._streak[key] < self.max_consecutive
                and _unit(self.seed, key, n, "rate") < self.rate
            ):
                fault = self._pick(_unit(self.seed, key, n, "kind"))
            self._streak[key] = self._streak[key] + 1 if fault else 0
            if fault:
                stats.faults[fault] += 1
            return index, fault

    def _pick(self, u: float) -> str:
        total = sum(self.mix.values())
        for name, weight in self.mix.items():
            u -= weight / total
            if u < 0:
                return name
        return next(reversed(self.mix))

    def note(self, index: int, outcome: str, artifacts: list[str], status: int | None) -> None:
        with self._lock:
            self.stats.log[index] += f" -> {outcome}"
            if status is not None:
                for name in artifacts:
                    self.stats.forwarded[name] += 1
                    if 200 <= status < 300:
                        self.stats.stored[name] += 1

    def summary(self) -> str:
        s = self.stats
        faults = ", ".join(f"{k} {v}" for k, v in sorted(s.faults.items())) or "none"
        return f"{self.upstream}: {s.requests} requests, faults: {faults}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: a reset hits exactly one

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset".
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        artifacts = upload_artifacts(self.command, headers, body)
        if artifacts and self.command == "POST":
            with proxy._lock:
                proxy.stats.forms.append(form_fields(headers, body))
        index, fault = proxy.decide(self.command, self.path, artifacts)
        if fault in ("reset", "stall"):
            if fault == "stall":
                proxy._stopped.wait(proxy.stall)
            proxy.note(index, fault, artifacts, None)
            self._reset()
            return
        if fault in ("503", "503-retry", "429"):
            proxy.note(index, fault, artifacts, None)
            self.send_response(429 if fault == "429" else 503)
            if fault != "503":
                self.send_header("Retry-After", proxy.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            status, reply_headers, data = self._forward(proxy, body)
        except OSError as exc:
            proxy.note(index, f"upstream error {exc}", artifacts, None)
            self._reset()
            return
        if fault == "reset-after":
            proxy.note(index, f"reset-after({status})", artifacts, status)
            self._reset()
            return
        proxy.note(index, str(status), artifacts, status)
        self.send_response(status)
        for key, value in reply_headers:
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _forward(self, proxy: FaultProxy, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        target = urlsplit(proxy.upstream + self.path)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path, body=body if body else None, headers=headers)
            upstream = conn.getresponse()
            return upstream.status, upstream.getheaders(), upstream.read()
        finally:
            conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    proxy: FaultProxy
