"""``python -m releasekit_tasks init``: read the repository as it is, write releasekit.toml and dodo.py.

1. Every workspace of every kind at the root and one folder below it (two pnpm
   workspaces get two labels: ``js`` and the folder's name).
2. Each workspace's members are read and matched against the repository's
   tags: the tag format(s) they were released under, the umbrella tag of
   synchronized releases, and — when some member has no tag of its own — the
   bootstrap commit (the latest release) the next release counts from.
3. An existing release configuration is migrated (the original releasekit's
   releasekit.toml, release-please, changesets) with a report of every key
   mapped or not supported; the original releasekit.toml is kept as
   ``releasekit.toml.orig``.

It prints what it inferred and why. ``--dry-run`` prints the file instead of
writing anything. A releasekit-tasks releasekit.toml with other content is
only replaced with ``--force``; identical files are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from releasekit_tasks.adopt import Inferred, Member, index_tags, infer, latest
from releasekit_tasks.ecosystems import default_label, detect_kinds, get_ecosystem
from releasekit_tasks.errors import RKError
from releasekit_tasks.migrate import ORIGINAL_CONFIG, Draft, Report, find_sources, migrate

DODO = "from releasekit_tasks import *  # noqa: F403 — the release tasks: doit list\n"
SKIP = {"node_modules", "vendor", "testdata", "dist", "build"}
ROOT_DEFAULTS = {
    "synchronize": False,
    "tag_format": "{name}-v{version}",
    "umbrella_tag": "v{version}",
    "publish_from": "local",
}
# Folders whose never-released members init keeps off the registries (exclude_publish).
SAMPLE_DIRS = frozenset(
    {
        "testapps",
        "testapp",
        "samples",
        "sample",
        "examples",
        "example",
        "demos",
        "demo",
        "e2e",
        "fixtures",
        "playground",
        "tests",
        "test",
    }
)
# Draft keys that are not configuration: init turns them into files or lists.
_DRAFT_ONLY = (
    "package_tag_formats",
    "package_version_files",
    "release_please_members",
    "multimod_modules",
    "fixed_groups",
)


def detect_workspaces(root: Path) -> list[tuple[str, str, str]]:
    """(label, kind, workspace_root relative to root) for each workspace found.

    The first workspace of a kind gets the kind's label (``py``, ``js``, ``go``)
    — preferring a folder of that name — and the others their folder's name.
    A kind that finds its members below the root by itself (Go's nested
    go.mod scan) is taken once.
    """
    subfolders = sorted(
        p for p in root.iterdir() if p.is_dir() and p.name not in SKIP and p.name[0] not in "._"
    )
    kinds = {folder: detect_kinds(folder) for folder in [root, *subfolders]}
    found: list[tuple[str, str, Path]] = []
    for folder, detected in kinds.items():
        for kind in detected:
            holders = [f for f in subfolders if kind in kinds[f]]
            if folder == root:
                if not _only_below(root, kind, holders):
                    found.append(("", kind, folder))
                continue
            own = _is_own_workspace(folder, kind)
            at_root = any(k == kind and f == root for _, k, f in found)
            if at_root and (get_ecosystem(kind).covers_nested or not own):
                continue  # the root's workspace finds it
            if not own and any(k == kind for _, k, _ in found):
                continue
            found.append(("", kind, folder))
    labels: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    by_kind: dict[str, list[Path]] = {}
    for _, kind, folder in found:
        by_kind.setdefault(kind, []).append(folder)
    for kind, folders in by_kind.items():
        preferred = default_label(kind)
        first = next((f for f in folders if f.name == preferred), folders[0])
        for folder in [first, *[f for f in folders if f != first]]:
            label = preferred if folder == first else _label(folder.name)
            while label in taken:
                label = f"{label}-{kind}"
            taken.add(label)
            rel = "." if folder == root else folder.relative_to(root).as_posix()
            labels.append((label, kind, rel))
    order = {rel: n for n, (_, _, f) in enumerate(found) for rel in [_rel(root, f)]}
    return sorted(labels, key=lambda t: order.get(t[2], 0))


def _rel(root: Path, folder: Path) -> str:
    return "." if folder == root else folder.relative_to(root).as_posix()


def _label(name: str) -> str:
    label = re.sub(r"[^A-Za-z0-9_.-]", "-", name).strip("-.") or "ws"
    return label if label[0].isalnum() else f"ws{label}"


def _is_own_workspace(folder: Path, kind: str) -> bool:
    """The folder itself holds the kind's workspace file (not only something below it)."""
    ecosystem = get_ecosystem(kind)
    markers = ecosystem.workspace_markers or (ecosystem.manifest_name,)
    return any((folder / name).is_file() for name in markers)


