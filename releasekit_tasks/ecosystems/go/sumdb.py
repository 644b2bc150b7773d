"""The Go checksum database (sum.golang.org), read and verified the way the go command does.

A checksum database is a transparency log of go.sum lines. Three formats meet here
(golang.org/x/mod/sumdb/{note,tlog}):

- **Signed notes.** A text ending in ``\\n``, a blank line, then one line per
  signature: ``— <name> <base64(4-byte key hash ‖ Ed25519 signature)>``. A
  verifier key is ``<name>+<8 hex key hash>+<base64(0x01 ‖ 32-byte public key)>``;
  the key hash is the first 4 bytes (big-endian) of
  ``sha256(name ‖ "\\n" ‖ 0x01 ‖ public key)``. ``GOSUMDB`` is ``<key> [<url>]``.
- **Tree heads.** The signed note's text: ``go.sum database tree\\n<N>\\n<base64 hash>\\n``.
- **Lookups.** ``GET <url>/lookup/<escaped module>@<escaped version>`` answers
  ``<record id>\\n<go.sum lines>\\n`` followed by the signed tree head. The
  record is in the tree when its hash, ``sha256(0x00 ‖ lines)``, with the audit
  path read from the hash tiles (``/tile/8/<L>/<NNN>[.p/<W>]``), gives the signed
  tree hash. :func:`lookup` checks all of this.

The log side (stored hash indexes, tile contents) is here too, small and
in memory, for the loopback checksum database the tests run.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.errors import RKError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "KNOWN_SUMDBS",
    "Log",
    "Signer",
    "SumDB",
    "SumRecord",
    "Verifier",
    "generate_key",
    "lookup",
    "matches_patterns",
    "open_note",
    "parse_gosumdb",
    "sum_disabled",
]

# The go command's built-in keys (cmd/go/internal/modfetch/key.go).
KNOWN_SUMDBS = {
    "sum.golang.org": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
    "sum.golang.google.cn": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}
_KNOWN_URLS = {"sum.golang.google.cn": "https://sum.golang.google.cn"}

ALG_ED25519 = 1
HASH_SIZE = 32
TILE_HEIGHT = 8  # the height every Go checksum database serves its tiles at
_SIG_PREFIX = "— "
_TREE_PREFIX = b"go.sum database tree\n"


def _key_error(value: str, why: str) -> RKError:
    return RKError(
        "RK-GO-SUMDB-KEY",
        f"checksum database key {value!r}: {why}",
        fix="write it as GOSUMDB does: `name+hash+base64key [url]`, e.g. "
        "`sum.golang.org+033de0ae+Ac4z… https://sum.golang.org`, or `off`",
    )


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_hash(name: str, key: bytes) -> int:
    """The 32-bit id of a key: the first 4 bytes of sha256(name ‖ "\\n" ‖ alg ‖ key)."""
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n" + key).digest()[:4], "big")


# --- notes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """A parsed verifier key ``name+hash+base64key`` (Ed25519 only, as Go)."""

    name: str
    hash: int
    public_key: bytes  # 32 bytes, without the algorithm byte

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        name, _, rest = vkey.partition("+")
        hash16, _, key64 = rest.partition("+")
        try:
            key = base64.b64decode(key64, validate=True)
            hash_value = int(hash16, 16)
        except ValueError:
            raise _key_error(vkey, "the hash or the key is not readable") from None
        if len(hash16) != 8 or not _valid_name(name) or not key:
            raise _key_error(vkey, "not name+8-hex-digit-hash+base64key")
        if key_hash(name, key) != hash_value:
            raise _key_error(vkey, "the hash does not match the name and key")
        if key[0] != ALG_ED25519 or len(key) != 33:
            raise _key_error(vkey, "not an Ed25519 key (algorithm 1, 32 bytes)")
        return cls(name=name, hash=hash_value, public_key=key[1:])

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        key = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.hash:08x}+{key}"


@dataclass(frozen=True)
class Signer:
    """A signer key ``PRIVATE+KEY+name+hash+base64(0x01 ‖ seed)`` (for test servers)."""

    name: str
    hash: int
    seed: bytes = field(repr=False)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise _key_error("PRIVATE+KEY+…", "not a signer key")
        name, hash16, key64 = parts[2:]
        key = base64.b64decode(key64)
        if len(key) != 33 or key[0] != ALG_ED25519 or not _valid_name(name):
            raise _key_error("PRIVATE+KEY+…", "not an Ed25519 signer key")
        signer = cls(name=name, hash=int(hash16, 16), seed=key[1:])
        if key_hash(name, bytes([ALG_ED25519]) + signer.public_key()) != signer.hash:
            raise _key_error("PRIVATE+KEY+…", "the hash does not match the key")
        return signer

    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.hash, self.public_key())

    def sign(self, text: bytes) -> bytes:
        """The signed note: ``text``, a blank line, the signature line."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if not text.endswith(b"\n"):
            raise ValueError("a note's text ends with a newline")
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)
        b64 = base64.b64encode(self.hash.to_bytes(4, "big") + signature).decode()
        return text + f"\n{_SIG_PREFIX}{self.name} {b64}\n".encode()


