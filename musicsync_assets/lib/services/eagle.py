"""Eagle's local HTTP API (the desktop app's, http://localhost:41595 by default): folders, finding an
item, adding a file.

Every answer is an envelope, `{"status": "success", "data": ...}` or `{"status": "error",
"message": ...}`; an error envelope becomes EagleError with Eagle's message. Eagle only answers
while the app runs, so a refused, dropped or timed-out connection is EagleUnavailable: not a
failure of the track, but an import to queue until the app is back. The optional API token goes
with every request as the `token` query parameter, as Eagle asks.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from musicsync_assets.lib.errors import MusicsyncError

URL_ENV, TOKEN_ENV, FOLDER_ENV = "MUSICSYNC_EAGLE_URL", "EAGLE_API_TOKEN", "MUSICSYNC_EAGLE_FOLDER"
DEFAULT_URL = "http://localhost:41595"
DEFAULT_FOLDER = "musicsync"
_PAGE = 200
_FOLDER_LIMIT = 50000


class EagleError(MusicsyncError):
    """Eagle answered, but with an error or something that is not its envelope."""

    error_class = "eagle"
    hint = "check the Eagle app (and EAGLE_API_TOKEN if it asks for one), then sync again"


class EagleUnavailable(MusicsyncError):
    """Eagle did not answer: the app is closed. The caller queues the import rather than failing."""

    error_class = "eagle_unavailable"
    hint = "start the Eagle app; queued imports go in on the next sync"


@dataclass(frozen=True)
class EagleSettings:
    url: str = DEFAULT_URL
    token: str | None = None
    folder: str = DEFAULT_FOLDER

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "EagleSettings | None":
        """Eagle is wanted once any of its variables is set; None otherwise (not configured is not broken)."""
        env = os.environ if environ is None else environ
        if not any(env.get(name) for name in (URL_ENV, TOKEN_ENV, FOLDER_ENV)):
            return None
        return cls(url=env.get(URL_ENV) or DEFAULT_URL, token=env.get(TOKEN_ENV) or None,
                   folder=env.get(FOLDER_ENV) or DEFAULT_FOLDER)


class EagleClient:
    def __init__(self, settings: EagleSettings, session: requests.Session | None = None,
                 timeout_s: float = 10.0):
        self.base = settings.url.rstrip("/")
        self.token = settings.token
        self.session = session or requests.Session()
        self.timeout_s = timeout_s

    def _call(self, method: str, endpoint: str, params: dict | None = None, body: dict | None = None):
        query = {**(params or {}), **({"token": self.token} if self.token else {})}
        try:
            response = self.session.request(method, f"{self.base}/api/{endpoint}", params=query, json=body,
                                            timeout=self.timeout_s)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise EagleUnavailable(f"Eagle is not answering at {self.base} ({type(error).__name__})") from error
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict) or "status" not in envelope:
            raise EagleError(f"Eagle's {endpoint} answered HTTP {response.status_code} without its JSON envelope")
        if envelope["status"] != "success":
            raise EagleError(f"Eagle refused {endpoint}: {envelope.get('message') or envelope.get('data') or 'no reason given'}")
        return envelope.get("data")

    # --- the calls ------------------------------------------------------------------------------

    def info(self) -> dict:
        """The app's version and platform; the cheapest way to ask whether Eagle is running."""
        return self._call("GET", "application/info") or {}

    def folder_id(self, name: str) -> str:
        """The ID of the top-level folder called `name`, created when it is missing."""
        for folder in self._call("GET", "folder/list") or []:
            if folder.get("name") == name:
                return folder["id"]
        created = self._call("POST", "folder/create", body={"folderName": name})
        if not isinstance(created, dict) or not created.get("id"):
            raise EagleError(f"Eagle created the folder {name!r} but returned no ID")
        return created["id"]

    def find_item(self, website: str | None, name: str, folder_id: str | None = None,
                  skip: Callable[[dict], bool] = lambda item: False) -> dict | None:
        """An item already imported for this track: the same website (source URL), else the same name,
        unless `skip` rules it out.

        A name search across the library first; then the musicsync folder, for an item renamed in
        Eagle that still carries the track's URL.
        """
        def same(item: dict) -> bool:
            return (bool(website and item.get("url") == website) or item.get("name") == name) and not skip(item)

        for item in self._call("GET", "item/list", params={"keyword": name, "limit": _PAGE}) or []:
            if same(item) and not item.get("isDeleted"):
                return item
        if website and folder_id:
            # One request for the whole folder: Eagle's docs leave open whether `offset` counts items
            # or pages, so paging could skip or repeat items.
            for item in self._call("GET", "item/list", params={"folders": folder_id, "limit": _FOLDER_LIMIT}) or []:
                if same(item) and not item.get("isDeleted"):
                    return item
        return None

    def add_from_path(self, path: Path, name: str, website: str | None, tags: list[str], annotation: str,
                      folder_id: str | None) -> str:
        """Imports a file and returns its item ID. Eagle copies the file into its own library."""
        body = {"path": str(path), "name": name, "tags": tags, "annotation": annotation,
                **({"website": website} if website else {}), **({"folderId": folder_id} if folder_id else {})}
        data = self._call("POST", "item/addFromPath", body=body)
        if isinstance(data, str) and data:
            return data
        # Older Eagle answers a bare success without the new item's ID: look it up.
        found = self.find_item(website, name, folder_id)
        if found is None:
            raise EagleError(f"Eagle accepted {Path(path).name} but no item with its name or URL appeared")
        return found["id"]
