"""The publish stage as doit tasks.

For every publishable package P at version V in the selection:

    query                  ask every registry, once and concurrently, what it holds
    preflight              tools, clean tree, credentials, registries, tags (for what is due)
    build:P     ← query    artifacts under .releasekit/dist/ (target: artifacts.json)
    upload:P    ← build:P, preflight, verify:D for each internal dependency D
    verify:P    ← upload:P poll the registry, compare checksums (target: receipt)
    publish:P   ← verify:P

Options are doit command-line variables, read when tasks are created:
``doit publish dry_run=1 group=core package=py/acme-core ecosystem=js
registry_<label>=URL upload_url_<label>=URL poll_timeout=300 retries=5
poll_concurrency=16``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from releasekit_tasks import options
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import Graph, Selection, assert_valid, build_graph, select
from releasekit_tasks.publish import actions, trusted
from releasekit_tasks.publish.release import Release
from releasekit_tasks.publish.stage import staged_path
from releasekit_tasks.tagformat import tag_format, toplevel
from releasekit_tasks.tasks.loading import repo_root
from releasekit_tasks.vcs import git, repo_toplevel
from releasekit_tasks.workspace import Workspace, collect_cached, gc_paused

T = TypeVar("T")

READ_ONLY_COMMANDS = {
    "list",
    "info",
    "help",
    "dumpdb",
    "forget",
    "ignore",
    "reset-dep",
    "strace",
    "tabcompletion",
    "clean",
}


def option(name: str, default: str = "") -> str:
    """A doit command-line variable (``name=value``), else RELEASEKIT_<NAME>, else default."""
    from doit import get_var

    value = get_var(name, None)
    if value is None:
        value = os.environ.get(f"RELEASEKIT_{name.upper()}", default)
    return str(value)


_listed = options.listed


def doit_command(argv: list[str]) -> str:
    """The doit sub-command of this process ("run" when none is named)."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    return args[0] if args and args[0] in READ_ONLY_COMMANDS | {"run"} else "run"


@dataclass(frozen=True)
class ReleaseSet:
    releases: dict[str, Release]  # by package id, for the selected publishable packages
    deps: dict[str, list[str]]  # internal dependency ids that are released too
    # (kind, workspace folder) by label, for the install:<label> tasks builds wait for.
    installs: dict[str, tuple[str, str]]
    # A broken workspace (bad config, cycle …) stops publishing, but must not
    # stop `doit check`, `doit explain` or `doit list`: the error is kept here
    # and raised by the publish tasks when they run.
    error: str = ""


@functools.cache
def release_set(root: Path) -> ReleaseSet:
    with gc_paused():
        return _release_set(root)


def _release_set(root: Path) -> ReleaseSet:
    try:
        workspace = collect_cached(root)
        graph = build_graph(workspace.packages.values())
        assert_valid(graph)
        selection = Selection(_listed("group"), _listed("package"), _listed("ecosystem"))
        chosen, pulled = select(graph, selection)
    except RKError as err:
        return ReleaseSet({}, {}, {}, err.render())
    # What the ecosystems' tools would refuse halfway through a publish is refused
    # now, before anything is built: the errors `doit check` reports, for the selection.
    # `doit list`, `info` … run nothing, so they skip the checks (a tenth of their time).
    if doit_command(sys.argv) == "run":
        from releasekit_tasks.checks import run_checks

        blocking = [
            f
            for f in run_checks(graph, root)
            if f.severity == "error" and (f.package in chosen | pulled or not f.package)
        ]
        if blocking:
            return ReleaseSet({}, {}, {}, "\n".join(f.render() for f in blocking))
    selected = chosen | pulled
    wanted = [
        pid
        for pid in graph.nodes
        if pid in selected
        and graph.nodes[pid].publishable
        and graph.nodes[pid].version
        and not graph.nodes[pid].no_publish  # exclude_publish: versioned, never uploaded
    ]
    run = run_options(workspace)
    releases = {pid: make_release(workspace, graph, pid, run) for pid in wanted}
    # A release unit's members are released together: none waits for another.
    deps = {
        pid: [d for d in graph.deps[pid] if d in releases and not graph.same_unit(pid, d)]
        for pid in releases
    }
    labels = {r.id.split("/", 1)[0] for r in releases.values()}
    installs = {
        label: (eco.kind, str(eco.workspace_root))
        for label, eco in workspace.config.ecosystems.items()
        if label in labels and get_ecosystem(eco.kind).install_step(eco.workspace_root)
    }
    return ReleaseSet(releases, deps, installs)