def generate_key(name: str) -> tuple[str, str]:
    """A new (signer key, verifier key) pair, as ``note.GenerateKey`` makes them."""
    if not _valid_name(name):
        raise ValueError(f"invalid key name {name!r}")
    seed = os.urandom(32)
    public = Signer(name, 0, seed).public_key()
    h = key_hash(name, bytes([ALG_ED25519]) + public)
    private64 = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
    public64 = base64.b64encode(bytes([ALG_ED25519]) + public).decode()
    return f"PRIVATE+KEY+{name}+{h:08x}+{private64}", f"{name}+{h:08x}+{public64}"


def open_note(message: bytes, verifier: Verifier, *, where: str) -> bytes:
    """The text of a signed note once ``verifier``'s signature on it checks out.

    As ``note.Open``: control characters are refused, signatures follow the last
    blank line, a signature by another key is ignored, a bad one by ours is fatal.
    """

    def bad(why: str) -> RKError:
        return RKError(
            "RK-GO-SUMDB-SIGNATURE",
            f"{where}: {why}",
            fix=f"check the checksum database key ({verifier}) and URL; a database that "
            "signs with another key, or a note altered on the way, is not to be trusted",
        )

    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the signed note is not UTF-8") from None
    if any(ch < " " and ch != "\n" for ch in decoded):
        raise bad("the signed note holds control characters")
    split = message.rfind(b"\n\n")
    if split < 0:
        raise bad("no signature block in the note")
    text, sigs = message[: split + 1], message[split + 2 :]
    if not sigs.endswith(b"\n"):
        raise bad("malformed signature block")
    verified = False
    for line in sigs.decode().splitlines():
        if not line.startswith(_SIG_PREFIX):
            raise bad(f"malformed signature line {line!r}")
        name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            raise bad(f"malformed signature line {line!r}") from None
        if len(raw) < 5 or not _valid_name(name):
            raise bad(f"malformed signature line {line!r}")
        if name != verifier.name or int.from_bytes(raw[:4], "big") != verifier.hash:
            continue  # another key's signature: not ours to judge
        if not verifier.verify(text, raw[4:]):
            raise bad(f"invalid signature for key {verifier.name}+{verifier.hash:08x}")
        verified = True
    if not verified:
        raise bad(f"the note carries no signature by {verifier.name}+{verifier.hash:08x}")
    return text


# --- GOSUMDB / GONOSUMDB -------------------------------------------------------------


