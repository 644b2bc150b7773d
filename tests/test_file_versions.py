"""Dynamic versions the build backend reads from a file (autogen's agbench: hatch ``path``).

The workspace of tests/repos/realworld.py (``file_versioned_repo``: hatch
``path`` in src and flat layouts, setuptools ``attr`` and ``file``, pdm-backend
``file``, flit's module) goes through ``init`` → ``doit plan`` → ``doit
version`` → ``doit bump`` (exactly the version line changes) → ``doit build``
(the real ``uv build``, backends from PyPI). Broken version files give their
RK codes with the file and line; the pieces are tested directly below.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.uv import file_version
from releasekit_tasks.ecosystems.uv.build import check_dist_versions
from releasekit_tasks.ecosystems.uv.discover import discover_workspace
from releasekit_tasks.errors import RKError
from releasekit_tasks.prepare.rewrite import rewrite_version_pattern
from releasekit_tasks.publish.release import Release
from tests.publishing import doit
from tests.repos import realworld
from tests.repos.common import snapshot, write
from tests.repos.uv import dump, member, uv_workspace
from tests.servers import PypiServer

# member folder -> (package id, version before, version after a feat)
EXPECTED = {
    "agbench": ("py/agbench", "0.4.1", "0.5.0"),
    "autogen-studio": ("py/autogenstudio", "0.4.3", "0.5.0"),
    "st-attr": ("py/st-attr", "1.2.0", "1.3.0"),
    "st-file": ("py/st-file", "2.0.0", "2.1.0"),
    "pdm-file": ("py/pdm-file", "3.1.0", "3.2.0"),
    "flit-mod": ("py/flit-mod", "0.3.0", "0.4.0"),
}
SOURCES = {
    "agbench": "src/agbench/version.py (hatch)",
    "autogen-studio": "autogenstudio/version.py (hatch)",
    "st-attr": "src/st_attr/__init__.py (setuptools)",
    "st-file": "VERSION (setuptools)",
    "pdm-file": "src/pdm_file/__init__.py (pdm-backend)",
    "flit-mod": "flit_mod/__init__.py (flit)",
}


def init(root: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "releasekit_tasks", "init"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def use_registry(root: Path, pypi: PypiServer) -> None:
    config = (root / "releasekit.toml").read_text()
    config = config.replace(
        'workspace_root = "."', f'workspace_root = "."\nregistry = "{pypi.simple_url}"'
    )
    (root / "releasekit.toml").write_text(config)


def version_path(folder: str) -> str:
    return f"packages/{folder}/{realworld.FILE_VERSIONED[folder][1]}"


def test_file_versions_from_plan_to_built_dists(tmp_path: Path, pypi_server: PypiServer) -> None:
    root = realworld.file_versioned_repo(tmp_path / "repo")
    out = init(root)
    assert (
        f"{len(EXPECTED)} of {len(EXPECTED)} publishable members keep their version in a file"
        in out
    )
    use_registry(root, pypi_server)
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore: releasekit-tasks")

    rows = {r["id"]: r for r in json.loads(doit(root, "plan", "--format", "json").stdout)}
    assert {pid: (rows[pid]["version"], rows[pid]["next"]) for pid, *_ in EXPECTED.values()} == {
        pid: (old, new) for pid, old, new in EXPECTED.values()
    }
    check = doit(root, "check").stdout
    assert "RK-VERSION-DYNAMIC" not in check, check
    found = {p.path.name: p.version_source for p in discover_workspace(root, "py")}
    assert found == SOURCES

    version = doit(root, "version").stdout
    assert "release  py/agbench 0.4.1 → 0.5.0 (minor)" in version
    before = snapshot(root)
    doit(root, "bump")
    after = snapshot(root)
    changed = {f for f in after if before.get(f) != after[f] and not f.startswith(".releasekit/")}
    # Each version file, and the two pyproject.toml files whose requirements move; no
    # versions file (the files hold the versions) and no pyproject.toml gains a version.
    assert changed == {version_path(f) for f in EXPECTED} | {
        "packages/autogen-studio/pyproject.toml",
        "packages/st-file/pyproject.toml",
    }
    for folder, (_, old, new) in EXPECTED.items():
        text = realworld.FILE_VERSIONED[folder][2]
        # exactly the version in its line: quotes, comments and look-alikes stay
        first = text.index(old)
        expected = text[:first] + new + text[first + len(old) :]
        assert after[version_path(folder)].decode() == expected, folder
    studio = after["packages/autogen-studio/pyproject.toml"].decode()
    assert (
        before["packages/autogen-studio/pyproject.toml"]
        .decode()
        .replace("agbench>=0.4.1", "agbench>=0.5.0")
        == studio
    )
    assert "version" not in tomllib.loads(studio)["project"]
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore(release): file versions")
    rows = {r["id"]: r for r in json.loads(doit(root, "plan", "--format", "json").stdout)}
    assert {rows[pid]["version"] for pid, *_ in EXPECTED.values()} == {
        new for *_, new in EXPECTED.values()
    }

    doit(root, "build", timeout=900)
    dist = root / ".releasekit" / "dist"
    built = sorted(p.name for p in dist.rglob("*") if p.suffix in (".whl", ".gz"))
    assert built == sorted(
        f"{name}-{new}{suffix}"
        for name, new in (
            ("agbench", "0.5.0"),
            ("autogenstudio", "0.5.0"),
            ("st_attr", "1.3.0"),
            ("st_file", "2.1.0"),
            ("pdm_file", "3.2.0"),
            ("flit_mod", "0.4.0"),
        )
        for suffix in ("-py3-none-any.whl", ".tar.gz")
    )
    assert realworld.git(root, "status", "--porcelain") == ""


# --- each backend's reading, directly ------------------------------------------------------


def one_member(root: Path, tables: dict, files: dict[str, str], **project: object) -> Path:
    doc = member("a", None, **project)
    doc.update(tables)
    uv_workspace(root, {"packages/a": doc})
    for rel, text in files.items():
        path = root / "packages/a" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "packages/a"


HATCH_PATH = {"tool": {"hatch": {"version": {"path": "a/about.py"}}}}
ATTR = {"tool": {"setuptools": {"dynamic": {"version": {"attr": "a.__version__"}}}}}
SETUPTOOLS = {"build-backend": "setuptools.build_meta", "requires": ["setuptools"]}


@pytest.mark.parametrize(
    ("tables", "files", "expected"),
    [
        # hatch's default pattern: __version__ or VERSION, any case, an optional v
        (
            HATCH_PATH,
            {"a/about.py": "x = 1\nversion = 'v1.4.0'\n"},
            ("1.4.0", "version = 'v{version}'"),
        ),
        # a custom pattern is searched line by line
        (
            {
                "tool": {
                    "hatch": {"version": {"path": "a.cfg", "pattern": r"rel: (?P<version>\S+)"}}
                }
            },
            {"a.cfg": "name: a\nrel: 2.0.0rc1\n"},
            ("2.0.0rc1", "rel: {version}"),
        ),
        # hatch takes a path out of the package folder
        (
            {"tool": {"hatch": {"version": {"path": "../../version.py"}}}},
            {"../../version.py": "__version__ = '0.0.1a1'\n"},
            ("0.0.1a1", "__version__ = '{version}'"),
        ),
        # setuptools attr: the first assignment, a package_dir mapping, a module file
        (
            {
                "tool": {
                    "setuptools": {
                        "package-dir": {"": "lib"},
                        "dynamic": {"version": {"attr": "a.meta.VERSION"}},
                    }
                }
            },
            {"lib/a/__init__.py": "", "lib/a/meta.py": 'VERSION = "0.9.0"\nVERSION = "9.9.9"\n'},
            ("0.9.0", 'VERSION = "{version}"'),
        ),
        # setuptools file: a list where one file holds the version
        (
            {"tool": {"setuptools": {"dynamic": {"version": {"file": ["EMPTY", "VERSION.txt"]}}}}},
            {"EMPTY": "", "VERSION.txt": "\n1.0.1\n"},
            ("1.0.1", "{version}"),
        ),
        # flit: __init__.py wins over version.py, both assign a string
        (
            {"build-system": {"build-backend": "flit_core.buildapi", "requires": ["flit_core"]}},
            {
                "src/a/version.py": '__version__ = "0.1.0"\n',
                "src/a/__init__.py": '__version__ = "0.2.0"\n',
            },
            ("0.2.0", '__version__ = "{version}"'),
        ),
    ],
)
def test_each_backend_reads_its_file(
    tmp_path: Path, tables: dict, files: dict[str, str], expected: tuple[str, str]
) -> None:
    one_member(tmp_path, tables, files)
    (package,) = discover_workspace(tmp_path, "py")
    assert package.version_file is not None
    rel, line = package.version_file
    assert (package.version, line) == expected
    assert package.version_source.startswith(f"{rel} (")
    assert line.replace("{version}", package.version) in (package.path / rel).read_text()


def test_setuptools_attr_wins_over_setuptools_scm_in_requires(tmp_path: Path) -> None:
    tables = {**ATTR, "build-system": {**SETUPTOOLS, "requires": ["setuptools", "setuptools-scm"]}}
    one_member(tmp_path, tables, {"src/a/__init__.py": "__version__ = '4.0.0'\n"})
    (package,) = discover_workspace(tmp_path, "py")
    assert (package.version, package.vcs_version) == ("4.0.0", "")


def test_an_unknown_source_is_still_unknown(tmp_path: Path) -> None:
    tables = {"tool": {"hatch": {"version": {"source": "code", "path": "a/about.py"}}}}
    one_member(tmp_path, tables, {"a/about.py": "__version__ = compute()\n"})
    (package,) = discover_workspace(tmp_path, "py")
    assert package.version is None and package.version_file is None
    assert package.version_source == 'dynamic: set by [tool.hatch.version] source = "code"'


# --- broken input: the code, the file and line ----------------------------------------------


@pytest.mark.parametrize(
    ("tables", "files", "code", "where", "message"),
    [
        (
            {"tool": {"hatch": {"version": {"source": "regex"}}}},
            {},
            "RK-MANIFEST-FIELD",
            ("pyproject.toml", "source = "),
            "path must be a non-empty string",
        ),
        (
            HATCH_PATH,
            {},
            "RK-VERSION-FILE",
            ("pyproject.toml", 'path = "a/about.py"'),
            "does not exist",
        ),
        (
            HATCH_PATH,
            {"a/about.py": "NAME = 'a'\n"},
            "RK-VERSION-FILE",
            ("a/about.py", None),
            "no line there matches",
        ),
        (
            HATCH_PATH,
            {"a/about.py": '__version__ = "banana"\n'},
            "RK-VERSION-INVALID",
            ("a/about.py", '__version__ = "banana"'),
            "'banana' that hatch reads here is not a PEP 440 version",
        ),
        (
            {"tool": {"hatch": {"version": {"path": "a.py", "pattern": "rel: (.+)"}}}},
            {"a.py": "rel: 1\n"},
            "RK-MANIFEST-FIELD",
            ("pyproject.toml", "pattern = "),
            "has no group named `version`",
        ),
        (
            ATTR,
            {"src/a/__init__.py": "from a._v import get\n\n__version__ = get()\n"},
            "RK-VERSION-FILE",
            ("src/a/__init__.py", "__version__ = get()"),
            "setuptools would import the module",
        ),
        (
            ATTR,
            {"src/a/__init__.py": "NAME = 'a'\n"},
            "RK-VERSION-FILE",
            ("src/a/__init__.py", None),
            "has no `__version__ = ...` assignment",
        ),
        (ATTR, {}, "RK-VERSION-FILE", ("pyproject.toml", "version = {"), "there is no module a"),
        (
            {"tool": {"setuptools": {"dynamic": {"version": {"file": "VERSION"}}}}},
            {"VERSION": "1.0.0 final\n"},
            "RK-VERSION-INVALID",
            ("VERSION", "1.0.0 final"),
            "not a PEP 440 version",
        ),
        (
            {"tool": {"pdm": {"version": {"source": "file", "path": "a.py"}}}},
            {"a.py": "VERSION = '1.0'\n"},
            "RK-VERSION-FILE",
            ("a.py", None),
            "no line there matches an assignment such as",
        ),
        (
            {"build-system": {"build-backend": "flit_core.buildapi", "requires": ["flit_core"]}},
            {"a.py": "import x\n__version__ = x.v\n"},
            "RK-VERSION-FILE",
            ("a.py", None),
            "flit would import the module",
        ),
    ],
)
def test_a_broken_version_file_is_a_coded_error_at_its_line(
    tmp_path: Path,
    tables: dict,
    files: dict[str, str],
    code: str,
    where: tuple[str, str | None],
    message: str,
) -> None:
    folder = one_member(tmp_path, tables, files)
    with pytest.raises(RKError) as caught:
        discover_workspace(tmp_path, "py")
    err = caught.value
    assert err.code == code, err.render()
    assert message in err.message, err.render()
    assert err.path == folder / where[0], err.render()
    if where[1] is None:
        assert err.line is None
    else:
        assert err.line is not None, err.render()
        assert where[1] in err.path.read_text().splitlines()[err.line - 1]


# --- rewriting and checking the build --------------------------------------------------------


def test_the_rewrite_changes_the_first_exact_line_only() -> None:
    text = 'X_VERSION = "1.0.0"\r\nVERSION = "1.0.0"\r\nVERSION = "1.0.0"\r\n'
    out = rewrite_version_pattern(
        text, 'VERSION = "{version}"', "1.1.0", Path("v.py"), whole_line=True
    )
    assert out == 'X_VERSION = "1.0.0"\r\nVERSION = "1.1.0"\r\nVERSION = "1.0.0"\r\n'
    with pytest.raises(RKError) as caught:
        rewrite_version_pattern(
            "VERSION = '1.0'\n", 'VERSION = "{version}"', "1.1", Path("v.py"), whole_line=True
        )
    assert caught.value.code == "RK-VERSION-PATTERN"


def test_a_dist_not_at_the_files_version_names_the_file(tmp_path: Path) -> None:
    manifest = write(tmp_path / "pyproject.toml", dump(member("a", None)))
    found = file_version.FileVersion(
        "hatch", tmp_path / "a/v.py", "1.0.0", 1, '__version__ = "{version}"'
    )
    release = Release(
        id="py/a",
        ecosystem="uv",
        name="a",
        version="1.1.0",
        path=str(tmp_path),
        manifest=str(manifest),
        repo_root=str(tmp_path),
        registry="https://pypi.org/simple/",
    )
    with pytest.raises(RKError) as caught:
        check_dist_versions([tmp_path / "a-1.0.0.tar.gz"], release, None, found)
    assert caught.value.code == "RK-BUILD-VERSION"
    assert "the backend read it from a/v.py (hatch), which holds 1.0.0" in caught.value.message
