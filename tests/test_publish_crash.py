"""`doit publish` killed at the worst moments, then run again (issue "Publish", items 7 and 8).

Logging shims for uv, pnpm and git sit first on PATH (tests/publishing.py); a
shim SIGKILLs the whole doit process group (doit, its workers, the tools) at
the chosen call. After each crash and re-run: every manifest is byte-identical
to the commit, nothing reached a registry twice, and everything is published
and verified; one more run builds and uploads nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from releasekit_tasks.publish.journal import restore_all, temporary_edit
from tests.publishing import (
    GO_MODULES,
    SAMPLE_VERSIONS,
    Published,
    git_out,
    read_shim_log,
    run_doit,
    start_doit,
    uploaded_items,
)

T = TypeVar("T")

MANIFESTS = {
    "pyproject.toml",
    "uv.lock",
    "package.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "go.mod",
    "go.work",
    ".releasekit-versions.json",
    "releasekit.toml",
}
BUSY = ("uv build", "pnpm pack", "uv publish", "pnpm publish", "git push", "git tag")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wait_for(probe: Callable[[], T | None], timeout: float = 60.0) -> T:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting after {timeout:g} s")


def killed(status: int, out: str) -> None:
    assert status == -signal.SIGKILL, f"expected the kill, got exit {status}:\n{out}"


# --- what must hold after every crash ------------------------------------------------


def assert_as_committed(root: Path) -> None:
    """No tracked file changed, nothing left behind, every manifest has the committed bytes."""
    assert git_out(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git_out(root, "diff", "HEAD") == ""
    manifests = [n for n in git_out(root, "ls-files").splitlines() if Path(n).name in MANIFESTS]
    assert len(manifests) >= 15
    for name in manifests:
        committed = subprocess.run(
            ["git", "show", f"HEAD:{name}"], cwd=root, capture_output=True, check=True
        ).stdout
        assert (root / name).read_bytes() == committed, name
    # Pins happen in the staging worktree; no journal entry may name a checkout file.
    stage = (root / ".releasekit" / "stage").resolve()
    for entry in (root / ".releasekit" / "journal").glob("*.json"):
        target = Path(json.loads(entry.read_text())["path"])
        assert target.is_relative_to(stage), target


def upload_history(logs: list[Path]) -> dict[str, list[str]]:
    """Every upload call per item (file or tag), in order: "ok", "failed" or "killed"."""
    history: dict[str, list[str]] = defaultdict(list)
    for log in logs:
        records = read_shim_log(log)
        finished = {r["pid"]: r["rc"] for r in records if r["phase"] == "done"}
        for record in records:
            if record["phase"] != "start":
                continue
            rc = finished.get(record["pid"])
            outcome = "killed" if rc is None else "ok" if rc == 0 else "failed"
            for item in uploaded_items(record):
                history[item].append(outcome)
    return dict(history)


def assert_uploaded_once(pub: Published, logs: list[Path]) -> None:
    """Each file and tag was sent once; only a call cut short by the kill may be repeated."""
    history = upload_history(logs)
    assert set(history) == pub.expected_uploads()
    for item, calls in history.items():
        assert "failed" not in calls, (item, calls)
        assert "ok" not in calls[:-1], f"{item} was uploaded again after it succeeded: {calls}"


def assert_all_published(pub: Published) -> None:
    """Receipts for every release; each registry holds exactly the one version, once."""
    receipts = pub.receipts()
    assert set(receipts) == pub.release_ids()
    assert all(r["checksums_compared"] for r in receipts.values())
    uploads = pub.expected_uploads()
    assert set(pub.pypi_files()) == {i for i in uploads if i.endswith((".whl", ".tar.gz"))}
    for short, version in SAMPLE_VERSIONS.items():
        if "js" in pub.ecosystems:
            packument = pub.packument(short)
            assert list(packument["versions"]) == [version]
            assert set(packument["time"]) == {"created", "modified", version}
        if "go" in pub.ecosystems:
            module = GO_MODULES[short]
            tree = pub.goproxy_files()
            for ext in (".info", ".mod", ".zip"):
                assert f"go/{module}/@v/v{version}{ext}" in tree
            listing = pub.goproxy.root / "example.com" / pub.ns / "go" / module / "@v" / "list"
            assert listing.read_text() == f"v{version}\n"
    if "go" in pub.ecosystems:
        head = git_out(pub.root, "rev-parse", "HEAD").strip()
        assert pub.remote_tags() == {pub.go_tag(s): head for s in SAMPLE_VERSIONS}


def registry_snapshot(pub: Published) -> tuple[object, ...]:
    modified = (
        {s: pub.packument(s)["time"]["modified"] for s in SAMPLE_VERSIONS}
        if "js" in pub.ecosystems
        else {}
    )
    receipts = {i: r["mtime_ns"] for i, r in pub.receipts().items()}
    return pub.pypi_files(), modified, pub.goproxy_files(), pub.remote_tags(), receipts


def assert_next_run_does_nothing(pub: Published, shims: Path, log: Path, *args: str) -> None:
    """One more ``doit publish``: no build, no upload, not a byte changed anywhere."""
    before = registry_snapshot(pub)
    status, out = run_doit(pub.root, *args, "publish", shims=shims, log=log)
    assert status == 0, out
    events = {r["event"] for r in read_shim_log(log) if r["phase"] == "start"}
    assert not events & set(BUSY), out
    assert "uploaded " not in out and "wrote " not in out, out
    total = len(pub.release_ids())
    assert f"registries hold {total} of {total} release(s)" in out
    assert registry_snapshot(pub) == before
    assert_as_committed(pub.root)


# --- SIGKILL ---------------------------------------------------------------------------


def test_killed_while_a_uv_manifest_is_pinned(
    published: Published, shims: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-build: the pin is in the staging worktree, so `git status` of the
    checkout is clean at once, not only after the next run (issue 13)."""
    pub, ns = published, published.ns
    pub.ecosystems = ("py",)
    rel = Path("py") / "packages" / f"{ns}-http" / "pyproject.toml"
    manifest = pub.root / rel
    staged = pub.root / ".releasekit" / "stage" / rel
    committed = manifest.read_bytes()
    logs = [tmp_path / f"run{i}.jsonl" for i in range(3)]
    args = ("publish", "ecosystem=py")

    # SIGKILL while uv builds acme-http, whose pyproject pins acme-core: no finally runs.
    kill_at = f"uv build@{ns}-http"
    watch = (manifest, staged)
    killed(*run_doit(pub.root, *args, shims=shims, log=logs[0], kill_at=kill_at, watch=watch))
    assert_as_committed(pub.root)  # right after the kill
    assert manifest.read_bytes() == committed
    pinned = staged.read_bytes()
    assert f'"{ns}-core==0.3.0"' in pinned.decode(), "killed while pinned, or this proves nothing"
    kill = next(r for r in read_shim_log(logs[0]) if r["phase"] == "kill")
    assert kill["watch"] == {str(manifest): sha256(committed), str(staged): sha256(pinned)}

    status, out = run_doit(pub.root, *args, shims=shims, log=logs[1], watch=(manifest,))
    assert status == 0, out
    assert_as_committed(pub.root)
    assert_uploaded_once(pub, logs[:2])
    assert_all_published(pub)
    assert_next_run_does_nothing(pub, shims, logs[2], "ecosystem=py")


