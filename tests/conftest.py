"""Test-wide set-up: the bootstrapped tools on PATH and the loopback registries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    )
