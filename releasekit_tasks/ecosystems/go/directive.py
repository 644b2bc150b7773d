"""``doit go-directive``: keep every Go module's ``go`` line at 1.(N-1).0 (seed 003).

When Go 1.N is the newest release, golang.org/x raises each module's ``go``
directive to ``1.(N-1).0`` with the go command itself, at the module root::

    go get go@1.(N-1).0 && go mod tidy && go fix ./...

Modules already at or above the target are skipped, never downgraded. A
``toolchain`` line higher than the new ``go`` line stays (the go command keeps
it); none is introduced where there was none. With a committed ``go.work``, its
``go`` line is raised as well and ``go work sync`` runs. Everything happens in
a fresh git worktree of HEAD (as ``doit prepare``), ends in one commit
``chore(go): raise go directive to 1.X.0`` on ``releasekit/go-directive``,
which is pushed, and a PR body is written to ``.releasekit/go-directive-pr.md``.
The user's checkout is never touched; ``dry_run=1`` prints and changes nothing.

The target is the ``go=1.X.0`` option, else one minor below the local go
command's ``go env GOVERSION`` (go1.27.3 → 1.26.0). Every command runs with
``GOTOOLCHAIN=local``: the go command that edits is the one installed.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks.ecosystems.go.modfile import read_gomod, read_gowork
from releasekit_tasks.errors import RKError

BRANCH = "releasekit/go-directive"
WORKTREE = "go-directive-worktree"
PR_BODY = "go-directive-pr.md"

_GO_VERSION = re.compile(r"^1\.(\d+)(?:\.(\d+)|(rc|beta|alpha)(\d+))?$")


def go_version_key(text: str) -> tuple[int, int, int, int, int]:
    """Order Go versions as go/version.Compare: 1.21 < 1.21rc1 < 1.21.0 < 1.21.1."""
    match = _GO_VERSION.match(text.removeprefix("go"))
    if not match:
        raise ValueError(text)
    minor = int(match[1])
    if match[2] is not None:
        return (1, minor, 2, int(match[2]), 0)
    if match[3] is not None:
        stage = {"alpha": 0, "beta": 1, "rc": 2}[match[3]]
        return (1, minor, 1, stage, int(match[4]))
    return (1, minor, 0, 0, 0)


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local"}


def local_go_version() -> str:
    """``go env GOVERSION`` of the installed go command (``go1.27.3``)."""
    try:
        out = subprocess.run(
            ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True, env=_go_env()
        ).stdout.strip()
    except (FileNotFoundError, subprocess.CalledProcessError):
        raise RKError("RK-TOOL-MISSING", "`go` is not installed or does not run") from None
    return out


def default_target(goversion: str) -> str:
    """1.(N-1).0 for a go command at go1.N.x (go1.27.3 → 1.26.0; go1.27rc1 → 1.26.0)."""
    match = re.match(r"go1\.(\d+)", goversion)
    if not match or int(match[1]) < 1:
        raise RKError(
            "RK-TOOL-MISSING",
            f"cannot read a Go release from `go env GOVERSION` ({goversion!r})",
            fix="pass the target explicitly: doit go-directive go=1.X.0",
        )
    return f"1.{int(match[1]) - 1}.0"


def check_target(target: str) -> str:
    target = target.removeprefix("go")
    if not re.fullmatch(r"1\.\d+\.\d+", target):
        raise RKError(
            "RK-CONFIG-VALUE",
            f"go={target!r} is not a Go release version",
            fix="write go=1.X.0, e.g. go=1.26.0",
        )
    return target


@dataclass(frozen=True)
class ModulePlan:
    folder: Path  # relative to the repository root
    module: str
    current: str | None
    raise_it: bool


def plan(repo: Path, module_dirs: list[Path], target: str) -> list[ModulePlan]:
    out = []
    want = go_version_key(target)
    for folder in module_dirs:
        mod = read_gomod(folder / "go.mod")
        current = mod.go
        below = current is None or go_version_key(current) < want
        out.append(ModulePlan(folder.relative_to(repo), mod.module, current, below))
    return out


def _run(tree: Path, folder: Path, *args: str, harmless: str = "") -> None:
    """Run the go command in ``folder``; a failure whose output holds ``harmless`` is none."""
    command = ["go", *args]
    done = subprocess.run(
        command, cwd=tree / folder, capture_output=True, text=True, env=_go_env(), check=False
    )
    if done.returncode != 0 and not (harmless and harmless in done.stderr + done.stdout):
        raise RKError(
            "RK-LOCK-UPDATE",
            f"`{' '.join(command)}` failed in {folder}:\n{(done.stderr or done.stdout).strip()}",
            path=tree / folder / "go.mod",
            fix=f"run `{' '.join(command)}` in {folder} and fix what it reports",
        )


def raise_module(tree: Path, item: ModulePlan, target: str) -> None:
    """The seed's three commands at the module root; no toolchain line where there was none."""
    had_toolchain = read_gomod(tree / item.folder / "go.mod").toolchain is not None
    _run(tree, item.folder, "get", f"go@{target}")
    _run(tree, item.folder, "mod", "tidy")
    # A module without Go packages (only go.mod, or only nested modules) has nothing to fix.
    _run(tree, item.folder, "fix", "./...", harmless="no packages to fix")
    if not had_toolchain and read_gomod(tree / item.folder / "go.mod").toolchain is not None:
        _run(tree, item.folder, "mod", "edit", "-toolchain=none")


