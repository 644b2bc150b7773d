import pytest

from releasekit_tasks import semver


@pytest.mark.parametrize(
    ("version", "range_text", "expected"),
    [
        ("1.2.3", "^1.0.0", True),
        ("2.0.0", "^1.0.0", False),
        ("0.2.5", "^0.2.0", True),
        ("0.3.0", "^0.2.0", False),
        ("0.0.3", "^0.0.2", False),
        ("1.2.9", "~1.2.0", True),
        ("1.3.0", "~1.2.0", False),
        ("1.2.3", "1.x", True),
        ("2.0.0", "1.x", False),
        ("1.2.3", "*", True),
        ("1.2.3", "", True),
        ("1.2.3", ">=1.0.0 <1.2.0", False),
        ("1.1.0", ">= 1.0.0 < 1.2", True),
        ("1.5.0", "1.0.0 - 2.0.0", True),
        ("2.0.1", "1.0.0 - 2.0.0", False),
        ("3.0.0", "^1 || ^3", True),
        ("1.2.4", "1.2", True),
        ("1.2.3-rc.1", "^1.2.0", False),  # node-semver's prerelease rule
        ("1.2.3-rc.1", "^1.2.3-rc.0", True),
        ("1.2.3", "=1.2.3", True),
        ("1.2.4", ">1.2", False),
        ("1.3.0", ">1.2", True),
    ],
)
def test_npm_ranges(version: str, range_text: str, expected: bool) -> None:
    assert semver.satisfies(version, range_text) is expected


def test_precedence_follows_semver_rules() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
    parsed = [semver.parse(v) for v in ordered]
    assert all(p is not None for p in parsed)
    assert sorted(parsed, key=lambda v: v.key()) == parsed  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-", "1.2.3+", "latest", "1.2.3.4"])
def test_invalid_versions(text: str) -> None:
    assert not semver.is_valid(text)
    assert semver.parse(text) is None
