"""A further ecosystem can be added from outside the package, through an entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.repos.common import write

PLUGIN = """
from pathlib import Path
from releasekit_tasks.ecosystems import Ecosystem
from releasekit_tasks.model import Package

class Toy(Ecosystem):
    kind = "toy"
    manifest_name = "toy.txt"

    def detect(self, folder):
        return (folder / "toy-workspace").is_file()

    def discover(self, eco, root):
        packages = []
        for manifest in sorted(eco.workspace_root.glob("*/toy.txt")):
            name, version = manifest.read_text().split()
            packages.append(Package("toy", eco.label, name, version, manifest.parent, manifest))
        return packages

ECOSYSTEM = Toy()
"""


def test_an_entry_point_ecosystem_is_planned(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site / "toy_ecosystem.py", PLUGIN)
    write(
        site / "toy_ecosystem-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: toy-ecosystem\nVersion: 1.0\n",
    )
    write(
        site / "toy_ecosystem-1.0.dist-info/entry_points.txt",
        "[releasekit_tasks.ecosystems]\ntoy = toy_ecosystem:ECOSYSTEM\n",
    )
    repo = tmp_path / "repo"
    write(repo / "releasekit.toml", '[ecosystems.cargo]\nkind = "toy"\nworkspace_root = "crates"\n')
    write(repo / "dodo.py", "from releasekit_tasks import *\n")
    write(repo / "crates/toy-workspace", "")
    write(repo / "crates/alpha/toy.txt", "alpha 1.2.3\n")
    write(repo / "crates/beta/toy.txt", "beta 0.1.0\n")
    result = subprocess.run(
        [sys.executable, "-m", "doit", "plan", "--format", "csv"],
        cwd=repo,
        env={**__import__("os").environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "cargo/alpha,toy,1.2.3" in result.stdout
    assert "cargo/beta,toy,0.1.0" in result.stdout
