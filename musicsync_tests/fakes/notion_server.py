"""A loopback Notion (API 2025-09-03) that notion-client talks to for real.

Databases hold data sources; pages live on a data source. It speaks the wire format of
`../shared/reference/external-apis.md`: error bodies, cursor paging in the JSON body, 429 with
Retry-After, and validation errors for unknown properties, wrong types and text over 2,000
characters. Tests queue faults (`fail_next`) and read the request log.
"""

import base64
import json
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

from musicsync_tests.fakes import loopback

TEXT_TYPES = ("title", "rich_text")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dashed(raw: str) -> str:
    raw = raw.replace("-", "").lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}" if len(raw) == 32 else raw


class NotionError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, by_proxy: bool = False):
        """`by_proxy`: answered as a proxy or gateway in front of Notion does, without Notion's error JSON."""
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}
        self.by_proxy = by_proxy


def plain(prop: dict):
    """A property's value as a plain Python value (the fake's own reading, for assertions)."""
    kind = prop["type"]
    data = prop.get(kind)
    if kind in TEXT_TYPES:
        return "".join(item["plain_text"] for item in data) or None
    if kind in ("select", "status"):
        return data["name"] if data else None
    if kind == "date":
        return data["start"] if data else None
    if kind == "files":
        return [f["external"]["url"] for f in data]
    if kind == "people":
        return [p["id"] for p in data]
    return data


