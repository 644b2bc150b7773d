"""publish/retry.py: what the upload tools' failures mean, and the retry loop."""

from __future__ import annotations

import pytest

from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.retry import classify, upload_with_retries

# Captured from uv 0.13 and pnpm 10 / npm 11 through tests/faultproxy.py.
UV_503 = (
    "error: Failed to publish `/d/p-0.1.0.tar.gz` to `http://127.0.0.1:42553/`\n"
    "  cause: Server returned status code 503 Service Unavailable. Server says:"
)
UV_RESET = (
    "error: Failed to publish `/d/p.tar.gz` to `http://127.0.0.1:33699/`\n"
    "  cause: error sending request for url (http://127.0.0.1:33699/)\n"
    "  cause: Connection reset by peer (os error 104)"
)
UV_CHECK_429 = (
    "  cause: HTTP status client error (429 Too Many Requests) for url "
    "(http://127.0.0.1:34173/simple/probe-pkg/)"
)
NPM_503 = (
    "npm error code E503\nnpm error 503 Service Unavailable - PUT http://127.0.0.1:38479/@p%2fpkg"
)
NPM_RESET = (
    "npm error network request to http://127.0.0.1:1/@p%2fpkg failed, reason: read ECONNRESET"
)
NPM_403 = "npm error code E403\nnpm error 403 Forbidden - PUT https://registry.npmjs.org/@p%2fpkg"
UV_401 = "  cause: Server returned status code 401 Unauthorized. Server says: bad token"


@pytest.mark.parametrize(
    ("output", "transient", "status", "host"),
    [
        (UV_503, True, 503, "127.0.0.1:42553"),
        (UV_RESET, True, None, "127.0.0.1:33699"),
        (UV_CHECK_429, True, 429, "127.0.0.1:34173"),
        (NPM_503, True, 503, "127.0.0.1:38479"),
        (NPM_RESET, True, None, "127.0.0.1:1"),
        (NPM_403, False, 403, "registry.npmjs.org"),
        (UV_401, False, 401, "upload.example"),
        ("something else broke", False, None, "upload.example"),
    ],
)
def test_classify(output: str, transient: bool, status: int | None, host: str) -> None:
    failure = classify(output, "https://upload.example/legacy/")
    assert (failure.transient, failure.status, failure.host) == (transient, status, host)


def _failing(*outputs: str):
    calls: list[list[str]] = []

    def upload(files: list[str]) -> None:
        calls.append(list(files))
        if len(calls) <= len(outputs):
            raise RKError("RK-UPLOAD-FAILED", outputs[len(calls) - 1])

    return upload, calls


def test_retries_until_it_goes_through_sending_only_what_is_missing() -> None:
    upload, calls = _failing(UV_503, UV_RESET)
    asked: list[list[str]] = []

    def missing(names: list[str]) -> list[str]:
        asked.append(names)
        return names if len(asked) == 1 else ["b.tar.gz"]  # a.whl arrived the 2nd time

    sleeps: list[float] = []
    attempts = upload_with_retries(
        upload,
        missing,
        ["a.whl", "b.tar.gz"],
        retries=5,
        url="http://x/",
        sleep=sleeps.append,
        log=lambda _: None,
    )
    assert attempts == 3
    assert calls == [["a.whl", "b.tar.gz"], ["a.whl", "b.tar.gz"], ["b.tar.gz"]]
    assert len(sleeps) == 2 and all(0 <= s <= 10 for s in sleeps)


def test_an_upload_that_arrived_but_lost_its_answer_is_success() -> None:
    upload, calls = _failing(UV_RESET)
    attempts = upload_with_retries(
        upload,
        lambda n: [],
        ["a.whl"],
        retries=5,
        url="http://x/",
        sleep=lambda s: None,
        log=lambda _: None,
    )
    assert attempts == 1 and calls == [["a.whl"]]


def test_different_bytes_after_a_lost_answer_are_a_checksum_mismatch() -> None:
    upload, _ = _failing(UV_RESET)

    def missing(names: list[str]) -> list[str]:
        raise RKError("RK-REGISTRY-CHECKSUM-MISMATCH", "other bytes")

    with pytest.raises(RKError) as caught:
        upload_with_retries(
            upload,
            missing,
            ["a.whl"],
            retries=5,
            url="http://x/",
            sleep=lambda s: None,
            log=lambda _: None,
        )
    assert caught.value.code == "RK-REGISTRY-CHECKSUM-MISMATCH"


def test_a_refusal_is_not_retried_and_the_fix_names_the_token() -> None:
    upload, calls = _failing(NPM_403)
    with pytest.raises(RKError) as caught:
        upload_with_retries(
            upload,
            lambda n: n,
            ["a.tgz"],
            retries=5,
            url="http://x/",
            token_env="NPM_TOKEN",
            sleep=lambda s: None,
            log=lambda _: None,
        )
    assert len(calls) == 1
    assert "$NPM_TOKEN" in caught.value.fix and "registry.npmjs.org" in caught.value.fix


def test_the_budget_runs_out_with_status_and_host() -> None:
    upload, calls = _failing(*[UV_503] * 10)
    with pytest.raises(RKError) as caught:
        upload_with_retries(
            upload,
            lambda n: n,
            ["a.whl"],
            retries=2,
            url="http://x/",
            sleep=lambda s: None,
            log=lambda _: None,
        )
    assert len(calls) == 3
    err = caught.value
    assert "after 3 attempts (503, 503, 503)" in err.message
    assert "127.0.0.1:42553" in err.fix and "re-run" in err.fix
