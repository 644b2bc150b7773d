"""Helpers for the publish tests: a sample repo wired to the loopback registries, and doit."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from demo.sample import Registries, build_sample
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

_names = itertools.count()


def sample_repo(
    tmp_path: Path,
    pypi: PypiServer,
    npm: NpmRegistry,
    goproxy: GoProxyServer,
    remote: GitRemote,
) -> Path:
    """A fresh sample monorepo with its own package names, publishing to the given registries."""
    namespace = f"t{os.getpid()}x{next(_names)}"
    tree = goproxy.root
    registries = Registries(pypi.simple_url, pypi.url, npm.url, goproxy.url, tree)
    return build_sample(
        tmp_path / "repo", namespace=namespace, registries=registries, remote=remote.url
    )


def doit(
    root: Path, *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NPM_TOKEN": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"doit {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result
