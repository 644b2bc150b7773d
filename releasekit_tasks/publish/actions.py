"""The doit actions of the publish stage: module-level functions taking plain data.

Each returns None on success or a ``TaskFailed`` carrying the rendered RK
error, so doit reports a clean message instead of a traceback. The registry
is the source of truth: every action first looks at what it already holds.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from releasekit_tasks.ecosystems import Ecosystem, get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.release import (
    Release,
    read_artifacts,
    read_json,
    write_json,
)

STATUS_FILE = "registry-status.json"


def _failing(func: Callable[..., None]) -> Callable[..., TaskFailed | None]:
    """Turn an RKError into doit's TaskFailed with the coded message."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> TaskFailed | None:
        try:
            func(*args, **kwargs)
        except RKError as err:
            return TaskFailed(err.render())
        return None

    return wrapper


def fail(message: str) -> TaskFailed:
    """The action of a task that stands for an error found while loading."""
    return TaskFailed(message)


# --- what the registry holds -----------------------------------------------------


def _ecosystem(release: Release) -> Ecosystem:
    return get_ecosystem(release.ecosystem)


def remote_state(release: Release, *, deep: bool = True) -> dict[str, str]:
    """What the registry holds for this release: artifact name -> checksum ({} if nothing).

    ``deep=False`` lets an ecosystem answer from a cheaper request (Go: the ``.info``).
    """
    return _ecosystem(release).remote_state(release, deep=deep)


def is_complete(release: Release, remote: dict[str, str]) -> bool:
    """Does the registry hold the whole release?"""
    return _ecosystem(release).is_complete(release, remote)


def _registry_status(state_dir: Path) -> dict[str, dict]:
    """What the run-start query found: release slug -> {"complete", "remote"} ({} before it)."""
    path = state_dir / STATUS_FILE
    return read_json(path) if path.exists() else {}


def _complete_on_registry(release: Release) -> bool:
    return bool(_registry_status(release.state_dir).get(release.slug, {}).get("complete"))


@_failing
def query_registries(releases: list[Release], state_dir: str, concurrency: int = 16) -> None:
    """Ask every registry about every release, concurrently, once per run.

    A release whose receipt covers its artifacts was verified on its registry by an
    earlier run (upload and verify skip it for the same reason): it is not asked
    again, so a run with nothing to do makes no request at all.
    """
    status: dict[str, dict[str, Any]] = {}
    ask_for = []
    for release in releases:
        if receipt_covers(str(release.receipt), str(release.artifacts_file)):
            remote = read_json(release.receipt)["remote"]
            status[release.slug] = {"complete": True, "remote": remote}
        else:
            ask_for.append(release)
    known = len(status)

    def ask(release: Release) -> tuple[str, dict[str, Any]]:
        remote = remote_state(release, deep=False)
        return release.slug, {"complete": is_complete(release, remote), "remote": remote}

    if ask_for:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            status.update(pool.map(ask, ask_for))
    write_json(Path(state_dir) / STATUS_FILE, status)
    done = sum(s["complete"] for s in status.values())
    receipts = f" ({known} verified by an earlier run)" if known else ""
    print(
        f"registries hold {done} of {len(status)} release(s); "
        f"{len(status) - done} to publish{receipts}"
    )


# --- preflight ---------------------------------------------------------------------


@_failing
def preflight(releases: list[Release], root: str) -> None:
    """Tools, clean tree, credentials, reachable registries and each ecosystem's own checks.

    Runs after the query: releases the registries hold already are not built or
    uploaded, so they need no tool (no Node start-up for pnpm's version), token,
    reachability check or tag check.
    """
    status = _registry_status(Path(root) / ".releasekit")
    pending = [r for r in releases if not status.get(r.slug, {}).get("complete")]
    kinds = sorted({r.ecosystem for r in pending})
    tools = [list(get_ecosystem(kind).version_command) for kind in kinds]
    for command in [["git", "--version"], *(t for t in tools if t)]:
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
        except (FileNotFoundError, subprocess.CalledProcessError):
            raise RKError(
                "RK-TOOL-MISSING", f"`{command[0]}` is not installed or does not run"
            ) from None
        print(f"tool   {out}")
    check_clean(Path(root))
    print("tree   clean")
    for release in pending:
        if release.token_env and not os.environ.get(release.token_env):
            raise RKError(
                "RK-PREFLIGHT-CREDENTIALS",
                f"{release.id}: ${release.token_env} is not set",
                fix=f"export {release.token_env}=… (the token for {release.registry})",
            )
    # The ecosystems' own checks (configuration, tags) before the registries: a
    # misconfiguration is reported as itself, not as the wrong registry being down.
    for kind in kinds:
        todo = [r for r in pending if r.ecosystem == kind and not r.dry_run]
        if todo:
            get_ecosystem(kind).preflight(todo)
    retries = max((r.retries for r in pending), default=5)
    for registry in sorted({r.registry for r in pending if not r.registry.startswith("file:")}):
        _check_reachable(registry, retries)
        print(f"reach  {registry}")


def check_clean(root: Path) -> None:
    from releasekit_tasks.vcs import uncommitted

    dirty = uncommitted(root)
    if dirty:
        raise RKError(
            "RK-PREFLIGHT-DIRTY",
            f"{len(dirty)} uncommitted change(s), first: {dirty[0]}",
            path=root,
        )


