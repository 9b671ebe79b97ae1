"""Notion through notion-client (API 2025-09-03: a database holds data sources; rows live on those).

The gateway spaces requests to Notion's average of 3 per second, waits out a 429's Retry-After when
it is short, backs off on 5xx and 529, and turns every other answer into an error that says what to
do. It never logs or repeats the token.
"""

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from notion_client import APIResponseError, Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.services.retry_after import retry_after_s

TEXT_LIMIT = 2000  # characters in one rich-text item
RICH_TEXT_ITEMS = 100  # items in one rich-text array


class NotionUnavailable(MusicsyncError):
    error_class = "notion_unavailable"
    hint = "the update waits in the catalog's Notion backlog and is sent once Notion answers"


class NotionAuthError(MusicsyncError):
    error_class = "auth_expired"
    hint = "create a new internal integration token at notion.so/my-integrations and set NOTION_TOKEN"


class NotionNotShared(MusicsyncError):
    error_class = "notion_not_found"
    hint = "share the database with the integration (open it in Notion, ••• → Connections) and check its ID"


class NotionSchemaError(MusicsyncError):
    error_class = "notion_schema"
    hint = "run `musicsync notion check --fix` to add the missing properties"


class NotionRejected(MusicsyncError):
    error_class = "notion_rejected"
    hint = "check the property types with `musicsync notion check`"


