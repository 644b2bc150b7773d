"""go.mod / go.work lexer and parser, checked against the go command itself.

``go mod edit -json`` and ``go work edit -json`` parse with golang.org/x/mod's
strict parser, so every valid case is compared field by field with what the go
command reads, and every error case is checked to be an error for go too (at
the same line unless noted).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from releasekit_tasks.ecosystems.go.modfile import (
    GoMod,
    GoWork,
    canonical_version,
    is_directory_path,
    is_valid_go_version,
    major_suffix,
    parse_gomod,
    parse_gowork,
    read_gomod,
    semver_key,
    version_fits_path,
)
from releasekit_tasks.errors import RKError

GO = shutil.which("go")


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOPROXY="off", GOSUMDB="off", GOFLAGS="", GOWORK="off")
    return env


def go_edit_json(folder: Path, name: str, text: str) -> tuple[dict[str, Any] | None, str]:
    """What the go command reads from ``text`` as go.mod/go.work: (json, stderr)."""
    assert GO, "the go toolchain must be on PATH (source scripts/env.sh)"
    path = folder / name
    path.write_text(text, encoding="utf-8")
    env = go_env()
    cmd = [GO, "mod", "edit", "-json"]
    if name == "go.work":
        env["GOWORK"] = str(path)
        cmd = [GO, "work", "edit", "-json"]
    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True)
    return (json.loads(result.stdout) if result.returncode == 0 else None), result.stderr


def gomod_as_go_json(mod: GoMod) -> dict[str, Any]:
    """Our parse in the shape of `go mod edit -json` (without the directives we skip)."""
    out: dict[str, Any] = {"Module": {"Path": mod.module}}
    if mod.go:
        out["Go"] = mod.go
    if mod.toolchain:
        out["Toolchain"] = mod.toolchain
    if mod.requires:
        out["Require"] = [
            {"Path": r.path, "Version": r.version, **({"Indirect": True} if r.indirect else {})}
            for r in mod.requires
        ]
    if mod.excludes:
        out["Exclude"] = [{"Path": e.path, "Version": e.version} for e in mod.excludes]
    if mod.replaces:
        out["Replace"] = replaces_json(mod.replaces)
    if mod.retracts:
        out["Retract"] = [
            {"Low": r.low, "High": r.high, **({"Rationale": r.rationale} if r.rationale else {})}
            for r in mod.retracts
        ]
    return out


def replaces_json(replaces: list[Any]) -> list[dict[str, Any]]:
    def side(path: str, version: str | None) -> dict[str, str]:
        return {"Path": path, **({"Version": version} if version else {})}

    return [
        {"Old": side(r.old_path, r.old_version), "New": side(r.new_path, r.new_version)}
        for r in replaces
    ]


def gowork_as_go_json(work: GoWork) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if work.go:
        out["Go"] = work.go
    if work.toolchain:
        out["Toolchain"] = work.toolchain
    if work.uses:
        out["Use"] = [{"DiskPath": u.path} for u in work.uses]
    if work.replaces:
        out["Replace"] = replaces_json(work.replaces)
    return out


SKIPPED_BY_US = ("Godebug", "GoDebug", "Tool", "Ignore")

VALID_GOMODS = {
    "minimal": "module example.com/m\n",
    "no trailing newline": "module example.com/m\ngo 1.21",
    "crlf and tabs": "module\texample.com/m\r\ngo 1.22.1\r\ntoolchain go1.23.0\r\n",
    "quoted module with escapes": 'module "example.com/\\x41\\u00e9\\101"\n',
    "quoted require path with a space": 'module m.com/x\nrequire "a.com/x y" "v1.0.0"\n',
    "comments everywhere": (
        "// head comment\n\n// module doc\nmodule example.com/m // trailing\n"
        "// between\ngo 1.21 // go comment\n"
        "require ( // after paren\n  // before a\n  a.com/x v1.0.0 // indirect\n\n"
        "  // floating\n) // after close\n// tail\n"
    ),
    "indirect spellings": (
        "module example.com/m\nrequire (\n"
        "\ta.com/a v1.0.0 // indirect\n\tb.com/b v1.0.0 //indirect\n"
        "\tc.com/c v1.0.0 // indirect; needed by x\n\td.com/d v1.0.0 // Indirect\n"
        "\te.com/e v1.0.0 // indirectly\n\tf.com/f v1.0.0 // x indirect\n)\n"
        "require g.com/g v1.0.0 // indirect\n"
    ),
    "canonical versions": (
        "module example.com/m\nrequire (\n\ta.com/x v1.2\n\tb.com/y v1.2.3+meta\n"
        "\tc.com/z v2.0.0+incompatible\n\td.com/w/v3 v3.1.0-rc.1\n"
        "\tgopkg.in/yaml.v3 v3.0.1\n\te.com/p v0.0.0-20240101000000-abcdefabcdef\n)\n"
    ),
    "replace forms": (
        "module example.com/m\n"
        "replace a.com/x => ./x\n"
        "replace a.com/y v1.0.0 => b.com/y v1.1.0\n"
        "replace (\n\ta.com/z => ../z\n\ta.com/w v1.2.0 => /abs/w\n\ta.com/v => b.com/v v1.0.0\n)\n"
        "replace a.com/u => .\n"
    ),
    "retract single, range and rationale": (
        "module example.com/m\n// Published by mistake.\nretract v1.0.0\n"
        "retract [v1.1.0, v1.2.0] // broken build\n"
        "// block comment\nretract (\n  // two\n  // lines\n  v1.3.0 // and suffix\n"
        "  [v1.4.0, v1.5.0]\n\n  // after blank\n  v1.6.0\n)\n"
    ),
    "exclude": "module example.com/m\nexclude a.com/x v1.0.0\nexclude (\n\tb.com/y v0.1.0\n)\n",
    "empty blocks": "module example.com/m\nrequire ()\nreplace (\n)\n",
    "module in a block": "module (\n\texample.com/m\n)\n",
    "godebug tool ignore are skipped": (
        "module example.com/m\ngo 1.25\ngodebug default=go1.21\n"
        "godebug (\n\tpanicnil=1\n)\ntool a.com/x/cmd\nignore ./node_modules\n"
    ),
    "bracket and brace tokens inside values": (
        "module example.com/m\nretract [ v1.0.0 , v1.0.1 ]\n"
    ),
}


@pytest.mark.parametrize("text", VALID_GOMODS.values(), ids=VALID_GOMODS.keys())
def test_gomod_matches_the_go_command(tmp_path: Path, text: str) -> None:
    expected, stderr = go_edit_json(tmp_path, "go.mod", text)
    assert expected is not None, stderr
    for key in SKIPPED_BY_US:
        expected.pop(key, None)
    expected.get("Module", {}).pop("Deprecated", None)
    assert gomod_as_go_json(parse_gomod(text, tmp_path / "go.mod")) == expected


VALID_GOWORKS = {
    "block and single use": 'go 1.22\nuse ./a\nuse (\n  ./b // x\n  "./c d"\n)\n',
    "outside and absolute": "go 1.22\nuse ../outside\nuse /abs\ntoolchain go1.23\n",
    "replace and godebug": (
        "go 1.22\nuse .\nreplace a.com/x => ./x\ngodebug (\n default=go1.21\n)\n"
    ),
    "no uses": "go 1.22\n",
}


@pytest.mark.parametrize("text", VALID_GOWORKS.values(), ids=VALID_GOWORKS.keys())
def test_gowork_matches_the_go_command(tmp_path: Path, text: str) -> None:
    expected, stderr = go_edit_json(tmp_path, "go.work", text)
    assert expected is not None, stderr
    for key in SKIPPED_BY_US:
        expected.pop(key, None)
    assert gowork_as_go_json(parse_gowork(text, tmp_path / "go.work")) == expected


# (text, line we report, message fragment, line go reports or None when it agrees)
BAD_GOMODS = {
    "block comment": ("module example.com/m\n/* c */\n", 2, "// comments (not /* */", None),
    "block comment inside a token": ("module example.com/m/*x*/\n", 1, "not /* */", None),
    "unterminated string": (
        'module example.com/m\nrequire "a.com/x v1.0.0\n',
        2,
        "unterminated string",
        None,
    ),
    "backslash escape unknown": ('module "example.com/\\q"\n', 1, "invalid quoted string", None),
    "raw string is one token but not a value": (
        "module `example.com/a b`\n",
        1,
        "unquoted string cannot contain quote",
        None,
    ),
    "quote inside identifier": ('module ex"ample.com/m\n', 1, "cannot contain quote", None),
    "non-printable character": (
        "module example.com/m\nrequire a.com/x v1.0.0\xa0\n",
        2,
        "unexpected input character",
        None,
    ),
    "control character": ("module example.com/m\x0b\n", 1, "unexpected input character", None),
    "unterminated block": (
        "module example.com/m\n\nrequire (\n a.com/x v1.0.0\n",
        3,
        "unterminated block started at line 3",
        5,
    ),
    "text after closing paren": (
        "module example.com/m\nrequire (\n a.com/x v1.0.0\n) x\n",
        4,
        "expected newline after closing paren",
        None,
    ),
    "paren mid-line": (
        "module example.com/m\nrequire ( a.com/x v1.0.0\n)\n",
        2,
        "usage: require",
        None,
    ),
    "stray close paren": ("module example.com/m\n)\n", 2, "unknown directive: )", None),
    "go in a block": ("module example.com/m\ngo (\n1.21\n)\n", 2, "unknown block type: go", None),
    "two-token block": (
        "module example.com/m\nrequire x (\n)\n",
        2,
        "unknown block type: require x",
        None,
    ),
    "module twice": ("module a.com/a\nmodule a.com/b\n", 2, "repeated module statement", None),
    "module arity": ("module a.com/a b\n", 1, "usage: module", None),
    "go twice": ("module a.com/a\ngo 1.21\ngo 1.22\n", 3, "repeated go statement", None),
    "bad go version": ("module a.com/a\ngo 1.21.x\n", 2, "invalid go version '1.21.x'", None),
    "bad toolchain": ("module a.com/a\ntoolchain 1.23\n", 2, "invalid toolchain version", None),
    "require arity": (
        "module a.com/a\nrequire (\n a.com/x\n)\n",
        3,
        "usage: require module/path v1.2.3",
        None,
    ),
    "require bad version": (
        "module a.com/a\nrequire a.com/x latest\n",
        2,
        'version "latest" invalid',
        None,
    ),
    "require major mismatch": (
        "module a.com/a\n\nrequire a.com/x/v2 v1.2.3\n",
        3,
        "should be v2, not v1",
        None,
    ),
    "require v2 without suffix": (
        "module a.com/a\nrequire a.com/x v2.0.0\n",
        2,
        "should be v0 or v1, not v2",
        None,
    ),
    "invalid /v1 suffix": (
        "module a.com/a\nrequire a.com/x/v1 v1.0.0\n",
        2,
        "invalid module path",
        None,
    ),
    "exclude arity": ("module a.com/a\nexclude a.com/x\n", 2, "usage: exclude", None),
    "replace without arrow": ("module a.com/a\nreplace a.com/x ./x\n", 2, "usage: replace", None),
    "replace module without version": (
        "module a.com/a\nreplace a.com/x => b.com/x\n",
        2,
        "must be directory path",
        None,
    ),
    "replace path@version": (
        "module a.com/a\nreplace a.com/x => b.com/x@v1.0.0\n",
        2,
        "not 'path@version'",
        None,
    ),
    "replace directory with version": (
        "module a.com/a\nreplace a.com/x => ./x v1.0.0\n",
        2,
        "cannot have version",
        None,
    ),
    "replace bad old version": (
        "module a.com/a\nreplace a.com/x vX => ./x\n",
        2,
        'version "vX" invalid',
        None,
    ),
    "retract missing comma": (
        "module a.com/a\nretract [v1.0.0 v1.1.0]\n",
        2,
        "expected ',' after version",
        None,
    ),
    "retract missing bracket": (
        "module a.com/a\nretract [v1.0.0, v1.1.0\n",
        2,
        "expected ']' after version",
        None,
    ),
    "retract trailing token": (
        "module a.com/a\nretract v1.0.0 v1.1.0\n",
        2,
        "unexpected token after version",
        None,
    ),
    "quoted verb": ('"module" a.com/a\n', 1, "unknown directive", None),
}


@pytest.mark.parametrize("case", BAD_GOMODS.values(), ids=BAD_GOMODS.keys())
def test_gomod_errors_carry_code_file_and_line(
    tmp_path: Path, case: tuple[str, int, str, int | None]
) -> None:
    text, line, fragment, go_line = case
    path = tmp_path / "go.mod"
    with pytest.raises(RKError) as info:
        parse_gomod(text, path)
    assert info.value.code == "RK-MANIFEST-PARSE"
    assert info.value.path == path
    assert info.value.line == line
    assert fragment in info.value.message
    # The go command refuses it too, and points at the same line (or the noted one).
    expected, stderr = go_edit_json(tmp_path, "go.mod", text)
    assert expected is None
    reported = int(re.search(r"go\.mod:(\d+)", stderr).group(1))  # type: ignore[union-attr]
    assert reported == (go_line or line), stderr


BAD_GOWORKS = {
    "use arity": ("go 1.22\nuse ./a ./b\n", 2, "usage: use local/dir"),
    "bad go version": ("go 1.22x\n", 1, "invalid go version"),
    "unterminated use block": ("go 1.22\nuse (\n ./a\n", 2, "unterminated block"),
    "use in a two-token block": ("use x (\n ./a\n)\n", 1, "unknown block type"),
    "toolchain in a block": ("toolchain (\n go1.23\n)\n", 1, "unknown block type"),
}


@pytest.mark.parametrize("case", BAD_GOWORKS.values(), ids=BAD_GOWORKS.keys())
def test_gowork_errors(tmp_path: Path, case: tuple[str, int, str]) -> None:
    text, line, fragment = case
    with pytest.raises(RKError) as info:
        parse_gowork(text, tmp_path / "go.work")
    assert (info.value.code, info.value.line) == ("RK-MANIFEST-PARSE", line)
    assert fragment in info.value.message
    assert go_edit_json(tmp_path, "go.work", text)[0] is None


# --- details the JSON comparison cannot show ----------------------------------


def test_lines_are_recorded() -> None:
    mod = parse_gomod(
        "// c\n\nmodule a.com/m\n\nrequire (\n\tb.com/x v1.0.0\n\n\tc.com/y v1.0.0\n)\n"
        "replace b.com/x => ../x\nretract v0.1.0\nexclude d.com/z v1.0.0\n",
        Path("go.mod"),
    )
    assert mod.module_line == 3
    assert [r.line for r in mod.requires] == [6, 8]
    assert (mod.replaces[0].line, mod.retracts[0].line, mod.excludes[0].line) == (10, 11, 12)
    work = parse_gowork("go 1.22\n\nuse (\n\t./a\n\n\t./b\n)\nuse ./c\n", Path("go.work"))
    assert [(u.path, u.line) for u in work.uses] == [("./a", 4), ("./b", 6), ("./c", 8)]


def test_top_level_blank_line_detaches_a_comment_but_not_in_a_block() -> None:
    mod = parse_gomod(
        "module a.com/m\n// detached\n\nretract v1.0.0\n"
        "retract (\n  // attached across a blank line\n\n  v1.1.0\n)\n",
        Path("go.mod"),
    )
    assert [r.rationale for r in mod.retracts] == ["", "attached across a blank line"]


def test_raw_string_lexes_as_one_token() -> None:
    # The parenthesis inside the raw string neither opens a block nor splits the
    # token: the arity is right and the error is about the quote.
    with pytest.raises(RKError, match="cannot contain quote"):
        parse_gomod("module `a.com/(x y)`\n", Path("go.mod"))
    # A "//" inside a string is not a comment.
    mod = parse_gomod('module "a.com//x" // real comment\n', Path("go.mod"))
    assert mod.module == "a.com//x"


def test_unknown_directives_are_skipped_with_their_blocks() -> None:
    mod = parse_gomod(
        "module a.com/m\nfuture x y z\nfuturblock (\n  anything [ goes ,\n  x ) (\n)\n"
        "require b.com/x v1.0.0\n",
        Path("go.mod"),
    )
    assert [r.path for r in mod.requires] == ["b.com/x"]
    work = parse_gowork("go 1.22\nmodule x\nuse ./a\n", Path("go.work"))
    assert [u.path for u in work.uses] == ["./a"]


def test_replace_is_local() -> None:
    mod = parse_gomod(
        "module a.com/m\nreplace a.com/x => ../x\nreplace a.com/y => b.com/y v1.0.0\n",
        Path("go.mod"),
    )
    assert [r.is_local for r in mod.replaces] == [True, False]
    assert mod.replaces[1].old_version is None


def test_missing_module_directive(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_text("go 1.22\nrequire a.com/x v1.0.0\n")
    with pytest.raises(RKError) as info:
        read_gomod(path)
    assert (info.value.code, info.value.path) == ("RK-MANIFEST-FIELD", path)
    with pytest.raises(RKError) as info:
        parse_gomod('module ""\n', path)
    assert (info.value.code, info.value.line) == ("RK-MANIFEST-FIELD", 1)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_bytes(b"module a.com/m\n\nrequire a.com/\xff v1.0.0\n")
    with pytest.raises(RKError) as info:
        read_gomod(path)
    assert (info.value.code, info.value.line) == ("RK-MANIFEST-PARSE", 3)


# --- Go module versions -------------------------------------------------------


def test_canonical_and_valid_versions() -> None:
    assert canonical_version("v1") == "v1.0.0"
    assert canonical_version("v1.2") == "v1.2.0"
    assert canonical_version("v1.2.3-rc.1+build.5") == "v1.2.3-rc.1"
    assert canonical_version("v2.0.0+incompatible") == "v2.0.0+incompatible"
    for bad in ("1.2.3", "v1.2.3.4", "v01.2.3", "v1.2-pre", "v1.2.3-01", "v1.2.3-", "V1.2.3"):
        assert canonical_version(bad) is None, bad
    assert is_valid_go_version("v0.6.0")
    assert is_valid_go_version("v1.0.0-rc.1")
    for bad in ("0.6.0", "v1.2", "v1.2.3+meta", "v2.0.0+incompatible", "v1.2.3-01"):
        assert not is_valid_go_version(bad), bad


def test_semver_key_orders_by_go_precedence() -> None:
    ordered = [
        "garbage",
        "v0.9.0",
        "v0.10.0-alpha",
        "v0.10.0-alpha.1",
        "v0.10.0-alpha.beta",
        "v0.10.0-beta.2",
        "v0.10.0-beta.11",
        "v0.10.0-rc.1",
        "v0.10.0",
        "v1.0.0",
        "v10.0.0",
    ]
    assert sorted(reversed(ordered), key=semver_key) == ordered


def test_major_suffix_and_path_compatibility() -> None:
    assert major_suffix("example.com/foo/v2") == 2
    assert major_suffix("example.com/foo/v10") == 10
    for path in ("example.com/foo", "example.com/foo/v1", "example.com/foo/v0", "gopkg.in/yaml.v3"):
        assert major_suffix(path) is None, path
    assert version_fits_path("v2.1.0", "example.com/foo/v2")
    assert not version_fits_path("v1.1.0", "example.com/foo/v2")
    assert version_fits_path("v1.1.0", "example.com/foo")
    assert not version_fits_path("v2.0.0", "example.com/foo")
    assert not version_fits_path("v1.0.0", "example.com/foo/v1")


def test_is_directory_path() -> None:
    for local in ("./x", "../x", "/x", ".", "..", ".\\x", "C:\\x"):
        assert is_directory_path(local), local
    for module in ("example.com/x", "x", ".x/y"):
        assert not is_directory_path(module), module
