"""Stateful fake forges on loopback: GitHub (behind prism's contract check) and GitLab.

``FakeGitHub`` keeps pull requests, labels, releases and repository
dispatches; it paginates (``per_page``, ``Link: rel="next"``), answers a
rate-limit 403 on cue, and merging a PR merges its branch into the bare git
remote (``git merge-tree`` + ``commit-tree``), as GitHub's merge button does.
Its response bodies are completed from GitHub's own OpenAPI description
(:class:`SchemaFiller`): the fields the fake has no state for get schema-valid
filler, so prism (``prism proxy --errors``, see :func:`prism_proxy`) checks every
request the client sends and every response the fake returns against
GitHub's contract.

``FakeGitLab`` does the same for merge requests, labels and releases with
GitLab's REST v4 conventions (``x-next-page`` pagination, 429 with
``RateLimit-Reset``); its contract is the parameter tables of GitLab's API
documentation (doc/api/merge_requests.md, doc/api/releases/index.md,
doc/api/commits.md), encoded in :data:`GITLAB_PARAMS`: an undocumented
parameter or a missing required one is a 400, as GitLab's Grape API answers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

NOW = "2026-01-01T00:00:00Z"

# The GitHub REST paths the clients use: the subset of the description prism loads.
GITHUB_PATHS = (
    "/repos/{owner}/{repo}",
    "/repos/{owner}/{repo}/pulls",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "/repos/{owner}/{repo}/pulls/{pull_number}/merge",
    "/repos/{owner}/{repo}/issues/{issue_number}/labels",
    "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
    "/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    "/repos/{owner}/{repo}/releases",
    "/repos/{owner}/{repo}/releases/{release_id}",
    "/repos/{owner}/{repo}/releases/tags/{tag}",
    "/repos/{owner}/{repo}/dispatches",
)


def github_spec_subset(source: Path, target: Path) -> Path:
    """GitHub's dereferenced OpenAPI description cut down to :data:`GITHUB_PATHS`.

    The operations are GitHub's own, byte for byte; only the other ~800 paths
    are left out so prism starts in seconds.
    """
    spec = json.loads(source.read_text(encoding="utf-8"))
    subset = {k: v for k, v in spec.items() if k not in ("paths", "x-webhooks", "components")}
    subset["paths"] = {path: spec["paths"][path] for path in GITHUB_PATHS}
    target.write_text(json.dumps(subset), encoding="utf-8")
    return target


# --- schema-valid filler ------------------------------------------------------------


class SchemaFiller:
    """Builds response bodies that satisfy an OpenAPI 3.0 response schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def schema(self, template: str, method: str, status: int) -> dict[str, Any]:
        responses = self.spec["paths"][template][method.lower()]["responses"]
        content = responses[str(status)].get("content") or {}
        return content.get("application/json", {}).get("schema", {})

    def build(self, schema: dict[str, Any], value: Any = None) -> Any:
        """``value`` completed with filler for the schema's required fields."""
        schema = _flatten(schema, value)
        kind = schema.get("type")
        if isinstance(value, dict) or (value is None and kind == "object"):
            props = schema.get("properties", {})
            result = {
                key: self.build(props.get(key, {}))
                for key in schema.get("required", ())
                if value is None or key not in value
            }
            for key, item in (value or {}).items():
                result[key] = self.build(props.get(key, {}), item) if key in props else item
            return result
        if isinstance(value, list):
            return [self.build(schema.get("items", {}), item) for item in value]
        if value is not None:
            return value
        if schema.get("nullable"):
            return None
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "array":
            return []
        if kind in ("integer", "number"):
            return 1
        if kind == "boolean":
            return False
        if kind == "string":
            return {
                "date-time": NOW,
                "uri": "https://example.test/x",
                "email": "x@example.test",
            }.get(schema.get("format", ""), "x")
        return None


def _flatten(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """One object schema out of allOf, and the anyOf/oneOf branch that fits ``value``."""
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _flatten(part, value)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
            if part.get("nullable"):
                merged["nullable"] = True
        return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_flatten(o, value) for o in schema[key]]
            wanted = {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
                type(value)
            )
            for option in options:
                if wanted is None or option.get("type") == wanted:
                    return {**option, "nullable": schema.get("nullable", option.get("nullable"))}
            return options[0]
    return schema


