"""What an npm registry holds: the packument of a package and each version's ``dist``.

``GET <registry>/<name>`` returns the packument (npmjs.org, verdaccio and
every other registry speak this protocol); a scoped name travels as
``@scope%2fname``. The token, when one is needed, goes in an Authorization
header and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from releasekit_tasks.errors import RKError
from releasekit_tasks.http import (
    RetryOptions,
    get_if_exists,
    redact_url,
    response_json,
)

if TYPE_CHECKING:
    import httpx

DIST_KEYS = ("integrity", "shasum", "tarball")


def package_url(registry: str, name: str) -> str:
    """The packument URL of ``name``: ``@scope/pkg`` → ``<registry>/@scope%2fpkg``."""
    return f"{registry.rstrip('/')}/{name.replace('/', '%2f')}"


def packument(
    client: httpx.Client,
    registry: str,
    name: str,
    *,
    token: str | None = None,
    **retry: Unpack[RetryOptions],
) -> dict[str, Any] | None:
    """The full packument of ``name``, or ``None`` if the registry does not have it."""
    url = package_url(registry, name)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = get_if_exists(client, url, headers=headers, **retry)
    if response is None:
        return None
    data = response_json(response)
    if not isinstance(data, dict) or not isinstance(data.get("versions", {}), dict):
        raise RKError(
            "RK-REGISTRY-RESPONSE",
            f"GET {redact_url(url)} did not return a packument (an object with `versions`)",
        )
    return data


def version_dist(
    client: httpx.Client,
    registry: str,
    name: str,
    version: str,
    *,
    token: str | None = None,
    **retry: Unpack[RetryOptions],
) -> dict[str, str] | None:
    """``{"integrity": "sha512-…", "shasum": …, "tarball": url}`` of ``name@version``, or ``None``.

    Keys the registry does not give are left out (very old packages lack
    ``integrity``). Plain data, so a doit action may return it.
    """
    doc = packument(client, registry, name, token=token, **retry)
    if doc is None:
        return None
    manifest = (doc.get("versions") or {}).get(version)
    if not isinstance(manifest, dict):
        return None
    dist = manifest.get("dist") or {}
    return {key: str(dist[key]) for key in DIST_KEYS if dist.get(key)}
