"""Registry clients against real registries on loopback, and retries against a faulty proxy.

pypiserver, verdaccio and a static GOPROXY are the real things (tests/servers.py);
``httpx.MockTransport`` stands in only for what cannot run here (PyPI's JSON API)
and for unit-level timing cases driven by a fake clock.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from releasekit_tasks import http
from releasekit_tasks.ecosystems.go import registry as goproxy
from releasekit_tasks.ecosystems.pnpm import registry as npm
from releasekit_tasks.ecosystems.uv import registry as pypi
from releasekit_tasks.errors import RKError
from tests.repos.common import write
from tests.servers import Fault, FaultProxy, GoProxyServer, NpmRegistry, PypiServer

REPO = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    """A tool from the venv or .tools/node, falling back to PATH."""
    for candidate in (
        Path(sys.executable).parent / name,
        REPO / ".tools/node/node_modules/.bin" / name,
    ):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: run scripts/bootstrap.sh")
    return found


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Sleeps(list[float]):
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@dataclass
class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with http.make_client(timeout=5.0) as c:
        yield c


@pytest.fixture
def upper_bound_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make full jitter pick the top of its interval, so waits are exact."""
    monkeypatch.setattr(http.random, "uniform", lambda low, high: high)


# --- PyPI: pypiserver -----------------------------------------------------------

PY_NAME = "RK_Demo.Pkg"  # normalizes to rk-demo-pkg; files are rk_demo_pkg-*


def build_py(root: Path, version: str) -> list[Path]:
    project = root / f"src-{version}"
    write(
        project / "pyproject.toml",
        f"""
        [project]
        name = "{PY_NAME}"
        version = "{version}"

        [build-system]
        requires = ["uv_build>=0.8"]
        build-backend = "uv_build"
        """,
    )
    write(project / "src/rk_demo_pkg/__init__.py", f"VERSION = {version!r}\n")
    out = root / f"dist-{version}"
    run([tool("uv"), "build", "--quiet", "--out-dir", str(out), str(project)], cwd=root)
    return sorted([*out.glob("*.whl"), *out.glob("*.tar.gz")])  # uv also writes a .gitignore


def uv_publish(server: PypiServer, dists: list[Path]) -> list[str]:
    """The upload command; --check-url makes re-uploading identical files a no-op."""
    auth = ["-u", "x", "-p", "x", "--trusted-publishing", "never"]
    urls = ["--publish-url", server.url, "--check-url", server.simple_url]
    return [tool("uv"), "publish", *urls, *auth, *map(str, dists)]


@pytest.fixture(scope="module")
def py_dists(
    pypi_server: PypiServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Path]]:
    """rk-demo-pkg 0.1.0 and 0.2.0 (sdist + wheel each), uploaded with uv publish."""
    root = tmp_path_factory.mktemp("pydist")
    dists = {version: build_py(root, version) for version in ("0.1.0", "0.2.0")}
    run(uv_publish(pypi_server, [d for ds in dists.values() for d in ds]), cwd=root)
    return dists


def test_published_files_are_the_uploaded_bytes(
    client: httpx.Client, pypi_server: PypiServer, py_dists: dict[str, list[Path]]
) -> None:
    expected = {d.name: sha256(d) for ds in py_dists.values() for d in ds}
    assert len(expected) == 4
    # Any spelling of the name finds the project: the simple URL uses the normalized one.
    for name in ("rk-demo-pkg", PY_NAME, "RK.DEMO_pkg"):
        assert pypi.published_files(client, pypi_server.simple_url, name) == expected


def test_version_files_filters_by_parsed_filename(
    client: httpx.Client, pypi_server: PypiServer, py_dists: dict[str, list[Path]]
) -> None:
    first = {d.name: sha256(d) for d in py_dists["0.1.0"]}
    assert {n.rsplit(".", 1)[-1] for n in first} == {"whl", "gz"}
    assert pypi.version_files(client, pypi_server.simple_url, PY_NAME, "0.1.0") == first
    # PEP 440 equality: 0.1 is 0.1.0.
    assert pypi.version_files(client, pypi_server.simple_url, PY_NAME, "0.1") == first
    second = pypi.version_files(client, pypi_server.simple_url, PY_NAME, "0.2.0")
    assert second == {d.name: sha256(d) for d in py_dists["0.2.0"]}
    assert pypi.version_files(client, pypi_server.simple_url, PY_NAME, "0.3.0") == {}


