"""``doit rollback``: take a bad release back, in git and in every registry.

For each selected package at the version to roll back (its current version, or
``version=``):

1. its ecosystem takes the version back the way its registry allows — the
   ecosystem object's ``rollback(release, reason=…, force=…, dry_run=…)``
   (uv: remove from a private index, PyPI has no yank API so it says where to
   yank by hand; pnpm: ``npm deprecate`` and ``latest`` moved back, ``npm
   unpublish`` only with ``force=1``; Go: a ``retract`` directive in go.mod);
2. the registry is asked again: a release tag is deleted (locally and on the
   remote) only when the registry no longer serves the version — a tag users
   can still resolve stays, unless ``force=1``;
3. files the ecosystems edited (go.mod retractions) are committed as one
   ``fix:`` commit, so the next ``doit prepare`` releases a patch that carries
   them (``go get`` then skips the retracted version).

Afterwards ``doit plan`` shows the packages as due again. Generic code here
never names an ecosystem: everything registry-specific is behind ``rollback``.
"""

from __future__ import annotations

import dataclasses
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    from releasekit_tasks.config import RootConfig
    from releasekit_tasks.graph import Graph
    from releasekit_tasks.model import Package
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.workspace import Workspace


@dataclass
class Outcome:
    """What an ecosystem's ``rollback`` did (or would do) for one release."""

    served: bool  # after it, the registry still serves the version to users
    done: list[str] = field(default_factory=list)  # one line per action, printed
    changed: list[Path] = field(default_factory=list)  # files edited in the checkout
    manual: list[str] = field(default_factory=list)  # steps the user must take by hand


@dataclass(frozen=True)
class Target:
    pid: str
    version: str
    tags: tuple[str, ...]


def _select(workspace: Workspace, graph: Graph, values: dict) -> tuple[list[Target], list[str]]:
    """The packages and versions to roll back, plus extra tags (the umbrella tag)."""
    from releasekit_tasks.prepare.history import tag_name
    from releasekit_tasks.vcs import list_tags

    config = workspace.config
    packages, groups, umbrella = values["package"], values["group"], values["umbrella"]
    if not (packages or groups or umbrella):
        raise RKError(
            "RK-CONFIG-VALUE",
            "rollback needs to be told what: package=ID[,ID…], group=NAME or umbrella=TAG",
            fix="e.g. doit rollback package=py/acme-core dry_run=1",
        )
    existing = set(list_tags(config.root))
    chosen: list[str] = []
    extra: list[str] = []
    version = values["version"]
    for pid in packages:
        if pid not in graph.nodes:
            raise RKError(
                "RK-CONFIG-VALUE", f"package={pid}: no such package", fix="see `doit plan`"
            )
        chosen.append(pid)
    for group in groups:
        members = [pid for pid, p in graph.nodes.items() if group in p.groups]
        if not members:
            raise RKError("RK-CONFIG-VALUE", f"group={group}: no package in that group")
        chosen.extend(members)
    if umbrella:
        if umbrella not in existing:
            raise RKError("RK-CONFIG-VALUE", f"umbrella={umbrella}: no such tag")
        labels, shared = _umbrella_version(config, umbrella)
        version = version or shared
        for pid, package in graph.nodes.items():
            if (
                package.label in labels
                and package.publishable
                and tag_name(package, config, _spelled(package, shared)) in existing
            ):
                chosen.append(pid)
        extra.append(umbrella)
    targets = []
    for pid in dict.fromkeys(chosen):
        package = graph.nodes[pid]
        if not package.publishable:
            continue
        wanted = _spelled(package, version) if version else package.version
        if not wanted:
            raise RKError("RK-CONFIG-VALUE", f"{pid} has no version to roll back")
        tag = tag_name(package, config, wanted)
        targets.append(Target(pid, wanted, (tag,) if tag in existing else ()))
    return targets, extra


def _spelled(package: Package, version: str) -> str:
    """A version as the package's ecosystem writes it (``0.4.0``, Go's ``v0.4.0``)."""
    from releasekit_tasks.ecosystems import get_ecosystem
    from releasekit_tasks.prepare.versions import to_version

    parsed = to_version(version.removeprefix("v"), strict=False)
    if parsed is None:
        raise RKError("RK-VERSION-INVALID", f"version={version} is not a version")
    return get_ecosystem(package.ecosystem).render_version(parsed)


def _umbrella_version(config: RootConfig, tag: str) -> tuple[set[str], str]:
    """The ecosystem labels whose ``umbrella_tag`` (their own, else the root's) names
    ``tag``, and the version in it."""
    from releasekit_tasks import tagformat

    found: dict[str, str] = {}
    for label in config.ecosystems:
        before, after = tagformat.affixes(config.policy(label).umbrella_tag, label=label)
        if tag.startswith(before) and tag.endswith(after) and len(tag) > len(before + after):
            found[label] = tag[len(before) : len(tag) - len(after)]
    if not found:
        templates = sorted({config.policy(label).umbrella_tag for label in config.ecosystems})
        raise RKError(
            "RK-CONFIG-VALUE",
            f"umbrella={tag} matches no ecosystem's umbrella_tag ({', '.join(templates)})",
            fix="name an umbrella tag `doit tag` made, e.g. from `git tag --list`",
        )
    versions = set(found.values())
    if len(versions) > 1:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"umbrella={tag} reads as versions {', '.join(sorted(versions))} "
            "under different ecosystems' umbrella_tag",
            fix="give the ecosystems distinct umbrella_tag templates (e.g. with {label})",
        )
    return set(found), versions.pop()