def _raise_as_dodo_error(func: Callable[..., T], *args: Any) -> T:
    from doit.exceptions import InvalidDodoFile

    try:
        return func(*args)
    except RKError as err:
        raise InvalidDodoFile(err.render()) from None


@dataclass(frozen=True)
class RunOptions:
    """The options of this run that every release carries (read once, not per package)."""

    dry_run: bool
    poll_timeout: float
    retries: int
    trusted_publishing: str


def run_options(workspace: Workspace) -> RunOptions:
    return RunOptions(
        dry_run=options.flag("dry_run"),
        poll_timeout=options.seconds("poll_timeout"),
        retries=options.integer("retries"),
        trusted_publishing=trusted.mode(
            option("trusted_publishing", workspace.config.trusted_publishing)
        ),
    )


@functools.cache
def _label_option(name: str) -> str | None:
    """``registry_<label>``-style options: None when not given."""
    value = option(name, "\0")
    return None if value == "\0" else value


def make_release(
    workspace: Workspace, graph: Graph, pid: str, run: RunOptions | None = None
) -> Release:
    """The plain-data release of ``pid``; ``run`` (this run's options) is read when not given."""
    run = run or run_options(workspace)
    package = graph.nodes[pid]
    eco = workspace.config.ecosystems[package.label]
    ecosystem = get_ecosystem(package.ecosystem)
    registry = _label_option(f"registry_{package.label}")
    if registry is None:
        registry = package.registry
    upload_url = _label_option(f"upload_url_{package.label}")
    if upload_url is None:
        upload_url = eco.upload_url or ""
    sumdb = _label_option(f"sumdb_{package.label}")
    # Soft edges (extras, peer/optional deps) are pinned too: the published metadata must be right.
    pins = tuple(
        (graph.nodes[dep].name, graph.nodes[dep].version or "")
        for dep in [*graph.deps[pid], *graph.soft.get(pid, [])]
    )
    return Release(
        id=pid,
        ecosystem=package.ecosystem,
        name=package.name,
        version=package.version or "",
        path=str(package.path),
        manifest=str(package.manifest),
        repo_root=str(workspace.root),
        registry=registry,
        upload_url=upload_url or ecosystem.default_upload_url(registry),
        token_env=eco.token_env or "",
        pin=eco.pin,
        pins=pins,
        dist_tag=eco.dist_tag or "",
        access=eco.access or "",
        tag=ecosystem.publish_tag(
            package, tag_format(package, workspace.config), toplevel(workspace.config)
        ),
        proxy_dir=str(eco.proxy_dir) if eco.proxy_dir else "",
        sumdb=(eco.sumdb or "") if sumdb is None else sumdb,
        private=eco.private or "",
        dry_run=run.dry_run,
        poll_timeout=run.poll_timeout,
        retries=run.retries,
        trusted_publishing=run.trusted_publishing,
    )


@functools.cache
def tracked_files(root: Path) -> dict[str, list[str]]:
    """Tracked regular files per package folder (one git call), for build's file_dep.

    Plain strings, not Path objects: a thousand packages have tens of thousands of files.
    """
    releases = release_set(root).releases
    top = repo_toplevel(root)
    if top is None:
        return {pid: [r.manifest] for pid, r in releases.items()}
    prefix = str(top) + os.sep
    # Package folder relative to the repository ("" for the root) -> package id.
    folders = {
        r.path.removeprefix(prefix) if r.path != str(top) else "": pid
        for pid, r in releases.items()
    }
    result: dict[str, list[str]] = {pid: [] for pid in releases}
    for entry in git(top, "ls-files", "-s", "-z").split("\0"):
        mode, _, name = entry.partition("\t")
        # Symbolic links (120000) and submodules (160000) may be folders, which doit
        # cannot hash (pydantic-ai links .claude/skills/* to folders): regular files only.
        if mode.startswith(("120000", "160000")):
            continue
        folder = name
        while name:
            folder = folder.rpartition("/")[0]
            owner = folders.get(folder)
            if owner is not None:
                result[owner].append(prefix + name)
                break
            if not folder:
                break
    return result


