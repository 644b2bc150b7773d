"""Private Go registries (Artifact Keeper and alike), and the checksum database check.

A private Go registry takes a module version as an upload — ``POST <upload_url>``
(``…/api/artifacts``), multipart ``file`` (the module zip), ``format=go``,
``name`` (module path), ``version``, ``Authorization: Bearer <token>`` — and
serves it as a GOPROXY (``…/go/<repo>``). The zip uploaded is the one whose
``h1:`` ``build`` recorded, so what ``verify`` later reads back from the
GOPROXY can be compared hash for hash.

Credentials, never printed: for uploads the token in ``token_env`` (Bearer),
else the ``.netrc`` entry of the upload host (Basic); for reads the ``.netrc``
entry of the GOPROXY host (what the go command itself uses, matched as the go
command matches: ``host:port`` first, then ``host``), else the token (Bearer).
``NETRC`` names another netrc file, as for the go command.
"""

from __future__ import annotations

import base64
import netrc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "check_sumdb",
    "ensure_mod",
    "netrc_login",
    "read_headers",
    "upload_headers",
    "upload_module",
]


def netrc_login(url: str) -> tuple[str, str] | None:
    """(login, password) from the netrc file for ``url``'s host, or None."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    path = os.environ.get("NETRC") or str(Path.home() / ".netrc")
    if not Path(path).is_file():
        return None
    try:
        entries = netrc.netrc(path)
    except (netrc.NetrcParseError, OSError) as exc:
        raise RKError(
            "RK-PREFLIGHT-CREDENTIALS",
            f"cannot read the netrc file: {type(exc).__name__}",
            path=path,
            fix="fix the file's syntax (machine HOST login USER password TOKEN) and make it mode 600",
        ) from None
    hosts = [parts.netloc.rsplit("@", 1)[-1], parts.hostname]
    for host in hosts:
        found = entries.authenticators(host)
        if found and found[0] and found[2]:
            return found[0], found[2]
    return None


def _basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def _token(token_env: str) -> str | None:
    return os.environ.get(token_env) if token_env else None


def upload_headers(url: str, token_env: str) -> dict[str, str]:
    token = _token(token_env)
    if token:
        return {"Authorization": f"Bearer {token}"}
    login = netrc_login(url)
    return _basic(*login) if login else {}


def read_headers(url: str, token_env: str) -> dict[str, str]:
    """Headers for reading a GOPROXY: .netrc first (as the go command), then the token."""
    if not url.startswith(("http://", "https://")):
        return {}
    login = netrc_login(url)
    if login:
        return _basic(*login)
    token = _token(token_env)
    return {"Authorization": f"Bearer {token}"} if token else {}


def upload_module(
    client: httpx.Client,
    upload_url: str,
    token_env: str,
    module: str,
    version: str,
    zip_path: Path,
    *,
    retries: int = 5,
) -> str:
    """POST the module zip; ``"uploaded"``, or ``"exists"`` when the registry already
    has the version (the caller then compares hashes). Other refusals: RK-GO-REGISTRY-UPLOAD."""
    from releasekit_tasks.http import redact_url, request_with_retries

    headers = upload_headers(upload_url, token_env)
    if not headers:
        raise RKError(
            "RK-PREFLIGHT-CREDENTIALS",
            f"no credentials for {redact_url(upload_url)}",
            fix=f"export {token_env or 'the token_env variable'}=… or add the host to ~/.netrc",
        )
    response = request_with_retries(
        client,
        "POST",
        upload_url,
        headers=headers,
        data={"format": "go", "name": module, "version": version},
        files={"file": (zip_path.name, zip_path.read_bytes(), "application/zip")},
        retries=retries,
    )
    if response.status_code == 409:
        return "exists"
    if response.is_success:
        return "uploaded"
    excerpt = response.text[:200].strip()
    for secret in (v.split()[-1] for v in headers.values()):
        excerpt = excerpt.replace(secret, "***")
    raise RKError(
        "RK-GO-REGISTRY-UPLOAD",
        f"POST {redact_url(upload_url)} for {module} {version} answered HTTP "
        f"{response.status_code}: {excerpt}",
        fix="check upload_url and the token"
        + (f" in ${token_env}" if token_env else "")
        + (
            " (401/403: the token is missing or lacks write access)"
            if response.status_code in (401, 403)
            else ""
        ),
    )


def ensure_mod(
    client: httpx.Client,
    registry: str,
    token_env: str,
    module: str,
    version: str,
    gomod: bytes,
    *,
    retries: int = 5,
) -> str:
    """Make the registry's GOPROXY serve ``@v/<version>.mod``.

    Artifact Keeper keeps a version's go.mod as its own artifact: the API upload of the
    zip alone leaves ``.mod`` missing, and its GOPROXY endpoint takes ``PUT
    <registry>/<module>/@v/<version>.mod``. ``"served"`` when it was there already,
    ``"put"`` after putting it; another refusal is RK-GO-REGISTRY-UPLOAD.
    """
    from releasekit_tasks.ecosystems.go.proxy_tree import escape_path, escape_version
    from releasekit_tasks.http import get_if_exists, redact_url, request_with_retries

    url = f"{registry.rstrip('/')}/{escape_path(module)}/@v/{escape_version(version)}.mod"
    headers = read_headers(registry, token_env)
    if get_if_exists(client, url, headers=headers, retries=retries) is not None:
        return "served"
    response = request_with_retries(
        client,
        "PUT",
        url,
        headers={**upload_headers(registry, token_env), "Content-Type": "text/plain"},
        content=gomod,
        retries=retries,
    )
    if response.is_success or response.status_code == 409:
        return "put"
    raise RKError(
        "RK-GO-REGISTRY-UPLOAD",
        f"PUT {redact_url(url)} answered HTTP {response.status_code}: the registry serves no "
        f"go.mod for {module} {version}, and does not take one",
        fix="upload the go.mod in the registry's interface, or check the token's write access",
    )


def check_sumdb(
    client: httpx.Client,
    sumdb_value: str,
    module: str,
    version: str,
    zip_h1: str,
    mod_h1: str,
    *,
    retries: int = 5,
    state_dir: Path | None = None,
    proxy: str = "",
    proxy_headers: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Look ``module@version`` up in the checksum database, verify its signed tree
    head and the record's inclusion, and compare the hashes with ours.

    None when the database does not know the version yet (the caller polls);
    a receipt dict when it matches; RK-GO-SUMDB-MISMATCH when it holds others.
    """
    from releasekit_tasks.ecosystems.go.sumdb import lookup, parse_gosumdb

    sumdb = parse_gosumdb(sumdb_value)
    if sumdb is None:
        return {"skipped": "GOSUMDB=off"}
    record = lookup(
        client,
        sumdb,
        module,
        version,
        retries=retries,
        state_dir=state_dir,
        proxy=proxy,
        proxy_headers=proxy_headers,
    )
    if record is None:
        return None
    if (record.zip_h1, record.mod_h1) != (zip_h1, mod_h1):
        raise RKError(
            "RK-GO-SUMDB-MISMATCH",
            f"{sumdb.name} records {module} {version} as zip {record.zip_h1}, go.mod "
            f"{record.mod_h1}; the release built zip {zip_h1}, go.mod {mod_h1}",
        )
    return {
        "name": sumdb.name,
        "url": sumdb.url,
        "record": record.id,
        "tree_size": record.tree_size,
        "tree_hash": record.tree_hash,
    }
