"""`doit publish` of Go modules to a private registry (Artifact Keeper API, HTTPS, .netrc)
and to a "public" proxy verified against a checksum database, all on loopback."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit_tasks.http import _tls_context
from tests.go_servers import GoRegistry, SumDBServer, go_registry, sumdb_server
from tests.publishing import doit

MODULE = "corp.example/mono/go/auth"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _go_repo(tmp: Path, eco: str, module: str = MODULE) -> Path:
    remote = tmp / "remote.git"
    _git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    repo = tmp / "repo"
    folder = repo / "go" / "auth"
    folder.mkdir(parents=True)
    (repo / "releasekit.toml").write_text(
        f'[ecosystems.go]\nkind = "go"\nworkspace_root = "go"\n{eco}'
    )
    (repo / "dodo.py").write_text("from releasekit_tasks import *\n")
    (repo / ".gitignore").write_text(".releasekit/\n")
    (repo / ".releasekit-versions.json").write_text('{"go/auth": "0.3.0"}\n')
    (repo / "LICENSE").write_text("Apache-2.0\n")
    (folder / "go.mod").write_text(f"module {module}\n\ngo 1.22\n")
    (folder / "auth.go").write_text('package auth\n\nfunc Hello() string { return "hi" }\n')
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "feat: auth")
    _git(repo, "remote", "add", "origin", str(remote))
    return repo


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GoRegistry]:
    with go_registry(tmp_path / "registry") as reg:
        monkeypatch.setenv("SSL_CERT_FILE", str(reg.cert))
        monkeypatch.setenv("GO_REGISTRY_TOKEN", reg.token)
        monkeypatch.setenv("NETRC", str(reg.netrc(tmp_path / "netrc")))
        _tls_context.cache_clear()
        yield reg
    _tls_context.cache_clear()


def test_publish_to_a_private_registry_then_go_downloads_it(
    tmp_path: Path, registry: GoRegistry
) -> None:
    repo = _go_repo(
        tmp_path,
        f'registry = "{registry.proxy_url}"\nupload_url = "{registry.api_url}"\n'
        'token_env = "GO_REGISTRY_TOKEN"\n',
    )
    out = doit(repo, "publish").stdout
    assert f"uploaded v0.3.0.zip to {registry.api_url}" in out
    assert registry.uploads == [
        {"name": MODULE, "version": "v0.3.0", "sha256": registry.uploads[0]["sha256"]}
    ]
    assert registry.token not in out
    # The tag is pushed too: the VCS and the registry agree.
    assert _git(tmp_path / "remote.git", "tag", "--list").split() == ["go/auth/v0.3.0"]
    receipt = json.loads(
        (repo / ".releasekit/receipts/go__corp.example__mono__go__auth@v0.3.0.json").read_text()
    )
    artifacts = {a["file"]: a["h1"] for a in receipt["artifacts"]}
    assert receipt["remote"]["v0.3.0.zip"] == artifacts["v0.3.0.zip"]
    assert "sumdb" not in receipt["remote"]  # private: never sent to a checksum database

    # Again: nothing to do.
    again = doit(repo, "publish").stdout
    assert "uploaded" not in again
    # The real go command fetches it through the GOPROXY endpoint with .netrc credentials.
    gopath = tmp_path / "gopath"
    env = {
        **os.environ,
        "GOPROXY": registry.proxy_url,
        "GONOSUMDB": "corp.example",
        "GOSUMDB": "sum.golang.org",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(gopath),
        "GOMODCACHE": str(gopath / "mod"),
    }
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{MODULE}@v0.3.0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["Sum"] == artifacts["v0.3.0.zip"]


def test_a_wrong_token_fails_upload_with_a_coded_error(
    tmp_path: Path, registry: GoRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _go_repo(
        tmp_path,
        f'registry = "{registry.proxy_url}"\nupload_url = "{registry.api_url}"\n'
        'token_env = "GO_REGISTRY_TOKEN"\n',
    )
    monkeypatch.setenv("GO_REGISTRY_TOKEN", "not-the-token")
    result = doit(repo, "publish", check=False)
    assert result.returncode == 1
    assert "RK-GO-REGISTRY-UPLOAD" in result.stdout + result.stderr
    assert "not-the-token" not in result.stdout + result.stderr
    assert not registry.uploads


@pytest.fixture
def public(tmp_path: Path) -> Iterator[tuple[Path, SumDBServer]]:
    """A static GOPROXY tree (standing in for proxy.golang.org) and a checksum database
    that learns versions from it, as sum.golang.org learns from proxy.golang.org."""
    tree = tmp_path / "proxy"
    tree.mkdir()
    with sumdb_server(proxy=tree.as_uri()) as db:
        yield tree, db


def test_public_verify_checks_the_checksum_database(
    tmp_path: Path, public: tuple[Path, SumDBServer]
) -> None:
    tree, db = public
    module = "example.com/mono/go/auth"
    # proxy_dir writes the tree (the stand-in for the proxy fetching the tag); `sumdb`
    # says the module is public all the same, so verify looks it up.
    repo = _go_repo(
        tmp_path,
        f'registry = "{tree.as_uri()}"\nproxy_dir = "{tree}"\nsumdb = "{db.gosumdb}"\n',
        module,
    )
    doit(repo, "publish")
    receipt = json.loads(
        (repo / ".releasekit/receipts/go__example.com__mono__go__auth@v0.3.0.json").read_text()
    )
    found = json.loads(receipt["remote"]["sumdb"])
    assert found["name"] == db.name and found["record"] == 0 and found["tree_size"] == 1
    assert any(p.startswith("/lookup/example.com/mono/go/auth@v0.3.0") for p in db.requests)


def test_public_verify_fails_when_the_database_holds_other_hashes(
    tmp_path: Path, public: tuple[Path, SumDBServer]
) -> None:
    tree, db = public
    module = "example.com/mono/go/auth"
    db.tamper[f"{module}@v0.3.0"] = ("h1:" + "B" * 43 + "=", "h1:" + "C" * 43 + "=")
    repo = _go_repo(
        tmp_path,
        f'registry = "{tree.as_uri()}"\nproxy_dir = "{tree}"\nsumdb = "{db.gosumdb}"\n',
        module,
    )
    result = doit(repo, "publish", check=False)
    assert result.returncode == 1
    assert "RK-GO-SUMDB-MISMATCH" in result.stdout + result.stderr
    assert not (repo / ".releasekit/receipts").exists() or not any(
        (repo / ".releasekit/receipts").iterdir()
    )


def test_no_credentials_for_the_private_registry_stops_in_preflight(
    tmp_path: Path, registry: GoRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _go_repo(
        tmp_path, f'registry = "{registry.proxy_url}"\nupload_url = "{registry.api_url}"\n'
    )
    monkeypatch.setenv("NETRC", str(tmp_path / "no-such-netrc"))
    result = doit(repo, "publish", check=False)
    assert result.returncode == 1
    assert "RK-PREFLIGHT-CREDENTIALS" in result.stdout + result.stderr
    assert _git(tmp_path / "remote.git", "tag", "--list") == ""  # nothing was tagged


def test_uploads_to_a_private_registry_read_back_from_the_public_proxy_are_refused(
    tmp_path: Path, registry: GoRegistry
) -> None:
    repo = _go_repo(
        tmp_path, f'upload_url = "{registry.api_url}"\ntoken_env = "GO_REGISTRY_TOKEN"\n'
    )
    result = doit(repo, "publish", check=False)
    assert result.returncode == 1
    assert "RK-CONFIG-VALUE" in result.stdout + result.stderr
    assert "GOPROXY endpoint" in result.stdout + result.stderr
    assert not registry.uploads


def test_which_modules_the_checksum_database_is_asked_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from releasekit_tasks.ecosystems.go.publish import sumdb_for
    from releasekit_tasks.publish.release import Release

    base = Release(
        id="go/example.com/a",
        ecosystem="go",
        name="example.com/a",
        version="v1.0.0",
        path="/r/a",
        manifest="/r/a/go.mod",
        repo_root="/r",
        registry="https://proxy.golang.org/",
    )
    for var in ("GOSUMDB", "GONOSUMDB", "GOPRIVATE"):
        monkeypatch.delenv(var, raising=False)
    assert sumdb_for(base) == "sum.golang.org"  # public by default
    monkeypatch.setenv("GOSUMDB", "off")
    assert sumdb_for(base) is None
    monkeypatch.setenv("GOSUMDB", "sum.golang.org")
    monkeypatch.setenv("GOPRIVATE", "example.com")
    assert sumdb_for(base) is None  # GOPRIVATE implies GONOSUMDB
    monkeypatch.setenv("GONOSUMDB", "other.example")
    assert sumdb_for(base) == "sum.golang.org"  # GONOSUMDB set: it decides, not GOPRIVATE
    monkeypatch.delenv("GONOSUMDB")
    monkeypatch.delenv("GOPRIVATE")
    assert sumdb_for(dataclasses.replace(base, private="example.com/*,example.com")) is None
    assert sumdb_for(dataclasses.replace(base, upload_url="https://reg/api/artifacts")) is None
    assert sumdb_for(dataclasses.replace(base, proxy_dir="/srv/goproxy")) is None
    pinned = dataclasses.replace(base, proxy_dir="/srv/goproxy", sumdb="sum.golang.org")
    assert sumdb_for(pinned) == "sum.golang.org"  # configured: checked all the same


def test_a_registry_that_keeps_go_mod_apart_gets_it_put(
    tmp_path: Path, registry: GoRegistry
) -> None:
    """Artifact Keeper serves a version's .mod only once it is PUT at the GOPROXY path."""
    registry.mod_from_zip = False
    repo = _go_repo(
        tmp_path,
        f'registry = "{registry.proxy_url}"\nupload_url = "{registry.api_url}"\n'
        'token_env = "GO_REGISTRY_TOKEN"\n',
    )
    out = doit(repo, "publish").stdout
    assert f"put v0.3.0.mod to {registry.proxy_url}" in out
    assert f"PUT /go/private/{MODULE}/@v/v0.3.0.mod" in registry.requests
    served = registry.root / "private" / MODULE / "@v" / "v0.3.0.mod"
    assert served.read_text() == f"module {MODULE}\n\ngo 1.22\n"
