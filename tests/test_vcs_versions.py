"""Versions the build backend derives from git tags (pydantic-ai: hatchling + uv-dynamic-versioning).

The pydantic-ai-shaped repository (tests/repos/realworld.py) goes through
``init`` → ``doit plan`` → ``doit version`` → ``doit bump`` → ``doit build`` (the
real ``uv build``, backends from PyPI) → ``doit tag``; hatch-vcs and
setuptools-scm variants through ``init`` → ``plan`` → ``version``. The
pieces (tag patterns, overrides, version checks) are tested directly below.
"""

from __future__ import annotations

import email.parser
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.uv import vcs_version
from releasekit_tasks.ecosystems.uv.build import check_dist_versions, check_wheel_pins
from releasekit_tasks.ecosystems.uv.discover import discover_workspace
from releasekit_tasks.errors import RKError
from releasekit_tasks.publish.release import Release
from tests.publishing import doit
from tests.repos import realworld
from tests.repos.common import git_init, snapshot, write
from tests.repos.uv import dump, member, uv_workspace
from tests.servers import PypiServer

MEMBERS = ("py/pydantic-ai", "py/pydantic-ai-slim", "py/pydantic-evals", "py/pydantic-graph")


def init(root: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "releasekit_tasks", "init"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def plan(root: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(doit(root, "plan", "--format", "json").stdout)}


def use_registry(root: Path, pypi: PypiServer) -> None:
    """Publish the py ecosystem to the loopback index (PyPI has the real pydantic-ai)."""
    config = (root / "releasekit.toml").read_text()
    config = config.replace(
        'workspace_root = "."', f'workspace_root = "."\nregistry = "{pypi.simple_url}"'
    )
    (root / "releasekit.toml").write_text(config)


def by_name(root: Path) -> dict[str, object]:
    return {p.name: p for p in discover_workspace(root, "py")}


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


# --- pydantic-ai, end to end ------------------------------------------------------------


def test_pydantic_ai_release_from_tags_to_built_dists(
    tmp_path: Path, pypi_server: PypiServer
) -> None:
    root = realworld.pydantic_ai_like(tmp_path / "pydantic-ai")
    found = discover_workspace(root, "py")
    assert {(p.name, p.version, p.version_source, p.vcs_version) for p in found} == {
        (name, "1.0.10", "tag v1.0.10 (uv-dynamic-versioning)", "uv-dynamic-versioning")
        for name in ("pydantic-ai", "pydantic-ai-slim", "pydantic-evals", "pydantic-graph")
    }
    # the metadata hook's `=={{ version }}` requirements are the graph's edges
    edges = {p.name: {(d.name, d.spec) for d in p.internal_dependencies} for p in found}
    assert edges["pydantic-ai"] == {("pydantic-ai-slim", "=={{ version }}")}
    assert edges["pydantic-ai-slim"] == {("pydantic-graph", "=={{ version }}")}
    assert edges["pydantic-evals"] == {("pydantic-ai-slim", ">=1.0.10")}

    out = init(root)
    assert (
        "4 of 4 publishable members take their version from git tags (uv-dynamic-versioning)" in out
    )
    config = (root / "releasekit.toml").read_text()
    py = config.split("[ecosystems.py]")[1]
    assert 'tag_format = "v{version}"' in py  # one tag releases every member
    assert "synchronize = true" in py and 'umbrella_tag = "v{version}"' in py
    assert "bootstrap_sha" not in py  # the members' own tags are the v… tags
    use_registry(root, pypi_server)
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore: releasekit-tasks")

    rows = plan(root)
    assert {pid: (rows[pid]["version"], rows[pid]["next"]) for pid in MEMBERS} == dict.fromkeys(
        MEMBERS, ("1.0.10", "1.1.0")
    )
    assert "feat: slim gains a feature" in rows["py/pydantic-ai-slim"]["why"]
    assert doit(root, "check").returncode == 0
    version = doit(root, "version").stdout
    assert "release  py/pydantic-ai 1.0.10 → 1.1.0 (minor)" in version

    before = snapshot(root)
    bump = doit(root, "bump").stdout
    after = snapshot(root)
    changed = {f for f in after if before.get(f) != after[f]} - {
        f for f in after if f.startswith(".releasekit/")
    }
    # No version written into any pyproject.toml: only evals' specifier on slim moved,
    # and the versions file holds 1.1.0 until the tag exists.
    assert changed == {"pydantic_evals/pyproject.toml", ".releasekit-versions.json"}, bump
    evals = after["pydantic_evals/pyproject.toml"].decode()
    assert 'dependencies = ["pydantic-ai-slim>=1.1.0"]' in evals
    assert before["pydantic_evals/pyproject.toml"].decode().replace(">=1.0.10", ">=1.1.0") == evals
    assert json.loads(after[".releasekit-versions.json"]) == {
        ".": "1.1.0",
        "pydantic_ai_slim": "1.1.0",
        "pydantic_evals": "1.1.0",
        "pydantic_graph": "1.1.0",
    }
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore(release): v1.1.0")
    slim = by_name(root)["pydantic-ai-slim"]
    assert (slim.version, slim.version_source) == (  # type: ignore[attr-defined]
        "1.1.0",
        "versions file (uv-dynamic-versioning; the tag is not made yet)",
    )

    # Built before the tag exists: the override variable gives the build its version.
    build = doit(root, "build", timeout=900)
    assert (
        "no tag at HEAD gives uv-dynamic-versioning the version 1.1.0 yet (`doit tag` makes it); "
        "built with UV_DYNAMIC_VERSIONING_BYPASS=1.1.0" in build.stdout
    )
    dist = root / ".releasekit" / "dist"
    built = sorted(p.name for p in dist.rglob("*") if p.suffix in (".whl", ".gz"))
    assert built == [
        "pydantic_ai-1.1.0-py3-none-any.whl",
        "pydantic_ai-1.1.0.tar.gz",
        "pydantic_ai_slim-1.1.0-py3-none-any.whl",
        "pydantic_ai_slim-1.1.0.tar.gz",
        "pydantic_evals-1.1.0-py3-none-any.whl",
        "pydantic_evals-1.1.0.tar.gz",
        "pydantic_graph-1.1.0-py3-none-any.whl",
        "pydantic_graph-1.1.0.tar.gz",
    ]
    top = wheel_metadata(next(dist.rglob("pydantic_ai-1.1.0-py3-none-any.whl")))
    assert top["Version"] == "1.1.0"
    assert top.get_all("Requires-Dist") == ["pydantic-ai-slim==1.1.0"]
    evals_meta = wheel_metadata(next(dist.rglob("pydantic_evals-1.1.0-py3-none-any.whl")))
    assert evals_meta.get_all("Requires-Dist") == ["pydantic-ai-slim==1.1.0"]  # pinned at build
    assert realworld.git(root, "status", "--porcelain") == ""  # the checkout is untouched

    # `doit tag` makes the one tag every backend reads; then the tag is the version.
    tagged = doit(root, "tag", "push=0").stdout
    assert "tag  v1.1.0" in tagged
    assert realworld.git(root, "tag", "--points-at", "HEAD").split() == ["v1.1.0"]
    assert {p.version_source for p in discover_workspace(root, "py")} == {  # type: ignore[attr-defined]
        "tag v1.1.0 (uv-dynamic-versioning)"
    }


@pytest.mark.parametrize("backend", ["hatch-vcs", "setuptools-scm"])
def test_hatch_vcs_and_setuptools_scm_versions_come_from_tags(
    tmp_path: Path, backend: str, pypi_server: PypiServer
) -> None:
    root = realworld.pydantic_ai_like(tmp_path / "repo", backend)
    packages = discover_workspace(root, "py")
    assert {(p.version, p.version_source) for p in packages} == {
        ("1.0.10", f"tag v1.0.10 ({backend})")
    }
    out = init(root)
    assert f"take their version from git tags ({backend})" in out
    use_registry(root, pypi_server)
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore: releasekit-tasks")
    rows = plan(root)
    assert {pid: rows[pid]["next"] for pid in MEMBERS} == dict.fromkeys(MEMBERS, "1.1.0")
    version = doit(root, "version").stdout
    assert "release  py/pydantic-evals 1.0.10 → 1.1.0 (minor)" in version
    bump = doit(root, "bump", "dry_run=1").stdout
    # no manifest gets a version; the requirements (>=1.0.10) move: the root's and
    # evals' on slim, slim's on graph
    assert sorted(line.split()[-1] for line in bump.splitlines() if "would write" in line) == [
        ".releasekit-versions.json",
        "pydantic_ai_slim/pyproject.toml",
        "pydantic_evals/pyproject.toml",
        "pyproject.toml",
    ]
    doit(root, "bump")
    realworld.git(root, "add", "-A")
    realworld.git(root, "commit", "-q", "-m", "chore(release): v1.1.0")
    # The pinned pyproject.toml makes the tree dirty and no tag is at HEAD: without
    # SETUPTOOLS_SCM_PRETEND_VERSION_FOR_<NAME> setuptools-scm would build 1.1.1.dev…
    doit(root, "build", timeout=900)
    built = sorted(p.name for p in (root / ".releasekit/dist").rglob("*") if p.suffix == ".whl")
    assert built == [
        f"{name}-1.1.0-py3-none-any.whl"
        for name in ("pydantic_ai", "pydantic_ai_slim", "pydantic_evals", "pydantic_graph")
    ]


# --- tag patterns -------------------------------------------------------------------------


def tagged_repo(root: Path, doc: dict, *tags: str) -> Path:
    uv_workspace(root, {"packages/a": doc})
    git_init(root)
    for name in tags:
        realworld.tag(root, name)
    return root


def dynamic(tool: dict, name: str = "a", **build: object) -> dict:
    doc = member(name, None)
    doc["tool"] = tool
    if build:
        doc["build-system"] = build
    return doc


@pytest.mark.parametrize(
    ("tool", "build", "tags", "expected"),
    [
        # uv-dynamic-versioning: dunamai's default pattern reads only `v…`
        (
            {"hatch": {"version": {"source": "uv-dynamic-versioning"}}},
            {},
            ("v1.2.0", "v1.10.0rc1", "a-v9.0.0", "2.0.0"),
            ("1.10.0rc1", "tag v1.10.0rc1 (uv-dynamic-versioning)"),
        ),
        (
            {
                "hatch": {"version": {"source": "uv-dynamic-versioning"}},
                "uv-dynamic-versioning": {"pattern-prefix": "a-"},
            },
            {},
            ("v3.0.0", "a-v1.4.0", "b-v2.0.0"),
            ("1.4.0", "tag a-v1.4.0 (uv-dynamic-versioning)"),
        ),
        (
            {
                "hatch": {"version": {"source": "uv-dynamic-versioning"}},
                "uv-dynamic-versioning": {"pattern": "default-unprefixed"},
            },
            {},
            ("2.1.0", "v1.0.0"),
            ("2.1.0", "tag 2.1.0 (uv-dynamic-versioning)"),
        ),
        # hatch-vcs: tag-pattern, overridden by raw-options' tag_regex
        (
            {"hatch": {"version": {"source": "vcs", "tag-pattern": r"^a@(?P<version>.+)$"}}},
            {},
            ("v5.0.0", "a@0.3.1"),
            ("0.3.1", "tag a@0.3.1 (hatch-vcs)"),
        ),
        (
            {
                "hatch": {
                    "version": {
                        "source": "vcs",
                        "tag-pattern": r"^nope(?P<version>.+)$",
                        "raw-options": {"tag_regex": r"^rel-(\d+\.\d+\.\d+)$"},
                    }
                }
            },
            {},
            ("rel-0.9.0", "nope1.0.0"),
            ("0.9.0", "tag rel-0.9.0 (hatch-vcs)"),
        ),
        # setuptools-scm: the default reads `[prefix-]v1.2.3`; activated by requires too
        (
            {"setuptools_scm": {}},
            {},
            ("pkg-v1.2.3", "v1.2.0"),
            ("1.2.3", "tag pkg-v1.2.3 (setuptools-scm)"),
        ),
        (
            {},
            {"requires": ["setuptools", "setuptools_scm[toml]>=8"]},
            ("v0.4.0",),
            ("0.4.0", "tag v0.4.0 (setuptools-scm)"),
        ),
        # pdm-backend: tag_filter narrows the tags before tag_regex
        (
            {
                "pdm": {
                    "version": {
                        "source": "scm",
                        "tag_filter": "a/*",
                        "tag_regex": r"^a/(?P<version>.+)$",
                    }
                }
            },
            {},
            ("a/1.1.0", "b/2.0.0", "3.0.0"),
            ("1.1.0", "tag a/1.1.0 (pdm-backend)"),
        ),
        # no matching tag yet: the version is unknown, the first release is 0.1.0
        (
            {"hatch": {"version": {"source": "uv-dynamic-versioning"}}},
            {},
            ("release-1",),
            (None, "no tag yet (uv-dynamic-versioning, its default tag pattern)"),
        ),
    ],
)
def test_the_backends_tag_pattern_gives_the_version(
    tmp_path: Path, tool: dict, build: dict, tags: tuple[str, ...], expected: tuple
) -> None:
    root = tagged_repo(tmp_path, dynamic(tool, **build), *tags)
    (package,) = discover_workspace(root, "py")
    assert (package.version, package.version_source) == expected
    assert package.vcs_version


def test_a_tag_not_reachable_from_head_does_not_count(tmp_path: Path) -> None:
    root = tagged_repo(tmp_path, dynamic({"setuptools_scm": {}}), "v1.0.0")
    realworld.git(root, "checkout", "-q", "-b", "other")
    realworld.commit(root, "feat: elsewhere", "packages/a/x.py")
    realworld.tag(root, "v2.0.0")
    realworld.git(root, "checkout", "-q", "main")
    (package,) = discover_workspace(root, "py")
    assert package.version == "1.0.0"


@pytest.mark.parametrize(
    ("tables", "key", "message"),
    [
        (
            '[tool.hatch.version]\nsource = "vcs"\ntag-pattern = "^v(?P<version>[0-9+"\n',
            "tag-pattern",
            "is not a valid regular expression",
        ),
        (
            "[tool.hatch.version]\nsource = \"vcs\"\ntag-pattern = '^v(\\d+)\\.(\\d+)$'\n",
            "tag-pattern",
            "needs a group named `version`",
        ),
        (
            '[tool.hatch.version]\nsource = "uv-dynamic-versioning"\n\n'
            "[tool.uv-dynamic-versioning]\npattern = '^v(?P<version>.+)$'\n",
            "pattern",
            "has no `base` group",
        ),
        (
            '[tool.pdm.version]\nsource = "scm"\ntag_filter = 3\n',
            "tag_filter",
            "must be a string",
        ),
    ],
)
def test_a_bad_tag_pattern_is_a_coded_error_at_its_line(
    tmp_path: Path, tables: str, key: str, message: str
) -> None:
    uv_workspace(tmp_path, {})
    manifest = write(
        tmp_path / "packages/a/pyproject.toml",
        '[project]\nname = "a"\ndynamic = ["version"]\n\n' + tables,
    )
    with pytest.raises(RKError) as caught:
        discover_workspace(tmp_path, "py")
    err = caught.value
    assert (err.code, err.path) == ("RK-MANIFEST-FIELD", manifest)
    assert message in err.message
    assert err.line is not None
    assert manifest.read_text().splitlines()[err.line - 1].startswith(key)


def test_override_variables_are_the_backends_documented_ones() -> None:
    def env(source: str) -> str:
        return vcs_version.VcsVersion(source, "^v(?P<version>.+)$", False, "").override_env(
            "pydantic.ai_Slim"
        )

    assert env(vcs_version.UV_DYNAMIC_VERSIONING) == "UV_DYNAMIC_VERSIONING_BYPASS"
    assert env(vcs_version.PDM_BACKEND) == "PDM_BUILD_SCM_VERSION"
    assert env(vcs_version.SETUPTOOLS_SCM) == "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_PYDANTIC_AI_SLIM"
    # hatch-vcs does not pass the name on: the named variable would be ignored (the
    # hatch-vcs build in test_hatch_vcs_and_setuptools_scm_… fails with it)
    assert env(vcs_version.HATCH_VCS) == "SETUPTOOLS_SCM_PRETEND_VERSION"


# --- releases: tags the backend reads, unknown dynamic versions ------------------------------


def small_repo(root: Path, tool: dict, config: str) -> Path:
    uv_workspace(root, {"packages/a": dynamic(tool)})
    write(root / "packages/a/README.md", "# a\n")
    write(root / "releasekit.toml", config)
    write(root / "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
    write(root / ".gitignore", ".releasekit/\n")
    git_init(root)
    realworld.tag(root, "a-v1.0.0")
    realworld.commit(root, "feat: more", "packages/a/x.py")
    return root


PREFIXED = {
    "hatch": {"version": {"source": "uv-dynamic-versioning"}},
    "uv-dynamic-versioning": {"pattern-prefix": "a-"},
}
CONFIG = '[ecosystems.py]\nkind = "uv"\nworkspace_root = "."\ntag_format = "{tag}"\n'


def test_a_release_tag_the_backend_cannot_read_is_refused(tmp_path: Path) -> None:
    root = small_repo(tmp_path / "bad", PREFIXED, CONFIG.format(tag="{name}@{version}"))
    result = doit(root, "version", check=False)
    assert result.returncode != 0
    assert "RK-VERSION-TAG-PATTERN" in result.stderr + result.stdout
    # a@… is no tag of a's, so this is a's first release, at the version of its a-v1.0.0
    assert (
        "py/a builds its version from git tags (uv-dynamic-versioning, [tool.uv-dynamic-versioning]"
        " pattern-prefix = 'a-'), but reads 1.0.0 from none of the release's tags (a@1.0.0)"
    ) in result.stdout
    good = small_repo(tmp_path / "good", PREFIXED, CONFIG.format(tag="{name}-v{version}"))
    assert "release  py/a 1.0.0 → 1.1.0 (minor)" in doit(good, "version").stdout


def test_an_unknown_dynamic_version_is_explained_in_plan_and_check(tmp_path: Path) -> None:
    tool = {"hatch": {"version": {"source": "code", "path": "src/a/__init__.py"}}}
    root = small_repo(tmp_path, tool, CONFIG.format(tag="{name}-v{version}"))
    check = doit(root, "check").stdout
    assert (
        "warning[RK-VERSION-DYNAMIC] py/a: releasekit cannot read or bump its version (dynamic: "
        'set by [tool.hatch.version] source = "code"), so it is left out of releases' in check
    )
    assert "hatch-vcs, uv-dynamic-versioning, setuptools-scm or pdm-backend" in check
    row = plan(root)["py/a"]
    assert row["next"] in (None, "")
    assert (
        'version unknown to releasekit (dynamic: set by [tool.hatch.version] source = "code")'
        in (row["why"])
    )


# --- build checks ---------------------------------------------------------------------------


def release(tmp_path: Path, version: str = "1.1.0") -> Release:
    manifest = write(tmp_path / "pyproject.toml", dump(member("a", version)))
    return Release(
        id="py/a",
        ecosystem="uv",
        name="a",
        version=version,
        path=str(tmp_path),
        manifest=str(manifest),
        repo_root=str(tmp_path),
        registry="https://pypi.org/simple/",
    )


def test_a_dist_of_another_version_is_refused(tmp_path: Path) -> None:
    good = [tmp_path / "a-1.1.0-py3-none-any.whl", tmp_path / "a-1.1.0.tar.gz"]
    check_dist_versions(good, release(tmp_path), None)
    found = vcs_version.VcsVersion(vcs_version.UV_DYNAMIC_VERSIONING, "^v(?P<base>.+)$", False, "")
    with pytest.raises(RKError) as caught:
        check_dist_versions(
            [tmp_path / "a-1.1.1.dev2+g1234-py3-none-any.whl"], release(tmp_path), found
        )
    assert caught.value.code == "RK-BUILD-VERSION"
    assert "has version 1.1.1.dev2+g1234, not 1.1.0" in caught.value.message
    assert "UV_DYNAMIC_VERSIONING_BYPASS=1.1.0, which the backend ignored" in caught.value.message


def test_a_hook_pin_is_exact_whatever_the_pin_mode(tmp_path: Path) -> None:
    wheel = tmp_path / "a-1.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "a-1.1.0.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: a\nVersion: 1.1.0\nRequires-Dist: b==1.1.0\n",
        )
    check_wheel_pins(wheel, {"b": "1.1.0"}, "compatible", {"b"})
    with pytest.raises(RKError, match=re.escape("expected b>=1.1.0,<2")):
        check_wheel_pins(wheel, {"b": "1.1.0"}, "compatible")


@pytest.mark.parametrize(
    ("tool", "warned"),
    [
        ({"hatch": {"version": {"source": "uv-dynamic-versioning"}}}, True),  # reads `v…` only
        (PREFIXED, False),  # reads `a-v…`, as the default tag_format writes it
    ],
)
def test_init_warns_when_the_backend_would_not_read_releasekits_tags(
    tmp_path: Path, tool: dict, warned: bool
) -> None:
    root = tagged_repo(tmp_path, dynamic(tool))  # no tags yet
    out = init(root)
    warning = (
        "[py] warning: py/a builds its version from git tags (uv-dynamic-versioning, its default "
        "tag pattern), but reads 1.2.3 from none of the release's tags (a-v1.2.3); set "
        "`tag_format` in [ecosystems.py]"
    )
    assert (warning in out) is warned, out
    assert ("[py] warning" in out) is warned


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            {"tool": {"hatch": {"version": {"source": "code", "path": "a.py"}}}},
            '[tool.hatch.version] source = "code"',
        ),
        ({"tool": {"pdm": {"version": {"source": "call"}}}}, '[tool.pdm.version] source = "call"'),
        (
            {"build-system": {"build-backend": "maturin"}},
            "the build backend maturin",
        ),
    ],
)
def test_an_unknown_dynamic_version_names_what_sets_it(doc: dict, reason: str) -> None:
    """Neither git tags nor a version file (tests/test_file_versions.py) give it."""
    from releasekit_tasks.ecosystems.uv import file_version

    assert vcs_version.detect(doc, Path("pyproject.toml")) is None
    assert file_version.detect(doc, Path("pyproject.toml")) is None
    assert vcs_version.unknown_reason(doc) == reason


