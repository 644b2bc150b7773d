"""GitLab's REST API v4 (gitlab.com or CI_API_V4_URL of a self-managed instance).

Merge requests are addressed by their ``iid``; labels are set with
``add_labels`` / ``remove_labels`` (GitLab creates missing project labels).
GitLab releases have no draft or prerelease flag: a prerelease is marked in
its name, and ``draft`` is not supported (the release is created). GitLab has
no ``repository_dispatch``: :meth:`GitLab.dispatch` runs the downstream
project's pipeline through its trigger API (``POST /projects/:id/trigger/pipeline``
with ``token``, ``ref`` and ``variables[…]``), the event and payload in the
variables ``RELEASEKIT_EVENT`` and ``RELEASEKIT_PAYLOAD`` (JSON).

Authentication: ``PRIVATE-TOKEN`` for a personal/project access token
(GITLAB_TOKEN), ``JOB-TOKEN`` for CI_JOB_TOKEN (which may only read MRs and
write releases: set GITLAB_TOKEN to open merge requests from CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from contextlib import closing
from typing import Any
from urllib.parse import quote

from releasekit_tasks.errors import RKError
from releasekit_tasks.forges import DispatchTarget, ForgeSettings, PullRequest, Release
from releasekit_tasks.forges.api import Api, Client

_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "open"}


def _mr(data: Mapping[str, Any]) -> PullRequest:
    return PullRequest(
        number=data["iid"],
        title=data.get("title") or "",
        body=data.get("description") or "",
        state=_STATES.get(data["state"], data["state"]),
        head=data["source_branch"],
        base=data["target_branch"],
        labels=tuple(
            label["name"] if isinstance(label, dict) else label
            for label in data.get("labels") or ()
        ),
        merge_sha=data.get("merge_commit_sha") or data.get("squash_commit_sha") or data.get("sha"),
        url=data.get("web_url") or "",
        merged_at=data.get("merged_at") or "",
    )


def _release(data: Mapping[str, Any]) -> Release:
    links = data.get("_links") or {}
    return Release(
        tag=data["tag_name"],
        name=data.get("name") or "",
        body=data.get("description") or "",
        prerelease=False,
        draft=False,
        url=links.get("self") or "",
        id=data["tag_name"],
    )


class GitLab(Client):
    kind = "gitlab"

    def __init__(self, settings: ForgeSettings, **api: Any) -> None:
        self.settings = settings
        header = "JOB-TOKEN" if settings.token_source == "CI_JOB_TOKEN" else "PRIVATE-TOKEN"
        self.api = Api(settings, {header: settings.token}, **api)
        self.base = f"/projects/{quote(settings.repo, safe='')}"

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        params = {"state": "opened", "source_branch": head, "target_branch": base}
        for data in self.api.pages(f"{self.base}/merge_requests", params):
            if data["source_branch"] == head and data["target_branch"] == base:
                return _mr(data)
        return None

    def open_pr(
        self, head: str, base: str, title: str, body: str, labels: tuple[str, ...]
    ) -> PullRequest:
        payload = {
            "source_branch": head,
            "target_branch": base,
            "title": title,
            "description": body,
        }
        if labels:
            payload["labels"] = ",".join(labels)
        return _mr(self.api.json("POST", f"{self.base}/merge_requests", json=payload))

    def update_pr(self, pr: PullRequest, title: str, body: str) -> PullRequest:
        data = self.api.json(
            "PUT",
            f"{self.base}/merge_requests/{pr.number}",
            json={"title": title, "description": body},
        )
        return _mr(data)

    def close_pr(self, pr: PullRequest) -> None:
        self.api.json(
            "PUT", f"{self.base}/merge_requests/{pr.number}", json={"state_event": "close"}
        )

    def find_merged_pr(self, head: str, label: str, sha: str | None = None) -> PullRequest | None:
        if sha:
            for data in self.api.pages(f"{self.base}/repository/commits/{sha}/merge_requests"):
                pr = _mr(data)
                if pr.state == "merged" and pr.head == head:
                    return pr
        labelled = self.merged_prs(head, label)
        return labelled[-1] if labelled else None

    def merged_prs(self, head: str, label: str) -> list[PullRequest]:
        params = {"state": "merged", "source_branch": head, "labels": label}
        merged = [_mr(data) for data in self.api.pages(f"{self.base}/merge_requests", params)]
        return sorted(
            (pr for pr in merged if pr.head == head and label in pr.labels),
            key=lambda pr: (pr.merged_at, pr.number),
        )

    def set_labels(self, pr: PullRequest, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        payload: dict[str, str] = {}
        if add:
            payload["add_labels"] = ",".join(add)
        if remove := tuple(name for name in remove if name not in add):
            payload["remove_labels"] = ",".join(remove)
        if payload:
            self.api.json("PUT", f"{self.base}/merge_requests/{pr.number}", json=payload)

    def get_release(self, tag: str) -> Release | None:
        data = self.api.get_or_none(f"{self.base}/releases/{quote(tag, safe='')}")
        return None if data is None else _release(data)

    def create_release(
        self, tag: str, name: str, body: str, *, prerelease: bool, draft: bool
    ) -> Release:
        if draft:
            print(f"warning  gitlab has no draft releases: {tag} is released")
        if prerelease and "prerelease" not in name:
            name = f"{name} (prerelease)"
        data = self.api.json(
            "POST",
            f"{self.base}/releases",
            json={"tag_name": tag, "name": name, "description": body},
        )
        return _release(data)

    def delete_release(self, tag: str) -> bool:
        response = self.api.request(
            "DELETE", f"{self.base}/releases/{quote(tag, safe='')}", ok=(404,)
        )
        return response.status_code != 404

    def dispatch(self, target: DispatchTarget, event_type: str, payload: Mapping[str, Any]) -> bool:
        token = os.environ.get(target.token_env, "")
        if not token:
            print(
                f"warning  no pipeline trigger token in {target.token_env}: "
                f"{target.repo} not notified"
            )
            return False
        # The trigger token authenticates the request: the project token is not sent along.
        with closing(Api(self.settings, {}, sleep=self.api.sleep)) as trigger:
            try:
                trigger.request(
                    "POST",
                    f"/projects/{quote(target.repo, safe='')}/trigger/pipeline",
                    data={
                        "token": token,
                        "ref": target.ref,
                        "variables[RELEASEKIT_EVENT]": event_type,
                        "variables[RELEASEKIT_PAYLOAD]": json.dumps(payload, sort_keys=True),
                    },
                )
            except RKError as exc:  # GitLab answers 404 for a wrong trigger token
                raise RKError(
                    exc.code,
                    exc.message,
                    fix=f"check the trigger token in {target.token_env} (a pipeline trigger "
                    f"token of {target.repo}) and that its branch {target.ref} exists",
                ) from None
        return True
