"""`doit publish` end to end: the sample monorepo against real loopback registries."""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.publishing import doit, sample_repo
from tests.servers import Fault, FaultProxy, GitRemote, GoProxyServer, NpmRegistry, PypiServer


def namespace_of(root: Path) -> str:
    return next(p.name for p in (root / "py" / "packages").iterdir()).rsplit("-", 1)[0]


def receipts(root: Path) -> list[dict]:
    return [
        json.loads(p.read_text())
        for p in sorted((root / ".releasekit" / "receipts").glob("*.json"))
    ]


@pytest.fixture
def repo(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
) -> Path:
    return sample_repo(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote)


def test_polyglot_publish_then_rerun_uploads_nothing(
    repo: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
) -> None:
    ns = namespace_of(repo)
    first = doit(repo, "publish")
    assert first.stdout.count("uploaded ") == 6  # 3 wheels+sdists, 3 tarballs
    done = receipts(repo)
    assert sorted(r["id"] for r in done) == sorted(
        [
            f"py/{ns}-core",
            f"py/{ns}-http",
            f"py/{ns}-cli",
            f"js/@{ns}/core",
            f"js/@{ns}/http",
            f"js/@{ns}/cli",
        ]
        + [f"go/example.com/{ns}/go/{m}" for m in ("core", "plugins/http", "cli")]
    )
    assert all(r["checksums_compared"] for r in done)

    # PyPI: the wheel requires the exact versions of its internal dependencies.
    wheel = next(pypi_server.packages_dir.glob(f"{ns}_cli-0.1.0-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{ns}_cli-0.1.0.dist-info/METADATA").decode()
    assert f"Requires-Dist: {ns}-http==0.2.0" in metadata
    assert f"Requires-Dist: {ns}-core==0.3.0" in metadata
    assert not list(pypi_server.packages_dir.glob(f"{ns}_sample*")), (
        "private packages are never uploaded"
    )

    # npm: the published tarball has real ranges, not workspace: ones.
    packument = httpx.get(f"{npm_registry.url}@{ns}%2fcli").json()
    tarball = httpx.get(packument["versions"]["0.1.0"]["dist"]["tarball"]).content
    (repo.parent / "cli.tgz").write_bytes(tarball)
    with tarfile.open(repo.parent / "cli.tgz") as archive:
        manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
    assert manifest["dependencies"] == {f"@{ns}/http": "^0.2.0", f"@{ns}/core": "0.3.0"}
    assert httpx.get(f"{npm_registry.url}@{ns}%2fsite").status_code == 404

    # Go: path-prefixed tags on the remote, versions in the GOPROXY tree.
    tags = subprocess.run(
        ["git", "tag"], cwd=git_remote.path, capture_output=True, text=True
    ).stdout.split()
    assert sorted(tags) == ["go/cli/v0.1.0", "go/core/v0.3.0", "go/plugins/http/v0.2.0"]
    assert (
        goproxy_server.root / f"example.com/{ns}/go/plugins/http/@v/list"
    ).read_text() == "v0.2.0\n"

    # The manifests are exactly as committed.
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
        ).stdout
        == ""
    )

    # The first run recorded the install's inputs, so the re-run does not install again
    # (the stage did not exist when the first run loaded its tasks).
    assert "status     : up-to-date" in doit(repo, "info", "install:js").stdout

    before = sorted(
        (p.name, p.stat().st_mtime_ns) for p in pypi_server.packages_dir.glob(f"{ns}_*")
    )
    second = doit(repo, "publish")
    assert "uploaded " not in second.stdout
    assert "registries hold 9 of 9 release(s)" in second.stdout
    assert (
        sorted((p.name, p.stat().st_mtime_ns) for p in pypi_server.packages_dir.glob(f"{ns}_*"))
        == before
    )


@pytest.mark.parametrize("ecosystem", ["py", "js", "go"])
def test_one_ecosystem_at_a_time(repo: Path, ecosystem: str) -> None:
    result = doit(repo, "publish", f"ecosystem={ecosystem}")
    done = receipts(repo)
    assert len(done) == 3
    assert {r["id"].split("/", 1)[0] for r in done} == {ecosystem}
    assert "registries hold 0 of 3 release(s)" in result.stdout


def test_one_package_publishes_what_it_needs_first(repo: Path) -> None:
    ns = namespace_of(repo)
    result = doit(repo, f"publish:py/{ns}-http")
    assert {r["id"] for r in receipts(repo)} == {f"py/{ns}-core", f"py/{ns}-http"}
    # One line per step in non-terminal output: the dependency is published before the upload starts.
    out = result.stdout
    assert out.index(f" py/{ns}-core published") < out.index(f" py/{ns}-http uploading")


def test_dry_run_uploads_nothing(
    repo: Path, pypi_server: PypiServer, npm_registry: NpmRegistry
) -> None:
    ns = namespace_of(repo)
    result = doit(repo, "publish", "dry_run=1")
    assert result.stdout.count("dry run: would upload") == 9
    assert not list(pypi_server.packages_dir.glob(f"{ns}_*"))
    assert httpx.get(f"{npm_registry.url}@{ns}%2fcore").status_code == 404
    assert receipts(repo) == []
    # A real run afterwards still publishes everything.
    doit(repo, "publish")
    assert len(receipts(repo)) == 9