def committed_gowork(repo: Path, work_dirs: list[Path]) -> list[Path]:
    """go.work files (relative) that git tracks in the given folders."""
    from releasekit_tasks.vcs import git

    found = []
    for folder in work_dirs:
        rel = (folder / "go.work").relative_to(repo).as_posix()
        if git(repo, "ls-files", "--error-unmatch", rel, check=False).strip():
            found.append(Path(rel))
    return found


def raise_work(tree: Path, gowork: Path, target: str) -> None:
    """A go.work's go line must be at least its modules': raised first, before them."""
    work = read_gowork(tree / gowork)
    if work.go is None or go_version_key(work.go) < go_version_key(target):
        _run(tree, gowork.parent, "work", "edit", f"-go={target}")


def commit_message(target: str, raised: list[ModulePlan]) -> str:
    lines = [
        f"- {m.module} ({m.folder.as_posix()}): go {m.current or '(none)'} → {target}"
        for m in raised
    ]
    return f"chore(go): raise go directive to {target}\n\n" + "\n".join(lines) + "\n"


def pr_body(
    target: str, raised: list[ModulePlan], skipped: list[ModulePlan], goversion: str
) -> str:
    rows = "\n".join(
        f"| `{m.module}` | `{m.folder.as_posix()}` | {m.current or '—'} | {target} |"
        for m in raised
    )
    text = (
        f"## chore(go): raise go directive to {target}\n\n"
        f"Go modules are kept at go 1.(N-1).0, where Go 1.N is the newest release "
        f"(the local go command is {goversion}). In each module: "
        f"`go get go@{target}`, `go mod tidy`, `go fix ./...` (GOTOOLCHAIN=local).\n\n"
        "| module | folder | go before | go after |\n|---|---|---|---|\n"
        f"{rows}\n"
    )
    if skipped:
        text += (
            "\nAlready at or above the target (unchanged): "
            + ", ".join(f"`{m.module}` (go {m.current})" for m in skipped)
            + "\n"
        )
    return text


def sync_pr(config: object, title: str, body: str) -> None:
    """Open the PR of the go-directive branch on the forge, or update the open one."""
    from releasekit_tasks.forges import open_forge

    forge = open_forge(config, what="opening the go-directive PR", note=True)
    if forge is None:
        return
    with forge:
        base = forge.default_branch()
        pr = forge.find_open_pr(BRANCH, base)
        if pr is None:
            pr = forge.open_pr(BRANCH, base, title, body, ())
            print(f"pr       opened #{pr.number} {BRANCH} → {base} {pr.url}".rstrip())
        else:
            pr = forge.update_pr(pr, title, body)
            print(f"pr       updated #{pr.number} {BRANCH} → {base} {pr.url}".rstrip())


