"""Go multi-module repositories: discovery, go.mod, module zips, GOPROXY.

- :mod:`.discover` — modules, their versions (versions file or tags) and edges
- :mod:`.modfile` — the go.mod parser and editor
- :mod:`.modzip` — module zips and their ``h1:`` hashes
- :mod:`.proxy_tree` — a GOPROXY file tree on disk
- :mod:`.publish` — build, upload and verify one module release
- :mod:`.registry` — the GOPROXY protocol client
"""

from releasekit_tasks.ecosystems.go.discover import ECOSYSTEM

__all__ = ["ECOSYSTEM"]