def test_unknown_project_is_none(client: httpx.Client, pypi_server: PypiServer) -> None:
    assert pypi.published_files(client, pypi_server.simple_url, "no-such-project") is None
    assert pypi.version_files(client, pypi_server.simple_url, "no-such-project", "1.0") == {}


def test_pypiserver_has_no_json_api(
    client: httpx.Client, pypi_server: PypiServer, py_dists: dict[str, list[Path]]
) -> None:
    # Why the JSON API is only tried on PyPI's hosts: pypiserver answers 404 there.
    assert not pypi.uses_json_api(pypi_server.simple_url)
    assert pypi.published_files(client, pypi_server.simple_url, PY_NAME, json_api=True) is None


def test_invalid_version_is_rejected(client: httpx.Client, pypi_server: PypiServer) -> None:
    with pytest.raises(RKError) as info:
        pypi.version_files(client, pypi_server.simple_url, PY_NAME, "not a version")
    assert info.value.code == "RK-VERSION-INVALID"


def test_wait_until_available_sees_a_late_upload(
    client: httpx.Client, pypi_server: PypiServer, py_dists: dict[str, list[Path]], tmp_path: Path
) -> None:
    dists = build_py(tmp_path, "0.3.0")
    uploads: list[subprocess.Popen[bytes]] = []

    expected = {d.name: sha256(d) for d in dists}

    def check() -> dict[str, str] | None:
        files = pypi.version_files(client, pypi_server.simple_url, PY_NAME, "0.3.0")
        if not uploads:  # the first check sees nothing, then the upload starts
            assert files == {}
            uploads.append(subprocess.Popen(uv_publish(pypi_server, dists), cwd=tmp_path))
        # uv uploads one file at a time: a check must wait for all of them, not the first.
        return files if files.keys() >= expected.keys() else None

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    try:
        found = http.wait_until_available(
            check,
            what=f"{PY_NAME} 0.3.0 on {pypi_server.simple_url}",
            timeout=20,
            base=0.05,
            cap=0.5,
            sleep=sleep,
        )
    finally:
        assert uploads[0].wait(timeout=30) == 0
    assert found == expected and len(sleeps) >= 1


# --- PyPI: what only pypi.org serves (MockTransport) ---------------------------


def mock_client(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True, **kw)  # type: ignore[arg-type]


def test_json_api_is_used_on_pypi_org() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/pypi/rk-demo-pkg/json":
            release = lambda f, h: {"filename": f, "digests": {"md5": "0", "sha256": h}}  # noqa: E731
            return httpx.Response(
                200,
                json={
                    "info": {"version": "0.2.0"},
                    "releases": {
                        "0.1.0": [release("rk_demo_pkg-0.1.0.tar.gz", "aa")],
                        "0.2.0": [release("rk_demo_pkg-0.2.0-py3-none-any.whl", "bb")],
                    },
                    "urls": [release("rk_demo_pkg-0.2.0-py3-none-any.whl", "bb")],
                },
            )
        return httpx.Response(404)

    with mock_client(handler) as c:
        assert pypi.published_files(c, "https://pypi.org/simple/", PY_NAME) == {
            "rk_demo_pkg-0.1.0.tar.gz": "aa",
            "rk_demo_pkg-0.2.0-py3-none-any.whl": "bb",
        }
        assert pypi.version_files(c, "https://test.pypi.org/simple/", PY_NAME, "0.2") == {
            "rk_demo_pkg-0.2.0-py3-none-any.whl": "bb"
        }
        assert pypi.published_files(c, "https://pypi.org/simple/", "absent") is None
    assert seen == [
        "https://pypi.org/pypi/rk-demo-pkg/json",
        "https://test.pypi.org/pypi/rk-demo-pkg/json",
        "https://pypi.org/pypi/absent/json",
    ]


