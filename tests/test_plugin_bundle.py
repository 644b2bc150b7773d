"""A fourth ecosystem, installed from outside the package, released end to end through doit.

"bundle": folders holding a bundle.toml (name, version, deps), published as
tarballs to a tiny HTTP registry the test serves on loopback. The plugin is a
module plus a dist-info with its entry point in a temporary site folder on
PYTHONPATH: nothing in releasekit_tasks knows the kind.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.publishing import doit
from tests.repos.common import git_init, write

PLUGIN = '''
"""bundle: folders with a bundle.toml, released as tarballs to an HTTP registry."""

import gzip
import io
import json
import re
import tarfile
import tomllib
import urllib.error
import urllib.request

from releasekit_tasks.ecosystems import Ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Dependency, Package
from releasekit_tasks.publish.release import file_digests


def _set_dep(text, dep, new):
    return re.sub(rf'(?m)^{re.escape(dep)} = ".*"$', f'{dep} = "{new}"', text)


class Bundle(Ecosystem):
    kind = "bundle"
    manifest_name = "bundle.toml"
    workspace_markers = ("bundles.toml",)

    def detect(self, folder):
        return (folder / "bundles.toml").is_file()

    def discover(self, eco, root):
        found = [(m, tomllib.loads(m.read_text())) for m in sorted(eco.workspace_root.glob("*/bundle.toml"))]
        names = {data["name"] for _, data in found}
        return [
            Package(
                self.kind, eco.label, data["name"], data["version"], manifest.parent, manifest,
                dependencies=[
                    Dependency(name, spec, "runtime", internal=name in names)
                    for name, spec in data.get("deps", {}).items()
                ],
                metadata={"description": "a bundle", "license": "MIT", "readme": "README"},
            )
            for manifest, data in found
        ]

    def set_version(self, text, new, path):
        return re.sub(r'(?m)^version = ".*"$', f'version = "{new}"', text)

    def rewrite_dependency(self, text, dep, old, new, path):
        return _set_dep(text, dep, new)

    def build(self, release):
        folder = __import__("pathlib").Path(release.path)
        manifest = (folder / "bundle.toml").read_text()
        for name, version in release.pins:  # pinned in the artifact, never in the checkout
            manifest = _set_dep(manifest, name, version)
        release.dist_dir.mkdir(parents=True, exist_ok=True)
        target = release.dist_dir / f"{release.name}-{release.version}.tar.gz"
        with target.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w") as tar:
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    data = manifest.encode() if path.name == "bundle.toml" else path.read_bytes()
                    info = tarfile.TarInfo(path.relative_to(folder).as_posix())
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        return [{"file": target.name, **file_digests(target)}]

    def remote_state(self, release, *, deep=True):
        url = f"{release.registry}{release.name}/{release.version}/"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return {}
            raise RKError("RK-REGISTRY-UNAVAILABLE", f"{url}: {exc}") from None

    def upload(self, release, files):
        for path in files:
            url = f"{release.registry}{release.name}/{release.version}/{path.name}"
            request = urllib.request.Request(url, data=path.read_bytes(), method="PUT")
            urllib.request.urlopen(request, timeout=10).close()


ECOSYSTEM = Bundle()
'''


class Registry(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, dict[str, bytes]] = {}  # "<name>/<version>" -> file -> bytes
        self.puts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    server: Registry

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        key = self.path.strip("/")
        if not key:
            self._send(200, b"bundle registry")
        elif key in self.server.files:
            sums = {f: hashlib.sha256(b).hexdigest() for f, b in self.server.files[key].items()}
            self._send(200, json.dumps(sums).encode())
        else:
            self._send(404)

    def do_PUT(self) -> None:
        key, _, name = self.path.strip("/").rpartition("/")
        data = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.files.setdefault(key, {})[name] = data
        self.server.puts += 1
        self._send(201)


@pytest.fixture
def registry() -> Iterator[Registry]:
    server = Registry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def test_a_plugin_ecosystem_releases_end_to_end(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write(site / "rk_bundle.py", PLUGIN)
    write(
        site / "rk_bundle-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: rk-bundle\nVersion: 1.0\n",
    )
    write(
        site / "rk_bundle-1.0.dist-info/entry_points.txt",
        "[releasekit_tasks.ecosystems]\nbundle = rk_bundle:ECOSYSTEM\n",
    )
    root = tmp_path / "repo"
    write(
        root / "releasekit.toml",
        f'[ecosystems.bundles]\nkind = "bundle"\nworkspace_root = "bundles"\n'
        f'registry = "{registry.url}"\n',
    )
    write(root / "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
    write(root / ".gitignore", ".releasekit/\n")
    write(root / "bundles/bundles.toml", "")
    write(root / "bundles/alpha/bundle.toml", 'name = "alpha"\nversion = "1.0.0"\n')
    write(root / "bundles/alpha/data.txt", "alpha\n")
    write(
        root / "bundles/beta/bundle.toml",
        'name = "beta"\nversion = "0.1.0"\n\n[deps]\nalpha = "1.0.0"\n',
    )
    monkeypatch.setenv("PYTHONPATH", str(site))
    git_init(root)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "tag", "alpha-v1.0.0")
    git(root, "tag", "beta-v0.1.0")
    write(root / "bundles/alpha/data.txt", "alpha, improved\n")
    git(root, "commit", "-qam", "feat(alpha): improve the data")
    git(root, "push", "-q", "origin", "main", "--tags")

    rows = {r["id"]: r for r in json.loads(doit(root, "plan", "--format", "json").stdout)}
    assert (rows["bundles/alpha"]["next"], rows["bundles/beta"]["next"]) == ("1.1.0", "0.1.1")

    doit(root, "version")
    manifest = json.loads((root / ".releasekit/release-manifest.json").read_text())
    assert {r["id"]: r["new_version"] for r in manifest["releases"]} == {
        "bundles/alpha": "1.1.0",
        "bundles/beta": "0.1.1",
    }

    doit(root, "prepare")
    branch = "releasekit/release"
    assert 'version = "1.1.0"' in git(root, "show", f"{branch}:bundles/alpha/bundle.toml")
    beta = git(root, "show", f"{branch}:bundles/beta/bundle.toml")
    assert 'version = "0.1.1"' in beta and 'alpha = "1.1.0"' in beta
    git(root, "merge", "-q", "--ff-only", branch)  # the Release PR merged

    out = doit(root, "-n", "2", "publish").stdout
    assert set(registry.files) == {"alpha/1.1.0", "beta/0.1.1"}
    assert registry.puts == 2
    assert "verified bundles/beta 0.1.1" in out
    receipts = sorted(p.name for p in (root / ".releasekit/receipts").iterdir())
    assert receipts == ["bundles__alpha@1.1.0.json", "bundles__beta@0.1.1.json"]

    again = doit(root, "-n", "2", "publish").stdout
    assert registry.puts == 2
    assert "uploaded " not in again and "verified bundles/" not in again
    assert "registries hold 2 of 2 release(s); 0 to publish (2 verified by an earlier run)" in again