class FakeNotion:
    def __init__(self, token: str = "secret_fake_token"):
        self.token = token
        self.databases: dict[str, str] = {}
        self.schemas: dict[str, dict[str, dict]] = {}
        self.pages: dict[str, dict] = {}
        self.requests: list[tuple[float, str, str]] = []
        self.faults: list[NotionError] = []
        self.max_requests_per_s: float | None = None  # answer 429 above this, as Notion does
        self.latency_s = 0.0  # how long each answer takes (Notion's take 100-500 ms)
        self.source_names: dict[str, str] = {}  # data source id -> its name
        self.listed_first: dict[str, list[dict]] = {}  # database id -> more data sources, listed before its own
        self.late_create_answers_s = 0.0  # a page is made at once, its answer sent this much later
        self.lock = threading.RLock()

    # --- test set-up and inspection -----------------------------------------------------------

    def add_database(self, properties: dict[str, str], title_name: str = "Name",
                     source_name: str = "Tracks") -> tuple[str, str]:
        database_id, data_source_id = str(uuid.uuid4()), str(uuid.uuid4())
        self.databases[database_id] = data_source_id
        self.source_names[data_source_id] = source_name
        self.schemas[data_source_id] = {}
        self._add_properties(data_source_id, {title_name: {"type": "title", "title": {}},
                                              **{n: {"type": t, t: {}} for n, t in properties.items()}})
        return database_id, data_source_id

    def add_data_source(self, database_id: str, name: str, properties: dict[str, str]) -> str:
        """Another data source of the database (Notion lets one database hold several), listed first."""
        data_source_id = str(uuid.uuid4())
        self.schemas[data_source_id] = {}
        self._add_properties(data_source_id, {"Name": {"type": "title", "title": {}},
                                              **{n: {"type": t, t: {}} for n, t in properties.items()}})
        self.listed_first.setdefault(database_id, []).append({"id": data_source_id, "name": name})
        return data_source_id

    def add_page(self, data_source_id: str, values: dict) -> dict:
        """A page as a user would make it by hand."""
        schema = self.schemas[data_source_id]
        properties = {name: self._encode(schema[name]["type"], value) for name, value in values.items()}
        return self._create(data_source_id, self._validated(data_source_id, properties))

    def rows(self, data_source_id: str) -> list[dict]:
        """Live pages of a data source as {property name: plain value}, oldest first, with their id."""
        return [{"id": p["id"], **{n: plain(v) for n, v in p["properties"].items()}}
                for p in self.pages.values()
                if p["parent"]["data_source_id"] == data_source_id and not p["in_trash"]]

    def fail_next(self, status: int, code: str, count: int = 1, retry_after: int | None = None,
                  by_proxy: bool = False) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.faults.extend(NotionError(status, code, f"fake {code}", headers, by_proxy) for _ in range(count))

    def count(self, method: str | None = None, path_start: str = "") -> int:
        return sum(1 for _, m, p in self.requests if (method is None or m == method) and p.startswith(path_start))

    def peak_rate(self, window_s: float = 1.0) -> int:
        """Most requests received within any window of `window_s` seconds (half-open, as a rate is)."""
        times = sorted(t for t, _, _ in self.requests)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= window_s:
                start += 1
            best = max(best, end - start + 1)
        return best

    # --- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers, body: dict) -> dict:
        time.sleep(self.latency_s)
        with self.lock:
            self.requests.append((time.monotonic(), method, path))
            if headers.get("Authorization") != f"Bearer {self.token}":
                raise NotionError(401, "unauthorized", "API token is invalid.")
            if not headers.get("Notion-Version"):
                raise NotionError(400, "missing_version", "Notion-Version header failed validation.")
            if self.faults:
                raise self.faults.pop(0)
            if self.max_requests_per_s:
                recent = [t for t, _, _ in self.requests if t > time.monotonic() - 1.0]
                if len(recent) > self.max_requests_per_s:
                    raise NotionError(429, "rate_limited", "You have been rate limited.", {"Retry-After": "1"})
            answer = self._route(method, path, body)
        if method == "POST" and path.rstrip("/") == "/v1/pages":
            time.sleep(self.late_create_answers_s)
        return answer

    def _route(self, method: str, path: str, body: dict) -> dict:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if parts[0] == "databases" and method == "GET":
            database_id = _dashed(parts[1])
            if database_id not in self.databases:
                raise NotionError(404, "object_not_found", f"Could not find database with ID: {database_id}. "
                                  "Make sure the relevant pages and databases are shared with your integration.")
            return {"object": "database", "id": database_id,
                    "data_sources": [*self.listed_first.get(database_id, []),
                                     {"id": self.databases[database_id],
                                      "name": self.source_names[self.databases[database_id]]}]}
        if parts[0] == "data_sources":
            data_source_id = self._data_source(parts[1])
            if len(parts) == 3 and parts[2] == "query" and method == "POST":
                return self._query(data_source_id, body)
            if method == "PATCH":
                self._add_properties(data_source_id, body.get("properties", {}))
            return {"object": "data_source", "id": data_source_id, "properties": self.schemas[data_source_id]}
        if parts[0] == "pages":
            if method == "POST":
                parent = body.get("parent", {})
                if "data_source_id" not in parent:
                    raise NotionError(400, "validation_error", "body.parent.data_source_id should be defined")
                data_source_id = self._data_source(parent["data_source_id"])
                return self._create(data_source_id, self._validated(data_source_id, body.get("properties", {})))
            page = self.pages.get(_dashed(parts[1]))
            if page is None:
                raise NotionError(404, "object_not_found", f"Could not find page with ID: {parts[1]}.")
            if method == "PATCH":
                page["properties"].update(self._validated(page["parent"]["data_source_id"], body.get("properties", {})))
                if "in_trash" in body:
                    page["in_trash"] = page["archived"] = bool(body["in_trash"])
                page["last_edited_time"] = _now()
            return page
        if parts[0] == "search" and method == "POST":
            query = (body.get("query") or "").lower()
            found = [p for p in self.pages.values() if query in (plain(next(
                v for v in p["properties"].values() if v["type"] == "title")) or "").lower()]
            return self._paged(found, body)
        raise NotionError(400, "invalid_request_url", f"Invalid request URL: {method} {path}")

    def _data_source(self, raw_id: str) -> str:
        data_source_id = _dashed(raw_id)
        if data_source_id not in self.schemas:
            raise NotionError(404, "object_not_found", f"Could not find data_source with ID: {data_source_id}.")
        return data_source_id

    def _add_properties(self, data_source_id: str, properties: dict) -> None:
        schema = self.schemas[data_source_id]
        for name, config in properties.items():
            kind = config.get("type") or next(k for k in config if k not in ("name", "id"))
            options = (config.get(kind) or {}).get("options", [])
            schema[name] = {"id": uuid.uuid4().hex[:4], "name": name, "type": kind,
                            kind: {"options": [{"name": o["name"]} for o in options]} if kind in ("select", "status")
                            else {}}

    def _validated(self, data_source_id: str, properties: dict) -> dict:
        schema = self.schemas[data_source_id]
        result = {}
        for name, value in properties.items():
            if name not in schema:
                raise NotionError(400, "validation_error", f"{name} is not a property that exists.")
            kind = schema[name]["type"]
            if kind not in value:
                raise NotionError(400, "validation_error",
                                  f"{name} is expected to be {kind}. Got {sorted(value)}.")
            data = value[kind]
            if kind in TEXT_TYPES:
                if len(data) > 100:
                    raise NotionError(400, "validation_error", f"body.properties.{name}.{kind}.length should be ≤ 100")
                for item in data:
                    if len(item["text"]["content"]) > 2000:
                        raise NotionError(400, "validation_error", f"body.properties.{name}.{kind}[0].text."
                                          "content.length should be ≤ `2000`")
                data = [{**item, "plain_text": item["text"]["content"], "annotations": {}} for item in data]
            if kind in ("select", "status") and data:
                known = schema[name][kind]["options"]
                if data["name"] not in [o["name"] for o in known]:
                    if kind == "status":
                        raise NotionError(400, "validation_error", f"Invalid status option {data['name']}.")
                    known.append({"name": data["name"]})  # Notion adds a select option on first use
            if kind == "url" and data and len(data) > 2000:
                raise NotionError(400, "validation_error", f"{name} URL is longer than 2000 characters.")
            result[name] = {"id": schema[name]["id"], "type": kind, kind: data}
        return result

    def _encode(self, kind: str, value) -> dict:
        if kind in TEXT_TYPES:
            return {kind: [{"type": "text", "text": {"content": value}}] if value else []}
        if kind in ("select", "status"):
            return {kind: {"name": value} if value else None}
        if kind == "date":
            return {kind: {"start": value} if value else None}
        return {kind: value}

    def _create(self, data_source_id: str, properties: dict) -> dict:
        """A new page from validated properties; the rest of the schema's properties start empty."""
        schema = self.schemas[data_source_id]
        page_id = str(uuid.uuid4())
        empty = {"title": [], "rich_text": [], "number": None, "url": None, "checkbox": False, "select": None,
                 "status": None, "date": None, "files": [], "people": []}
        full = {name: {"id": prop["id"], "type": prop["type"], prop["type"]: empty.get(prop["type"])}
                for name, prop in schema.items()}
        full.update(properties)
        stamp = _now()
        database_id = next(d for d, s in self.databases.items() if s == data_source_id or data_source_id in (
            listed["id"] for listed in self.listed_first.get(d, [])))
        page = {"object": "page", "id": page_id, "created_time": stamp, "last_edited_time": stamp,
                "parent": {"type": "data_source_id", "data_source_id": data_source_id, "database_id": database_id},
                "in_trash": False, "archived": False, "properties": full,
                "url": f"https://www.notion.so/{page_id.replace('-', '')}", "public_url": None}
        self.pages[page_id] = page
        return page

    def _query(self, data_source_id: str, body: dict) -> dict:
        pages = [p for p in self.pages.values()
                 if p["parent"]["data_source_id"] == data_source_id and not p["in_trash"]]
        if body.get("filter"):
            pages = [p for p in pages if self._matches(p, body["filter"], self.schemas[data_source_id])]
        return self._paged(pages, body)

    def _paged(self, items: list[dict], body: dict) -> dict:
        size = min(int(body.get("page_size") or 100), 100)
        start = int(base64.b64decode(body["start_cursor"]).decode()) if body.get("start_cursor") else 0
        chunk = items[start:start + size]
        more = start + size < len(items)
        return {"object": "list", "results": chunk, "has_more": more, "type": "page_or_data_source",
                "page_or_data_source": {},
                "next_cursor": base64.b64encode(str(start + size).encode()).decode() if more else None}

    def _matches(self, page: dict, condition: dict, schema: dict) -> bool:
        if "and" in condition:
            return all(self._matches(page, c, schema) for c in condition["and"])
        if "or" in condition:
            return any(self._matches(page, c, schema) for c in condition["or"])
        name = condition["property"]
        if name not in schema:
            raise NotionError(400, "validation_error", f"Could not find property with name or id: {name}")
        kind = next(k for k in condition if k != "property")
        if kind != schema[name]["type"] and not (kind == "rich_text" and schema[name]["type"] == "title"):
            raise NotionError(400, "validation_error", f"Filter type {kind} does not match property {name}.")
        value = plain(page["properties"][name])
        (operator, operand), = condition[kind].items()
        return {
            "equals": lambda: value == operand,
            "does_not_equal": lambda: value != operand,
            "contains": lambda: operand in (value or ""),
            "is_empty": lambda: value in (None, "", []),
            "is_not_empty": lambda: value not in (None, "", []),
        }[operator]()


