"""`doit -n 2 publish` in a real pseudo-terminal shows the live table and the summary."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.publishing import sample_repo
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def run_in_terminal(cwd: Path, args: list[str], timeout: float = 300) -> str:
    """Run a command with a pty as its terminal; return everything it drew, ANSI removed."""
    leader, follower = pty.openpty()
    env = {
        **os.environ,
        "NPM_TOKEN": "x",
        "COLUMNS": "140",
        "LINES": "50",
        "TERM": "xterm-256color",
    }
    env.pop("CI", None)
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.Popen(
        args, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks: list[bytes] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=30) == 0, b"".join(chunks).decode(errors="replace")[-3000:]
    return ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def test_live_table_in_a_terminal(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
) -> None:
    root = sample_repo(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote)
    ns = next(p.name for p in (root / "py" / "packages").iterdir()).rsplit("-", 1)[0]
    screen = run_in_terminal(
        root, [sys.executable, "-m", "doit", "-n", "2", "publish", "ecosystem=py,js"]
    )
    # The table's columns, live stages, and the footer's counts were drawn …
    for column in ("package", "stage", "elapsed"):
        assert column in screen
    assert "uploading" in screen or "verifying" in screen
    # … and the final frame and summary show every package published, with versions.
    for name, version in ((f"{ns}-core", "0.3.0"), (f"{ns}-http", "0.2.0"), (f"{ns}-cli", "0.1.0")):
        assert re.search(rf"py/{name}\s.*{re.escape(version)}", screen), name
    for name in ("core", "http", "cli"):
        assert f"js/@{ns}/{name}" in screen
    assert re.search(r"6 published", screen), screen[-2000:]
    # Worker output does not tear the table: no raw action lines leak into the terminal.
    assert "uploaded " not in screen
