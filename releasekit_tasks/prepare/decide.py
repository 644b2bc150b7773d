"""Next versions from Conventional Commits: the decision half of ``doit prepare``.

For every publishable package in the selection (plus the internal
dependencies it needs):

1. Its own commits since its last release give a bump: breaking → major,
   feat → minor, fix/perf/revert → patch; on 0.x a breaking change is a minor
   bump unless ``major_on_zero``. No releasable commit → no release (D-5)
   unless ``force``. ``bump=patch|minor|major`` overrides the selected ones.
2. Independent mode: every package whose internal dependency gets a new
   version gets at least a patch bump — never the dependency's bump type
   (D-11). Edges only exist inside a release tree, so trees stay apart and a
   member pinned to a registry version is never touched.
   Synchronized mode: the largest bump applies to every package, across
   ecosystems, and they all share one version.
3. A package never released (no tag, no ``bootstrap_sha``) is released at
   the version its manifest states.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from releasekit_tasks.config import RootConfig
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.graph import Graph, Selection, levels, select
from releasekit_tasks.model import Package
from releasekit_tasks.prepare import versions
from releasekit_tasks.prepare.conventional import ParsedCommit, drop_reverted
from releasekit_tasks.prepare.history import (
    PackageHistory,
    read_histories,
    tag_names,
    umbrella_tag,
)
from releasekit_tasks.prepare.manifest import ChangeNote, PlannedRelease, ReleaseManifest
from releasekit_tasks.prepare.versions import Version, VersionError
from releasekit_tasks.tagformat import toplevel
from releasekit_tasks.workspace import Workspace

BUMP_OVERRIDES = ("auto", "patch", "minor", "major")


@dataclass(frozen=True)
class VersionOptions:
    selection: Selection = field(default_factory=Selection)
    prerelease: str = ""  # "rc" or "rc.2"
    bump: str = "auto"  # auto | patch | minor | major, for the selected packages
    force: bool = False  # release selected packages without releasable commits (D-5)


@dataclass
class Decision:
    manifest: ReleaseManifest
    skipped: dict[str, str]  # package id -> why it is not released


def decide(workspace: Workspace, graph: Graph, head: str, options: VersionOptions) -> Decision:
    config = workspace.config
    if options.bump not in BUMP_OVERRIDES:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"bump={options.bump!r}; allowed: {', '.join(BUMP_OVERRIDES)}",
            fix="pass bump=auto, patch, minor or major",
        )
    try:
        prerelease = versions.parse_prerelease(options.prerelease)
    except VersionError as exc:
        raise RKError(
            "RK-CONFIG-VALUE", str(exc), fix="pass prerelease=rc (or beta, alpha)"
        ) from None
    chosen, pulled = select(graph, options.selection)
    order = [pid for level in levels(graph) for pid in level]
    skipped: dict[str, str] = {}
    candidates: list[Package] = []
    for pid in order:
        package = graph.nodes[pid]
        if pid not in chosen | pulled:
            continue
        if not package.publishable:
            skipped[pid] = f"private: {package.reason}"
        elif package.no_bump:
            skipped[pid] = f"{package.no_bump}: not versioned"
        elif get_ecosystem(package.ecosystem).first_version(package) is None:
            skipped[pid] = (
                f"version unknown to releasekit ({package.version_source or 'dynamic'}); "
                "see `doit explain RK-VERSION-DYNAMIC`"
            )
        else:
            candidates.append(package)
    current = {p.id: _current(p) for p in candidates}
    histories = read_histories(candidates, config, _version_key, _is_prerelease)
    for package in candidates:
        _check_tag_source(package, histories[package.id])
    pending = _changeset_bumps(graph, toplevel(config))
    plans: dict[str, PlannedRelease] = {}
    kinds: dict[str, str | None] = {}
    for package in candidates:
        history = histories[package.id]
        commits = drop_reverted(history.commits)
        kind = _commit_kind(commits)
        reasons = _commit_reasons(commits)
        extra_notes: list[ChangeNote] = []
        for changeset_kind, file, summary in pending.get(package.id, []):
            kind = versions.larger(kind, changeset_kind)
            reasons.append(f"changeset {file}: {changeset_kind}")
            extra_notes.append(ChangeNote("feat" if changeset_kind != "patch" else "fix", summary))
        overridden = options.bump != "auto" and package.id in chosen
        if overridden:
            kind, reasons = options.bump, [f"bump={options.bump} requested", *reasons]
        elif kind is None and options.force and package.id in chosen:
            kind, reasons = "patch", ["force=1: released without releasable commits"]
        kinds[package.id] = kind
        major_on_zero = config.policy(package.label).major_on_zero
        if history.boundary is None:
            plans[package.id] = _initial(package, commits)
            plans[package.id].notes.extend(extra_notes)
            continue
        # A prerelease this tool released (its tag exists) graduates on the next final
        # release even without new commits; one that is only written in the manifest
        # (trpc's @trpc/openapi 11.18.0-alpha, never tagged) waits for a releasable change.
        released = history.last is not None and history.last.version == package.version
        promote = current[package.id].pre is not None and prerelease is None and released
        if kind is None and not promote:
            skipped[package.id] = _why_unchanged(history)
            continue
        if not overridden:
            kind = _zero_rule(kind, current[package.id], major_on_zero)
        plans[package.id] = _plan(
            package, current[package.id], kind, prerelease, history, reasons, major_on_zero
        )
        plans[package.id].notes.extend(extra_notes)
    domains: dict[str | None, list[Package]] = {}
    for package in candidates:
        domains.setdefault(config.policy(package.label).sync_domain, []).append(package)
    independent = domains.pop(None, [])
    _propagate(graph, independent, current, plans, prerelease, histories, config)
    _release_units(graph, independent, current, kinds, plans, prerelease, histories, config)
    for members in domains.values():
        ids = {p.id for p in members}
        synced = _synchronize(
            members,
            current,
            kinds,
            {k: v for k, v in plans.items() if k in ids},
            prerelease,
            histories,
            config,
        )
        for pid in ids:
            plans.pop(pid, None)
        plans.update(synced)
    for pid in plans:
        skipped.pop(pid, None)
    releases = [plans[p.id] for p in candidates if p.id in plans]
    for release in releases:
        package = graph.nodes[release.id]
        get_ecosystem(package.ecosystem).check_version(package, release.new_version)
    umbrellas = []
    umbrella_of: dict[str, str] = {}  # package id -> the umbrella tag of its release
    for domain, members in domains.items():
        # One version for the domain ("0.4.0", "0.4.0", "v0.4.0" parse equal): its umbrella tag.
        ids = {p.id for p in members}
        shared = {_parse(r.ecosystem, r.new_version) for r in releases if r.id in ids}
        if len(shared) == 1:
            version = versions.render_semver(shared.pop())
            umbrellas.append(umbrella_tag(config, domain or "", version))
            umbrella_of.update(dict.fromkeys(ids, umbrellas[-1]))
    umbrella = umbrellas[0] if len(umbrellas) == 1 else ""
    for release in releases:
        # A build reading its version from git tags must find it in one of the release's.
        package = graph.nodes[release.id]
        tags = tag_names(package, config, release.new_version)
        if release.id in umbrella_of:
            tags.append(umbrella_of[release.id])
        get_ecosystem(package.ecosystem).check_release_tags(package, release.new_version, tags)
    manifest = ReleaseManifest(
        head=head,
        synchronize=bool(domains),
        prerelease=options.prerelease,
        releases=releases,
        umbrella_tag=umbrella,
    )
    for release in releases:
        release.path = _relative(graph.nodes[release.id].path, toplevel(config))
        release.manifest = _relative(graph.nodes[release.id].manifest, toplevel(config))
    return Decision(manifest, skipped)


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _parse(ecosystem: str, text: str) -> Version:
    return get_ecosystem(ecosystem).parse_version(text)


def _version_key(ecosystem: str, text: str) -> tuple | None:
    try:
        return _parse(ecosystem, text).key()
    except VersionError:
        return None


def _is_prerelease(ecosystem: str, text: str) -> bool:
    return _parse(ecosystem, text).pre is not None


def _current(package: Package) -> Version:
    if package.version is None:  # never released, no version in its manifest: see _initial
        return Version(0, 0, 0)
    try:
        return _parse(package.ecosystem, package.version)
    except VersionError as exc:
        raise RKError(
            "RK-VERSION-INVALID",
            f"{package.id}: the current version is invalid: {exc}",
            path=package.manifest,
            fix="write a MAJOR.MINOR.PATCH version (with an optional prerelease)",
        ) from None


def _check_tag_source(package: Package, history: PackageHistory) -> None:
    """A version its build backend reads from a tag that is not one of the package's
    release tags: the backend's pattern also matches other packages' tags
    (setuptools-scm's default reads `b-v2.0.0` for package a), so its builds and
    current version follow another package's releases."""
    last = history.last
    # version_source "tag <name> (<backend>)": the version was read from a tag, not
    # from the versions file (a bump not tagged yet has no tag of its own).
    read_from = (
        package.version_source.split(" ")[1] if package.version_source.startswith("tag ") else ""
    )
    if not (package.vcs_version and read_from and last) or last.version == package.version:
        return
    raise RKError(
        "RK-VERSION-TAG-PATTERN",
        f"{package.id}: its build backend ({package.vcs_version}) reads its version "
        f"{package.version} from the tag {read_from}, which is not one of its release tags "
        f"(the latest is {last.name}): the backend's tag pattern matches other packages' tags",
        path=package.manifest,
    )


def _commit_kind(commits: list[ParsedCommit]) -> str | None:
    kind = None
    for commit in commits:
        kind = versions.larger(kind, commit.bump)
    return kind


def _commit_reasons(commits: list[ParsedCommit]) -> list[str]:
    releasing = [c for c in commits if c.bump]
    if not releasing:
        return []
    top = max(releasing, key=lambda c: versions.KINDS.index(c.bump or "patch"))
    more = f" (+{len(releasing) - 1} more)" if len(releasing) > 1 else ""
    what = "breaking change" if top.breaking else _KIND_WORDS.get(top.type or "", "change")
    return [f"{what} {top.sha[:7]} {top.subject}{more}"]


_KIND_WORDS = {"feat": "feature", "fix": "fix", "perf": "performance fix", "revert": "revert"}
# A squash-merge subject ends in its PR number; the note lists references itself.
_TRAILING_REFERENCE = re.compile(r"\s*\(#\d+\)$")


def _zero_rule(kind: str | None, current: Version, major_on_zero: bool) -> str | None:
    if kind == "major" and current.major == 0 and not major_on_zero:
        return "minor"
    return kind


def _why_unchanged(history: PackageHistory) -> str:
    since = history.boundary_name or "the first commit"
    if history.commits:
        return f"no releasable commits since {since} ({len(history.commits)} other commits)"
    return f"unchanged since {since}"


def _notes(commits: list[ParsedCommit]) -> list[ChangeNote]:
    notes = []
    for commit in commits:
        description = _TRAILING_REFERENCE.sub("", commit.description)
        if commit.breaking:
            text = description
            extra = [n for n in commit.breaking_notes if n != commit.description]
            if extra:
                text += ": " + " ".join(extra)
            notes.append(ChangeNote("breaking", text, commit.scope, commit.sha, commit.references))
        elif commit.bump:
            notes.append(
                ChangeNote(
                    commit.type or "fix",
                    description,
                    commit.scope,
                    commit.sha,
                    commit.references,
                )
            )
    return notes


def _render(package: Package, version: Version) -> str:
    try:
        return get_ecosystem(package.ecosystem).render_version(version)
    except VersionError as exc:
        raise RKError("RK-VERSION-INVALID", f"{package.id}: {exc}", path=package.manifest) from None


def _initial(package: Package, commits: list[ParsedCommit]) -> PlannedRelease:
    """A first release: the manifest's version, or the ecosystem's first one (Go: v0.1.0)."""
    new = get_ecosystem(package.ecosystem).first_version(package) or ""
    return _release(
        package, new, "initial", ["first release (no release tag yet)"], _notes(commits), ""
    )


def _plan(
    package: Package,
    current: Version,
    kind: str | None,
    prerelease: tuple[str, int | None] | None,
    history: PackageHistory,
    reasons: list[str],
    major_on_zero: bool,
) -> PlannedRelease:
    last_final = (
        _parse(package.ecosystem, history.last_final.version) if history.last_final else None
    )
    since_final = drop_reverted(history.commits_since_final)
    kind_since_final = _zero_rule(_commit_kind(since_final), last_final or current, major_on_zero)
    new = versions.next_version(current, kind, prerelease, last_final, kind_since_final)
    promoting = current.pre is not None and new.pre is None
    if promoting:
        bump = "promote"
        reasons = [f"promotes prerelease {package.version}", *reasons]
        notes = _notes(since_final)  # D-4: the final release rolls its prereleases up
    else:
        bump = "prerelease" if new.pre is not None else (kind or "patch")
        notes = _notes(drop_reverted(history.commits))
    return _release(package, _render(package, new), bump, reasons, notes, history.boundary_name)


def _release(
    package: Package, new: str, bump: str, reasons: list[str], notes: list[ChangeNote], since: str
) -> PlannedRelease:
    return PlannedRelease(
        id=package.id,
        name=package.name,
        ecosystem=package.ecosystem,
        label=package.label,
        path="",  # filled in relative to the repository by decide()
        manifest="",
        old_version=package.version,
        new_version=new,
        bump=bump,
        reasons=reasons,
        notes=notes,
        since=since,
    )


def _changes_version(release: PlannedRelease) -> bool:
    return release.old_version != release.new_version


def _propagate(
    graph: Graph,
    candidates: list[Package],
    current: dict[str, Version],
    plans: dict[str, PlannedRelease],
    prerelease: tuple[str, int | None] | None,
    histories: dict[str, PackageHistory],
    config: RootConfig,
) -> None:
    """D-11: a dependent of a package with a new version gets at least a patch bump.

    ``candidates`` is in dependency order, so a bump ripples through every level.
    Only hard edges propagate; an ecosystem with ``propagate = false`` keeps its
    dependents where they are.
    """
    for package in candidates:
        policy = config.policy(package.label)
        if not policy.propagate:
            continue
        major_on_zero = policy.major_on_zero
        moved = [
            plans[dep]
            for dep in graph.deps[package.id]
            if dep in plans and _changes_version(plans[dep])
        ]
        if not moved:
            continue
        notes = [ChangeNote("deps", f"{d.name} bumped to {d.new_version}") for d in moved]
        reasons = [f"dependency {d.name} → {d.new_version}" for d in moved]
        existing = plans.get(package.id)
        if existing is not None:
            existing.notes.extend(n for n in notes if n not in existing.notes)
            existing.reasons.extend(r for r in reasons if r not in existing.reasons)
            continue
        history = histories[package.id]
        release = _plan(
            package, current[package.id], "patch", prerelease, history, reasons, major_on_zero
        )
        release.bump = "prerelease" if prerelease else "patch"
        release.notes = [*release.notes, *notes]
        plans[package.id] = release


def _synchronize(
    candidates: list[Package],
    current: dict[str, Version],
    kinds: dict[str, str | None],
    plans: dict[str, PlannedRelease],
    prerelease: tuple[str, int | None] | None,
    histories: dict[str, PackageHistory],
    config: RootConfig,
) -> dict[str, PlannedRelease]:
    """Lockstep: the largest bump, applied to the highest current version, for everyone."""
    if not plans:
        return plans
    kind = None
    for pid in plans:
        kind = versions.larger(kind, kinds.get(pid))
    leader = max(candidates, key=lambda p: current[p.id].key())
    base = current[leader.id]
    if all(p.bump == "initial" for p in plans.values()):
        new = base
    else:
        kind = _zero_rule(kind, base, config.policy(leader.label).major_on_zero)
        finals = [
            _parse(p.ecosystem, tag.version)
            for p in candidates
            if (tag := histories[p.id].last_final) is not None
        ]
        last_final = max(finals, key=Version.key) if finals else None
        new = versions.next_version(base, kind, prerelease, last_final, kind)
    driver = ", ".join(sorted(plans))
    result = {}
    for package in candidates:
        own = plans.get(package.id)
        release = own or _release(
            package,
            "",
            "",
            [f"synchronized with {driver}"],
            [],
            histories[package.id].boundary_name,
        )
        release.new_version = _render(package, new)
        release.bump = (
            own.bump
            if own and own.bump in ("initial", "promote")
            else ("prerelease" if new.pre is not None else (kind or "patch"))
        )
        if release.old_version == release.new_version and release.bump != "initial":
            continue
        result[package.id] = release
    return result


def _release_units(
    graph: Graph,
    candidates: list[Package],
    current: dict[str, Version],
    kinds: dict[str, str | None],
    plans: dict[str, PlannedRelease],
    prerelease: tuple[str, int | None] | None,
    histories: dict[str, PackageHistory],
    config: RootConfig,
) -> None:
    """A release unit (modules requiring each other) is released together, at one version.

    When any member has a release, every member gets the unit's version: the
    largest bump applied to the highest current version (as ``synchronize``
    does for a whole ecosystem). Then the units' dependents propagate again.
    """
    by_id = {p.id: p for p in candidates}
    changed = False
    seen: set[tuple[str, ...]] = set()
    for package in candidates:
        unit = graph.units.get(package.id)
        if unit is None or unit in seen:
            continue
        seen.add(unit)
        members = [by_id[m] for m in unit if m in by_id]
        ids = {m.id for m in members}
        if not ids & set(plans):
            continue
        synced = _synchronize(
            members,
            current,
            kinds,
            {k: v for k, v in plans.items() if k in ids},
            prerelease,
            histories,
            config,
        )
        for release in synced.values():
            release.reasons.append(_unit_reason(release.id, ids))
        plans.update(synced)
        changed = True
    if changed:
        _propagate(graph, candidates, current, plans, prerelease, histories, config)


def _unit_reason(pid: str, unit: set[str]) -> str:
    """Why a unit member is released; a large unit (otel-go-contrib's module sets
    hold 29) is counted, not listed in every member's row."""
    others = sorted(unit - {pid})
    if len(others) <= 3:
        return "released with its unit: " + ", ".join(others)
    return (
        f"released with its unit of {len(unit)}: {', '.join(others[:2])} and {len(others) - 2} more"
    )


def _changeset_bumps(graph: Graph, repo: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Package id → (bump, changeset file, summary) for every pending ``.changeset/*.md``."""
    from releasekit_tasks.prepare import changesets

    found = changesets.pending(repo)
    if not found:
        return {}
    by_name: dict[str, list[str]] = {}
    for pid, package in graph.nodes.items():
        by_name.setdefault(package.name, []).append(pid)
    result: dict[str, list[tuple[str, str, str]]] = {}
    for changeset in found:
        for name, bump in changeset.bumps.items():
            if name not in by_name:
                raise RKError(
                    "RK-CHANGESET-INVALID",
                    f"names `{name}`, which is not a package of this repository",
                    path=changeset.path,
                    fix="fix the package name, or delete the changeset",
                )
            for pid in by_name[name]:
                result.setdefault(pid, []).append((bump, changeset.path.name, changeset.summary))
    return result
