"""Layout-preserving version rewrites: each test compares the whole output text,
so every byte outside the rewritten values is checked too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.go.manifest import rewrite_go_require
from releasekit_tasks.ecosystems.pnpm.manifest import (
    rewrite_package_json_dependency,
    set_package_json_version,
)
from releasekit_tasks.ecosystems.uv.manifest import (
    rewrite_pyproject_dependency,
    set_pyproject_version,
)
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.rewrite import rewrite_version_pattern, update_versions_file

PYPROJECT = Path("packages/app/pyproject.toml")
PACKAGE_JSON = Path("js/app/package.json")
GOMOD = Path("go/app/go.mod")


def raises(code: str, path: Path, call: Callable[..., object], *args: object) -> RKError:
    with pytest.raises(RKError) as info:
        call(*args)
    assert info.value.code == code
    assert info.value.path == path
    assert str(path) in info.value.render()
    return info.value


# --- set_pyproject_version ------------------------------------------------------

PYPROJECT_TEXT = """\
# Ünïcode comment: the façade package
[build-system]
requires = ["hatchling"]   # keep
build-backend = "hatchling.build"

[project]
name    = "façade-app"
description = "Ünïcode ✓"
version = '0.3.0'   # bumped by releasekit
dependencies = ["foo>=0.3.0"]

[tool.other]
version = "9.9.9"
"""


def test_set_pyproject_version_keeps_everything_but_the_value() -> None:
    out = set_pyproject_version(PYPROJECT_TEXT, "0.4.0", PYPROJECT)
    assert out == PYPROJECT_TEXT.replace("version = '0.3.0'", "version = '0.4.0'")
    data = tomllib.loads(out)
    assert data["project"]["version"] == "0.4.0"
    assert data["tool"]["other"]["version"] == "9.9.9"
    assert set_pyproject_version(out, "0.4.0", PYPROJECT) == out


def test_set_pyproject_version_crlf_tabs_no_final_newline() -> None:
    text = '[project]\r\n\tname = "a"\r\n\tversion = "1.2.0rc1" # pre\r\n\t# end'
    out = set_pyproject_version(text, "1.2.0", PYPROJECT)
    assert out == '[project]\r\n\tname = "a"\r\n\tversion = "1.2.0" # pre\r\n\t# end'
    assert tomllib.loads(out)["project"]["version"] == "1.2.0"


def test_set_pyproject_version_with_project_subtables() -> None:
    text = '[project]\nname = "a"\nversion = "0.1.0"\n\n[project.urls]\nHome = "https://x"\n'
    out = set_pyproject_version(text, "0.2.0", PYPROJECT)
    assert out == text.replace('"0.1.0"', '"0.2.0"')


def test_set_pyproject_version_errors() -> None:
    raises(
        "RK-MANIFEST-FIELD", PYPROJECT, set_pyproject_version, "[tool.x]\na = 1\n", "1.0", PYPROJECT
    )
    err = raises(
        "RK-MANIFEST-FIELD",
        PYPROJECT,
        set_pyproject_version,
        '[tool.x]\ndynamic = []\n\n[project]\nname = "a"\ndynamic = ["version"]\n',
        "1.0",
        PYPROJECT,
    )
    assert err.line == 6
    err = raises(
        "RK-MANIFEST-FIELD",
        PYPROJECT,
        set_pyproject_version,
        '# x\n[project]\nname = "a"\n',
        "1.0",
        PYPROJECT,
    )
    assert err.line == 2
    err = raises(
        "RK-MANIFEST-FIELD",
        PYPROJECT,
        set_pyproject_version,
        "[project]\nversion = 1\n",
        "1.0",
        PYPROJECT,
    )
    err = raises(
        "RK-MANIFEST-PARSE",
        PYPROJECT,
        set_pyproject_version,
        '[project]\nname = "a"\nversion = \n',
        "1.0",
        PYPROJECT,
    )
    assert err.line == 3
    raises(
        "RK-VERSION-INVALID",
        PYPROJECT,
        set_pyproject_version,
        '[project]\nversion = "1.0"\n',
        "one",
        PYPROJECT,
    )


# --- rewrite_pyproject_dependency -------------------------------------------------

DEPS_TEXT = """\
[project]
name = "app"
version = "1.0.0"
dependencies = [
    # the internal ones
    "Foo_Bar [cli, rich] >= 0.3.0 , < 2 ; python_version >= '3.9'",  # extras and markers
    'foo.bar==0.3.0',
    "foo-bar>=0.3.0.post1",
    "foo-bar!=0.3.0,>=0.2",
    "foo-bar",
    "foo-barbaz>=0.3.0",
    "other~=0.3.0",
]

