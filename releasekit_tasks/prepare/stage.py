"""The doit actions of the prepare stage: module-level functions taking plain data.

    version   decide the next versions → .releasekit/release-manifest.json
    bump      write them into the working tree (manifests, versions file, lockfiles)
    changelog prepend each released package's CHANGELOG.md section
    prepare   all of it in a fresh worktree of HEAD on the release branch,
              then the version commit (D-1), the push, and the Release PR body

``prepare`` never touches the user's checkout: a kill at any instant leaves
it byte-identical, and the next run starts the worktree again from HEAD.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.config import RootConfig
from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import Graph, Selection, assert_valid, build_graph, select
from releasekit_tasks.prepare import MANIFEST_FILE, changelog
from releasekit_tasks.prepare.bump import plan_edits, write_edits
from releasekit_tasks.prepare.decide import Decision, VersionOptions, decide
from releasekit_tasks.prepare.history import all_tags, tag_names, umbrella_tag
from releasekit_tasks.prepare.manifest import ReleaseManifest
from releasekit_tasks.publish.actions import _failing, check_clean
from releasekit_tasks.publish.journal import write_atomically
from releasekit_tasks.vcs import git, git_remote, remote_tags, require_history
from releasekit_tasks.workspace import Workspace, collect

if TYPE_CHECKING:
    from releasekit_tasks.forges.flow import MergedRelease

PR_BODY = "release-pr.md"
WORKTREE = "release-worktree"


def state_dir(root: Path) -> Path:
    folder = root / ".releasekit"
    folder.mkdir(exist_ok=True)
    return folder


def today() -> str:
    return datetime.date.today().isoformat()


def options_from(values: dict) -> VersionOptions:
    return VersionOptions(
        selection=Selection(
            tuple(values.get("group", ())),
            tuple(values.get("package", ())),
            tuple(values.get("ecosystem", ())),
        ),
        prerelease=values.get("prerelease", ""),
        bump=values.get("bump", "auto"),
        force=bool(values.get("force", False)),
    )


def _checked_graph(root: Path, workspace: Workspace) -> Graph:
    """The graph of a committed checkout: versions are decided and tagged at HEAD."""
    require_history(root)
    check_clean(root)
    graph = build_graph(workspace.packages.values())
    assert_valid(graph)
    return graph


def compute(root: Path, workspace: Workspace, values: dict) -> Decision:
    """The decision at HEAD; refuses a checkout with uncommitted changes."""
    graph = _checked_graph(root, workspace)
    head = git(root, "rev-parse", "HEAD").strip()
    return decide(workspace, graph, head, options_from(values))


def print_decision(decision: Decision) -> None:
    for pid, why in decision.skipped.items():
        print(f"skip     {pid}: {why}")
    for r in decision.manifest.releases:
        why = "; ".join(r.reasons)
        print(f"release  {r.id} {r.old_version or '—'} → {r.new_version} ({r.bump}): {why}")
    if not decision.manifest.releases:
        print("nothing to release")


@_failing
def version(root: str, values: dict, dry_run: bool) -> None:
    decision = compute(Path(root), collect(Path(root)), values)
    print_decision(decision)
    if not dry_run:
        _write(state_dir(Path(root)) / MANIFEST_FILE, decision.manifest.to_json())


def read_manifest(root: Path) -> ReleaseManifest:
    path = root / ".releasekit" / MANIFEST_FILE
    if not path.is_file():
        raise RKError("RK-MANIFEST-MISSING", f"no {path}", path=path, fix="run `doit version`")
    manifest = ReleaseManifest.from_json(path.read_text(encoding="utf-8"), path)
    head = git(root, "rev-parse", "HEAD").strip()
    if manifest.head != head:
        raise RKError(
            "RK-MANIFEST-STALE",
            f"the release manifest was computed at {manifest.head[:12]}, HEAD is {head[:12]}",
            path=path,
            fix="run `doit version` (doit runs it first when it is out of date)",
        )
    return manifest


def _manifest(root: Path, workspace: Workspace, values: dict, dry_run: bool) -> ReleaseManifest:
    """The manifest `version` wrote; a dry run (which writes none) computes it again."""
    if dry_run:
        return compute(root, workspace, values).manifest
    return read_manifest(root)


@_failing
def bump(root: str, values: dict, dry_run: bool) -> None:
    workspace = collect(Path(root))
    manifest = _manifest(Path(root), workspace, values, dry_run)
    edits = plan_edits(manifest, workspace, Path(root))
    _report(edits, Path(root), dry_run)
    if not dry_run:
        write_edits(edits)


@_failing
def write_changelogs(root: str, values: dict, dry_run: bool) -> None:
    workspace = collect(Path(root))
    manifest = _manifest(Path(root), workspace, values, dry_run)
    for path in _changelog_edits(manifest, workspace.config, Path(root), write=not dry_run):
        print(f"{'would write' if dry_run else 'write'}  {path.relative_to(root)}")


def _changelog_edits(
    manifest: ReleaseManifest, config: RootConfig, tree: Path, *, write: bool = True
) -> list[Path]:
    """Prepend each release's section to its CHANGELOG.md in ``tree``."""
    written = []
    for release in manifest.releases:
        if not config.policy(release.label).changelog:
            continue
        path = tree / release.path / "CHANGELOG.md"
        existing = path.read_bytes().decode("utf-8") if path.is_file() else None
        section = changelog.render_section(release, today(), config.repo_url)
        text = changelog.prepend(existing, section, release.new_version)
        if write and text != existing:
            _write(path, text)
        written.append(path)
    return written


