"""``python -m releasekit_tasks init --ci github|gitlab``: the release loop as a CI workflow.

GitHub Actions (.github/workflows/releasekit.yml) and GitLab CI
(.gitlab-ci.yml), both with the same jobs:

    release   on every push to the default branch (and a manual `release`): `doit tag`
              — tags and forge releases when the merged Release PR is this commit,
              nothing otherwise; says whether HEAD carries new release tags
    prepare   after it (and a manual `prepare`): `doit prepare` opens or updates
              the Release PR
    publish   when `release` tagged something: `doit publish` (trusted publishing
              where the registry trusts the workflow, the registry tokens otherwise),
              which ends by labelling the PR and sending the dispatches

The manual inputs (seed 000: action, dry_run, force_prepare, group, bump_type,
prerelease, skip_publish, concurrency, max_retries) become doit variables through
``RELEASEKIT_<NAME>`` environment variables. Each job asks for the least
permissions it needs; only the ecosystems the repository has are set up.

``jobs = "per-level"`` or ``"per-package"`` writes the publish stage as a job
graph instead: one job per topological level (or per package) whose ``needs:``
follow the release graph, each running ``doit publish:<id> package=<ids>`` in its
own fresh checkout. The registries carry the state between jobs (a version a
registry holds is not built again), and each job uploads its registry status and
receipts as an artifact; the last job downloads them all and runs ``doit
announce`` (label, dispatches). Worth it for hundreds of packages or slow builds,
where one runner's cores are the bottleneck.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from releasekit_tasks.config import RootConfig, load_root_config
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError

CI_FILES = {"github": ".github/workflows/releasekit.yml", "gitlab": ".gitlab-ci.yml"}
JOB_MODES = ("single", "per-level", "per-package")

# Current majors: all run on Node 24 (actionlint rejects the Node 20 ones).
CHECKOUT = "actions/checkout@v5"
SETUP_PYTHON = "actions/setup-python@v6"
UPLOAD = "actions/upload-artifact@v6"
DOWNLOAD = "actions/download-artifact@v7"
# PEP 740 attestations for `uv publish` (a composite action: no Node runtime).
ATTEST = "astral-sh/attest-action@v0.0.1"

# The CIs' limits on a job graph (docs.github.com/en/actions/reference/limits: "256 jobs
# / workflow run", stated for a matrix; GitHub refuses a run with more jobs of any kind,
# and does not start runs from a workflow file over 500 KB. GitLab: "One job can only
# need 50 others", the default of gitlab.com and of a self-managed instance's
# `ci_max_needs`). No limit on `needs:` fan-in is documented for GitHub.
GITHUB_MAX_JOBS = 256
GITHUB_MAX_BYTES = 500 * 1000
GITLAB_MAX_NEEDS = 50

# Push the release branch and tags; open, edit and label the Release PR.
FORGE_PERMISSIONS = {"contents": "write", "pull-requests": "write", "issues": "write"}

# The seed's manual inputs → the doit variable each one sets (as RELEASEKIT_<NAME>).
INPUTS: dict[str, dict[str, Any]] = {
    "action": {
        "description": "Pipeline stage",
        "type": "choice",
        "options": ["release", "prepare"],
        "default": "release",
    },
    "dry_run": {"description": "Simulate without side effects", "type": "boolean", "default": True},
    "force_prepare": {
        "description": "Release the selected packages even without releasable commits",
        "type": "boolean",
        "default": False,
    },
    "group": {
        "description": "Only this release group (empty: all)",
        "type": "string",
        "default": "",
    },
    "bump_type": {
        "description": "Override the bump",
        "type": "choice",
        "options": ["auto", "patch", "minor", "major"],
        "default": "auto",
    },
    "prerelease": {
        "description": "Prerelease identifier (e.g. rc)",
        "type": "string",
        "default": "",
    },
    "skip_publish": {
        "description": "Tag and release, but do not publish",
        "type": "boolean",
        "default": False,
    },
    "concurrency": {
        "description": "Parallel doit tasks (0: one per core)",
        "type": "string",
        "default": "0",
    },
    "max_retries": {
        "description": "Retries of registry requests",
        "type": "string",
        "default": "5",
    },
}
GITHUB_ENV = {
    "RELEASEKIT_DRY_RUN": "${{ inputs.dry_run && '1' || '0' }}",
    "RELEASEKIT_FORCE": "${{ inputs.force_prepare && '1' || '0' }}",
    "RELEASEKIT_GROUP": "${{ inputs.group }}",
    "RELEASEKIT_BUMP": "${{ inputs.bump_type || 'auto' }}",
    "RELEASEKIT_PRERELEASE": "${{ inputs.prerelease }}",
    "RELEASEKIT_RETRIES": "${{ inputs.max_retries || '5' }}",
    "RK_CONCURRENCY": "${{ inputs.concurrency || '0' }}",
}
BOT = (
    'git config user.name "github-actions[bot]"\n'
    'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"\n'
)
# Released: this run made tags (the merged Release PR's), or HEAD carries release tags
# (a rerun after the tags were pushed but the publish failed).
TAG_SCRIPT = (
    'before="$(git tag | wc -l)"\n'
    "doit tag\n"
    'if [ "$(git tag | wc -l)" != "$before" ] || [ -n "$(git tag --points-at HEAD)" ]; '
    "then released=true; else released=false; fi\n"
)
JOBS_FLAG = 'n="${RK_CONCURRENCY:-0}"; [ "$n" = 0 ] && n="$(nproc)"\n'


# --- what the repository has ---------------------------------------------------------


def _kinds(config: RootConfig) -> list[str]:
    return sorted({eco.kind for eco in config.ecosystems.values()})


def _tokens(config: RootConfig, kinds: set[str] | None = None) -> dict[str, str]:
    """The registry tokens' environment variables and the secrets that fill them."""
    env: dict[str, str] = {}
    for eco in config.ecosystems.values():
        if kinds is not None and eco.kind not in kinds:
            continue
        kind = get_ecosystem(eco.kind)
        var = eco.token_env or kind.default_token_env
        secret = eco.token_env or kind.token_secret
        if var and secret:
            env[var] = _secret(secret)
    return env