def _state(root: Path) -> Path:
    return root / ".releasekit"


def prepare_run(root: Path) -> None:
    """For a publishing run: take the lock, then undo what a killed run left pinned."""
    if doit_command(sys.argv) != "run":
        return
    _take_lock(root)


@functools.cache
def _take_lock(root: Path) -> None:
    import atexit

    from releasekit_tasks.lock import acquire
    from releasekit_tasks.publish.journal import restore_all

    lock = _raise_as_dodo_error(acquire, root, "doit " + " ".join(sys.argv[1:]))
    atexit.register(lock.release)
    for restored in _raise_as_dodo_error(restore_all, _state(root) / "journal"):
        print(f"releasekit: restored {restored} left pinned by an interrupted run")


def _releases() -> tuple[Path, dict[str, Release], dict[str, list[str]]]:
    root = repo_root()
    found = release_set(root)
    if found.releases:
        prepare_run(root)
    return root, found.releases, found.deps


def _broken(root: Path) -> dict | None:
    """A task that fails with the workspace's error, when it is broken."""
    error = release_set(root).error
    return {"actions": [(actions.fail, [error])], "verbosity": 2} if error else None


def task_query() -> dict:
    """Ask every registry, once and concurrently, which versions it already holds."""
    root, releases, _ = _releases()
    return {
        "actions": [
            (
                actions.query_registries,
                [list(releases.values()), str(_state(root)), options.integer("poll_concurrency")],
            )
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_preflight() -> dict:
    """Before any upload: tools, clean work tree, credentials, registries, Go tags."""
    root, releases, _ = _releases()
    broken = _broken(root)
    if broken:
        return broken
    return {
        "actions": [(actions.preflight, [list(releases.values()), str(root)])],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_install() -> Iterator[dict]:
    """Install each workspace whose ecosystem needs it before building (pnpm: link the workspace)."""
    root = repo_root()
    for label, (kind, folder) in release_set(root).installs.items():
        ecosystem = get_ecosystem(kind)
        where = staged_path(root, folder) if ecosystem.builds_in_stage else Path(folder)
        step = ecosystem.install_step(where)
        if step is None:
            continue
        # The stage is HEAD of the (clean) checkout, but it does not exist before the
        # first run: its lockfile would be missing at load, and the next run would
        # install again for the file_dep it never recorded. The checkout's is the same file.
        inputs = ecosystem.install_step(Path(folder)) or step
        yield {
            "name": label,
            "actions": [(actions.install, [kind, str(where)])],
            "file_dep": inputs.file_dep,
            "targets": step.targets,
            "task_dep": ["stage"] if ecosystem.builds_in_stage else [],
            "doc": step.doc,
            "verbosity": 2,
        }


def task_stage() -> dict:
    """A worktree of HEAD at .releasekit/stage: builds pin and write there, never in the checkout."""
    root, releases, _ = _releases()
    broken = _broken(root)
    if broken:
        return broken
    return {
        "actions": [(actions.stage, [str(root)])] if releases else [],
        "task_dep": ["preflight"],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_build() -> Iterator[dict]:
    """Build each package's artifacts (uv build, pnpm pack, Go module zip …)."""
    root, releases, _ = _releases()
    files = tracked_files(root) if releases else {}
    installs = release_set(root).installs
    for pid, release in releases.items():
        label = pid.split("/", 1)[0]
        setup = [f"install:{label}"] if label in installs else []
        yield {
            "name": pid,
            "actions": [(actions.build, [release])],
            "file_dep": files.get(pid, []),
            "targets": [str(release.artifacts_file)],
            "task_dep": ["preflight", "query", "stage", *setup],
            "doc": f"build {release.name} {release.version}",
            "verbosity": 2,
        }


def task_upload() -> Iterator[dict]:
    """Upload each package once its internal dependencies are verified on their registry."""
    _, releases, deps = _releases()
    for pid, release in releases.items():
        yield {
            "name": pid,
            "actions": [(actions.upload, [release])],
            # A receipt means the registry serves the verified release: nothing to upload.
            "uptodate": [
                (actions.receipt_covers, [str(release.receipt), str(release.artifacts_file)])
            ],
            "task_dep": [f"build:{pid}", "preflight", *(f"verify:{d}" for d in deps[pid])],
            "doc": f"upload {release.name} {release.version} to {release.registry}",
            "verbosity": 2,
        }


def task_verify() -> Iterator[dict]:
    """Poll the registry until it serves the version, compare checksums, write a receipt."""
    _, releases, _ = _releases()
    for pid, release in releases.items():
        yield {
            "name": pid,
            "actions": [(actions.verify, [release])],
            "task_dep": [f"upload:{pid}"],
            "targets": [str(release.receipt)],
            "uptodate": [
                (actions.receipt_covers, [str(release.receipt), str(release.artifacts_file)])
            ],
            "doc": f"verify {release.name} {release.version} on {release.registry}",
            "verbosity": 2,
        }


def task_publish() -> Iterator[dict]:
    """Publish every publishable package the registry lacks, in dependency order."""
    root, releases, deps = _releases()
    broken = _broken(root)
    if broken:
        yield {
            "name": "workspace",
            "task_dep": ["preflight"],
            "actions": None,
            "doc": "the workspace is broken",
        }
    for pid, release in releases.items():
        waits = ", ".join(deps[pid]) or "nothing"
        yield {
            "name": pid,
            "actions": None,
            "task_dep": [f"verify:{pid}"],
            "doc": f"{release.version} → {release.registry} (waits for {waits})",
        }
    if releases and not broken and _forge(root) != "none":
        yield {
            "name": "notify",
            "actions": [(announce, [str(root), _listed("group"), _published(releases), False])],
            "task_dep": [f"verify:{pid}" for pid in releases],
            "uptodate": [False],
            "doc": "label the Release PR published; repository_dispatch to `dispatch`",
            "verbosity": 2,
        }


def task_announce() -> dict:
    """Tell the forge what `doit publish` released (label, dispatches), from the receipts.

    For a publish spread over CI jobs: the last job downloads every job's
    receipts into .releasekit/receipts/ and runs `doit announce`.
    """
    root, releases, _ = _releases()
    broken = _broken(root)
    if broken:
        return broken
    return {
        "actions": [(announce, [str(root), _listed("group"), _published(releases), True])],
        "uptodate": [False],
        "verbosity": 2,
    }


def _forge(root: Path) -> str:
    try:
        return collect_cached(root).config.forge
    except RKError:
        return "none"


def _published(releases: dict[str, Release]) -> dict[str, dict[str, str]]:
    return {
        pid: {
            "name": r.name,
            "version": r.version,
            "registry": r.registry,
            "ecosystem": r.ecosystem,
        }
        for pid, r in releases.items()
    }


@actions._failing
def announce(
    root: str,
    groups: tuple[str, ...],
    published: dict[str, dict[str, str]],
    check_receipts: bool,
) -> None:
    """After every selected package is verified: tell the forge (label, dispatches)."""
    from releasekit_tasks.forges import flow

    if check_receipts:
        for pid, release in release_set(Path(root)).releases.items():
            if not release.receipt.is_file():
                raise RKError(
                    "RK-ANNOUNCE-INCOMPLETE",
                    f"no receipt for {pid} {release.version}: {release.receipt}",
                    fix="run `doit publish` first (or download every publish job's receipts)",
                )
    config = collect_cached(Path(root)).config
    head = git(Path(root), "rev-parse", "HEAD").strip()
    branch = flow.release_branch(config.release_branch, groups)
    dry_run = options.flag("dry_run")
    flow.announce(config, branch, head, published, dry_run=dry_run)