def test_simple_page_parsing_keeps_only_sha256() -> None:
    page = """<!DOCTYPE html><html><body>
      <a href="../../files/rk_demo_pkg-1.0.tar.gz#sha256=abc">rk_demo_pkg-1.0.tar.gz</a>
      <a href="https://cdn.test/x/rk_demo_pkg-1.0-py3-none-any.whl#md5=123" data-requires-python="&gt;=3.8">
         rk_demo_pkg-1.0-py3-none-any.whl</a>
      <a href="rk%2Bdemo%5Fpkg-2.0.zip#sha256=def">ignored text</a>
      <a href="rk_demo_pkg-1.0-py2.4.egg#sha256=eee">egg</a>
    </body></html>"""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/idx/rk-demo-pkg/"
        return httpx.Response(200, text=page)

    with mock_client(handler) as c:
        files = pypi.published_files(c, "https://example.test/idx", PY_NAME, json_api=False)
        assert files == {
            "rk_demo_pkg-1.0.tar.gz": "abc",
            "rk_demo_pkg-1.0-py3-none-any.whl": "",
            "rk+demo_pkg-2.0.zip": "def",
            "rk_demo_pkg-1.0-py2.4.egg": "eee",
        }
        # The egg is not a wheel or sdist; the .zip belongs to another name.
        assert pypi.version_files(
            c, "https://example.test/idx", PY_NAME, "1.0", json_api=False
        ) == {
            "rk_demo_pkg-1.0.tar.gz": "abc",
            "rk_demo_pkg-1.0-py3-none-any.whl": "",
        }


# --- npm: verdaccio -------------------------------------------------------------


