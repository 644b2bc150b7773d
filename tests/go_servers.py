"""Go servers on loopback for the tests: a checksum database and a private Go registry.

- :class:`SumDBServer` — a checksum database with its own Ed25519 key, speaking
  the sumdb protocol (``/lookup/``, ``/latest``, ``/tile/``) closely enough that
  the real go command verifies against it (``GOSUMDB="<vkey> <url>"``). Like
  sum.golang.org it learns a version on its first lookup by fetching the zip
  and go.mod from a GOPROXY and logging their ``h1:`` lines; ``tamper`` makes it
  log other hashes for a version, to test that mismatches are caught.
- :class:`GoRegistry` — an Artifact-Keeper-compatible private registry over
  HTTPS (a self-signed certificate for 127.0.0.1): ``POST /api/artifacts``
  (multipart ``file``, ``format=go``, ``name``, ``version``; ``Authorization:
  Bearer <token>``) and a GOPROXY at ``/go/<repo>/`` that wants Basic (from
  ``.netrc``) or Bearer credentials. The go command sends ``.netrc``
  credentials over HTTPS only, hence TLS; ``SSL_CERT_FILE`` makes both go and
  releasekit trust the certificate.

Both run in a thread of the test process (pure Python), each on a free port.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import ssl
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from releasekit_tasks.ecosystems.go.modzip import h1_hash_gomod, h1_hash_zip
from releasekit_tasks.ecosystems.go.proxy_tree import (
    _unescape,
    escape_path,
    escape_version,
    unescape_path,
    write_version,
)
from releasekit_tasks.ecosystems.go.sumdb import Log, Signer, Tile, generate_key

__all__ = [
    "GoRegistry",
    "SumDBProxy",
    "SumDBServer",
    "go_registry",
    "make_certificate",
    "sumdb_proxy",
    "sumdb_server",
]


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def _serving(
    handler: type[BaseHTTPRequestHandler], state: object, context: ssl.SSLContext | None = None
) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- checksum database ----------------------------------------------------------------


@dataclass
class SumDBServer:
    """A checksum database. ``gosumdb`` is the GOSUMDB value that trusts it."""

    name: str
    signer_key: str
    verifier_key: str
    proxy: str = ""  # where it fetches versions it does not know yet (http:// or file://)
    url: str = ""
    log: Log = field(default_factory=Log)
    ids: dict[str, int] = field(default_factory=dict)
    tamper: dict[str, tuple[str, str]] = field(default_factory=dict)  # "mod@v" -> (zip h1, mod h1)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def gosumdb(self) -> str:
        return f"{self.verifier_key} {self.url}"

    def add(self, module: str, version: str, zip_h1: str, mod_h1: str) -> int:
        """Log ``module@version`` with these hashes (the first logged answer stays)."""
        key = f"{module}@{version}"
        with self.lock:
            if key in self.ids:
                return self.ids[key]
            text = f"{module} {version} {zip_h1}\n{module} {version}/go.mod {mod_h1}\n"
            self.ids[key] = self.log.append(text.encode())
            return self.ids[key]

    def signed_tree(self) -> bytes:
        with self.lock:
            return Signer.parse(self.signer_key).sign(self.log.tree_note())

    def _fetch(self, module: str, version: str, ext: str) -> bytes | None:
        url = f"{self.proxy.rstrip('/')}/{escape_path(module)}/@v/{escape_version(version)}{ext}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return bytes(response.read())
        except (OSError, ValueError):
            return None

    def learn(self, module: str, version: str) -> int | None:
        """The record id of ``module@version``, fetched from the proxy on first sight."""
        key = f"{module}@{version}"
        with self.lock:
            if key in self.ids:
                return self.ids[key]
        if key in self.tamper:
            return self.add(module, version, *self.tamper[key])
        mod = self._fetch(module, version, ".mod")
        data = self._fetch(module, version, ".zip")
        if mod is None or data is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.zip"
            path.write_bytes(data)
            zip_h1 = h1_hash_zip(path)
        return self.add(module, version, zip_h1, h1_hash_gomod(mod))


class _SumDBHandler(_Quiet):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        db: SumDBServer = self.server.state  # type: ignore[attr-defined]
        path = unquote(self.path.split("?", 1)[0])
        db.requests.append(path)
        if path.startswith("/lookup/"):
            escaped, _, version = path[len("/lookup/") :].rpartition("@")
            try:
                module = unescape_path(escaped)
            except Exception:
                self._send(400, b"bad module path\n")
                return
            record = db.learn(module, _unescape(version) or version)
            if record is None:
                self._send(404, f"{module}@{version}: not found\n".encode())
                return
            msg = f"{record}\n".encode() + db.log.records[record] + b"\n"
            self._send(200, msg + db.signed_tree())
        elif path == "/latest":
            self._send(200, db.signed_tree())
        elif path.startswith("/tile/"):
            tile = Tile.parse(path[1:])
            data = None if tile is None else db.log.tile_data(tile)
            if data is None:
                self._send(404, b"no such tile\n")
            else:
                self._send(200, data, "application/octet-stream")
        else:
            self._send(404, b"not found\n")


@contextmanager
def sumdb_server(
    proxy: str = "", name: str = "sum.test.example", keys: tuple[str, str] | None = None
) -> Iterator[SumDBServer]:
    """A checksum database with a new key, or ``keys`` (signer, verifier): two servers
    sharing a key and logging different records are a forked database."""
    skey, vkey = keys or generate_key(name)
    db = SumDBServer(name=name, signer_key=skey, verifier_key=vkey, proxy=proxy)
    with _serving(_SumDBHandler, db) as port:
        db.url = f"http://127.0.0.1:{port}"
        yield db


@dataclass
class SumDBProxy:
    """A GOPROXY over a static tree that also carries a checksum database's traffic at
    ``/sumdb/<name>/…`` (as proxy.golang.org carries sum.golang.org's)."""

    tree: Path
    db: SumDBServer
    url: str = ""
    requests: list[str] = field(default_factory=list)


class _SumDBProxyHandler(_Quiet):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        state: SumDBProxy = self.server.state  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        state.requests.append(path)
        prefix = f"/sumdb/{state.db.name}/"
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if rest == "supported":
                self._send(200)
                return
            try:
                with urllib.request.urlopen(f"{state.db.url}/{rest}", timeout=10) as upstream:
                    self._send(200, upstream.read(), upstream.headers.get_content_type())
            except urllib.error.HTTPError as err:
                self._send(err.code, err.read())
            return
        target = (state.tree / unquote(path).lstrip("/")).resolve()
        if ".." in path.split("/") or not target.is_file():
            self._send(404, b"not found\n")
            return
        self._send(200, target.read_bytes(), "application/octet-stream")


@contextmanager
def sumdb_proxy(tree: Path, db: SumDBServer) -> Iterator[SumDBProxy]:
    state = SumDBProxy(tree=tree, db=db)
    with _serving(_SumDBProxyHandler, state) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state


# --- private Go registry (Artifact Keeper API) --------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class GoRegistry:
    """An Artifact-Keeper-compatible Go registry: uploads to ``api_url``, GOPROXY at ``proxy_url``."""

    root: Path  # <repo>/<escaped module>/@v/… trees
    token: str
    user: str = "releaser"
    repo: str = "private"
    cert: Path = Path()
    url: str = ""
    # Artifact Keeper keeps go.mod as its own artifact: an API upload of the zip alone
    # serves no .mod until one is PUT at the GOPROXY path. False reproduces that.
    mod_from_zip: bool = True
    uploads: list[dict[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/artifacts"

    @property
    def proxy_url(self) -> str:
        return f"{self.url}/go/{self.repo}"

    def netrc(self, path: Path) -> Path:
        """A .netrc for this registry. The go command matches ``machine`` against the
        URL's host *with* its port (``127.0.0.1:8443``), so that is what is written."""
        host = self.url.split("://", 1)[1]
        path.write_text(f"machine {host}\nlogin {self.user}\npassword {self.token}\n")
        path.chmod(0o600)
        return path

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() == self.token
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
                if user != self.user:
                    return False
            except ValueError:
                return False
            return password == self.token
        return False


class _RegistryHandler(_Quiet):
    server: ThreadingHTTPServer

    @property
    def registry(self) -> GoRegistry:
        return self.server.state  # type: ignore[attr-defined,no-any-return]

    def _deny(self) -> None:
        self._send(401, b"unauthorized\n", headers={"WWW-Authenticate": 'Basic realm="go"'})

    def do_GET(self) -> None:
        reg = self.registry
        path = unquote(self.path.split("?", 1)[0])
        reg.requests.append(f"GET {path}")
        prefix = f"/go/{reg.repo}/"
        if not path.startswith(prefix):
            self._send(404, b"not found\n")
            return
        if not reg.authorized(self.headers.get("Authorization")):
            self._deny()
            return
        rel = path[len(prefix) :]
        target = (reg.root / reg.repo / rel).resolve()
        if ".." in rel.split("/") or not target.is_file():
            self._send(404, b"not found\n")
            return
        ctype = "application/json" if target.suffix == ".info" else "application/octet-stream"
        self._send(200, target.read_bytes(), ctype)

    do_HEAD = do_GET

    def do_PUT(self) -> None:
        """``PUT /go/<repo>/<escaped module>/@v/<version>.mod`` (Artifact Keeper's GOPROXY)."""
        reg = self.registry
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = unquote(self.path.split("?", 1)[0])
        reg.requests.append(f"PUT {path}")
        prefix = f"/go/{reg.repo}/"
        if not path.startswith(prefix) or not path.endswith(".mod") or "/@v/" not in path:
            self._send(405, b"PUT is only supported for .mod files here\n")
            return
        if not reg.authorized(self.headers.get("Authorization")):
            self._deny()
            return
        target = reg.root / reg.repo / path[len(prefix) :]
        if ".." in path.split("/") or not target.parent.is_dir():
            self._send(404, b"no such module version\n")
            return
        if target.exists():
            self._send(409, b"go.mod already exists\n")
            return
        target.write_bytes(body)
        self._send(201, b"Created")

    def do_POST(self) -> None:
        reg = self.registry
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        reg.requests.append(f"POST {self.path}")
        if self.path.rstrip("/") != "/api/artifacts":
            self._send(404, b"not found\n")
            return
        header = self.headers.get("Authorization") or ""
        if not header.lower().startswith("bearer ") or not reg.authorized(header):
            self._send(401, b'{"error":"unauthorized"}', "application/json")
            return
        ctype = self.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + body
        )
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = part.get_payload(decode=True) or b""
        missing = [k for k in ("file", "format", "name", "version") if k not in fields]
        if missing or fields["format"] != b"go":
            self._send(400, json.dumps({"error": f"missing or bad fields {missing}"}).encode())
            return
        module, version = fields["name"].decode(), fields["version"].decode()
        folder = reg.root / reg.repo / escape_path(module) / "@v"
        existing = folder / f"{escape_version(version)}.zip"
        sha256 = hashlib.sha256(fields["file"]).hexdigest()
        with reg.lock, tempfile.TemporaryDirectory() as tmp:
            upload = Path(tmp) / "upload.zip"
            upload.write_bytes(fields["file"])
            try:
                with zipfile.ZipFile(upload) as archive:
                    gomod = archive.read(f"{module}@{version}/go.mod")
            except (KeyError, zipfile.BadZipFile):
                self._send(400, b'{"error":"not a Go module zip"}', "application/json")
                return
            if existing.exists():
                same = h1_hash_zip(existing) == h1_hash_zip(upload)
                self._send(
                    409,
                    json.dumps({"error": "version exists", "same": same}).encode(),
                    "application/json",
                )
                return
            now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            write_version(reg.root / reg.repo, module, version, upload, gomod, now)
            if not reg.mod_from_zip:
                (folder / f"{escape_version(version)}.mod").unlink()
            reg.uploads.append({"name": module, "version": version, "sha256": sha256})
        answer = {
            "id": len(reg.uploads),
            "name": module,
            "version": version,
            "format": "go",
            "checksum_sha256": sha256,
        }
        self._send(201, json.dumps(answer).encode(), "application/json")


@contextmanager
def go_registry(folder: Path, token: str = "s3cret-token") -> Iterator[GoRegistry]:
    cert, key = make_certificate(folder / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    reg = GoRegistry(root=folder / "repos", token=token, cert=cert)
    with _serving(_RegistryHandler, reg, context) as port:
        reg.url = f"https://127.0.0.1:{port}"
        yield reg