def run(root: str, target: str, remote: str, push: bool, dry_run: bool) -> None:
    """The whole task: plan, then (unless dry_run) edit, commit, push, write the PR body."""
    from releasekit_tasks.prepare import stage as prepare
    from releasekit_tasks.vcs import git, uncommitted
    from releasekit_tasks.workspace import collect

    repo = Path(root)
    workspace = collect(repo)
    goversion = local_go_version()
    target = check_target(target) if target else default_target(goversion)
    kinds = {label: eco for label, eco in workspace.config.ecosystems.items() if eco.kind == "go"}
    dirs = sorted(p.path for p in workspace.packages.values() if p.label in kinds)
    modules = plan(repo, dirs, target)
    raised = [m for m in modules if m.raise_it]
    skipped = [m for m in modules if not m.raise_it]
    print(f"go       {goversion}: target go {target}")
    for m in skipped:
        print(f"skip     {m.module}: go {m.current} is not below {target}")
    if not raised:
        print("nothing to raise: no branch made")
        return
    works = committed_gowork(repo, sorted({eco.workspace_root for eco in kinds.values()}))
    for m in raised:
        verb = "would raise" if dry_run else "raise"
        print(
            f"{verb:<8} {m.module} ({m.folder.as_posix()}): go {m.current or '(none)'} → {target}"
        )
        if dry_run:
            print(
                f"would run  go get go@{target} && go mod tidy && go fix ./...   in {m.folder.as_posix()}"
            )
    for w in works:
        if dry_run:
            where = w.parent.as_posix() or "."
            work_go = read_gowork(repo / w).go
            if work_go is None or go_version_key(work_go) < go_version_key(target):
                print(f"would run  go work edit -go={target}   in {where} (first)")
            print(f"would run  go work sync   in {where} (last)")
    if dry_run:
        print(
            f"would commit on {BRANCH} and push it to {remote}"
            if push
            else f"would commit on {BRANCH}"
        )
        return
    dirty = uncommitted(repo)
    if dirty:
        raise RKError(
            "RK-PREFLIGHT-DIRTY",
            f"{len(dirty)} uncommitted change(s), first: {dirty[0]}",
            path=repo,
            fix="commit or stash them: the go directive is raised from HEAD",
        )
    head = git(repo, "rev-parse", "HEAD").strip()
    tree = prepare.state_dir(repo) / WORKTREE
    prepare._fresh_worktree(repo, tree, BRANCH, head)
    try:
        for w in works:
            raise_work(tree, w, target)
        for m in raised:
            raise_module(tree, m, target)
        for w in works:
            _run(tree, w.parent, "work", "sync")
        git(tree, "add", "-A")
        if not git(tree, "status", "--porcelain").strip():
            print("the go command changed nothing: no commit")
            return
        git(tree, "commit", "-q", "--no-verify", "-m", commit_message(target, raised))
        sha = git(tree, "rev-parse", "HEAD").strip()
        print(f"commit   {sha[:12]} on {BRANCH}")
        if push:
            prepare._push_refs(tree, remote, [f"HEAD:refs/heads/{BRANCH}"], force=True)
            print(f"push     {BRANCH} → {remote}")
        body = prepare.state_dir(repo) / PR_BODY
        body.parent.mkdir(parents=True, exist_ok=True)
        text = pr_body(target, raised, skipped, goversion)
        body.write_text(text, encoding="utf-8")
        print(f"pr body  {body}")
        if push:
            sync_pr(workspace.config, f"chore(go): raise go directive to {target}", text)
    finally:
        prepare._remove_worktree(repo, tree)