def test_other_bytes_under_a_published_version_fail_hard(repo: Path) -> None:
    ns = namespace_of(repo)
    doit(repo, "publish", "ecosystem=py")
    module = repo / f"py/packages/{ns}-core/src/{ns.replace('-', '_')}_core/__init__.py"
    module.write_text(module.read_text() + "CHANGED = True\n")
    subprocess.run(
        ["git", "commit", "-qam", "fix: change without a version bump"], cwd=repo, check=True
    )
    result = doit(repo, "publish", "ecosystem=py", check=False)
    assert result.returncode != 0
    assert "RK-REGISTRY-CHECKSUM-MISMATCH" in result.stdout
    assert "uploaded" not in result.stdout


def test_registry_faults_are_retried(
    repo: Path, pypi_server: PypiServer, fault_proxy: FaultProxy
) -> None:
    fault_proxy.upstream = pypi_server.url
    for fault in (
        Fault(status=503),
        Fault(reset=True),
        Fault(status=429, retry_after="1"),
        Fault(status=500),
    ):
        fault_proxy.faults.append(fault)
    result = doit(repo, "publish", "ecosystem=py", f"registry_py={fault_proxy.url}simple/")
    assert len(receipts(repo)) == 3
    assert not fault_proxy.faults, "every scripted fault was met and retried"
    assert "verified" in result.stdout


def test_unreachable_registry_is_a_clear_error(repo: Path) -> None:
    result = doit(repo, "publish", "ecosystem=js", "registry_js=http://127.0.0.1:9/", check=False)
    assert result.returncode != 0
    assert "RK-REGISTRY-UNAVAILABLE" in result.stdout
    assert "http://127.0.0.1:9/" in result.stdout
    assert receipts(repo) == []


def test_preflight_refuses_a_dirty_tree_before_building(repo: Path) -> None:
    ns = namespace_of(repo)
    readme = repo / "js/packages/core/README.md"
    readme.write_text("# edited\n")
    result = doit(repo, "publish", "ecosystem=js", check=False)
    assert result.returncode != 0
    assert "RK-PREFLIGHT-DIRTY" in result.stdout
    assert not (repo / ".releasekit" / "dist").exists()
    assert f"@{ns}" not in result.stdout.split("RK-PREFLIGHT-DIRTY")[0].split("preflight")[-1]


def test_missing_token_is_named_but_never_printed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = repo / "releasekit.toml"
    config.write_text(
        config.read_text().replace('kind = "pnpm"', 'kind = "pnpm"\ntoken_env = "ACME_NPM_TOKEN"')
    )
    subprocess.run(["git", "commit", "-qam", "chore: token"], cwd=repo, check=True)
    result = doit(repo, "publish", "ecosystem=js", check=False)
    assert result.returncode != 0
    assert "RK-PREFLIGHT-CREDENTIALS" in result.stdout
    assert "$ACME_NPM_TOKEN is not set" in result.stdout
    secret = "s3cr3t-token-value-42"
    monkeypatch.setenv("ACME_NPM_TOKEN", secret)
    ok = doit(repo, "publish", "ecosystem=js")
    assert secret not in ok.stdout + ok.stderr
    assert len(receipts(repo)) == 3


def test_a_go_tag_at_another_commit_stops_the_release(repo: Path) -> None:
    subprocess.run(["git", "tag", "go/core/v0.3.0", "HEAD"], cwd=repo, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "chore: later"], cwd=repo, check=True
    )
    result = doit(repo, "publish", "ecosystem=go", check=False)
    assert result.returncode != 0
    assert "RK-GO-TAG-MOVED" in result.stdout
    assert receipts(repo) == []


def test_a_second_publish_in_the_same_checkout_is_refused(repo: Path) -> None:
    from releasekit_tasks.lock import acquire

    with acquire(repo, "doit publish (another terminal)"):
        blocked = doit(repo, "publish", "ecosystem=go", check=False)
        listing = doit(repo, "list", "--all")  # reading the plan never needs the lock
    assert blocked.returncode != 0
    assert "RK-LOCK-HELD" in blocked.stdout + blocked.stderr
    assert "doit publish (another terminal)" in blocked.stdout + blocked.stderr
    assert "publish:go/" in listing.stdout
    assert receipts(repo) == []
    doit(repo, "publish", "ecosystem=go")
    assert len(receipts(repo)) == 3


def test_npm_dist_tag_and_access(repo: Path, npm_registry: NpmRegistry) -> None:
    ns = namespace_of(repo)
    config = repo / "releasekit.toml"
    config.write_text(
        config.read_text().replace(
            'kind = "pnpm"', 'kind = "pnpm"\ndist_tag = "next"\naccess = "public"'
        )
    )
    subprocess.run(["git", "commit", "-qam", "chore: publish to next"], cwd=repo, check=True)
    doit(repo, "publish", "ecosystem=js")
    packument = httpx.get(f"{npm_registry.url}@{ns}%2fcore").json()
    assert packument["dist-tags"]["next"] == "0.3.0"
