"""Running the ecosystems' own tools (uv, pnpm, go, git) for the publish actions."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from releasekit_tasks.errors import RKError


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "****")
    return text


def run_tool(
    cmd: list[str],
    *,
    cwd: Path,
    code: str,
    what: str,
    env: dict[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure raise ``code`` with the tail of its output (secrets redacted)."""
    try:
        result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise RKError(
            "RK-TOOL-MISSING", f"`{cmd[0]}` is not installed (needed for {what})"
        ) from None
    if result.returncode != 0:
        output = redact((result.stdout + result.stderr).strip(), list(secrets))
        tail = "\n".join(output.splitlines()[-25:])
        raise RKError(
            code,
            f"{what} failed: `{' '.join(cmd[:3])} …` exited {result.returncode}\n{tail}",
            path=cwd,
        )
    return result
