"""``doit doctor``: do the tags, the manifests (versions file) and the registries agree?

For every selected publishable package it reads three sources — the current
version (manifest, or the versions file for Go), the release tags (local and on
the remote), and the versions the registry serves (``Ecosystem.served_versions``,
one request per package, concurrently) — and reports each disagreement with the
command that fixes it:

- ``unreleased``        the manifest's version has no tag and no registry version
                        → ``doit tag`` then ``doit publish`` (or a prepare was never merged)
- ``untagged``          the registry serves a version no tag marks
                        → tag the commit it was built from and push the tag
- ``unpublished``       a tag whose version the registry lacks
                        → ``doit publish`` (current version) or delete the stray tag
- ``behind``            the registry or the tags hold a higher version than the manifest
                        → ``doit prepare`` (or set the manifest's version)
- ``moved-tag``         the remote's tag points at another commit than the local one
                        → ``git fetch --tags --force <remote>`` (tags never move)
- ``unpushed-tag`` / ``unfetched-tag``  a tag only on one side
                        → ``git push <remote> <tag>`` / ``git fetch --tags <remote>``

Exit status 1 when anything drifts (for CI), 0 when all agree.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    from releasekit_tasks.publish.release import Release


@dataclass(frozen=True)
class Drift:
    pid: str
    kind: str
    detail: str
    fix: str


def _remote_tags(repo: Path, remote: str) -> dict[str, str] | None:
    """Tag -> commit on the remote (peeled), or None without that remote."""
    from releasekit_tasks.vcs import git, remote_tags

    if remote not in git(repo, "remote").split():
        return None
    try:
        return remote_tags(repo, remote)
    except subprocess.CalledProcessError:
        return {}  # unreachable: its tags are reported as not pushed, each with its fix


def _served(release: Release) -> list[str] | RKError | None:
    from releasekit_tasks.ecosystems import get_ecosystem

    try:
        return get_ecosystem(release.ecosystem).served_versions(release)
    except RKError as err:
        return err


def diagnose(root: str, values: dict, remote: str, concurrency: int = 16) -> list[Drift]:
    from releasekit_tasks.ecosystems import get_ecosystem
    from releasekit_tasks.graph import Selection, build_graph, select
    from releasekit_tasks.prepare.decide import _version_key
    from releasekit_tasks.prepare.history import all_tags, package_tags, tag_name
    from releasekit_tasks.tasks.publish import make_release
    from releasekit_tasks.workspace import collect

    repo = Path(root)
    workspace = collect(repo)
    config = workspace.config
    graph = build_graph(workspace.packages.values())
    chosen, pulled = select(
        graph,
        Selection(tuple(values["group"]), tuple(values["package"]), tuple(values["ecosystem"])),
    )
    pids = [p for p in graph.nodes if p in chosen | pulled and graph.nodes[p].publishable]
    local = all_tags(repo)
    remote_tags = _remote_tags(repo, remote)
    releases = {pid: make_release(workspace, graph, pid) for pid in pids}
    # exclude_publish packages are versioned and tagged but never uploaded: the
    # registry is not asked, so their absence from it is no drift.
    asked = [p for p in pids if not graph.nodes[p].no_publish]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        served = dict(zip(asked, pool.map(_served, [releases[p] for p in asked]), strict=True))

    drifts: list[Drift] = []
    for pid in pids:
        package = graph.nodes[pid]
        key = functools.partial(_version_key, package.ecosystem)
        theirs = remote_tags or {}
        tags = package_tags(package, config, {**theirs, **local}, key)
        tag_of = {key(t.version): t for t in tags}
        current = package.version
        here = served.get(pid)
        sel = f"package={pid}"

        def add(kind: str, detail: str, fix: str, pid: str = pid) -> None:
            drifts.append(Drift(pid, kind, detail, fix))

        if isinstance(here, RKError):
            add(
                "registry",
                f"cannot read {releases[pid].registry}: {here.message}",
                "check the registry URL and credentials",
            )
            here = None
        on_registry = {key(v): v for v in here or [] if key(v) is not None}
        current_key = key(current) if current else None

        for tag in tags:
            in_local, in_remote = tag.name in local, tag.name in theirs
            if in_local and in_remote and local[tag.name] != theirs[tag.name]:
                add(
                    "moved-tag",
                    f"{tag.name} is {local[tag.name][:12]} here but {theirs[tag.name][:12]} on {remote}",
                    f"git fetch --tags --force {remote}   (tags never move: the remote's is the release)",
                )
            elif in_local and remote_tags is not None and not in_remote:
                add(
                    "unpushed-tag",
                    f"{tag.name} is not on {remote}",
                    f"git push {remote} refs/tags/{tag.name}",
                )
            elif in_remote and not in_local:
                add(
                    "unfetched-tag", f"{tag.name} is on {remote} only", f"git fetch --tags {remote}"
                )
            if here is not None and key(tag.version) not in on_registry:
                if key(tag.version) == current_key:
                    add(
                        "unpublished",
                        f"{tag.name}: {releases[pid].registry} does not serve {tag.version}",
                        f"doit publish {sel}",
                    )
                else:
                    add(
                        "unpublished",
                        f"{tag.name}: {releases[pid].registry} does not serve {tag.version}",
                        f"publish it from the tag (git worktree add /tmp/r {tag.name} && cd /tmp/r && doit publish {sel}) "
                        f"or delete the stray tag (git tag -d {tag.name} && git push {remote} :refs/tags/{tag.name})",
                    )
        for k, version in on_registry.items():
            if k not in tag_of:
                name = tag_name(package, config, version)
                fix = (
                    f"doit tag {sel}"
                    if k == current_key
                    else f"git tag -a {name} <commit {version} was built from> -m '{package.name} {version}' && git push {remote} refs/tags/{name}"
                )
                add(
                    "untagged",
                    f"{releases[pid].registry} serves {version} but no tag {name} marks it",
                    fix,
                )
        # The latest version both tagged and served: does its tag still build it?
        both = [k for k in tag_of if k is not None and k in on_registry and tag_of[k].name in local]
        if both:
            mark = tag_of[max(both)]
            released = dataclasses.replace(releases[pid], version=mark.version)
            moved = get_ecosystem(package.ecosystem).tag_drift(released, mark.name)
            if moved:
                add(
                    "moved-tag",
                    moved,
                    f"tags never move: put {mark.name} back on the commit that was released "
                    f"(git tag -f -a {mark.name} <commit>), or release a new version",
                )
        # Where the current version comes from: the manifest, the versions file, a tag.
        said = f"the {package.version_source or 'manifest'} says"
        if current_key is not None and current_key not in tag_of and current_key not in on_registry:
            add(
                "unreleased",
                f"{said} {current}: no tag, not on {releases[pid].registry}",
                f"doit tag {sel} && doit publish {sel}   (after the Release PR merged)",
            )
        highest = max((k for k in [*on_registry, *tag_of] if k is not None), default=None)
        if current_key is not None and highest is not None and highest > current_key:
            top = on_registry.get(highest) or tag_of[highest].version
            add(
                "behind",
                f"{said} {current}, but {top} is released",
                f"doit prepare {sel}   (or set the version to {top} where it lives)",
            )
    return drifts


def doctor(root: str, values: dict, remote: str) -> bool:
    """Print the report; True when everything agrees."""
    drifts = diagnose(root, values, remote)
    if not drifts:
        print("tags, manifests and registries agree")
        return True
    width = max(len(d.pid) for d in drifts)
    for d in drifts:
        print(f"drift  {d.pid:<{width}}  {d.kind:<13} {d.detail}")
        print(f"       {'':<{width}}  {'fix':<13} {d.fix}")
    print(f"{len(drifts)} drift(s) in {len({d.pid for d in drifts})} package(s)")
    return False