def test_killed_after_an_upload_of_each_ecosystem_before_its_verify(
    published: Published, shims: Path, tmp_path: Path
) -> None:
    pub = published
    logs = [tmp_path / f"run{i}.jsonl" for i in range(5)]
    # Go tags go first in doit's order, then the uv and the pnpm uploads.
    kills = ("git push:after", "uv publish:after", "pnpm publish:after")
    for log, kill_at in zip(logs[:3], kills, strict=True):
        killed(*run_doit(pub.root, "publish", shims=shims, log=log, kill_at=kill_at))
        # Uploaded, never verified: the state a re-run must finish without uploading again.
        kill = next(r for r in read_shim_log(log) if r["phase"] == "kill")
        for item in uploaded_items(kill):
            assert pub.holds(item), item
            assert pub.release_of(item) not in pub.receipts(), item
        assert_as_committed(pub.root)

    status, out = run_doit(pub.root, "publish", shims=shims, log=logs[3])
    assert status == 0, out
    assert_as_committed(pub.root)
    assert_uploaded_once(pub, logs[:4])
    assert_all_published(pub)
    assert_next_run_does_nothing(pub, shims, logs[4])


def test_killed_mid_level_in_parallel(published: Published, shims: Path, tmp_path: Path) -> None:
    """``-n 4``: killed right after the fourth upload, with other steps in flight."""
    pub = published
    logs = [tmp_path / f"run{i}.jsonl" for i in range(3)]
    run = ("-n", "4", "publish")
    killed(*run_doit(pub.root, *run, shims=shims, log=logs[0], kill_at="upload#4:after"))
    assert 0 < len(pub.receipts()) < 9
    # No tree check here: a uv build in flight may have been killed with its manifest pinned.

    status, out = run_doit(pub.root, *run, shims=shims, log=logs[1])
    assert status == 0, out
    assert_as_committed(pub.root)
    assert_uploaded_once(pub, logs[:2])
    assert_all_published(pub)
    assert_next_run_does_nothing(pub, shims, logs[2], "-n", "4")


