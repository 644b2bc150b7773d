"""uv workspaces: discovery, manifests, build and upload, the PyPI registry.

- :mod:`.discover` — workspace members and their dependencies
- :mod:`.build` — pin, build, check and upload wheels and sdists
- :mod:`.registry` — the PyPI simple and JSON APIs
"""

from releasekit_tasks.ecosystems.uv.discover import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
