"""go.mod and go.work: a lexer and parser that follow golang.org/x/mod/modfile.

The lexical rules are modfile's: tokens are identifiers (any run of printable
non-space characters other than ``( ) [ ] { } ,``), interpreted ``"strings"``
with Go escapes, ```raw strings``` and the punctuation itself; ``//`` starts
a comment that runs to the end of the line; ``/*`` is an error (not a
comment); newlines end statements. A statement whose last token is ``(``
opens a block that ends at a line starting with ``)``.

The grammar checks are modfile's strict ones (``go mod edit -json`` is the
oracle the tests compare against), with one deliberate leniency: a directive
this parser does not know (a future one) is skipped with its block instead of
being an error. ``godebug``, ``tool`` and ``ignore`` are accepted and skipped.
Like modfile, a raw string lexes as one token but is refused as a value
("unquoted string cannot contain quote"), and versions are stored in their
canonical form (``v1.2`` → ``v1.2.0``). Retract versions are validated too
(modfile defers that to the go command).

Every error is an RKError ``RK-MANIFEST-PARSE`` naming the file and line; a
go.mod without a module directive is ``RK-MANIFEST-FIELD``.

The Go module version rules (semver with a leading ``v``, canonical forms,
the ``/vN`` major-version path suffix) live here too, since parsing needs
them; :mod:`releasekit_tasks.ecosystems.go.discover` re-exports them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from releasekit_tasks.errors import RKError

# --- Go module versions (golang.org/x/mod/semver, module) -------------------

_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    r"v(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?"
)
_RELEASE_VERSION = re.compile(
    rf"v(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*)){{2}}(?:-{_IDENT}(?:\.{_IDENT})*)?"
)


@functools.lru_cache(maxsize=4096)  # a monorepo's go.mod files repeat the same versions
def canonical_version(v: str) -> str | None:
    """Go's ``module.CanonicalVersion``: ``v1.2`` → ``v1.2.0``, build metadata dropped
    except ``+incompatible``; None when ``v`` is not Go semver."""
    m = _SEMVER.fullmatch(v)
    if m is None:
        return None
    major, minor, patch, pre, build = m.groups()
    text = f"v{major}.{minor or 0}.{patch or 0}"
    if pre:
        text += f"-{pre}"
    return text + "+incompatible" if build == "incompatible" else text


def is_valid_go_version(v: str) -> bool:
    """True for a version a module of this repository can be released at: the
    canonical ``vMAJOR.MINOR.PATCH`` with an optional ``-prerelease`` (no build
    metadata, no ``+incompatible``, no shorthand such as ``v1.2``)."""
    return _RELEASE_VERSION.fullmatch(v) is not None


def semver_key(v: str) -> tuple[object, ...]:
    """Sort key by Go semver precedence; invalid versions sort lowest (as in Go)."""
    m = _SEMVER.fullmatch(v)
    if m is None:
        return (0,)
    major, minor, patch, pre, _build = m.groups()
    core = (int(major), int(minor or 0), int(patch or 0))
    if not pre:
        return (1, *core, 1, ())
    # Numeric identifiers sort before alphanumeric ones and numerically.
    fields = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (1, *core, 0, fields)


def major_suffix(module_path: str) -> int | None:
    """N when ``module_path`` ends in a ``/vN`` major-version suffix (N ≥ 2), else None."""
    major = _path_major(module_path)
    if major and major.startswith("/v"):
        return int(major[2:])
    return None


def version_fits_path(version: str, module_path: str) -> bool:
    """True when ``version``'s major agrees with the module path: ``/vN`` paths
    take vN, paths without a suffix take v0 or v1 (Go's import compatibility rule)."""
    major = _path_major(module_path)
    return major is not None and _check_path_major(version, major) is None


@functools.lru_cache(maxsize=4096)
def _path_major(path: str) -> str | None:
    """modfile's ``module.SplitPathVersion``: the ``/vN`` (or gopkg.in ``.vN``)
    suffix, "" when there is none, None when the suffix is malformed (``/v1``, ``/v02``)."""
    if path.startswith("gopkg.in/"):
        m = re.search(r"\.v(0|[1-9][0-9]*)(?:-unstable)?$", path)
        return m.group(0).removesuffix("-unstable") if m else None
    m = re.search(r"/v([0-9.]+)$", path)
    if m is None:
        return ""
    digits = m.group(1)
    if "." in digits or digits[0] == "0" or digits == "1":
        return None
    return m.group(0)


@functools.lru_cache(maxsize=4096)
def _check_path_major(version: str, path_major: str) -> str | None:
    """modfile's ``module.CheckPathMajor``: an error message, or None when compatible."""
    if version.startswith("v0.0.0-") and path_major == ".v1":
        return None  # an old pseudo-version bug Go keeps accepting
    major = version.split(".", 1)[0].split("-", 1)[0].split("+", 1)[0]
    if not path_major:
        if major in ("v0", "v1") or version.endswith("+incompatible"):
            return None
        return f"should be v0 or v1, not {major}"
    if major == path_major[1:]:
        return None
    return f"should be {path_major[1:]}, not {major}"


# --- the parsed forms --------------------------------------------------------


@dataclass(frozen=True)
class Require:
    path: str
    version: str
    indirect: bool
    line: int


@dataclass(frozen=True)
class Exclude:
    path: str
    version: str
    line: int


@dataclass(frozen=True)
class Replace:
    old_path: str
    old_version: str | None  # None: every version of old_path
    new_path: str
    new_version: str | None  # None: new_path is a directory
    line: int

    @property
    def is_local(self) -> bool:
        """The replacement is a directory on disk (``=> ./x``, ``=> ../x``, ``=> /x``)."""
        return self.new_version is None


@dataclass(frozen=True)
class Retract:
    low: str
    high: str  # == low for a single version
    rationale: str
    line: int


@dataclass(frozen=True)
class Use:
    path: str  # as written: relative to go.work's folder, or absolute
    line: int


@dataclass
class GoMod:
    path: Path  # the go.mod file
    module: str
    module_line: int
    go: str | None = None
    toolchain: str | None = None
    requires: list[Require] = field(default_factory=list)
    replaces: list[Replace] = field(default_factory=list)
    excludes: list[Exclude] = field(default_factory=list)
    retracts: list[Retract] = field(default_factory=list)


@dataclass
class GoWork:
    path: Path  # the go.work file
    go: str | None = None
    toolchain: str | None = None
    uses: list[Use] = field(default_factory=list)
    replaces: list[Replace] = field(default_factory=list)


def is_directory_path(p: str) -> bool:
    """modfile's ``IsDirectoryPath``: Unix and Windows relative or rooted paths."""
    return (
        p in (".", "..")
        or p.startswith(("./", "../", "/", ".\\", "..\\", "\\"))
        or (len(p) >= 2 and p[1] == ":" and p[0].isascii() and p[0].isalpha())
    )


# --- lexer -------------------------------------------------------------------

# One line at a time is exact: no token spans a newline in go.mod syntax.
_TOKEN = re.compile(
    r"[ \t\r]+"
    r"|(?P<comment>//.*)"
    r'|(?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)'
    r"|[()\[\]{},]"
    r'|(?:[^\x00-\x20\x7f()\[\]{},/"`]|/(?![/*]))(?:[^\x00-\x20\x7f()\[\]{},/]|/(?![/*]))*'
)
# Lines made only of plain ASCII identifiers and spaces (most lines of any
# go.mod), up to their comment, skip the tokenizer: str.split is exact for them.
_PLAIN = re.compile(r"[ \t\r!#-'*+\--Z\\^_a-z|~]*")
_PUNCT = frozenset("()[]{},")


def _lex(text: str, line: int, path: Path) -> tuple[list[str], str | None]:
    """The tokens of one line (strings keep their quotes) and its comment, if any."""
    tokens: list[str] = []
    comment = None
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            break
        pos = m.end()
        if m.lastgroup == "comment":
            comment = m.group().removesuffix("\r")
            break
        token = m.group()
        if token[0] not in " \t\r":
            tokens.append(token)
    if pos != len(text):
        rest = text[pos:]
        if rest.startswith("/*"):
            message = "mod files must use // comments (not /* */ comments)"
        elif rest[0] in '"`':
            message = "unterminated string: a quoted string must end on its own line"
        else:
            message = f"unexpected input character {rest[0]!r}"
        raise RKError("RK-MANIFEST-PARSE", message, path=path, line=line)
    _check_printable(tokens, text, line, path)
    return tokens, comment


def _check_printable(tokens: list[str], text: str, line: int, path: Path) -> None:
    # Unicode spaces and format characters are not identifier runes (unicode.IsPrint).
    if text.isascii():
        return
    for token in tokens:
        if token[0] not in '"`' and not token.isprintable():
            bad = next(c for c in token if not c.isprintable())
            raise RKError(
                "RK-MANIFEST-PARSE", f"unexpected input character {bad!r}", path=path, line=line
            )


# --- syntax: lines and blocks -----------------------------------------------


@dataclass
class _Line:
    tokens: list[str]
    line: int
    before: list[str]  # whole-line comments directly above it
    suffix: str | None  # the comment at its end


@dataclass
class _Block:
    tokens: list[str]  # the tokens before "(": normally just the verb
    line: int
    before: list[str]
    lines: list[_Line] = field(default_factory=list)


def _statements(text: str, path: Path) -> list[_Line | _Block]:
    """modfile's parseFile/parseStmt/parseLineBlock over lexed lines."""
    stmts: list[_Line | _Block] = []
    pending: list[str] = []  # comment lines waiting for the next statement
    block: _Block | None = None
    for lineno, raw in enumerate(text.split("\n"), start=1):
        cut = raw.find("//")
        code = raw if cut < 0 else raw[:cut]
        if "/*" not in code and _PLAIN.fullmatch(code):
            tokens, comment = code.split(), None if cut < 0 else raw[cut:].removesuffix("\r")
        else:
            tokens, comment = _lex(raw, lineno, path)
        if block is not None:
            if not tokens:
                # In a block a blank line does not detach comments from the next line.
                if comment is not None:
                    pending.append(comment)
            elif tokens[0] == ")":
                if len(tokens) > 1:
                    raise RKError(
                        "RK-MANIFEST-PARSE",
                        "syntax error (expected newline after closing paren)",
                        path=path,
                        line=lineno,
                    )
                block, pending = None, []
            else:
                block.lines.append(_Line(tokens, lineno, pending, comment))
                pending = []
            continue
        if not tokens:
            if comment is None:
                pending = []  # a blank line ends a top-level comment group
            else:
                pending.append(comment)
            continue
        # Only a "(" after the first token, ending the line, opens a block ("x ( )" is empty).
        if len(tokens) >= 2 and tokens[-1] == "(":
            block = _Block(tokens[:-1], lineno, pending)
            stmts.append(block)
        elif len(tokens) >= 3 and tokens[-2:] == ["(", ")"]:
            stmts.append(_Block(tokens[:-2], lineno, pending))
        else:
            stmts.append(_Line(tokens, lineno, pending, comment))
        pending = []
    if block is not None:
        raise RKError(
            "RK-MANIFEST-PARSE",
            f"syntax error (unterminated block started at line {block.line})",
            path=path,
            line=block.line,
            fix=f"close the `{' '.join(block.tokens)} (` block with a `)` line",
        )
    return stmts


def _directives(
    stmts: list[_Line | _Block], path: Path, block_verbs: frozenset[str], known: frozenset[str]
) -> Iterator[tuple[str, list[str], _Line, _Block | None]]:
    """(verb, args, line, enclosing block) for each directive a parser must handle,
    lazily, so errors surface in file order."""
    for stmt in stmts:
        verb = stmt.tokens[0]
        if verb[0] in '"`' or verb in _PUNCT:
            raise RKError(
                "RK-MANIFEST-PARSE", f"unknown directive: {verb}", path=path, line=stmt.line
            )
        if verb not in known:
            # Perhaps a directive from a newer Go: skip it (and its block) if the
            # go command here accepts the file, else it is its error (a typo such as
            # `usee ./x` would otherwise drop a module silently).
            refused = go_refuses(path, "work" if "use" in known else "mod")
            if refused:
                message, where = refused
                raise RKError(
                    "RK-MANIFEST-PARSE",
                    f"unknown directive: {verb} (go: {message})",
                    path=path,
                    line=where or stmt.line,
                )
            continue
        if isinstance(stmt, _Line):
            yield verb, stmt.tokens[1:], stmt, None
            continue
        if len(stmt.tokens) > 1 or verb not in block_verbs:
            raise RKError(
                "RK-MANIFEST-PARSE",
                f"unknown block type: {' '.join(stmt.tokens)}",
                path=path,
                line=stmt.line,
            )
        for line in stmt.lines:
            yield verb, line.tokens, line, stmt


# --- values ------------------------------------------------------------------

_ESCAPE = re.compile(
    r'\\(?:([abfnrtv\\"])|x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))'
)
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}


