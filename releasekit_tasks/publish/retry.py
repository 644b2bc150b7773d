"""Uploads that ride out a flaky registry.

``uv publish`` does not retry a 503 and ``pnpm publish`` retries neither a 503
nor a reset (measured: DESIGN.md). The ecosystems turn the tools' own retries
off (a retried upload whose first attempt arrived would be refused as a
duplicate), and :func:`upload_with_retries` retries instead: on a transient
failure — 5xx, 429, 408, a reset or refused connection, a timeout — it waits
(full-jitter backoff under the ``retries`` budget), then asks the registry what
it holds before trying again. An upload that arrived but whose answer was lost
is success when the bytes match and ``RK-REGISTRY-CHECKSUM-MISMATCH`` when they
differ; only what is still missing is sent again. A failure that is not
transient (401, 403, 400 …) stops at once, with a fix that fits its status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from releasekit_tasks.errors import RKError

# What the tools print for a connection that broke or never answered.
_NETWORK = re.compile(
    r"reset by peer|ECONNRESET|socket hang up|ECONNREFUSED|Connection refused|ETIMEDOUT|"
    r"timed out|timeout|EAI_AGAIN|ENOTFOUND|broken pipe|EPIPE|connection closed|"
    r"IncompleteMessage|connection error|unexpected end of file",
    re.IGNORECASE,
)
# uv: "status code 503 Service Unavailable", "(503 Service Unavailable) for url";
# npm: "npm error code E503", "503 Service Unavailable - PUT http://…".
_STATUS = re.compile(r"status code (\d{3})|\bE(\d{3})\b|\b(\d{3}) [A-Z][a-z]+(?: [A-Z][a-z]+)*\b")
_URL = re.compile(r"https?://[^\s'\"`)>]+")
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class Failure:
    transient: bool
    status: int | None  # the HTTP status the tool reported, if any
    what: str  # "503", "connection reset", …
    host: str  # the registry host the tool talked to ("" if it did not say)


def classify(output: str, url: str = "") -> Failure:
    """What an upload tool's failure output says happened."""
    status = None
    for match in _STATUS.finditer(output):
        code = int(next(g for g in match.groups() if g))
        if 100 <= code <= 599:
            status = code
            break
    urls = _URL.findall(output)
    host = urlsplit(urls[0] if urls else url).netloc
    network = _NETWORK.search(output)
    if status is not None:
        return Failure(status in _TRANSIENT_STATUS or status >= 500, status, str(status), host)
    if network:
        return Failure(True, None, network.group(0).lower(), host)
    return Failure(False, None, "", host)


def fix_for(failure: Failure, token_env: str) -> str:
    host = failure.host or "the registry"
    if failure.status in (401, 403):
        where = f"${token_env}" if token_env else "the registry token"
        return f"{host} refused the credentials ({failure.status}): check {where} for {host}"
    if failure.transient:
        return (
            f"{host} kept failing ({failure.what}): wait for it to recover, then re-run "
            "`doit publish` (finished steps are skipped), or raise retries="
        )
    if failure.status is not None:
        return f"{host} rejected the upload ({failure.status}): read its message above"
    return "read the tool output above; run the same command by hand to see more"


def upload_with_retries(
    upload: Callable[[list[str]], None],
    missing_after: Callable[[list[str]], list[str]],
    files: list[str],
    *,
    retries: int,
    url: str,
    token_env: str = "",
    sleep: Callable[[float], None] = time.sleep,
    base: float = 0.5,
    cap: float = 10.0,
    log: Callable[[str], None] = print,
) -> int:
    """Upload ``files`` (names); retry transient failures. Returns the attempts made.

    ``missing_after(names)`` asks the registry which of ``names`` it still lacks;
    it raises ``RK-REGISTRY-CHECKSUM-MISMATCH`` for different bytes.
    """
    from releasekit_tasks.http import backoff

    attempts = 0
    history: list[str] = []
    while True:
        attempts += 1
        try:
            upload(files)
            return attempts
        except RKError as err:
            if err.code != "RK-UPLOAD-FAILED":
                raise
            failure = classify(err.message, url)
            history.append(failure.what or "failed")
            if not failure.transient or attempts > retries:
                tried = f" after {attempts} attempts ({', '.join(history)})" if attempts > 1 else ""
                raise RKError(
                    "RK-UPLOAD-FAILED",
                    f"{err.message}\n(upload to {failure.host or url}{tried})",
                    path=err.path,
                    fix=fix_for(failure, token_env),
                ) from None
        wait = backoff(attempts - 1, base, cap)
        log(
            f"upload to {failure.host or url} failed ({failure.what}); "
            f"retry {attempts}/{retries} in {wait:.1f} s, after asking the registry what arrived"
        )
        sleep(wait)
        try:
            still = missing_after(files)
        except RKError as err:
            if err.code == "RK-REGISTRY-CHECKSUM-MISMATCH":
                raise
            continue  # the registry cannot say yet: upload again (it refuses a duplicate)
        arrived = [f for f in files if f not in still]
        if arrived:
            log(f"the registry holds {', '.join(arrived)} with matching bytes: the upload arrived")
        if not still:
            return attempts
        files = still
