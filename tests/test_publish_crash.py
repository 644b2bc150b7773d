"""`doit publish` killed at the worst moments, then run again (issue "Publish", items 7 and 8).

Logging shims for uv, pnpm and git sit first on PATH (tests/publishing.py); a
shim SIGKILLs the whole doit process group (doit, its workers, the tools) at
the chosen call. After each crash and re-run: every manifest is byte-identical
to the commit, nothing reached a registry twice, and everything is published
and verified; a further run uploads nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from releasekit_tasks.publishing.journal import restore_all, temporary_edit
from tests.publishing import (
    install_shims,
    read_shim_log,
    run_doit,
    sample_repo,
    start_doit,
    uploaded_items,
)
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

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
PY = {"core": "0.3.0", "http": "0.2.0", "cli": "0.1.0"}
GO = {"core": "v0.3.0", "plugins/http": "v0.2.0", "cli": "v0.1.0"}


class Registries:
    """The session's registries, seen from one sample repo (its namespace)."""

    def __init__(
        self,
        root: Path,
        pypi: PypiServer,
        npm: NpmRegistry,
        goproxy: GoProxyServer,
        remote: GitRemote,
    ) -> None:
        self.root, self.pypi, self.npm, self.goproxy, self.remote = root, pypi, npm, goproxy, remote
        self.ns = namespace_of(root)

    def release_ids(self) -> set[str]:
        ns = self.ns
        return (
            {f"py/{ns}-{name}" for name in PY}
            | {f"js/@{ns}/{name}" for name in PY}
            | {f"go/example.com/{ns}/go/{module}" for module in GO}
        )

    def expected_uploads(self) -> set[str]:
        ns = self.ns
        py = {
            f"{ns}_{n}-{v}{ext}" for n, v in PY.items() for ext in ("-py3-none-any.whl", ".tar.gz")
        }
        js = {f"{ns}-{n}-{v}.tgz" for n, v in PY.items()}
        go = {f"refs/tags/go/{m}/{v}" for m, v in GO.items()}
        return py | js | go

    def release_of(self, item: str) -> str:
        """The release id an uploaded item (file name or tag ref) belongs to."""
        ns = self.ns
        if item.startswith("refs/tags/go/"):
            return f"go/example.com/{ns}/go/{item.removeprefix('refs/tags/go/').rsplit('/', 1)[0]}"
        name = item.removeprefix(f"{ns}_").removeprefix(f"{ns}-").split("-", 1)[0]
        return f"js/@{ns}/{name}" if item.endswith(".tgz") else f"py/{ns}-{name}"

    def holds(self, item: str) -> bool:
        """Does the registry (or the git remote) hold this uploaded item?"""
        if item.startswith("refs/tags/"):
            return item.removeprefix("refs/tags/") in self.remote_tags()
        if item.endswith(".tgz"):
            name = self.release_of(item).rsplit("/", 1)[1]
            return PY[name] in self.packuments()[name].get("versions", {})
        return item in self.pypi_files()

    def pypi_files(self) -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in self.pypi.packages_dir.glob(f"{self.ns}_*")}

    def packuments(self) -> dict[str, dict]:
        return {n: httpx.get(f"{self.npm.url}@{self.ns}%2f{n}", timeout=10).json() for n in PY}

    def goproxy_files(self) -> dict[str, int]:
        base = self.goproxy.root / "example.com" / self.ns
        return {
            str(p.relative_to(base)): p.stat().st_mtime_ns for p in base.rglob("*") if p.is_file()
        }

    def remote_tags(self) -> dict[str, str]:
        """tag -> the commit it points at, on the bare remote."""
        out = git(
            self.remote.path,
            "for-each-ref",
            "--format=%(refname:short) %(*objectname)",
            "refs/tags",
        )
        return dict(line.split() for line in out.splitlines())

    def receipts(self) -> dict[str, dict]:
        folder = self.root / ".releasekit" / "receipts"
        found = (
            [json.loads(p.read_text()) for p in folder.glob("*.json")] if folder.is_dir() else []
        )
        return {r["id"]: r for r in found}


def namespace_of(root: Path) -> str:
    return next((root / "py" / "packages").glob("*-core")).name.removesuffix("-core")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def registries(
    tmp_path: Path,
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
) -> Registries:
    root = sample_repo(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote)
    return Registries(root, pypi_server, npm_registry, goproxy_server, git_remote)


@pytest.fixture
def shims(tmp_path: Path) -> Path:
    return install_shims(tmp_path / "shims")


# --- what must hold after every crash ------------------------------------------------