@dataclass(frozen=True)
class SumDB:
    """A checksum database as ``GOSUMDB`` names it: its key and where to reach it."""

    verifier: Verifier
    url: str  # no trailing slash
    # GOSUMDB named the URL: the go command then goes there directly, never through
    # a proxy; without one it asks each GOPROXY (`<proxy>/sumdb/<name>/supported`) first.
    explicit: bool = False

    @property
    def name(self) -> str:
        return self.verifier.name


def parse_gosumdb(value: str) -> SumDB | None:
    """``GOSUMDB``'s value: ``off``, a known name, or ``name+hash+key [url]``."""
    words = value.split()
    if not words or words == ["off"]:
        return None
    if len(words) > 2:
        raise _key_error(value, "more than a key and a URL")
    key = words[0]
    known = KNOWN_SUMDBS.get(key)
    explicit = len(words) == 2 or key in _KNOWN_URLS
    if known is not None:
        url = words[1] if len(words) == 2 else _KNOWN_URLS.get(key, f"https://{key}")
        return SumDB(Verifier.parse(known), url.rstrip("/"), explicit)
    verifier = Verifier.parse(key)
    url = words[1] if len(words) == 2 else f"https://{verifier.name}"
    if "://" not in url:
        url = "https://" + url
    return SumDB(verifier, url.rstrip("/"), explicit)


def matches_patterns(patterns: str, module: str) -> bool:
    """Go's ``module.MatchPrefixPatterns``: comma-separated globs matched against as
    many leading path elements of ``module`` as the pattern has."""
    for raw in patterns.split(","):
        pattern = raw.strip().strip("/")
        if not pattern:
            continue
        want = pattern.split("/")
        have = module.split("/")
        if len(have) < len(want):
            continue
        if all(fnmatch.fnmatchcase(h, w) for h, w in zip(have, want, strict=False)):
            return True
    return False


def sum_disabled(module: str, env: dict[str, str] | None = None) -> bool:
    """Does ``GONOSUMDB`` (or ``GOPRIVATE`` when GONOSUMDB is unset) cover ``module``?"""
    env = dict(os.environ) if env is None else env
    patterns = env.get("GONOSUMDB")
    if patterns is None:
        patterns = env.get("GOPRIVATE", "")
    return matches_patterns(patterns, module)


# --- the log: hashes and tiles -------------------------------------------------------


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _maxpow2(n: int) -> tuple[int, int]:
    """The largest power of two smaller than ``n`` and its log2."""
    level = 0
    while 1 << (level + 1) < n:
        level += 1
    return 1 << level, level


