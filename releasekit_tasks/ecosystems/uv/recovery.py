"""Taking a Python release back: remove it from a private index, or say how to yank it.

pypi.org has no API for yanking (PEP 592 yanks are made in its web UI), so for
PyPI and TestPyPI the step is printed for the user to do. A private index that
speaks the legacy upload API's ``remove_pkg`` action (pypiserver) has the
version removed; a fresh ``uv pip install`` then resolves the previous version.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    from releasekit_tasks.publish.release import Release
    from releasekit_tasks.recovery.rollback import Outcome

_PUBLIC = {"pypi.org": "https://pypi.org", "test.pypi.org": "https://test.pypi.org"}


def rollback(release: Release, *, reason: str, force: bool, dry_run: bool) -> Outcome:
    from releasekit_tasks.recovery.rollback import Outcome

    host = urlsplit(release.registry).hostname or ""
    site = _PUBLIC.get(host.removeprefix("upload."))
    if site is not None:
        page = f"{site}/manage/project/{release.name}/release/{release.version}/"
        return Outcome(
            served=True,
            done=[f"{host} has no yank API: yank it by hand (reason: {reason})"],
            manual=[f"yank {release.name} {release.version} at {page}"],
        )
    if dry_run:
        return Outcome(
            served=False,
            done=[f"would remove {release.name} {release.version} from {release.upload_url}"],
        )
    _remove(release)
    return Outcome(
        served=False, done=[f"removed {release.name} {release.version} from {release.upload_url}"]
    )


def _remove(release: Release) -> None:
    """The legacy API's ``remove_pkg`` action (pypiserver), with the upload credentials."""
    import httpx

    from releasekit_tasks.http import make_client, redact_url, request_with_retries

    token = os.environ.get(release.token_env or "UV_PUBLISH_TOKEN", "")
    user = os.environ.get("UV_PUBLISH_USERNAME", "__token__" if token else "releasekit")
    password = token or os.environ.get("UV_PUBLISH_PASSWORD", "unused")
    # pypiserver matches the name as the files spell it (`acme_core-0.4.0.tar.gz`):
    # ask for each spelling; 404 for one of them is expected.
    names = dict.fromkeys(
        [release.name, re.sub(r"[-_.]+", "_", release.name), re.sub(r"[-_.]+", "-", release.name)]
    )
    with make_client() as client:
        for name in names:
            response = request_with_retries(
                client,
                "POST",
                release.upload_url,
                data={":action": "remove_pkg", "name": name, "version": release.version},
                auth=httpx.BasicAuth(user, password),
                retries=release.retries,
            )
            if response.status_code != 404 and not response.is_success:
                break
        else:
            return
    raise RKError(
        "RK-UPLOAD-FAILED",
        f"removing {release.name} {release.version} from {redact_url(release.upload_url)}: "
        f"HTTP {response.status_code} {response.text[:200].strip()}",
        fix="the index may not support removal: remove the version in its admin interface",
    )


def served_versions(release: Release) -> list[str] | None:
    """Every version the index has files for, in PEP 440 order."""
    from packaging.version import Version

    from releasekit_tasks.ecosystems.uv.registry import _name_version, published_files
    from releasekit_tasks.http import make_client

    with make_client() as client:
        files = published_files(client, release.registry, release.name, retries=release.retries)
    found: set[Version] = set()
    for filename in files or {}:
        parsed = _name_version(filename)
        if parsed is not None:
            found.add(parsed[1])
    return [str(v) for v in sorted(found)]