def _report(edits, tree: Path, dry_run: bool) -> None:
    verb = "would write" if dry_run else "write"
    for path in edits.files:
        print(f"{verb}  {path.relative_to(tree)}")
    for argv, cwd in edits.lock_commands:
        print(
            f"{'would run' if dry_run else 'run'}  {' '.join(argv)}  (in {cwd.relative_to(tree)})"
        )
    for path in edits.deletions:
        print(f"{'would delete' if dry_run else 'delete'}  {path.relative_to(tree)}")


@_failing
def prepare(root: str, values: dict, branch: str, remote: str, push: bool, dry_run: bool) -> None:
    from releasekit_tasks.forges import flow as forge_flow  # not on the `doit list` path

    repo = Path(root)
    workspace = collect(repo)
    if push:
        forge_flow.refuse_untagged(workspace.config, branch)
    manifest = _manifest(repo, workspace, values, dry_run)
    if not manifest.releases:
        print("nothing to release: no release branch made")
        forge_flow.stale_release_pr(workspace.config, branch, dry_run=dry_run)
        return
    if dry_run:
        _report(plan_edits(manifest, workspace, repo), repo, True)
        for path in _changelog_edits(manifest, workspace.config, repo, write=False):
            print(f"would write  {path.relative_to(repo)}")
        print(f"would commit on {branch} and push it to {remote}")
        if workspace.config.forge != "none" and push:
            print(f"would open or update the Release PR of {branch} on {workspace.config.forge}")
        return
    tree = state_dir(repo) / WORKTREE
    before = git(repo, "rev-parse", "-q", "--verify", f"refs/heads/{branch}", check=False).strip()
    _fresh_worktree(repo, tree, branch, manifest.head)
    try:
        edits = plan_edits(manifest, workspace, tree)
        write_edits(edits)
        _changelog_edits(manifest, workspace.config, tree)
        git(tree, "add", "-A")
        git(tree, "commit", "-q", "--no-verify", "-m", commit_message(manifest))
        sha = git(tree, "rev-parse", "HEAD").strip()
        print(f"commit   {sha[:12]} on {branch}")
        if push:
            _push(tree, remote, branch)
    except BaseException:
        # A failed prepare leaves nothing behind: no worktree, and the release
        # branch as it was (gone, if this run created it).
        _remove_worktree(repo, tree)
        if before:
            git(repo, "branch", "-f", branch, before, check=False)
        else:
            git(repo, "branch", "-D", branch, check=False)
        raise
    body = changelog.embed_manifest(
        changelog.release_notes(manifest, today(), workspace.config.repo_url), manifest
    )
    _write(state_dir(repo) / PR_BODY, body)
    print(f"pr body  {state_dir(repo) / PR_BODY}")
    _remove_worktree(repo, tree)
    if push:
        forge_flow.sync_release_pr(workspace.config, manifest, body, branch)
    elif workspace.config.forge != "none":
        print("note     push=0: the Release PR is not opened")