def stored_hash_index(level: int, n: int) -> int:
    """Where hash ``(level, n)`` sits in the log's linear hash storage."""
    for _ in range(level):
        n = 2 * n + 1
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The inverse of :func:`stored_hash_index`."""
    n = index // 2
    index_n = stored_hash_index(0, n)
    while True:
        x = index_n + 1 + _trailing_zeros(n + 1)
        if x > index:
            break
        n += 1
        index_n = x
    level = index - index_n
    return level, n >> level


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _subtree_index(lo: int, hi: int, need: list[int]) -> list[int]:
    while lo < hi:
        k, level = _maxpow2(hi - lo + 1)
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _subtree_hash(lo: int, hi: int, hashes: list[bytes]) -> tuple[bytes, list[bytes]]:
    count = 0
    while lo < hi:
        k, _ = _maxpow2(hi - lo + 1)
        count += 1
        lo += k
    h = hashes[count - 1]
    for i in range(count - 2, -1, -1):
        h = node_hash(hashes[i], h)
    return h, hashes[count:]


def _leaf_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if lo + 1 == hi:
        return need
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        _leaf_proof_index(lo, lo + k, n, need)
        _subtree_index(lo + k, hi, need)
    else:
        _subtree_index(lo, lo + k, need)
        _leaf_proof_index(lo + k, hi, n, need)
    return need


def _leaf_proof(lo: int, hi: int, n: int, hashes: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    if lo + 1 == hi:
        return [], hashes
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        proof, hashes = _leaf_proof(lo, lo + k, n, hashes)
        th, hashes = _subtree_hash(lo + k, hi, hashes)
    else:
        th, hashes = _subtree_hash(lo, lo + k, hashes)
        proof, hashes = _leaf_proof(lo + k, hi, n, hashes)
    return [*proof, th], hashes


def _run_record_proof(proof: list[bytes], lo: int, hi: int, n: int, leaf: bytes) -> bytes | None:
    """The subtree hash [lo, hi) implied by the audit path, or None if it is malformed."""
    if lo + 1 == hi:
        return leaf if not proof else None
    if not proof:
        return None
    k, _ = _maxpow2(hi - lo)
    if n < lo + k:
        th = _run_record_proof(proof[:-1], lo, lo + k, n, leaf)
        return None if th is None else node_hash(th, proof[-1])
    th = _run_record_proof(proof[:-1], lo + k, hi, n, leaf)
    return None if th is None else node_hash(proof[-1], th)


def _tree_proof_index(lo: int, hi: int, n: int, need: list[int]) -> list[int]:
    if n == hi:
        return need if lo == 0 else _subtree_index(lo, hi, need)
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        _tree_proof_index(lo, lo + k, n, need)
        _subtree_index(lo + k, hi, need)
    else:
        _subtree_index(lo, lo + k, need)
        _tree_proof_index(lo + k, hi, n, need)
    return need


def _tree_proof(lo: int, hi: int, n: int, hashes: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    if n == hi:
        if lo == 0:
            return [], hashes
        th, hashes = _subtree_hash(lo, hi, hashes)
        return [th], hashes
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        proof, hashes = _tree_proof(lo, lo + k, n, hashes)
        th, hashes = _subtree_hash(lo + k, hi, hashes)
    else:
        th, hashes = _subtree_hash(lo, lo + k, hashes)
        proof, hashes = _tree_proof(lo + k, hi, n, hashes)
    return [*proof, th], hashes


def _run_tree_proof(
    proof: list[bytes], lo: int, hi: int, n: int, old: bytes
) -> tuple[bytes, bytes] | None:
    """(old tree hash, new subtree hash) implied by a consistency proof, None if malformed."""
    if n == hi:
        if lo == 0:
            return (old, old) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k, _ = _maxpow2(hi - lo)
    if n <= lo + k:
        inner = _run_tree_proof(proof[:-1], lo, lo + k, n, old)
        return None if inner is None else (inner[0], node_hash(inner[1], proof[-1]))
    inner = _run_tree_proof(proof[:-1], lo + k, hi, n, old)
    if inner is None:
        return None
    return node_hash(proof[-1], inner[0]), node_hash(proof[-1], inner[1])


@dataclass(frozen=True)
class Tile:
    height: int
    level: int  # -1: record data
    n: int
    width: int

    def path(self) -> str:
        n = self.n
        text = f"{n % 1000:03d}"
        while n >= 1000:
            n //= 1000
            text = f"x{n % 1000:03d}/{text}"
        partial = f".p/{self.width}" if self.width != 1 << self.height else ""
        level = "data" if self.level == -1 else str(self.level)
        return f"tile/{self.height}/{level}/{text}{partial}"

    @classmethod
    def parse(cls, path: str) -> Tile | None:
        """A tile coordinate path, or None if it is not one (Go's ParseTilePath)."""
        match = re.fullmatch(r"tile/(\d+)/(data|\d+)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?", path)
        if not match:
            return None
        height = int(match[1])
        if not 1 <= height <= 30:
            return None
        level = -1 if match[2] == "data" else int(match[2])
        width = int(match[4]) if match[4] else 1 << height
        if not 0 < width <= 1 << height:
            return None
        n = 0
        for part in match[3].split("/"):
            n = n * 1000 + int(part.lstrip("x"))
        tile = cls(height, level, n, width)
        return tile if tile.path() == path else None


def _tile_for_index(height: int, index: int) -> tuple[Tile, int, int]:
    """The narrowest tile holding stored hash ``index`` and the byte range whose
    subtree hash it is (Go's tileForIndex)."""
    level, n = split_stored_hash_index(index)
    tile_level = level // height
    level -= tile_level * height
    tile_n = n << level >> height
    n -= tile_n << height >> level
    width = (n + 1) << level
    return (
        Tile(height, tile_level, tile_n, width),
        (n << level) * HASH_SIZE,
        ((n + 1) << level) * HASH_SIZE,
    )


def _tile_hash(data: bytes) -> bytes:
    if len(data) == HASH_SIZE:
        return data
    half = len(data) // 2
    return node_hash(_tile_hash(data[:half]), _tile_hash(data[half:]))


def _tree_width(tile: Tile, tree_size: int) -> Tile:
    """``tile`` at the width the tree of ``tree_size`` records publishes it."""
    limit = tree_size >> (tile.level * tile.height)
    width = min(1 << tile.height, limit - (tile.n << tile.height))
    return Tile(tile.height, tile.level, tile.n, width)


@dataclass
class Log:
    """An append-only tree of records held in memory: what a checksum database serves."""

    records: list[bytes] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)  # in stored-hash-index order

    def append(self, data: bytes) -> int:
        n = len(self.records)
        h = record_hash(data)
        new = [h]
        m = _trailing_zeros(n + 1)
        old = [self.hashes[stored_hash_index(i, (n >> i) - 1)] for i in range(m)]
        for i in range(m):
            h = node_hash(old[i], h)
            new.append(h)
        self.records.append(data)
        self.hashes.extend(new)
        return n

    def tree_hash(self) -> bytes:
        n = len(self.records)
        if n == 0:
            return hashlib.sha256(b"").digest()
        need = _subtree_index(0, n, [])
        h, rest = _subtree_hash(0, n, [self.hashes[i] for i in need])
        assert not rest
        return h

    def tree_note(self) -> bytes:
        text = f"go.sum database tree\n{len(self.records)}\n"
        return text.encode() + base64.b64encode(self.tree_hash()) + b"\n"

    def tile_data(self, tile: Tile) -> bytes | None:
        """The bytes of a hash tile (level ≥ 0) or data tile (level -1); None past the tree."""
        start = tile.n << tile.height
        if tile.level == -1:
            if start + tile.width > len(self.records):
                return None
            return b"".join(self.records[start : start + tile.width])
        out = []
        for i in range(tile.width):
            index = stored_hash_index(tile.height * tile.level, start + i)
            if index >= len(self.hashes):
                return None
            out.append(self.hashes[index])
        return b"".join(out)