def _answer(fake: FakeNotion) -> loopback.Answer:
    def answer(method: str, path: str, query: dict, headers, body: str):
        try:
            return 200, {}, fake.handle(method, path, headers, json.loads(body) if body else {})
        except NotionError as error:
            if error.by_proxy:
                return error.status, error.headers, {"message": error.message}
            return error.status, error.headers, {"object": "error", "status": error.status, "code": error.code,
                                                 "message": error.message, "request_id": str(uuid.uuid4())}
        except json.JSONDecodeError:
            return 400, {}, {"object": "error", "status": 400, "code": "invalid_json",
                             "message": "Error parsing JSON body."}

    return answer


@contextmanager
def serve(fake: FakeNotion):
    """Runs the fake on 127.0.0.1; yields the base URL to give notion-client (without /v1)."""
    with loopback.serve(loopback.json_handler(_answer(fake))) as base:
        yield base


def track_schema_properties(formats=("m4a", "wav", "aiff")) -> dict[str, str]:
    """The properties musicsync needs in Tracks, by name and type (what `notion check --fix` adds)."""
    from musicsync_assets.lib.pipeline.notion_sync import TRACK_PROPERTIES

    return {**{n: t for n, (t, _) in TRACK_PROPERTIES.items()}, **{f"{f.upper()} Path": "rich_text" for f in formats}}


def task_schema_properties() -> dict[str, str]:
    from musicsync_assets.lib.pipeline.notion_sync import TASK_PROPERTIES

    return {n: t for n, (t, _) in TASK_PROPERTIES.items()}

