"""The project's own tasks — and it releases itself with itself.

    doit test    the whole suite (ruff, mypy, pytest)     doit demo   the demo
    doit bench   both benchmarks                          doit plan   this repo's release plan
"""

from releasekit_tasks import *  # noqa: F403 — plan, check, publish … for releasekit-tasks itself
from releasekit_tasks import DOIT_CONFIG as _RELEASE_CONFIG

DOIT_CONFIG = {**_RELEASE_CONFIG, "default_tasks": ["test"]}


def task_test() -> dict:
    """ruff, mypy and pytest (what CI runs)."""
    return {"actions": ["bash scripts/test.sh"], "verbosity": 2, "uptodate": [False]}


def task_lint() -> dict:
    """ruff and mypy only."""
    return {"actions": ["ruff check releasekit_tasks tests demo bench", "mypy"], "verbosity": 2}


def task_demo() -> dict:
    """Publish the sample monorepo to local registries and install the results."""
    return {"actions": ["bash scripts/demo.sh"], "verbosity": 2, "uptodate": [False]}


def task_bench() -> dict:
    """Print the plan and publish benchmark figures."""
    return {
        "actions": ["python bench/plan.py", "python bench/publish.py --quick"],
        "verbosity": 2,
        "uptodate": [False],
    }
