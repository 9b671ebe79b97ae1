"""Notion's bookkeeping: cached lookups, the outbox, pages and failure tasks."""

import json

from musicsync_assets.lib.catalog.store.connection import utcnow


class NotionRows:
    """Notion's bookkeeping: cached lookups, the outbox, pages and failure tasks."""

    def cached(self, name: str, max_age_s: float) -> object | None:
        _, rows = self._fetch("SELECT value, stored_at FROM settings_cache WHERE name = ?", [name])
        if not rows or (utcnow() - rows[0][1]).total_seconds() > max_age_s:
            return None
        return json.loads(rows[0][0])

    def cache(self, name: str, value: object) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO settings_cache VALUES (?, ?, ?)", [name, json.dumps(value), utcnow()])

    def forget(self, name: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM settings_cache WHERE name = ?", [name])

    def enqueue_notion(self, kind: str, track_key: str, detail: dict | None = None) -> None:
        """Adds an update for Notion; an identical one still waiting is not added twice."""
        payload = json.dumps(detail or {}, sort_keys=True)
        with self._connect() as db:
            waiting = db.execute("SELECT 1 FROM notion_outbox WHERE kind = ? AND track_key = ? AND detail = ?::JSON",
                                 [kind, track_key, payload]).fetchone()
            if not waiting:
                db.execute("INSERT INTO notion_outbox (kind, track_key, detail, created_at) VALUES (?, ?, ?, ?)",
                           [kind, track_key, payload, utcnow()])

    def notion_backlog(self) -> list[dict]:
        columns, rows = self._fetch("SELECT id, kind, track_key, detail, attempts, last_error FROM notion_outbox "
                                    "ORDER BY id")
        return [{**dict(zip(columns, row, strict=True)), "detail": json.loads(row[3] or "{}")} for row in rows]

    def notion_sent(self, item_id: int) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM notion_outbox WHERE id = ?", [item_id])

    def notion_not_sent(self, item_id: int, error: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE notion_outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                       [error, item_id])

    def notion_page(self, track_key: str) -> dict | None:
        _, rows = self._fetch("SELECT page_id, page_url, snapshot FROM notion_pages WHERE track_key = ?", [track_key])
        return {"page_id": rows[0][0], "page_url": rows[0][1], "snapshot": json.loads(rows[0][2])} if rows else None

    def save_notion_page(self, track_key: str, page_id: str, page_url: str | None, snapshot: dict) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO notion_pages VALUES (?, ?, ?, ?, ?)",
                       [track_key, page_id, page_url, json.dumps(snapshot), utcnow()])

    def notion_tasks(self, track_key: str, status: str | None = None) -> list[dict]:
        sql = "SELECT track_key, error_class, page_id, count, status FROM notion_tasks WHERE track_key = ?"
        columns, rows = self._fetch(sql + (" AND status = ?" if status else ""),
                                    [track_key, status] if status else [track_key])
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def save_notion_task(self, track_key: str, error_class: str, page_id: str, count: int, status: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO notion_tasks VALUES (?, ?, ?, ?, ?, ?)",
                       [track_key, error_class, page_id, count, status, utcnow()])
