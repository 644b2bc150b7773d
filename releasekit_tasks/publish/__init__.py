"""Build, upload and verify package releases: the generic half of ``doit publish``.

``release.py`` holds the plain-data description of one release that the doit
actions receive; ``actions.py`` the actions; ``journal.py`` the crash-safe edit
journal; ``tools.py`` running external tools. The per-ecosystem work lives in
``releasekit_tasks/ecosystems/<kind>/``.
"""
