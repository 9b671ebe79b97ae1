"""Gaps and plan items into Notion, through the catalog's outbox: each change is queued once and sent
by `NotionSync.drain`, now or, while Notion is away, by a later run or the backlog sensor. A page is
queued only when its content or status changed since it was filed, so an unchanged gap costs
nothing."""

import hashlib
import json

from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.notion_sync import TASK_DONE, TASK_OPEN

GAP, PLAN_ITEM = "gap", "plan_item"


def digest(detail: dict) -> str:
    return hashlib.sha1(json.dumps(detail, sort_keys=True, default=str).encode()).hexdigest()[:16]


def queue(store: Store, kind: str, items: list[dict]) -> dict:
    """Queues a page for each item ({id, title, …}) that is new or changed, and a close for each
    filed open page whose item is gone. Returns counts of what was queued."""
    with store.session():  # one connection for the whole comparison, not one per item
        return _queue(store, kind, items)


def _queue(store: Store, kind: str, items: list[dict]) -> dict:
    filed = {page["item_id"]: page for page in store.insight_pages(kind)}
    opened = closed = 0
    for item in items:
        detail = {**item, "digest": digest(item), "status": TASK_OPEN}
        known = filed.get(item["id"])
        if known and known["digest"] == detail["digest"] and known["status"] == TASK_OPEN:
            continue
        store.enqueue_notion(kind, f"{kind}:{item['id']}", detail)
        opened += 1
    current = {item["id"] for item in items}
    for item_id, page in filed.items():
        if item_id not in current and page["status"] == TASK_OPEN:
            store.enqueue_notion(kind, f"{kind}:{item_id}", {"id": item_id, "status": TASK_DONE,
                                                              "digest": page["digest"]})
            closed += 1
    return {"queued": opened, "closing": closed}


def parse_filter(text: str) -> tuple[str | None, tuple[str, str] | None]:
    """`prefix:TEXT` (a title prefix) or `PROPERTY=VALUE` (a select, status or tag value)."""
    name, equals, value = text.partition("=")
    if text.startswith("prefix:") or not equals:
        return text.removeprefix("prefix:"), None
    return None, (name.strip(), value.strip())


def tracked_by(gap: dict, related: list[dict]) -> dict | None:
    """The open task that already covers a gap: its title names the gap's id or its title."""
    for task in related:
        title = task["title"].lower()
        if gap["id"].lower() in title or gap["title"].lower() in title:
            return task
    return None