def _unquote(token: str) -> str | None:
    """Go's strconv.Unquote for an interpreted string; None when it is invalid."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(body):
        plain = body[pos : m.start()]
        if "\\" in plain:
            return None
        out += plain.encode()
        simple, hex2, octal, u4, u8 = m.groups()
        if simple:
            out.append(_SIMPLE_ESCAPES[simple])
        elif hex2 or octal:
            value = int(hex2, 16) if hex2 else int(octal, 8)
            if value > 255:
                return None
            out.append(value)
        else:
            code = int(u4 or u8, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            out += chr(code).encode()
        pos = m.end()
    if "\\" in body[pos:]:
        return None
    out += body[pos:].encode()
    try:
        return out.decode()
    except UnicodeDecodeError:
        return None


class _Checker:
    """Turns directive arguments into values, raising RKError at the directive's line."""

    def __init__(self, path: Path) -> None:
        self.path, self.line, self.verb = path, 0, ""

    def at(self, line: int, verb: str) -> _Checker:
        self.line, self.verb = line, verb
        return self

    def fail(self, message: str) -> RKError:
        return RKError("RK-MANIFEST-PARSE", message, path=self.path, line=self.line)

    def string(self, token: str) -> str:
        if token.startswith('"'):
            value = _unquote(token)
            if value is None:
                raise self.fail(f"invalid quoted string {token}: invalid syntax")
            return value
        if '"' in token or "'" in token or "`" in token:
            raise self.fail(f"invalid quoted string {token}: unquoted string cannot contain quote")
        return token

    def version(self, token: str, module_path: str) -> str:
        text = self.string(token)
        canonical = canonical_version(text)
        if canonical is None:
            where = f"{self.verb} {module_path}: " if module_path else f"{self.verb}: "
            raise self.fail(f'{where}version "{text}" invalid: must be of the form v1.2.3')
        return canonical

    def path_major(self, module_path: str) -> str:
        major = _path_major(module_path)
        if major is None:
            raise self.fail(f"{self.verb} {module_path}: invalid module path")
        return major

    def check_major(self, module_path: str, version: str, major: str) -> None:
        problem = _check_path_major(version, major)
        if problem:
            raise self.fail(f'{self.verb} {module_path}: version "{version}" invalid: {problem}')

    def usage(self, text: str) -> RKError:
        return self.fail(f"usage: {text}")


