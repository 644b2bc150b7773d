"""Go module zips by golang.org/x/mod/zip's rules, and their ``h1:`` hashes.

A Go module version is published as a zip whose entries are all
``<module>@<version>/<file>``; clients pin it by ``h1:`` (dirhash.Hash1: base64
SHA-256 over the lines ``"<sha256 hex>  <entry name>\\n"`` for the sorted entry
names). The zip's bytes (compression, timestamps) do not matter, the set of
entries does, byte for byte — so which files go in follows x/mod/zip exactly:

* from a directory (``CreateFromDir``): skip ``.git .hg .svn .bzr``, nested
  modules (a subdirectory with its own go.mod, and all below it), vendored
  packages, symlinks and other irregular files;
* from a git revision (``CreateFromVCS``, what the go command and
  proxy.golang.org build from a tag): the files ``git archive`` gives, so
  untracked, ignored and ``export-ignore`` files are left out;
* then, for both (``Create``/``checkFiles``): drop files of nested modules and
  vendored packages, reject invalid file names, case-fold collisions, a go.mod
  not spelled in lower case, go.mod or LICENSE over 16 MiB, totals over 500 MiB;
* a module in a subdirectory without its own LICENSE gets the repository
  root's LICENSE (the go command does this for VCS-built zips).

Module path and file path rules follow golang.org/x/mod/module (CheckPath,
CheckFilePath); versions must be canonical Go semver (``vX.Y.Z[-pre]``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from releasekit_tasks.errors import RKError

MAX_ZIP_FILE = 500 << 20
MAX_GO_MOD = 16 << 20
MAX_LICENSE = 16 << 20

_VCS_DIRS = frozenset({".bzr", ".git", ".hg", ".svn"})
# Zip timestamps are ignored by Go; a fixed one keeps our bytes reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipResult:
    path: Path
    h1: str  # the module zip's sum (go.sum `<mod> <ver> h1:…`)
    gomod_h1: str  # the go.mod's sum (go.sum `<mod> <ver>/go.mod h1:…`)
    files: list[str]  # entry names, `<module>@<version>/<file>`, sorted
    size: int  # bytes of the zip file
    gomod: bytes = field(repr=False)  # the go.mod that went into the zip


# --- golang.org/x/mod/module: paths -------------------------------------------

_BAD_WINDOWS_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)
_FILE_PUNCT = frozenset("!#$%&()+,-.=@[]^_{}~ ")
_MOD_PUNCT = frozenset("-._~")


def _char_ok(ch: str, kind: str) -> bool:
    if ch.isascii():
        if ch.isalnum():
            return True
        return ch in (_FILE_PUNCT if kind == "file" else _MOD_PUNCT)
    # Module paths are ASCII only; file names may use any Unicode letter.
    return kind == "file" and ch.isalpha()


def _check_elem(elem: str, kind: str) -> str | None:
    if elem == "":
        return "empty path element"
    if elem.count(".") == len(elem):
        return f"invalid path element {elem!r}"
    if elem[0] == "." and kind == "module":
        return "leading dot in path element"
    if elem[-1] == ".":
        return "trailing dot in path element"
    for ch in elem:
        if not _char_ok(ch, kind):
            return f"invalid char {ch!r}"
    short = elem.split(".", 1)[0]
    if short.isascii() and short.upper() in _BAD_WINDOWS_NAMES:
        return f"{short!r} disallowed as path element component on Windows"
    if kind == "file":
        return None
    # Windows short names (PROGRA~1) are only a problem for import paths.
    digits = short[short.rfind("~") + 1 :] if "~" in short else ""
    if digits.isascii() and digits.isdigit():
        return "trailing tilde and digits in path element"
    return None


def _check_path(path: str, kind: str) -> str | None:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in a file name
        return "invalid UTF-8"
    if path == "":
        return "empty string"
    if path[0] == "-" and kind != "file":
        return "leading dash"
    if "//" in path:
        return "double slash"
    if path.endswith("/"):
        return "trailing slash"
    for elem in path.split("/"):
        reason = _check_elem(elem, kind)
        if reason:
            return reason
    return None


def check_file_path(path: str) -> str | None:
    """Why ``path`` (slash-separated, relative) is not a valid module file path (module.CheckFilePath), or None."""
    return _check_path(path, "file")


def split_path_major(path: str) -> tuple[str, str] | None:
    """``(prefix, pathMajor)`` as module.SplitPathVersion (``/v2``, ``.v1`` for gopkg.in, or ``""``); None if malformed."""
    if path.startswith("gopkg.in/"):
        m = re.fullmatch(r"(.+)(\.v(0|[1-9][0-9]*))(-unstable)?", path)
        if m is None or m.group(1) == "gopkg.in":
            return None
        return m.group(1), path[len(m.group(1)) :]
    m = re.search(r"/v[0-9.]+$", path)
    if m is None:
        return path, ""
    major = m.group(0)
    if "." in major or len(major) <= 2 or major[2] == "0" or major == "/v1":
        return None
    return path[: m.start()], major


def check_module_path(path: str) -> str | None:
    """Why ``path`` is not a valid module path (module.CheckPath), or None."""
    reason = _check_path(path, "module")
    if reason:
        return reason
    first = path.split("/", 1)[0]
    if first == "":
        return "leading slash"
    if "." not in first:
        return "missing dot in first path element"
    if path[0] == "-":
        return "leading dash in first path element"
    bad = [ch for ch in first if not (ch in "-." or ch.isdigit() or "a" <= ch <= "z")]
    if bad:
        return f"invalid char {bad[0]!r} in first path element"
    if split_path_major(path) is None:
        return "invalid version"
    return None


# --- golang.org/x/mod/semver (the canonical subset Go publishing needs) -------

_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_CANONICAL = re.compile(
    rf"v({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE_IDENT}(?:\.{_PRE_IDENT})*))?(\+incompatible)?"
)


def _path_major_ok(version: str, path_major: str) -> bool:
    """module.CheckPathMajor."""
    if path_major.startswith(".v") and path_major.endswith("-unstable"):
        path_major = path_major.removesuffix("-unstable")
    if version.startswith("v0.0.0-") and path_major == ".v1":
        return True
    major = version[1:].split(".", 1)[0]
    if path_major == "":
        return major in ("0", "1") or version.endswith("+incompatible")
    return path_major[2:] == major


def check_module_version(module_path: str, version: str, *, where: Path | None = None) -> str:
    """Validate a module path and version pair (module.Check + canonical version).

    Returns the version with its leading ``v`` (``1.2.3`` → ``v1.2.3``).
    """
    reason = check_module_path(module_path)
    if reason:
        raise RKError(
            "RK-GO-PATH-INVALID",
            f"malformed module path {module_path!r}: {reason}",
            path=where,
            fix="use a module path like example.com/repo/sub (lower-case domain with a dot, "
            "ASCII letters, digits and - . _ ~)",
        )
    v = version if version.startswith("v") else f"v{version}"
    if _CANONICAL.fullmatch(v) is None:
        raise RKError(
            "RK-VERSION-INVALID",
            f"{module_path}: {version!r} is not a canonical Go version (vMAJOR.MINOR.PATCH[-pre])",
            path=where,
        )
    split = split_path_major(module_path)
    assert split is not None  # check_module_path verified it
    if not _path_major_ok(v, split[1]):
        want = split[1][1:] if split[1] else "v0 or v1"
        raise RKError(
            "RK-CHECK-GO-MAJOR",
            f"module path {module_path} does not match version {v} (the path wants {want})",
            path=where,
            fix=f"use a {want} version, or give the module path the /{v.split('.')[0]} suffix",
        )
    return v


# --- sumdb/dirhash -------------------------------------------------------------


def _hash_lines(entries: Iterator[tuple[str, str]]) -> str:
    summary = hashlib.sha256()
    for name, hexdigest in entries:
        summary.update(f"{hexdigest}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode("ascii")


def _sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _check_hash_names(names: list[str], where: Path | None) -> None:
    for name in names:
        if "\n" in name:
            raise RKError(
                "RK-GO-ZIP-INVALID",
                f"file name with a newline cannot be hashed: {name!r}",
                path=where,
            )


def h1_hash_files(files: Mapping[str, bytes | Path]) -> str:
    """dirhash.Hash1 over ``name → content`` (bytes, or a file to read)."""
    names = sorted(files)
    _check_hash_names(names, None)

    def entries() -> Iterator[tuple[str, str]]:
        for name in names:
            content = files[name]
            if isinstance(content, bytes):
                yield name, hashlib.sha256(content).hexdigest()
            else:
                with open(content, "rb") as stream:
                    yield name, _sha256_stream(stream)

    return _hash_lines(entries())


def h1_hash_zip(zip_path: Path) -> str:
    """dirhash.HashZip: the ``h1:`` of a module zip (names and contents only)."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = sorted(info.filename for info in archive.infolist())
            _check_hash_names(names, zip_path)

            def entries() -> Iterator[tuple[str, str]]:
                for name in names:
                    with archive.open(name) as stream:
                        yield name, _sha256_stream(stream)

            return _hash_lines(entries())
    except (zipfile.BadZipFile, OSError) as exc:
        raise RKError("RK-GO-ZIP-INVALID", f"cannot read module zip: {exc}", path=zip_path) from exc