# --- the client: look a version up and prove it --------------------------------------


@dataclass(frozen=True)
class SumRecord:
    """What the checksum database holds for one module version, proven in its tree."""

    id: int
    zip_h1: str  # "h1:…" of the module zip
    mod_h1: str  # "h1:…" of its go.mod
    tree_size: int
    tree_hash: str  # base64


def _parse_tree(text: bytes, where: str) -> tuple[int, bytes]:
    lines = text.split(b"\n")
    if not text.startswith(_TREE_PREFIX) or len(lines) < 4:
        raise RKError("RK-GO-SUMDB-RESPONSE", f"{where}: the signed note is not a tree head")
    try:
        size = int(lines[1])
        tree_hash = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise RKError("RK-GO-SUMDB-RESPONSE", f"{where}: malformed tree head") from None
    if size < 0 or str(size).encode() != lines[1] or len(tree_hash) != HASH_SIZE:
        raise RKError("RK-GO-SUMDB-RESPONSE", f"{where}: malformed tree head")
    return size, tree_hash


def _parse_record(message: bytes, where: str) -> tuple[int, bytes, bytes]:
    """``(id, go.sum lines, signed tree note)`` from a lookup answer."""
    head, sep, rest = message.partition(b"\n")
    end = rest.find(b"\n\n")
    if not sep or not head.isdigit() or end < 0:
        raise RKError(
            "RK-GO-SUMDB-RESPONSE",
            f"{where}: not a checksum database record (`<id>`, go.sum lines, blank line, tree note)",
        )
    return int(head), rest[: end + 1], rest[end + 2 :]


