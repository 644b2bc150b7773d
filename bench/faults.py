"""The fault-rate figure: a polyglot release through flaky registries.

For each fault rate, a fresh sample monorepo (demo/sample.py: 3 uv + 3 pnpm +
3 Go releases) publishes with ``doit -n 4 publish`` to pypiserver, verdaccio
and a static GOPROXY, each behind tests/faultproxy.py (503, 503 + Retry-After,
429, resets before and after forwarding). It re-runs until a run exits 0 and
prints: runs to complete, requests and faults, and uploads per artifact
(stored by the registry, and reaching it at all).

    source scripts/env.sh && python bench/faults.py --rates 0.1 0.3 0.5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.registries import bare_git_repo, pypiserver, static_files, verdaccio
from demo.sample import Registries, build_sample
from tests.faultproxy import FaultProxy


def _by_file(counts: Counter[str]) -> Counter[str]:
    return Counter({k.removeprefix("@").replace("/", "-"): v for k, v in counts.items()})


def one_rate(rate: float, seed: int, max_runs: int, jobs: str) -> str:
    with tempfile.TemporaryDirectory(prefix="rk-faults-") as tmp_name:
        tmp = Path(tmp_name)
        with (
            pypiserver(tmp / "pypi") as (pypi_url, _),
            verdaccio(tmp / "npm") as (npm_url, _, _),
            static_files(tmp / "goproxy") as go_url,
        ):
            proxies = [
                FaultProxy(url, rate=rate, seed=seed).start() for url in (pypi_url, npm_url, go_url)
            ]
            try:
                py, npm, go = (p.url for p in proxies)
                registries = Registries(py + "simple/", py, npm, go.rstrip("/"), tmp / "goproxy")
                remote = bare_git_repo(tmp / "remote.git")
                root = build_sample(
                    tmp / "repo",
                    namespace=f"f{int(rate * 100)}",
                    registries=registries,
                    remote=remote,
                )
                env = {**os.environ, "NPM_TOKEN": "x", "PYTHONDONTWRITEBYTECODE": "1"}
                runs, started = 0, time.monotonic()
                status = 1
                while status != 0 and runs < max_runs:
                    runs += 1
                    status = subprocess.run(
                        [sys.executable, "-m", "doit", "-n", jobs, "publish"],
                        cwd=root,
                        env=env,
                        capture_output=True,
                        text=True,
                    ).returncode
                took = time.monotonic() - started
            finally:
                for proxy in proxies:
                    proxy.stop()
    stored = _by_file(proxies[0].stats.stored + proxies[1].stats.stored)
    sent = _by_file(proxies[0].stats.forwarded + proxies[1].stats.forwarded)
    requests = sum(p.stats.requests for p in proxies)
    faults = sum((p.stats.faults for p in proxies), start=Counter())
    done = "completed" if status == 0 else f"NOT completed after {max_runs}"
    return (
        f"rate {rate:.0%}: {done} in {runs} run(s), {took:.0f} s; {requests} requests, "
        f"{sum(faults.values())} faulted ({', '.join(f'{k} {v}' for k, v in sorted(faults.items()))}); "
        f"{len(stored)} uploaded artifacts: stored per artifact {sorted(set(stored.values()))}, "
        f"reached the registry per artifact {sorted(set(sent.values()))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.3])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-runs", type=int, default=10)
    parser.add_argument("-n", dest="jobs", default="4")
    args = parser.parse_args()
    for rate in args.rates:
        print(one_rate(rate, args.seed, args.max_runs, args.jobs), flush=True)


if __name__ == "__main__":
    main()