_GO_VERSION = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?")
_TOOLCHAIN = re.compile(r"default$|go1($|\.)")


def _go_version(c: _Checker, args: list[str], seen: str | None) -> str:
    if seen is not None:
        raise c.fail(f"repeated {c.verb} statement")
    if len(args) != 1:
        raise c.fail(f"{c.verb} directive expects exactly one argument")
    if c.verb == "go" and not _GO_VERSION.fullmatch(args[0]):
        raise c.fail(f"invalid go version '{args[0]}': must match format 1.23.0")
    if c.verb == "toolchain" and not _TOOLCHAIN.match(args[0]):
        raise c.fail(
            f"invalid toolchain version '{args[0]}': must match format go1.23.0 or default"
        )
    return args[0]


def _module_version(c: _Checker, args: list[str]) -> tuple[str, str]:
    """The ``module/path v1.2.3`` of require and exclude."""
    if len(args) != 2:
        raise c.usage(f"{c.verb} module/path v1.2.3")
    path = c.string(args[0])
    version = c.version(args[1], path)
    c.check_major(path, version, c.path_major(path))
    return path, version


def _replace(c: _Checker, args: list[str]) -> Replace:
    arrow = 1 if len(args) >= 2 and args[1] == "=>" else 2
    if len(args) < arrow + 2 or len(args) > arrow + 3 or args[arrow] != "=>":
        raise c.usage(
            "replace module/path [v1.2.3] => other/module v1.4 "
            "or replace module/path [v1.2.3] => ../local/directory"
        )
    old = c.string(args[0])
    major = c.path_major(old)
    old_version = None
    if arrow == 2:
        old_version = c.version(args[1], old)
        c.check_major(old, old_version, major)
    new = c.string(args[arrow + 1])
    new_version = None
    if len(args) == arrow + 2:
        if not is_directory_path(new):
            if "@" in new:
                raise c.fail(
                    "replacement module must match format 'path version', not 'path@version'"
                )
            raise c.fail(
                "replacement module without version must be directory path "
                "(rooted or starting with . or ..)"
            )
        if "\\" in new:
            raise c.fail(
                "replacement directory appears to be Windows path (on a non-windows system)"
            )
    else:
        new_version = c.version(args[arrow + 2], new)
        if is_directory_path(new):
            raise c.fail(f'replacement module directory path "{new}" cannot have version')
    return Replace(old, old_version, new, new_version, c.line)


