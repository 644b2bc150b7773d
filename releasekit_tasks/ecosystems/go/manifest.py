"""go.mod rewrites that keep the layout, and when ``go mod tidy`` may run."""

from __future__ import annotations

import re
from pathlib import Path

from releasekit_tasks.ecosystems.go.modfile import (
    is_valid_go_version,
    parse_gomod,
    read_gomod,
    version_fits_path,
)
from releasekit_tasks.errors import RKError
from releasekit_tasks.model import Package
from releasekit_tasks.prepare.rewrite import match_end

# The code of a go.mod line: quoted strings may hold "//", a comment starts at the first other one.
_GOMOD_CODE = re.compile(r'(?:"(?:[^"\\]|\\.)*"|`[^`]*`|[^"`/]|/(?!/))*')
_LAST_TOKEN = re.compile(r"(\S+)\s*$")


def rewrite_go_require(text: str, module: str, new: str, path: Path) -> str:
    """Set the version of every ``require module vX`` (single line or in a block)."""
    if not is_valid_go_version(new):
        raise RKError(
            "RK-VERSION-INVALID", f"{new!r} is not a Go module version (vX.Y.Z)", path=path
        )
    if not version_fits_path(new, module):
        raise RKError(
            "RK-VERSION-INVALID",
            f"{module} cannot be required at {new}: its major version needs a /vN path",
            path=path,
            fix="require the /vN module path for versions v2 and above",
        )
    lines = text.split("\n")  # the same line numbering as gomod's parser
    for require in parse_gomod(text, path).requires:
        if require.path != module:
            continue
        line = lines[require.line - 1]
        code = line[: match_end(_GOMOD_CODE, line, 0)]
        # The version is the last token before the comment; it may be quoted.
        m = _LAST_TOKEN.search(code)
        assert m is not None  # the parser saw a version on this line
        quote = '"' if m.group(1).startswith('"') else ""
        lines[require.line - 1] = line[: m.start(1)] + quote + new + quote + line[m.end(1) :]
    return "\n".join(lines)


def standalone(package: Package) -> bool:
    """A module whose internal requirements all have a local ``replace``: it builds
    outside go.work, so ``go mod tidy`` can run before its dependencies are tagged."""
    mod = read_gomod(package.manifest)
    replaced = {r.old_path for r in mod.replaces if r.is_local}
    return all(dep.name in replaced for dep in package.internal_dependencies)
