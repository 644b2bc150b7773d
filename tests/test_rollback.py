"""`doit rollback` with real registries: pypiserver removal, npm deprecate (verdaccio),
Go retract released as the next patch — then fresh installs resolve the previous version
and `go get` skips the retracted one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.publishing import Published, doit


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def _release(root: Path, ids: list[str], *extra: str) -> None:
    """Version, bump, commit, tag and publish the given packages (the release loop)."""
    selected = f"package={','.join(ids)}"
    doit(root, "version", selected, *extra)
    doit(root, "bump", selected, *extra)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore(release): test release")
    doit(root, "tag", selected)
    doit(root, "publish", selected)


def _plan(root: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(doit(root, "plan", "--format", "json").stdout)}


def test_rollback_in_every_ecosystem(published: Published, tmp_path: Path) -> None:
    root, ns = published.root, published.ns
    py, js, go = (published.release_id(e, "core") for e in ("py", "js", "go"))
    module = go.removeprefix("go/")
    ids = [py, js, go]
    doit(root, "tag", f"package={','.join(ids)}")
    doit(root, "publish", f"package={','.join(ids)}")  # 0.3.0 everywhere
    for folder in ("py/packages/{ns}-core", "js/packages/core", "go/core"):
        (root / folder.format(ns=ns) / "NEW.md").write_text("a new feature\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "feat(core): the feature that breaks")
    _release(root, ids)  # the bad 0.4.0
    remote = published.remote.path
    assert {f"{ns}-core-v0.4.0", f"@{ns}/core-v0.4.0", "go/core/v0.4.0"} <= set(
        git(remote, "tag", "--list").split()
    )

    # A dry run says everything and changes nothing.
    head = git(root, "rev-parse", "HEAD")
    dry = doit(root, "rollback", f"package={','.join(ids)}", "reason=broken build", "dry_run=1")
    assert f"would remove {ns}-core 0.4.0" in dry.stdout
    assert f"would run npm deprecate @{ns}/core@0.4.0 'broken build'" in dry.stdout
    assert "would add `retract v0.4.0 // broken build` to go/core/go.mod" in dry.stdout
    assert f"would delete tag {ns}-core-v0.4.0" in dry.stdout
    assert git(root, "rev-parse", "HEAD") == head
    assert not git(root, "status", "--porcelain")
    assert f"{ns}-core-v0.4.0" in git(remote, "tag", "--list").split()

    out = doit(root, "rollback", f"package={','.join(ids)}", "reason=broken build").stdout
    tags = git(remote, "tag", "--list").split()
    # pypiserver lost 0.4.0: its tag goes; npm and Go still serve theirs: the tags stay.
    assert f"{ns}-core-v0.4.0" not in tags, out
    assert f"{ns}-core-v0.4.0" not in git(root, "tag").split()
    assert f"@{ns}/core-v0.4.0" in tags and "go/core/v0.4.0" in tags
    assert f"keep tag @{ns}/core-v0.4.0" in out
    assert "fix: roll back" in git(root, "log", "-1", "--format=%s")
    assert (root / "go/core/go.mod").read_text().endswith("\nretract v0.4.0 // broken build\n")

    # Python: a fresh install resolves the previous version.
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", str(venv)], check=True)
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--no-cache",
            "--index-url",
            published.pypi.simple_url,
            f"{ns}-core",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    frozen = subprocess.run(
        ["uv", "pip", "freeze"], check=True, env=env, capture_output=True, text=True
    ).stdout
    assert f"{ns}-core==0.3.0" in frozen

    # npm: latest went back to 0.3.0; installing 0.4.0 explicitly prints the deprecation.
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true}\n')
    npm_env = {**os.environ, "npm_config_cache": str(tmp_path / "npm-cache")}
    registry = ["--registry", published.npm.url, "--no-audit", "--no-fund"]
    subprocess.run(
        ["npm", "install", f"@{ns}/core", *registry],
        cwd=app,
        check=True,
        env=npm_env,
        capture_output=True,
        text=True,
    )
    installed = json.loads((app / f"node_modules/@{ns}/core/package.json").read_text())
    assert installed["version"] == "0.3.0"
    bad = subprocess.run(
        ["npm", "install", f"@{ns}/core@0.4.0", *registry],
        cwd=app,
        env=npm_env,
        capture_output=True,
        text=True,
    )
    assert "deprecated" in bad.stdout + bad.stderr and "broken build" in bad.stdout + bad.stderr

    # The plan shows them due again. Python: its tag is gone, so the feature counts again
    # and is released under a new version (an index never takes a file name twice);
    # Go: the retraction is a fix, released as the next patch.
    rows = _plan(root)
    assert rows[py]["next"] == "0.5.0" and rows[py]["why"].startswith("feature "), rows[py]
    assert rows[go]["next"] == "v0.4.1" and rows[go]["why"].startswith("fix "), rows[go]
    assert rows[js]["next"] is None  # deprecated, still served and tagged

    # Go: releasing the patch carries the retraction; go skips v0.4.0 from then on.
    _release(root, [go])
    gopath = tmp_path / "gopath"
    go_env = {
        **os.environ,
        "GOPROXY": published.goproxy.url,
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(gopath),
        "GOMODCACHE": str(gopath / "mod"),
    }
    listed = subprocess.run(
        ["go", "list", "-m", "-versions", f"{module}"],
        cwd=tmp_path,
        env=go_env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[1:] == ["v0.3.0", "v0.4.1"]
    everything = subprocess.run(
        ["go", "list", "-m", "-retracted", "-versions", module],
        cwd=tmp_path,
        env=go_env,
        capture_output=True,
        text=True,
    )
    assert "v0.4.0" in everything.stdout.split()
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    (consumer / "go.mod").write_text("module example.com/consumer\n\ngo 1.22\n")
    got = subprocess.run(
        ["go", "get", f"{module}@latest"], cwd=consumer, env=go_env, capture_output=True, text=True
    )
    assert got.returncode == 0, got.stderr
    assert f"{module} v0.4.1" in (consumer / "go.mod").read_text()
    warned = subprocess.run(
        ["go", "get", f"{module}@v0.4.0"], cwd=consumer, env=go_env, capture_output=True, text=True
    )
    assert "retracted" in warned.stderr and "broken build" in warned.stderr


def test_rollback_needs_a_selection_and_refuses_unknown_packages(published: Published) -> None:
    result = doit(published.root, "rollback", check=False)
    assert result.returncode == 1 and "RK-CONFIG-VALUE" in result.stdout + result.stderr
    result = doit(published.root, "rollback", "package=py/nope", check=False)
    assert "no such package" in result.stdout + result.stderr


def test_umbrella_rollback_of_a_synchronized_go_release(tmp_path: Path) -> None:
    """umbrella=<tag>: every package released under it, and the umbrella tag itself."""
    from releasekit_tasks.ecosystems.go.modzip import create_module_zip
    from releasekit_tasks.ecosystems.go.proxy_tree import write_version

    tree = tmp_path / "proxy"
    repo = tmp_path / "repo"
    for name in ("a", "b"):
        folder = repo / "go" / name
        folder.mkdir(parents=True)
        (folder / "go.mod").write_text(f"module example.com/m/go/{name}\n\ngo 1.22\n")
        (folder / f"{name}.go").write_text(f"package {name}\n")
    (repo / "releasekit.toml").write_text(
        'synchronize = true\n\n[ecosystems.go]\nkind = "go"\nworkspace_root = "go"\n'
        f'registry = "{tree.as_uri()}"\n'
    )
    (repo / "dodo.py").write_text("from releasekit_tasks import *\n")
    (repo / ".gitignore").write_text(".releasekit/\n")
    (repo / ".releasekit-versions.json").write_text('{"go/a": "v0.2.0", "go/b": "v0.2.0"}\n')
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "-c", "user.email=t@e", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "feat: a and b")
    for tag in ("go/a/v0.2.0", "go/b/v0.2.0", "v0.2.0"):
        git(repo, "tag", tag)
    # Only module a reached the proxy.
    made = create_module_zip(repo / "go/a", "example.com/m/go/a", "v0.2.0", tmp_path / "a.zip")
    write_version(
        tree, "example.com/m/go/a", "v0.2.0", made.path, made.gomod, "2026-01-01T00:00:00Z"
    )

    dry = doit(repo, "rollback", "umbrella=v0.2.0", "dry_run=1", "push=0").stdout
    assert "rollback go/example.com/m/go/a v0.2.0" in dry
    assert "rollback go/example.com/m/go/b v0.2.0" in dry
    assert "would delete tag v0.2.0" in dry

    env_commit = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    done = subprocess.run(
        [sys.executable, "-m", "doit", "rollback", "umbrella=v0.2.0", "reason=bad", "push=0"],
        cwd=repo,
        env=env_commit,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    tags = git(repo, "tag").split()
    assert "go/a/v0.2.0" in tags  # the proxy serves it: the tag stays
    assert "go/b/v0.2.0" not in tags and "v0.2.0" not in tags  # nobody serves b
    for name in ("a", "b"):
        assert (repo / "go" / name / "go.mod").read_text().endswith("retract v0.2.0 // bad\n")
    assert git(repo, "log", "-1", "--format=%s").startswith("fix: roll back")
    bad = doit(repo, "rollback", "umbrella=v9.9.9", check=False)
    assert bad.returncode == 1 and "no such tag" in bad.stdout + bad.stderr


def test_rollback_selects_by_listed_groups_and_per_ecosystem_umbrella_tags(
    tmp_path: Path,
) -> None:
    """group= counts `[ecosystems.<label>.groups]` too, and umbrella= reads each
    ecosystem's own umbrella_tag (a `{label}` template): only that ecosystem's packages."""
    from releasekit_tasks.graph import build_graph
    from releasekit_tasks.recovery.rollback import _select
    from releasekit_tasks.workspace import collect
    from tests.repos.common import git_init, write
    from tests.repos.pnpm import manifest, pnpm_workspace

    for label in ("js", "web"):
        pnpm_workspace(
            tmp_path / label,
            {f"packages/{n}": manifest(f"{label}-{n}", "1.0.0") for n in ("a", "b")},
        )
    write(
        tmp_path / "releasekit.toml",
        'tag_format = "{name}@{version}"\nsynchronize = true\n'
        'umbrella_tag = "{label}/v{version}"\n\n'
        '[ecosystems.js]\nkind = "pnpm"\nworkspace_root = "js"\n\n'
        '[ecosystems.js.groups]\ncore = ["js-a"]\n\n'
        '[ecosystems.web]\nkind = "pnpm"\nworkspace_root = "web"\n',
    )
    git_init(tmp_path)
    for tag in ("js-a@1.0.0", "js-b@1.0.0", "web-a@1.0.0", "web-b@1.0.0", "js/v1.0.0"):
        git(tmp_path, "tag", tag)
    workspace = collect(tmp_path)
    graph = build_graph(workspace.packages.values())
    values = {"package": [], "group": [], "umbrella": "", "version": ""}

    targets, _ = _select(workspace, graph, {**values, "group": ["core"]})
    assert [t.pid for t in targets] == ["js/js-a"]
    targets, extra = _select(workspace, graph, {**values, "umbrella": "js/v1.0.0"})
    assert sorted(t.pid for t in targets) == ["js/js-a", "js/js-b"]
    assert {t.version for t in targets} == {"1.0.0"} and extra == ["js/v1.0.0"]
