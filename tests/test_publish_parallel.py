"""`doit -n N publish`: dependency order under parallelism, and the spawn start method
(issue "Publish", item 12).

Order is read from the registries' own records (pypiserver's stored files,
verdaccio's packument ``time``, the GOPROXY tree's ``.info`` files), from the
receipts verify writes, and — to the nanosecond — from the tool shims' log.
"""

from __future__ import annotations

import calendar
import inspect
import os
import pickle
from datetime import datetime
from pathlib import Path

import pytest

from demo.sample import build_sample
from tests.publishing import (
    ECOSYSTEMS,
    GO_MODULES,
    SAMPLE_DEPS,
    SAMPLE_VERSIONS,
    Published,
    read_shim_log,
    run_doit,
    uploaded_items,
)

MS = 1_000_000  # ns


def stored_at(pub: Published) -> dict[str, int]:
    """Release id -> when its registry stored it (ns), by the registry's own record."""
    stored: dict[str, int] = {}
    files = pub.pypi_files()
    tree = pub.goproxy_files()
    for short, version in SAMPLE_VERSIONS.items():
        stored[pub.release_id("py", short)] = min(
            t for name, t in files.items() if name.startswith(f"{pub.ns}_{short}-{version}")
        )
        when = datetime.fromisoformat(pub.packument(short)["time"][version])  # "…T03:04:05.678Z"
        ms = calendar.timegm(when.utctimetuple()) * 1000 + when.microsecond // 1000
        stored[pub.release_id("js", short)] = ms * MS
        stored[pub.release_id("go", short)] = tree[f"go/{GO_MODULES[short]}/@v/v{version}.info"]
    return stored


def test_parallel_publish_uploads_each_package_after_its_dependencies_are_verified(
    published: Published, shims: Path, tmp_path: Path
) -> None:
    pub = published
    log = tmp_path / "run.jsonl"
    status, out = run_doit(pub.root, "-n", "4", "publish", shims=shims, log=log)
    assert status == 0, out
    receipts = pub.receipts()
    assert set(receipts) == pub.release_ids()

    records = read_shim_log(log)
    # -n 4 really ran steps at once: some two tool calls overlapped.
    done = {r["pid"]: r["t"] for r in records if r["phase"] == "done"}
    spans = [
        (r["t"], done[r["pid"]]) for r in records if r["phase"] == "start" and r["pid"] in done
    ]
    assert any(a0 < b1 and b0 < a1 for i, (a0, a1) in enumerate(spans) for b0, b1 in spans[i + 1 :])

    upload_started: dict[str, int] = {}
    for record in records:
        if record["phase"] == "start":
            for item in uploaded_items(record):
                upload_started.setdefault(pub.release_of(item), record["t"])
    assert set(upload_started) == pub.release_ids()
    stored = stored_at(pub)

    pairs = 0
    for ecosystem in ECOSYSTEMS:
        for short, deps in SAMPLE_DEPS.items():
            package = pub.release_id(ecosystem, short)
            for dep in deps:
                dependency = pub.release_id(ecosystem, dep)
                verified = receipts[dependency]["mtime_ns"]  # verify wrote it last
                # The shim saw the upload start after the dependency's receipt was written …
                assert upload_started[package] > verified, (package, dependency)
                # … and the registry stored it after (file clocks tick coarsely: compare in ms).
                assert stored[package] >= verified // MS * MS, (package, dependency)
                assert receipts[package]["verified_at"] >= receipts[dependency]["verified_at"]
                pairs += 1
    assert pairs == 9


SPAWN_RUNNER = """\
import importlib.util, multiprocessing, sys
from pathlib import Path

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn", force=True)
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    spec = importlib.util.spec_from_file_location("dodo", Path.cwd() / "dodo.py")
    dodo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dodo)
    sys.exit(DoitMain(ModuleTaskLoader(dodo)).run(sys.argv[1:]))
"""


def test_publish_with_the_spawn_start_method(
    published: Published, shims: Path, tmp_path: Path
) -> None:
    """Workers started by spawn (macOS; Linux from Python 3.14) get pickled tasks only."""
    pub = published
    pub.ecosystems = ("py",)
    runner = tmp_path / "spawn_doit.py"
    runner.write_text(SPAWN_RUNNER)
    log = tmp_path / "run.jsonl"
    status, out = run_doit(
        pub.root, "-n", "2", "publish", "ecosystem=py", shims=shims, log=log, program=(str(runner),)
    )
    assert status == 0, out
    assert set(pub.receipts()) == pub.release_ids()
    assert set(pub.pypi_files()) == pub.expected_uploads()
    work = [
        r
        for r in read_shim_log(log)
        if r["phase"] == "start" and r["event"] in ("uv build", "uv publish")
    ]
    assert len(work) == 6
    for record in work:
        assert "spawn_main" in record["parent"], record["parent"]


def test_every_task_action_and_uptodate_pickles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What spawn sends to a worker: actions and uptodate checks by reference, plain data."""
    from doit.action import PythonAction
    from doit.loader import load_tasks

    import releasekit_tasks

    root = build_sample(tmp_path / "repo", namespace=f"pk{os.getpid()}")
    monkeypatch.chdir(root)
    monkeypatch.setenv("RELEASEKIT_ROOT", str(root))
    tasks = load_tasks(dict(inspect.getmembers(releasekit_tasks)))
    names = {t.name for t in tasks}
    for step in ("build", "upload", "verify", "publish"):
        assert sum(n.startswith(f"{step}:") for n in names) == 9, step
    assert {"query", "preflight", "install:js"} <= names

    for task in tasks:
        for action in task.actions:
            copy = pickle.loads(pickle.dumps(action))
            if isinstance(action, PythonAction):
                assert copy.py_callable is action.py_callable, task.name  # module-level
                assert copy.args == action.args, task.name
        for check in task.uptodate:
            pickle.loads(pickle.dumps(check))
        pickle.dumps(task)
