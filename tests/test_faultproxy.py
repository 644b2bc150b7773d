"""The fault-injecting proxy itself: deterministic, bounded, counts uploads per artifact."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import ClassVar

import pytest

from tests.faultproxy import FaultProxy, upload_artifacts


class _Echo(BaseHTTPRequestHandler):
    stored: ClassVar[list[bytes]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if body:
            _Echo.stored.append(body)
        data = f"{self.command} {self.path}".encode()
        self.send_response(201 if self.command in ("PUT", "POST") else 200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = _reply


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    _Echo.stored = []
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def request(url: str, method: str, path: str, body: bytes = b"", ctype: str = "") -> str:
    """The status as a string, or 'reset' when the connection dropped."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Content-Type": ctype} if ctype else {}
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        response.read()
        return str(response.status)
    except (ConnectionError, http.client.RemoteDisconnected):
        return "reset"
    finally:
        conn.close()


def npm_put(name: str) -> bytes:
    return json.dumps({"name": "x", "_attachments": {name: {"data": "AAAA"}}}).encode()


def test_same_seed_same_faults_and_bounded_streaks(upstream: str) -> None:
    outcomes = []
    for _ in range(2):
        with FaultProxy(upstream, rate=0.5, seed=7, max_consecutive=2) as proxy:
            seen = [request(proxy.url, "GET", f"/p/{i % 5}") for i in range(60)]
            outcomes.append(seen)
            faults = sum(proxy.stats.faults.values())
    assert outcomes[0] == outcomes[1]
    assert 10 <= faults <= 45
    # Never three faults in a row for one path.
    for path in range(5):
        per_path = outcomes[0][path::5]
        runs = "".join("f" if o != "200" else "." for o in per_path)
        assert "fff" not in runs, runs


def test_reset_after_forwards_and_counts_the_upload(upstream: str) -> None:
    with FaultProxy(upstream, rate=1.0, seed=1, mix={"reset-after": 1}, max_consecutive=1) as proxy:
        assert (
            request(proxy.url, "PUT", "/@s%2fa", npm_put("a-1.0.0.tgz"), "application/json")
            == "reset"
        )
        assert (
            request(proxy.url, "PUT", "/@s%2fa", npm_put("a-1.0.0.tgz"), "application/json")
            == "201"
        )
    assert proxy.stats.attempts["a-1.0.0.tgz"] == 2
    assert proxy.stats.forwarded["a-1.0.0.tgz"] == 2
    assert proxy.stats.stored["a-1.0.0.tgz"] == 2
    assert len(_Echo.stored) == 2


def test_status_faults_never_reach_upstream(upstream: str) -> None:
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="content"; filename="a-1.0-py3-none-any.whl"'
        b"\r\n\r\nBYTES\r\n--b--\r\n"
    )
    ctype = "multipart/form-data; boundary=b"
    with FaultProxy(upstream, rate=1.0, seed=3, mix={"503-retry": 1}, max_consecutive=3) as proxy:
        got = [request(proxy.url, "POST", "/", multipart, ctype) for _ in range(4)]
    assert got == ["503", "503", "503", "201"]
    name = "a-1.0-py3-none-any.whl"
    assert proxy.stats.attempts[name] == 4
    assert proxy.stats.forwarded[name] == proxy.stats.stored[name] == 1


def test_upload_detection() -> None:
    assert upload_artifacts("GET", {}, b"") == []
    assert upload_artifacts("PUT", {}, npm_put("x-1.tgz")) == ["x-1.tgz"]
    assert upload_artifacts("PUT", {}, b'{"_attachments": ') == []
