"""Eagle: the item each track became and the imports waiting for the app."""




from musicsync_assets.lib.catalog.store.connection import utcnow


class EagleRows:
    """Eagle: the item each track became and the imports waiting for the app."""

    def save_eagle_item(self, track_key: str, item_id: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO eagle_items VALUES (?, ?, ?)", [track_key, item_id, utcnow()])
            db.execute("DELETE FROM eagle_queue WHERE track_key = ?", [track_key])

    def eagle_item(self, track_key: str) -> str | None:
        _, rows = self._fetch("SELECT item_id FROM eagle_items WHERE track_key = ?", [track_key])
        return rows[0][0] if rows else None

    def eagle_track_of(self, item_id: str) -> str | None:
        """The track an Eagle item was imported or adopted for."""
        _, rows = self._fetch("SELECT track_key FROM eagle_items WHERE item_id = ?", [item_id])
        return rows[0][0] if rows else None

    def queue_eagle(self, track_key: str, error: str) -> None:
        """An import to retry when Eagle answers again; queueing it twice counts one more attempt."""
        with self._connect() as db:
            db.execute("INSERT INTO eagle_queue VALUES (?, ?, 1, ?) ON CONFLICT DO UPDATE SET"
                       " attempts = eagle_queue.attempts + 1, last_error = excluded.last_error",
                       [track_key, utcnow(), error])

    def eagle_queue(self) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM eagle_queue ORDER BY queued_at")
