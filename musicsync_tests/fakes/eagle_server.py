"""A loopback Eagle: the desktop app's local API as its V1 documentation describes it.

application/info, item/addFromPath, item/list (keyword, folders, limit), folder/list and
folder/create, each answering in Eagle's envelope ({"status": "success", "data": ...} or
{"status": "error", "message": ...}). It checks that an added file exists, as Eagle does, and can
demand a token, answer queued error envelopes, or quit after N requests (the app closed
mid-batch: the connection drops without an answer).
"""

import itertools
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from musicsync_tests.fakes.loopback import json_handler, serve


class AppQuit(ConnectionAbortedError):
    """Raised inside the handler: the server drops the connection, as a closing app does."""


@dataclass
class FakeEagle:
    token: str | None = None
    items: list[dict] = field(default_factory=list)
    folders: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, endpoint)
    queued_errors: list[str] = field(default_factory=list)  # messages served as error envelopes first
    quit_after: int | None = None  # requests answered before the app "quits"
    return_item_id: bool = True  # older Eagle answers addFromPath with a bare success
    latency_s: float = 0.0  # how long each answer takes
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):011d}"

    def add_folder(self, name: str) -> dict:
        folder = {"id": self._new_id("F"), "name": name, "children": [], "imageCount": 0}
        self.folders.append(folder)
        return folder

    def answer(self, method: str, path: str, query: dict, body: str) -> tuple[int, dict, object]:
        time.sleep(self.latency_s)
        if self.quit_after is not None and len(self.requests) >= self.quit_after:
            raise AppQuit("Eagle quit")
        endpoint = path.removeprefix("/api/")
        self.requests.append((method, endpoint))
        if self.token and query.get("token") != self.token:
            return 401, {}, {"status": "error", "message": "Unauthorized: invalid token"}
        if self.queued_errors:
            return 200, {}, {"status": "error", "message": self.queued_errors.pop(0)}
        payload = json.loads(body) if body else {}
        if (method, endpoint) == ("GET", "application/info"):
            return 200, {}, {"status": "success", "data": {"version": "4.0.0", "platform": "linux"}}
        if (method, endpoint) == ("GET", "folder/list"):
            return 200, {}, {"status": "success", "data": self.folders}
        if (method, endpoint) == ("POST", "folder/create"):
            if not payload.get("folderName"):
                return 200, {}, {"status": "error", "message": "folderName is required"}
            return 200, {}, {"status": "success", "data": self.add_folder(payload["folderName"])}
        if (method, endpoint) == ("GET", "item/list"):
            return 200, {}, {"status": "success", "data": self._list(query)}
        if (method, endpoint) == ("POST", "item/addFromPath"):
            return self._add(payload)
        return 404, {}, {"status": "error", "message": f"no such endpoint {endpoint}"}

    def _list(self, query: dict) -> list[dict]:
        found = [item for item in self.items
                 if query.get("keyword", "").lower() in item["name"].lower()
                 and (not query.get("folders") or query["folders"] in item["folders"])]
        return found[: int(query.get("limit", 200))]

    def _add(self, payload: dict) -> tuple[int, dict, object]:
        source = Path(payload.get("path", ""))
        if not source.is_file():
            return 200, {}, {"status": "error", "message": f"file does not exist: {source}"}
        folder_id = payload.get("folderId")
        if folder_id and folder_id not in {f["id"] for f in self.folders}:
            return 200, {}, {"status": "error", "message": f"folder {folder_id} not found"}
        item = {"id": self._new_id("I"), "name": payload.get("name") or source.stem,
                "ext": source.suffix.lstrip("."), "size": source.stat().st_size, "url": payload.get("website", ""),
                "tags": payload.get("tags", []), "annotation": payload.get("annotation", ""),
                "folders": [folder_id] if folder_id else [], "isDeleted": False}
        self.items.append(item)
        return 200, {}, {"status": "success", **({"data": item["id"]} if self.return_item_id else {})}


@contextmanager
def serve_eagle(fake: FakeEagle | None = None):
    """Yields (fake, base URL)."""
    fake = fake or FakeEagle()

    def answer(method: str, path: str, query: dict, headers, body: str):
        return fake.answer(method, path, query, body)

    with serve(json_handler(answer)) as base:
        yield fake, base