[project.optional-dependencies]
cli = ["foo-bar~=0.3.0"]
all = [
\t"foo_bar[cli]>=0.3.0",\t# tab-indented
]

[dependency-groups]
dev = [{ include-group = "test" }, "foo-bar===0.3.0", "pytest>=8"]
test = ["FOO-BAR >=0.3.0"]
"""

DEPS_EXPECTED = """\
[project]
name = "app"
version = "1.0.0"
dependencies = [
    # the internal ones
    "Foo_Bar [cli, rich] >= 0.4.0 , < 2 ; python_version >= '3.9'",  # extras and markers
    'foo.bar==0.4.0',
    "foo-bar>=0.3.0.post1",
    "foo-bar!=0.3.0,>=0.2",
    "foo-bar",
    "foo-barbaz>=0.3.0",
    "other~=0.3.0",
]

[project.optional-dependencies]
cli = ["foo-bar~=0.4.0"]
all = [
\t"foo_bar[cli]>=0.4.0",\t# tab-indented
]

[dependency-groups]
dev = [{ include-group = "test" }, "foo-bar===0.4.0", "pytest>=8"]
test = ["FOO-BAR >=0.4.0"]
"""


def test_rewrite_pyproject_dependency_everywhere_it_is_required() -> None:
    out = rewrite_pyproject_dependency(DEPS_TEXT, "foo-bar", "0.3.0", "0.4.0", PYPROJECT)
    assert out == DEPS_EXPECTED
    data = tomllib.loads(out)
    assert data["project"]["dependencies"][1] == "foo.bar==0.4.0"
    assert data["project"]["optional-dependencies"]["cli"] == ["foo-bar~=0.4.0"]
    assert data["dependency-groups"]["dev"][1] == "foo-bar===0.4.0"
    # Idempotent: the old literal is gone, so a second pass changes nothing.
    assert rewrite_pyproject_dependency(out, "foo-bar", "0.3.0", "0.4.0", PYPROJECT) == out


def test_rewrite_pyproject_dependency_other_dep_or_no_match_is_identity() -> None:
    assert rewrite_pyproject_dependency(DEPS_TEXT, "absent", "0.3.0", "0.4.0", PYPROJECT) == (
        DEPS_TEXT
    )
    text = '[project]\nname = "a"\n'
    assert rewrite_pyproject_dependency(text, "foo", "0.3.0", "0.4.0", PYPROJECT) == text


def test_rewrite_pyproject_dependency_prerelease_and_escapes() -> None:
    text = '[project]\r\ndependencies = ["foo>=1.2.0rc1; extra == \\"x\\"", "foo==1.2.0rc1"]\r\n'
    out = rewrite_pyproject_dependency(text, "foo", "1.2.0rc1", "1.2.0rc2", PYPROJECT)
    assert out == (
        '[project]\r\ndependencies = ["foo>=1.2.0rc2; extra == \\"x\\"", "foo==1.2.0rc2"]\r\n'
    )
    assert tomllib.loads(out)["project"]["dependencies"][0] == 'foo>=1.2.0rc2; extra == "x"'


def test_rewrite_pyproject_dependency_range_that_excludes_new() -> None:
    text = '[project]\ndependencies = [\n  "bar",\n  "foo>=0.3.0,<0.4",\n]\n'
    err = raises(
        "RK-VERSION-RANGE",
        PYPROJECT,
        rewrite_pyproject_dependency,
        text,
        "foo",
        "0.3.0",
        "0.4.0",
        PYPROJECT,
    )
    assert "foo>=0.4.0,<0.4" in err.message
    assert "[project].dependencies" in err.message
    assert err.line == 4
    assert "widen" in err.fix
    # A pin on another version is caught too, in a dependency group.
    text = '[dependency-groups]\ndev = ["foo==0.2.0"]\n'
    err = raises(
        "RK-VERSION-RANGE",
        PYPROJECT,
        rewrite_pyproject_dependency,
        text,
        "foo",
        "0.3.0",
        "0.4.0",
        PYPROJECT,
    )
    assert "[dependency-groups].dev" in err.message


def test_rewrite_pyproject_dependency_errors() -> None:
    err = raises(
        "RK-MANIFEST-FIELD",
        PYPROJECT,
        rewrite_pyproject_dependency,
        '[project]\ndependencies = [\n  "foo >>= 1",\n]\n',
        "foo",
        "0.3.0",
        "0.4.0",
        PYPROJECT,
    )
    assert err.line == 3
    raises(
        "RK-MANIFEST-FIELD",
        PYPROJECT,
        rewrite_pyproject_dependency,
        '[project]\ndependencies = "foo"\n',
        "foo",
        "0.3.0",
        "0.4.0",
        PYPROJECT,
    )
    raises(
        "RK-MANIFEST-PARSE",
        PYPROJECT,
        rewrite_pyproject_dependency,
        "[project\n",
        "foo",
        "0.3.0",
        "0.4.0",
        PYPROJECT,
    )
    raises(
        "RK-VERSION-INVALID",
        PYPROJECT,
        rewrite_pyproject_dependency,
        DEPS_TEXT,
        "foo",
        "0.3.0",
        "not a version",
        PYPROJECT,
    )


# --- set_package_json_version ---------------------------------------------------

PACKAGE_TEXT = """\
{
  "name": "@scope/app",
  "description": "Ünïcode ✓ and an escape: caf\\u00e9",
  "engines": { "node": ">=18", "version": "0.3.0" },
  "publishConfig": {"access": "public", "version": "0.3.0"},
  "exports": {".": {"import": "./x.js", "version": "0.3.0"}},
  "files": ["a", {"version": "0.3.0"}],
  "version": "0.3.0",
  "scripts": {"x": "echo \\"version\\": \\"0.3.0\\""}
}"""


def test_set_package_json_version_only_top_level_no_final_newline() -> None:
    out = set_package_json_version(PACKAGE_TEXT, "0.4.0", PACKAGE_JSON)
    assert out == PACKAGE_TEXT.replace(
        '"version": "0.3.0",\n  "scripts"', '"version": "0.4.0",\n  "scripts"'
    )
    assert not out.endswith("\n")
    before, after = json.loads(PACKAGE_TEXT), json.loads(out)
    assert after.pop("version") == "0.4.0"
    before.pop("version")
    assert after == before
    assert set_package_json_version(out, "0.4.0", PACKAGE_JSON) == out


@pytest.mark.parametrize(
    "layout",
    [
        '{\n    "name": "a",\n    "version": "0.3.0",\n    "private": true\n}\n',
        '{\n\t"name": "a",\n\t"version"  :  "0.3.0"\n}\n',
        '{\r\n  "name": "a",\r\n  "version": "0.3.0"\r\n}\r\n',
        '\ufeff{"name":"a","version":"0.3.0","nested":{"version":"0.3.0"}}',
    ],
)
def test_set_package_json_version_layouts(layout: str) -> None:
    out = set_package_json_version(layout, "1.0.0-rc.1", PACKAGE_JSON)
    # The top-level version is the first "0.3.0" in each layout.
    assert out == layout.replace("0.3.0", "1.0.0-rc.1", 1)


def test_set_package_json_version_errors() -> None:
    err = raises(
        "RK-MANIFEST-PARSE",
        PACKAGE_JSON,
        set_package_json_version,
        '{\n  "name": "a",\n  "version": "0.3.0",\n}\n',
        "0.4.0",
        PACKAGE_JSON,
    )
    assert err.line == 4
    # A "version" in a nested object is not the package's version.
    raises(
        "RK-MANIFEST-FIELD",
        PACKAGE_JSON,
        set_package_json_version,
        '{"name": "a", "engines": {"version": "1.0.0"}}',
        "0.4.0",
        PACKAGE_JSON,
    )
    err = raises(
        "RK-MANIFEST-FIELD",
        PACKAGE_JSON,
        set_package_json_version,
        '{\n  "version": 3\n}',
        "0.4.0",
        PACKAGE_JSON,
    )
    assert err.line == 2
    raises("RK-MANIFEST-FIELD", PACKAGE_JSON, set_package_json_version, "[]", "0.4.0", PACKAGE_JSON)
    raises(
        "RK-VERSION-INVALID",
        PACKAGE_JSON,
        set_package_json_version,
        '{"version": "0.3.0"}',
        "v0.4",
        PACKAGE_JSON,
    )


# --- rewrite_package_json_dependency ------------------------------------------------

DEPS_JSON = """\
{\r
\t"name": "b",\r
\t"version": "0.3.0",\r
\t"description": "dépend de a — ✓",\r
\t"dependencies": {\r
\t\t"a": "workspace:^0.3.0",\r
\t\t"a-plus": "^0.3.0"\r
\t},\r
\t"devDependencies": { "a": "~0.3.0" },\r
\t"peerDependencies": {"a": ">=0.3.0 <0.5.0"},\r
\t"optionalDependencies": {"other": "^0.3.0", "a": "0.3.0"},\r
\t"pnpm": {"overrides": {"a": "0.3.0"}},\r
\t"config": {"dependencies": {"a": "0.3.0"}}\r
}\r
"""

DEPS_JSON_EXPECTED = """\
{\r
\t"name": "b",\r
\t"version": "0.3.0",\r
\t"description": "dépend de a — ✓",\r
\t"dependencies": {\r
\t\t"a": "workspace:^0.4.0",\r
\t\t"a-plus": "^0.3.0"\r
\t},\r
\t"devDependencies": { "a": "~0.4.0" },\r
\t"peerDependencies": {"a": ">=0.4.0 <0.5.0"},\r
\t"optionalDependencies": {"other": "^0.3.0", "a": "0.4.0"},\r
\t"pnpm": {"overrides": {"a": "0.3.0"}},\r
\t"config": {"dependencies": {"a": "0.3.0"}}\r
}\r
"""


def test_rewrite_package_json_dependency_in_all_four_sections() -> None:
    out = rewrite_package_json_dependency(DEPS_JSON, "a", "0.3.0", "0.4.0", PACKAGE_JSON)
    assert out == DEPS_JSON_EXPECTED
    before, after = json.loads(DEPS_JSON), json.loads(out)
    for section, spec in [
        ("dependencies", "workspace:^0.4.0"),
        ("devDependencies", "~0.4.0"),
        ("peerDependencies", ">=0.4.0 <0.5.0"),
        ("optionalDependencies", "0.4.0"),
    ]:
        assert after[section].pop("a") == spec
        before[section].pop("a")
    assert after == before
    assert rewrite_package_json_dependency(out, "a", "0.3.0", "0.4.0", PACKAGE_JSON) == out


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("^0.3.0", "^0.4.0"),
        ("~0.3.0", "~0.4.0"),
        ("0.3.0", "0.4.0"),
        ("=0.3.0", "=0.4.0"),
        ("^v0.3.0", "^v0.4.0"),
        (">=0.3.0 <0.5.0", ">=0.4.0 <0.5.0"),
        (">= 0.3.0", ">= 0.4.0"),
        ("^0.3.0 || ^1.0.0", "^0.4.0 || ^1.0.0"),
        ("0.3.0 - 0.5.0", "0.4.0 - 0.5.0"),
        ("workspace:^0.3.0", "workspace:^0.4.0"),
        ("workspace:~0.3.0", "workspace:~0.4.0"),
        ("workspace:0.3.0", "workspace:0.4.0"),
        ("workspace:^", "workspace:^"),
        ("workspace:~", "workspace:~"),
        ("workspace:*", "workspace:*"),
        ("*", "*"),
        ("latest", "latest"),
        ("npm:other@0.3.0", "npm:other@0.3.0"),
        ("file:../a", "file:../a"),
        ("github:owner/a#0.3.0", "github:owner/a#0.3.0"),
        (">=0.3.0-rc.1", ">=0.3.0-rc.1"),  # not the token 0.3.0
        ("0.3.0 || 10.3.0", "0.4.0 || 10.3.0"),  # 10.3.0 is not the token 0.3.0 either
    ],
)
def test_rewrite_package_json_dependency_range_forms(spec: str, expected: str) -> None:
    text = '{\n  "version": "1.0.0",\n  "dependencies": {\n    "a": "' + spec + '"\n  }\n}\n'
    out = rewrite_package_json_dependency(text, "a", "0.3.0", "0.4.0", PACKAGE_JSON)
    assert out == text.replace(f'"{spec}"', f'"{expected}"')


def test_rewrite_package_json_dependency_prerelease() -> None:
    text = '{"version": "1.0.0", "dependencies": {"a": "workspace:^1.2.0-rc.1"}}'
    out = rewrite_package_json_dependency(text, "a", "1.2.0-rc.1", "1.2.0-rc.2", PACKAGE_JSON)
    assert out == '{"version": "1.0.0", "dependencies": {"a": "workspace:^1.2.0-rc.2"}}'


def test_rewrite_package_json_dependency_range_that_excludes_new() -> None:
    text = '{\n  "version": "1.0.0",\n  "peerDependencies": {\n    "a": ">=0.3.0 <0.4.0"\n  }\n}\n'
    err = raises(
        "RK-VERSION-RANGE",
        PACKAGE_JSON,
        rewrite_package_json_dependency,
        text,
        "a",
        "0.3.0",
        "0.4.0",
        PACKAGE_JSON,
    )
    assert err.line == 4
    assert "peerDependencies" in err.message and "widen" in err.fix
    # A stale range that never named the old version is caught too.
    raises(
        "RK-VERSION-RANGE",
        PACKAGE_JSON,
        rewrite_package_json_dependency,
        '{"dependencies": {"a": "workspace:^1.0.0"}}',
        "a",
        "0.3.0",
        "0.4.0",
        PACKAGE_JSON,
    )


def test_rewrite_package_json_dependency_errors() -> None:
    err = raises(
        "RK-MANIFEST-PARSE",
        PACKAGE_JSON,
        rewrite_package_json_dependency,
        '{\n  "dependencies": {\n    "a": "^0.3.0"\n  \n',
        "a",
        "0.3.0",
        "0.4.0",
        PACKAGE_JSON,
    )
    assert err.line is not None and err.line >= 4
    raises(
        "RK-VERSION-INVALID",
        PACKAGE_JSON,
        rewrite_package_json_dependency,
        '{"dependencies": {"a": "^0.3.0"}}',
        "a",
        "0.3.0",
        "0.4",
        PACKAGE_JSON,
    )


# --- rewrite_go_require -------------------------------------------------------------

GOMOD_TEXT = """\
// Ünïcode comment ✓
module example.com/repo/app

