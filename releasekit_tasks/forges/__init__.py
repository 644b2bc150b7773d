"""Forges: the Release PR, labels, releases and dispatches on GitHub or GitLab.

One small interface, :class:`Forge`, with two clients over httpx
(:mod:`.github`, :mod:`.gitlab`), chosen by ``forge = "github" | "gitlab" |
"none"`` in releasekit.toml. Where to talk to and with which token follows
each CI's conventions:

    GitHub  GITHUB_API_URL (default https://api.github.com), GITHUB_REPOSITORY
            or ``repo = "owner/name"``, token GITHUB_TOKEN or GH_TOKEN
    GitLab  CI_API_V4_URL (default https://gitlab.com/api/v4), CI_PROJECT_ID
            or ``repo = "group/project"``, token GITLAB_TOKEN or CI_JOB_TOKEN

``forge_api_url`` in releasekit.toml overrides the API URL. Without a forge
or a token :func:`open_forge` returns ``None`` after one warning line, and the
callers go on with the git and registry work (D-10). Tokens are held by the
client's headers only: never printed, never in an error message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from releasekit_tasks.errors import RKError

FORGES = ("github", "gitlab", "none")

# The Release PR's life, in labels (release-please's names).
PENDING = "autorelease: pending"
TAGGED = "autorelease: tagged"
PUBLISHED = "autorelease: published"
LABELS = (PENDING, TAGGED, PUBLISHED)


@dataclass(frozen=True)
class PullRequest:
    """A pull request (GitHub) or merge request (GitLab); ``number`` is the MR's iid."""

    number: int
    title: str
    body: str
    state: str  # open | closed | merged
    head: str  # the source branch
    base: str  # the target branch
    labels: tuple[str, ...] = ()
    merge_sha: str | None = None  # the commit the merge made (or the squash/rebase head)
    url: str = ""
    merged_at: str = ""  # ISO 8601 (UTC) on both forges, so the strings sort by time


@dataclass(frozen=True)
class Release:
    """A forge release attached to a tag."""

    tag: str
    name: str
    body: str
    prerelease: bool = False
    draft: bool = False
    url: str = ""
    id: int | str = 0


# GitLab pipeline triggers: the variable that holds a downstream project's trigger token.
TRIGGER_TOKEN_ENV = "RELEASEKIT_TRIGGER_TOKEN"


@dataclass(frozen=True)
class DispatchTarget:
    """A repository told after a publish (an entry of ``dispatch``).

    GitHub sends it a ``repository_dispatch``; GitLab triggers its pipeline on ``ref``
    with the trigger token in the environment variable ``token_env`` (trigger tokens
    belong to the downstream project, so each may have its own).
    """

    repo: str
    ref: str = "main"
    token_env: str = TRIGGER_TOKEN_ENV


@dataclass(frozen=True)
class ForgeSettings:
    """Where the forge is and how to authenticate; the token never shows in ``repr``."""

    kind: str  # github | gitlab
    api_url: str
    repo: str  # owner/name (GitHub); a project id or path (GitLab)
    token: str = field(repr=False)
    token_source: str = ""  # the environment variable the token came from
    dispatch: tuple[DispatchTarget, ...] = ()


