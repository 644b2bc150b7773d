"""The prepare stage: commits → next versions → changelogs → manifest edits.

- :mod:`.conventional` — Conventional Commit parsing
- :mod:`.history` — each package's commits since its last release, tag names
- :mod:`.versions` — version values per ecosystem: parse, render, bump
- :mod:`.decide` — the next version of every package, and why
- :mod:`.manifest` — the release manifest (the plan ``prepare`` writes)
- :mod:`.changelog` — CHANGELOG.md sections
- :mod:`.bump` / :mod:`.rewrite` — the manifest and lockfile edits
- :mod:`.versions_file` — the committed versions file (Go module versions)
- :mod:`.stage` — ``version``, ``bump``, ``changelog``, ``prepare`` and ``tag``
"""

# Where `doit version` writes the release manifest, under .releasekit/ (the version task's target).
MANIFEST_FILE = "release-manifest.json"
