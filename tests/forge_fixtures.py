"""pytest fixtures for the forge tests: the fake GitHub behind prism, and the fake GitLab.

Import them into a test module (``from tests.forge_fixtures import *``).
The fakes and prism start once per session (prism takes a few seconds); each
test gets them reset, and fails if prism logged a contract violation during it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.forge_fakes import (
    FakeGitHub,
    FakeGitLab,
    Prism,
    github_spec_subset,
    prism_proxy,
    violations,
)

__all__ = ["GitHubContract", "github", "github_contract", "gitlab", "gitlab_server"]

REPO = Path(__file__).resolve().parents[1]
NODE = REPO / ".tools" / "node" / "node_modules"
OPENAPI = NODE / "@octokit" / "openapi" / "generated" / "api.github.com.deref.json"
PRISM = NODE / ".bin" / "prism"


@dataclass
class GitHubContract:
    fake: FakeGitHub
    prism: Prism
    # Violations a test expects (substrings of prism's log line), e.g. GitHub's 401,
    # which it sends from every endpoint but documents on few.
    expected: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The API URL for clients: prism, which forwards to the fake."""
        return self.prism.url

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": f"{self.fake.owner}/{self.fake.name}",
            "GITHUB_TOKEN": self.fake.token,
            **extra,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def github_contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHubContract]:
    if not (OPENAPI.is_file() and PRISM.exists()):
        pytest.fail("prism or @octokit/openapi missing: run scripts/bootstrap.sh")
    folder = tmp_path_factory.mktemp("github")
    spec = github_spec_subset(OPENAPI, folder / "github-subset.json")
    for fake in FakeGitHub.serve(json.loads(spec.read_text())):
        prism = prism_proxy(PRISM, spec, fake.url, _free_port(), folder / "prism.log")
        try:
            yield GitHubContract(fake, prism)
        finally:
            prism.process.terminate()
            try:
                prism.process.wait(timeout=10)
            except Exception:
                prism.process.kill()


@pytest.fixture
def github(github_contract: GitHubContract) -> Iterator[GitHubContract]:
    """The fake GitHub, reset, behind prism; the test fails on any contract violation."""
    github_contract.fake.reset()
    github_contract.expected = []
    start = github_contract.prism.log.stat().st_size
    yield github_contract
    found = [
        line
        for line in violations(github_contract.prism.log, start)
        if not any(text in line for text in github_contract.expected)
    ]
    assert not found, "GitHub contract violations:\n" + "\n".join(found)


@pytest.fixture(scope="session")
def gitlab_server() -> Iterator[FakeGitLab]:
    yield from FakeGitLab.serve()


@pytest.fixture
def gitlab(gitlab_server: FakeGitLab) -> FakeGitLab:
    gitlab_server.reset()
    return gitlab_server
