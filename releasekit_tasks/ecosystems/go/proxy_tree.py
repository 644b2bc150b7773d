"""A static GOPROXY tree on disk: the "private Go registry" a publish writes to.

The module proxy protocol is plain files, so a folder served over ``file://``
or any static HTTP server is a complete GOPROXY::

    <escaped module>/@v/list          one version per line (semver order)
    <escaped module>/@v/<v>.info      {"Version": "v1.2.3", "Time": "2024-05-01T12:00:00Z"}
    <escaped module>/@v/<v>.mod       the version's go.mod
    <escaped module>/@v/<v>.zip       the module zip (releasekit_tasks.ecosystems.go.modzip)

Paths and versions are escaped as module.EscapePath does: each uppercase
letter becomes ``!`` and its lowercase. Versions are immutable: writing one
again with the same content is a no-op, with other content an error. Every
file is written to a temporary name and renamed, ``list`` last, so a reader
never sees a listed version whose files are missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

from releasekit_tasks.ecosystems.go.modfile import canonical_version, semver_key
from releasekit_tasks.ecosystems.go.modzip import (
    check_file_path,
    check_module_path,
    check_module_version,
    h1_hash_zip,
)
from releasekit_tasks.errors import RKError

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _escape(text: str) -> str:
    return "".join(f"!{ch.lower()}" if "A" <= ch <= "Z" else ch for ch in text)


def _unescape(escaped: str) -> str | None:
    out: list[str] = []
    bang = False
    for ch in escaped:
        if not ch.isascii():
            return None
        if bang:
            if not "a" <= ch <= "z":
                return None
            out.append(ch.upper())
            bang = False
        elif ch == "!":
            bang = True
        elif "A" <= ch <= "Z":
            return None
        else:
            out.append(ch)
    return None if bang else "".join(out)


def escape_path(module_path: str) -> str:
    """module.EscapePath: ``github.com/Azure/x`` → ``github.com/!azure/x``."""
    reason = check_module_path(module_path)
    if reason:
        raise RKError("RK-GO-PATH-INVALID", f"malformed module path {module_path!r}: {reason}")
    return _escape(module_path)


def escape_version(version: str) -> str:
    """module.EscapeVersion: ``v1.0.0-RC1`` → ``v1.0.0-!r!c1``."""
    # A version must be a valid file name element and free of `!`.
    if "/" in version or "!" in version or check_file_path(version):
        raise RKError("RK-GO-PATH-INVALID", f"disallowed version string {version!r}")
    return _escape(version)


def unescape_path(escaped: str) -> str:
    """module.UnescapePath, the inverse of :func:`escape_path`."""
    path = _unescape(escaped)
    if path is None:
        raise RKError("RK-GO-PATH-INVALID", f"invalid escaped module path {escaped!r}")
    reason = check_module_path(path)
    if reason:
        raise RKError("RK-GO-PATH-INVALID", f"invalid escaped module path {escaped!r}: {reason}")
    return path


def _atomic_write(dest: Path, data: bytes | Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, Path):
            shutil.copyfile(data, tmp)  # zips can be large: stream, do not read whole
        else:
            tmp.write_bytes(data)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _zip_gomod(zip_path: Path, prefix: str) -> bytes | None:
    """The zip's go.mod, after checking every entry lies under ``module@version/``."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
            stray = [n for n in names if not n.startswith(prefix)]
            if stray:
                raise RKError(
                    "RK-GO-ZIP-INVALID",
                    f"zip entry {stray[0]!r} is not under {prefix!r}: the zip is for another module or version",
                    path=zip_path,
                    fix="build the zip for this module and version (gozip.create_module_zip)",
                )
            return archive.read(prefix + "go.mod") if prefix + "go.mod" in names else None
    except (zipfile.BadZipFile, OSError) as exc:
        raise RKError("RK-GO-ZIP-INVALID", f"cannot read module zip: {exc}", path=zip_path) from exc


def _check_time(time: str) -> None:
    ok = _RFC3339.fullmatch(time) is not None
    if ok:
        try:
            datetime.fromisoformat(time)
        except ValueError:
            ok = False
    if not ok:
        raise RKError("RK-GO-INFO-INVALID", f"{time!r} is not an RFC 3339 time")


def write_version(
    tree: Path, module_path: str, version: str, zip_path: Path, gomod: bytes, time: str
) -> None:
    """Publish ``module_path@version`` into the GOPROXY folder ``tree``.

    Idempotent: an existing version with the same go.mod and the same zip
    content (same ``h1:``; zip bytes may differ, Go only checks the hash) is
    left as it is. Different content raises RK-GO-VERSION-IMMUTABLE before
    anything is written.
    """
    tree, zip_path = Path(tree), Path(zip_path)
    v = check_module_version(module_path, version)
    _check_time(time)
    prefix = f"{module_path}@{v}/"
    in_zip = _zip_gomod(zip_path, prefix)
    if in_zip is not None and in_zip != gomod:
        raise RKError(
            "RK-GO-ZIP-INVALID",
            f"{module_path}@{v}: the go.mod given differs from the go.mod inside the zip",
            path=zip_path,
            fix="publish the go.mod the zip was built from (ZipResult.gomod)",
        )

    folder = tree / escape_path(module_path) / "@v"
    base = escape_version(v)
    zip_dest, mod_dest, info_dest = (folder / f"{base}{ext}" for ext in (".zip", ".mod", ".info"))
    list_dest = folder / "list"

    # Check everything that exists before writing anything.
    if mod_dest.exists() and mod_dest.read_bytes() != gomod:
        raise RKError(
            "RK-GO-VERSION-IMMUTABLE",
            f"{module_path}@{v} is already published with a different go.mod",
            path=mod_dest,
        )
    if zip_dest.exists():
        old, new = h1_hash_zip(zip_dest), h1_hash_zip(zip_path)
        if old != new:
            raise RKError(
                "RK-GO-VERSION-IMMUTABLE",
                f"{module_path}@{v} is already published with other content ({old}, not {new})",
                path=zip_dest,
            )
    listed = list_dest.read_text(encoding="utf-8").split() if list_dest.exists() else []

    folder.mkdir(parents=True, exist_ok=True)
    if not zip_dest.exists():
        _atomic_write(zip_dest, zip_path)
    if not mod_dest.exists():
        _atomic_write(mod_dest, gomod)
    if not info_dest.exists():
        _atomic_write(info_dest, json.dumps({"Version": v, "Time": time}).encode() + b"\n")
    if v not in listed:
        versions = sorted({*listed, v}, key=_list_key)
        _atomic_write(list_dest, "".join(f"{x}\n" for x in versions).encode())


def _list_key(version: str) -> tuple[object, ...]:
    # A hand-edited list may hold lines we cannot order; keep them, last.
    if canonical_version(version) != version:
        return (1, (), version)
    return (0, semver_key(version), version)
