"""Test-wide set-up: the bootstrapped tools on PATH and the loopback registries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.publishing import Published, install_shims, sample_repo

if TYPE_CHECKING:  # servers is a pytest plugin: imported for types only, so pytest rewrites it
    from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

pytest_plugins = ["tests.servers"]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def tool_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    """uv, pnpm, verdaccio and go from scripts/bootstrap.sh; Go never downloads anything."""
    paths = [REPO / ".venv" / "bin", REPO / ".tools" / "node" / "node_modules" / ".bin"]
    os.environ["PATH"] = os.pathsep.join([*map(str, paths), os.environ.get("PATH", "")])
    gopath = tmp_path_factory.mktemp("gopath")
    os.environ.update(
        GOTOOLCHAIN="local",
        GOSUMDB="off",
        GOPROXY="off",
        GOFLAGS="-modcacherw",
        GOPATH=str(gopath),
        GOCACHE=str(gopath / "cache"),
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(REPO / ".tools" / "uv-cache")),
        npm_config_store_dir=str(tmp_path_factory.mktemp("pnpm-store")),
        # Loopback registries take no OIDC tokens, even when the tests run in CI.
        RELEASEKIT_TRUSTED_PUBLISHING="never",
    )


@pytest.fixture
def published(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
) -> Published:
    """A fresh sample monorepo wired to the session's registries, and what they hold of it."""
    root = sample_repo(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote)
    return Published(root, pypi_server, npm_registry, goproxy_server, git_remote)


@pytest.fixture
def shims(tmp_path: Path) -> Path:
    """Logging wrappers for uv, pnpm and git that can kill doit at a chosen call."""
    return install_shims(tmp_path / "shims")
