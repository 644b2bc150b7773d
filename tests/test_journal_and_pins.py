"""Ephemeral pinning: the journal that makes it crash-safe, and the artifact checks."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.pnpm.build import check_tarball
from releasekit_tasks.ecosystems.uv.build import check_wheel_pins, pin_pyproject, pinned_specifier
from releasekit_tasks.errors import RKError
from releasekit_tasks.publish import journal

PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "plugin"   # the plugin
    version = "1.0.0"
    dependencies = [
        "Core[extra]>=0.1 ; python_version >= '3.8'",  # workspace core
        "httpx>=0.27",
    ]

    [project.optional-dependencies]
    cli = ["core-cli"]

    [tool.uv.sources]
    core = { workspace = true }
    """
)


def test_pinning_changes_only_the_pinned_strings() -> None:
    pinned = pin_pyproject(PYPROJECT, {"core": "0.3.0", "core-cli": "0.2.0"}, "exact")
    assert (
        '    "Core[extra]==0.3.0; python_version >= \\"3.8\\"",  # workspace core'
        in pinned.splitlines()
    )
    assert '"core-cli==0.2.0"' in pinned
    assert '"httpx>=0.27"' in pinned
    assert "# the plugin" in pinned and "# workspace core" in pinned
    untouched = [line for line in PYPROJECT.splitlines() if "core" not in line.lower()]
    assert all(line in pinned.splitlines() for line in untouched)


@pytest.mark.parametrize(
    ("mode", "version", "expected"),
    [
        ("exact", "1.2.3", "==1.2.3"),
        ("minimum", "1.2.3", ">=1.2.3"),
        ("compatible", "1.2.3", ">=1.2.3,<2"),
        ("compatible", "0.4.1", ">=0.4.1,<0.5"),
    ],
)
def test_pin_modes(mode: str, version: str, expected: str) -> None:
    assert pinned_specifier(version, mode) == expected


def test_temporary_edit_restores_bytes_and_leaves_no_journal(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    target.write_bytes(b"original\r\nbytes\n")
    journal_dir = tmp_path / "journal"
    with journal.temporary_edit(target, b"pinned", journal_dir):
        assert target.read_bytes() == b"pinned"
        assert len(list(journal_dir.glob("*.json"))) == 1
    assert target.read_bytes() == b"original\r\nbytes\n"
    assert list(journal_dir.iterdir()) == []


def test_temporary_edit_restores_on_exceptions(tmp_path: Path) -> None:
    target = tmp_path / "package.toml"
    target.write_text("before")
    with pytest.raises(RuntimeError), journal.temporary_edit(target, b"during", tmp_path / "j"):
        raise RuntimeError("build failed")
    assert target.read_text() == "before"


SCRIPT = """
import os, signal, sys, time
from pathlib import Path
from releasekit_tasks.publish import journal
target, journal_dir, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
with journal.temporary_edit(target, b"pinned", journal_dir):
    print("pinned", flush=True)
    os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGTERM)
    time.sleep(30)
"""


def test_sigterm_restores_at_once_and_sigkill_at_the_next_run(tmp_path: Path) -> None:
    target = tmp_path / "pyproject.toml"
    original = b"[project]\nname = 'x'\n"
    target.write_bytes(original)
    journal_dir = tmp_path / "journal"
    term = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(target), str(journal_dir), "term"], capture_output=True
    )
    assert term.returncode == -signal.SIGTERM
    assert target.read_bytes() == original
    assert list(journal_dir.glob("*.json")) == []

    kill = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(target), str(journal_dir), "kill"], capture_output=True
    )
    assert kill.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"pinned", "SIGKILL leaves no chance to restore…"
    assert journal.restore_all(journal_dir) == [target.resolve()]
    assert target.read_bytes() == original, "…so the next run does it"
    assert journal.restore_all(journal_dir) == []


def test_a_tampered_journal_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"a")
    journal_dir = tmp_path / "journal"
    journal_dir.mkdir()
    entry = journal_dir / "x.json"
    entry.write_text(
        json.dumps(
            {
                "path": str(target),
                "sha256": hashlib.sha256(b"other").hexdigest(),
                "pid": os.getpid(),
            }
        )
    )
    entry.with_suffix(".orig").write_bytes(b"not other")
    with pytest.raises(RKError) as err:
        journal.restore_all(journal_dir)
    assert err.value.code == "RK-JOURNAL-CORRUPT"
    assert target.read_bytes() == b"a"


def _tarball(path: Path, manifest: dict) -> Path:
    data = json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_tarballs_with_workspace_ranges_are_refused(tmp_path: Path) -> None:
    check_tarball(
        _tarball(
            tmp_path / "ok.tgz",
            {"dependencies": {"a": "^1.0.0"}, "devDependencies": {"b": "workspace:*"}},
        )
    )
    for bad in ("workspace:^", "catalog:", "link:../a"):
        with pytest.raises(RKError) as err:
            check_tarball(_tarball(tmp_path / "bad.tgz", {"dependencies": {"a": bad}}))
        assert err.value.code == "RK-BUILD-UNPINNED"


def _wheel(path: Path, requires: list[str]) -> Path:
    metadata = "Metadata-Version: 2.3\nName: plugin\nVersion: 1.0.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("plugin-1.0.0.dist-info/METADATA", metadata)
    return path


def test_wheels_must_carry_the_pins(tmp_path: Path) -> None:
    check_wheel_pins(
        _wheel(tmp_path / "ok.whl", ["core==0.3.0", "httpx>=0.27"]), {"core": "0.3.0"}, "exact"
    )
    with pytest.raises(RKError) as err:
        check_wheel_pins(_wheel(tmp_path / "bad.whl", ["core>=0.1"]), {"core": "0.3.0"}, "exact")
    assert err.value.code == "RK-BUILD-UNPINNED"