def _only_below(root: Path, kind: str, holders: list[Path]) -> bool:
    """True when the root seems to hold a ``kind`` workspace only because one subfolder does.

    Go's detect() also finds go.mod files a few folders down, so a repository
    with its Go modules under go/ would otherwise get ``workspace_root = "."``
    and lose go/go.work.
    """
    return len(holders) == 1 and not _is_own_workspace(root, kind)


# --- inference ------------------------------------------------------------------


def _tags(root: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Tag → commit, and tag → date (tagger date, else commit date), in one git call."""
    from releasekit_tasks.vcs import git, repo_toplevel

    if repo_toplevel(root) is None:
        return {}, {}
    out = git(
        root,
        "for-each-ref",
        "refs/tags",
        "--format=%(refname:short)%09%(objectname)%09%(*objectname)%09%(creatordate:unix)",
        check=False,
    )
    shas: dict[str, str] = {}
    dates: dict[str, int] = {}
    for line in out.splitlines():
        name, sha, peeled, date = [*line.split("\t"), "", "", ""][:4]
        shas[name] = peeled or sha
        dates[name] = int(date) if date.isdigit() else 0
    return shas, dates


def _members(root: Path, label: str, kind: str, rel: str) -> list[Member]:
    """The workspace's members as init sees them (RKError when they cannot be read)."""
    from releasekit_tasks.config import EcosystemConfig, RootConfig

    eco = EcosystemConfig(
        label=label,
        kind=kind,
        workspace_root=(root / rel).resolve(),
        registry=get_ecosystem(kind).default_registry,
    )
    config = RootConfig(root=root.resolve(), ecosystems={label: eco})
    packages = get_ecosystem(kind).discover(eco, config)
    top = root.resolve()
    return [
        Member(
            p.name,
            p.version,
            _safe_rel(p.path, top),
            p.publishable,
            p.vcs_version,
            p,
        )
        for p in packages
    ]


def _safe_rel(path: Path, top: Path) -> str:
    try:
        rel = path.resolve().relative_to(top).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


def _is_version(kind: str) -> Callable[[str], bool]:
    from releasekit_tasks.prepare.versions import VersionError

    ecosystem = get_ecosystem(kind)

    def check(text: str) -> bool:
        try:
            ecosystem.parse_version(text)
        except VersionError:
            return False
        return True

    return check


def infer_draft(root: Path) -> tuple[Draft, list[str], dict[str, list[Member]]]:
    """The configuration the repository implies, what was inferred (one line each), the members."""
    draft = Draft(root=dict(ROOT_DEFAULTS))
    notes: list[str] = []
    members: dict[str, list[Member]] = {}
    workspaces = detect_workspaces(root)
    tags, dates = _tags(root)
    index = index_tags(tags)
    taken: set[str] = set()
    # The kind's own label first: it claims the tags both could read (genkit's v1.33.0).
    ordered = sorted(workspaces, key=lambda w: w[0] != default_label(w[1]))
    for label, kind, rel in ordered:
        draft.ecosystems[label] = {"kind": kind, "workspace_root": rel}
        try:
            found = _members(root, label, kind, rel)
        except RKError as err:
            notes.append(f"[{label}] {kind} workspace at {rel}/: its members cannot be read yet:")
            notes.append("    " + err.render().replace("\n", "\n    "))
            continue
        members[label] = found
        publishable = [m for m in found if m.publishable]
        notes.append(
            f"[{label}] {kind} workspace at {rel}/: {len(found)} members, "
            f"{len(publishable)} publishable"
        )
        if not get_ecosystem(kind).uses_tag_format:
            # Go: tags follow the go command's path-prefixed rule; nothing to choose.
            tagged = {m.name: _path_prefixed_tags(m, tags) for m in publishable}
            own = [t for found_tags in tagged.values() for t in found_tags]
            taken.update(own)
            if own:
                notes.append(
                    f"[{label}] {len(own)} module tags like {latest(own, dates)} "
                    "(the go command's path-prefixed rule)"
                )
            # A Go release *is* its tag, so a sample module is excluded, not just kept
            # off a registry (go-grpc-middleware's examples/ would get v2.0.0).
            samples = sorted(
                m.name
                for m in publishable
                if not tagged[m.name] and SAMPLE_DIRS & set(m.dir.split("/"))
            )
            if samples:
                why = (
                    f"never released, and in a sample/test folder ({', '.join(samples[:2])}"
                    f"{' …' if len(samples) > 2 else ''}): not versioned, not tagged — review"
                )
                draft.set(label, "exclude", samples, why)
                notes.append(f"[{label}] exclude = {len(samples)} modules: {why}")
            continue
        result = infer(
            label, found, list(tags), _is_version(kind), taken=taken, index=index, folder=rel
        )
        taken |= result.claimed
        _apply_inferred(draft, label, result, publishable, tags, dates, notes)
    return draft, notes, members


def _path_prefixed_tags(member: Member, tags: dict[str, str]) -> list[str]:
    """Tags ``<dir>/vX.Y.Z`` (``vX.Y.Z`` at the root; a ``/vN`` folder is not in the tag)."""
    prefix = f"{member.dir}/" if member.dir else ""
    major = re.search(r"/v(\d+)$", member.name)
    if major and prefix.endswith(f"v{major.group(1)}/"):
        prefix = prefix[: -len(f"v{major.group(1)}/")]
    return [
        t
        for t in tags
        if t.startswith(prefix + "v")
        and t[len(prefix) + 1 : len(prefix) + 2].isdigit()
        and "/" not in t[len(prefix) :]
    ]


def _apply_inferred(
    draft: Draft,
    label: str,
    result: Inferred,
    publishable: list[Member],
    tags: dict[str, str],
    dates: dict[str, int],
    notes: list[str],
) -> None:
    total = len(publishable)
    sources = sorted({m.vcs_version for m in publishable if m.vcs_version})
    if sources:
        tagged = sum(1 for m in publishable if m.vcs_version)
        notes.append(
            f"[{label}] {tagged} of {total} publishable members take their version from git "
            f"tags ({', '.join(sources)}): a release writes no version into their manifests, "
            "its tag is the version"
        )
    in_files = [m for m in publishable if m.package is not None and m.package.version_file]
    if in_files:
        example = in_files[0].package
        assert example is not None and example.version_file is not None
        notes.append(
            f"[{label}] {len(in_files)} of {total} publishable members keep their version in a "
            f"file of theirs (e.g. {example.name}: {example.version_file[0]}): a release rewrites "
            "that line, not the manifest"
        )
    if (
        result.tag_format is None
        and result.umbrella_tag is not None
        and result.synchronize
        and all(m.vcs_version for m in publishable)
    ):
        # pydantic-ai: one `v1.0.10` tag releases every member, and is what their build
        # backends read. Package tags of the same form: `doit tag` makes that one tag.
        e = result.umbrella_tag
        why = "every member's version comes from the one tag of a release, as their builds read it"
        draft.set(label, "tag_format", e.template, why)
        notes.append(f"[{label}] tag_format = {e.template!r}: {why}")
        result.untagged = []
    elif result.tag_format is not None:
        e = result.tag_format
        why = f"{e.packages} of {total} publishable members have tags like {e.example} ({e.tags} tags)"
        draft.set(label, "tag_format", e.template, why)
        notes.append(f"[{label}] tag_format = {e.template!r}: {why}")
    else:
        notes.append(f"[{label}] no release tags found: the root tag_format applies")
    if result.secondary_tag_format is not None:
        e = result.secondary_tag_format
        why = f"an older convention: {e.packages} members, {e.tags} tags like {e.example}"
        draft.set(label, "secondary_tag_format", e.template, why)
        notes.append(f"[{label}] secondary_tag_format = {e.template!r}: {why}")
    if result.umbrella_tag is not None:
        e = result.umbrella_tag
        why = f"{e.tags} umbrella tags like {e.example}"
        draft.set(label, "umbrella_tag", e.template, why)
        notes.append(f"[{label}] umbrella_tag = {e.template!r}: {why}")
        if result.synchronize:
            why = "every publishable member is at one version, which has an umbrella tag"
            draft.set(label, "synchronize", True, why)
            notes.append(f"[{label}] synchronize = true: {why}")
    untagged = set(result.untagged)
    samples = [
        m.name for m in publishable if m.name in untagged and SAMPLE_DIRS & set(m.dir.split("/"))
    ]
    if samples:
        why = (
            f"never released, and in a sample/test folder ({', '.join(sorted(samples)[:3])}"
            f"{' …' if len(samples) > 3 else ''}): versioned, not uploaded — review"
        )
        draft.set(label, "exclude_publish", sorted(samples), why)
        notes.append(f"[{label}] exclude_publish = {len(samples)} members: {why}")
    # Samples count too: without a boundary their history is the whole repository's.
    counted = result.untagged
    if counted and result.claimed:
        last = _last_release(result, label, dates)
        why = (
            f"{len(counted)} publishable members have no tag of their own "
            f"({', '.join(counted[:3])}{' …' if len(counted) > 3 else ''}); "
            f"their next release counts from the latest release, {last}"
        )
        draft.set(label, "bootstrap_sha", tags[last], why)
        notes.append(f"[{label}] bootstrap_sha = {tags[last][:12]}: {why}")


def _last_release(result: Inferred, label: str, dates: dict[str, int]) -> str:
    """The umbrella tag of the highest version, else the most recent release tag."""
    from releasekit_tasks import tagformat

    if result.umbrella_tag is not None:
        before, after = tagformat.affixes(result.umbrella_tag.template, label=label)
        umbrellas = [
            t for t in result.claimed if tagformat.version_of(t, before, after) is not None
        ]
        finals = [
            t for t in umbrellas if "-" not in (tagformat.version_of(t, before, after) or "-")
        ]
        if finals:
            return max(finals, key=lambda t: _numeric(tagformat.version_of(t, before, after) or ""))
    return latest(result.claimed, dates)


def _numeric(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.+-]", version))


# --- the file ------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        items = [_toml_value(v) for v in value]
        one_line = "[" + ", ".join(items) + "]"
        if len(one_line) <= 80:
            return one_line
        return "[\n" + "".join(f"  {i},\n" for i in items) + "]"
    return str(value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def render_config(draft: Draft) -> str:
    lines = ["# releasekit-tasks configuration — every key: docs/configuration.md"]

    def emit(label: str, table: dict[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, dict) or key in _DRAFT_ONLY:
                continue
            why = draft.why.get((label, key))
            if why:
                lines.append(f"# {why}")
            lines.append(f"{_key(key)} = {_toml_value(value)}")

    emit("", draft.root)
    for label, table in draft.ecosystems.items():
        lines += ["", f"[ecosystems.{_key(label)}]"]
        emit(label, table)
        for key, value in table.items():
            if isinstance(value, dict) and key not in _DRAFT_ONLY:
                lines += ["", f"[ecosystems.{_key(label)}.{_key(key)}]"]
                lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _finish_migration(
    draft: Draft, members: dict[str, list[Member]], root: Path
) -> dict[Path, str]:
    """Turn the draft-only keys into configuration and per-package files."""
    files: dict[Path, str] = {}
    for label, table in draft.ecosystems.items():
        listed = table.get("release_please_members")
        if listed is not None and label in members:
            ws = table.get("workspace_root", ".")
            unlisted = [
                m.name
                for m in members[label]
                if m.publishable and m.dir not in listed and not (ws == "." and m.dir == "")
            ]
            if unlisted:
                table["exclude"] = sorted(set(table.get("exclude", [])) | set(unlisted))
                draft.why[(label, "exclude")] = (
                    "not released by release-please (not in its packages)"
                )
        released = table.get("multimod_modules")
        if released is not None and label in members:
            unlisted = [m.name for m in members[label] if m.publishable and m.name not in released]
            if unlisted:
                table["exclude"] = sorted(set(table.get("exclude", [])) | set(unlisted))
                draft.why[(label, "exclude")] = (
                    "not in versions.yaml: multimod releases only its module sets"
                )
        for group in table.get("fixed_groups", []):
            table.setdefault("release_units", []).append([f"group:{group}"])
            draft.why[(label, "release_units")] = "changesets `fixed`: one version for the group"
        lines: dict[str, list[str]] = {}
        for rel, fmt in table.get("package_tag_formats", {}).items():
            lines.setdefault(rel, []).append(f"tag_format = {json.dumps(fmt)}")
        for rel, entries in table.get("package_version_files", {}).items():
            tables = ", ".join(
                f"{{ path = {json.dumps(e['path'])}, pattern = {json.dumps(e['pattern'])} }}"
                for e in entries
            )
            lines.setdefault(rel, []).append(f"version_files = [{tables}]")
        for rel, keys in lines.items():
            files[root / rel / "releasekit.toml"] = "\n".join(keys) + "\n"
    return files


def _unread_tags(draft: Draft, members: dict[str, list[Member]]) -> list[str]:
    """Warnings for members whose build reads its version from git tags that the
    configured tag forms would not give it (``doit version`` refuses those releases)."""
    from releasekit_tasks import tagformat

    notes = []
    sample = "1.2.3"
    for label, found in members.items():
        table = draft.ecosystems.get(label, {})
        template = table.get("tag_format") or draft.root.get("tag_format", "{name}-v{version}")
        synchronized = table.get("synchronize", draft.root.get("synchronize", False))
        umbrella = table.get("umbrella_tag") or draft.root.get("umbrella_tag", "v{version}")
        for member in found:
            package = member.package
            if not (member.vcs_version and member.publishable and package is not None):
                continue
            tags = [
                tagformat.render(
                    template, name=member.name, version=sample, label=label, dir=member.dir
                )
            ]
            if synchronized:
                tags.append(tagformat.render(umbrella, version=sample, label=label))
            try:
                get_ecosystem(package.ecosystem).check_release_tags(package, sample, tags)
            except RKError as err:
                notes.append(
                    f"[{label}] warning: {err.message}; set `tag_format` in [ecosystems.{label}] "
                    "(or the member's releasekit.toml) to a form its backend reads"
                )
    return notes


def init(root: Path, *, force: bool = False, dry_run: bool = False) -> list[str]:
    """Write the files; return the lines to print: what was inferred and what happened."""
    root = root.resolve()
    if not root.is_dir():
        raise RKError("RK-INIT-NO-FOLDER", f"{root} is not a folder", path=root)
    config_path = root / "releasekit.toml"
    sources = find_sources(root)
    draft, notes, members = infer_draft(root)
    reports: list[Report] = [migrate(root, source, draft) for source in sources]
    extra_files = _finish_migration(draft, members, root)
    notes += _unread_tags(draft, members)
    text = render_config(draft)
    report: list[str] = ["inferred:", *(f"  {n}" for n in notes)]
    for migration in reports:
        if migration.source == ORIGINAL_CONFIG:
            migration.kept_as = f"{ORIGINAL_CONFIG}.orig"
        report += migration.render().splitlines()
    files = {config_path: text, root / "dodo.py": DODO, **extra_files}
    migrating_config = ORIGINAL_CONFIG in sources
    conflicts = [
        p
        for p, content in files.items()
        if p.exists() and p.read_text() != content and not (p == config_path and migrating_config)
    ]
    if conflicts and not force:
        raise RKError(
            "RK-INIT-EXISTS",
            f"{', '.join(str(p.relative_to(root)) for p in conflicts)} already exist(s) with other content",
            path=conflicts[0],
        )
    if dry_run:
        for path, content in {config_path: text, **extra_files}.items():
            report.append(f"  --- {path.relative_to(root)} (--dry-run: not written)")
            report += [f"  | {line}" for line in content.rstrip("\n").splitlines()]
    if migrating_config and not dry_run:
        (root / f"{ORIGINAL_CONFIG}.orig").write_bytes(config_path.read_bytes())
        report.append(f"kept the original releasekit configuration as {ORIGINAL_CONFIG}.orig")
    for path, content in files.items():
        name = str(path.relative_to(root))
        if path.exists() and path.read_text() == content:
            report.append(f"unchanged {name}")
            continue
        if dry_run:
            report.append(f"would {'overwrite' if path.exists() else 'write'} {name}")
            continue
        report.append(f"{'overwrote' if path.exists() else 'wrote'} {name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    report += _ignore_state(root, dry_run)
    if reports and not dry_run:
        state = root / ".releasekit"
        state.mkdir(exist_ok=True)
        (state / "migration-report.txt").write_text(
            "\n".join(r.render() for r in reports) + "\n", encoding="utf-8"
        )
        report.append("wrote .releasekit/migration-report.txt")
    return report


def _ignore_state(root: Path, dry_run: bool) -> list[str]:
    """Keep releasekit's state folder out of git."""
    gitignore = root / ".gitignore"
    text = gitignore.read_text() if gitignore.exists() else ""
    # `.releasekit`, `/.releasekit/` … ignore it as well as `.releasekit/` does.
    if any(line.strip().strip("/") == ".releasekit" for line in text.splitlines()):
        return []
    if not dry_run:
        gitignore.write_text(
            text + ("" if text.endswith("\n") or not text else "\n") + ".releasekit/\n"
        )
    return [f"{'would add' if dry_run else 'added'} .releasekit/ to .gitignore"]