def database_id_from(text: str) -> str:
    """A database ID from an ID (with or without dashes) or a full Notion URL (not its ?v= view)."""
    candidate = urlsplit(text.strip()).path if "://" in text else text.strip()
    found = re.findall(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", candidate)
    if not found:
        raise NotionNotShared(f"{text!r} is not a Notion database ID or URL",
                              "copy the database's link from Notion (••• → Copy link)")
    raw = found[-1].replace("-", "").lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


class _Pacer:
    """At most one request per interval across the process: Notion's limit is per integration."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, interval_s: float) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + interval_s
        if delay > 0:
            time.sleep(delay)


_PACER = _Pacer()


@dataclass
class NotionGateway:
    token: str
    base_url: str = "https://api.notion.com"
    requests_per_s: float = 3.0
    max_wait_s: float = 60.0
    attempts: int = 4
    timeout_s: float = 30.0
    backoff_s: float = 1.0  # the first wait after a 5xx; it doubles each time

    def __post_init__(self) -> None:
        self.client = Client(auth=self.token, base_url=self.base_url.rstrip("/").removesuffix("/v1"),
                             retry=False, timeout_ms=int(self.timeout_s * 1000))
        self.requests_made = 0

    def call(self, what: str, request: Callable[[], dict], repeatable: bool = True) -> dict:
        """Sends one request, with pacing, Retry-After and backoff; `what` names it in errors.

        A request that is not `repeatable` (creating a page) is sent again only after a 429, which
        says it was not done: after a 5xx, a timeout or a dropped connection Notion may have made
        the page, so the backlog's next attempt looks for it before creating another.
        """
        backoff = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            # A hair over the nominal interval, so network jitter never lands four in one second.
            _PACER.wait(1.02 / self.requests_per_s)
            self.requests_made += 1
            try:
                return request()
            except HTTPResponseError as error:
                # Notion's own errors, and answers this client cannot parse (a proxy's body, or a
                # code it does not know, such as 529 or missing_version) alike: the status decides.
                if error.status == 429:
                    wait = retry_after_s((error.headers or {}).get("retry-after"), backoff)
                    if wait > self.max_wait_s:
                        until = datetime.now(UTC) + timedelta(seconds=wait)
                        raise NotionUnavailable(f"Notion is rate limiting musicsync until "
                                                f"{until:%H:%M:%S} UTC ({what})") from error
                    time.sleep(wait)
                elif error.status == 409 or error.status >= 500:  # 409: a conflict Notion says to retry
                    if attempt == self.attempts or not repeatable:
                        raise NotionUnavailable(f"Notion answered {error.status} to {what}") from error
                    time.sleep(backoff)
                else:
                    raise _explain(error, what) from error
            except (RequestTimeoutError, httpx.TransportError) as error:
                if attempt == self.attempts or not repeatable:
                    raise NotionUnavailable(f"Notion could not be reached for {what}: {error}") from error
                time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
        raise NotionUnavailable(f"Notion kept rate limiting {what}")

    # --- the endpoints musicsync uses -------------------------------------------------------

    def data_source_id(self, database_id: str, name: str) -> str:
        """The data source of `database_id` that musicsync reads and writes: its only one, else the
        one called `name` (case aside). The ID of a data source itself is taken as it is: a database
        holding several lists each under its own ID."""
        try:
            answer = self.call(f"database {database_id}", lambda: self.client.databases.retrieve(database_id))
        except NotionNotShared as not_a_database:
            try:
                return self.call(f"data source {database_id}",
                                 lambda: self.client.data_sources.retrieve(database_id))["id"]
            except NotionNotShared:
                raise not_a_database  # what the user set is named a database: say so
        sources = answer.get("data_sources") or []
        named = [source for source in sources if str(source.get("name") or "").strip().lower() == name.lower()]
        if len(sources) == 1 or len(named) == 1:
            return (named or sources)[0]["id"]
        if not sources:
            raise NotionNotShared(f"database {database_id} has no data source musicsync can use")
        listed = ", ".join(f"{source.get('name') or 'untitled'} ({source['id']})" for source in sources)
        raise NotionNotShared(f"database {database_id} holds {len(sources)} data sources and none is called {name}: "
                              f"{listed}", "give the ID of the one musicsync should use in place of the database's")

    def schema(self, data_source_id: str) -> dict[str, dict]:
        answer = self.call("the database schema", lambda: self.client.data_sources.retrieve(data_source_id))
        return answer.get("properties", {})

    def add_properties(self, data_source_id: str, properties: dict[str, dict]) -> dict[str, dict]:
        answer = self.call("adding properties",
                           lambda: self.client.data_sources.update(data_source_id, properties=properties))
        return answer.get("properties", {})

    def query(self, data_source_id: str, filter: dict | None = None, page_size: int = 100,
              sorts: list[dict] | None = None) -> Iterator[dict]:
        cursor = None
        while True:
            body = {"page_size": page_size, **({"filter": filter} if filter else {}),
                    **({"sorts": sorts} if sorts else {}), **({"start_cursor": cursor} if cursor else {})}
            answer = self.call("a database query", lambda body=body: self.client.data_sources.query(
                data_source_id, **body))
            yield from answer.get("results", [])
            cursor = answer.get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return

    def create_page(self, data_source_id: str, properties: dict) -> dict:
        return self.call("creating a page", lambda: self.client.pages.create(
            parent={"data_source_id": data_source_id}, properties=properties), repeatable=False)

    def update_page(self, page_id: str, properties: dict) -> dict:
        return self.call("updating a page", lambda: self.client.pages.update(page_id, properties=properties))

    def page(self, page_id: str) -> dict:
        return self.call("reading a page", lambda: self.client.pages.retrieve(page_id))


def _explain(error: HTTPResponseError, what: str) -> MusicsyncError:
    code = f" {error.code}" if isinstance(error, APIResponseError) else ""
    if error.status == 401:
        return NotionAuthError(f"Notion refused the token (401{code or ' unauthorized'}) for {what}")
    if error.status in (403, 404):
        return NotionNotShared(f"Notion cannot see {what} ({error.status}{code})")
    return NotionRejected(f"Notion rejected {what}: {error.body if isinstance(error.body, str) else error}")


# --- property values ------------------------------------------------------------------------

def rich_text(text: str | None) -> list[dict]:
    """Text as rich-text items of at most 2,000 characters, and at most 100 of them."""
    if not text:
        return []
    chunks = [text[i:i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)][:RICH_TEXT_ITEMS]
    return [{"type": "text", "text": {"content": chunk}} for chunk in chunks]


def encode_value(kind: str, value) -> dict:
    """A plain value as Notion's property value of the given type."""
    if kind in ("title", "rich_text"):
        return {kind: rich_text(value)}
    if kind == "number":
        return {"number": value}
    if kind == "url":
        return {"url": value[:TEXT_LIMIT] if value else None}
    if kind == "checkbox":
        return {"checkbox": bool(value)}
    if kind in ("select", "status"):
        return {kind: {"name": value} if value else None}
    if kind == "date":
        return {"date": {"start": value} if value else None}
    if kind == "files":
        return {"files": [{"type": "external", "name": "artwork", "external": {"url": value}}] if value else []}
    if kind == "people":
        return {"people": [{"id": value}] if value else []}
    raise ValueError(f"musicsync does not write Notion {kind} properties")


def decode_value(prop: dict):
    """A property value from a page, as the plain value `encode_value` takes."""
    kind = prop.get("type")
    data = prop.get(kind)
    if kind in ("title", "rich_text"):
        return "".join(item.get("plain_text") or item.get("text", {}).get("content", "") for item in data or []) \
            or None
    if kind in ("select", "status"):
        return data.get("name") if data else None
    if kind == "date":
        return data.get("start") if data else None
    if kind == "files":
        return next((f.get("external", {}).get("url") or f.get("file", {}).get("url") for f in data or []), None)
    if kind == "people":
        return next((p.get("id") for p in data or []), None)
    return data
