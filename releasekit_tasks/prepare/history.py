"""Release history from git: each package's release tags and its commits since the last one.

Tags: Go modules use the go command's fixed rule (``plugins/foo/v0.6.0``);
other packages use ``tag_format`` (package, then ecosystem, then root config;
the placeholders of :mod:`releasekit_tasks.tagformat`), and ``secondary_tag_format``
tags count too. A tag form two packages render alike belongs to neither.

Commits: first-parent history since the package's boundary — its last release
tag, else its ecosystem's umbrella tag at its current version, else the
ecosystem's ``bootstrap_sha``, else the root commit. A merge commit on that line
stands for the commits it brought in (each parsed on its own); only when none
of them is conventional does the merge's own message count. A file belongs to
the deepest package folder holding it, so a nested module's changes are not
its parent's. Packages sharing a boundary share one ``git log`` call.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from releasekit_tasks import tagformat
from releasekit_tasks.config import RootConfig
from releasekit_tasks.ecosystems import get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Package
from releasekit_tasks.prepare.conventional import ParsedCommit, parse
from releasekit_tasks.tagformat import tag_format, toplevel
from releasekit_tasks.vcs import git, require_history


@dataclass(frozen=True)
class Tag:
    name: str
    version: str  # as the package writes it (Go: with its "v")
    sha: str  # the commit the tag points at


@dataclass
class PackageHistory:
    last: Tag | None  # the tag of the current version, else the highest
    last_final: Tag | None  # the highest tag that is not a prerelease
    boundary: str | None  # commits after this sha count; None = all history
    boundary_name: str  # the tag name, "bootstrap_sha <sha>", or ""
    commits: list[ParsedCommit] = field(default_factory=list)  # newest first
    # Since the last final release (for prerelease bumps and changelog rollup).
    commits_since_final: list[ParsedCommit] = field(default_factory=list)

    @property
    def final_boundary(self) -> str | None:
        return self.last_final.sha if self.last_final else self.boundary


def tag_name(package: Package, config: RootConfig, version: str) -> str:
    """The git tag of ``package`` at ``version``."""
    return get_ecosystem(package.ecosystem).tag_name(
        package, tag_format(package, config), toplevel(config), version
    )


def tag_names(package: Package, config: RootConfig, version: str) -> list[str]:
    """Every tag a release of ``package`` at ``version`` gets: its tag, then the secondary one."""
    names = [tag_name(package, config, version)]
    secondary = config.policy(package.label).secondary_tag_format
    if secondary:
        other = tagformat.render(
            secondary,
            name=package.name,
            version=version,
            label=package.label,
            dir=_dir(package, config),
        )
        if other not in names:
            names.append(other)
    return names


def umbrella_tag(config: RootConfig, label: str, version: str) -> str:
    """The umbrella tag of a synchronized release of ``label``'s ecosystem."""
    return tagformat.render(config.policy(label).umbrella_tag, version=version, label=label)


def _dir(package: Package, config: RootConfig) -> str:
    rel = _relative(package.path, toplevel(config)).as_posix()
    return "" if rel == "." else rel


def _tag_affixes(package: Package, config: RootConfig) -> list[tuple[str, str]]:
    """The text before and after the version in this package's tags, one pair per
    tag template, the ecosystem's first (no regex: a thousand packages would each
    compile their own)."""
    pairs = [
        get_ecosystem(package.ecosystem).tag_affixes(
            package, tag_format(package, config), toplevel(config)
        )
    ]
    secondary = config.policy(package.label).secondary_tag_format
    if secondary:
        pair = tagformat.affixes(
            secondary, name=package.name, label=package.label, dir=_dir(package, config)
        )
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def all_tags(repo: Path) -> dict[str, str]:
    """Tag name -> the commit it points at (annotated tags peeled), in one git call."""
    out = git(
        repo, "for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname) %(*objectname)"
    )
    tags = {}
    for line in out.splitlines():
        name, sha, *peeled = line.split(" ")
        tags[name] = peeled[0] if peeled and peeled[0] else sha
    return tags


_SORTED: dict[int, tuple[dict[str, str], list[str]]] = {}


def _sorted_names(tags: dict[str, str]) -> list[str]:
    """The tag names in order, sorted once per tag table (thousands of tags, a hundred packages)."""
    cached = _SORTED.get(id(tags))
    if cached is None or cached[0] is not tags:
        cached = (tags, sorted(tags))
        _SORTED.clear()
        _SORTED[id(tags)] = cached
    return cached[1]


