"""`python -m releasekit_tasks init --ci …`: generated workflows lint clean, set up only
what the repository has, and a publish spread over jobs works job by job in fresh clones."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from releasekit_tasks.__main__ import main
from releasekit_tasks.errors import RKError
from releasekit_tasks.forges.workflows import over_limit, workflow_text, write_workflow
from tests.publishing import Published

REPO = Path(__file__).resolve().parents[1]
ACTIONLINT = REPO / ".venv" / "bin" / "actionlint"
CHECK_JSONSCHEMA = REPO / ".venv" / "bin" / "check-jsonschema"


def schema_check(path: Path, schema: str) -> None:
    """The file against the CI's published JSON schema (vendored by check-jsonschema)."""
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo.sample import build_sample

    return build_sample(tmp_path_factory.mktemp("wf") / "repo")


def actionlint(root: Path) -> str:
    result = subprocess.run(
        [str(ACTIONLINT), "-no-color", "-shellcheck=", ".github/workflows/releasekit.yml"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("mode", ["single", "per-level", "per-package"])
def test_github_workflow_lints_clean(sample: Path, mode: str) -> None:
    lines = write_workflow(sample, "github", mode, force=True)
    assert lines[0].endswith(".github/workflows/releasekit.yml")
    actionlint(sample)
    schema_check(sample / ".github/workflows/releasekit.yml", "vendor.github-workflows")
    doc = yaml.safe_load((sample / ".github/workflows/releasekit.yml").read_text())
    jobs = doc["jobs"]
    assert doc["permissions"] == {}  # least: each job declares its own
    assert set(doc[True]["workflow_dispatch"]["inputs"]) == {  # YAML 1.1 reads `on` as True
        "action", "dry_run", "force_prepare", "group", "bump_type", "prerelease",
        "skip_publish", "concurrency", "max_retries",
    }  # fmt: skip
    for job in jobs.values():
        checkout = job["steps"][0]
        assert checkout["uses"] == "actions/checkout@v5" and checkout["with"]["fetch-depth"] == 0
    assert jobs["release"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    publishers = [name for name in jobs if name.startswith("publish")]
    for name in publishers:
        assert jobs[name]["permissions"]["id-token"] == "write"  # trusted publishing
    for name in publishers:  # PEP 740: build, sign (uv's files only), then publish
        steps = jobs[name]["steps"]
        ids = [step.get("id") or step.get("uses", "").split("@")[0] for step in steps]
        if "astral-sh/attest-action" in ids:
            assert ids.index("rk-build") < ids.index("astral-sh/attest-action")
            assert ids.index("astral-sh/attest-action") < ids.index("rk-publish")
            attest = steps[ids.index("astral-sh/attest-action")]
            assert attest["if"] == "env.UV_PUBLISH_TOKEN == '' && !inputs.dry_run"
            assert attest["with"]["paths"].split() == [
                ".releasekit/dist/*/*.whl",
                ".releasekit/dist/*/*.tar.gz",
            ]
        # Only jobs that upload to PyPI (their env carries its token) sign.
        uploads_to_pypi = "UV_PUBLISH_TOKEN" in jobs[name].get("env", {})
        assert ("astral-sh/attest-action" in ids) == uploads_to_pypi, name
    if mode == "single":
        assert publishers == ["publish"]
        assert jobs["publish"]["env"]["UV_PUBLISH_TOKEN"] == "${{ secrets.PYPI_TOKEN }}"
    elif mode == "per-level":
        assert publishers == ["publish-level-0", "publish-level-1", "publish-level-2"]
        assert jobs["publish-level-2"]["needs"] == ["release", "publish-level-1"]
        assert jobs["announce"]["needs"] == ["release", *publishers]
    else:
        assert len(publishers) == 9
        cli = next(n for n in publishers if n.startswith("publish-py") and n.endswith("-cli"))
        assert sorted(jobs[cli]["needs"]) == sorted(
            ["release", cli.replace("-cli", "-core"), cli.replace("-cli", "-http")]
        )
        # a Python job sets up Python only: no Node, no Go
        uses = [s.get("uses", "") for s in jobs[cli]["steps"]]
        assert not any("setup-node" in u or "setup-go" in u for u in uses)


def test_setup_only_for_the_ecosystems_present(tmp_path: Path) -> None:
    root = tmp_path / "py-only"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "solo"\nversion = "0.1.0"\n[tool.uv.workspace]\nmembers = []\n'
    )
    git(tmp_path, "init", "-q", "-b", "trunk", str(root))
    assert main(["init", str(root), "--ci", "github"]) == 0
    text = (root / ".github/workflows/releasekit.yml").read_text()
    assert "setup-node" not in text and "setup-go" not in text and "pnpm" not in text
    assert "branches:\n    - trunk" in text  # the repository's own branch
    actionlint(root)
    # Again: unchanged; a changed file is kept unless --force.
    assert main(["init", str(root), "--ci", "github"]) == 0
    (root / ".github/workflows/releasekit.yml").write_text("# mine\n")
    assert main(["init", str(root), "--ci", "github"]) == 2
    assert main(["init", str(root), "--ci", "github", "--force"]) == 0
    assert "astral-sh/attest-action" in (root / ".github/workflows/releasekit.yml").read_text()
    # No trusted publishing: PyPI would refuse the attestations, so none are made.
    config = root / "releasekit.toml"
    config.write_text('trusted_publishing = "never"\n' + config.read_text())
    assert main(["init", str(root), "--ci", "github", "--force"]) == 0
    text = (root / ".github/workflows/releasekit.yml").read_text()
    assert "attest-action" not in text and "rk-build" not in text
    actionlint(root)


def test_gitlab_ci_has_the_same_loop(sample: Path, tmp_path: Path) -> None:
    for mode in ("single", "per-level", "per-package"):
        text = workflow_text(sample, "gitlab", mode)
        (tmp_path / ".gitlab-ci.yml").write_text(text)
        schema_check(tmp_path / ".gitlab-ci.yml", "vendor.gitlab-ci")
        doc = yaml.safe_load(text)
        assert doc["stages"] == ["release", "prepare", "publish", "announce"]
        assert doc["variables"]["GIT_DEPTH"] == "0"
        assert doc["release"]["artifacts"]["reports"]["dotenv"] == "release.env"
        publish = [k for k in doc if k.startswith("publish")]
        for name in publish:
            assert doc[name]["id_tokens"]["PYPI_ID_TOKEN"]["aud"] == "pypi"
            assert doc[name]["needs"][0] == "release"
        if mode == "per-level":
            assert doc["publish-level-1"]["needs"] == ["release", "publish-level-0"]
            assert doc["announce"]["script"][-1] == "doit announce"
        if mode != "single":
            # after every publish job by its stage, with all their artifacts (the receipts)
            assert doc["announce"]["stage"] == "announce" and "needs" not in doc["announce"]


def test_a_job_graph_over_the_ci_limits_is_refused(tmp_path: Path, capsys) -> None:
    """300 packages: per-package would be 303 GitHub jobs (> 256 a run): refused, naming
    the limit and `--jobs per-level`; per-level (one level: 4 jobs) is written. GitLab
    has no job limit, and its announce job follows the publish stage without `needs:`,
    so 300 jobs are fine there; a job needing more than 50 others is refused."""
    from tests.repos.common import git_init
    from tests.repos.uv import member, uv_workspace

    root = uv_workspace(
        tmp_path / "wide", {f"packages/p{i:03}": member(f"p{i:03}") for i in range(300)}
    )
    git_init(root)
    assert main(["init", str(root)]) == 0
    with pytest.raises(RKError) as err:
        workflow_text(root, "github", "per-package")
    assert (
        err.value.code == "RK-INIT-CI-LIMIT"
        and "at most 256 in a workflow run" in err.value.message
    )
    assert "--jobs per-level" in err.value.fix
    gitlab = yaml.safe_load(workflow_text(root, "gitlab", "per-package"))
    assert len([j for j in gitlab if j.startswith("publish")]) == 300
    assert "at most 50" in over_limit({"p": {"needs": [f"j{i}" for i in range(51)]}}, "gitlab", "")
    capsys.readouterr()
    assert main(["init", str(root), "--ci", "github", "--jobs", "per-package"]) == 2
    out = capsys.readouterr()
    assert "RK-INIT-CI-LIMIT" in out.out + out.err and "303 jobs" in out.out + out.err
    assert "500,000" in over_limit({"jobs": {}}, "github", "x" * 500_001)  # the file size
    assert not (root / ".github/workflows/releasekit.yml").exists()  # nothing written
    assert main(["init", str(root), "--ci", "github", "--jobs", "per-level"]) == 0
    doc = yaml.safe_load((root / ".github/workflows/releasekit.yml").read_text())
    assert len(doc["jobs"]["publish-level-0"]["steps"][-2]["run"].split("'publish:")) == 301
    actionlint(root)


def test_unknown_ci_is_refused(sample: Path) -> None:
    with pytest.raises(RKError) as err:
        workflow_text(sample, "jenkins")
    assert err.value.code == "RK-CONFIG-VALUE"


# --- the job graph, run job by job --------------------------------------------------------


def waves(jobs: dict[str, dict]) -> list[list[str]]:
    """Jobs in an order `needs:` allows: each wave's jobs only need earlier waves."""
    done: set[str] = set()
    result = []
    while len(done) < len(jobs):
        ready = [n for n, j in jobs.items() if n not in done and set(j.get("needs", [])) <= done]
        assert ready, "a cycle in needs"
        result.append(ready)
        done |= set(ready)
    return result


def run_job(name: str, job: dict, remote: str, work: Path, artifacts: Path) -> str:
    """The job on a fresh runner: a fresh clone, downloaded artifacts, its rk-* steps, uploads."""
    clone = work / name
    git(work, "clone", "-q", remote, str(clone))
    output = []
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/download-artifact"):
            target = clone / step["with"]["path"]
            for folder in sorted(artifacts.iterdir()):
                shutil.copytree(folder, target, dirs_exist_ok=True)
        elif step.get("id", "").startswith("rk-"):
            result = subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=clone,
                env={
                    **os.environ,
                    "NPM_TOKEN": "x",
                    "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                },
                capture_output=True,
                text=True,
                timeout=600,
            )
            output.append(result.stdout + result.stderr)
            assert result.returncode == 0, f"job {name} failed:\n{output[-1]}"
        elif uses.startswith("actions/upload-artifact"):
            keep = artifacts / name
            for line in step["with"]["path"].split():
                source = clone / line
                if source.is_dir():
                    shutil.copytree(source, keep / source.relative_to(clone / ".releasekit"))
                elif source.is_file():
                    (keep / source.parent.relative_to(clone / ".releasekit")).mkdir(
                        parents=True, exist_ok=True
                    )
                    shutil.copy2(source, keep / source.relative_to(clone / ".releasekit"))
    return "\n".join(output)


@pytest.mark.parametrize("mode", ["per-level", "per-package"])
def test_spread_publish_runs_job_by_job_in_fresh_clones(
    published: Published, tmp_path: Path, mode: str
) -> None:
    root = published.root
    write_workflow(root, "github", mode)
    git(root, "config", "user.email", "dev@example.test")
    git(root, "config", "user.name", "Dev")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "ci: releasekit workflow")
    git(root, "push", "-q", "origin", "main")
    doc = yaml.safe_load((root / ".github/workflows/releasekit.yml").read_text())
    jobs = {n: j for n, j in doc["jobs"].items() if n.startswith("publish") or n == "announce"}
    for job in jobs.values():
        job["needs"] = [n for n in job["needs"] if n != "release"]  # tagging is not under test
    work, artifacts = tmp_path / "runners", tmp_path / "artifacts"
    work.mkdir()
    artifacts.mkdir()
    outputs: dict[str, str] = {}
    for wave in waves(jobs):
        with ThreadPoolExecutor(max_workers=2) as pool:  # independent jobs at once
            results = pool.map(
                lambda n: (n, run_job(n, jobs[n], published.remote.url, work, artifacts)), wave
            )
            outputs.update(results)
    # Every package reached its registry, each in the job that owns it.
    assert all(published.holds(item) for item in published.expected_uploads())
    receipts = {p.name for p in artifacts.glob("*/receipts/*.json")}
    assert len(receipts) == 9
    assert "no receipt" not in outputs["announce"]
    for name in jobs:
        if name == "announce":
            continue
        assert (artifacts / name / "receipts").is_dir(), f"{name} uploaded no receipts"