def _secret(name: str) -> str:
    return "${{ secrets." + name + " }}"


def publish_jobs(root: Path, mode: str) -> list[tuple[str, list[str], list[str], str]]:
    """(job name, package ids, needed job names, ecosystems) for a spread-out publish."""
    from releasekit_tasks.graph import assert_valid, build_graph, levels
    from releasekit_tasks.workspace import collect

    workspace = collect(root)
    graph = build_graph(workspace.packages.values())
    assert_valid(graph)
    publishable = {pid for pid, p in graph.nodes.items() if p.publishable and p.version}
    order = [pid for level in levels(graph) for pid in level if pid in publishable]
    kind = {pid: graph.nodes[pid].ecosystem for pid in order}
    if mode == "per-level":
        jobs: list[tuple[str, list[str], list[str], str]] = []
        for n, level in enumerate(levels(graph)):
            ids = [pid for pid in level if pid in publishable]
            if ids:
                needs = [jobs[-1][0]] if jobs else []
                jobs.append(
                    (f"publish-level-{n}", ids, needs, ",".join(sorted({kind[p] for p in ids})))
                )
        return jobs
    names: dict[str, str] = {}
    for pid in order:
        name = "publish-" + re.sub(r"[^A-Za-z0-9_-]+", "-", pid).strip("-").lower()
        while name in names.values():
            name += "-x"
        names[pid] = name
    return [
        (names[pid], [pid], [names[d] for d in graph.deps[pid] if d in names], kind[pid])
        for pid in order
    ]


# --- GitHub Actions --------------------------------------------------------------------


def _setup(kinds: list[str] | set[str], install: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"uses": SETUP_PYTHON, "with": {"python-version": "3.12"}}]
    tools = [install]
    for kind in sorted(kinds):
        steps += get_ecosystem(kind).github_setup
        tools += get_ecosystem(kind).pip_tools
    steps.append({"run": f"python -m pip install {' '.join(tools)}"})
    return steps


