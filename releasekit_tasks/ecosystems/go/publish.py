"""Go: the module zip of the release commit, a path-prefixed tag, a GOPROXY check.

Go has no upload API: a version exists once its tag is pushed and a proxy
serves it. The zip is built from ``git archive`` of HEAD, as proxy.golang.org
builds it from the tag, so its ``h1:`` must equal what the proxy serves. In
private-registry mode (``proxy_dir``) the version is also written into a
static GOPROXY tree that any web server (or ``file://``) can serve.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.release import Release, file_digests
from releasekit_tasks.vcs import git, repo_toplevel


def _repo(release: Release) -> Path:
    top = repo_toplevel(Path(release.repo_root))
    if top is None:
        raise RKError(
            "RK-UPLOAD-FAILED",
            "Go modules are released from a git repository",
            path=release.repo_root,
        )
    return top


def _commit_time(repo: Path) -> str:
    stamp = git(repo, "log", "-1", "--format=%ct", "HEAD").strip()
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(release: Release) -> list[dict]:
    from releasekit_tasks.ecosystems.go.modzip import create_module_zip

    repo = _repo(release)
    release.dist_dir.mkdir(parents=True, exist_ok=True)
    zip_path = release.dist_dir / f"{release.version}.zip"
    result = create_module_zip(
        Path(release.path), release.name, release.version, zip_path, repo_root=repo, rev="HEAD"
    )
    mod_path = release.dist_dir / f"{release.version}.mod"
    mod_path.write_bytes(result.gomod)
    info = {"Version": release.version, "Time": _commit_time(repo)}
    (release.dist_dir / f"{release.version}.info").write_text(json.dumps(info) + "\n")
    return [
        {"file": zip_path.name, "h1": result.h1, **file_digests(zip_path)},
        {"file": mod_path.name, "h1": result.gomod_h1, **file_digests(mod_path)},
    ]


def remote_state(release: Release, *, deep: bool = True) -> dict[str, str]:
    """``{"<v>.zip": h1, "<v>.mod": h1}`` as the proxy serves them ({} if it lacks the version).

    With ``deep=False`` only the ``.info`` is fetched (cheap, for the run-start query).
    """
    from releasekit_tasks.ecosystems.go import registry as goproxy
    from releasekit_tasks.ecosystems.go.modzip import h1_hash_gomod, h1_hash_zip
    from releasekit_tasks.http import make_client

    with make_client() as client:
        if goproxy.info(client, release.registry, release.name, release.version) is None:
            return {}
        if not deep:
            return {"info": release.version}
        with tempfile.TemporaryDirectory(prefix="rk-goproxy-") as tmp:
            zip_path = goproxy.fetch_zip(
                client, release.registry, release.name, release.version, Path(tmp) / "m.zip"
            )
            zip_h1 = h1_hash_zip(zip_path)
        mod = goproxy.fetch_mod(client, release.registry, release.name, release.version)
    return {f"{release.version}.zip": zip_h1, f"{release.version}.mod": h1_hash_gomod(mod)}


def _tag_commit(repo: Path, tag: str) -> str | None:
    out = git(
        repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}", check=False
    ).strip()
    return out or None


def _remote_tag_commit(repo: Path, tag: str) -> str | None:
    if "origin" not in git(repo, "remote").split():
        return None
    out = git(repo, "ls-remote", "--tags", "origin", f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}")
    refs = {
        ref: sha for sha, ref in (line.split("\t", 1) for line in out.splitlines() if "\t" in line)
    }
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def check_tag(release: Release) -> None:
    """A release tag may exist only if it already points at the release commit."""
    repo = _repo(release)
    head = git(repo, "rev-parse", "HEAD").strip()
    for where, commit in (
        ("local", _tag_commit(repo, release.go_tag)),
        ("origin", _remote_tag_commit(repo, release.go_tag)),
    ):
        if commit is not None and commit != head:
            raise RKError(
                "RK-GO-TAG-MOVED",
                f"tag {release.go_tag} ({where}) points at {commit[:12]}, not the release commit {head[:12]}",
                path=repo,
            )


def _in_tree(release: Release) -> bool:
    """Is this version already in the static GOPROXY tree? (verify then checks its h1)

    write_version writes ``list`` last, so a listed version has all its files; one
    whose files exist but is not listed was cut short by a kill and is written again.
    """
    from releasekit_tasks.ecosystems.go.proxy_tree import escape_path

    listing = Path(release.proxy_dir) / escape_path(release.name) / "@v" / "list"
    return listing.exists() and release.version in listing.read_text(encoding="utf-8").split()


def upload(release: Release) -> None:
    """Tag the release commit and push the tag; in private mode, write the GOPROXY tree."""
    repo = _repo(release)
    check_tag(release)
    if _tag_commit(repo, release.go_tag) is None:
        git(repo, "tag", "-a", release.go_tag, "-m", f"{release.name} {release.version}", "HEAD")
        print(f"tagged {release.go_tag}")
    if "origin" in git(repo, "remote").split() and _remote_tag_commit(repo, release.go_tag) is None:
        try:
            git(repo, "push", "origin", f"refs/tags/{release.go_tag}")
        except subprocess.CalledProcessError as exc:
            raise RKError(
                "RK-UPLOAD-FAILED", f"pushing {release.go_tag} failed: {exc.stderr.strip()}"
            ) from None
        print(f"pushed {release.go_tag} to origin")
    if release.proxy_dir and not _in_tree(release):
        from releasekit_tasks.ecosystems.go.proxy_tree import write_version

        info = json.loads((release.dist_dir / f"{release.version}.info").read_text())
        write_version(
            Path(release.proxy_dir),
            release.name,
            release.version,
            release.dist_dir / f"{release.version}.zip",
            (release.dist_dir / f"{release.version}.mod").read_bytes(),
            info["Time"],
        )
        print(f"wrote {release.name} {release.version} to the GOPROXY tree {release.proxy_dir}")
