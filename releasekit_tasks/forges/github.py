"""GitHub's REST API (api.github.com or GITHUB_API_URL of a GitHub Enterprise Server).

Pull requests carry their labels through the issues API (a PR is an issue);
labels that do not exist yet are created by GitHub when first added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from releasekit_tasks.forges import DispatchTarget, ForgeSettings, PullRequest, Release
from releasekit_tasks.forges.api import Api, Client

API_VERSION = "2022-11-28"


def _pr(data: Mapping[str, Any]) -> PullRequest:
    state = "merged" if data.get("merged_at") else data["state"]
    return PullRequest(
        number=data["number"],
        title=data.get("title") or "",
        body=data.get("body") or "",
        state=state,
        head=data["head"]["ref"],
        base=data["base"]["ref"],
        labels=tuple(label["name"] for label in data.get("labels") or ()),
        merge_sha=data.get("merge_commit_sha"),
        url=data.get("html_url") or "",
        merged_at=data.get("merged_at") or "",
    )


def _release(data: Mapping[str, Any]) -> Release:
    return Release(
        tag=data["tag_name"],
        name=data.get("name") or "",
        body=data.get("body") or "",
        prerelease=bool(data.get("prerelease")),
        draft=bool(data.get("draft")),
        url=data.get("html_url") or "",
        id=data["id"],
    )


class GitHub(Client):
    kind = "github"

    def __init__(self, settings: ForgeSettings, **api: Any) -> None:
        self.settings = settings
        self.owner, _, self.name = settings.repo.partition("/")
        self.api = Api(
            settings,
            {
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            },
            **api,
        )
        self.base = f"/repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        params = {"state": "open", "head": f"{self.owner}:{head}", "base": base}
        for data in self.api.pages(f"{self.base}/pulls", params):
            if data["head"]["ref"] == head and data["base"]["ref"] == base:
                return _pr(data)
        return None

    def open_pr(
        self, head: str, base: str, title: str, body: str, labels: tuple[str, ...]
    ) -> PullRequest:
        data = self.api.json(
            "POST",
            f"{self.base}/pulls",
            json={"title": title, "head": head, "base": base, "body": body},
        )
        pr = _pr(data)
        if labels:
            self.set_labels(pr, labels, ())
            pr = PullRequest(**{**pr.__dict__, "labels": tuple(dict.fromkeys(pr.labels + labels))})
        return pr

    def update_pr(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        data = self.api.json(
            "PATCH", f"{self.base}/pulls/{pr.number}", json={"title": title, "body": body}
        )
        return _pr(data)

    def close_pr(self, pr: PullRequest) -> None:
        self.api.json("PATCH", f"{self.base}/pulls/{pr.number}", json={"state": "closed"})

    def find_merged_pr(self, head: str, label: str, sha: str | None = None) -> PullRequest | None:
        if sha:
            for data in self.api.pages(f"{self.base}/commits/{sha}/pulls"):
                pr = _pr(data)
                if pr.state == "merged" and pr.head == head and pr.merge_sha == sha:
                    return pr
        labelled = self.merged_prs(head, label)
        return labelled[-1] if labelled else None

    def merged_prs(self, head: str, label: str) -> list[PullRequest]:
        params = {"state": "closed", "head": f"{self.owner}:{head}"}
        merged = [
            _pr(data)
            for data in self.api.pages(f"{self.base}/pulls", params)
            if data.get("merged_at") and data["head"]["ref"] == head
        ]
        return sorted(
            (pr for pr in merged if label in pr.labels), key=lambda pr: (pr.merged_at, pr.number)
        )

    def set_labels(self, pr: PullRequest, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        if add:
            self.api.json(
                "POST", f"{self.base}/issues/{pr.number}/labels", json={"labels": list(add)}
            )
        for name in remove:
            if name in add:
                continue
            # 404: the label was not on the PR; removing it is done either way.
            self.api.request(
                "DELETE", f"{self.base}/issues/{pr.number}/labels/{quote(name, safe='')}", ok=(404,)
            )

    def get_release(self, tag: str) -> Release | None:
        data = self.api.get_or_none(f"{self.base}/releases/tags/{quote(tag, safe='')}")
        if data is not None:
            return _release(data)
        # Drafts have no tag yet as far as /releases/tags is concerned: look through the list.
        for item in self.api.pages(f"{self.base}/releases"):
            if item.get("tag_name") == tag:
                return _release(item)
        return None

    def create_release(
        self, tag: str, name: str, body: str, *, prerelease: bool, draft: bool
    ) -> Release:
        data = self.api.json(
            "POST",
            f"{self.base}/releases",
            json={
                "tag_name": tag,
                "name": name,
                "body": body,
                "prerelease": prerelease,
                "draft": draft,
            },
        )
        return _release(data)

    def delete_release(self, tag: str) -> bool:
        release = self.get_release(tag)
        if release is None:
            return False
        self.api.request("DELETE", f"{self.base}/releases/{release.id}", ok=(404,))
        return True

    def dispatch(self, target: DispatchTarget, event_type: str, payload: Mapping[str, Any]) -> bool:
        owner, _, name = target.repo.partition("/")
        self.api.request(
            "POST",
            f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/dispatches",
            json={"event_type": event_type, "client_payload": dict(payload)},
        )
        return True
