"""The Go checksum database: signed notes, the log's tiles, lookups — checked against
the real go command, which verifies modules against the loopback database."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go import sumdb as gosumdb
from releasekit_tasks.ecosystems.go.modzip import create_module_zip
from releasekit_tasks.ecosystems.go.proxy_tree import write_version
from releasekit_tasks.errors import RKError
from releasekit_tasks.http import make_client
from tests.go_servers import SumDBServer, sumdb_server

TIME = "2026-01-02T03:04:05Z"


# --- notes and keys ----------------------------------------------------------------------


def test_known_key_parses_and_generated_keys_sign_and_verify() -> None:
    db = gosumdb.parse_gosumdb("sum.golang.org")
    assert db is not None
    assert (db.name, db.url) == ("sum.golang.org", "https://sum.golang.org")
    assert gosumdb.parse_gosumdb("off") is None

    skey, vkey = gosumdb.generate_key("db.example")
    signer = gosumdb.Signer.parse(skey)
    verifier = gosumdb.Verifier.parse(vkey)
    assert str(verifier) == vkey
    assert signer.verifier() == verifier
    note = signer.sign(b"hello\n")
    assert note.startswith(b"hello\n\n\xe2\x80\x94 db.example ")
    assert gosumdb.open_note(note, verifier, where="t") == b"hello\n"

    parsed = gosumdb.parse_gosumdb(f"{vkey} http://127.0.0.1:9/")
    assert parsed is not None and parsed.url == "http://127.0.0.1:9"


def test_tampered_or_foreign_notes_are_refused() -> None:
    skey, vkey = gosumdb.generate_key("db.example")
    verifier = gosumdb.Verifier.parse(vkey)
    note = gosumdb.Signer.parse(skey).sign(b"go.sum database tree\n1\nAAAA\n")
    with pytest.raises(RKError) as err:
        gosumdb.open_note(note.replace(b"tree\n1", b"tree\n2"), verifier, where="t")
    assert err.value.code == "RK-GO-SUMDB-SIGNATURE"
    other_skey, _ = gosumdb.generate_key("db.example")
    with pytest.raises(RKError, match="no signature by"):
        gosumdb.open_note(gosumdb.Signer.parse(other_skey).sign(b"x\n"), verifier, where="t")
    with pytest.raises(RKError) as err:
        gosumdb.Verifier.parse(vkey[:-4] + "AAA=")
    assert err.value.code == "RK-GO-SUMDB-KEY"
    with pytest.raises(RKError, match="hash does not match"):
        gosumdb.Verifier.parse("other.name" + vkey[len("db.example") :])


def test_gonosumdb_patterns_match_path_prefixes() -> None:
    match = gosumdb.matches_patterns
    assert match("example.com/private", "example.com/private/lib")
    assert match("*.corp.example,example.com/x", "git.corp.example/a/b")
    assert not match("example.com/private", "example.com/privateer")
    assert not match("", "example.com/a")
    assert gosumdb.sum_disabled("corp.example/a", {"GOPRIVATE": "corp.example"})
    assert not gosumdb.sum_disabled(
        "corp.example/a", {"GOPRIVATE": "corp.example", "GONOSUMDB": ""}
    )


def test_tile_paths_round_trip() -> None:
    for tile in (
        gosumdb.Tile(8, 0, 0, 256),
        gosumdb.Tile(8, 1, 1234067, 5),
        gosumdb.Tile(8, -1, 3, 256),
    ):
        assert gosumdb.Tile.parse(tile.path()) == tile
    assert gosumdb.Tile(8, 1, 1234067, 5).path() == "tile/8/1/x001/x234/067.p/5"
    assert gosumdb.Tile.parse("tile/8/0/000.p/256") is None  # a full tile has no .p


@pytest.mark.parametrize("size", [1, 2, 3, 7, 256, 257, 600])
def test_every_record_is_proven_in_trees_of_many_sizes(size: int) -> None:
    log = gosumdb.Log()
    for i in range(size):
        log.append(f"example.com/m{i} v1.0.0 h1:x\n".encode())

    def fetch(path: str) -> bytes | None:
        tile = gosumdb.Tile.parse(path)
        return None if tile is None else log.tile_data(tile)

    root = log.tree_hash()
    for record in {0, size // 2, size - 1}:
        gosumdb.prove_record(fetch, record, log.records[record], size, root, "t")
    with pytest.raises(RKError) as err:
        gosumdb.prove_record(fetch, size - 1, b"forged\n", size, root, "t")
    assert err.value.code == "RK-GO-SUMDB-PROOF"


# --- against the real go command -------------------------------------------------------------


def _module(tmp: Path, module: str, body: str) -> Path:
    folder = tmp / module.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "go.mod").write_text(f"module {module}\n\ngo 1.21\n")
    (folder / "lib.go").write_text(f"package lib\n\nconst Name = {body!r}\n".replace("'", '"'))
    return folder


def _publish(tree: Path, tmp: Path, module: str, version: str, body: str) -> tuple[str, str]:
    folder = _module(tmp / version, module, body)
    result = create_module_zip(folder, module, version, tmp / f"{version}.zip")
    write_version(tree, module, version, result.path, result.gomod, TIME)
    return result.h1, result.gomod_h1


@pytest.fixture
def proxy_and_db(tmp_path: Path) -> Iterator[tuple[Path, SumDBServer]]:
    tree = tmp_path / "proxy"
    tree.mkdir()
    with sumdb_server(proxy=tree.as_uri()) as db:
        yield tree, db


def _go_download(
    tmp: Path, proxy: Path, db: SumDBServer, target: str
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("GONOSUMDB", "GOPRIVATE", "GONOSUMCHECK")
    }
    gopath = tmp / "gopath"
    env.update(
        GOPROXY=proxy.as_uri(),
        GOSUMDB=db.gosumdb,
        GOPATH=str(gopath),
        GOMODCACHE=str(gopath / "mod"),
        GOFLAGS="-modcacherw",
        GOWORK="off",
        GOTOOLCHAIN="local",
    )
    return subprocess.run(
        ["go", "mod", "download", "-json", target],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_go_command_verifies_against_the_loopback_database_and_so_do_we(
    tmp_path: Path, proxy_and_db: tuple[Path, SumDBServer]
) -> None:
    tree, db = proxy_and_db
    module = "example.com/acme/Lib"  # an upper-case letter: escaped paths on both sides
    # Enough other records that the tree spans more than one level-0 tile.
    for i in range(300):
        db.add(f"example.com/filler{i}", "v1.0.0", "h1:AAAA", "h1:BBBB")
    h1, mod_h1 = _publish(tree, tmp_path, module, "v1.0.0", "one")

    done = _go_download(tmp_path, tree, db, f"{module}@v1.0.0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Sum"] == h1
    assert any(p.startswith("/lookup/example.com/acme/!lib@v1.0.0") for p in db.requests)
    assert any(p.startswith("/tile/8/") for p in db.requests)

    sumdb = gosumdb.parse_gosumdb(db.gosumdb)
    assert sumdb is not None
    with make_client() as client:
        record = gosumdb.lookup(client, sumdb, module, "v1.0.0")
        assert record is not None
        assert (record.zip_h1, record.mod_h1, record.id) == (h1, mod_h1, 300)
        assert record.tree_size == 301
        assert gosumdb.lookup(client, sumdb, "example.com/none", "v1.0.0") is None

        # A database key other than the one that signs: both go and we refuse.
        _, other_vkey = gosumdb.generate_key(db.name)
        foreign = gosumdb.parse_gosumdb(f"{other_vkey} {db.url}")
        assert foreign is not None
        with pytest.raises(RKError) as err:
            gosumdb.lookup(client, foreign, module, "v1.0.0")
        assert err.value.code == "RK-GO-SUMDB-SIGNATURE"


def test_go_command_and_we_catch_a_database_with_other_hashes(
    tmp_path: Path, proxy_and_db: tuple[Path, SumDBServer]
) -> None:
    tree, db = proxy_and_db
    module = "example.com/acme/tampered"
    h1, mod_h1 = _publish(tree, tmp_path, module, "v0.1.0", "real")
    db.tamper[f"{module}@v0.1.0"] = ("h1:" + "A" * 43 + "=", mod_h1)

    done = _go_download(tmp_path, tree, db, f"{module}@v0.1.0")
    assert done.returncode != 0
    assert "SECURITY ERROR" in done.stdout + done.stderr  # -json puts it in "Error"

    sumdb = gosumdb.parse_gosumdb(db.gosumdb)
    assert sumdb is not None
    with make_client() as client:
        record = gosumdb.lookup(client, sumdb, module, "v0.1.0")
    assert record is not None and record.zip_h1 != h1


def test_consistency_proofs_between_tree_sizes() -> None:
    log = gosumdb.Log()
    heads = []
    for i in range(40):
        log.append(f"example.com/m{i} v1.0.0 h1:x\n".encode())
        heads.append((len(log.records), log.tree_hash()))

    def fetch(path: str) -> bytes | None:
        tile = gosumdb.Tile.parse(path)
        return None if tile is None else log.tile_data(tile)

    for old in heads[::3]:
        for new in heads[::7]:
            if old[0] <= new[0]:
                gosumdb.prove_tree(fetch, old, new, "t")
    with pytest.raises(RKError) as err:
        gosumdb.prove_tree(fetch, (5, b"\0" * 32), heads[-1], "t")
    assert err.value.code == "RK-GO-SUMDB-PROOF"


def test_a_forked_database_is_caught_across_runs(tmp_path: Path) -> None:
    """The last tree head seen is kept; a later head that does not extend it is a fork."""
    skey, vkey = gosumdb.generate_key("sum.fork.example")
    state = tmp_path / "state"
    with sumdb_server(keys=(skey, vkey), name="sum.fork.example") as db, make_client() as client:
        for i in range(5):
            db.add(f"example.com/x{i}", "v1.0.0", "h1:AAAA", "h1:BBBB")
        sumdb = gosumdb.parse_gosumdb(db.gosumdb)
        assert sumdb is not None
        assert gosumdb.lookup(client, sumdb, "example.com/x1", "v1.0.0", state_dir=state)
        assert (state / "sum.fork.example" / "latest").read_bytes() == db.signed_tree()
        db.add("example.com/y", "v1.0.0", "h1:CCCC", "h1:DDDD")  # the log grows: fine
        assert gosumdb.lookup(client, sumdb, "example.com/y", "v1.0.0", state_dir=state)
    # Same key, other history: what a compromised or lying database would serve.
    with (
        sumdb_server(keys=(skey, vkey), name="sum.fork.example") as forked,
        make_client() as client,
    ):
        for i in range(9):
            forked.add(f"example.com/other{i}", "v1.0.0", "h1:EEEE", "h1:FFFF")
        sumdb = gosumdb.parse_gosumdb(forked.gosumdb)
        assert sumdb is not None
        with pytest.raises(RKError, match="forked") as err:
            gosumdb.lookup(client, sumdb, "example.com/other1", "v1.0.0", state_dir=state)
        assert err.value.code == "RK-GO-SUMDB-PROOF"


# Tree heads sum.golang.org signed (public; published in blog posts and other projects'
# fixtures): the built-in key verifies them, so key parsing and Ed25519 match the real one.
REAL_HEADS = [
    "go.sum database tree\n3784599\n7uvxIZ67TZygcq/AehTD8iHYt81Ih+Zl2Y7vXZbfszQ=\n\n"
    "— sum.golang.org Az3grn972wXskjQrsZhVGc93fTU2uOsmSTiId1Wn1lxDCup5z4ggl1/4gaUqOkMa6cMbYvjB7hn7yemNr7Zqanol/go=\n",
    "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n"
    "— sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n",
]


@pytest.mark.parametrize("note", REAL_HEADS)
def test_real_sum_golang_org_tree_heads_verify_with_the_built_in_key(note: str) -> None:
    db = gosumdb.parse_gosumdb("sum.golang.org")
    assert db is not None
    text = gosumdb.open_note(note.encode(), db.verifier, where="sum.golang.org")
    assert text.startswith(b"go.sum database tree\n")
    forged = note.replace("tree\n", "tree\n1", 1)
    with pytest.raises(RKError) as err:
        gosumdb.open_note(forged.encode(), db.verifier, where="sum.golang.org")
    assert err.value.code == "RK-GO-SUMDB-SIGNATURE"


def test_the_database_is_reached_through_a_proxy_that_carries_it(
    tmp_path: Path, proxy_and_db: tuple[Path, SumDBServer]
) -> None:
    """GOPROXY/sumdb/<name>/supported answers: go and we read the database through the
    proxy (https://<name> does not exist), and verify what comes back all the same."""
    from tests.go_servers import sumdb_proxy

    tree, db = proxy_and_db
    module = "example.com/acme/viaproxy"
    h1, _ = _publish(tree, tmp_path, module, "v1.0.0", "via")
    with sumdb_proxy(tree, db) as proxy:
        # No URL in GOSUMDB: the proxy is asked first (https://sum.test.example is not there).
        env = {k: v for k, v in os.environ.items() if k not in ("GONOSUMDB", "GOPRIVATE")}
        gopath = tmp_path / "gp"
        env.update(
            GOPROXY=proxy.url,
            GOSUMDB=db.verifier_key,
            GOPATH=str(gopath),
            GOMODCACHE=str(gopath / "mod"),
            GOWORK="off",
            GOTOOLCHAIN="local",
        )
        done = subprocess.run(
            ["go", "mod", "download", "-json", f"{module}@v1.0.0"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr + str(proxy.requests)
        assert f"/sumdb/{db.name}/supported" in proxy.requests
        sumdb = gosumdb.parse_gosumdb(db.verifier_key)
        assert sumdb is not None and not sumdb.explicit
        proxy.requests.clear()
        with make_client() as client:
            record = gosumdb.lookup(client, sumdb, module, "v1.0.0", proxy=proxy.url)
            assert record is not None and record.zip_h1 == h1
            assert any(p.startswith(f"/sumdb/{db.name}/lookup/") for p in proxy.requests)
            # A URL in GOSUMDB bypasses proxies (the go command's rule): straight there.
            proxy.requests.clear()
            explicit = gosumdb.parse_gosumdb(db.gosumdb)
            assert explicit is not None and explicit.explicit
            assert gosumdb.lookup(client, explicit, module, "v1.0.0", proxy=proxy.url)
            assert proxy.requests == []