def h1_hash_gomod(gomod: bytes) -> str:
    """The ``/go.mod`` sum: Hash1 over the single file name ``go.mod``."""
    return h1_hash_files({"go.mod": gomod})


# --- which files go in ---------------------------------------------------------


@dataclass(frozen=True)
class _File:
    rel: str  # slash path inside the module
    size: int
    regular: bool
    open: Callable[[], IO[bytes]] = field(repr=False)


def _go_lang(gomod: bytes) -> tuple[int, int] | None:
    """(major, minor) of go.mod's `go` directive, as x/mod/zip reads it (ParseLax + version.Lang).

    Anything modfile would reject (a malformed or repeated `go` line) gives None,
    which x/mod treats as older than every version.
    """
    try:
        text = gomod.decode("utf-8")
    except UnicodeDecodeError:
        return None
    found: list[str] = []
    for line in text.splitlines():
        words = line.split("//", 1)[0].split()
        if words[:1] == ["go"]:
            found.append(" ".join(words[1:]))
    if len(found) != 1:
        return None
    m = re.fullmatch(
        r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?(?:[a-z]+[0-9]+)?", found[0]
    )
    return (int(m.group(1)), int(m.group(2))) if m else None


def _is_vendored(name: str, lang: tuple[int, int] | None) -> bool:
    """x/mod/zip isVendoredPackage, bugs kept: checksums of existing versions depend on them."""
    go124 = lang is not None and lang >= (1, 24)
    if go124 and name == "vendor/modules.txt":
        return True
    if name.startswith("vendor/"):
        i = len("vendor/")
    elif (j := name.find("/vendor/")) >= 0:
        # Before go 1.24 the offset ignores j (golang.org/issue/37397), so
        # pkg/vendor/vendor.go counts as vendored; 1.24 fixed it.
        i = j + len("/vendor/") if go124 else len("/vendor/")
    else:
        return False
    return "/" in name[i:]


