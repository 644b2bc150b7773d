"""``python -m demo``: publish the sample monorepo to local registries, then use it.

Everything happens under ``demo-out/`` (recreated each run); the registries
stop when the demo ends. Pass ``--keep`` to leave the sample repo behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from demo.registries import REPO, bare_git_repo, pypiserver, static_files, verdaccio
from demo.sample import Registries, build_sample

NAMESPACE = "acme"


def step(title: str) -> None:
    print(f"\n\033[1m=== {title}\033[0m", flush=True)


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    print(f"$ {' '.join(cmd)}", flush=True)
    result = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(f"demo: `{' '.join(cmd)}` failed with exit code {result.returncode}")
    return result.stdout


def doit(repo: Path, *args: str) -> None:
    env = {**os.environ, "NPM_TOKEN": "demo-token"}
    print(f"$ doit {' '.join(args)}", flush=True)
    # Not captured: the publish progress streams to the terminal as it happens.
    code = subprocess.call([sys.executable, "-m", "doit", *args], cwd=repo, env=env)
    if code != 0:
        raise SystemExit(f"demo: `doit {' '.join(args)}` failed with exit code {code}")


def use_python(out: Path, simple_url: str) -> str:
    venv = out / "consumer-py"
    run(["uv", "venv", "-q", str(venv)], out)
    python = str(venv / "bin" / "python")
    run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            python,
            "--index-url",
            simple_url,
            f"{NAMESPACE}-cli",
        ],
        out,
    )
    return run(
        [
            python,
            "-c",
            f"import {NAMESPACE}_cli, {NAMESPACE}_core; print({NAMESPACE}_cli.NAME, {NAMESPACE}_core.NAME)",
        ],
        out,
    )


def use_npm(out: Path, registry: str, port: int) -> str:
    consumer = out / "consumer-js"
    consumer.mkdir()
    (consumer / "package.json").write_text(json.dumps({"name": "consumer", "private": True}))
    (consumer / ".npmrc").write_text(f"registry={registry}\n//127.0.0.1:{port}/:_authToken=x\n")
    run(["npm", "install", "--no-audit", "--no-fund", f"@{NAMESPACE}/cli"], consumer)
    return run(["node", "-e", f"console.log(require('@{NAMESPACE}/cli'))"], consumer)


def use_go(out: Path, proxy: str) -> str:
    consumer = out / "consumer-go"
    consumer.mkdir()
    module = f"example.com/{NAMESPACE}/go/cli"
    (consumer / "go.mod").write_text(f"module consumer\n\ngo 1.22\n\nrequire {module} v0.1.0\n")
    (consumer / "main.go").write_text(
        f'package main\n\nimport (\n\t"fmt"\n\n\tcli "{module}"\n)\n\nfunc main() {{ fmt.Println(cli.Name) }}\n'
    )
    env = {
        **os.environ,
        "GOPROXY": proxy,
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "GOWORK": "off",
        "GOPATH": str(out / "gopath"),
        "GOTOOLCHAIN": "local",
    }
    run(["go", "build", "-o", "consumer", "."], consumer, env)
    return run([str(consumer / "consumer")], consumer, env)


def land(repo: Path, path: str, message: str) -> None:
    """Commit a small change to ``path``, as a merged pull request would."""
    with (repo / path).open("a", encoding="utf-8") as f:
        f.write("// changed\n" if path.endswith(".go") else "# changed\n")
    run(["git", "commit", "-q", "-am", message], repo)
    print(f"{message}  ({path})")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m demo")
    parser.add_argument("--jobs", "-n", default="4", help="doit -n for the publish run")
    args = parser.parse_args()
    out = REPO / "demo-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    with contextlib.ExitStack() as stack:
        step("starting local registries")
        pypi_url, _ = stack.enter_context(pypiserver(out / "pypi"))
        npm_url, npm_port, _ = stack.enter_context(verdaccio(out / "npm"))
        goproxy_dir = out / "goproxy"
        goproxy_url = stack.enter_context(static_files(goproxy_dir))
        remote = bare_git_repo(out / "remote.git")
        print(
            f"pypiserver {pypi_url}\nverdaccio  {npm_url}\nGOPROXY    {goproxy_url}\ngit remote {remote}"
        )

        step("building the sample monorepo (uv + pnpm + Go)")
        registries = Registries(pypi_url + "simple/", pypi_url, npm_url, goproxy_url, goproxy_dir)
        repo = build_sample(
            out / NAMESPACE, namespace=NAMESPACE, registries=registries, remote=remote
        )
        print(repo)

        step("what will happen")
        doit(repo, "plan")
        doit(repo, "graph", "--format", "ascii")
        doit(repo, "check")

        step(f"publishing, {args.jobs} in parallel")
        doit(repo, "-n", args.jobs, "publish")

        step("publishing again: nothing left to do")
        doit(repo, "publish")

        step("tagging what was published (the next release counts commits from here)")
        doit(repo, "tag")

        step("a feature lands in acme-core, a fix in the Go core")
        land(
            repo,
            f"py/packages/{NAMESPACE}-core/src/{NAMESPACE}_core/__init__.py",
            "feat(core): add greet() (#7)",
        )
        land(repo, "go/core/core.go", "fix: name the module in errors")

        step("preparing the next release: versions, lockfiles, changelogs, release branch")
        doit(repo, "plan")
        doit(repo, "prepare")
        run(["git", "show", "--stat", "--format=%s%n%n%b", "releasekit/release"], repo)

        step("the Release PR merges: tag it and publish the new versions")
        run(["git", "merge", "-q", "--ff-only", "releasekit/release"], repo)
        run(["git", "push", "-q", "origin", "main"], repo)
        doit(repo, "tag")
        doit(repo, "-n", args.jobs, "publish")

        step("doctor: do the tags, the manifests and the registries agree?")
        doit(repo, "doctor")

        step("Go maintenance: which modules a go-directive run would raise (dry run)")
        doit(repo, "go-directive", "dry_run=1")

        step("installing what was published, with the real clients")
        python_said = use_python(out, pypi_url + "simple/")
        npm_said = use_npm(out, npm_url, npm_port)
        go_said = use_go(out, goproxy_url)

        step("done")
        print(f"uv pip install  → {python_said.strip()}")
        print(f"npm install     → {npm_said.strip()}")
        print(f"go build        → {go_said.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