def _go_sum_lines(text: bytes, module: str, version: str, where: str) -> tuple[str, str]:
    found: dict[str, str] = {}
    for line in text.decode("utf-8", "replace").splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == module:
            found[words[1]] = words[2]
    zip_h1, mod_h1 = found.get(version), found.get(f"{version}/go.mod")
    if zip_h1 is None or mod_h1 is None:
        raise RKError(
            "RK-GO-SUMDB-RESPONSE",
            f"{where}: the record has no go.sum lines for {module} {version}",
        )
    return zip_h1, mod_h1


def _read_hashes(
    fetch: Callable[[str], bytes | None],
    tree_size: int,
    indexes: Sequence[int],
    where: str,
) -> list[bytes]:
    """Stored hashes read from the hash tiles of a tree of ``tree_size`` records."""
    cache: dict[Tile, bytes] = {}
    out = []
    for index in indexes:
        tile, start, end = _tile_for_index(TILE_HEIGHT, index)
        tile = _tree_width(tile, tree_size)
        data = cache.get(tile)
        if data is None:
            data = fetch(tile.path())
            if data is None or len(data) != tile.width * HASH_SIZE:
                raise RKError(
                    "RK-GO-SUMDB-RESPONSE",
                    f"{where}: tile {tile.path()} is missing or has the wrong size",
                )
            cache[tile] = data
        out.append(_tile_hash(data[start:end]))
    return out


def prove_record(
    fetch: Callable[[str], bytes | None],
    record_id: int,
    data: bytes,
    tree_size: int,
    tree_hash: bytes,
    where: str,
) -> None:
    """Check that record ``record_id`` with ``data`` is in the signed tree (RFC 6962
    audit path, the hashes read from tiles); raise RK-GO-SUMDB-PROOF if not."""
    if not 0 <= record_id < tree_size:
        raise RKError(
            "RK-GO-SUMDB-PROOF",
            f"{where}: record {record_id} is not in the signed tree of {tree_size} records",
        )
    indexes = _leaf_proof_index(0, tree_size, record_id, [])
    hashes = _read_hashes(fetch, tree_size, indexes, where)
    proof, rest = _leaf_proof(0, tree_size, record_id, hashes)
    root = _run_record_proof(proof, 0, tree_size, record_id, record_hash(data))
    if rest or root != tree_hash:
        raise RKError(
            "RK-GO-SUMDB-PROOF",
            f"{where}: record {record_id} is not in the signed tree "
            f"(the audit path gives another tree hash)",
            fix="the checksum database served a record it did not log: do not trust it; "
            "report it to the database's operator",
        )


def prove_tree(
    fetch: Callable[[str], bytes | None],
    old: tuple[int, bytes],
    new: tuple[int, bytes],
    where: str,
) -> None:
    """Check that the tree ``old`` (size, hash) is a prefix of the larger tree ``new``
    (RFC 6962 consistency proof from the tiles of ``new``): the log only ever grew."""
    (n, old_hash), (t, new_hash) = old, new
    if n == t:
        ok = old_hash == new_hash
    elif n == 0:
        ok = True
    else:
        indexes = _tree_proof_index(0, t, n, [])
        proof, rest = _tree_proof(0, t, n, _read_hashes(fetch, t, indexes, where))
        ran = _run_tree_proof(proof, 0, t, n, old_hash)
        ok = not rest and ran is not None and ran == (old_hash, new_hash)
    if not ok:
        raise RKError(
            "RK-GO-SUMDB-PROOF",
            f"{where}: the signed tree of {t} records does not extend the tree of {n} "
            "records seen before: the checksum database has forked (or lies)",
            fix="do not trust it; report it to the database's operator. The tree seen before "
            "is kept under .releasekit/sumdb/",
        )