def _with_prefix(names: list[str], prefix: str) -> list[str]:
    """The names starting with ``prefix``: one contiguous run of the sorted list."""
    start = bisect.bisect_left(names, prefix)
    end = start
    while end < len(names) and names[end].startswith(prefix):
        end += 1
    return names[start:end]


def package_tags(
    package: Package,
    config: RootConfig,
    tags: dict[str, str],
    version_key: Callable[[str], tuple | None],
    ambiguous: frozenset[tuple[str, str]] = frozenset(),
) -> list[Tag]:
    """This package's release tags whose version parses, lowest version first.

    With a secondary tag format one version may have two tags: the primary wins.
    """
    found: dict[tuple, tuple[int, Tag]] = {}  # version key -> (template rank, tag)
    names = _sorted_names(tags)
    for rank, (before, after) in enumerate(_tag_affixes(package, config)):
        if rank and (before, after) in ambiguous:
            continue  # a secondary form two packages share (`{short}`: mcp, @genkit-ai/mcp)
        for name in _with_prefix(names, before):
            sha = tags[name]
            version = tagformat.version_of(name, before, after)
            key = version_key(version) if version else None
            if key is not None and (key not in found or found[key][0] > rank):
                found[key] = (rank, Tag(name, version or "", sha))
    return [found[key][1] for key in sorted(found)]


def _shared_affixes(packages: list[Package], config: RootConfig) -> frozenset[tuple[str, str]]:
    """Tag forms that more than one package renders the same (then no package owns them)."""
    seen: dict[tuple[str, str], str] = {}
    shared = set()
    for package in packages:
        for pair in _tag_affixes(package, config):
            if seen.setdefault(pair, package.id) != package.id:
                shared.add(pair)
    return frozenset(shared)


def umbrella_tags(
    label: str,
    config: RootConfig,
    tags: dict[str, str],
    version_key: Callable[[str], tuple | None],
) -> list[Tag]:
    """The umbrella tags of ``label``'s synchronized releases, lowest version first."""
    policy = config.policy(label)
    if not policy.synchronize:
        return []
    before, after = tagformat.affixes(policy.umbrella_tag, label=label)
    found = []
    for name in _with_prefix(_sorted_names(tags), before):
        version = tagformat.version_of(name, before, after)
        key = version_key(version) if version else None
        if key is not None:
            found.append((key, Tag(name, version or "", tags[name])))
    return [tag for _, tag in sorted(found, key=lambda pair: pair[0])]


def read_histories(
    packages: list[Package],
    config: RootConfig,
    version_key: Callable[[str, str], tuple | None],  # (ecosystem, version); None: no version
    is_prerelease: Callable[[str, str], bool],  # (ecosystem, version)
) -> dict[str, PackageHistory]:
    require_history(config.root)
    repo = toplevel(config)
    tags = all_tags(repo)
    histories: dict[str, PackageHistory] = {}
    umbrellas: dict[str, list[Tag]] = {}
    resolved: dict[str, str] = {}
    ambiguous = _shared_affixes(packages, config)
    for package in packages:
        key = functools.partial(version_key, package.ecosystem)
        found = package_tags(package, config, tags, key, ambiguous)
        if not found:
            # Released under its ecosystem's umbrella tag only (genkit's py/v0.6.0).
            if package.label not in umbrellas:
                umbrellas[package.label] = umbrella_tags(package.label, config, tags, key)
            found = (
                [
                    Tag(t.name, package.version or t.version, t.sha)
                    for t in umbrellas[package.label]
                    if key(t.version) == key(package.version or "")
                ]
                if package.version and get_ecosystem(package.ecosystem).uses_tag_format
                else []
            )
        current = next((t for t in found if t.version == package.version), None)
        last = current or (found[-1] if found else None)
        finals = [t for t in found if not is_prerelease(package.ecosystem, t.version)]
        last_final = finals[-1] if finals else None
        bootstrap = config.policy(package.label).bootstrap_sha
        if last is not None:
            boundary, boundary_name = last.sha, last.name
        elif bootstrap:
            if bootstrap not in resolved:  # one git call per distinct bootstrap_sha
                resolved[bootstrap] = _resolve(repo, bootstrap)
            boundary = resolved[bootstrap]
            boundary_name = f"bootstrap_sha {bootstrap}"
        else:
            boundary, boundary_name = None, ""
        histories[package.id] = PackageHistory(last, last_final, boundary, boundary_name)
    folders = Owners({_relative(p.path, repo).as_posix(): p.id for p in packages})
    wanted: dict[str | None, set[str]] = {}
    for pid, history in histories.items():
        wanted.setdefault(history.boundary, set()).add(pid)
        wanted.setdefault(history.final_boundary, set()).add(pid)
    logs = {
        boundary: _commits_by_package(repo, boundary, folders, pids)
        for boundary, pids in wanted.items()
    }
    for pid, history in histories.items():
        history.commits = logs[history.boundary].get(pid, [])
        history.commits_since_final = logs[history.final_boundary].get(pid, [])
    return histories