def _checkout() -> dict[str, Any]:
    # All history and tags: the commits since each package's last tag decide its version.
    return {"uses": CHECKOUT, "with": {"fetch-depth": 0}}


def _attest_steps(config: RootConfig, kinds: set[str]) -> list[dict[str, Any]]:
    """Sign the built files of ecosystems whose registry takes PEP 740 attestations.

    Only with trusted publishing (PyPI accepts attestations from a trusted publisher,
    not with a token: the step is skipped while the token secret is set) and never in a
    dry run (a signature is a permanent entry in Sigstore's public log).
    """
    if config.trusted_publishing == "never":
        return []
    steps = []
    for kind in sorted(kinds):
        ecosystem = get_ecosystem(kind)
        if not ecosystem.attestation_globs:
            continue
        tokens = sorted(_tokens(config, {kind}))
        unset = " && ".join(f"env.{var} == ''" for var in tokens)
        steps.append(
            {
                "if": f"{unset} && !inputs.dry_run" if unset else "!inputs.dry_run",
                "uses": ATTEST,
                "with": {
                    "paths": "".join(
                        f".releasekit/dist/*/{glob}\n" for glob in ecosystem.attestation_globs
                    )
                },
            }
        )
    return steps


def _publish_steps(
    ids: list[str] | None, attest: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Publish ``ids`` (all: ``None``); with ``attest`` steps, build first and sign in between
    (the publish then finds the build up to date, the attestations next to the files)."""
    selection = "" if ids is None else f" 'package={','.join(ids)}'"
    build = "build" if ids is None else " ".join(f"'build:{pid}'" for pid in ids)
    publish = "publish" if ids is None else " ".join(f"'publish:{pid}'" for pid in ids)
    steps: list[dict[str, Any]] = []
    if attest:
        steps += [{"id": "rk-build", "run": f'{JOBS_FLAG}doit -n "$n" {build}{selection}'}]
        steps += attest
    return [
        *steps,
        {"id": "rk-publish", "run": f'{JOBS_FLAG}doit -n "$n" {publish}{selection}'},
        {
            "if": "always()",
            "uses": UPLOAD,
            "with": {
                "name": "releasekit-${{ github.job }}",
                "path": ".releasekit/registry-status.json\n.releasekit/receipts/\n",
                "if-no-files-found": "ignore",
                "include-hidden-files": True,
            },
        },
    ]


def default_branch(root: Path) -> str:
    """The branch releases are made from: origin's HEAD, else the current branch, else main."""
    from releasekit_tasks.vcs import git

    for args in (
        ("symbolic-ref", "--short", "refs/remotes/origin/HEAD"),
        ("branch", "--show-current"),
    ):
        name = git(root, *args, check=False).strip().removeprefix("origin/")
        if name and name != "HEAD":
            return name
    return "main"


def github_workflow(
    config: RootConfig, mode: str = "single", install: str = "releasekit-tasks"
) -> dict:
    kinds = _kinds(config)
    forge_token = {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    released = "needs.release.outputs.released == 'true' && !inputs.skip_publish"
    jobs: dict[str, Any] = {
        "release": {
            "if": "github.event_name == 'push' || inputs.action == 'release'",
            "runs-on": "ubuntu-latest",
            "permissions": FORGE_PERMISSIONS,
            "outputs": {"released": "${{ steps.rk-tag.outputs.released }}"},
            "steps": [
                _checkout(),
                *_setup([], install),
                {"run": BOT},
                {
                    "id": "rk-tag",
                    "env": forge_token,
                    "run": TAG_SCRIPT + 'echo "released=$released" >> "$GITHUB_OUTPUT"\n',
                },
            ],
        },
        "prepare": {
            "needs": ["release"],
            "if": "!cancelled() && !failure() && (github.event_name == 'push' || inputs.action == 'prepare')",
            "runs-on": "ubuntu-latest",
            "permissions": FORGE_PERMISSIONS,
            # A newer push supersedes a running prepare: it leaves nothing behind.
            "concurrency": {
                "group": "releasekit-prepare-${{ github.ref }}",
                "cancel-in-progress": True,
            },
            "steps": [
                _checkout(),
                *_setup(kinds, install),
                {"run": BOT},
                {"id": "rk-prepare", "env": forge_token, "run": "doit prepare\n"},
            ],
        },
    }
    publish_permissions = {
        "contents": "write",  # Go tags
        "pull-requests": "write",  # the published label
        "issues": "write",  # labels are issue labels
        "id-token": "write",  # trusted publishing / provenance
    }
    publish_env = {
        **_tokens(config),
        # repository_dispatch to other repositories needs a token that reaches them.
        "GITHUB_TOKEN": "${{ secrets.RELEASEKIT_DISPATCH_TOKEN || secrets.GITHUB_TOKEN }}",
    }
    if mode == "single":
        jobs["publish"] = {
            "needs": ["release"],
            "if": released,
            "runs-on": "ubuntu-latest",
            "permissions": publish_permissions,
            "concurrency": {"group": "releasekit-publish", "cancel-in-progress": False},
            "env": publish_env,
            "steps": [
                _checkout(),
                *_setup(kinds, install),
                *_publish_steps(None, _attest_steps(config, set(kinds))),
            ],
        }
    else:
        spread = publish_jobs(config.root, mode)
        for name, ids, needs, job_kinds in spread:
            kinds_here = set(job_kinds.split(","))
            jobs[name] = {
                "needs": ["release", *needs],
                "if": released,
                "runs-on": "ubuntu-latest",
                "permissions": {"contents": "write", "id-token": "write"},
                **({"env": env} if (env := _tokens(config, kinds_here)) else {}),
                "steps": [
                    _checkout(),
                    *_setup(sorted(kinds_here), install),
                    *_publish_steps(ids, _attest_steps(config, kinds_here)),
                ],
            }
        jobs["announce"] = {
            "needs": ["release", *(name for name, *_ in spread)],
            "if": released,
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "pull-requests": "write", "issues": "write"},
            "env": {"GITHUB_TOKEN": publish_env["GITHUB_TOKEN"]},
            "steps": [
                _checkout(),
                *_setup([], install),
                {
                    "uses": DOWNLOAD,
                    "with": {
                        "pattern": "releasekit-*",
                        "path": ".releasekit",
                        "merge-multiple": True,
                    },
                },
                {"id": "rk-announce", "run": "doit announce\n"},
            ],
        }
    return {
        "name": "releasekit",
        "on": {
            "push": {"branches": [default_branch(config.root)]},
            "workflow_dispatch": {"inputs": INPUTS},
        },
        "permissions": {},  # each job asks for what it needs
        "concurrency": {"group": "releasekit-${{ github.ref }}", "cancel-in-progress": False},
        "env": GITHUB_ENV,
        "jobs": jobs,
    }


# --- GitLab CI ---------------------------------------------------------------------------

GITLAB_VARIABLES = {
    "RK_ACTION": {
        "value": "release",
        "options": ["release", "prepare"],
        "description": "Pipeline stage",
    },
    "RELEASEKIT_DRY_RUN": {
        "value": "0",
        "options": ["0", "1"],
        "description": "Simulate without side effects",
    },
    "RELEASEKIT_FORCE": {
        "value": "0",
        "options": ["0", "1"],
        "description": "Force a release without releasable commits",
    },
    "RELEASEKIT_GROUP": {"value": "", "description": "Only this release group (empty: all)"},
    "RELEASEKIT_BUMP": {
        "value": "auto",
        "options": ["auto", "patch", "minor", "major"],
        "description": "Override the bump",
    },
    "RELEASEKIT_PRERELEASE": {"value": "", "description": "Prerelease identifier (e.g. rc)"},
    "RK_SKIP_PUBLISH": {
        "value": "0",
        "options": ["0", "1"],
        "description": "Tag and release, but do not publish",
    },
    "RK_CONCURRENCY": {"value": "0", "description": "Parallel doit tasks (0: one per core)"},
    "RELEASEKIT_RETRIES": {"value": "5", "description": "Retries of registry requests"},
}


RELEASE_RULE = '$RK_ACTION == "release" || $CI_PIPELINE_SOURCE == "push"'
PREPARE_RULE = '$RK_ACTION == "prepare" || $CI_PIPELINE_SOURCE == "push"'


def _gitlab_setup(kinds: list[str] | set[str], install: str) -> list[str]:
    lines = [
        "git config user.name releasekit",
        "git config user.email releasekit@noreply.gitlab.com",
    ]
    tools = [install]
    for kind in sorted(kinds):
        lines += get_ecosystem(kind).gitlab_setup
        tools += get_ecosystem(kind).pip_tools
    lines.append(f"python -m pip install {' '.join(tools)}")
    return lines


def gitlab_ci(config: RootConfig, mode: str = "single", install: str = "releasekit-tasks") -> dict:
    kinds = _kinds(config)
    image = "python:3.12"
    on_main = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    manual = '$CI_PIPELINE_SOURCE == "web"'
    doc: dict[str, Any] = {
        "stages": ["release", "prepare", "publish", "announce"],
        # GIT_DEPTH 0: all history and tags
        "variables": {**GITLAB_VARIABLES, "GIT_DEPTH": "0", "RK_GO_VERSION": "1.25.0"},
        "workflow": {"rules": [{"if": f"{on_main} || {manual}"}]},
    }
    tool_image = "python:3.12"
    if any(get_ecosystem(kind).gitlab_needs_node for kind in kinds):
        tool_image = "nikolaik/python-nodejs:python3.12-nodejs24"
    doc["release"] = {
        "stage": "release",
        "image": image,
        "rules": [{"if": RELEASE_RULE}],
        "script": [
            *_gitlab_setup([], install),
            TAG_SCRIPT + 'echo "RK_RELEASED=$released" > release.env\n',
        ],
        "artifacts": {"reports": {"dotenv": "release.env"}},
    }
    doc["prepare"] = {
        "stage": "prepare",
        "image": tool_image,
        "needs": [{"job": "release", "optional": True}],
        "rules": [{"if": PREPARE_RULE}],
        "interruptible": True,
        "script": [
            *_gitlab_setup(kinds, install),
            "doit prepare",
        ],
    }
    publish_base = {
        "image": tool_image,
        # Trusted publishing: PyPI exchanges this OIDC token for an upload token.
        "id_tokens": {"PYPI_ID_TOKEN": {"aud": "pypi"}},
        "resource_group": "releasekit-publish",
    }
    guard = 'if [ "$RK_RELEASED" != true ] || [ "$RK_SKIP_PUBLISH" = 1 ]; then echo "nothing released"; exit 0; fi'
    if mode == "single":
        doc["publish"] = {
            **publish_base,
            "stage": "publish",
            "needs": ["release"],
            "rules": [{"if": RELEASE_RULE}],
            "script": [
                guard,
                *_gitlab_setup(kinds, install),
                JOBS_FLAG.strip(),
                'doit -n "$n" publish',
            ],
            "artifacts": {
                "when": "always",
                "paths": [".releasekit/registry-status.json", ".releasekit/receipts/"],
            },
        }
        return doc
    spread = publish_jobs(config.root, mode)
    for name, ids, needs, job_kinds in spread:
        kinds_here = set(job_kinds.split(","))
        targets = " ".join(f"'publish:{pid}'" for pid in ids)
        doc[name] = {
            **publish_base,
            "stage": "publish",
            "needs": ["release", *needs],
            "rules": [{"if": RELEASE_RULE}],
            "script": [
                guard,
                *_gitlab_setup(kinds_here, install),
                JOBS_FLAG.strip(),
                f"doit -n \"$n\" {targets} 'package={','.join(ids)}'",
            ],
            "artifacts": {
                "when": "always",
                "paths": [".releasekit/registry-status.json", ".releasekit/receipts/"],
            },
        }
    # No `needs:` here: a job without it waits for every job of the earlier stages and
    # downloads their artifacts (the receipts). Listing the publish jobs would stop at
    # GitLab's 50 needs a job: 49 packages in per-package mode.
    doc["announce"] = {
        "stage": "announce",
        "image": image,
        "rules": [{"if": RELEASE_RULE}],
        "script": [guard, *_gitlab_setup([], install), "doit announce"],
    }
    return doc


# --- writing -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &id001 anchors: CI files are read by people


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render(doc: dict, ci: str, mode: str) -> str:
    header = (
        f"# Written by `python -m releasekit_tasks init --ci {ci}"
        + (f" --jobs {mode}" if mode != "single" else "")
        + "`: the release loop (tag → prepare → publish).\n"
        "# Regenerate it after adding an ecosystem (or packages, with --jobs). Settings: README, CI.\n"
    )
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    # PyYAML writes the key `on` quoted ('on':): GitHub reads both, people write it bare.
    return header + text.replace("'on':", "on:", 1)


def workflow_text(
    root: Path, ci: str, mode: str = "single", install: str = "releasekit-tasks"
) -> str:
    if ci not in CI_FILES:
        raise RKError("RK-CONFIG-VALUE", f"--ci {ci}: allowed: {', '.join(CI_FILES)}")
    if mode not in JOB_MODES:
        raise RKError("RK-CONFIG-VALUE", f"--jobs {mode}: allowed: {', '.join(JOB_MODES)}")
    config = load_root_config(root)
    builder = github_workflow if ci == "github" else gitlab_ci
    doc = builder(config, mode, install)
    text = render(doc, ci, mode)
    if over := over_limit(doc, ci, text):
        smaller = JOB_MODES[JOB_MODES.index(mode) - 1] if mode != "single" else ""
        raise RKError(
            "RK-INIT-CI-LIMIT",
            f"--jobs {mode}: {over}",
            path=root / CI_FILES[ci],
            fix=f"use `--jobs {smaller}`: fewer, larger jobs"
            if smaller
            else "split the release into groups, one workflow each",
        )
    return text


def over_limit(doc: dict, ci: str, text: str) -> str:
    """What in the CI file breaks a limit of its CI (see GITHUB_MAX_JOBS), or ``""``."""
    if ci == "github":
        jobs = len(doc["jobs"])
        if jobs > GITHUB_MAX_JOBS:
            return f"{jobs} jobs; GitHub Actions runs at most {GITHUB_MAX_JOBS} in a workflow run"
        size = len(text.encode())
        if size > GITHUB_MAX_BYTES:
            return (
                f"a workflow file of {size:,} bytes; GitHub Actions starts no run from a "
                f"file over {GITHUB_MAX_BYTES:,}"
            )
        return ""
    for name, job in doc.items():
        needs = job.get("needs", []) if isinstance(job, dict) else []
        if len(needs) > GITLAB_MAX_NEEDS:
            return (
                f"job {name} needs {len(needs)} others; GitLab lets one job need at most "
                f"{GITLAB_MAX_NEEDS}"
            )
    return ""


def write_workflow(
    root: Path,
    ci: str,
    mode: str = "single",
    *,
    force: bool = False,
    dry_run: bool = False,
    install: str = "releasekit-tasks",
) -> list[str]:
    """Write the CI file; one line per file saying what happened (as ``init`` does)."""
    root = root.resolve()
    text = workflow_text(root, ci, mode, install)
    path = root / CI_FILES[ci]
    name = CI_FILES[ci]
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return [f"unchanged {name}"]
    if path.exists() and not force:
        raise RKError(
            "RK-INIT-EXISTS",
            f"{name} already exists with other content",
            path=path,
            fix="pass --force to overwrite it",
        )
    report = [f"{'would ' if dry_run else ''}{'overwrite' if path.exists() else 'write'} {name}"]
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    forge = load_root_config(root).forge
    if forge != ci:
        report.append(
            f'note: set forge = "{ci}" in releasekit.toml for the Release PR and releases'
        )
    return report