def _check_history(
    fetch: Callable[[str], bytes | None],
    sumdb: SumDB,
    note: bytes,
    tree: tuple[int, bytes],
    state_dir: Path,
    where: str,
) -> None:
    """Compare with the tree head seen last (as the go command does with its
    ``$GOPATH/pkg/sumdb/<name>/latest``), then remember the larger one."""
    latest = state_dir / sumdb.name / "latest"
    if latest.is_file():
        old_text = open_note(latest.read_bytes(), sumdb.verifier, where=str(latest))
        old = _parse_tree(old_text, str(latest))
        if tree[0] >= old[0]:
            prove_tree(fetch, old, tree, where)
        else:
            prove_tree(fetch, tree, old, where)
            return  # keep the larger tree seen before
    from releasekit_tasks.publish.journal import write_atomically

    latest.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(latest, note)


def sumdb_base(
    client: httpx.Client,
    sumdb: SumDB,
    proxy: str,
    headers: dict[str, str],
    *,
    retries: int = 5,
) -> str:
    """Where to read the database, as the go command decides: the URL GOSUMDB names;
    else ``<proxy>/sumdb/<name>`` when the proxy answers ``…/supported``; else
    ``https://<name>`` (a 404/410 from the proxy means "not through me")."""
    from releasekit_tasks.http import get_if_exists

    if sumdb.explicit or not proxy.startswith(("http://", "https://")):
        return sumdb.url
    via = f"{proxy.rstrip('/')}/sumdb/{sumdb.name}"
    found = get_if_exists(client, f"{via}/supported", headers=headers, retries=retries)
    return sumdb.url if found is None else via


def lookup(
    client: httpx.Client,
    sumdb: SumDB,
    module: str,
    version: str,
    *,
    retries: int = 5,
    state_dir: Path | None = None,
    proxy: str = "",
    proxy_headers: dict[str, str] | None = None,
) -> SumRecord | None:
    """Look ``module@version`` up, verify the signed tree head with the database's key
    and the record's inclusion in that tree; None if the database does not know it.

    With ``state_dir``, the tree head is also checked against the last one seen there
    (the log must only grow), and the larger one is kept. With ``proxy`` (a GOPROXY
    URL), the database is reached through the proxy when it says it can
    (``<proxy>/sumdb/<name>/supported``), as the go command does; what is read is
    verified all the same."""
    from releasekit_tasks.ecosystems.go.proxy_tree import escape_path, escape_version
    from releasekit_tasks.http import get_if_exists

    base = sumdb_base(client, sumdb, proxy, proxy_headers or {}, retries=retries)
    headers = proxy_headers if base != sumdb.url else None
    where = f"{base}/lookup/{module}@{version}"

    def fetch(tail: str) -> bytes | None:
        response = get_if_exists(client, f"{base}/{tail}", headers=headers, retries=retries)
        return None if response is None else response.content

    answer = fetch(f"lookup/{escape_path(module)}@{escape_version(version)}")
    if answer is None:
        return None
    record_id, text, note = _parse_record(answer, where)
    tree_text = open_note(note, sumdb.verifier, where=where)
    size, tree_hash = _parse_tree(tree_text, where)
    prove_record(fetch, record_id, text, size, tree_hash, where)
    if state_dir is not None:
        _check_history(fetch, sumdb, note, (size, tree_hash), state_dir, where)
    zip_h1, mod_h1 = _go_sum_lines(text, module, version, where)
    return SumRecord(
        id=record_id,
        zip_h1=zip_h1,
        mod_h1=mod_h1,
        tree_size=size,
        tree_hash=base64.b64encode(tree_hash).decode(),
    )
