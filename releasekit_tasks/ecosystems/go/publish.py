"""Go: the module zip of the release commit, a path-prefixed tag, a GOPROXY check.

Public Go has no upload API: a version exists once its tag is pushed and a
proxy serves it. The zip is built from ``git archive`` of HEAD, as
proxy.golang.org builds it from the tag, so its ``h1:`` must equal what the
proxy serves. Three ways to publish, side by side:

- public proxy (default): push the tag; verify asks ``@v/<v>.info`` (which
  makes proxy.golang.org fetch the tag), polls, compares ``h1:`` of zip and
  go.mod, then looks the version up in the checksum database and checks the
  signed tree head, the record's inclusion and the hashes (:mod:`.sumdb`);
- private registry (``upload_url``): the tag is pushed and the zip POSTed to
  the registry's artifact API (:mod:`.artifacts`); ``registry`` is its GOPROXY;
- static tree (``proxy_dir``): the version is written into a GOPROXY folder
  that any web server (or ``file://``) can serve.

Private modules (``upload_url``/``proxy_dir`` set, ``private`` patterns,
``GONOSUMDB``/``GOPRIVATE``) are never looked up in the checksum database.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from releasekit_tasks.errors import RKError
from releasekit_tasks.http import RetryOptions
from releasekit_tasks.publish.release import Release, file_digests
from releasekit_tasks.vcs import git, git_remote, remote_tags, repo_toplevel


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


def check_registry_config(release: Release) -> None:
    """Uploads to a private registry are read back from its GOPROXY, never the public one."""
    from urllib.parse import urlsplit

    from releasekit_tasks.http import redact_url

    if release.upload_url and urlsplit(release.registry).hostname == "proxy.golang.org":
        raise RKError(
            "RK-CONFIG-VALUE",
            f"{release.id}: uploads go to {redact_url(release.upload_url)}, but `registry` "
            "is the public proxy, which never serves a private registry's modules",
            fix="set `registry` to the private registry's GOPROXY endpoint "
            '(Artifact Keeper: registry = "https://HOST/go/REPO")',
        )


def proxy_state(release: Release, *, deep: bool = True) -> dict[str, str]:
    """``{"<v>.zip": h1, "<v>.mod": h1}`` as the proxy serves them ({} if it lacks the version).

    With ``deep=False`` only the ``.info`` is fetched (cheap, for the run-start query).
    """
    from releasekit_tasks.ecosystems.go import registry as goproxy
    from releasekit_tasks.ecosystems.go.artifacts import read_headers
    from releasekit_tasks.ecosystems.go.modzip import h1_hash_gomod, h1_hash_zip
    from releasekit_tasks.http import shared_client

    check_registry_config(release)  # before any request: the query runs first
    headers = read_headers(release.registry, release.token_env)
    retry: RetryOptions = {"retries": release.retries}
    client = shared_client(headers)
    if goproxy.info(client, release.registry, release.name, release.version, **retry) is None:
        return {}
    if not deep:
        return {"info": release.version}
    with tempfile.TemporaryDirectory(prefix="rk-goproxy-") as tmp:
        zip_path = goproxy.fetch_zip(
            client, release.registry, release.name, release.version, Path(tmp) / "m.zip", **retry
        )
        zip_h1 = h1_hash_zip(zip_path)
    mod = goproxy.fetch_mod(client, release.registry, release.name, release.version, **retry)
    return {f"{release.version}.zip": zip_h1, f"{release.version}.mod": h1_hash_gomod(mod)}


def remote_state(release: Release, *, deep: bool = True) -> dict[str, str]:
    """What the proxy serves (:func:`proxy_state`) and, for a public module on a deep
    look, what the checksum database records: ``{}`` until both have the version."""
    state = proxy_state(release, deep=deep)
    if not deep or not state:
        return state
    zip_h1 = state[f"{release.version}.zip"]
    sumdb = sumdb_for(release)
    if sumdb is None:
        return state
    from releasekit_tasks.ecosystems.go.artifacts import check_sumdb, read_headers
    from releasekit_tasks.http import shared_client

    # The checksum database learns the version from the proxy: until it answers, the
    # release is not verified (verify polls); other hashes there are a hard error.
    found = check_sumdb(
        shared_client(),
        sumdb,
        release.name,
        release.version,
        zip_h1,
        state[f"{release.version}.mod"],
        retries=release.retries,
        state_dir=release.state_dir / "sumdb",
        proxy=release.registry,
        proxy_headers=read_headers(release.registry, release.token_env),
    )
    if found is None:
        return {}
    return {**state, "sumdb": json.dumps(found, sort_keys=True)}


def sumdb_for(release: Release) -> str | None:
    """The GOSUMDB value to verify ``release`` against, or None for a private module."""
    import os

    from releasekit_tasks.ecosystems.go.sumdb import matches_patterns, sum_disabled

    if (release.upload_url or release.proxy_dir) and not release.sumdb:
        return None  # a private registry: its modules are not in a public database
    if matches_patterns(release.private, release.name) or sum_disabled(release.name):
        return None
    value = release.sumdb or os.environ.get("GOSUMDB") or "sum.golang.org"
    return None if value.strip() == "off" else value


def _tag_commit(repo: Path, tag: str) -> str | None:
    out = git(
        repo, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}", check=False
    ).strip()
    return out or None


def _has_origin(repo: Path) -> bool:
    return "origin" in git(repo, "remote").split()


def _remote_tags(repo: Path, *patterns: str) -> dict[str, str]:
    """Tags on origin matching ``patterns`` -> commit (annotated tags peeled); {} without origin."""
    return remote_tags(repo, "origin", *patterns) if _has_origin(repo) else {}


def tag_drift(release: Release, tag: str) -> str | None:
    """Does the module zip built from ``tag`` hash as the proxy's zip of the version?
    A difference means the tag moved after the proxy fetched it (``doit doctor``)."""
    from releasekit_tasks.ecosystems.go.modzip import create_module_zip

    remote = proxy_state(release)
    if not remote:
        return None
    repo = _repo(release)
    with tempfile.TemporaryDirectory(prefix="rk-gotag-") as tmp:
        try:
            built = create_module_zip(
                Path(release.path),
                release.name,
                release.version,
                Path(tmp) / "m.zip",
                repo_root=repo,
                rev=tag,
            )
        except RKError as err:
            return f"{tag} no longer builds a module zip: {err.message}"
    served = remote[f"{release.version}.zip"]
    if built.h1 != served:
        return f"{tag} now builds {built.h1}, but {release.registry} serves {served}"
    return None


def preflight(releases: list[Release]) -> None:
    """Before any upload: no tag may point elsewhere, a private registry's `registry` is
    its GOPROXY, and its credentials (token or .netrc) are there."""

    check_tags(releases)
    for release in releases:
        if not release.upload_url:
            continue
        from releasekit_tasks.ecosystems.go.artifacts import upload_headers
        from releasekit_tasks.http import redact_url

        check_registry_config(release)

        if not upload_headers(release.upload_url, release.token_env):
            raise RKError(
                "RK-PREFLIGHT-CREDENTIALS",
                f"{release.id}: no credentials for {redact_url(release.upload_url)}",
                fix=f"export {release.token_env or 'the variable named by token_env'}=… "
                "or add the host to ~/.netrc (machine HOST login USER password TOKEN)",
            )


def check_tags(releases: list[Release]) -> None:
    """A release tag may exist only if it already points at the release commit.

    One local tag listing and one ``git ls-remote`` for all the modules.
    """
    if not releases:
        return
    from releasekit_tasks.prepare.history import all_tags

    repo = _repo(releases[0])
    head = git(repo, "rev-parse", "HEAD").strip()
    patterns = [p for r in releases for p in (f"refs/tags/{r.tag}", f"refs/tags/{r.tag}^{{}}")]
    local, remote = all_tags(repo), _remote_tags(repo, *patterns)
    for release in releases:
        for where, tags in (("local", local), ("origin", remote)):
            commit = tags.get(release.tag)
            if commit is not None and commit != head:
                raise RKError(
                    "RK-GO-TAG-MOVED",
                    f"tag {release.tag} ({where}) points at {commit[:12]}, not the release commit {head[:12]}",
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
    check_tags([release])
    if _tag_commit(repo, release.tag) is None:
        git(repo, "tag", "-a", release.tag, "-m", f"{release.name} {release.version}", "HEAD")
        print(f"tagged {release.tag}")
    if _has_origin(repo) and release.tag not in _remote_tags(repo, f"refs/tags/{release.tag}"):
        try:
            git_remote(repo, "push", "origin", f"refs/tags/{release.tag}")
        except subprocess.CalledProcessError as exc:
            raise RKError(
                "RK-UPLOAD-FAILED", f"pushing {release.tag} failed: {exc.stderr.strip()}"
            ) from None
        print(f"pushed {release.tag} to origin")
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
    if release.upload_url:
        _upload_to_registry(release)


def _ensure_mod(release: Release) -> None:
    from releasekit_tasks.ecosystems.go.artifacts import ensure_mod
    from releasekit_tasks.http import make_client

    gomod = (release.dist_dir / f"{release.version}.mod").read_bytes()
    with make_client() as client:
        done = ensure_mod(
            client,
            release.registry,
            release.token_env,
            release.name,
            release.version,
            gomod,
            retries=release.retries,
        )
    if done == "put":
        print(f"put {release.version}.mod to {release.registry} (the registry keeps it apart)")


def _upload_to_registry(release: Release) -> None:
    """POST the built zip to the private registry; a version already there must hash the same."""
    from releasekit_tasks.ecosystems.go.artifacts import upload_module
    from releasekit_tasks.http import make_client, redact_url

    zip_path = release.dist_dir / f"{release.version}.zip"
    with make_client() as client:
        state = upload_module(
            client,
            release.upload_url,
            release.token_env,
            release.name,
            release.version,
            zip_path,
            retries=release.retries,
        )
    if state == "uploaded":
        print(f"uploaded {zip_path.name} to {redact_url(release.upload_url)}")
        _ensure_mod(release)
        return
    # 409: the registry has this version. Same bytes (a rerun after a lost answer) is done.
    artifacts = json.loads(release.artifacts_file.read_text(encoding="utf-8"))["artifacts"]
    local = {a["file"]: a["h1"] for a in artifacts}
    remote = remote_state(release)
    for name, h1 in local.items():
        if remote.get(name) not in (None, h1):
            raise RKError(
                "RK-REGISTRY-CHECKSUM-MISMATCH",
                f"{release.registry} holds different bytes for {release.name} {release.version} "
                f"{name} (h1 {remote.get(name)} ≠ local {h1})",
            )
    print(f"{release.name} {release.version} is already on {redact_url(release.upload_url)}")
