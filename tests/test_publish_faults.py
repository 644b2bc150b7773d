"""A polyglot release through flaky registries (issue 13): every registry request goes
through tests/faultproxy.py, which answers 30 % of them with 503s (some with
Retry-After), 429s and connection resets — before forwarding, and after it (the
upload arrived, the answer is lost). `doit -n 4 publish` must finish in one run
and put each artifact on its registry exactly once.

Prints the figure: runs to complete, requests and faults, uploads per artifact.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faultproxy import FaultProxy
from tests.publishing import (
    Published,
    git_out,
    read_shim_log,
    run_doit,
    sample_repo,
    uploaded_items,
)
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

RATE = 0.3


@pytest.fixture
def flaky(
    pypi_server: PypiServer, npm_registry: NpmRegistry, goproxy_server: GoProxyServer
) -> Iterator[dict[str, FaultProxy]]:
    proxies = {
        "pypi": FaultProxy(pypi_server.url, rate=RATE, seed=13),
        "npm": FaultProxy(npm_registry.url, rate=RATE, seed=13),
        "go": FaultProxy(goproxy_server.url, rate=RATE, seed=13),
    }
    for proxy in proxies.values():
        proxy.start()
    try:
        yield proxies
    finally:
        for proxy in proxies.values():
            proxy.stop()


def _by_file(counts: Counter[str]) -> Counter[str]:
    """npm names its attachment `@scope/name-1.0.0.tgz`; the tarball is `scope-name-1.0.0.tgz`."""
    return Counter({k.removeprefix("@").replace("/", "-"): v for k, v in counts.items()})


def test_polyglot_publish_rides_out_30_percent_faults_in_one_run(
    flaky: dict[str, FaultProxy],
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
    shims: Path,
    tmp_path: Path,
) -> None:
    pypi = PypiServer(flaky["pypi"].url, flaky["pypi"].url + "simple/", pypi_server.packages_dir)
    port = int(flaky["npm"].url.rstrip("/").rsplit(":", 1)[1])
    npm = dataclasses.replace(npm_registry, url=flaky["npm"].url, port=port)
    goproxy = GoProxyServer(flaky["go"].url.rstrip("/"), goproxy_server.root)
    root = sample_repo(tmp_path, pypi, npm, goproxy, git_remote)
    pub = Published(root, pypi_server, npm_registry, goproxy_server, git_remote)

    log = tmp_path / "run.jsonl"
    status, out = run_doit(root, "-n", "4", "publish", shims=shims, log=log, timeout=600)
    summaries = "\n".join(p.summary() for p in flaky.values())
    assert status == 0, f"{out[-6000:]}\n{summaries}"
    assert set(pub.receipts()) == pub.release_ids()
    for item in pub.expected_uploads():
        assert pub.holds(item), item

    # Each artifact reached its registry exactly once and was stored once, however
    # many times the proxy turned its upload away first.
    stored = _by_file(flaky["pypi"].stats.stored + flaky["npm"].stats.stored)
    forwarded = _by_file(flaky["pypi"].stats.forwarded + flaky["npm"].stats.forwarded)
    attempts = _by_file(flaky["pypi"].stats.attempts + flaky["npm"].stats.attempts)
    http_artifacts = {i for i in pub.expected_uploads() if not i.startswith("refs/")}
    assert set(stored) == http_artifacts, (stored, http_artifacts)
    assert all(n == 1 for n in stored.values()), stored
    assert all(n == 1 for n in forwarded.values()), forwarded
    # The tools were each called until their upload went through: no item twice
    # after it arrived (the shim log names what every call sent).
    calls = [r for r in read_shim_log(log) if r["phase"] == "start"]
    sent = [item for r in calls for item in uploaded_items(r)]
    assert set(sent) >= http_artifacts

    faults = sum(sum(p.stats.faults.values()) for p in flaky.values())
    requests = sum(p.stats.requests for p in flaky.values())
    assert faults > 0
    print(
        f"\nfault figure: {RATE:.0%} faults -> 1 run to complete (exit 0); "
        f"{requests} registry requests, {faults} faulted "
        f"({', '.join(f'{k} {v}' for k, v in sorted(sum((p.stats.faults for p in flaky.values()), start=Counter()).items()))}); "
        f"{len(stored)} artifacts, uploads per artifact: stored {sorted(set(stored.values()))}, "
        f"reached the registry {sorted(set(forwarded.values()))}, "
        f"upload attempts max {max(attempts.values())} (total {sum(attempts.values())})\n"
        + summaries
    )


def test_a_failed_tree_does_not_stop_the_independent_ones(
    published: Published, shims: Path, tmp_path: Path
) -> None:
    """doit's continue behaviour: js/http fails to build, so js/cli is blocked; js/core,
    and the py and go trees, publish; the summary gives each package's true state."""
    pub = published
    http = pub.root / "js/packages/http/package.json"
    manifest = json.loads(http.read_text())
    manifest["scripts"] = {"prepack": "exit 7"}
    http.write_text(json.dumps(manifest, indent=2) + "\n")
    git_out(pub.root, "commit", "-qam", "chore: a broken prepack script")
    status, out = run_doit(
        pub.root, "-n", "4", "publish", shims=shims, log=tmp_path / "run.jsonl", timeout=600
    )
    assert status == 1, out[-4000:]
    failed, blocked = pub.release_id("js", "http"), pub.release_id("js", "cli")
    assert set(pub.receipts()) == pub.release_ids() - {failed, blocked}
    summary = out[out.rindex("RK-BUILD-FAILED") :]
    assert f"{failed}" in summary
    assert f"blocked by {failed}" in out or f"blocked by build:{failed}" in out, out[-3000:]
    assert "not run" not in out.split("summary")[-1], out[-3000:]