class Forge(Protocol):
    """What releasekit needs from a forge. ``Forge`` clients are context managers."""

    settings: ForgeSettings

    def default_branch(self) -> str: ...

    def find_open_pr(self, head: str, base: str) -> PullRequest | None: ...

    def open_pr(
        self, head: str, base: str, title: str, body: str, labels: tuple[str, ...]
    ) -> PullRequest: ...

    def update_pr(self, pr: PullRequest, title: str, body: str) -> PullRequest: ...

    def close_pr(self, pr: PullRequest) -> None: ...

    def find_merged_pr(self, head: str, label: str, sha: str | None = None) -> PullRequest | None:
        """The Release PR merged from ``head``: the one associated with commit ``sha``
        if any, else the most recently merged one labelled ``label``."""
        ...

    def merged_prs(self, head: str, label: str) -> list[PullRequest]:
        """Every merged PR from ``head`` still labelled ``label``, the oldest merge first."""
        ...

    def set_labels(
        self, pr: PullRequest, add: tuple[str, ...], remove: tuple[str, ...]
    ) -> None: ...

    def get_release(self, tag: str) -> Release | None: ...

    def create_release(
        self, tag: str, name: str, body: str, *, prerelease: bool, draft: bool
    ) -> Release: ...

    def delete_release(self, tag: str) -> bool: ...

    def dispatch(self, target: DispatchTarget, event_type: str, payload: Mapping[str, Any]) -> bool:
        """Tell ``target`` that ``event_type`` happened; ``False`` if it could not be told."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Forge: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class ForgeConfig:
    """The forge keys of the root releasekit.toml (see docs/configuration.md)."""

    forge: str = "none"
    repo: str | None = None
    forge_api_url: str | None = None
    dispatch: tuple[DispatchTarget, ...] = ()

    @staticmethod
    def of(config: object) -> ForgeConfig:
        """Read the forge keys from a RootConfig (absent keys keep their defaults)."""
        return ForgeConfig(
            forge=getattr(config, "forge", "none") or "none",
            repo=getattr(config, "repo", None),
            forge_api_url=getattr(config, "forge_api_url", None),
            dispatch=tuple(getattr(config, "dispatch", ()) or ()),
        )


_CI = {
    # kind: (API URL variable, default API URL, repository variable, token variables)
    "github": (
        "GITHUB_API_URL",
        "https://api.github.com",
        "GITHUB_REPOSITORY",
        ("GITHUB_TOKEN", "GH_TOKEN"),
    ),
    "gitlab": (
        "CI_API_V4_URL",
        "https://gitlab.com/api/v4",
        "CI_PROJECT_ID",
        ("GITLAB_TOKEN", "CI_JOB_TOKEN"),
    ),
}


def resolve(config: ForgeConfig, env: Mapping[str, str] | None = None) -> ForgeSettings | str:
    """The settings to reach the forge, or the reason there are none (a warning to print)."""
    env = os.environ if env is None else env
    if config.forge not in FORGES:
        raise RKError(
            "RK-CONFIG-VALUE",
            f"`forge` is {config.forge!r}; allowed: {', '.join(FORGES)}",
            path="releasekit.toml",
        )
    if config.forge == "none":
        return 'no forge configured (forge = "none")'
    url_var, default_url, repo_var, token_vars = _CI[config.forge]
    api_url = (config.forge_api_url or env.get(url_var) or default_url).rstrip("/")
    repo = config.repo or env.get(repo_var) or ""
    if not repo:
        return f"{config.forge}: no repository: set `repo` in releasekit.toml or {repo_var}"
    for var in token_vars:
        if env.get(var):
            return ForgeSettings(
                kind=config.forge,
                api_url=api_url,
                repo=repo,
                token=env[var],
                token_source=var,
                dispatch=config.dispatch,
            )
    return f"{config.forge}: no token in {' or '.join(token_vars)}"


def connect(settings: ForgeSettings) -> Forge:
    """The client for ``settings``; close it (or use it in ``with``)."""
    if settings.kind == "github":
        from releasekit_tasks.forges.github import GitHub

        return GitHub(settings)
    from releasekit_tasks.forges.gitlab import GitLab

    return GitLab(settings)


def open_forge(
    config: object, env: Mapping[str, str] | None = None, *, what: str = "", note: bool = False
) -> Forge | None:
    """The forge client of a RootConfig, or ``None`` after printing why there is none.

    ``what`` names the forge work that is skipped, for the warning line. With
    ``forge = "none"`` nothing is printed unless ``note`` asks for it.
    """
    settings = resolve(ForgeConfig.of(config), env)
    if isinstance(settings, str):
        if ForgeConfig.of(config).forge != "none":
            print(f"warning  {settings}: {what or 'the forge steps'} skipped")
        elif note:
            print(f"note     {settings}: {what or 'the forge steps'} skipped")
        return None
    return connect(settings)
