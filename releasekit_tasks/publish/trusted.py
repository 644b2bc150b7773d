"""Trusted publishing (OIDC): registries that trust the CI's identity instead of a token.

GitHub Actions hands a job an OIDC token when the workflow grants
``permissions: id-token: write``; the runner then sets
ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN. GitLab CI
exposes an ``id_tokens:`` entry named PYPI_ID_TOKEN. Where one is available,
``uv publish --trusted-publishing automatic`` exchanges it for a PyPI upload
token, and ``npm publish --provenance`` signs a provenance statement (npm ≥ 11.5
also publishes with it when the package trusts the workflow). Elsewhere, and
with ``trusted_publishing = "never"`` (or ``RELEASEKIT_TRUSTED_PUBLISHING=never``),
the registry tokens are used, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

MODES = ("automatic", "always", "never")


def id_token_available(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    github = env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    return bool(github or env.get("PYPI_ID_TOKEN"))


def mode(configured: str, env: Mapping[str, str] | None = None) -> str:
    """The ``--trusted-publishing`` value for this run: ``automatic`` only where an id token is."""
    if configured == "automatic" and not id_token_available(env):
        return "never"
    return configured