def _retract(c: _Checker, args: list[str], line: _Line, block: _Block | None) -> Retract:
    """``retract v1.0.0`` or ``retract [v1.0.0, v1.1.0]`` (closed interval)."""
    if not args or args[0] == "(":
        raise c.fail("retract: expected '[' or version")
    if args[0] != "[":
        low = high = c.version(args[0], "")
        rest = args[1:]
    else:
        toks = args[1:]
        if not toks:
            raise c.fail("retract: expected version after '['")
        low = c.version(toks[0], "")
        if len(toks) < 2 or toks[1] != ",":
            raise c.fail("retract: expected ',' after version")
        if len(toks) < 3:
            raise c.fail("retract: expected version after ','")
        high = c.version(toks[2], "")
        if len(toks) < 4 or toks[3] != "]":
            raise c.fail("retract: expected ']' after version")
        rest = toks[4:]
    if rest:
        raise c.fail(f'unexpected token after version: "{rest[0]}"')
    return Retract(low, high, _rationale(line, block), c.line)


def _rationale(line: _Line, block: _Block | None) -> str:
    """modfile's parseDirectiveComment: the line's comments, else its block's."""
    comments = [*line.before, *([line.suffix] if line.suffix else [])]
    if block is not None and not comments:
        comments = block.before
    return "\n".join(text[2:].strip() for text in comments)


