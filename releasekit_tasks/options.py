"""The command-line options: doit variables (``name=value``), else ``RELEASEKIT_<NAME>``.

Every option is read and validated once, when the tasks load, so a typo such
as ``poll_timeout=abc``, ``retries=-1``, ``dry_run=maybe`` or
``ecosystem=cobol`` stops the command before anything runs (exit 3, doit's
"bad command line"), naming the option and where it came from, instead of a
traceback in the middle of a publish. README "Options" documents each one.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from releasekit_tasks.errors import RKError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Spec:
    default: str
    check: Callable[[str], str | None]  # the problem with a value, or None when it is fine
    expected: str  # what a valid value looks like, for the fix


def _flag(value: str) -> str | None:
    return None if value.lower() in _TRUE + _FALSE else "is not a yes/no value"


def _integer(minimum: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return "is not a whole number"
        return None if number >= minimum else f"must be at least {minimum}"

    return check


def _seconds(value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return "is not a number of seconds"
    return None if number > 0 and number != float("inf") else "must be more than 0 seconds"


def _choice(*allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"is not one of {', '.join(allowed)}"

    return check


def _pattern(regex: str, problem: str) -> Callable[[str], str | None]:
    compiled = re.compile(regex)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else problem

    return check


def _any(value: str) -> str | None:
    return None


_NAME_LIST = r"[^\s,]+(,[^\s,]+)*|"

SPECS: dict[str, Spec] = {
    "dry_run": Spec("0", _flag, "dry_run=1 or dry_run=0"),
    "force": Spec("0", _flag, "force=1 or force=0"),
    "push": Spec("1", _flag, "push=1 or push=0"),
    "poll_timeout": Spec("300", _seconds, "a number of seconds above 0, e.g. poll_timeout=300"),
    "retries": Spec("5", _integer(0), "a whole number of attempts ≥ 0, e.g. retries=5"),
    "poll_concurrency": Spec("16", _integer(1), "a whole number ≥ 1, e.g. poll_concurrency=16"),
    "bump": Spec("auto", _choice("auto", "patch", "minor", "major"), "bump=auto|patch|minor|major"),
    "prerelease": Spec(
        "",
        _pattern(r"([A-Za-z]+(\.\d+)?)?", "is not a word with an optional .N"),
        "prerelease=rc, beta, alpha or rc.2",
    ),
    "remote": Spec(
        "origin", _pattern(r"[^-\s][^\s]*", "is not a git remote name"), "remote=origin"
    ),
    "group": Spec("", _pattern(_NAME_LIST, "is not a comma-separated list"), "group=a,b"),
    "package": Spec("", _pattern(_NAME_LIST, "is not a comma-separated list"), "package=py/x,js/y"),
    "ecosystem": Spec("", _pattern(_NAME_LIST, "is not a comma-separated list"), "ecosystem=py"),
    # "" = the config's `trusted_publishing`; the value goes to `uv publish` as it is.
    "trusted_publishing": Spec(
        "",
        _choice("", "automatic", "always", "never"),
        "trusted_publishing=automatic|always|never",
    ),
}


def raw(name: str) -> tuple[str, str]:
    """(value, where it came from: ``name=…`` or ``RELEASEKIT_NAME``); the default if unset."""
    from doit import get_var

    value = get_var(name, None)
    if value is not None:
        return str(value), name
    env = f"RELEASEKIT_{name.upper()}"
    if env in os.environ:
        return os.environ[env], env
    return SPECS[name].default if name in SPECS else "", name


def text(name: str) -> str:
    return raw(name)[0]


def flag(name: str) -> bool:
    return text(name).lower() in _TRUE


def integer(name: str) -> int:
    return int(text(name))


def seconds(name: str) -> float:
    return float(text(name))


def listed(name: str) -> tuple[str, ...]:
    return tuple(v for v in text(name).split(",") if v)


def _invalid(name: str, value: str, source: str, problem: str) -> RKError:
    spelled = f"{source}={value}" if source != name else f"{name}={value}"
    return RKError(
        "RK-OPTION-INVALID",
        f"`{spelled}`: {name} {problem}",
        fix=f"pass {SPECS[name].expected}" if name in SPECS else None,
    )


def check_all(known_ecosystems: Callable[[], set[str] | None] = lambda: None) -> None:
    """Validate every option that is set; ``known_ecosystems`` gives the labels and kinds
    ``ecosystem=`` may name (None when the config cannot be read: its error comes later)."""
    for name, spec in SPECS.items():
        value, source = raw(name)
        problem = spec.check(value)
        if problem:
            raise _invalid(name, value, source, problem)
    wanted = listed("ecosystem")
    if wanted:
        known = known_ecosystems()
        unknown = [e for e in wanted if known is not None and e not in known]
        if unknown and known is not None:
            value, source = raw("ecosystem")
            raise RKError(
                "RK-OPTION-INVALID",
                f"`{source}={value}`: no ecosystem {', '.join(unknown)} in releasekit.toml",
                fix=f"use an ecosystem label or kind: {', '.join(sorted(known))}",
            )


@functools.cache
def validated(root: Path) -> None:
    """:func:`check_all` for the workspace at ``root``, once per process."""
    from releasekit_tasks.config import load_root_config

    def known() -> set[str] | None:
        try:
            config = load_root_config(root)
        except RKError:
            return None
        return {label for label in config.ecosystems} | {
            eco.kind for eco in config.ecosystems.values()
        }

    check_all(known)
