"""What every task creator shares: the repository root and the collected workspace."""

from __future__ import annotations

import os
from pathlib import Path

from releasekit_tasks.graph import Graph, Selection, build_graph
from releasekit_tasks.workspace import collect_cached


def repo_root() -> Path:
    """doit runs task creators with the dodo.py folder as the working directory.

    Every task creator starts here, so the options are validated here too: a bad
    one stops the command at load (exit 3) with RK-OPTION-INVALID.
    """
    from doit.exceptions import InvalidDodoFile

    from releasekit_tasks import options
    from releasekit_tasks.errors import RKError

    root = Path(os.environ.get("RELEASEKIT_ROOT", os.getcwd())).resolve()
    try:
        options.validated(root)
    except RKError as err:
        raise InvalidDodoFile(err.render()) from None
    return root


def load_graph(root: Path) -> Graph:
    return build_graph(collect_cached(root).packages.values())


def selection_params() -> list[dict]:
    """doit task parameters that select packages (shared by plan, graph and publish)."""
    return [
        {
            "name": "group",
            "long": "group",
            "type": list,
            "default": [],
            "help": "only packages with this group label (repeatable)",
        },
        {
            "name": "package",
            "long": "package",
            "type": list,
            "default": [],
            "help": "only this package id or name, plus what it depends on (repeatable)",
        },
        {
            "name": "ecosystem",
            "long": "ecosystem",
            "type": list,
            "default": [],
            "help": "only this ecosystem label or kind (repeatable)",
        },
    ]


def selection(group: list[str], package: list[str], ecosystem: list[str]) -> Selection:
    return Selection(tuple(group), tuple(package), tuple(ecosystem))
