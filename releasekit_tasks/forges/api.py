"""The HTTP side shared by the forge clients: retries, rate limits, pagination, errors.

Requests go through the registries' :func:`request_with_retries` (backoff with
full jitter, Retry-After, a deadline), with the forges' own "slow down"
answers added: GitHub's 403/429 with ``x-ratelimit-remaining: 0`` and
``x-ratelimit-reset`` (epoch seconds), or a secondary rate limit's
``Retry-After``; GitLab's 429 with ``RateLimit-Reset``. Error messages name the
method and URL, never the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self

from releasekit_tasks.errors import RKError
from releasekit_tasks.forges import ForgeSettings
from releasekit_tasks.http import make_client, request_with_retries, retry_after

if TYPE_CHECKING:
    import httpx

# GitHub asks for at least a minute after a secondary rate limit without a hint.
SECONDARY_LIMIT_WAIT = 60.0


def rate_limit_wait(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait when ``response`` says the client is rate limited; ``None`` otherwise."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    hinted = retry_after(headers.get("retry-after"), cap=float("inf"))
    if hinted is not None:
        return hinted
    remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
    reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
    if remaining == "0" and reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now()) + 1.0  # the reset second itself is still limited
    if response.status_code == 429:
        return None  # a 429 without hints: the ordinary backoff
    if remaining == "0" or "rate limit" in response.text.lower():
        return SECONDARY_LIMIT_WAIT
    return None  # a 403 that is a permission error


class Api:
    """One pooled client for one forge, with its auth headers; a context manager."""

    def __init__(
        self,
        settings: ForgeSettings,
        headers: Mapping[str, str],
        *,
        retries: int = 5,
        deadline: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.client = make_client(headers=headers)
        self.retries = retries
        self.deadline = deadline
        self.sleep = sleep

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.settings.api_url}{path}"

    def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (), **kw: Any
    ) -> httpx.Response:
        """The response; any status besides 2xx and ``ok`` raises RK-FORGE-…"""
        response = request_with_retries(
            self.client,
            method,
            self.url(path),
            retries=self.retries,
            deadline=self.deadline,
            sleep=self.sleep,
            rate_limited=rate_limit_wait,
            code="RK-FORGE-UNAVAILABLE",
            **kw,
        )
        if response.is_success or response.status_code in ok:
            return response
        raise self.error(method, path, response)

    def json(self, method: str, path: str, **kw: Any) -> Any:
        response = self.request(method, path, **kw)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RKError(
                "RK-FORGE-RESPONSE",
                f"{method} {self.url(path).split('?')[0]} did not return JSON",
            ) from None

    def get_or_none(self, path: str, **kw: Any) -> Any:
        """GET as JSON; ``None`` for 404."""
        response = self.request("GET", path, ok=(404,), **kw)
        return None if response.status_code == 404 else response.json()

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paginated list: ``Link: rel="next"`` (GitHub, GitLab keyset)
        or ``x-next-page`` (GitLab offset pagination)."""
        url: str | None = self.url(path)
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        seen = 0
        while url is not None:
            response = self.request("GET", url, params=query)
            items = response.json()
            if not isinstance(items, list):
                raise RKError("RK-FORGE-RESPONSE", f"GET {url.split('?')[0]} did not return a list")
            yield from items
            seen += 1
            following = response.links.get("next", {}).get("url")
            next_page = response.headers.get("x-next-page", "").strip()
            if following:
                url, query = following, None  # the next link carries the whole query
            elif next_page and query is not None:
                query = {**query, "page": next_page}
            else:
                url = None
            if seen > 1000:  # a server that never stops paging
                raise RKError("RK-FORGE-RESPONSE", f"GET {path}: more than 1000 pages")

    def error(self, method: str, path: str, response: httpx.Response) -> RKError:
        where = f"{method} {self.url(path).split('?')[0]}"
        detail = _detail(response)
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code in (401, 403):
            return RKError(
                "RK-FORGE-AUTH",
                f"{where}: {status}{detail} (token from {self.settings.token_source})",
                fix=_permission_fix(self.settings.kind),
            )
        return RKError("RK-FORGE-RESPONSE", f"{where}: {status}{detail}")

    def close(self) -> None:
        self.client.close()


class Client:
    """What both clients share: the :class:`Api`, the project's base path, ``with``."""

    settings: ForgeSettings
    api: Api
    base: str  # the repository's (project's) path under the API URL

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.api.close()

    def default_branch(self) -> str:
        return str(self.api.json("GET", self.base)["default_branch"])


def _detail(response: httpx.Response) -> str:
    """The forge's own words about a failure (GitHub ``message``/``errors``, GitLab ``message``/``error``)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or data.get("error") or "")]
    for item in data.get("errors") or []:
        parts.append(
            str(item.get("message") or item.get("code") or item)
            if isinstance(item, dict)
            else str(item)
        )
    text = "; ".join(p for p in parts if p)
    return f": {text[:500]}" if text else ""


def _permission_fix(kind: str) -> str:
    if kind == "github":
        return (
            "give the workflow `permissions: contents: write, pull-requests: write` "
            "(and a token with `repo` scope for repository_dispatch to other repositories)"
        )
    return "use a project access token with the `api` scope in GITLAB_TOKEN"