@pytest.fixture(scope="module")
def npm_tarballs(
    npm_registry: NpmRegistry, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Path]:
    """@rk/demo@1.0.0 and rk-demo-js@2.0.0-rc.1, packed with pnpm pack and published with pnpm."""
    root = tmp_path_factory.mktemp("npm")
    userconfig = root / "user.npmrc"
    userconfig.write_text("")  # the developer's ~/.npmrc must not help (or hurt)
    env = {**os.environ, "npm_config_userconfig": str(userconfig)}
    npm_registry.write_npmrc(root)
    tarballs = {}
    for name, version in (("@rk/demo", "1.0.0"), ("rk-demo-js", "2.0.0-rc.1")):
        package = root / name.replace("/", "__")
        write(package / "package.json", json.dumps({"name": name, "version": version}))
        write(package / "index.js", f"module.exports = {json.dumps(name)};\n")
        run([tool("pnpm"), "pack", "--pack-destination", str(root)], cwd=package, env=env)
        tarball = next(root.glob(f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"))
        publish = [tool("pnpm"), "publish", str(tarball), "--registry", npm_registry.url]
        run([*publish, "--no-git-checks", "--tag", "test"], cwd=root, env=env)
        tarballs[name, version] = tarball
    return tarballs


def test_version_dist_matches_the_packed_tarball(
    client: httpx.Client, npm_registry: NpmRegistry, npm_tarballs: dict[tuple[str, str], Path]
) -> None:
    for (name, version), tarball in npm_tarballs.items():
        data = tarball.read_bytes()
        dist = npm.version_dist(client, npm_registry.url, name, version)
        assert dist is not None
        assert (
            dist["integrity"]
            == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        )
        assert dist["shasum"] == hashlib.sha1(data).hexdigest()
        assert client.get(dist["tarball"]).content == data


def test_missing_package_or_version_is_none(
    client: httpx.Client, npm_registry: NpmRegistry, npm_tarballs: dict[tuple[str, str], Path]
) -> None:
    assert npm.packument(client, npm_registry.url, "@rk/absent") is None
    assert npm.version_dist(client, npm_registry.url, "rk-absent", "1.0.0") is None
    assert npm.version_dist(client, npm_registry.url, "@rk/demo", "9.9.9") is None
    doc = npm.packument(client, npm_registry.url, "@rk/demo")
    assert doc is not None and doc["name"] == "@rk/demo" and "1.0.0" in doc["versions"]


def test_scoped_names_are_escaped() -> None:
    assert npm.package_url("http://r.test/", "@rk/demo") == "http://r.test/@rk%2fdemo"
    assert npm.package_url("http://r.test/sub", "left-pad") == "http://r.test/sub/left-pad"


def test_npm_token_is_sent_but_never_shown() -> None:
    token = "npm_S3cretT0ken"
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("authorization"))
        return httpx.Response(502)

    sleeps = Sleeps()
    with mock_client(handler) as c, pytest.raises(RKError) as info:
        npm.packument(c, "https://npm.test/", "@rk/demo", token=token, retries=2, sleep=sleeps)
    assert sent == [f"Bearer {token}"] * 3 and len(sleeps) == 2
    assert info.value.code == "RK-REGISTRY-UNAVAILABLE"
    assert token not in str(info.value) and "https://npm.test/@rk%2fdemo" in str(info.value)


# --- GOPROXY: static tree over HTTP and file:// ---------------------------------

GO_MODULE = "example.com/Upper/Mod"
GO_ZIP = b"PK\x05\x06" + bytes(18)  # an empty zip archive: the bytes only have to round-trip


def write_go_tree(root: Path) -> None:
    """A proxy tree by hand; the uppercase letters must be escaped in paths and versions."""
    v = root / "example.com/!upper/!mod/@v"
    write(v / "list", "v1.2.0\nv1.0.0\nv1.3.0-RC.1\nnot-a-version\n")
    for version, escaped in (("v1.2.0", "v1.2.0"), ("v1.3.0-RC.1", "v1.3.0-!r!c.1")):
        write(
            v / f"{escaped}.info", json.dumps({"Version": version, "Time": "2024-01-02T03:04:05Z"})
        )
        write(v / f"{escaped}.mod", f"module {GO_MODULE}\n")
    (v / "v1.2.0.zip").write_bytes(GO_ZIP)
    # Only prereleases: latest is the highest prerelease.
    write(root / "example.com/pre/@v/list", "v0.1.0-alpha\nv0.1.0-beta\n")
    # Empty list: latest comes from @latest (a pseudo-version).
    write(root / "example.com/pseudo/@v/list", "")
    pseudo = "v0.0.0-20240102030405-abcdefabcdef"
    write(root / "example.com/pseudo/@latest", json.dumps({"Version": pseudo}))


@pytest.fixture(scope="module")
def go_tree(goproxy_server: GoProxyServer) -> GoProxyServer:
    write_go_tree(goproxy_server.root)
    return goproxy_server


@pytest.fixture(params=["http", "file"])
def proxy_url(request: pytest.FixtureRequest, go_tree: GoProxyServer) -> str:
    return go_tree.url if request.param == "http" else go_tree.root.as_uri()


def test_goproxy_info_and_versions(client: httpx.Client, proxy_url: str) -> None:
    assert goproxy.info(client, proxy_url, GO_MODULE, "v1.2.0") == {
        "Version": "v1.2.0",
        "Time": "2024-01-02T03:04:05Z",
    }
    assert goproxy.info(client, proxy_url, GO_MODULE, "v1.3.0-RC.1") == {
        "Version": "v1.3.0-RC.1",
        "Time": "2024-01-02T03:04:05Z",
    }
    assert goproxy.info(client, proxy_url, GO_MODULE, "v9.0.0") is None
    assert goproxy.list_versions(client, proxy_url, GO_MODULE) == [
        "v1.0.0",
        "v1.2.0",
        "v1.3.0-RC.1",
    ]
    # A release beats a higher prerelease, as in the go command.
    assert goproxy.latest(client, proxy_url, GO_MODULE) == "v1.2.0"
    assert goproxy.latest(client, proxy_url, "example.com/pre") == "v0.1.0-beta"
    assert (
        goproxy.latest(client, proxy_url, "example.com/pseudo")
        == "v0.0.0-20240102030405-abcdefabcdef"
    )


def test_goproxy_missing_module(client: httpx.Client, proxy_url: str) -> None:
    # A lowercase spelling is a different module: the escaped paths differ.
    assert goproxy.info(client, proxy_url, "example.com/upper/mod", "v1.2.0") is None
    assert goproxy.list_versions(client, proxy_url, "example.com/absent") == []
    assert goproxy.latest(client, proxy_url, "example.com/absent") is None


def test_goproxy_fetch_zip(client: httpx.Client, proxy_url: str, tmp_path: Path) -> None:
    dest = goproxy.fetch_zip(client, proxy_url, GO_MODULE, "v1.2.0", tmp_path / "out/m.zip")
    assert dest == tmp_path / "out/m.zip" and dest.read_bytes() == GO_ZIP
    with pytest.raises(RKError) as info:
        goproxy.fetch_zip(client, proxy_url, GO_MODULE, "v1.0.0", tmp_path / "missing.zip")
    assert info.value.code == "RK-REGISTRY-RESPONSE" and "v1.0.0" in str(info.value)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["m.zip", "out"]


def test_goproxy_fetch_mod(client: httpx.Client, proxy_url: str) -> None:
    assert (
        goproxy.fetch_mod(client, proxy_url, GO_MODULE, "v1.2.0")
        == f"module {GO_MODULE}\n".encode()
    )
    with pytest.raises(RKError) as info:
        goproxy.fetch_mod(client, proxy_url, GO_MODULE, "v1.0.0")
    assert info.value.code == "RK-REGISTRY-RESPONSE" and "v1.0.0.mod" in str(info.value)


def test_go_itself_reads_the_same_tree(
    client: httpx.Client, go_tree: GoProxyServer, tmp_path: Path
) -> None:
    # The real go command agrees on escaping, version order and latest.
    env = {
        **os.environ,
        "GOPROXY": go_tree.url,
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
        "GOPATH": str(tmp_path / "gopath"),
        "GOMODCACHE": str(tmp_path / "gopath/pkg/mod"),
    }
    proc = subprocess.run(
        [tool("go"), "list", "-m", "-json", "-versions", f"{GO_MODULE}@latest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    reported = json.loads(proc.stdout)
    assert reported["Version"] == goproxy.latest(client, go_tree.url, GO_MODULE)
    assert reported["Versions"] == goproxy.list_versions(client, go_tree.url, GO_MODULE)
    subprocess.run([tool("go"), "clean", "-modcache"], env=env, check=True, capture_output=True)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("github.com/Azure/azure-sdk-for-go", "github.com/!azure/azure-sdk-for-go"),
        ("github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"),
        ("golang.org/x/mod", "golang.org/x/mod"),
    ],
)
def test_escape_path(text: str, escaped: str) -> None:
    assert goproxy.escape_path(text) == escaped


def test_escape_version_and_bad_characters() -> None:
    assert goproxy.escape_version("v1.0.0-RC1") == "v1.0.0-!r!c1"
    assert goproxy.escape_version("v1.0.0") == "v1.0.0"
    for bad in ("example.com/a!b", "example.com/é"):
        with pytest.raises(RKError) as info:
            goproxy.escape_path(bad)
        assert info.value.code == "RK-GO-PATH-INVALID"


# --- retries through a faulty proxy ---------------------------------------------


@pytest.fixture
def flaky(fault_proxy: FaultProxy, goproxy_server: GoProxyServer) -> FaultProxy:
    """The fault proxy in front of the static server, which serves retry/hello.txt."""
    write(goproxy_server.root / "retry/hello.txt", "hello\n")
    fault_proxy.upstream = goproxy_server.url
    return fault_proxy


def test_500_then_success(client: httpx.Client, flaky: FaultProxy) -> None:
    flaky.push(Fault(status=500))
    sleeps = Sleeps()
    response = http.request_with_retries(client, "GET", flaky.url + "retry/hello.txt", sleep=sleeps)
    assert response.status_code == 200 and response.text == "hello\n"
    assert flaky.seen == ["GET /retry/hello.txt -> 500", "GET /retry/hello.txt -> 200"]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5  # full jitter on [0, base]


def test_retry_after_is_honoured_and_capped(client: httpx.Client, flaky: FaultProxy) -> None:
    soon = email.utils.formatdate(time.time() + 20, usegmt=True)
    flaky.push(
        Fault(status=429, retry_after="7"),
        Fault(status=503, retry_after=soon),
        Fault(status=429, retry_after="3600"),
    )
    sleeps = Sleeps()
    response = http.request_with_retries(
        client, "GET", flaky.url + "retry/hello.txt", sleep=sleeps, cap=30
    )
    assert response.status_code == 200
    assert sleeps[0] == 7.0
    assert 15 < sleeps[1] <= 20  # the HTTP-date form, less the time already spent
    assert sleeps[2] == 30.0  # capped


def test_connection_reset_and_stall_are_retried(flaky: FaultProxy) -> None:
    flaky.push(Fault(reset=True), Fault(stall=3.0))
    sleeps = Sleeps()
    with http.make_client(timeout=0.3) as c:
        response = http.request_with_retries(c, "GET", flaky.url + "retry/hello.txt", sleep=sleeps)
    assert response.text == "hello\n"
    assert [line.rsplit(" ", 1)[-1] for line in flaky.seen] == ["reset", "stall", "200"]
    assert len(sleeps) == 2


def test_giving_up_lists_every_attempt(client: httpx.Client, flaky: FaultProxy) -> None:
    flaky.push(Fault(status=503), Fault(reset=True), Fault(status=500), Fault(status=502))
    url = flaky.url + "retry/hello.txt"
    with pytest.raises(RKError) as info:
        http.request_with_retries(client, "GET", url, retries=3, sleep=Sleeps())
    error = info.value
    assert error.code == "RK-REGISTRY-UNAVAILABLE"
    assert f"GET {url} failed after 4 attempt(s)" in error.message
    assert "last: HTTP 502 Bad Gateway" in error.message
    for i, what in enumerate(["HTTP 503", "Error", "HTTP 500", "HTTP 502"], 1):
        assert f"attempt {i}: " in error.message and what in error.message.splitlines()[i]
    assert len(flaky.seen) == 4


def test_not_found_is_returned_without_retry(client: httpx.Client, flaky: FaultProxy) -> None:
    sleeps = Sleeps()
    response = http.request_with_retries(client, "GET", flaky.url + "retry/absent", sleep=sleeps)
    assert response.status_code == 404 and sleeps == [] and len(flaky.seen) == 1


def test_registry_client_retries_through_the_proxy(
    client: httpx.Client,
    fault_proxy: FaultProxy,
    pypi_server: PypiServer,
    py_dists: dict[str, list[Path]],
) -> None:
    fault_proxy.upstream = pypi_server.url
    fault_proxy.push(Fault(status=503), Fault(reset=True))
    sleeps = Sleeps()
    files = pypi.version_files(client, fault_proxy.url + "simple/", PY_NAME, "0.1.0", sleep=sleeps)
    assert files == {d.name: sha256(d) for d in py_dists["0.1.0"]}
    assert len(sleeps) == 2 and len(fault_proxy.seen) == 3


# --- retry policy, unit level (MockTransport, fake clock) ------------------------


def always(status: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status)


def test_backoff_is_exponential_and_capped(upper_bound_jitter: None) -> None:
    sleeps = Sleeps()
    with mock_client(always(500)) as c, pytest.raises(RKError):
        http.request_with_retries(c, "GET", "https://r.test/x", retries=6, cap=5, sleep=sleeps)
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_deadline_bounds_the_total_time(upper_bound_jitter: None) -> None:
    clock = FakeClock()
    with mock_client(always(503)) as c, pytest.raises(RKError) as info:
        http.request_with_retries(
            c,
            "GET",
            "https://r.test/x",
            base=10,
            cap=10,
            deadline=25,
            sleep=clock.sleep,
            clock=clock,
        )
    # 0 s and 10 s and 20 s; a third wait would end at 30 s, past the deadline.
    assert clock.now == 20 and "failed after 3 attempt(s)" in info.value.message


def test_client_errors_are_not_retried() -> None:
    sleeps = Sleeps()
    with mock_client(always(401)) as c:
        assert (
            http.request_with_retries(c, "GET", "https://r.test/x", sleep=sleeps).status_code == 401
        )
        with pytest.raises(RKError) as info:
            http.get_if_exists(c, "https://r.test/x", sleep=sleeps)
        # 401/403: the credentials are the problem, and the error says so.
        assert info.value.code == "RK-PREFLIGHT-CREDENTIALS" and "401" in info.value.message
    assert sleeps == []
    with http.make_client() as c, pytest.raises(httpx.UnsupportedProtocol):
        http.request_with_retries(c, "GET", "ftp://r.test/x", sleep=sleeps)


def test_credentials_never_reach_messages_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # A transport whose error text carries the header: the worst case.
        raise httpx.ConnectError(f"refused ({request.headers['authorization']})", request=request)

    caplog.set_level(logging.DEBUG)
    headers = {"Authorization": "Bearer tok-ABCDEF123"}
    with mock_client(handler, headers=headers) as c, pytest.raises(RKError) as info:
        http.request_with_retries(
            c, "GET", "https://u:pw-XYZ789@r.test/simple/", retries=2, sleep=Sleeps()
        )
    shown = str(info.value) + caplog.text
    assert "https://r.test/simple/" in shown and "ConnectError: refused (***)" in shown
    for secret in ("tok-ABCDEF123", "pw-XYZ789"):
        assert secret not in shown


def test_retry_after_parsing() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert http.retry_after("12", cap=30, now=now) == 12.0
    assert http.retry_after("Thu, 01 Jan 2026 12:00:10 GMT", cap=30, now=now) == 10.0
    assert http.retry_after("Thu, 01 Jan 2026 11:00:00 GMT", cap=30, now=now) == 0.0
    assert http.retry_after("999", cap=30, now=now) == 30.0
    assert http.retry_after("soon", cap=30, now=now) is None
    assert http.retry_after(None, cap=30) is None


# --- wait_until_available ---------------------------------------------------------


def test_wait_returns_the_first_value_with_jittered_waits() -> None:
    answers = iter([None, None, None, {"ok": 1}])
    sleeps = Sleeps()
    result = http.wait_until_available(
        lambda: next(answers), what="x", timeout=100, base=1, cap=3, sleep=sleeps
    )
    assert result == {"ok": 1} and len(sleeps) == 3
    for attempt, wait in enumerate(sleeps):
        assert 0 <= wait <= min(3, 2**attempt)


def test_wait_times_out_naming_what_it_waited_for(upper_bound_jitter: None) -> None:
    clock = FakeClock()
    checks: list[float] = []

    def check() -> None:
        checks.append(clock.now)

    with pytest.raises(RKError) as info:
        http.wait_until_available(
            check,
            what="rk-demo-pkg 9.9 on PyPI",
            timeout=10,
            base=1,
            cap=4,
            sleep=clock.sleep,
            clock=clock,
        )
    assert info.value.code == "RK-REGISTRY-TIMEOUT"
    assert "rk-demo-pkg 9.9 on PyPI was not available after 10.0 s" in info.value.message
    assert checks == [0, 1, 3, 7, 10]  # waits 1, 2, 4, then cut to the timeout


@pytest.mark.parametrize(
    ("registry", "upload"),
    [
        ("https://pypi.org/simple/", "https://upload.pypi.org/legacy/"),
        # a substring test sent test.pypi.org's uploads to production PyPI
        ("https://test.pypi.org/simple/", "https://test.pypi.org/legacy/"),
        ("http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080/"),
        ("https://pypi.org.example.com/simple/", "https://pypi.org.example.com/"),
    ],
)
def test_pypi_upload_endpoint_follows_the_index_host(registry: str, upload: str) -> None:
    from releasekit_tasks.ecosystems import get_ecosystem

    assert get_ecosystem("uv").default_upload_url(registry) == upload