def _has_gomod(folder: str) -> bool:
    """Anything but a directory named go.mod (even a dangling symlink) makes a nested module."""
    try:
        return not stat.S_ISDIR(os.lstat(os.path.join(folder, "go.mod")).st_mode)
    except OSError:
        return False


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: open(path, "rb")


def _dir_files(module_dir: Path) -> list[_File]:
    """x/mod/zip listFilesInDir: the regular files of a module directory."""
    try:
        walk_lang = _go_lang((module_dir / "go.mod").read_bytes())
    except OSError:
        walk_lang = None
    files: list[_File] = []

    def visit(folder: Path, rel: str) -> None:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            slash = f"{rel}/{entry.name}" if rel else entry.name
            # A vendored directory's files are all vendored too: no need to descend.
            if _is_vendored(slash, walk_lang):
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name in _VCS_DIRS:
                    continue
                if _has_gomod(entry.path):
                    continue  # a nested module: not part of this one
                visit(Path(entry.path), slash)
                continue
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode):
                files.append(_File(slash, st.st_size, True, _opener(Path(entry.path))))

    try:
        visit(module_dir, "")
    except OSError as exc:
        raise RKError(
            "RK-GO-ZIP-INVALID", f"cannot read the module: {exc}", path=module_dir
        ) from exc
    return files