def test_a_backend_reading_another_packages_tags_is_refused(tmp_path: Path) -> None:
    """setuptools-scm's default pattern reads `b-v2.0.0` for a as well: a's version (and
    its builds from git) would follow b's releases."""

    def repo(root: Path, a_tool: dict) -> Path:
        uv_workspace(
            root,
            {"packages/a": dynamic(a_tool), "packages/b": dynamic({"setuptools_scm": {}}, "b")},
        )
        write(root / "releasekit.toml", CONFIG.format(tag="{name}-v{version}"))
        write(root / "dodo.py", "from releasekit_tasks import *  # noqa: F403\n")
        write(root / ".gitignore", ".releasekit/\n")
        git_init(root)
        realworld.tag(root, "a-v1.0.0")
        realworld.commit(root, "fix: b", "packages/b/x.py")
        realworld.tag(root, "b-v2.0.0")
        realworld.commit(root, "feat: a", "packages/a/x.py")
        return root

    bad = repo(tmp_path / "bad", {"setuptools_scm": {}})
    result = doit(bad, "plan", check=False)
    assert result.returncode != 0
    assert (
        "RK-VERSION-TAG-PATTERN" in result.stdout
        and "py/a: its build backend (setuptools-scm) reads its version 2.0.0 from the tag "
        "b-v2.0.0, which is not one of its release tags (the latest is a-v1.0.0)"
        in result.stdout
    ), result.stdout
    good = repo(tmp_path / "good", {"setuptools_scm": {"tag_regex": r"^a-(?P<version>v[\d.]+)$"}})
    version = doit(good, "version").stdout
    assert "release  py/a 1.0.0 → 1.1.0 (minor)" in version
