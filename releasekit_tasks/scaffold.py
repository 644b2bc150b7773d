"""``python -m releasekit_tasks init``: write releasekit.toml and dodo.py for a repo.

Detects workspaces at the root and one folder below it. Idempotent: a file
that already holds exactly what would be written is left alone; a different
one is only replaced with ``force``.
"""

from __future__ import annotations

from pathlib import Path

from releasekit_tasks.ecosystems import detect_kinds, get_ecosystem
from releasekit_tasks.errors import RKError

DODO = "from releasekit_tasks import *  # noqa: F403 — the release tasks: doit list\n"
SKIP = {"node_modules", "vendor", "testdata", "dist", "build"}


def detect_workspaces(root: Path) -> list[tuple[str, str, str]]:
    """(label, kind, workspace_root relative to root) for each workspace found."""
    found: list[tuple[str, str, str]] = []
    subfolders = sorted(
        p for p in root.iterdir() if p.is_dir() and p.name not in SKIP and p.name[0] not in "._"
    )
    kinds = {folder: detect_kinds(folder) for folder in [root, *subfolders]}
    claimed: set[str] = set()
    for folder, detected in kinds.items():
        for kind in detected:
            if folder == root and _only_below(
                root, kind, [f for f in subfolders if kind in kinds[f]]
            ):
                continue
            if kind in claimed and folder != root:
                continue  # one workspace per kind per repo is the common case; the root wins
            label = get_ecosystem(kind).default_label or kind
            if any(existing == label for existing, _, _ in found):
                label = f"{label}-{folder.name}"
            rel = "." if folder == root else folder.relative_to(root).as_posix()
            found.append((label, kind, rel))
            claimed.add(kind)
    return found


def _only_below(root: Path, kind: str, holders: list[Path]) -> bool:
    """True when the root seems to hold a ``kind`` workspace only because one subfolder does.

    Go's detect() also finds go.mod files a few folders down, so a repository
    with its Go modules under go/ would otherwise get ``workspace_root = "."``
    and lose go/go.work.
    """
    ecosystem = get_ecosystem(kind)
    markers = ecosystem.workspace_markers or (ecosystem.manifest_name,)
    return len(holders) == 1 and not any((root / name).is_file() for name in markers)


def render_config(workspaces: list[tuple[str, str, str]]) -> str:
    lines = [
        "# releasekit-tasks configuration — every key: docs/configuration.md",
        "synchronize = false",
        'tag_format = "{name}-v{version}"',
        'umbrella_tag = "v{version}"',
        'publish_from = "local"',
    ]
    for label, kind, rel in workspaces:
        lines += ["", f"[ecosystems.{label}]", f'kind = "{kind}"', f'workspace_root = "{rel}"']
    return "\n".join(lines) + "\n"


def init(root: Path, *, force: bool = False, dry_run: bool = False) -> list[str]:
    """Write the files; return one line per file saying what happened."""
    root = root.resolve()
    if not root.is_dir():
        raise RKError("RK-INIT-NO-FOLDER", f"{root} is not a folder", path=root)
    files = {
        root / "releasekit.toml": render_config(detect_workspaces(root)),
        root / "dodo.py": DODO,
    }
    conflicts = [p for p, text in files.items() if p.exists() and p.read_text() != text]
    if conflicts and not force:
        raise RKError(
            "RK-INIT-EXISTS",
            f"{', '.join(p.name for p in conflicts)} already exist(s) with other content",
            path=conflicts[0],
        )
    report = []
    for path, text in files.items():
        if path.exists() and path.read_text() == text:
            report.append(f"unchanged {path.name}")
            continue
        if dry_run:
            report.append(f"would {'overwrite' if path.exists() else 'write'} {path.name}")
            continue
        report.append(f"{'overwrote' if path.exists() else 'wrote'} {path.name}")
        path.write_text(text, encoding="utf-8")
    report += _ignore_state(root, dry_run)
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