@_failing
def tag(root: str, values: dict, remote: str, push: bool, dry_run: bool, branch: str = "") -> None:
    """Tag every selected package's current version at HEAD (after the Release PR merged),
    plus the umbrella tag of a synchronized release, and push every one of those tags
    the remote lacks — made now or by an earlier run whose push failed.

    A version tagged already (locally or on the remote) keeps its tag. A tag that
    points at one commit here and at another on the remote is refused
    (RK-TAG-CONFLICT): releases never move. With a forge, the merged Release PR of
    ``branch`` decides instead: its manifest names the versions, the tags go on its
    merge commit, and each tag gets a forge release. Merged Release PRs still
    labelled pending from earlier merges (their tag job failed) are tagged first,
    each on its own merge commit, the oldest first."""
    from releasekit_tasks.forges import flow as forge_flow  # not on the `doit list` path

    repo = Path(root)
    workspace = collect(repo)
    graph = _checked_graph(repo, workspace)
    chosen, pulled = select(graph, options_from(values).selection)
    head = git(repo, "rev-parse", "HEAD").strip()
    merged = forge_flow.merged_release_prs(workspace.config, branch, head) if branch else []
    _check_merge_commits(repo, merged[:-1])
    for pr in merged:  # the oldest first: an older one's tag job failed
        existing = set(all_tags(repo))
        _tag_release_pr(repo, workspace, chosen | pulled, existing, pr, remote, push, dry_run)
    if merged:
        return
    existing = set(all_tags(repo))
    wanted: dict[str, str] = {}  # tag -> message, for every selected current version
    releases: list[forge_flow.ReleaseTag] = []  # forge releases of the package tags made now
    config = workspace.config
    shared: dict[str, set[str]] = {}  # sync domain -> versions
    for pid in graph.nodes:
        package = graph.nodes[pid]
        if pid not in chosen | pulled or not package.publishable or package.version is None:
            continue
        domain = config.policy(package.label).sync_domain
        if domain is not None:
            shared.setdefault(domain, set()).add(package.version.removeprefix("v"))
        names = tag_names(package, config, package.version)
        if config.forge != "none" and names[0] not in existing and names[0] not in wanted:
            releases.append(forge_flow.checkout_release_tag(names[0], package, package.version))
        for name in names:
            wanted.setdefault(name, f"{package.name} {package.version}")
    for domain, versions_seen in shared.items():
        if len(versions_seen) == 1:
            umbrella = umbrella_tag(config, domain, versions_seen.pop())
            wanted.setdefault(umbrella, f"release {umbrella}")
    _make_tags(repo, wanted, "HEAD", remote, push, dry_run)
    if releases and (push or dry_run):  # no Release PR: releases for the new tags
        forge_flow.publish_releases(config, None, releases, dry_run=dry_run)


def _make_tags(
    repo: Path, wanted: dict[str, str], target: str, remote: str, push: bool, dry_run: bool
) -> None:
    """Create the ``wanted`` tags (name -> message) that exist neither here nor on the
    remote, at ``target``; push every one the remote lacks; refuse a tag that points
    at different commits here and on the remote."""
    local = all_tags(repo)
    remote_tags = _remote_tags(repo, remote) if push and wanted else None
    for name in wanted:
        here, there = local.get(name), (remote_tags or {}).get(name)
        if here and there and here != there:
            raise RKError(
                "RK-TAG-CONFLICT",
                f"tag {name} points at {here[:12]} here and at {there[:12]} on {remote}",
                path=repo,
                fix=f"releases never move: find out which is right, then delete the other "
                f"(`git tag -d {name}` and `git fetch {remote} tag {name}`, or fix the remote)",
            )
    create = [n for n in wanted if n not in local and n not in (remote_tags or {})]
    to_push = [n for n in wanted if remote_tags is not None and n not in remote_tags]
    for name in create:
        print(f"{'would tag' if dry_run else 'tag'}  {name}")
        if not dry_run:
            git(repo, "tag", "-a", name, "-m", wanted[name], target)
    for name in (n for n in to_push if n not in create):
        print(f"{'would push' if dry_run else 'push'}  {name} (tagged earlier, not on {remote})")
    if not create and not to_push:
        print("every selected version is tagged already" + (f" (on {remote} too)" if push else ""))
    elif to_push and not dry_run:
        _push_refs(repo, remote, [f"refs/tags/{name}" for name in to_push])
        print(f"pushed   {len(to_push)} tag(s) → {remote}")


def _remote_tags(repo: Path, remote: str) -> dict[str, str]:
    """Tag -> commit on ``remote`` (annotated tags peeled): one ``git ls-remote``."""
    _require_remote(repo, remote)
    try:
        return remote_tags(repo, remote)
    except subprocess.CalledProcessError as exc:
        raise RKError(
            "RK-GIT-PUSH",
            f"cannot list the tags of {remote}: {(exc.stderr or '').strip()}",
            path=repo,
            fix="check the remote's URL and your access to it, or pass push=0",
        ) from None


