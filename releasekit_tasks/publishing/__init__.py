"""Build, upload and verify one package release, per ecosystem.

``release.py`` holds the plain-data description of one release that the doit
actions receive; ``uv.py``, ``pnpm.py`` and ``go.py`` do the ecosystem work.
"""
