"""`doit doctor` against the real registries: drift between tags, manifests and registries."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.publishing import Published, doit


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def test_doctor_reports_each_kind_of_drift_with_its_fix(published: Published) -> None:
    root, ns = published.root, published.ns
    py, js, go = (published.release_id(e, "core") for e in ("py", "js", "go"))
    ids = ",".join([py, js, go])
    doit(root, "tag", f"package={ids}")
    doit(root, "publish", f"package={ids}")

    clean = doit(root, "doctor", f"package={ids}")
    assert "tags, manifests and registries agree" in clean.stdout

    # 1. A tag lost locally and on the remote: the registry serves an untagged version.
    git(root, "tag", "-d", f"{ns}-core-v0.3.0")
    git(root, "push", "-q", "origin", f":refs/tags/{ns}-core-v0.3.0")
    # 2. A stray local tag for a version the registry never got, not pushed either.
    git(root, "tag", f"@{ns}/core-v0.9.0")
    # 3. A moved Go tag: here it points at another commit than on the remote, one whose
    #    module zip is not what the proxy serves.
    (root / "go/core/NOTE.md").write_text("x\n")
    git(root, "add", "go/core/NOTE.md")
    git(root, "commit", "-qm", "docs: note")
    git(root, "tag", "-f", "-a", "go/core/v0.3.0", "-m", "moved")
    # 4. A manifest ahead of its tags and registry.
    versions = json.loads((root / ".releasekit-versions.json").read_text())
    versions["go/core"] = "v0.3.5"
    (root / ".releasekit-versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    git(root, "commit", "-qam", "chore: hand-edited version")

    result = doit(root, "doctor", f"package={ids}", check=False)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    lines = [line.split() for line in out.splitlines()]
    kinds = {(w[1], w[2]) for w in lines if w and w[0] == "drift"}
    assert (py, "untagged") in kinds
    assert (
        (js, "unpushed-tag") in kinds and (js, "unpublished") in kinds and (js, "behind") in kinds
    )
    assert (go, "moved-tag") in kinds and (go, "unreleased") in kinds
    assert f"fix           doit tag package={py}" in out
    assert f"git push origin refs/tags/@{ns}/core-v0.9.0" in out
    assert "git fetch --tags --force origin" in out
    assert "go/core/v0.3.0 now builds h1:" in out and "but " in out
    assert f"doit tag package={go} && doit publish package={go}" in out
    assert "drift(s) in 3 package(s)" in out


def test_doctor_does_not_ask_the_registry_for_exclude_publish_packages(
    published: Published,
) -> None:
    """exclude_publish: versioned and tagged, never uploaded: no `unpublished` drift
    whose fix (`doit publish`) would do nothing."""
    root, ns = published.root, published.ns
    js = published.release_id("js", "core")
    config = root / "releasekit.toml"
    text = config.read_text()
    assert "[ecosystems.js]\n" in text
    config.write_text(
        text.replace("[ecosystems.js]\n", f'[ecosystems.js]\nexclude_publish = ["@{ns}/core"]\n')
    )
    git(root, "commit", "-qam", "chore: keep core off npm")
    doit(root, "tag", f"package={js}")
    result = doit(root, "doctor", f"package={js}", check=False)
    assert "unpublished" not in result.stdout, result.stdout
    assert "tags, manifests and registries agree" in result.stdout
