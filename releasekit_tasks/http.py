"""One pooled HTTP client for every registry, retries that give up loudly, and polling.

Transient failures (connection errors, timeouts, 5xx, 429) are retried with
exponential backoff and full jitter, honouring ``Retry-After``; the retries are
bounded by a count and a total deadline. When they run out, :class:`RKError`
``RK-REGISTRY-UNAVAILABLE`` lists every attempt. Credentials (Authorization
headers, passwords in URLs) never appear in messages or logs.

httpx is imported inside the functions: this module sits on the ``doit list``
path, where importing httpx would cost more than the whole listing.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack
from urllib.parse import unquote, urlsplit, urlunsplit

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = "releasekit-tasks"
NOT_FOUND = frozenset({404, 410})
# 503 and 429 are the statuses for which servers send Retry-After (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})


class RetryOptions(TypedDict, total=False):
    """The retry settings a registry function passes through to :func:`request_with_retries`."""

    retries: int
    base: float
    cap: float
    deadline: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs 40-75 ms of CPU: do it once per process, not per client.

    ``SSL_CERT_FILE`` names another bundle (a private registry's CA), as it does
    for the go command, uv and OpenSSL.
    """
    import os

    import certifi

    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or certifi.where())


def make_client(timeout: float = 30.0, *, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """The one pooled client a worker uses for all its registry calls.

    Sync on purpose: doit runs actions in worker processes, so there is no event
    loop to share, and one pooled client keeps connections alive across calls.
    """
    import httpx

    return httpx.Client(
        verify=_tls_context(),
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,  # pypiserver redirects non-normalized simple URLs
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
    )


def shared_client(headers: Mapping[str, str] | None = None) -> httpx.Client:
    """This process's pooled client for the registry queries (one per set of headers):
    connections stay open across the hundreds of small requests a run makes."""
    return _client_of(os.getpid(), tuple(sorted((headers or {}).items())))


@functools.cache
def _client_of(pid: int, headers: tuple[tuple[str, str], ...]) -> httpx.Client:
    # Keyed by process: a forked doit worker must not share its parent's sockets.
    return make_client(headers=dict(headers))


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter (AWS architecture blog): uniform over [0, min(cap, base·2^attempt)].

    Spreading waits over the whole interval keeps parallel workers from
    retrying in lockstep against a registry that is already struggling.
    """
    return random.uniform(0.0, min(cap, base * 2**attempt))


def retry_after(value: str | None, *, cap: float, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), capped.

    ``None`` when the header is absent or unreadable, so the caller falls back to backoff.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; a zone-less one is read as such
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(cap, max(0.0, seconds))


def redact_url(url: str) -> str:
    """The URL without any ``user:password@`` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _secrets(url: str, *header_sets: Any) -> set[str]:
    """Every credential a request could carry, so it can be scrubbed from messages."""
    found: set[str] = set()
    for headers in header_sets:
        for key, value in dict(headers or {}).items():
            if key.lower() in ("authorization", "proxy-authorization") and value:
                found.update([value, value.split()[-1]])
    parts = urlsplit(url)
    if parts.password:
        found.update([parts.password, unquote(parts.password)])
    return {s for s in found if len(s) >= 3}


def _sent_headers(source: Any) -> Any:
    """The headers actually sent (httpx turns URL userinfo into Basic auth), if known."""
    try:
        return source.request.headers
    except (AttributeError, RuntimeError):  # an exception raised before a request existed
        return None


def _scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: "Bearer x" before "x"
        text = text.replace(secret, "***")
    return text


def request_with_retries(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    retries: int = 5,
    base: float = 0.5,
    cap: float = 30.0,
    deadline: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rate_limited: Callable[[httpx.Response], float | None] | None = None,
    code: str = "RK-REGISTRY-UNAVAILABLE",
    **kw: Any,
) -> httpx.Response:
    """Send one request, retrying transient failures; return the first final response.

    ``retries`` is the number of retries after the first attempt. A response
    that is not 5xx or 429 (including 404/410) is returned as is: the caller
    decides what it means. A wait that would end past ``deadline`` seconds
    from the first attempt is not taken.

    ``rate_limited(response)`` lets an API say that one of its other answers
    means "slow down" (GitHub's 403 with ``x-ratelimit-remaining: 0``): it
    returns the seconds to wait (not capped: a wait past ``deadline`` ends the
    retries at once), and the request is retried like a 429.
    ``code`` is the RKError code raised when the retries run out.
    """
    import httpx

    # Local errors (bad URL, unsupported scheme) are the caller's bug: never retried.
    transient = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
    secrets = _secrets(url, client.headers, kw.get("headers"))
    start = clock()
    tried: list[tuple[str, float | None]] = []  # (outcome, wait after it)
    for attempt in range(max(0, retries) + 1):
        try:
            response = client.request(method, url, **kw)
        except transient as exc:
            secrets |= _secrets(url, _sent_headers(exc))
            outcome = f"{type(exc).__name__}: {exc}".rstrip(": ")
            wait = backoff(attempt, base, cap)
        else:
            hinted = rate_limited(response) if rate_limited is not None else None
            if hinted is None and response.status_code < 500 and response.status_code != 429:
                return response
            outcome = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            if hinted is not None:  # not capped: a reset past the deadline ends the retries
                hinted = max(0.0, hinted)
            elif response.status_code in RETRY_AFTER_STATUSES:
                hinted = retry_after(response.headers.get("Retry-After"), cap=cap)
            wait = backoff(attempt, base, cap) if hinted is None else hinted
            response.close()
        outcome = _scrub(outcome, secrets)
        if attempt == retries or clock() - start + wait > deadline:
            tried.append((outcome, None))
            break
        tried.append((outcome, wait))
        log.info(
            "%s %s: %s; retry %d/%d in %.2f s",
            method,
            redact_url(url),
            outcome,
            attempt + 1,
            retries,
            wait,
        )
        sleep(wait)
    elapsed = clock() - start
    lines = "\n".join(
        f"  attempt {i}: {outcome}" + (f"; waited {wait:.2f} s" if wait is not None else "")
        for i, (outcome, wait) in enumerate(tried, 1)
    )
    raise RKError(
        code,
        f"{method} {redact_url(url)} failed after {len(tried)} attempt(s) in {elapsed:.1f} s "
        f"(limits: {retries + 1} attempts, {deadline:g} s); last: {tried[-1][0]}\n"
        f"{lines}",
    )


def get_if_exists(
    client: httpx.Client,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    **retry: Unpack[RetryOptions],
) -> httpx.Response | None:
    """GET ``url``: the 2xx response, ``None`` for 404/410, RK-PREFLIGHT-CREDENTIALS for
    401/403 (credentials missing or refused), RK-REGISTRY-RESPONSE otherwise."""
    response = request_with_retries(client, "GET", url, headers=headers, **retry)
    if response.status_code in NOT_FOUND:
        return None
    if response.status_code in (401, 403):
        raise RKError(
            "RK-PREFLIGHT-CREDENTIALS",
            f"GET {redact_url(url)} answered HTTP {response.status_code}: the registry wants "
            "credentials it did not get (or refused them)",
            fix="set the token (token_env) or add the host to ~/.netrc "
            "(machine HOST login USER password TOKEN; NETRC names another file)",
        )
    if not response.is_success:
        raise RKError(
            "RK-REGISTRY-RESPONSE",
            f"GET {redact_url(url)} answered HTTP {response.status_code} "
            f"{response.reason_phrase}".rstrip(),
        )
    return response


def response_json(response: httpx.Response) -> Any:
    """The response body as JSON, or RK-REGISTRY-RESPONSE naming the URL."""
    try:
        return response.json()
    except ValueError as exc:
        raise RKError(
            "RK-REGISTRY-RESPONSE",
            f"GET {redact_url(str(response.url))} did not return JSON ({exc})",
        ) from None


def wait_until_available(
    check: Callable[[], T | None],
    *,
    what: str,
    timeout: float = 300.0,
    base: float = 1.0,
    cap: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``check`` until it returns something other than ``None``; return that.

    Between checks it waits with backoff and full jitter; the last wait is cut
    so that a final check happens at ``timeout``. Errors raised by ``check``
    propagate (a registry that is down is not "not yet available").
    """
    start = clock()
    checks = 0
    while True:
        result = check()
        checks += 1
        if result is not None:
            return result
        elapsed = clock() - start
        if elapsed >= timeout:
            raise RKError(
                "RK-REGISTRY-TIMEOUT",
                f"{what} was not available after {elapsed:.1f} s ({checks} checks, "
                f"timeout {timeout:g} s)",
            )
        sleep(min(backoff(checks - 1, base, cap), timeout - elapsed))