def _git_files(
    repo_root: Path, rev: str, subdir: str, stack: contextlib.ExitStack
) -> tuple[list[_File], bool]:
    """x/mod/zip filesInGitRepo: the files `git archive` gives for ``subdir`` at ``rev``.

    Returns the files and whether ``subdir`` has its own LICENSE.
    """
    spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by the stack)
    # autocrlf/eol as the go command sets them, so line endings match its zips.
    cmd = ["git", "-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", rev]
    if subdir:
        cmd.append(subdir)
    done = subprocess.run(cmd, cwd=repo_root, stdout=spool, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise RKError(
            "RK-GO-ZIP-INVALID",
            f"`git archive {rev} {subdir}` failed: {done.stderr.decode(errors='replace').strip()}",
            path=repo_root,
            fix="check that the revision (tag) exists and the module folder is committed in it",
        )
    spool.seek(0)
    archive = stack.enter_context(zipfile.ZipFile(spool))
    files: list[_File] = []
    have_license = False
    for info in archive.infolist():
        if not info.filename.startswith(subdir) or info.filename.endswith("/"):
            continue
        rel = info.filename[len(subdir) :].removeprefix("/")
        if rel == "":
            continue
        mode = info.external_attr >> 16
        regular = mode == 0 or stat.S_ISREG(mode)
        files.append(_File(rel, info.file_size, regular, _zip_opener(archive, info)))
        have_license = have_license or rel == "LICENSE"
    return files, have_license


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


def _fold(text: str) -> str:
    """Go's strToFold: map each rune to the least of its simple case-fold orbit (A-Z → a-z)."""
    out = []
    for ch in text:
        orbit = {ch, ch.lower(), ch.upper(), ch.lower().upper(), ch.upper().lower()}
        least = min(c for c in orbit if len(c) == 1)
        out.append(least.lower() if "A" <= least <= "Z" else least)
    return "".join(out)


class _Collisions:
    """x/mod/zip collisionChecker: case-fold duplicates and file/directory clashes."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[str, bool]] = {}

    def check(self, path: str, is_dir: bool) -> str | None:
        key = _fold(path)
        if key in self.seen:
            other, other_dir = self.seen[key]
            if path != other:
                return f"case-insensitive file name collision: {other!r} and {path!r}"
            if is_dir != other_dir:
                return f"entry {path!r} is both a file and a directory"
            if not is_dir:
                return f"multiple entries for file {path!r}"
        else:
            self.seen[key] = (path, is_dir)
        parent = path.rpartition("/")[0]
        return self.check(parent, True) if parent else None


def _check_files(files: list[_File], where: Path) -> list[_File]:
    """x/mod/zip checkFiles: the files that go in; RKError when any is invalid."""
    have_gomod = {
        f.rel.rpartition("/")[0]
        for f in files
        if f.regular and f.rel.rpartition("/")[2].lower() == "go.mod"
    }
    root_gomod = next((f for f in files if f.rel == "go.mod" and f.regular), None)
    lang = None
    if root_gomod is not None:
        with root_gomod.open() as stream:
            lang = _go_lang(stream.read())

    def in_submodule(rel: str) -> bool:
        parent = rel.rpartition("/")[0]
        while parent:
            if parent in have_gomod:
                return True
            parent = parent.rpartition("/")[0]
        return False

    collisions = _Collisions()
    valid: list[_File] = []
    invalid: list[tuple[str, str]] = []
    room = MAX_ZIP_FILE
    too_large = False
    for f in files:
        if _is_vendored(f.rel, lang) or in_submodule(f.rel) or f.rel == ".hg_archival.txt":
            continue
        reason = check_file_path(f.rel)
        if reason is None and f.rel.lower() == "go.mod" and f.rel != "go.mod":
            reason = "go.mod files must have lowercase names"
        reason = reason or collisions.check(f.rel, False)
        if reason:
            invalid.append((f.rel, reason))
            continue
        if not f.regular:
            continue  # symlinks and other irregular files are left out
        if f.size <= room:
            room -= f.size
        else:
            too_large = True
        if f.rel == "go.mod" and f.size > MAX_GO_MOD:
            invalid.append((f.rel, f"go.mod file too large (max size is {MAX_GO_MOD} bytes)"))
        elif f.rel == "LICENSE" and f.size > MAX_LICENSE:
            invalid.append((f.rel, f"LICENSE file too large (max size is {MAX_LICENSE} bytes)"))
        else:
            valid.append(f)
    if too_large:
        raise RKError(
            "RK-GO-ZIP-TOO-LARGE",
            f"module source tree too large (max size is {MAX_ZIP_FILE} bytes)",
            path=where,
        )
    if invalid:
        listing = "\n".join(f"  {rel}: {reason}" for rel, reason in invalid)
        raise RKError(
            "RK-GO-ZIP-INVALID",
            f"{len(invalid)} file(s) cannot go into the module zip:\n{listing}",
            path=where / invalid[0][0],
        )
    return valid


def _root_license(repo_root: Path) -> _File | None:
    path = repo_root / "LICENSE"
    try:
        st = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return _File("LICENSE", st.st_size, True, _opener(path))


def _git_root_license(repo_root: Path, rev: str) -> _File | None:
    done = subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:LICENSE"],
        cwd=repo_root,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    data = done.stdout
    return _File("LICENSE", len(data), True, lambda: io.BytesIO(data))


def _subdir(module_dir: Path, repo_root: Path | None) -> str:
    if repo_root is None:
        return ""
    try:
        rel = module_dir.resolve().relative_to(repo_root.resolve())
    except ValueError as exc:
        raise RKError(
            "RK-GO-ZIP-INVALID",
            f"module folder {module_dir} is not inside the repository {repo_root}",
            path=module_dir,
            fix="pass the repository that contains the module as repo_root",
        ) from exc
    return rel.as_posix() if rel.parts else ""


# --- writing the zip -------------------------------------------------------------


def create_module_zip(
    module_dir: Path,
    module_path: str,
    version: str,
    out: Path,
    *,
    repo_root: Path | None = None,
    rev: str | None = None,
) -> ZipResult:
    """Write the module zip of ``module_path@version`` to ``out`` and hash it.

    Without ``rev`` the files come from the directory (x/mod/zip CreateFromDir);
    with ``rev`` (a tag or commit of ``repo_root``) from ``git archive`` of that
    revision, exactly as the go command and proxy.golang.org build it. A module
    below ``repo_root`` without a LICENSE gets the root's. Nothing is written
    unless the whole zip is valid; ``out`` is replaced atomically.
    """
    module_dir = Path(module_dir)
    v = check_module_version(module_path, version, where=module_dir / "go.mod")
    subdir = _subdir(module_dir, repo_root)
    with contextlib.ExitStack() as stack:
        if rev is None:
            files = _dir_files(module_dir)
            have_license = any(f.rel == "LICENSE" for f in files)
        else:
            if repo_root is None:
                raise ValueError("rev needs repo_root")
            files, have_license = _git_files(repo_root, rev, subdir, stack)
        if subdir and not have_license:
            assert repo_root is not None
            lic = _root_license(repo_root) if rev is None else _git_root_license(repo_root, rev)
            if lic is not None:
                files.append(lic)
        valid = _check_files(files, module_dir)
        gomod_file = next((f for f in valid if f.rel == "go.mod"), None)
        if gomod_file is None:
            raise RKError(
                "RK-MANIFEST-MISSING",
                f"{module_path}: the module has no go.mod" + (f" at {rev}" if rev else ""),
                path=module_dir / "go.mod",
                fix="add a go.mod (`go mod init " + module_path + "`) and commit it",
            )
        with gomod_file.open() as stream:
            gomod = stream.read()
        h1, names = _write_zip(valid, f"{module_path}@{v}/", Path(out), module_dir)
    return ZipResult(
        path=Path(out),
        h1=h1,
        gomod_h1=h1_hash_gomod(gomod),
        files=names,
        size=Path(out).stat().st_size,
        gomod=gomod,
    )


def _write_zip(valid: list[_File], prefix: str, out: Path, where: Path) -> tuple[str, list[str]]:
    """Write sorted, deflated entries with fixed times; return (h1, entry names)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    lines: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for f in sorted(valid, key=lambda f: f.rel):
                info = zipfile.ZipInfo(prefix + f.rel, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                digest = hashlib.sha256()
                written = 0
                with f.open() as src, archive.open(info, "w") as dst:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > f.size:
                            break
                        digest.update(chunk)
                        dst.write(chunk)
                if written != f.size:
                    raise RKError(
                        "RK-GO-ZIP-INVALID",
                        f"{f.rel} changed size while being zipped",
                        path=where / f.rel,
                        fix="do not modify the module while it is being built; re-run",
                    )
                lines.append((info.filename, digest.hexdigest()))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # Entries were written in name order, which is dirhash's sort order.
    return _hash_lines(iter(lines)), [name for name, _ in lines]
