from pathlib import Path

import pytest

from releasekit_tasks.config import load_package_config, load_root_config
from releasekit_tasks.errors import RKError
from tests.repos.common import snapshot, write


def make(tmp_path: Path, text: str) -> Path:
    write(tmp_path / "releasekit.toml", text)
    write(tmp_path / "js/pnpm-workspace.yaml", "packages: ['packages/*']\n")
    return tmp_path


def test_defaults_and_kind_detection(tmp_path: Path) -> None:
    config = load_root_config(make(tmp_path, "[ecosystems.js]\nworkspace_root = 'js'\n"))
    assert config.synchronize is False
    assert config.publish_from == "local"
    eco = config.ecosystems["js"]
    assert eco.kind == "pnpm"
    assert eco.workspace_root == (tmp_path / "js").resolve()
    assert eco.registry == "https://registry.npmjs.org/"


@pytest.mark.parametrize(
    ("text", "code", "line", "needle"),
    [
        ("synchronise = true\n", "RK-CONFIG-UNKNOWN-KEY", 1, "did you mean `synchronize`"),
        ("tag_format = 'x'\nsynchronize = 'yes'\n", "RK-CONFIG-TYPE", 2, "must be a boolean"),
        ("publish_from = 'laptop'\n", "RK-CONFIG-VALUE", 1, "allowed: local, ci"),
        (
            "[ecosystems.js]\nworkspace_root = 'js'\nregistyr = 'x'\n",
            "RK-CONFIG-UNKNOWN-KEY",
            3,
            "`registry`",
        ),
        ("[ecosystems.js]\nkind = 'cargo'\n", "RK-ECOSYSTEM-UNKNOWN", None, "cargo"),
        ("[ecosystems.js]\nworkspace_root = 'nowhere'\n", "RK-WORKSPACE-MISSING", 1, "cannot tell"),
        ("synchronize = true\n[broken\n", "RK-CONFIG-PARSE", 2, "invalid TOML"),
    ],
)
def test_bad_config_is_coded_and_changes_nothing(
    tmp_path: Path, text: str, code: str, line: int | None, needle: str
) -> None:
    root = make(tmp_path, text)
    before = snapshot(root)
    with pytest.raises(RKError) as err:
        load_root_config(root)
    assert err.value.code == code
    assert needle in err.value.render()
    assert err.value.path == root / "releasekit.toml"
    if line is not None:
        assert err.value.line == line
    assert snapshot(root) == before


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(RKError) as err:
        load_root_config(tmp_path)
    assert err.value.code == "RK-CONFIG-MISSING"


def test_package_config(tmp_path: Path) -> None:
    write(tmp_path / "pkg/releasekit.toml", "group = 'core'\npublishable = false\n")
    config = load_package_config(tmp_path / "pkg", tmp_path)
    assert (config.group, config.publishable) == ("core", False)
    write(tmp_path / "bad/releasekit.toml", "grup = 'core'\n")
    with pytest.raises(RKError) as err:
        load_package_config(tmp_path / "bad", tmp_path)
    assert err.value.code == "RK-CONFIG-UNKNOWN-KEY"
    assert "group" in err.value.message
