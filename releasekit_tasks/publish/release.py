"""One package release as plain data, and the files the pipeline keeps about it.

A :class:`Release` is what every publish action receives (doit pickles it for
``-n N``), so it holds only strings, booleans and tuples.

Files under ``<repo>/.releasekit/``:
  dist/<slug>/            built artifacts and artifacts.json (build's target)
  receipts/<slug>.json    written by verify once the registry serves our bytes
  registry-status.json    what each registry held when this run started
  journal/                originals of temporarily pinned manifests
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Release:
    id: str  # "<label>/<name>"
    ecosystem: str
    name: str
    version: str
    path: str  # package folder
    manifest: str
    repo_root: str
    registry: str  # where it is read from: simple index, npm registry, GOPROXY
    upload_url: str = ""  # where uploads go when not the registry (PyPI's upload endpoint)
    token_env: str = ""  # environment variable holding the token (never printed)
    pin: str = "exact"
    pins: tuple[tuple[str, str], ...] = ()  # internal dependency name -> released version
    dist_tag: str = ""
    access: str = ""
    tag: str = ""  # the tag upload pushes itself (Go's path-prefixed tag), else ""
    proxy_dir: str = ""  # static GOPROXY tree to write, Go private-registry mode
    sumdb: str = ""  # Go: the checksum database verify consults ("" = $GOSUMDB or sum.golang.org)
    private: str = ""  # Go: GOPRIVATE-style patterns of modules the checksum database never sees
    dry_run: bool = False
    poll_timeout: float = 300.0
    retries: int = 5
    trusted_publishing: str = "never"  # automatic | always | never (see publish/trusted.py)

    # Cached (in the instance dict, which a frozen dataclass still has): the task
    # creators ask for these paths several times per package.
    @functools.cached_property
    def slug(self) -> str:
        return f"{self.id.replace('/', '__')}@{self.version}"

    # Each built from one joined string: chained `/` parses every part again, and
    # a thousand packages ask for several of these while their tasks load.
    @functools.cached_property
    def state_dir(self) -> Path:
        return Path(os.path.join(self.repo_root, ".releasekit"))

    @functools.cached_property
    def dist_dir(self) -> Path:
        return Path(os.path.join(self.repo_root, ".releasekit", "dist", self.slug))

    @functools.cached_property
    def artifacts_file(self) -> Path:
        return Path(
            os.path.join(self.repo_root, ".releasekit", "dist", self.slug, "artifacts.json")
        )

    @functools.cached_property
    def receipt(self) -> Path:
        return Path(os.path.join(self.repo_root, ".releasekit", "receipts", f"{self.slug}.json"))

    @property
    def journal_dir(self) -> Path:
        return self.state_dir / "journal"


def file_digests(path: Path) -> dict[str, str]:
    """sha256 (hex), sha512 integrity (npm's ``sha512-<base64>``) and sha1 of a file."""
    sha256, sha512, sha1 = hashlib.sha256(), hashlib.sha512(), hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha256.update(chunk)
            sha512.update(chunk)
            sha1.update(chunk)
    return {
        "sha256": sha256.hexdigest(),
        "integrity": "sha512-" + base64.b64encode(sha512.digest()).decode(),
        "sha1": sha1.hexdigest(),
    }


def write_json(path: Path, data: object) -> None:
    """Atomically (temp file + rename, fsynced) so a kill never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def read_artifacts(release: Release) -> list[dict]:
    """The artifacts build recorded: [{"file", "sha256", "integrity", …}]."""
    if not release.artifacts_file.exists():
        return []
    return list(read_json(release.artifacts_file)["artifacts"])
