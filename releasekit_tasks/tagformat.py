"""Tag templates: the one place that checks, renders and matches ``tag_format`` strings.

A template names a release tag with placeholders:

    {name}     the package name (``@genkit-ai/core``, ``genkit``)
    {short}    the name without its npm scope or Go module path (``core``), as
               vite's, release-please's and genkit's older tags spell it
    {version}  the version as its ecosystem spells it (exactly once)
    {label}    the ecosystem label (``py``, ``js``)
    {dir}      the package folder relative to the repository (``go/plugins/x``)

``tag_format``, ``secondary_tag_format`` and (without ``{name}``/``{dir}``)
``umbrella_tag`` are templates. A template that uses another placeholder, has
an unbalanced brace or lacks ``{version}`` is ``RK-CONFIG-TAG-FORMAT`` —
raised when the configuration is read, so ``doit check`` and every other task
report it before anything runs.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit_tasks.errors import RKError
from releasekit_tasks.vcs import repo_toplevel

if TYPE_CHECKING:
    from releasekit_tasks.config import RootConfig
    from releasekit_tasks.model import Package

PACKAGE_FIELDS = ("name", "short", "version", "label", "dir")
UMBRELLA_FIELDS = ("version", "label")
# Characters git refuses in a ref name (git check-ref-format), besides the braces we parse.
_BAD_REF_CHARS = frozenset(" ~^:?*[\\\x7f")


def fields(template: str) -> list[str]:
    """The placeholder names of ``template``, in order; ValueError when braces are unbalanced."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"`{{{field}}}` takes no format spec or conversion")
        names.append(field)
    return names


def check_template(
    template: str,
    *,
    key: str,
    allowed: tuple[str, ...] = PACKAGE_FIELDS,
    path: Path | None = None,
    line: int | None = None,
) -> None:
    """Raise RK-CONFIG-TAG-FORMAT unless ``template`` is a usable tag template."""

    def bad(problem: str) -> RKError:
        spelled = ", ".join(f"{{{f}}}" for f in allowed)
        return RKError(
            "RK-CONFIG-TAG-FORMAT",
            f"`{key}` = {template!r}: {problem}",
            path=path,
            line=line,
            fix=f"use only {spelled}, with {{version}} exactly once, e.g. "
            + ('"{name}-v{version}"' if "name" in allowed else '"v{version}"'),
        )

    try:
        names = fields(template)
    except ValueError as exc:
        raise bad(f"unbalanced or malformed placeholder ({exc})") from None
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise bad(f"unknown placeholder {{{unknown[0]}}}")
    if names.count("version") != 1:
        raise bad("needs {version} exactly once")
    sample = render(template, name="pkg", version="1.0.0", label="py", dir="pkg")
    if (
        not sample
        or _BAD_REF_CHARS & set(sample)
        or ".." in sample
        or sample.startswith(("/", "-"))
        or sample.endswith(("/", ".", ".lock"))
        or "//" in sample
    ):
        raise bad("does not make a valid git tag name")


def short_name(name: str) -> str:
    """``@genkit-ai/core`` → ``core``; ``github.com/acme/x/v2`` → ``v2``; ``genkit`` → ``genkit``."""
    return name.rsplit("/", 1)[-1]


def render(template: str, *, name: str = "", version: str, label: str = "", dir: str = "") -> str:
    """The tag ``template`` names for these values (the template is already checked)."""
    return template.format(name=name, short=short_name(name), version=version, label=label, dir=dir)


def affixes(template: str, *, name: str = "", label: str = "", dir: str = "") -> tuple[str, str]:
    """The text before and after ``{version}`` once the other placeholders are filled.

    Finding a package's tags by prefix and suffix needs no regex per package,
    which matters with thousands of tags and a hundred packages.
    """
    before, _, after = template.partition("{version}")
    values = {"name": name, "short": short_name(name), "label": label, "dir": dir}
    return before.format(**values), after.format(**values)


def version_of(tag: str, before: str, after: str) -> str | None:
    """The version part of ``tag`` when it has these affixes, else None."""
    if len(tag) > len(before) + len(after) and tag.startswith(before) and tag.endswith(after):
        return tag[len(before) : len(tag) - len(after)]
    return None


def tag_format(package: Package, config: RootConfig) -> str:
    """The template of ``package``'s tags: its own, else its ecosystem's, else the root's."""
    return package.tag_format or config.policy(package.label).tag_format


def toplevel(config: RootConfig) -> Path:
    """The git work tree's top (tags' ``{dir}`` is relative to it), else the config root."""
    return repo_toplevel(config.root) or config.root