def _check_merge_commits(repo: Path, older: list[MergedRelease]) -> None:
    """The merge commits of older pending Release PRs must be here: their tags go there,
    never on HEAD (which has newer versions). Checked before any tag is made."""
    missing = [
        m.pr
        for m in older
        if not m.pr.merge_sha
        or git(repo, "cat-file", "-t", m.pr.merge_sha, check=False).strip() != "commit"
    ]
    if missing:
        numbers = ", ".join(f"#{pr.number}" for pr in missing)
        raise RKError(
            "RK-RELEASE-PR-UNTAGGED",
            f"merged Release PR(s) {numbers} are still labelled pending but their merge "
            "commits are not in this clone, so their versions cannot be tagged",
            path=repo,
            fix="fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` in CI) "
            "and run `doit tag` again; or, if those versions were tagged by hand, relabel "
            "the PRs `autorelease: tagged`",
        )


def _tag_release_pr(
    repo: Path,
    workspace: Workspace,
    selected: set[str],
    existing: set[str],
    merged: MergedRelease,
    remote: str,
    push: bool,
    dry_run: bool,
) -> None:
    """Tags from the merged Release PR's manifest, on its merge commit; then forge releases."""
    from releasekit_tasks.forges import flow as forge_flow  # not on the `doit list` path

    manifest, pr = merged.manifest, merged.pr
    print(f"pr       #{pr.number} merged: tagging the versions in its manifest")
    head = git(repo, "rev-parse", "HEAD").strip()
    target = "HEAD"
    if pr.merge_sha and git(repo, "cat-file", "-t", pr.merge_sha, check=False).strip() == "commit":
        target = pr.merge_sha
    elif pr.merge_sha:
        print(f"warning  the merge commit {pr.merge_sha[:12]} is not here (fetch it): tagging HEAD")
    tags: dict[str, str] = {}  # package id -> tag
    wanted: dict[str, str] = {}
    for release in manifest.releases:
        package = workspace.packages.get(release.id)
        if package is None or release.id not in selected:
            continue
        if target in ("HEAD", head) and package.version not in (None, release.new_version):
            raise RKError(
                "RK-MANIFEST-STALE",
                f"the merged Release PR #{pr.number} releases {release.id} "
                f"{release.new_version}, but this checkout has {package.version}",
                path=package.manifest,
                fix="run `doit tag` on the Release PR's merge commit (or fix the PR body)",
            )
        names = tag_names(package, workspace.config, release.new_version)
        tags[release.id] = names[0]
        for name in names:
            wanted.setdefault(name, f"{release.name} {release.new_version}")
    if manifest.umbrella_tag:
        wanted.setdefault(manifest.umbrella_tag, f"release {manifest.umbrella_tag}")
    _make_tags(repo, wanted, target, remote, push, dry_run)
    if not push and any(n not in existing for n in wanted):
        print("note     push=0: no forge releases for tags the remote does not have")
        return
    forge_flow.publish_releases(
        workspace.config,
        merged,
        forge_flow.release_tags(manifest, tags, workspace.config, today()),
        dry_run=dry_run,
    )


def commit_message(manifest: ReleaseManifest) -> str:
    count = len(manifest.releases)
    title = f"chore(release): {manifest.umbrella_tag or f'{count} package' + ('s' if count > 1 else '')}"
    lines = [f"- {r.name} {r.old_version or '—'} → {r.new_version}" for r in manifest.releases]
    return title + "\n\n" + "\n".join(lines) + "\n"


def _fresh_worktree(repo: Path, tree: Path, branch: str, head: str) -> None:
    """A clean checkout of ``head`` on ``branch`` (reset if it exists), whatever a killed run left."""
    _remove_worktree(repo, tree)
    git(repo, "worktree", "add", "--force", "-q", "-B", branch, str(tree), head)


def _remove_worktree(repo: Path, tree: Path) -> None:
    if tree.exists():
        git(repo, "worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tree, ignore_errors=True)
    git(repo, "worktree", "prune")


def _push(tree: Path, remote: str, branch: str) -> None:
    # The release branch belongs to releasekit: each prepare replaces it.
    _push_refs(tree, remote, [f"HEAD:refs/heads/{branch}"], force=True)
    print(f"push     {branch} → {remote}")


def _require_remote(repo: Path, remote: str) -> None:
    if remote not in git(repo, "remote").split():
        raise RKError(
            "RK-GIT-PUSH",
            f"no git remote named `{remote}`",
            path=repo,
            fix="add the remote (git remote add origin URL), pass remote=NAME, or push=0",
        )


def _push_refs(repo: Path, remote: str, refs: list[str], *, force: bool = False) -> None:
    _require_remote(repo, remote)
    flags = ["--force"] if force else ["--atomic"]
    out = git_remote(repo, "push", *flags, "--porcelain", remote, *refs, check=False)
    if "Done" not in out:
        raise RKError("RK-GIT-PUSH", f"pushing to {remote} failed:\n{out}", path=repo)


def _write(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))