# --- SIGTERM ---------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_sigterm_during_a_pinned_build_restores_at_once(
    published: Published, shims: Path, tmp_path: Path, jobs: str
) -> None:
    """SIGTERM to the group (a cancelled CI job) while uv builds: the checkout was never
    touched (the pin is in the staging worktree), and the stage is restored before dying.

    With ``-n 0`` (doit's default) the main process holds the pin, with ``-n 2`` a worker.
    """
    pub, ns = published, published.ns
    rel = Path("py") / "packages" / f"{ns}-cli" / "pyproject.toml"
    manifest = pub.root / ".releasekit" / "stage" / rel
    committed = (pub.root / rel).read_bytes()
    log = tmp_path / "run0.jsonl"
    kill_at = f"uv build@{ns}-cli:pause"
    args = ("-n", jobs, "publish", "ecosystem=py")
    proc = start_doit(pub.root, *args, shims=shims, log=log, kill_at=kill_at, watch=(manifest,))

    def paused() -> dict | None:
        assert proc.poll() is None, log.with_suffix(".out").read_text()
        return next((r for r in read_shim_log(log) if r["phase"] == "pause"), None)

    try:
        pause = wait_for(paused)
        assert manifest.read_bytes() != committed, "paused while pinned"
        assert pause["watch"] == {str(manifest): sha256(manifest.read_bytes())}
        assert (pause["ppid"] == proc.pid) == (jobs == "0"), "which process runs the build"
        assert_as_committed(pub.root)  # the checkout, while the build runs
        os.killpg(proc.pid, signal.SIGTERM)
        status = proc.wait(timeout=30)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):  # the paused shim too
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    assert status == -signal.SIGTERM, log.with_suffix(".out").read_text()
    assert_as_committed(pub.root)
    # With -n 2 the pinning worker may outlive the main process by a moment.
    wait_for(lambda: manifest.read_bytes() == committed or None, timeout=10)


# --- the journal itself ------------------------------------------------------------------


def test_a_kill_inside_restore_leaves_a_journal_the_next_run_can_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal record goes before its copy: never a record whose copy is gone."""
    target = tmp_path / "pyproject.toml"
    target.write_bytes(b'dependencies = ["core"]\n')
    journal = tmp_path / "journal"
    real_unlink = Path.unlink

    def dies_after_one_unlink(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self, missing_ok=missing_ok)
        raise SystemExit("killed between the two unlinks")

    pinned = b'dependencies = ["core==1.0"]\n'
    with pytest.raises(SystemExit), temporary_edit(target, pinned, journal):
        monkeypatch.setattr(Path, "unlink", dies_after_one_unlink)
    monkeypatch.undo()
    restore_all(journal)  # what the next run does first: it must not trip over the leftovers
    assert target.read_bytes() == b'dependencies = ["core"]\n'
    assert not list(journal.glob("*.json"))
