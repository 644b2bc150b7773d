"""The release loop's forge steps, called by the prepare, tag and publish stages.

    prepare  open the Release PR (release branch → default branch), or update the
             open one: title from ``pr_title_template``, body with the notes and the
             embedded manifest, label ``autorelease: pending``. Nothing to release:
             close the open Release PR (``stale_release_pr = "close"``) or leave it.
    tag      find the merged Release PRs (the one associated with the commit, and every
             merged one still labelled pending, oldest first), read each manifest; after the tags are
             pushed, one forge release per package tag and the umbrella tag, then
             relabel it ``autorelease: tagged``. Every step skips what is done.
    publish  label it ``autorelease: published`` and tell each ``dispatch`` repository,
             once: GitHub ``repository_dispatch`` (``releasekit-published``), GitLab
             a pipeline trigger.

Without a forge or a token each step prints one line and the git and registry
work goes on (D-10).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from releasekit_tasks.config import RootConfig
from releasekit_tasks.errors import RKError
from releasekit_tasks.forges import (
    LABELS,
    PENDING,
    PUBLISHED,
    TAGGED,
    Forge,
    PullRequest,
    open_forge,
)
from releasekit_tasks.model import Package
from releasekit_tasks.prepare import changelog
from releasekit_tasks.prepare.manifest import PlannedRelease, ReleaseManifest

EVENT_TYPE = "releasekit-published"


def release_branch(branch: str, groups: Iterable[str]) -> str:
    """The release branch of a group selection: ``<release_branch>-a-b``."""
    groups = list(groups)
    return f"{branch}-{'-'.join(groups)}" if groups else branch


def pr_title(config: RootConfig, manifest: ReleaseManifest, branch: str, base: str) -> str:
    count = len(manifest.releases)
    summary = manifest.umbrella_tag or f"{count} package" + ("s" if count != 1 else "")
    versions = {r.new_version for r in manifest.releases}
    try:
        return config.pr_title_template.format(
            summary=summary,
            count=count,
            version=versions.pop() if len(versions) == 1 else "",
            branch=branch,
            base=base,
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"`pr_title_template` {config.pr_title_template!r} cannot be filled in: {exc!r}",
            path=config.root / "releasekit.toml",
            fix="use only {summary}, {version}, {count}, {branch} and {base}",
        ) from None


# GitHub's limit on a release body; GitLab's description limit is larger.
RELEASE_NOTES_LIMIT = 125_000
# The longest body each forge takes (GitHub answers 422 past it; GitLab's is 1,048,576).
BODY_LIMITS = {"github": 65_536, "gitlab": 1_048_576}


def fit_body(body: str, limit: int) -> str:
    """``body`` within ``limit`` characters: the release notes are cut, the manifest never.

    The notes are in each package's CHANGELOG.md too; the manifest is what
    ``doit tag`` reads back, so a manifest too large for the forge is an error.
    """
    if len(body) <= limit:
        return body
    start = body.find(changelog.MANIFEST_BEGIN)
    notes, block = (body[:start], body[start:]) if start >= 0 else (body, "")
    note = (
        f"\n\n… the release notes are cut here (the forge takes {limit:,} characters); "
        "every package's notes are in its CHANGELOG.md.\n\n"
    )
    room = limit - len(block) - len(note)
    if room < 0:
        raise RKError(
            "RK-FORGE-RESPONSE",
            f"the release manifest alone is {len(block):,} characters, more than the "
            f"{limit:,} the forge takes in a pull request body",
            fix="release in smaller groups (`doit prepare group=…`): one Release PR each",
        )
    cut = notes[:room]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + note + block


def sync_release_pr(
    config: RootConfig,
    manifest: ReleaseManifest,
    body: str,
    branch: str,
    *,
    env: Mapping[str, str] | None = None,
) -> PullRequest | None:
    """Open the Release PR for ``branch``, or update the open one; ``None`` without a forge."""
    forge = open_forge(config, env, what="opening the Release PR", note=True)
    if forge is None:
        return None
    body = fit_body(body, BODY_LIMITS.get(config.forge, BODY_LIMITS["github"]))
    with forge:
        base = forge.default_branch()
        title = pr_title(config, manifest, branch, base)
        pr = forge.find_open_pr(branch, base)
        if pr is None:
            pr = forge.open_pr(branch, base, title, body, (PENDING,))
            print(f"pr       opened #{pr.number} {branch} → {base} {pr.url}".rstrip())
            return pr
        pr = forge.update_pr(pr, title, body)
        if PENDING not in pr.labels:
            forge.set_labels(pr, (PENDING,), ())
        print(f"pr       updated #{pr.number} {branch} → {base} {pr.url}".rstrip())
        return pr


def stale_release_pr(
    config: RootConfig, branch: str, *, dry_run: bool, env: Mapping[str, str] | None = None
) -> None:
    """Nothing to release: close the open Release PR, or leave it (``stale_release_pr``)."""
    forge = open_forge(config, env, what="closing the stale Release PR")
    if forge is None:
        return
    with forge:
        pr = forge.find_open_pr(branch, forge.default_branch())
        if pr is None:
            return
        if config.stale_release_pr == "leave":
            print(f'pr       #{pr.number} left open (stale_release_pr = "leave")')
        elif dry_run:
            print(f"would close #{pr.number}: nothing to release")
        else:
            forge.close_pr(pr)
            print(f"pr       closed #{pr.number}: nothing to release")


def refuse_untagged(
    config: RootConfig, branch: str, *, env: Mapping[str, str] | None = None
) -> None:
    """RK-RELEASE-PR-UNTAGGED while a merged Release PR of ``branch`` is still pending.

    Its versions are in the checkout but not tagged, so a new Release PR would count
    its commits again (a second bump); release-please's release-pr aborts likewise.
    """
    forge = open_forge(config, env, what="looking for untagged merged Release PRs")
    if forge is None:
        return
    with forge:
        pending = forge.merged_prs(branch, PENDING)
    if pending:
        numbers = ", ".join(f"#{pr.number}" for pr in pending)
        raise RKError(
            "RK-RELEASE-PR-UNTAGGED",
            f"merged Release PR(s) {numbers} of {branch} are still labelled `{PENDING}`: "
            "their versions are not tagged, so a new Release PR would bump them again",
            path=config.root / "releasekit.toml",
            fix="run `doit tag` on the default branch first (it tags every merged Release PR "
            f"still pending, the oldest first); if they were tagged by hand, relabel them "
            f"`{TAGGED}`",
        )


@dataclass
class MergedRelease:
    """The merged Release PR and the manifest in its body."""

    pr: PullRequest
    manifest: ReleaseManifest


def merged_release_prs(
    config: RootConfig, branch: str, head: str, *, env: Mapping[str, str] | None = None
) -> list[MergedRelease]:
    """The merged Release PRs of ``branch`` to tag, the oldest merge first: the one
    associated with ``head`` and every other one still labelled pending.

    A merged PR keeps ``autorelease: pending`` when the tag job of its merge failed;
    like release-please's ``github-release``, the next ``doit tag`` tags it too, on
    its own merge commit, before the newer ones.
    """
    forge = open_forge(config, env, what="reading the merged Release PR")
    if forge is None:
        return []
    with forge:
        current = forge.find_merged_pr(branch, PENDING, head)
        found = {pr.number: pr for pr in forge.merged_prs(branch, PENDING)}
    if current is not None:
        found[current.number] = current
    ordered = sorted(found.values(), key=lambda pr: (pr.merged_at, pr.number))
    return [MergedRelease(pr, changelog.extract_manifest(pr.body)) for pr in ordered]


@dataclass(frozen=True)
class ReleaseTag:
    """A tag ``doit tag`` made (or found), with what its forge release says."""

    tag: str
    name: str
    notes: str
    prerelease: bool


def release_tags(
    manifest: ReleaseManifest, tags: Mapping[str, str], config: RootConfig, date: str
) -> list[ReleaseTag]:
    """The forge releases of a manifest: one per package tag (``tags``: id → tag), then the umbrella."""
    result = []
    # One release per tag: members sharing the umbrella's tag (pydantic-ai's `v1.0.10`)
    # are in its release notes.
    seen = {manifest.umbrella_tag}
    for release in manifest.releases:
        if release.id in tags and tags[release.id] not in seen:
            seen.add(tags[release.id])
            result.append(
                ReleaseTag(
                    tags[release.id],
                    f"{release.name} {release.new_version}",
                    changelog.render_section(release, date, config.repo_url),
                    _is_prerelease(release),
                )
            )
    if manifest.umbrella_tag:
        result.append(
            ReleaseTag(
                manifest.umbrella_tag,
                manifest.umbrella_tag,
                changelog.release_notes(manifest, date, config.repo_url),
                any(_is_prerelease(r) for r in manifest.releases),
            )
        )
    return result


def _is_prerelease(release: PlannedRelease) -> bool:
    from releasekit_tasks.ecosystems import get_ecosystem

    return get_ecosystem(release.ecosystem).parse_version(release.new_version).pre is not None


def publish_releases(
    config: RootConfig,
    merged: MergedRelease | None,
    tags: Iterable[ReleaseTag],
    *,
    dry_run: bool,
    env: Mapping[str, str] | None = None,
) -> None:
    """The forge releases that are missing, then the merged Release PR (if any) relabelled."""
    if merged is None and (config.forge == "none" or not config.forge_releases):
        return
    forge = open_forge(config, env, what="the forge releases")
    if forge is None:
        return
    with forge:
        if config.forge_releases:
            for tag in tags:
                if forge.get_release(tag.tag) is not None:
                    print(f"release  {tag.tag} exists")
                    continue
                if dry_run:
                    print(f"would create release {tag.tag}")
                    continue
                created = forge.create_release(
                    tag.tag,
                    tag.name,
                    fit_body(tag.notes, RELEASE_NOTES_LIMIT),
                    prerelease=tag.prerelease,
                    draft=config.release_draft,
                )
                kind = " (draft)" if created.draft else ""
                print(f"release  {tag.tag}{kind} {created.url}".rstrip())
        if merged is not None:
            _relabel(forge, merged.pr, TAGGED, dry_run)


def checkout_release_tag(tag: str, package: Package, version: str) -> ReleaseTag:
    """A tag made without a Release PR: its notes are the CHANGELOG.md section, if any."""
    from releasekit_tasks.ecosystems import get_ecosystem

    path = package.path / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    notes = changelog.section_of(text, version) or f"{package.name} {version}\n"
    pre = get_ecosystem(package.ecosystem).parse_version(version).pre is not None
    return ReleaseTag(tag, f"{package.name} {version}", notes, pre)


def _relabel(forge: Forge, pr: PullRequest, label: str, dry_run: bool) -> None:
    """Move the PR's label forward to ``label`` (pending → tagged → published), never back."""
    stage = LABELS.index(label)
    present = [LABELS.index(x) for x in pr.labels if x in LABELS]
    if present and max(present) > stage:
        return  # a rerun of an earlier stage: the PR is further along already
    if present == [stage]:
        return
    if dry_run:
        print(f"would label #{pr.number} {label}")
        return
    forge.set_labels(pr, (label,), tuple(x for x in LABELS if x != label and x in pr.labels))
    print(f"label    #{pr.number} {label}")


