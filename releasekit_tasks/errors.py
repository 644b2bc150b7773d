"""The one catalogue of ``RK-…`` error codes, and the error type that carries them.

Every failure a user can cause (bad config, malformed manifest, cycle, …) is an
:class:`RKError` with a code from :data:`CATALOGUE`, the file (and line) it is
about, and a fix. ``doit explain RK-…`` prints the long explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CodeInfo:
    title: str
    fix: str
    explanation: str


CATALOGUE: dict[str, CodeInfo] = {
    # --- configuration -----------------------------------------------------
    "RK-CONFIG-MISSING": CodeInfo(
        "no releasekit.toml at the repository root",
        "run `python -m releasekit_tasks init` in the repository root",
        "releasekit-tasks reads its settings from releasekit.toml next to dodo.py. "
        "`python -m releasekit_tasks init` detects the workspaces and writes one.",
    ),
    "RK-CONFIG-PARSE": CodeInfo(
        "releasekit.toml is not valid TOML",
        "fix the syntax at the line shown",
        "Both the root and the per-package releasekit.toml are TOML documents; "
        "the parser's message and line number point at the first error.",
    ),
    "RK-CONFIG-UNKNOWN-KEY": CodeInfo(
        "unknown key in releasekit.toml",
        "remove the key or correct its spelling (a suggestion is given when one is close)",
        "Unknown keys are rejected rather than ignored, so a typo such as "
        "`synchronise` cannot silently leave a setting at its default. "
        "docs/configuration.md lists every key.",
    ),
    "RK-CONFIG-TYPE": CodeInfo(
        "a releasekit.toml key has a value of the wrong type",
        "give the key a value of the type shown (see docs/configuration.md)",
        "Each key has one type (string, boolean, table …); the message names the "
        "key, the expected type and the type found.",
    ),
    "RK-CONFIG-VALUE": CodeInfo(
        "a releasekit.toml key has a value outside its allowed set",
        "use one of the allowed values listed in the message",
        "Some keys take one of a fixed set of values (for example `publish_from` "
        "is `local` or `ci`, an ecosystem `kind` is `uv`, `pnpm` or `go`).",
    ),
    "RK-CONFIG-TAG-FORMAT": CodeInfo(
        "a tag template has an unknown or unbalanced placeholder",
        "use only {name}, {short}, {version}, {label} and {dir}, with {version} exactly once",
        "`tag_format`, `secondary_tag_format` and `umbrella_tag` name git tags. "
        "Placeholders: {name} (package name), {short} (the name without its npm scope), "
        "{version}, {label} (the ecosystem label) and {dir} (the package folder relative to "
        "the repository); an umbrella tag takes {version} and {label} only. The result "
        "must be a valid git tag name.",
    ),
    "RK-CONFIG-GROUP-REF": CodeInfo(
        "a selection list names a group that does not exist",
        "define the group under [ecosystems.<label>.groups], or fix the `group:` entry",
        "`exclude`, `exclude_bump`, `exclude_publish` and `release_units` entries may be "
        "package names, globs or `group:<name>`; a group must be defined in the same "
        "ecosystem's groups table or set as a package's `group`.",
    ),
    "RK-OPTION-INVALID": CodeInfo(
        "a command-line option (or its RELEASEKIT_<NAME> variable) has an invalid value",
        "pass a value of the form shown in the message (README, Options)",
        "Options are doit variables (`name=value`) or `RELEASEKIT_<NAME>` environment "
        "variables. All of them are checked when the tasks load: numbers must parse and "
        "be in range (`retries` ≥ 0, `poll_concurrency` ≥ 1, `poll_timeout` > 0), flags are "
        "1/0/true/false/yes/no, `bump` is auto/patch/minor/major, and `ecosystem=` names "
        "a label or kind from releasekit.toml. Nothing runs until they are.",
    ),
    "RK-ECOSYSTEM-UNKNOWN": CodeInfo(
        "unknown ecosystem kind",
        "set `kind` to uv, pnpm or go, or install the plugin that provides it",
        "Ecosystems are plugins registered under the `releasekit_tasks.ecosystems` "
        "entry-point group. The built-in kinds are uv, pnpm and go.",
    ),
    "RK-ECOSYSTEM-INVALID": CodeInfo(
        "an ecosystem plugin is not an Ecosystem object",
        "make the entry point name an instance of a subclass of "
        "releasekit_tasks.ecosystems.Ecosystem",
        "The generic release code asks the ecosystem object for everything per kind "
        "(versions, tags, manifests, build, upload, registry): docs/ecosystems.md.",
    ),
    "RK-WORKSPACE-MISSING": CodeInfo(
        "the workspace root of an ecosystem does not exist or holds no workspace",
        "point `workspace_root` at the folder that holds the workspace file",
        "A uv workspace root holds a pyproject.toml with [tool.uv.workspace]; a pnpm "
        "root holds pnpm-workspace.yaml; a Go root holds go.work or go.mod files.",
    ),
    # --- manifests ---------------------------------------------------------
    "RK-MANIFEST-PARSE": CodeInfo(
        "a manifest cannot be parsed",
        "fix the syntax at the line shown",
        "pyproject.toml, package.json, pnpm-workspace.yaml, go.mod and go.work are "
        "parsed with real parsers; the message carries the parser's position.",
    ),
    "RK-MANIFEST-MISSING": CodeInfo(
        "a workspace member has no manifest",
        "add the manifest, or exclude the folder from the workspace globs",
        "Every folder matched by the workspace's member globs (or named by a "
        "go.work `use`) must hold its manifest.",
    ),
    "RK-MANIFEST-FIELD": CodeInfo(
        "a manifest lacks a required field or has one of the wrong shape",
        "add the field named in the message",
        "A Python member needs [project] name and version (static), an npm package "
        "needs name and version, a go.mod needs a module directive.",
    ),
    "RK-VERSION-INVALID": CodeInfo(
        "a version is not valid for its ecosystem",
        "write a PEP 440 (Python), SemVer 2.0 (npm) or Go semver (vX.Y.Z) version",
        "Versions are checked with packaging (PEP 440), SemVer 2.0 rules for npm, "
        "and Go's semver (leading v) for Go modules.",
    ),
    "RK-WORKSPACE-UNRESOLVED": CodeInfo(
        "a workspace: or catalog: range names nothing the workspace defines",
        "add the member or catalog entry, or correct the name in the range",
        "A `workspace:` range must name a member of the same workspace (pnpm refuses "
        "to install otherwise); a `catalog:` range must name an entry of the default "
        "catalog or of `catalogs.<name>` in pnpm-workspace.yaml.",
    ),
    "RK-WORKSPACE-RANGE": CodeInfo(
        "a workspace: range is not a version range",
        "write workspace:*, workspace:^, workspace:~ or workspace:<semver range>",
        "pnpm replaces `workspace:` ranges with real ones when it packs; what follows "
        "`workspace:` (after an optional alias@) must be `*`, `^`, `~` or a SemVer range, "
        "or `pnpm install` and `pnpm pack` refuse the workspace.",
    ),
    # --- graph ---------------------------------------------------------------
    "RK-GRAPH-CYCLE": CodeInfo(
        "internal dependencies form a cycle",
        "break the cycle: one of the packages on it must stop depending on the next",
        "Packages are released in dependency order, which a cycle makes impossible. "
        "The message lists the full cycle.",
    ),
    "RK-GRAPH-SOFT-CYCLE": CodeInfo(
        "packages reach each other through optional or peer dependencies only (information)",
        "nothing to fix: soft edges neither order nor propagate",
        "An extra (`[project.optional-dependencies]`) or a pnpm `peerDependencies` / "
        "`optionalDependencies` entry that names a member is a soft edge: it is pinned at "
        "build time and rewritten at bump, but it does not order publishing, so a loop "
        "through one (genkit's core offering its plugins as extras while each plugin "
        "requires the core) is not a cycle. `doit graph` draws soft edges dashed.",
    ),
    "RK-GRAPH-RELEASE-UNIT": CodeInfo(
        "modules that require each other are released as one unit (information)",
        "nothing to fix: the unit is versioned, tagged and published together",
        "Go allows modules to require each other in a cycle (opentelemetry-go: "
        "otel → otel/metric → otel). Such a strongly connected component is a release "
        "unit: one level in the plan, one version for all its members, a change in any "
        "member releases all of them, and their tags are pushed together. A changesets "
        "`fixed` group migrated by init is a unit too (`release_units`).",
    ),
    "RK-GRAPH-SELF-DEP": CodeInfo(
        "a package depends on itself",
        "remove the package from its own dependency list",
        "A package listing itself as a dependency (a real bug found in genkit's "
        "workspace) cannot be ordered and usually means a copy-paste slip.",
    ),
    "RK-PACKAGE-DUPLICATE": CodeInfo(
        "two workspace members have the same name",
        "rename one of them or exclude one from the workspace",
        "Names (after PEP 503 normalization for Python) identify packages on their "
        "registry, so two members of one ecosystem may not share one.",
    ),
    "RK-GROUP-UNKNOWN": CodeInfo(
        "no package has the requested group",
        "use one of the groups listed in the message, or add `group = …` to a package's releasekit.toml",
        "Groups are labels set in each package's releasekit.toml.",
    ),
    "RK-PACKAGE-UNKNOWN": CodeInfo(
        "no package matches the requested name",
        "use a package id `<label>/<name>` as shown by `doit plan`",
        "Package selection takes ids (`py/genkit`) or bare names when unambiguous.",
    ),
    "RK-CHANGESET-INVALID": CodeInfo(
        "a pending changeset cannot be read",
        'fix its front matter: `"<package>": patch|minor|major` lines between `---` lines',
        "`doit version` reads every `.changeset/*.md` file as a bump source besides "
        "Conventional Commits. Each must name packages of a pnpm workspace and a bump.",
    ),
    # --- checks ------------------------------------------------------------
    "RK-CHECK-PRIVATE-DEP": CodeInfo(
        "a publishable package depends on an unpublishable one",
        "make the dependency publishable, or mark the dependent unpublishable",
        "Users installing the publishable package could not resolve a dependency "
        "that is never uploaded.",
    ),
    "RK-CHECK-VERSION-MISMATCH": CodeInfo(
        "an internal version constraint excludes the member's own version",
        "widen the constraint or bump the dependency",
        "When the workspace member's actual version does not satisfy the dependent's "
        "constraint, the published dependent cannot be installed with it.",
    ),
    "RK-CHECK-METADATA": CodeInfo(
        "a publishable package lacks metadata its registry needs",
        "add the field named in the message (Go: a LICENSE file in the module or repository root)",
        "PyPI and npm show description, license and readme; missing ones make a "
        "poor or rejected upload.",
    ),
    "RK-CHECK-GO-PATH": CodeInfo(
        "a Go module path does not match its directory",
        "make the module path end with the module's directory relative to the repository",
        "A Go module in a sub-directory is fetched through a tag prefixed with that "
        "directory; its module path must end with the same directory.",
    ),
    "RK-CHECK-GO-MAJOR": CodeInfo(
        "a Go module at major version 2 or higher lacks the /vN path suffix",
        "add `/vN` to the module path (and to every import of it)",
        "Go's import compatibility rule: a module at v2+ must have a /vN suffix.",
    ),
    # --- registries ----------------------------------------------------------
    "RK-REGISTRY-UNAVAILABLE": CodeInfo(
        "a registry kept failing (connection errors, timeouts, 5xx or 429) and the retries ran out",
        "check the registry URL and its status page, then re-run: finished steps are skipped",
        "Registry requests are retried with exponential backoff and full jitter, honouring "
        "Retry-After, up to a number of attempts and a total deadline. The message lists "
        "the URL, every attempt and the last status or error. Credentials are never shown.",
    ),
    "RK-REGISTRY-TIMEOUT": CodeInfo(
        "a published artifact did not become available in time",
        "re-run later (the registry may be slow to index), or raise the wait timeout",
        "After an upload, releasekit polls the registry with backoff until the new version "
        "is visible. Registries index asynchronously; PyPI's CDN and the Go proxy can lag "
        "by minutes.",
    ),
    "RK-REGISTRY-RESPONSE": CodeInfo(
        "a registry answered with an unexpected status or body",
        "check the registry URL (and credentials, for 401/403)",
        "Only success and 404/410 (not found) are expected answers to a metadata request; "
        "anything else, or a body that cannot be parsed, is reported with the URL.",
    ),
    "RK-GO-PATH-INVALID": CodeInfo(
        "a Go module path or version has characters the module proxy protocol cannot escape",
        "use only the characters Go allows in module paths (no `!`, ASCII only)",
        "Proxy URLs escape each uppercase letter as `!` plus its lowercase form, so `!` "
        "and non-ASCII characters cannot appear in module paths or versions.",
    ),
    "RK-GO-REPLACE-MISSING": CodeInfo(
        "a local replace in go.mod or go.work points at a folder without a go.mod",
        "correct the path after `=>` (relative to the file), or remove the replace",
        "A `replace old => ../dir` directive makes the go command build `../dir` instead of "
        "the required version; the folder must exist and hold a go.mod, or every build, "
        "`go mod tidy` and publish of the module fails.",
    ),
    "RK-GO-ZIP-INVALID": CodeInfo(
        "a file cannot go into a Go module zip",
        "rename or remove the files listed (or move them out of the module)",
        "Module zips follow golang.org/x/mod/zip: file paths must pass module.CheckFilePath "
        "(no \" ' * < > ? ` | : \\ characters, no Windows-reserved names such as con or aux), "
        "no two paths may differ only in case, go.mod must be spelled in lower case, and "
        "go.mod and LICENSE may be at most 16 MiB each. The go command rejects such zips.",
    ),
    "RK-GO-ZIP-TOO-LARGE": CodeInfo(
        "a Go module's files add up to more than 500 MiB",
        "move large files (data, binaries) out of the module, or into a nested module",
        "The go command refuses module zips whose uncompressed content exceeds 500 MiB "
        "(golang.org/x/mod/zip MaxZipFile).",
    ),
    "RK-GO-VERSION-IMMUTABLE": CodeInfo(
        "a Go module version is already published with different content",
        "release a new version instead: published Go versions never change",
        "Go clients pin each module version's h1: hash in go.sum (and the checksum "
        "database), so a version's zip and go.mod can never be replaced. Re-publishing "
        "identical content is a no-op.",
    ),
    "RK-GO-INFO-INVALID": CodeInfo(
        "a Go module version's time is not an RFC 3339 timestamp",
        "pass a time such as 2024-05-01T12:00:00Z (the tag's commit time)",
        'The proxy protocol\'s `.info` file is JSON {"Version", "Time"}; the go command '
        "parses Time as RFC 3339.",
    ),
    # --- publishing ------------------------------------------------------------
    "RK-JOURNAL-CORRUPT": CodeInfo(
        "a journaled manifest copy does not match its recorded hash",
        "restore the manifest from git (`git checkout -- FILE`) and delete .releasekit/journal/",
        "Before pinning, the original manifest and its SHA-256 are saved; restoring checks "
        "the hash so that a manifest is never left subtly changed.",
    ),
    "RK-BUILD-FAILED": CodeInfo(
        "building a package failed",
        "read the tool output above; run the same command by hand in the package folder",
        "Builds run the ecosystem's own tool: `uv build --no-sources`, `pnpm pack`, or the "
        "Go module zip writer.",
    ),
    "RK-BUILD-UNPINNED": CodeInfo(
        "a built artifact does not carry the pinned internal dependency versions",
        "check that the internal dependency is declared in [project].dependencies and rebuild",
        "Wheels must require the exact versions of internal dependencies being released "
        "(Requires-Dist), and npm tarballs must not keep `workspace:` ranges.",
    ),
    "RK-UPLOAD-FAILED": CodeInfo(
        "uploading to the registry failed",
        "read the tool output; check the registry URL and credentials",
        "Uploads run `uv publish`, `pnpm publish`, or push a git tag / write a GOPROXY tree.",
    ),
    "RK-ATTESTATION-INVALID": CodeInfo(
        "a file next to a distribution named as its attestation is not one",
        "sign the distribution again, or delete the file",
        "`<dist>.<kind>.attestation` files (PEP 740; `pypi-attestations sign` and "
        "astral-sh/attest-action write `<dist>.publish.attestation`) in "
        ".releasekit/dist/<package>/ are uploaded with their distribution by `uv publish`. "
        "Each must be a JSON object; anything else would fail the upload.",
    ),
    "RK-REGISTRY-CHECKSUM-MISMATCH": CodeInfo(
        "the registry holds different bytes for this version",
        "never overwrite a release: bump the version and release again",
        "Someone published other bytes under the same version (or the build is not "
        "reproducible). Registries are immutable, so this needs a new version.",
    ),
    "RK-GO-TAG-MOVED": CodeInfo(
        "a release tag already exists and points at another commit",
        "tags never move: release a new version (or delete the tag if it was never fetched)",
        "The Go module proxy caches a version forever once fetched; a tag that points "
        "elsewhere would serve different code under the same version.",
    ),
    # --- Go checksum database, private Go registries --------------------------
    "RK-GO-SUMDB-KEY": CodeInfo(
        "the checksum database key is malformed",
        "write it as GOSUMDB does: `name+hash+base64key [url]`, or `off`",
        "A checksum database is named by its verifier key, `<name>+<8 hex digits>+<base64 "
        "Ed25519 key>`, optionally followed by its URL (GOSUMDB's format). The hex digits "
        "are a hash of the name and key, so a key copied with a typo is caught.",
    ),
    "RK-GO-SUMDB-SIGNATURE": CodeInfo(
        "the checksum database's signed tree head does not verify",
        "check the database key and URL; do not trust a database whose note does not verify",
        "Every lookup answer ends with the database's tree head, signed with its Ed25519 "
        "key. A missing or invalid signature by the configured key means the answer did "
        "not come from that database (or was altered on the way).",
    ),
    "RK-GO-SUMDB-RESPONSE": CodeInfo(
        "the checksum database answered something that is not a sumdb record or tile",
        "check that the URL is a checksum database (GOSUMDB's URL part)",
        "A lookup answers `<record id>`, the go.sum lines, a blank line and the signed "
        "tree head; tiles are concatenated 32-byte hashes.",
    ),
    "RK-GO-SUMDB-PROOF": CodeInfo(
        "a checksum database record is not in its signed tree",
        "do not trust the database; report it to its operator",
        "The checksum database is a transparency log: a record's hash and the audit path "
        "read from the log's tiles must give the signed tree hash. A record that does not "
        "is one the log never committed to.",
    ),
    "RK-GO-SUMDB-MISMATCH": CodeInfo(
        "the checksum database holds other hashes for this module version",
        "never re-tag a version: release a new version; find out who published the other bytes",
        "The checksum database records the first h1: hashes anyone fetched for a version, "
        "forever. Different hashes mean the world verifies other bytes than the ones "
        "released here (a moved tag, or a build that differs from the proxy's zip).",
    ),
    "RK-GO-REGISTRY-UPLOAD": CodeInfo(
        "the private Go registry refused the module upload",
        "check upload_url, the token in token_env and the registry's log",
        "With `upload_url` set, a Go module's zip is POSTed to the registry's artifact API "
        "(multipart `file`, `format=go`, `name`, `version`, `Authorization: Bearer`), as "
        "Artifact Keeper takes it. A 409 with the same bytes already there counts as done.",
    ),
    "RK-ROLLBACK-UNSUPPORTED": CodeInfo(
        "this ecosystem cannot take a release back",
        "take the version back by hand on its registry",
        "`doit rollback` asks each package's ecosystem to take the version back the way its "
        "registry allows (yank, deprecate, retract). An ecosystem from a plugin that does not "
        "implement `rollback` cannot; its tags are left alone too.",
    ),
    "RK-PREFLIGHT-DIRTY": CodeInfo(
        "the work tree has uncommitted changes",
        "commit or stash the changes before publishing",
        "What is published must be exactly a commit, so that tags and artifacts agree.",
    ),
    "RK-PREFLIGHT-CREDENTIALS": CodeInfo(
        "credentials for the target registry are missing",
        "set the environment variable named in the message (its value is never printed)",
        "Uploads read tokens from the environment: `token_env` in [ecosystems.*] names the "
        "variable.",
    ),
    # --- tools ---------------------------------------------------------------
    "RK-TOOL-MISSING": CodeInfo(
        "a required tool is not installed",
        "install the tool named in the message (scripts/bootstrap.sh installs all of them)",
        "uv, pnpm, go and git are run as subprocesses; they must be on PATH.",
    ),
    "RK-INIT-EXISTS": CodeInfo(
        "the file to scaffold already exists",
        "pass --force to overwrite it",
        "`init` never overwrites a file unless asked to.",
    ),
    "RK-INIT-NO-FOLDER": CodeInfo(
        "the folder to initialise does not exist",
        "run `python -m releasekit_tasks init` in the repository root, or pass its path",
        "`init` writes releasekit.toml and dodo.py into an existing repository folder; "
        "it never creates the folder itself.",
    ),
    "RK-INIT-CI-LIMIT": CodeInfo(
        "the CI workflow would break a limit of the CI",
        "use `--jobs per-level` (or `single`): fewer, larger jobs",
        "`init --ci … --jobs per-package` writes a job per publishable package. GitHub "
        "Actions runs at most 256 jobs in one workflow run and starts no run from a "
        "workflow file over 500 KB; GitLab lets one job `needs:` at most 50 others (the "
        "announce job needs every publish job; a self-managed instance sets this as "
        "`ci_max_needs`). `--jobs per-level` makes one job per "
        "level of the release graph instead; nothing is written when a limit is broken.",
    ),
    "RK-LOCK-HELD": CodeInfo(
        "another releasekit run holds the repository lock",
        "wait for that run to finish; if its process is gone, remove the lock file named in the message",
        "Publishing runs (`doit publish` and its steps) take .releasekit/lock, a JSON file "
        "naming the holder's pid, host, start time and purpose. A lock whose process is "
        "dead on this host, or older than the maximum age, is replaced automatically; a "
        "live one, or one from another host, is not.",
    ),
    # --- prepare: versions, manifests, lockfiles, the release branch ----------
    "RK-VERSION-RANGE": CodeInfo(
        "a dependency range would not admit the new version of an internal dependency",
        "widen the range in the dependent's manifest (or drop its upper bound)",
        "When a workspace member gets a new version, every member depending on it has the "
        "old version in its specifier replaced by the new one. If the rewritten range "
        "still excludes the new version (an upper bound such as `<0.4`), the lockfile "
        "tools would refuse the workspace, so nothing is written.",
    ),
    "RK-VERSION-DYNAMIC": CodeInfo(
        "the version is dynamic and set in a way releasekit cannot read",
        'write a static `version` in [project] (and drop "version" from `dynamic`), read it '
        "from a file (hatch `path`, setuptools `attr`/`file`, pdm-backend `file`), or derive "
        "it from git tags with hatch-vcs, uv-dynamic-versioning, setuptools-scm or pdm-backend",
        'A pyproject.toml with `dynamic = ["version"]` leaves the version to its build '
        "backend. releasekit reads the versions the common git-tag version sources derive "
        "(hatch-vcs, uv-dynamic-versioning, setuptools-scm, pdm-backend's `scm` source) from "
        "the repository's tags with the backend's tag pattern, and releases them by tagging; "
        "it reads and rewrites a version kept in a file (hatch's `regex` source, "
        "setuptools' `attr`/`file`, pdm-backend's `file` source, flit's module). Any other "
        "source (hatch's `code`, pdm-backend's `call`, a custom hook) is opaque: such a "
        "package is left out of plans and releases.",
    ),
    "RK-VERSION-FILE": CodeInfo(
        "the file the build backend reads the version from cannot be read statically",
        "correct the path in pyproject.toml, or write the version as a string literal "
        '(`__version__ = "1.2.3"`) in that file',
        "A member whose build backend reads its version from a file (hatch's `[tool.hatch."
        "version] path`, setuptools' `[tool.setuptools.dynamic] version = {attr = …}` or "
        "`{file = …}`, pdm-backend's `source = \"file\"`, flit's module `__version__`) is "
        "versioned by rewriting that one line. The file must exist and hold the version as "
        "a string literal the backend's own pattern finds: releasekit runs no project code, "
        "so a version computed at import time (`__version__ = get_version()`, which "
        "setuptools and flit would import the module for) cannot be read or bumped.",
    ),
    "RK-VERSION-TAG-PATTERN": CodeInfo(
        "the build backend would not read the release's version from its tags",
        "make the tags releasekit creates ones the backend's pattern matches: set `tag_format` "
        '(or `synchronize = true` with `umbrella_tag`, e.g. "v{version}") to the form the '
        "backend reads, or change the backend's tag pattern",
        "A member whose version comes from git tags (hatch-vcs, uv-dynamic-versioning, "
        "setuptools-scm, pdm-backend) is released by its tag: the backend reads the version "
        "from the tag at HEAD with its pattern (dunamai's default matches `v1.2.3` only). "
        "When none of the tags `doit tag` makes for the release (the package tag, a "
        "secondary one, the umbrella tag) gives the new version under that pattern, the "
        "next build from git would not carry it, so the plan is refused. Refused too: a "
        "current version read from a tag that is not one of the package's release tags "
        "(setuptools-scm's default pattern reads every package's `name-v1.2.3`), since "
        "versions and builds would then follow another package's releases.",
    ),
    "RK-BUILD-VERSION": CodeInfo(
        "a built distribution does not carry the version being released",
        "build from the release commit after `doit tag`, or check the build backend's "
        "version configuration (the message shows what it derived)",
        "releasekit checks the version in every built wheel and sdist name. A member whose "
        "version comes from git tags is built with the backend's override variable "
        "(UV_DYNAMIC_VERSIONING_BYPASS; SETUPTOOLS_SCM_PRETEND_VERSION_FOR_<NAME> for "
        "setuptools-scm, SETUPTOOLS_SCM_PRETEND_VERSION for hatch-vcs; PDM_BUILD_SCM_VERSION) set to the release's version; a different version means the "
        "backend ignored it (a custom version hook, an old backend) and read git instead.",
    ),
    "RK-VERSION-PATTERN": CodeInfo(
        "a configured version file does not contain its pattern",
        "check `version_files` in the package's releasekit.toml",
        "`version_files` lists extra files holding the version (`__version__ = ...`, Go "
        "`const Version = ...`), each with a pattern holding `{version}` once. A file "
        "where the pattern matches nothing is an error, so a renamed constant cannot "
        "silently keep an old version.",
    ),
    "RK-GO-MAJOR-PATH": CodeInfo(
        "a Go module's next version needs a new module path",
        "start the module's /vN path, or release a minor (bump=minor)",
        "In Go a major version of 2 or more is part of the module path (`example.com/m/v2`). "
        "A breaking change to a v1 module therefore cannot simply be tagged v2.0.0: the "
        "go.mod `module` line and every import must change. releasekit refuses to write "
        "a version the go command would reject.",
    ),
    "RK-MANIFEST-STALE": CodeInfo(
        "the release manifest was computed at another commit",
        "run `doit version` again",
        ".releasekit/release-manifest.json records the commit its versions were computed "
        "at. Applying it to another commit could write versions that ignore newer commits.",
    ),
    "RK-MANIFEST-MISSING-PR": CodeInfo(
        "the Release PR body has no releasekit manifest",
        "the Release PR body lost its manifest block: run `doit prepare` again",
        "`doit prepare` embeds the release manifest in the Release PR body, inside an "
        "invisible HTML comment between `<!-- releasekit-manifest` and "
        "`releasekit-manifest -->`. The tag stage reads it back to tag exactly what was "
        "prepared; if the block was removed, `doit prepare` recomputes and rewrites it.",
    ),
    "RK-LOCK-UPDATE": CodeInfo(
        "a lockfile tool failed after the version bump",
        "run the command shown in the folder shown and fix what it reports",
        "After the versions are written, `uv lock --upgrade-package`, `pnpm install "
        "--lockfile-only` or `go mod tidy` bring the lockfiles in line (D-2). Their "
        "failure stops prepare before any commit.",
    ),
    "RK-TAG-CONFLICT": CodeInfo(
        "a release tag points at one commit here and at another on the remote",
        "decide which commit the release is, then delete the other tag; never move a pushed tag",
        "`doit tag` pushes every selected release tag the remote lacks, also ones an earlier "
        "run created but could not push. A tag with the same name at different commits "
        "locally and on the remote means two different releases claim one version; "
        "releasekit refuses to guess which one is right.",
    ),
    "RK-GIT-NO-REPO": CodeInfo(
        "the repository root is not inside a git repository",
        "run releasekit in a git checkout (`git init` and commit, or clone the repository)",
        "Next versions come from the commits since each package's last release tag, and "
        "releases are tagged at HEAD: both need git.",
    ),
    "RK-GIT-NO-COMMIT": CodeInfo(
        "the git repository has no commit yet",
        "commit the workspace first (`git add -A && git commit`)",
        "Versions are decided and tagged at HEAD; a repository without a commit has no HEAD.",
    ),
    "RK-GIT-SHALLOW": CodeInfo(
        "the checkout is a shallow clone",
        "fetch the whole history: `git fetch --unshallow --tags`; in GitHub Actions set "
        "`fetch-depth: 0` on actions/checkout (GitLab: GIT_DEPTH: 0)",
        "A shallow clone (CI's default: depth 1) lacks the commits and tags before its "
        "depth. Every package would look like a first release, at a version that may "
        "already be tagged, with the wrong changelog. Everything that reads history "
        "(doit plan, version, prepare, tag) refuses it instead of guessing.",
    ),
    "RK-GIT-PUSH": CodeInfo(
        "the release branch could not be pushed",
        "add the remote, check your credentials, or pass push=0",
        "`doit prepare` commits the release on its own branch and force-pushes it "
        "(the branch belongs to releasekit; each prepare replaces it).",
    ),
    # --- forges (GitHub, GitLab) ---------------------------------------------
    "RK-FORGE-UNAVAILABLE": CodeInfo(
        "the forge's API did not answer, or kept answering 5xx / rate limited",
        "retry later; the retries honour Retry-After and x-ratelimit-reset",
        "Forge requests are retried with backoff and full jitter like registry requests; "
        "GitHub's 403/429 with `x-ratelimit-remaining: 0` waits for `x-ratelimit-reset`. "
        "A rate limit that resets past the deadline (120 s) gives up at once. Every "
        "attempt is listed; the token is never shown.",
    ),
    "RK-FORGE-RESPONSE": CodeInfo(
        "the forge refused a request or answered something unexpected",
        "read the forge's message; check `repo`, the branch names and the labels",
        "A 4xx other than 401/403 (for example 422: a pull request for that branch "
        "already exists, a release for that tag exists) or a body that is not the "
        "expected JSON. The message carries the forge's own words.",
    ),
    "RK-FORGE-AUTH": CodeInfo(
        "the forge token is missing a permission or is not accepted",
        "grant the workflow `contents: write` and `pull-requests: write`, or use another token",
        "GitHub answers 401 for a bad token and 403 for a token without the permission "
        "(GITHUB_TOKEN's permissions come from the workflow's `permissions:`; "
        "repository_dispatch to another repository needs a token with access to it). "
        "GitLab's CI_JOB_TOKEN cannot open merge requests: set GITLAB_TOKEN.",
    ),
    "RK-RELEASE-PR-UNTAGGED": CodeInfo(
        "a merged Release PR is still labelled pending: its versions are not tagged",
        "run `doit tag` (with the whole history: `fetch-depth: 0`), then prepare again",
        "A merged Release PR keeps `autorelease: pending` when the tag job of its merge "
        "failed. `doit tag` then tags every such PR, the oldest first, each on its own "
        "merge commit (as release-please's github-release does); that needs the merge "
        "commits in the clone, which a shallow clone lacks. Until then `doit prepare` "
        "refuses to open a new Release PR, which would bump the untagged versions again "
        "(release-please's release-pr aborts likewise). Versions tagged by hand: relabel "
        "the PR `autorelease: tagged` instead.",
    ),
    "RK-ANNOUNCE-INCOMPLETE": CodeInfo(
        "`doit announce` found a release without its receipt",
        "publish first, or download every publish job's receipts into .releasekit/receipts/",
        "`doit announce` labels the Release PR published and sends the dispatches only "
        "when every selected release has the receipt `verify` writes once the registry "
        "serves it. In a workflow that spreads the publish over jobs, each job uploads "
        "its receipts as an artifact and the announce job downloads them all.",
    ),
}


class RKError(Exception):
    """A user-facing error with a catalogue code, a location and a fix."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.fix = fix or CATALOGUE[code].fix

    @property
    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def render(self) -> str:
        where = f"{self.location}: " if self.path else ""
        return f"error[{self.code}]: {where}{self.message}\n  fix: {self.fix}"

    def __str__(self) -> str:
        return self.render()


def explain(code: str) -> str:
    """The long explanation of a code, for ``doit explain``."""
    key = code.upper()
    info = CATALOGUE.get(key)
    if info is None:
        import difflib

        close = difflib.get_close_matches(key, CATALOGUE, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"unknown code {code}{hint}; known codes:\n  " + "\n  ".join(sorted(CATALOGUE))
    return f"{key}: {info.title}\n\n{info.explanation}\n\nfix: {info.fix}"