def _serves(release: Release) -> bool:
    """Does the registry still serve any file of this version to users?"""
    from releasekit_tasks.publish.actions import remote_state

    return bool(remote_state(release, deep=False))


def rollback(root: str, values: dict, remote: str, push: bool, force: bool, dry_run: bool) -> None:
    from releasekit_tasks.ecosystems import get_ecosystem
    from releasekit_tasks.graph import build_graph
    from releasekit_tasks.tasks.publish import make_release
    from releasekit_tasks.vcs import git, uncommitted
    from releasekit_tasks.workspace import collect

    repo = Path(root)
    workspace = collect(repo)
    graph = build_graph(workspace.packages.values())
    targets, extra_tags = _select(workspace, graph, values)
    if not dry_run and uncommitted(repo):
        raise RKError(
            "RK-PREFLIGHT-DIRTY",
            "uncommitted changes: rollback commits its go.mod retractions",
            path=repo,
            fix="commit or stash them first",
        )
    reason = values["reason"] or "rolled back"
    doomed: list[str] = []
    changed: list[Path] = []
    summary: list[str] = []
    manual: list[str] = []
    for target in targets:
        package = graph.nodes[target.pid]
        release = make_release(workspace, graph, target.pid)
        release = dataclasses.replace(
            release,
            version=target.version,
            tag=release.tag and (target.tags[0] if target.tags else release.tag),
        )
        ecosystem = get_ecosystem(workspace.config.ecosystems[package.label].kind)
        print(f"rollback {target.pid} {target.version}")
        outcome = ecosystem.rollback(release, reason=reason, force=force, dry_run=dry_run)
        for line in outcome.done:
            print(f"  {line}")
        manual.extend(outcome.manual)
        changed.extend(outcome.changed)
        summary.append(f"- {target.pid} {target.version}: {reason}")
        served = outcome.served if dry_run else _serves(release)
        for tag in target.tags:
            if served and not force:
                print(
                    f"  keep tag {tag}: {release.registry} still serves {target.version} (force=1 deletes it)"
                )
            else:
                doomed.append(tag)
    doomed.extend(extra_tags)
    for tag in doomed:
        print(
            f"  {'would delete' if dry_run else 'delete'} tag {tag}"
            + (f" (and on {remote})" if push else "")
        )
    forge_releases = push and _forge_configured(workspace.config)
    if dry_run and forge_releases:
        for tag in doomed:
            print(f"  would delete the forge release of {tag} (if there is one)")
    if not dry_run:
        _delete_tags(repo, doomed, remote, push)
        if forge_releases:
            _delete_forge_releases(workspace.config, doomed)
        if changed:
            git(repo, "add", "--", *map(str, changed))
            message = "fix: roll back " + ", ".join(t.pid.split("/")[-1] for t in targets)
            git(
                repo,
                "commit",
                "-q",
                "--no-verify",
                "-m",
                message + "\n\n" + "\n".join(summary) + "\n",
            )
            sha = git(repo, "rev-parse", "HEAD").strip()
            print(f"commit   {sha[:12]} {message}: release it (doit prepare, tag, publish)")
    elif changed:
        print("would commit the edited files as `fix: roll back …`")
    for step in manual:
        print(f"by hand  {step}")


def _forge_configured(config: object) -> bool:
    from releasekit_tasks.forges import ForgeConfig

    return ForgeConfig.of(config).forge != "none"


def _delete_forge_releases(config: object, tags: list[str]) -> None:
    """The forge releases of the deleted tags go too (a release without its tag is a lie)."""
    from releasekit_tasks.forges import open_forge

    if not tags:
        return
    forge = open_forge(config, what="deleting forge releases")
    if forge is None:
        return
    with forge:
        for tag in tags:
            if forge.delete_release(tag):
                print(f"  deleted the forge release of {tag}")


def _delete_tags(repo: Path, tags: list[str], remote: str, push: bool) -> None:
    from releasekit_tasks.vcs import git, git_remote, remote_tags

    if not tags:
        return
    git(repo, "tag", "-d", *tags)
    if push and remote in git(repo, "remote").split():
        refs = [f":refs/tags/{t}" for t in tags]
        out = git_remote(repo, "push", "--porcelain", remote, *refs, check=False)
        if "Done" in out:
            return
        # A retried deletion whose first attempt arrived fails with "remote ref does
        # not exist": what counts is that the remote no longer has the tags.
        try:
            left = set(remote_tags(repo, remote))
        except subprocess.CalledProcessError:
            left = set(tags)  # unknown: as failed as the push said
        if set(tags) & left:
            raise RKError("RK-GIT-PUSH", f"deleting tags on {remote} failed:\n{out}", path=repo)
