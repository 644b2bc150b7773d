"""What a Python package index holds: file names and their sha256.

Two ways to ask. Real PyPI (pypi.org, test.pypi.org) has the JSON API
``/pypi/<name>/json``; every index, pypiserver included, has the PEP 503
simple page ``<index>/<normalized-name>/`` whose links carry ``#sha256=``.
pypiserver answers 404 on the JSON path, so the JSON API is used only for
PyPI's own hosts or when asked for.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Unpack
from urllib.parse import unquote, urlsplit, urlunsplit

from releasekit_tasks.errors import RKError
from releasekit_tasks.http import (
    RetryOptions,
    get_if_exists,
    redact_url,
    response_json,
)

if TYPE_CHECKING:
    import httpx
    from packaging.version import Version

JSON_API_HOSTS = frozenset({"pypi.org", "test.pypi.org"})


def uses_json_api(index_url: str, json_api: bool | None = None) -> bool:
    """Whether to ask the JSON API: as configured, else only on PyPI's own hosts."""
    if json_api is not None:
        return json_api
    return (urlsplit(index_url).hostname or "") in JSON_API_HOSTS


def published_files(
    client: httpx.Client,
    index_url: str,
    name: str,
    *,
    json_api: bool | None = None,
    **retry: Unpack[RetryOptions],
) -> dict[str, str] | None:
    """Every file of project ``name`` on the index → its sha256 (hex); ``None`` if no such project.

    ``index_url`` is the simple index (``https://pypi.org/simple/``,
    ``http://127.0.0.1:8080/simple/``). A file the index lists without a
    sha256 maps to ``""``.
    """
    from packaging.utils import canonicalize_name

    normalized = canonicalize_name(name)
    if uses_json_api(index_url, json_api):
        return _json_files(client, index_url, normalized, retry)
    return _simple_files(client, index_url, normalized, retry)


def version_files(
    client: httpx.Client,
    index_url: str,
    name: str,
    version: str,
    *,
    json_api: bool | None = None,
    **retry: Unpack[RetryOptions],
) -> dict[str, str]:
    """The files of ``name`` at ``version`` (wheels and sdists) → sha256; empty if none.

    Versions compare as PEP 440 versions, so ``1.0`` finds ``pkg-1.0.0.tar.gz``.
    """
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    try:
        wanted = Version(version)
    except InvalidVersion:
        raise RKError(
            "RK-VERSION-INVALID", f"{version!r} is not a PEP 440 version (package {name})"
        ) from None
    files = published_files(client, index_url, name, json_api=json_api, **retry) or {}
    normalized = canonicalize_name(name)
    return {f: sha for f, sha in files.items() if _name_version(f) == (normalized, wanted)}


def _name_version(filename: str) -> tuple[str, Version] | None:
    """(normalized name, version) of a wheel or sdist filename; ``None`` for anything else."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import InvalidVersion

    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return name, version
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None  # eggs, .exe installers and other legacy files


def _json_files(
    client: httpx.Client, index_url: str, normalized: str, retry: RetryOptions
) -> dict[str, str] | None:
    parts = urlsplit(index_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/pypi/{normalized}/json", "", ""))
    response = get_if_exists(client, url, headers={"Accept": "application/json"}, **retry)
    if response is None:
        return None
    data = response_json(response)
    if not isinstance(data, dict):
        raise RKError(
            "RK-REGISTRY-RESPONSE", f"GET {redact_url(url)} returned JSON that is not an object"
        )
    # `releases` holds every version's files; `urls` only the latest's (kept for
    # indexes that mirror the API without `releases`).
    entries: list[Any] = [e for files in (data.get("releases") or {}).values() for e in files]
    entries += data.get("urls") or []
    return {
        e["filename"]: (e.get("digests") or {}).get("sha256", "")
        for e in entries
        if isinstance(e, dict) and "filename" in e
    }


def _simple_files(
    client: httpx.Client, index_url: str, normalized: str, retry: RetryOptions
) -> dict[str, str] | None:
    url = f"{index_url.rstrip('/')}/{normalized}/"
    response = get_if_exists(client, url, headers={"Accept": "text/html"}, **retry)
    if response is None:
        return None
    parser = _Anchors()
    parser.feed(response.text)
    parser.close()
    files: dict[str, str] = {}
    for href, text in parser.links:
        link = urlsplit(href)
        # PEP 503: the anchor text must equal the URL's last path segment; trust the URL.
        filename = unquote(link.path.rsplit("/", 1)[-1]) or text
        algo, _, digest = link.fragment.partition("=")
        files[filename] = digest if algo == "sha256" else ""
    return files


class _Anchors(HTMLParser):
    """Collects ``(href, text)`` of every ``<a>`` on a simple page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or None
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