def _check_reachable(registry: str, retries: int) -> None:
    import httpx

    from releasekit_tasks.http import make_client, request_with_retries

    with make_client(timeout=10) as client:
        try:
            request_with_retries(client, "GET", registry, retries=retries, deadline=60)
        except httpx.HTTPError as exc:
            raise RKError("RK-REGISTRY-UNAVAILABLE", f"{registry} is unreachable: {exc}") from None


# --- build / upload / verify -------------------------------------------------------


@_failing
def stage(root: str) -> None:
    from releasekit_tasks.publish.stage import refresh

    tree = refresh(Path(root))
    print(f"staged HEAD in {tree}: builds read from there, never from the checkout")


@_failing
def install(kind: str, folder: str) -> None:
    get_ecosystem(kind).install(Path(folder))


@_failing
def build(release: Release) -> None:
    if _complete_on_registry(release) and not read_artifacts(release):
        print(f"{release.id} {release.version} is already on {release.registry}: nothing to build")
        return
    if release.dist_dir.exists():
        shutil.rmtree(release.dist_dir)
    ecosystem = _ecosystem(release)
    if ecosystem.builds_in_stage:
        from releasekit_tasks.publish.stage import staged

        artifacts = ecosystem.build(staged(release))
    else:
        artifacts = ecosystem.build(release)
    write_json(
        release.artifacts_file,
        {"id": release.id, "version": release.version, "artifacts": artifacts},
    )
    print(f"built {release.id} {release.version}: {', '.join(a['file'] for a in artifacts)}")


def _compare(release: Release, artifact: dict, remote_sum: str | None) -> bool:
    """True if the registry has these exact bytes, False if it lacks them; error if it differs."""
    if remote_sum is None:
        return False
    local_sum = artifact[_checksum_key(release)]
    if remote_sum != local_sum:
        raise RKError(
            "RK-REGISTRY-CHECKSUM-MISMATCH",
            f"{release.registry} holds different bytes for {artifact['file']} "
            f"({_checksum_key(release)} {remote_sum} ≠ local {local_sum})",
        )
    return True


def _checksum_key(release: Release) -> str:
    return _ecosystem(release).checksum_key


def _remote_sum(release: Release, remote: dict[str, str], artifact: dict) -> str | None:
    return _ecosystem(release).remote_sum(remote, artifact)


@_failing
def upload(release: Release) -> None:
    artifacts = read_artifacts(release)
    if not artifacts:
        print(f"{release.id} {release.version} is already on {release.registry}: nothing to upload")
        return
    if release.dry_run:
        names = ", ".join(a["file"] for a in artifacts)
        print(f"dry run: would upload {names} to {release.upload_url or release.registry}")
        return
    ecosystem = _ecosystem(release)
    if not ecosystem.upload_checks_registry:
        ecosystem.upload(release, [release.dist_dir / a["file"] for a in artifacts])
        return
    remote = remote_state(release)
    missing = [a for a in artifacts if not _compare(release, a, _remote_sum(release, remote, a))]
    if not missing:
        print(f"{release.id} {release.version}: the registry already has these exact bytes")
        return
    from releasekit_tasks.publish.retry import upload_with_retries

    by_name = {a["file"]: a for a in missing}

    def send(names: list[str]) -> None:
        ecosystem.upload(release, [release.dist_dir / n for n in names])

    def missing_after(names: list[str]) -> list[str]:
        remote = remote_state(release)
        return [
            n
            for n in names
            if not _compare(release, by_name[n], _remote_sum(release, remote, by_name[n]))
        ]

    target = release.upload_url or release.registry
    attempts = upload_with_retries(
        send,
        missing_after,
        list(by_name),
        retries=release.retries,
        url=target,
        token_env=release.token_env or "",
    )
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    print(f"uploaded {', '.join(by_name)} to {target}{tries}")


def receipt_covers(receipt: str, artifacts_file: str) -> bool:
    """doit uptodate check: the release was verified with the artifacts built now.

    A rebuild that produced other bytes (a change without a version bump) is
    not covered, so upload runs again and reports the checksum mismatch.
    """
    if not Path(receipt).is_file():
        return False
    if not Path(artifacts_file).is_file():
        return True
    return bool(
        read_json(Path(receipt))["artifacts"] == read_json(Path(artifacts_file))["artifacts"]
    )


@_failing
def verify(release: Release) -> None:
    if release.dry_run:
        print(f"dry run: would verify {release.id} {release.version} on {release.registry}")
        return
    from releasekit_tasks.http import wait_until_available

    artifacts = read_artifacts(release)
    started = time.time()

    def available() -> dict[str, str] | None:
        remote = remote_state(release)
        if artifacts:
            return remote if all(_remote_sum(release, remote, a) for a in artifacts) else None
        return remote if is_complete(release, remote) else None

    remote = wait_until_available(
        available,
        what=f"{release.id} {release.version} on {release.registry}",
        timeout=release.poll_timeout,
        base=0.2,
        cap=10.0,
    )
    for artifact in artifacts:
        _compare(release, artifact, _remote_sum(release, remote, artifact))
    write_json(
        release.receipt,
        {
            "id": release.id,
            "name": release.name,
            "ecosystem": release.ecosystem,
            "version": release.version,
            "registry": release.registry,
            "tag": release.tag or None,
            "artifacts": artifacts,
            "remote": remote,
            "checksums_compared": bool(artifacts),
            "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "waited_seconds": round(time.time() - started, 3),
        },
    )
    print(f"verified {release.id} {release.version} on {release.registry}")