go 1.21

require example.com/repo/lib v0.3.0 // pinned by releasekit

require (
\texample.com/repo/lib v0.3.0 // indirect
    example.com/repo/libextra   v0.3.0
\t"example.com/repo/quoted" "v0.3.0"
\tgolang.org/x/text v0.14.0 // indirect
)

exclude example.com/repo/lib v0.2.0

replace example.com/repo/lib v0.3.0 => ../lib
replace example.com/repo/quoted => ../quoted"""


def go_mod_json(tmp_path: Path, text: str) -> dict[str, object]:
    """The go command's own reading of a go.mod text."""
    go = shutil.which("go")
    assert go is not None
    folder = tmp_path / "mod"
    folder.mkdir(exist_ok=True)
    (folder / "go.mod").write_text(text, encoding="utf-8", newline="")
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-modcacherw", GOPROXY="off", GOWORK="off")
    result = subprocess.run(
        [go, "mod", "edit", "-json"], cwd=folder, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_rewrite_go_require_block_and_single_line(tmp_path: Path) -> None:
    out = rewrite_go_require(GOMOD_TEXT, "example.com/repo/lib", "v0.4.0", GOMOD)
    assert out == GOMOD_TEXT.replace(
        "require example.com/repo/lib v0.3.0 //", "require example.com/repo/lib v0.4.0 //"
    ).replace(
        "\texample.com/repo/lib v0.3.0 // indirect", "\texample.com/repo/lib v0.4.0 // indirect"
    )
    requires = go_mod_json(tmp_path, out)["Require"]
    assert requires == [
        {"Path": "example.com/repo/lib", "Version": "v0.4.0"},
        {"Path": "example.com/repo/lib", "Version": "v0.4.0", "Indirect": True},
        {"Path": "example.com/repo/libextra", "Version": "v0.3.0"},
        {"Path": "example.com/repo/quoted", "Version": "v0.3.0"},
        {"Path": "golang.org/x/text", "Version": "v0.14.0", "Indirect": True},
    ]
    # The replace line keeps its version, as asked.
    assert "replace example.com/repo/lib v0.3.0 => ../lib" in out
    assert rewrite_go_require(out, "example.com/repo/lib", "v0.4.0", GOMOD) == out


def test_rewrite_go_require_quoted_spaces_and_crlf(tmp_path: Path) -> None:
    out = rewrite_go_require(GOMOD_TEXT, "example.com/repo/quoted", "v1.0.0-rc.1", GOMOD)
    assert out == GOMOD_TEXT.replace('"v0.3.0"', '"v1.0.0-rc.1"')
    out = rewrite_go_require(GOMOD_TEXT, "example.com/repo/libextra", "v0.3.1", GOMOD)
    assert out == GOMOD_TEXT.replace("libextra   v0.3.0", "libextra   v0.3.1")

    crlf = "module example.com/a\r\n\r\ngo 1.21\r\n\r\nrequire (\r\n\texample.com/b v1.0.0 // indirect\r\n)\r\n"
    out = rewrite_go_require(crlf, "example.com/b", "v1.1.0", GOMOD)
    assert out == crlf.replace("v1.0.0", "v1.1.0")
    assert go_mod_json(tmp_path, out)["Require"] == [
        {"Path": "example.com/b", "Version": "v1.1.0", "Indirect": True}
    ]


def test_rewrite_go_require_major_suffix_module(tmp_path: Path) -> None:
    text = "module example.com/a\n\ngo 1.21\n\nrequire example.com/b/v2 v2.0.0\n"
    out = rewrite_go_require(text, "example.com/b/v2", "v2.1.0", GOMOD)
    assert out == "module example.com/a\n\ngo 1.21\n\nrequire example.com/b/v2 v2.1.0\n"
    assert go_mod_json(tmp_path, out)["Require"] == [
        {"Path": "example.com/b/v2", "Version": "v2.1.0"}
    ]


def test_rewrite_go_require_module_not_required_is_identity() -> None:
    assert rewrite_go_require(GOMOD_TEXT, "example.com/repo", "v0.4.0", GOMOD) == GOMOD_TEXT
    assert rewrite_go_require(GOMOD_TEXT, "example.com/other", "v0.4.0", GOMOD) == GOMOD_TEXT


def test_rewrite_go_require_errors() -> None:
    err = raises(
        "RK-MANIFEST-PARSE",
        GOMOD,
        rewrite_go_require,
        "module example.com/a\n\nrequire example.com/b\n",
        "example.com/b",
        "v0.4.0",
        GOMOD,
    )
    assert err.line == 3
    raises(
        "RK-MANIFEST-FIELD",
        GOMOD,
        rewrite_go_require,
        "go 1.21\n",
        "example.com/b",
        "v0.4.0",
        GOMOD,
    )
    for bad in ("0.4.0", "v0.4", "v0.4.0+build"):
        raises(
            "RK-VERSION-INVALID",
            GOMOD,
            rewrite_go_require,
            GOMOD_TEXT,
            "example.com/repo/lib",
            bad,
            GOMOD,
        )
    # v2 of a path without /v2 would make the go.mod invalid.
    raises(
        "RK-VERSION-INVALID",
        GOMOD,
        rewrite_go_require,
        GOMOD_TEXT,
        "example.com/repo/lib",
        "v2.0.0",
        GOMOD,
    )


# --- update_versions_file ------------------------------------------------------------


def test_update_versions_file_new_file() -> None:
    out = update_versions_file(None, {"go/zeta": "v0.1.0", "go/alpha": "v1.0.0"})
    assert out == '{\n  "go/alpha": "v1.0.0",\n  "go/zeta": "v0.1.0"\n}\n'
    assert update_versions_file(None, {}) == "{}\n"


def test_update_versions_file_keeps_order_and_appends_sorted() -> None:
    text = '{\n  "py/z": "0.3.0",\n  "go/ünï": "v0.1.0",\n  "js/a": "1.0.0"\n}\n'
    out = update_versions_file(text, {"js/a": "1.1.0", "go/new": "v0.1.0", "b/new": "2.0.0"})
    assert out == (
        "{\n"
        '  "py/z": "0.3.0",\n'
        '  "go/ünï": "v0.1.0",\n'
        '  "js/a": "1.1.0",\n'
        '  "b/new": "2.0.0",\n'
        '  "go/new": "v0.1.0"\n'
        "}\n"
    )
    assert update_versions_file(out, {"js/a": "1.1.0", "go/new": "v0.1.0"}) == out


def test_update_versions_file_errors() -> None:
    path = Path(".releasekit-versions.json")
    err = raises("RK-MANIFEST-PARSE", path, update_versions_file, '{\n  "a": \n}\n', {})
    assert err.line == 3
    raises("RK-MANIFEST-FIELD", path, update_versions_file, '["a"]', {})
    raises("RK-MANIFEST-FIELD", path, update_versions_file, '{"a": 1}', {})
    custom = Path("meta/versions.json")
    raises("RK-MANIFEST-FIELD", custom, update_versions_file, "[]", {}, custom)


# --- rewrite_version_pattern ----------------------------------------------------------

VERSION_PY = Path("packages/app/src/app/__init__.py")
VERSION_GO = Path("go/app/version.go")


def test_rewrite_version_pattern_python_every_match() -> None:
    text = (
        '"""Ünïcode ✓."""\n'
        '__version__ = "0.3.0"\n'
        "if True:\n"
        '    __version__ = "0.3.0.dev1"  # fallback\n'
        "__version__ = '0.3.0'\n"
        'version = "0.3.0"'
    )
    out = rewrite_version_pattern(text, '__version__ = "{version}"', "0.4.0", VERSION_PY)
    assert out == (
        '"""Ünïcode ✓."""\n'
        '__version__ = "0.4.0"\n'
        "if True:\n"
        '    __version__ = "0.4.0"  # fallback\n'
        "__version__ = '0.3.0'\n"
        'version = "0.3.0"'
    )
    assert rewrite_version_pattern(out, '__version__ = "{version}"', "0.4.0", VERSION_PY) == out


def test_rewrite_version_pattern_go_keeps_v_style() -> None:
    text = 'package app\n\n// Version of app.\nconst Version = "v0.3.0"\n'
    pattern = 'const Version = "{version}"'
    expected = text.replace("v0.3.0", "v0.4.0")
    assert rewrite_version_pattern(text, pattern, "0.4.0", VERSION_GO) == expected
    assert rewrite_version_pattern(text, pattern, "v0.4.0", VERSION_GO) == expected
    bare = 'const Version = "0.3.0"\r\n'
    assert rewrite_version_pattern(bare, pattern, "v0.4.0", VERSION_GO) == (
        'const Version = "0.4.0"\r\n'
    )


def test_rewrite_version_pattern_escapes_everything_but_the_placeholder() -> None:
    text = 'VERSION = ("0.3.0")\nv = {"version": "1.0.0+build.5"}\nVERSION = x0.3.0x\n'
    out = rewrite_version_pattern(text, 'VERSION = ("{version}")', "0.4.0", VERSION_PY)
    assert out == 'VERSION = ("0.4.0")\nv = {"version": "1.0.0+build.5"}\nVERSION = x0.3.0x\n'
    out = rewrite_version_pattern(text, '{"version": "{version}"}', "1.0.1", VERSION_PY)
    assert out == 'VERSION = ("0.3.0")\nv = {"version": "1.0.1"}\nVERSION = x0.3.0x\n'


def test_rewrite_version_pattern_errors() -> None:
    err = raises(
        "RK-VERSION-PATTERN",
        VERSION_PY,
        rewrite_version_pattern,
        "__version__ = get_version()\n",
        '__version__ = "{version}"',
        "0.4.0",
        VERSION_PY,
    )
    assert '__version__ = "{version}"' in err.message
    assert err.fix == "check `version_files` in releasekit.toml"
    for pattern in ("__version__ = 1", "{version}-{version}"):
        raises(
            "RK-CONFIG-VALUE",
            VERSION_PY,
            rewrite_version_pattern,
            '__version__ = "0.3.0"\n',
            pattern,
            "0.4.0",
            VERSION_PY,
        )
    raises(
        "RK-VERSION-INVALID",
        VERSION_PY,
        rewrite_version_pattern,
        '__version__ = "0.3.0"\n',
        '__version__ = "{version}"',
        "0.4.0 beta",
        VERSION_PY,
    )