def _is_indirect(suffix: str | None) -> bool:
    if suffix is None:
        return False
    words = suffix[2:].split()
    return words == ["indirect"] or (len(words) > 1 and words[0] == "indirect;")


# --- go.mod and go.work ------------------------------------------------------

_GOMOD_VERBS = frozenset(
    {
        "module",
        "go",
        "toolchain",
        "godebug",
        "require",
        "exclude",
        "replace",
        "retract",
        "tool",
        "ignore",
    }
)
_GOMOD_BLOCKS = _GOMOD_VERBS - {"go", "toolchain"}
_GOWORK_VERBS = frozenset({"go", "toolchain", "godebug", "use", "replace"})
_GOWORK_BLOCKS = frozenset({"godebug", "use", "replace"})


def parse_gomod(text: str, path: Path) -> GoMod:
    """Parse go.mod ``text`` (``path`` names it in errors)."""
    mod = GoMod(path=path, module="", module_line=0)
    checker = _Checker(path)
    for verb, args, line, block in _directives(
        _statements(text, path), path, _GOMOD_BLOCKS, _GOMOD_VERBS
    ):
        c = checker.at(line.line, verb)
        if verb == "require":
            dep, version = _module_version(c, args)
            mod.requires.append(Require(dep, version, _is_indirect(line.suffix), line.line))
        elif verb == "module":
            if mod.module_line:
                raise c.fail("repeated module statement")
            if len(args) != 1:
                raise c.usage("module module/path")
            mod.module, mod.module_line = c.string(args[0]), line.line
        elif verb == "go":
            mod.go = _go_version(c, args, mod.go)
        elif verb == "toolchain":
            mod.toolchain = _go_version(c, args, mod.toolchain)
        elif verb == "exclude":
            dep, version = _module_version(c, args)
            mod.excludes.append(Exclude(dep, version, line.line))
        elif verb == "replace":
            mod.replaces.append(_replace(c, args))
        elif verb == "retract":
            mod.retracts.append(_retract(c, args, line, block))
        # godebug, tool, ignore: valid, and nothing releasekit needs.
    if not mod.module:
        raise RKError(
            "RK-MANIFEST-FIELD",
            "go.mod has an empty module path"
            if mod.module_line
            else "go.mod has no module directive",
            path=path,
            line=mod.module_line or None,
            fix="add `module <path>` (for example `module github.com/you/repo/dir`) as its first line",
        )
    return mod