def assert_as_committed(root: Path) -> None:
    """No tracked file changed, nothing left behind, every manifest has the committed bytes."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(root, "diff", "HEAD") == ""
    manifests = [n for n in git(root, "ls-files").splitlines() if Path(n).name in MANIFESTS]
    assert len(manifests) >= 15
    for name in manifests:
        committed = subprocess.run(
            ["git", "show", f"HEAD:{name}"], cwd=root, capture_output=True, check=True
        ).stdout
        assert (root / name).read_bytes() == committed, name
    assert not list((root / ".releasekit" / "journal").glob("*.json"))


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


def assert_uploaded_once(regs: Registries, logs: list[Path]) -> None:
    """Each file and tag was sent once; only a call cut short by the kill may be repeated."""
    history = upload_history(logs)
    assert set(history) == regs.expected_uploads()
    for item, calls in history.items():
        assert "failed" not in calls, (item, calls)
        assert calls.count("ok") <= 1, (item, calls)
        assert "ok" not in calls[:-1], f"{item} was uploaded again after it succeeded: {calls}"


def assert_all_published(regs: Registries) -> None:
    ns, root = regs.ns, regs.root
    receipts = regs.receipts()
    assert set(receipts) == regs.release_ids()
    assert all(r["checksums_compared"] for r in receipts.values())
    expected_py = {i for i in regs.expected_uploads() if i.endswith((".whl", ".tar.gz"))}
    assert set(regs.pypi_files()) == expected_py
    for name, packument in regs.packuments().items():
        assert list(packument["versions"]) == [PY[name]]
        assert set(packument["time"]) == {"created", "modified", PY[name]}
    head = git(root, "rev-parse", "HEAD").strip()
    assert regs.remote_tags() == {f"go/{m}/{v}": head for m, v in GO.items()}
    tree = regs.goproxy_files()
    for module, version in GO.items():
        for ext in (".info", ".mod", ".zip"):
            assert f"go/{module}/@v/{version}{ext}" in tree
        listing = regs.goproxy.root / "example.com" / ns / "go" / module / "@v" / "list"
        assert listing.read_text() == f"{version}\n"


def registry_snapshot(regs: Registries) -> tuple[object, ...]:
    modified = {n: p["time"]["modified"] for n, p in regs.packuments().items()}
    return regs.pypi_files(), modified, regs.goproxy_files(), regs.remote_tags()


def assert_next_run_does_nothing(regs: Registries, shims: Path, log: Path, *args: str) -> None:
    """One more ``doit publish``: no build, no upload, not a byte changed anywhere."""
    before = registry_snapshot(regs)
    receipts = {
        p.name: p.stat().st_mtime_ns for p in (regs.root / ".releasekit/receipts").iterdir()
    }
    status, out = run_doit(regs.root, *args, "publish", shims=shims, log=log)
    assert status == 0, out
    events = [r["event"] for r in read_shim_log(log) if r["phase"] == "start"]
    for busy in ("uv build", "pnpm pack", "uv publish", "pnpm publish", "git push", "git tag"):
        assert busy not in events, (busy, out)
    assert "uploaded " not in out and "wrote " not in out, out
    assert "registries hold 9 of 9 release(s)" in out
    assert registry_snapshot(regs) == before
    assert {
        p.name: p.stat().st_mtime_ns for p in (regs.root / ".releasekit/receipts").iterdir()
    } == receipts
    assert_as_committed(regs.root)


def killed(status: int, out: str) -> None:
    assert status == -signal.SIGKILL, f"expected the kill, got exit {status}:\n{out}"


# --- the tests -----------------------------------------------------------------------


def test_killed_while_a_uv_manifest_is_pinned(
    registries: Registries, shims: Path, tmp_path: Path
) -> None:
    regs, ns = registries, registries.ns
    manifest = regs.root / "py" / "packages" / f"{ns}-http" / "pyproject.toml"
    committed = manifest.read_bytes()
    logs = [tmp_path / f"run{i}.jsonl" for i in range(3)]

    # SIGKILL while uv builds acme-http: its pyproject pins acme-core, no finally runs.
    killed(
        *run_doit(
            regs.root,
            "publish",
            shims=shims,
            log=logs[0],
            kill_at=f"uv build@{ns}-http",
            watch=(manifest,),
        )
    )
    pinned = manifest.read_bytes()
    assert pinned != committed, (
        "the kill must leave the manifest pinned, or this test proves nothing"
    )
    assert f'"{ns}-core==0.3.0"' in pinned.decode()
    assert len(list((regs.root / ".releasekit" / "journal").glob("*.json"))) == 1
    kill = next(r for r in read_shim_log(logs[0]) if r["phase"] == "kill")
    assert kill["watch"] == {str(manifest): sha256(pinned)}

    status, out = run_doit(regs.root, "publish", shims=shims, log=logs[1], watch=(manifest,))
    assert status == 0, out
    assert f"restored {manifest}" in out
    # Restored as the run started: preflight's first tool call already saw the committed bytes.
    records = read_shim_log(logs[1])
    first_check = next(r for r in records if r["event"] == "git" and r["argv"] == ["--version"])
    assert first_check["watch"] == {str(manifest): sha256(committed)}
    assert_as_committed(regs.root)
    assert_uploaded_once(regs, logs[:2])
    assert_all_published(regs)
    assert_next_run_does_nothing(regs, shims, logs[2])


def test_killed_after_each_upload_before_its_verify(
    registries: Registries, shims: Path, tmp_path: Path
) -> None:
    """Serially: killed right after an upload of each ecosystem, before its verify."""
    regs = registries
    logs = [tmp_path / f"run{i}.jsonl" for i in range(5)]
    for log, kill_at in zip(logs, ("uv publish:after", "pnpm publish:after", "git push:after")):
        killed(*run_doit(regs.root, "publish", shims=shims, log=log, kill_at=kill_at))
        # Uploaded, never verified: the state a re-run must finish without uploading again.
        kill = next(r for r in read_shim_log(log) if r["phase"] == "kill")
        for item in uploaded_items(kill):
            assert regs.holds(item), item
            assert regs.release_of(item) not in regs.receipts(), item
        assert_as_committed(regs.root)

    status, out = run_doit(regs.root, "publish", shims=shims, log=logs[3])
    assert status == 0, out
    assert_as_committed(regs.root)
    assert_uploaded_once(regs, logs[:4])
    assert_all_published(regs)
    assert_next_run_does_nothing(regs, shims, logs[4])


def test_killed_mid_level_in_parallel(registries: Registries, shims: Path, tmp_path: Path) -> None:
    """``-n 4``: killed right after the fourth upload, with other steps in flight."""
    regs = registries
    logs = [tmp_path / f"run{i}.jsonl" for i in range(3)]
    killed(
        *run_doit(
            regs.root, "-n", "4", "publish", shims=shims, log=logs[0], kill_at="upload#4:after"
        )
    )
    assert 0 < len(regs.receipts()) < 9
    assert_as_committed(regs.root)

    status, out = run_doit(regs.root, "-n", "4", "publish", shims=shims, log=logs[1])
    assert status == 0, out
    assert_as_committed(regs.root)
    assert_uploaded_once(regs, logs[:2])
    assert_all_published(regs)
    assert_next_run_does_nothing(regs, shims, logs[2], "-n", "4")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_during_a_pinned_build_restores_at_once(
    registries: Registries, shims: Path, tmp_path: Path, jobs: str
) -> None:
    """SIGTERM (a cancelled CI job) while uv builds: the handler restores before dying."""
    regs, ns = registries, registries.ns
    manifest = regs.root / "py" / "packages" / f"{ns}-cli" / "pyproject.toml"
    committed = manifest.read_bytes()
    log = tmp_path / "run0.jsonl"
    proc = start_doit(
        regs.root,
        "-n",
        jobs,
        "publish",
        "ecosystem=py",
        shims=shims,
        log=log,
        kill_at=f"uv build@{ns}-cli:pause",
        watch=(manifest,),
    )
    try:
        pause = wait_for(
            lambda: next((r for r in read_shim_log(log) if r["phase"] == "pause"), None)
        )
        assert pause["watch"] == {str(manifest): sha256(manifest.read_bytes())}
        assert manifest.read_bytes() != committed, "paused while pinned"
        os.killpg(proc.pid, signal.SIGTERM)
        status = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert status == -signal.SIGTERM, log.with_suffix(".out").read_text()
    # With -n 2 the pinning worker outlives the main process by a moment.
    wait_for(lambda: manifest.read_bytes() == committed or None, timeout=10)
    assert_as_committed(regs.root)

    rerun = tmp_path / "run1.jsonl"
    status, out = run_doit(regs.root, "-n", jobs, "publish", "ecosystem=py", shims=shims, log=rerun)
    assert status == 0, out
    assert "restored" not in out, "nothing was left for the next run to restore"
    assert {i for i in regs.receipts() if i.startswith("py/")} == {f"py/{ns}-{n}" for n in PY}
    assert_as_committed(regs.root)


def wait_for(probe, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting after {timeout:g} s")


# --- the journal itself ------------------------------------------------------------------


def test_a_kill_inside_restore_leaves_a_journal_the_next_run_can_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal entry must outlive the copy it points to: never a record without its copy."""
    target = tmp_path / "pyproject.toml"
    target.write_bytes(b'dependencies = ["core"]\n')
    journal = tmp_path / "journal"
    real_unlink = Path.unlink

    def dies_after_first_unlink(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self, missing_ok=missing_ok)
        raise SystemExit("killed between the two unlinks")

    with pytest.raises(SystemExit):
        with temporary_edit(target, b'dependencies = ["core==1.0"]\n', journal):
            monkeypatch.setattr(Path, "unlink", dies_after_first_unlink)
    monkeypatch.undo()
    restore_all(journal)  # the next run's start: must not fail on what the kill left
    assert target.read_bytes() == b'dependencies = ["core"]\n'
    assert not list(journal.glob("*.json"))
