"""Shared bits of the repo builders: writing files and making a git repo."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path


def write(path: Path, text: str) -> Path:
    """Write dedented ``text`` to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def git_init(root: Path) -> None:
    """Make ``root`` a git repository with one commit of everything in it."""

    def run(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    run("config", "user.email", "dev@example.com")
    run("config", "user.name", "Dev")
    run("config", "commit.gpgsign", "false")
    run("add", "-A")
    run("commit", "-q", "-m", "chore: initial commit", "--allow-empty")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (except .git) and its bytes: for 'nothing changed' checks."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


# The release tags of demo.sample's packages at their written versions.
SAMPLE_RELEASE_TAGS = (
    "acme-core-v0.3.0",
    "acme-http-v0.2.0",
    "acme-cli-v0.1.0",
    "@acme/core-v0.3.0",
    "@acme/http-v0.2.0",
    "@acme/cli-v0.1.0",
    "go/core/v0.3.0",
    "go/plugins/http/v0.2.0",
    "go/cli/v0.1.0",
)