def parse_gowork(text: str, path: Path) -> GoWork:
    """Parse go.work ``text`` (``path`` names it in errors)."""
    work = GoWork(path=path)
    checker = _Checker(path)
    for verb, args, line, _block in _directives(
        _statements(text, path), path, _GOWORK_BLOCKS, _GOWORK_VERBS
    ):
        c = checker.at(line.line, verb)
        if verb == "go":
            work.go = _go_version(c, args, work.go)
        elif verb == "toolchain":
            work.toolchain = _go_version(c, args, work.toolchain)
        elif verb == "use":
            if len(args) != 1:
                raise c.usage("use local/dir")
            work.uses.append(Use(c.string(args[0]), line.line))
        elif verb == "replace":
            work.replaces.append(_replace(c, args))
    return work


@functools.cache
def go_refuses(path: Path, kind: str) -> tuple[str, int | None] | None:
    """The go command's own verdict on a go.mod (``kind`` "mod") or go.work ("work"):
    (its message, the line) when it refuses the file, None when it accepts it or
    is not installed. ``go mod edit -json`` parses offline in ~50 ms."""
    import os
    import subprocess

    if not path.is_file():
        return None
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": ""}
    try:
        result = subprocess.run(
            ["go", kind, "edit", "-json", str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=path.parent,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode == 0:
        return None
    found = re.search(r":(\d+): (.+)", result.stderr)
    if found:
        return found.group(2).strip(), int(found.group(1))
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "refused", None


def _read(path: Path) -> str:
    from releasekit_tasks.textfile import read_utf8

    return read_utf8(path)


def read_gomod(path: Path) -> GoMod:
    return parse_gomod(_read(path), path)


def read_gowork(path: Path) -> GoWork:
    return parse_gowork(_read(path), path)
