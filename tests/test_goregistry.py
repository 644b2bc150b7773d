"""A private Go registry (Artifact Keeper's API) on loopback HTTPS: our upload, and the
real go command downloading from its GOPROXY endpoint with .netrc credentials."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go import artifacts as goregistry
from releasekit_tasks.ecosystems.go import registry as goproxy
from releasekit_tasks.ecosystems.go.modzip import create_module_zip, h1_hash_gomod
from releasekit_tasks.errors import RKError
from releasekit_tasks.http import _tls_context, make_client
from tests.go_servers import GoRegistry, go_registry

MODULE = "corp.example/platform/Auth"


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GoRegistry]:
    with go_registry(tmp_path / "registry") as reg:
        monkeypatch.setenv("SSL_CERT_FILE", str(reg.cert))
        monkeypatch.setenv("GO_REGISTRY_TOKEN", reg.token)
        monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
        _tls_context.cache_clear()
        yield reg
    _tls_context.cache_clear()


def _zip(tmp: Path, version: str) -> Path:
    folder = tmp / "src" / version
    folder.mkdir(parents=True)
    (folder / "go.mod").write_text(f"module {MODULE}\n\ngo 1.21\n")
    (folder / "auth.go").write_text('package auth\n\nfunc Hello() string { return "hi" }\n')
    return create_module_zip(folder, MODULE, version, tmp / f"{version}.zip").path


def test_upload_then_read_back_with_bearer_or_netrc(tmp_path: Path, registry: GoRegistry) -> None:
    zip_path = _zip(tmp_path, "v1.2.0")
    with make_client() as client:
        state = goregistry.upload_module(
            client, registry.api_url, "GO_REGISTRY_TOKEN", MODULE, "v1.2.0", zip_path
        )
        assert state == "uploaded"
        assert registry.uploads[0]["version"] == "v1.2.0"
        again = goregistry.upload_module(
            client, registry.api_url, "GO_REGISTRY_TOKEN", MODULE, "v1.2.0", zip_path
        )
        assert again == "exists"

    # Reading wants credentials: none -> 401 is an error, the token works, .netrc works.
    with make_client() as client, pytest.raises(RKError, match="401"):
        goproxy.info(client, registry.proxy_url, MODULE, "v1.2.0", retries=0)
    with make_client(headers=goregistry.read_headers(registry.proxy_url, "GO_REGISTRY_TOKEN")) as c:
        assert goproxy.info(c, registry.proxy_url, MODULE, "v1.2.0")["Version"] == "v1.2.0"
    os.environ["NETRC"] = str(registry.netrc(tmp_path / "netrc"))
    headers = goregistry.read_headers(registry.proxy_url, "")
    assert headers["Authorization"].startswith("Basic ")
    with make_client(headers=headers) as client:
        mod = goproxy.fetch_mod(client, registry.proxy_url, MODULE, "v1.2.0")
    assert h1_hash_gomod(mod).startswith("h1:")


def test_a_bad_token_is_refused_without_printing_it(tmp_path: Path, registry: GoRegistry) -> None:
    zip_path = _zip(tmp_path, "v0.1.0")
    os.environ["GO_REGISTRY_TOKEN"] = "wrong-token-value"
    with make_client() as client, pytest.raises(RKError) as err:
        goregistry.upload_module(
            client, registry.api_url, "GO_REGISTRY_TOKEN", MODULE, "v0.1.0", zip_path, retries=0
        )
    assert err.value.code == "RK-GO-REGISTRY-UPLOAD"
    assert "401" in err.value.message
    assert "wrong-token-value" not in err.value.render()
    assert not registry.uploads


def _go(
    tmp: Path, registry: GoRegistry, *args: str, netrc: Path | None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    gopath = tmp / "gopath"
    env = {k: v for k, v in os.environ.items() if k not in ("GOPRIVATE", "GONOPROXY")}
    env.update(
        GOPROXY=registry.proxy_url,
        GONOSUMDB="corp.example",
        GOSUMDB="sum.golang.org",  # on, but GONOSUMDB keeps the private module out of it
        GOFLAGS="-mod=mod",
        GOPATH=str(gopath),
        GOMODCACHE=str(gopath / "mod"),
        GOWORK="off",
        GOTOOLCHAIN="local",
        SSL_CERT_FILE=str(registry.cert),
        NETRC=str(netrc or tmp / "missing-netrc"),
    )
    return subprocess.run(
        ["go", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_go_command_downloads_and_builds_from_the_private_registry(
    tmp_path: Path, registry: GoRegistry
) -> None:
    zip_path = _zip(tmp_path, "v1.0.0")
    with make_client() as client:
        goregistry.upload_module(
            client, registry.api_url, "GO_REGISTRY_TOKEN", MODULE, "v1.0.0", zip_path
        )
    app = tmp_path / "app"
    app.mkdir()
    (app / "go.mod").write_text("module corp.example/app\n\ngo 1.21\n")
    (app / "main.go").write_text(
        f'package main\n\nimport auth "{MODULE}"\n\nfunc main() {{ println(auth.Hello()) }}\n'
    )

    denied = _go(
        tmp_path / "a",
        registry,
        "mod",
        "download",
        "-json",
        f"{MODULE}@v1.0.0",
        netrc=None,
        cwd=app,
    )
    assert denied.returncode != 0
    assert "401" in denied.stdout + denied.stderr

    netrc = registry.netrc(tmp_path / "netrc")
    done = _go(
        tmp_path / "b",
        registry,
        "mod",
        "download",
        "-json",
        f"{MODULE}@v1.0.0",
        netrc=netrc,
        cwd=app,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    from releasekit_tasks.ecosystems.go.modzip import h1_hash_zip

    assert json.loads(done.stdout)["Sum"] == h1_hash_zip(zip_path)

    got = _go(tmp_path / "b", registry, "get", f"{MODULE}@latest", netrc=netrc, cwd=app)
    assert got.returncode == 0, got.stderr
    built = _go(tmp_path / "b", registry, "build", "-o", "app", ".", netrc=netrc, cwd=app)
    assert built.returncode == 0, built.stderr
    assert f"{MODULE} v1.0.0" in (app / "go.mod").read_text()