def announce(
    config: RootConfig,
    branch: str,
    head: str,
    published: Mapping[str, Mapping[str, str]],
    *,
    dry_run: bool,
    env: Mapping[str, str] | None = None,
) -> None:
    """After a publish: the Release PR labelled published and the dispatches sent, once.

    ``published`` maps package id → {"name", "version", "registry", "ecosystem"}.
    """
    forge = open_forge(config, env, what="labelling and repository_dispatch")
    if forge is None:
        return
    with forge:
        pr = forge.find_merged_pr(branch, TAGGED, head) or forge.find_merged_pr(
            branch, PENDING, head
        )
        if pr is not None and PUBLISHED in pr.labels:
            print(f"pr       #{pr.number} is labelled {PUBLISHED} already: nothing to announce")
            return
        payload = dispatch_payload(published, head)
        for target in config.dispatch:
            if dry_run:
                print(f"would dispatch {EVENT_TYPE} to {target.repo}")
            elif forge.dispatch(target, EVENT_TYPE, payload):
                print(f"dispatch {EVENT_TYPE} → {target.repo}")
        if pr is None:
            print("note     no merged Release PR for this commit: no label set")
        else:
            _relabel(forge, pr, PUBLISHED, dry_run)


def dispatch_payload(published: Mapping[str, Mapping[str, str]], head: str) -> dict[str, Any]:
    """``client_payload`` of the dispatch: at most 10 top-level keys (GitHub's limit)."""
    return {
        "packages": sorted(published),
        "versions": {pid: info["version"] for pid, info in sorted(published.items())},
        "registries": {pid: info["registry"] for pid, info in sorted(published.items())},
        "sha": head,
    }
