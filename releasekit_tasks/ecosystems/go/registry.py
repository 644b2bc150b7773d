"""A GOPROXY, read the way the go command reads it (https://go.dev/ref/mod#goproxy-protocol).

``<proxy>/<escaped module>/@v/list``, ``@v/<version>.info``, ``@v/<version>.zip``
and ``@latest``; 404 and 410 mean "not there". A static tree of those files is a
valid proxy, so ``file://`` proxies are read straight from disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack
from urllib.parse import urlsplit
from urllib.request import url2pathname

from releasekit_tasks.ecosystems.go.proxy_tree import escape_path, escape_version
from releasekit_tasks.errors import RKError
from releasekit_tasks.http import RetryOptions, get_if_exists, redact_url

if TYPE_CHECKING:
    import httpx

__all__ = [
    "escape_path",
    "escape_version",
    "fetch_mod",
    "fetch_zip",
    "info",
    "latest",
    "list_versions",
]


def _fetch(
    client: httpx.Client, proxy: str, module: str, tail: str, retry: RetryOptions
) -> bytes | None:
    """The bytes of ``<proxy>/<escaped module>/<tail>``, or ``None`` when not there."""
    relative = f"{escape_path(module)}/{tail}"
    parts = urlsplit(proxy)
    if parts.scheme == "file":
        path = Path(url2pathname(parts.path)) / relative
        return path.read_bytes() if path.is_file() else None
    response = get_if_exists(client, f"{proxy.rstrip('/')}/{relative}", **retry)
    return None if response is None else response.content


def _url(proxy: str, module: str, tail: str) -> str:
    return f"{redact_url(proxy).rstrip('/')}/{escape_path(module)}/{tail}"


def _json_object(data: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise RKError("RK-REGISTRY-RESPONSE", f"{where} is not JSON ({exc})") from None
    if not isinstance(value, dict) or not isinstance(value.get("Version"), str):
        raise RKError("RK-REGISTRY-RESPONSE", f"{where} is not an object with a `Version`")
    return value


def info(
    client: httpx.Client,
    proxy: str,
    module: str,
    version: str,
    **retry: Unpack[RetryOptions],
) -> dict[str, Any] | None:
    """``{"Version": …, "Time": …}`` of ``module@version``, or ``None`` if the proxy lacks it."""
    tail = f"@v/{escape_version(version)}.info"
    data = _fetch(client, proxy, module, tail, retry)
    return None if data is None else _json_object(data, _url(proxy, module, tail))


def list_versions(
    client: httpx.Client, proxy: str, module: str, **retry: Unpack[RetryOptions]
) -> list[str]:
    """The proxy's ``@v/list`` in semver order (lines that are not versions are dropped)."""
    from releasekit_tasks import semver

    data = _fetch(client, proxy, module, "@v/list", retry)
    if data is None:
        return []
    parsed = {}
    for line in data.decode("utf-8", "replace").splitlines():
        text = line.strip()
        version = semver.parse(text) if text.startswith("v") else None
        if version is not None:
            parsed[text] = version
    return sorted(parsed, key=lambda text: parsed[text].key())


def latest(
    client: httpx.Client, proxy: str, module: str, **retry: Unpack[RetryOptions]
) -> str | None:
    """The version ``go get module@latest`` would pick, or ``None`` if the proxy has none.

    As the go command does: the highest release in ``@v/list``, else the
    highest prerelease, else whatever ``@latest`` names (pseudo-versions).
    """
    versions = list_versions(client, proxy, module, **retry)
    # In a valid semver a `-` before any `+build` starts the prerelease.
    releases = [v for v in versions if "-" not in v.partition("+")[0]]
    if releases or versions:
        return (releases or versions)[-1]
    data = _fetch(client, proxy, module, "@latest", retry)
    if data is None:
        return None
    return str(_json_object(data, _url(proxy, module, "@latest"))["Version"])


def fetch_zip(
    client: httpx.Client,
    proxy: str,
    module: str,
    version: str,
    dest: Path | str,
    **retry: Unpack[RetryOptions],
) -> Path:
    """Download the module zip of ``module@version`` to the file ``dest``; return ``dest``.

    Written to a ``.part`` file and renamed, so ``dest`` is never half a zip.
    """
    tail = f"@v/{escape_version(version)}.zip"
    data = _fetch(client, proxy, module, tail, retry)
    if data is None:
        raise RKError(
            "RK-REGISTRY-RESPONSE",
            f"{_url(proxy, module, tail)} does not exist: the proxy has no {module}@{version}",
        )
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.write_bytes(data)
    os.replace(part, dest)
    return dest


def fetch_mod(
    client: httpx.Client, proxy: str, module: str, version: str, **retry: Unpack[RetryOptions]
) -> bytes:
    """The ``go.mod`` the proxy serves for ``module@version`` (the ``/go.mod`` sum's input)."""
    tail = f"@v/{escape_version(version)}.mod"
    data = _fetch(client, proxy, module, tail, retry)
    if data is None:
        raise RKError(
            "RK-REGISTRY-RESPONSE",
            f"{_url(proxy, module, tail)} is missing although the .info exists",
        )
    return data