def _resolve(repo: Path, rev: str) -> str:
    out = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip()
    if not out:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"bootstrap_sha {rev!r} is not a commit of this repository",
            path=repo / "releasekit.toml",
            fix="set bootstrap_sha to the commit of the last release made before releasekit",
        )
    return out


def _relative(path: Path, repo: Path) -> PurePosixPath:
    return PurePosixPath(Path(os.path.relpath(path, repo)).as_posix())


class Owners:
    """File path → the id of the deepest package folder holding it, memoized.

    A long history names the same files again and again (genkit: 36,000 file
    entries over 41 logs); string prefixes, not Path objects, keep it cheap.
    """

    def __init__(self, folders: dict[str, str]) -> None:
        self.folders = {("" if f == "." else f): pid for f, pid in folders.items()}
        self.cache: dict[str, str | None] = {}

    def __call__(self, file: str) -> str | None:
        found = self.cache.get(file, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        owner = None
        folder = file
        while True:
            cut = folder.rfind("/")
            folder = folder[:cut] if cut != -1 else ""
            if folder in self.folders:
                owner = self.folders[folder]
                break
            if not folder:
                break
        self.cache[file] = owner
        return owner


_MISSING = object()


def _owner(file: str, folders: Owners) -> str | None:
    """The id of the deepest package folder holding ``file``."""
    return folders(file)


_LOG_FORMAT = "--format=%x1e%H%x1f%P%x1f%B%x1f"


def _log(repo: Path, *args: str) -> list[tuple[str, list[str], str, list[str]]]:
    """(sha, parents, message, files) per commit, newest first."""
    # -z: file names NUL-terminated and never quoted (spaces, quotes, non-ASCII).
    out = git(repo, "log", _LOG_FORMAT, "--name-only", "--no-renames", "-z", *args)
    entries = []
    for record in out.split("\x1e")[1:]:
        sha, parents, message, files = record.split("\x1f")
        names = files.removeprefix("\0").removeprefix("\n").split("\0")
        entries.append((sha, parents.split(), message, [f for f in names if f]))
    return entries


def _commits_by_package(
    repo: Path, boundary: str | None, folders: Owners, pids: set[str]
) -> dict[str, list[ParsedCommit]]:
    rev = f"{boundary}..HEAD" if boundary else "HEAD"
    result: dict[str, list[ParsedCommit]] = {}
    # --first-parent implies --diff-merges=first-parent: a merge lists what it changed.
    for sha, parents, message, files in _log(repo, "--first-parent", rev, "--"):
        touched = {owner for f in files if (owner := _owner(f, folders)) in pids}
        if not touched:
            continue
        if len(parents) > 1:
            merged = _merged_commits(repo, parents, folders)
            for pid in touched:
                own = [c for c in merged.get(pid, []) if c.type is not None]
                result.setdefault(pid, []).extend(own or [parse(sha, message)])
        else:
            commit = parse(sha, message)
            for pid in touched:
                result.setdefault(pid, []).append(commit)
    return result


def _merged_commits(
    repo: Path, parents: list[str], folders: Owners
) -> dict[str, list[ParsedCommit]]:
    """The commits a merge brought in (reachable from its other parents only), by package."""
    excluded = [f"^{parents[0]}"]
    found: dict[str, list[ParsedCommit]] = {}
    for sha, _, message, files in _log(repo, "--no-merges", *parents[1:], *excluded, "--"):
        commit = parse(sha, message)
        for owner in {o for f in files if (o := _owner(f, folders)) is not None}:
            found.setdefault(owner, []).append(commit)
    return found