# --- a small threaded HTTP server with routes ----------------------------------------


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = tuple[str, re.Pattern[str], str, Callable[..., Answer]]


def _pattern(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{[a-z_]+\\\}", "([^/]+)", re.escape(template))
    return re.compile(f"^{regex}$")


def form_fields(text: str) -> dict[str, Any]:
    """A form body as Rack (GitLab's Grape API) reads it: ``variables[KEY]=v`` → a table."""
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        name, bracket, rest = key.partition("[")
        if bracket and rest.endswith("]"):
            fields.setdefault(name, {})[rest[:-1]] = value
        else:
            fields[key] = value
    return fields


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            body: Any = form_fields(raw.decode())
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
        answer = fake.dispatch_request(self.command, parts.path, query, dict(self.headers), body)
        data = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        for key, value in answer.headers.items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeForge


class FakeForge:
    """Routing, a request log, queued faults, token checking; subclasses add the API."""

    token = "fake-token-123456"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.log: list[str] = []
        self.faults: deque[tuple[str, Answer]] = deque()  # (method + path prefix, answer)
        self.routes: list[Route] = []
        self.url = ""
        self.last_headers: dict[str, str] = {}

    def route(self, method: str, template: str, fn: Callable[..., Answer]) -> None:
        self.routes.append((method, _pattern(template), template, fn))

    def fail_next(self, answer: Answer, match: str = "") -> None:
        """Answer the next request whose ``"METHOD /path"`` starts with ``match`` with ``answer``."""
        with self.lock:
            self.faults.append((match, answer))

    def authorized(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def public(self, path: str) -> bool:
        """Whether ``path`` authenticates in its body rather than its headers."""
        return False

    def dispatch_request(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> Answer:
        with self.lock:
            line = f"{method} {path}"
            self.log.append(line + (f"?{urlencode(query)}" if query else ""))
            for i, (match, answer) in enumerate(self.faults):
                if line.startswith(match):
                    del self.faults[i]
                    return answer
            headers = {k.lower(): v for k, v in headers.items()}
            self.last_headers = headers
            if not self.authorized(headers) and not self.public(path):
                return Answer(401, {"message": "Bad credentials"})
            for route_method, pattern, _, fn in self.routes:
                found = pattern.match(path)
                if found and route_method == method:
                    args = [unquote(g) for g in found.groups()]
                    return fn(*args, query=query, body=body or {})
            return Answer(404, {"message": "Not Found"})

    def paginate(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        raise NotImplementedError

    @classmethod
    def serve(cls, *args: Any, **kw: Any) -> Iterator[Any]:
        fake = cls(*args, **kw)
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = fake
        fake.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _now() -> str:
    """The time as the forges write it (ISO 8601, UTC, milliseconds): strings sort by time."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def merge_in_bare(remote: Path, base: str, head: str, message: str) -> str:
    """Merge branch ``head`` into ``base`` of a bare repository; the merge commit's sha."""
    base_sha = _git(remote, "rev-parse", f"refs/heads/{base}")
    head_sha = _git(remote, "rev-parse", f"refs/heads/{head}")
    tree = _git(remote, "merge-tree", "--write-tree", base_sha, head_sha).splitlines()[0]
    env = {
        "GIT_AUTHOR_NAME": "forge",
        "GIT_AUTHOR_EMAIL": "forge@example.test",
        "GIT_COMMITTER_NAME": "forge",
        "GIT_COMMITTER_EMAIL": "forge@example.test",
    }
    sha = subprocess.run(
        ["git", "commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", message],
        cwd=remote,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    ).stdout.strip()
    _git(remote, "update-ref", f"refs/heads/{base}", sha, base_sha)
    return sha


# --- GitHub ----------------------------------------------------------------------------


class FakeGitHub(FakeForge):
    """One repository ``owner/name`` with PRs, labels, releases; dispatches to any repository."""

    def __init__(self, spec: dict[str, Any], owner: str = "acme", name: str = "monorepo") -> None:
        super().__init__()
        self.filler = SchemaFiller(spec)
        self.owner, self.name = owner, name
        self.default_branch = "main"
        self.remote: Path | None = None
        self.prs: dict[int, dict[str, Any]] = {}
        self.releases: dict[int, dict[str, Any]] = {}
        self.dispatches: list[dict[str, Any]] = []
        self.counter = 0
        repo = "/repos/{owner}/{repo}"
        for method, template, fn in [
            ("GET", repo, self.get_repo),
            ("GET", repo + "/pulls", self.list_pulls),
            ("POST", repo + "/pulls", self.create_pull),
            ("GET", repo + "/pulls/{pull_number}", self.get_pull),
            ("PATCH", repo + "/pulls/{pull_number}", self.update_pull),
            ("PUT", repo + "/pulls/{pull_number}/merge", self.merge_pull),
            ("POST", repo + "/issues/{issue_number}/labels", self.add_labels),
            ("DELETE", repo + "/issues/{issue_number}/labels/{name}", self.remove_label),
            ("GET", repo + "/commits/{commit_sha}/pulls", self.commit_pulls),
            ("GET", repo + "/releases", self.list_releases),
            ("POST", repo + "/releases", self.create_release),
            ("GET", repo + "/releases/tags/{tag}", self.release_by_tag),
            ("DELETE", repo + "/releases/{release_id}", self.delete_release),
            ("POST", repo + "/dispatches", self.dispatch),
        ]:
            self.route(method, template, self._in_repo(template, method, fn))

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.faults.clear()
            self.prs.clear()
            self.releases.clear()
            self.dispatches.clear()
            self.remote = None

    # the plumbing -------------------------------------------------------------------

    def authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def _in_repo(
        self, template: str, method: str, fn: Callable[..., Answer]
    ) -> Callable[..., Answer]:
        def handler(owner: str, repo: str, *args: str, query: dict, body: Any) -> Answer:
            if template.endswith("/dispatches"):
                answer = fn(f"{owner}/{repo}", query=query, body=body)
            elif (owner, repo) != (self.owner, self.name):
                return Answer(
                    404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
                )
            else:
                answer = fn(*args, query=query, body=body)
            if answer.body is not None and answer.status < 300:
                schema = self.filler.schema(template, method, answer.status)
                answer.body = self.filler.build(schema, answer.body)
            return answer

        return handler

    def _next_id(self) -> int:
        self.counter += 1
        return self.counter

    def paginate(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            following = urlencode({**query, "page": page + 1})
            headers["Link"] = f'<{self.url}{path}?{following}>; rel="next"'
        return Answer(200, chunk, headers)

    def rate_limit_next(self, match: str = "", reset_in: float = 1.0) -> None:
        """The next matching request gets GitHub's primary rate-limit answer."""
        reset = int(time.time() + reset_in)
        self.fail_next(
            Answer(
                403,
                {
                    "message": "API rate limit exceeded for installation ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                },
                {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(reset),
                    "x-ratelimit-limit": "5000",
                },
            ),
            match,
        )

    # the objects ----------------------------------------------------------------------

    def _label(self, name: str) -> dict[str, Any]:
        return {"name": name, "id": abs(hash(name)) % 10**6, "color": "ededed", "default": False}

    def _pr_json(self, pr: dict[str, Any]) -> dict[str, Any]:
        html = f"https://github.test/{self.owner}/{self.name}/pull/{pr['number']}"
        return {
            "id": pr["id"],
            "number": pr["number"],
            "title": pr["title"],
            "body": pr["body"],
            "state": pr["state"],
            "html_url": html,
            "labels": [self._label(n) for n in pr["labels"]],
            "merged_at": pr.get("merged_at"),
            "merge_commit_sha": pr.get("merge_commit_sha"),
            "head": {
                "ref": pr["head"],
                "sha": pr.get("head_sha", "0" * 40),
                "label": f"{self.owner}:{pr['head']}",
            },
            "base": {"ref": pr["base"], "sha": "0" * 40, "label": f"{self.owner}:{pr['base']}"},
            "draft": False,
            "created_at": NOW,
            "updated_at": pr["updated_at"],
        }

    def _release_json(self, release: dict[str, Any]) -> dict[str, Any]:
        return {
            **release,
            "html_url": f"https://github.test/{self.owner}/{self.name}/releases/tag/{release['tag_name']}",
            "assets": [],
        }

    def _touch(self, pr: dict[str, Any]) -> None:
        pr["updated_at"] = _now()
        pr["seq"] = self._next_id()  # a total order for sort=updated

    # the endpoints --------------------------------------------------------------------

    def get_repo(self, query: dict, body: Any) -> Answer:
        return Answer(
            200,
            {
                "name": self.name,
                "full_name": f"{self.owner}/{self.name}",
                "default_branch": self.default_branch,
            },
        )

    def list_pulls(self, query: dict, body: Any) -> Answer:
        state = query.get("state", "open")
        items = [
            pr
            for pr in self.prs.values()
            if (state == "all" or pr["state"] == state)
            and ("head" not in query or f"{self.owner}:{pr['head']}" == query["head"])
            and ("base" not in query or pr["base"] == query["base"])
        ]
        if query.get("sort") == "updated":
            items.sort(key=lambda pr: pr["seq"], reverse=query.get("direction", "desc") == "desc")
        else:
            items.sort(
                key=lambda pr: pr["number"], reverse=query.get("direction", "desc") == "desc"
            )
        answer = self.paginate(
            [self._pr_json(pr) for pr in items], query, f"/repos/{self.owner}/{self.name}/pulls"
        )
        return answer

    def create_pull(self, query: dict, body: Any) -> Answer:
        head, base = body.get("head", ""), body.get("base", "")
        if any(
            pr["state"] == "open" and pr["head"] == head and pr["base"] == base
            for pr in self.prs.values()
        ):
            return Answer(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {self.owner}:{head}.",
                        }
                    ],
                    "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                },
            )
        number = self._next_id()
        pr = {
            "id": number + 1000,
            "number": number,
            "title": body["title"],
            "body": body.get("body") or "",
            "state": "open",
            "head": head,
            "base": base,
            "labels": [],
        }
        if self.remote is not None:
            pr["head_sha"] = _git(self.remote, "rev-parse", f"refs/heads/{head}")
        self._touch(pr)
        self.prs[number] = pr
        return Answer(201, self._pr_json(pr))

    def get_pull(self, number: str, query: dict, body: Any) -> Answer:
        pr = self.prs.get(int(number))
        if pr is None:
            return Answer(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
            )
        return Answer(200, self._pr_json(pr))

    def update_pull(self, number: str, query: dict, body: Any) -> Answer:
        pr = self.prs.get(int(number))
        if pr is None:
            return Answer(404, {"message": "Not Found"})
        for key in ("title", "body", "state"):
            if key in body:
                pr[key] = body[key]
        self._touch(pr)
        return Answer(200, self._pr_json(pr))

    def merge_pull(self, number: str, query: dict, body: Any) -> Answer:
        pr = self.prs.get(int(number))
        if pr is None:
            return Answer(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
            )
        sha = self.merge(int(number))
        return Answer(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def merge(self, number: int) -> str:
        """Merge PR ``number``'s branch into its base in the bare remote (the merge button)."""
        with self.lock:
            pr = self.prs[number]
            assert self.remote is not None, "set fake.remote to the bare repository"
            message = (
                f"Merge pull request #{number} from {self.owner}/{pr['head']}\n\n{pr['title']}"
            )
            sha = merge_in_bare(self.remote, pr["base"], pr["head"], message)
            pr.update(state="closed", merged_at=_now(), merge_commit_sha=sha)
            self._touch(pr)
            return sha

    def add_labels(self, number: str, query: dict, body: Any) -> Answer:
        pr = self.prs.get(int(number))
        if pr is None:
            return Answer(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
            )
        for name in body.get("labels", []):
            if name not in pr["labels"]:
                pr["labels"].append(name)
        self._touch(pr)
        return Answer(200, [self._label(n) for n in pr["labels"]])

    def remove_label(self, number: str, name: str, query: dict, body: Any) -> Answer:
        pr = self.prs.get(int(number))
        if pr is None or name not in pr["labels"]:
            return Answer(
                404,
                {"message": "Label does not exist", "documentation_url": "https://docs.github.com"},
            )
        pr["labels"].remove(name)
        self._touch(pr)
        return Answer(200, [self._label(n) for n in pr["labels"]])

    def commit_pulls(self, sha: str, query: dict, body: Any) -> Answer:
        items = [
            self._pr_json(pr)
            for pr in self.prs.values()
            if sha in (pr.get("merge_commit_sha"), pr.get("head_sha"))
        ]
        return self.paginate(items, query, f"/repos/{self.owner}/{self.name}/commits/{sha}/pulls")

    def list_releases(self, query: dict, body: Any) -> Answer:
        items = [
            self._release_json(r) for r in sorted(self.releases.values(), key=lambda r: -r["id"])
        ]
        return self.paginate(items, query, f"/repos/{self.owner}/{self.name}/releases")

    def create_release(self, query: dict, body: Any) -> Answer:
        tag = body.get("tag_name", "")
        if any(r["tag_name"] == tag for r in self.releases.values()):
            return Answer(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "Release", "code": "already_exists", "field": "tag_name"}
                    ],
                    "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release",
                },
            )
        release_id = self._next_id()
        release = {
            "id": release_id,
            "tag_name": tag,
            "name": body.get("name"),
            "body": body.get("body"),
            "draft": bool(body.get("draft", False)),
            "prerelease": bool(body.get("prerelease", False)),
            "target_commitish": body.get("target_commitish", self.default_branch),
            "created_at": NOW,
            "published_at": None if body.get("draft") else NOW,
        }
        self.releases[release_id] = release
        return Answer(201, self._release_json(release))

    def release_by_tag(self, tag: str, query: dict, body: Any) -> Answer:
        for release in self.releases.values():
            if release["tag_name"] == tag and not release["draft"]:
                return Answer(200, self._release_json(release))
        return Answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com"})

    def delete_release(self, release_id: str, query: dict, body: Any) -> Answer:
        if self.releases.pop(int(release_id), None) is None:
            return Answer(
                404, {"message": "Not Found", "documentation_url": "https://docs.github.com"}
            )
        return Answer(204)

    def dispatch(self, repo: str, query: dict, body: Any) -> Answer:
        self.dispatches.append({"repo": repo, **body})
        return Answer(204)


# --- GitLab ------------------------------------------------------------------------------

# (method, path template) -> (required params, optional params), from GitLab's API docs:
# doc/api/projects.md "Get single project", doc/api/merge_requests.md "List project merge
# requests", "Create MR", "Update MR", doc/api/commits.md "List merge requests associated
# with a commit", doc/api/releases/index.md "Get a release by a tag name", "Create a
# release", "Delete a release", doc/api/pipeline_triggers.md "Trigger a pipeline with a token".
_PAGING = {"page", "per_page"}
GITLAB_PARAMS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("GET", "/projects/{id}"): (set(), {"statistics", "license", "with_custom_attributes"}),
    ("GET", "/projects/{id}/merge_requests"): (
        set(),
        _PAGING
        | {
            "state",
            "order_by",
            "sort",
            "milestone",
            "view",
            "labels",
            "with_labels_details",
            "created_after",
            "created_before",
            "updated_after",
            "updated_before",
            "scope",
            "author_id",
            "assignee_id",
            "source_branch",
            "target_branch",
            "search",
            "in",
            "wip",
            "iids[]",
            "not",
        },
    ),
    ("POST", "/projects/{id}/merge_requests"): (
        {"source_branch", "target_branch", "title"},
        {
            "assignee_id",
            "assignee_ids",
            "reviewer_ids",
            "description",
            "target_project_id",
            "labels",
            "milestone_id",
            "remove_source_branch",
            "allow_collaboration",
            "squash",
        },
    ),
    ("PUT", "/projects/{id}/merge_requests/{iid}"): (
        set(),
        {
            "target_branch",
            "title",
            "assignee_id",
            "assignee_ids",
            "reviewer_ids",
            "milestone_id",
            "labels",
            "add_labels",
            "remove_labels",
            "description",
            "state_event",
            "remove_source_branch",
            "squash",
            "discussion_locked",
            "allow_collaboration",
        },
    ),
    ("GET", "/projects/{id}/repository/commits/{sha}/merge_requests"): (set(), _PAGING),
    ("GET", "/projects/{id}/releases/{tag_name}"): (set(), set()),
    ("POST", "/projects/{id}/releases"): (
        {"tag_name"},
        {"name", "description", "ref", "milestones", "assets", "released_at", "tag_message"},
    ),
    ("DELETE", "/projects/{id}/releases/{tag_name}"): (set(), set()),
    # doc/api/pipeline_triggers.md "Trigger a pipeline with a token": the trigger token
    # authenticates (no PRIVATE-TOKEN); `variables[KEY]=value` form fields.
    ("POST", "/projects/{id}/trigger/pipeline"): ({"token", "ref"}, {"variables", "inputs"}),
}
# Values the docs enumerate.
GITLAB_ENUMS = {
    "state": {"opened", "closed", "locked", "merged", "all"},
    "order_by": {"created_at", "updated_at", "title"},
    "sort": {"asc", "desc"},
    "state_event": {"close", "reopen"},
}


class FakeGitLab(FakeForge):
    """One project (id 42, path ``acme/monorepo``) with merge requests and releases."""

    def __init__(self, project_id: int = 42, path: str = "acme/monorepo") -> None:
        super().__init__()
        self.project_id, self.path = project_id, path
        self.remote: Path | None = None
        self.mrs: dict[int, dict[str, Any]] = {}
        self.releases: dict[str, dict[str, Any]] = {}
        self.triggers: list[dict[str, Any]] = []  # pipelines triggered in other projects
        self.counter = 0
        for (method, template), _ in GITLAB_PARAMS.items():
            self.route(method, "/api/v4" + template, self._checked(method, template))

    trigger_token = "glptt-fake-trigger-0123456789"

    def authorized(self, headers: dict[str, str]) -> bool:
        return self.token in (headers.get("private-token"), headers.get("job-token"))

    def public(self, path: str) -> bool:
        return path.endswith("/trigger/pipeline")

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.faults.clear()
            self.mrs.clear()
            self.releases.clear()
            self.triggers.clear()
            self.remote = None

    def _checked(self, method: str, template: str) -> Callable[..., Answer]:
        name = {
            ("GET", "/projects/{id}"): "get_project",
            ("GET", "/projects/{id}/merge_requests"): "list_mrs",
            ("POST", "/projects/{id}/merge_requests"): "create_mr",
            ("PUT", "/projects/{id}/merge_requests/{iid}"): "update_mr",
            ("GET", "/projects/{id}/repository/commits/{sha}/merge_requests"): "commit_mrs",
            ("GET", "/projects/{id}/releases/{tag_name}"): "get_release",
            ("POST", "/projects/{id}/releases"): "create_release",
            ("DELETE", "/projects/{id}/releases/{tag_name}"): "delete_release",
            ("POST", "/projects/{id}/trigger/pipeline"): "trigger_pipeline",
        }[(method, template)]
        fn = getattr(self, name)
        required, optional = GITLAB_PARAMS[(method, template)]

        def handler(project: str, *args: str, query: dict, body: Any) -> Answer:
            params = {**query, **(body or {})}
            unknown = set(params) - required - optional
            if unknown:
                return Answer(
                    400, {"error": f"{', '.join(sorted(unknown))} does not have a valid value"}
                )
            missing = [p for p in sorted(required) if not params.get(p)]
            if missing:
                return Answer(400, {"error": f"{', '.join(missing)} is missing"})
            for key, allowed in GITLAB_ENUMS.items():
                if key in params and params[key] not in allowed:
                    return Answer(400, {"error": f"{key} does not have a valid value"})
            for key in ("labels", "add_labels", "remove_labels"):
                if key in body and not isinstance(body[key], (str, list)):
                    return Answer(400, {"error": f"{key} is invalid"})
            downstream = template.endswith("/trigger/pipeline")  # another project's pipeline
            if project not in (str(self.project_id), self.path) and not downstream:
                return Answer(404, {"message": "404 Project Not Found"})
            return fn(*([project] if downstream else []), *args, query=query, body=body or {})

        return handler

    def paginate(self, items: list[Any], query: dict[str, str], path: str) -> Answer:
        per_page = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(items)
        headers = {
            "x-page": str(page),
            "x-per-page": str(per_page),
            "x-next-page": str(page + 1) if more else "",
            "x-total": str(len(items)),
        }
        return Answer(200, chunk, headers)

    def rate_limit_next(self, match: str = "", retry_after: int = 1) -> None:
        reset = int(time.time() + retry_after)
        self.fail_next(
            Answer(
                429,
                {"message": "429 Too Many Requests"},
                {
                    "Retry-After": str(retry_after),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(reset),
                },
            ),
            match,
        )

    @staticmethod
    def _labels(value: Any) -> list[str]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        return [item.strip() for item in items if item.strip()]

    def _mr_json(self, mr: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": mr["iid"] + 1000,
            "iid": mr["iid"],
            "project_id": self.project_id,
            "title": mr["title"],
            "description": mr["description"],
            "state": mr["state"],
            "source_branch": mr["source_branch"],
            "target_branch": mr["target_branch"],
            "labels": list(mr["labels"]),
            "sha": mr.get("sha"),
            "merge_commit_sha": mr.get("merge_commit_sha"),
            "merged_at": mr.get("merged_at"),
            "squash_commit_sha": None,
            "web_url": f"https://gitlab.test/{self.path}/-/merge_requests/{mr['iid']}",
            "updated_at": NOW,
        }

    def get_project(self, query: dict, body: Any) -> Answer:
        return Answer(
            200, {"id": self.project_id, "path_with_namespace": self.path, "default_branch": "main"}
        )

    def list_mrs(self, query: dict, body: Any) -> Answer:
        state = query.get("state", "all")
        wanted = self._labels(query.get("labels", ""))
        items = [
            mr
            for mr in self.mrs.values()
            if (state == "all" or mr["state"] == state)
            and mr["source_branch"] == query.get("source_branch", mr["source_branch"])
            and mr["target_branch"] == query.get("target_branch", mr["target_branch"])
            and all(label in mr["labels"] for label in wanted)
        ]
        items.sort(key=lambda mr: mr["seq"], reverse=query.get("sort", "desc") == "desc")
        return self.paginate([self._mr_json(mr) for mr in items], query, "")

    def create_mr(self, query: dict, body: Any) -> Answer:
        source, target = body["source_branch"], body["target_branch"]
        if any(
            mr["state"] == "opened"
            and (mr["source_branch"], mr["target_branch"]) == (source, target)
            for mr in self.mrs.values()
        ):
            return Answer(
                409,
                {
                    "message": [
                        f"Another open merge request already exists for this source branch: !{source}"
                    ]
                },
            )
        self.counter += 1
        mr = {
            "iid": len(self.mrs) + 1,  # iids count merge requests, per project
            "title": body["title"],
            "description": body.get("description") or "",
            "state": "opened",
            "source_branch": source,
            "target_branch": target,
            "labels": self._labels(body.get("labels")),
            "seq": self.counter,
        }
        if self.remote is not None:
            mr["sha"] = _git(self.remote, "rev-parse", f"refs/heads/{source}")
        self.mrs[mr["iid"]] = mr
        return Answer(201, self._mr_json(mr))

    def update_mr(self, iid: str, query: dict, body: Any) -> Answer:
        mr = self.mrs.get(int(iid))
        if mr is None:
            return Answer(404, {"message": "404 Not found"})
        if "title" in body:
            mr["title"] = body["title"]
        if "description" in body:
            mr["description"] = body["description"]
        if "labels" in body:
            mr["labels"] = self._labels(body["labels"])
        for label in self._labels(body.get("add_labels")):
            if label not in mr["labels"]:
                mr["labels"].append(label)
        for label in self._labels(body.get("remove_labels")):
            if label in mr["labels"]:
                mr["labels"].remove(label)
        if body.get("state_event") == "close":
            mr["state"] = "closed"
        elif body.get("state_event") == "reopen":
            mr["state"] = "opened"
        self.counter += 1
        mr["seq"] = self.counter
        return Answer(200, self._mr_json(mr))

    def merge(self, iid: int) -> str:
        with self.lock:
            mr = self.mrs[iid]
            assert self.remote is not None, "set fake.remote to the bare repository"
            message = f"Merge branch '{mr['source_branch']}' into '{mr['target_branch']}'\n\n{mr['title']}"
            sha = merge_in_bare(self.remote, mr["target_branch"], mr["source_branch"], message)
            self.counter += 1
            mr.update(state="merged", merge_commit_sha=sha, merged_at=_now(), seq=self.counter)
            return sha

    def commit_mrs(self, sha: str, query: dict, body: Any) -> Answer:
        items = [
            self._mr_json(mr)
            for mr in self.mrs.values()
            if sha in (mr.get("merge_commit_sha"), mr.get("sha"))
        ]
        return self.paginate(items, query, "")

    def _release_json(self, release: dict[str, Any]) -> dict[str, Any]:
        return {
            **release,
            "_links": {"self": f"https://gitlab.test/{self.path}/-/releases/{release['tag_name']}"},
        }

    def get_release(self, tag: str, query: dict, body: Any) -> Answer:
        release = self.releases.get(tag)
        if release is None:
            return Answer(404, {"message": "404 Not Found"})
        return Answer(200, self._release_json(release))

    def create_release(self, query: dict, body: Any) -> Answer:
        tag = body["tag_name"]
        if tag in self.releases:
            return Answer(409, {"message": "Release already exists"})
        self.releases[tag] = {
            "tag_name": tag,
            "name": body.get("name") or tag,
            "description": body.get("description") or "",
            "created_at": NOW,
            "released_at": NOW,
            "upcoming_release": False,
        }
        return Answer(201, self._release_json(self.releases[tag]))

    def trigger_pipeline(self, project: str, query: dict, body: Any) -> Answer:
        params = {**query, **body}
        if params["token"] != self.trigger_token:
            return Answer(404, {"message": "404 Not Found"})  # GitLab hides the project
        variables = params.get("variables", {})
        if not isinstance(variables, dict) or not all(
            isinstance(v, str) for v in variables.values()
        ):
            return Answer(400, {"error": "variables is invalid"})
        self.counter += 1
        self.triggers.append({"project": project, "ref": params["ref"], "variables": variables})
        return Answer(
            201,
            {
                "id": self.counter,
                "iid": self.counter,
                "ref": params["ref"],
                "status": "created",
                "source": "trigger",
                "web_url": f"https://gitlab.test/{project}/-/pipelines/{self.counter}",
            },
        )

    def delete_release(self, tag: str, query: dict, body: Any) -> Answer:
        release = self.releases.pop(tag, None)
        if release is None:
            return Answer(404, {"message": "404 Not Found"})
        return Answer(200, self._release_json(release))


# --- prism ------------------------------------------------------------------------------


@dataclass
class Prism:
    url: str
    log: Path
    process: subprocess.Popen[bytes]


def prism_proxy(
    prism: Path, spec: Path, upstream: str, port: int, log: Path, timeout: float = 60
) -> Prism:
    """``prism proxy --errors SPEC UPSTREAM``: a request or response outside the contract
    comes back as 422 / 500 with an ``sl-violations`` header."""
    import http.client

    out = log.open("wb")
    process = subprocess.Popen(
        [str(prism), "proxy", str(spec), upstream, "--errors", "-h", "127.0.0.1", "-p", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prism exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return Prism(f"http://127.0.0.1:{port}", log, process)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"prism did not start in {timeout} s:\n{log.read_text()[-3000:]}")


def violations(log: Path, since: int = 0) -> list[str]:
    """prism's error lines (contract violations) in its log after byte ``since``."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    found = [line for line in text.splitlines() if "\u2716" in line or "violation" in line.lower()]
    return [line for line in found if "] get / " not in line]  # prism_proxy's readiness probe
