"""pnpm workspaces: discovery, manifests, pack and publish, the npm registry.

- :mod:`.discover` — workspace members and their dependencies
- :mod:`.build` — install, pack, check and publish tarballs
- :mod:`.registry` — npm packuments and version metadata
"""

from releasekit_tasks.ecosystems.pnpm.discover import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
