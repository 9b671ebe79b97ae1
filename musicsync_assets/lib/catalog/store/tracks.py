"""Tracks, where they come from, their matches and the cursors of the likes walks."""

import json
from datetime import timedelta
from typing import Any

from musicsync_assets.lib.catalog.store.connection import TRACK_STATUSES, utcnow
from musicsync_assets.lib.catalog.store.records import TrackRecord


class TrackRows:
    """Tracks, where they come from, their matches and the cursors of the likes walks."""

    def register_track(self, track_key: str, source_kind: str, source_url: str,
                       source_id: str | None = None) -> bool:
        """Adds a discovered track; returns False when it was already known."""
        now = utcnow()
        with self._connect() as db:
            known = db.execute("SELECT 1 FROM tracks WHERE track_key = ?", [track_key]).fetchone()
            if not known:
                db.execute(
                    "INSERT INTO tracks (track_key, source_kind, source_url, added_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [track_key, source_kind, source_url, now, now],
                )
            db.execute(
                "INSERT INTO track_sources VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [source_kind, source_id or source_url, track_key, source_url, now],
            )
            return not known

    def add_source(self, track_key: str, kind: str, source_id: str, url: str) -> None:
        """Records one more place a catalogued track comes from (the same recording liked elsewhere)."""
        with self._connect() as db:
            db.execute("INSERT INTO track_sources VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       [kind, source_id, track_key, url, utcnow()])

    def key_for_source(self, kind: str, source_id: str) -> str | None:
        _, rows = self._fetch(
            "SELECT track_key FROM track_sources WHERE kind = ? AND source_id = ?", [kind, source_id]
        )
        return rows[0][0] if rows else None

    def save_match(self, track_key: str, url: str | None, score: float, decided_by: str, candidates: list[dict]
                   ) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO matches VALUES (?, ?, ?, ?, ?, ?)",
                       [track_key, url, score, decided_by, json.dumps(candidates), utcnow()])

    def match(self, track_key: str) -> dict | None:
        rows = self._fetch_dicts("SELECT * FROM matches WHERE track_key = ?", [track_key])
        if not rows:
            return None
        return {**rows[0], "candidates": json.loads(rows[0]["candidates"])}

    def cursor(self, name: str) -> str | None:
        _, rows = self._fetch("SELECT value FROM cursors WHERE name = ?", [name])
        return rows[0][0] if rows else None

    def save_cursor(self, name: str, value: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?, ?)", [name, value, utcnow()])

    def source_ids(self, kind: str) -> set[str]:
        """Every ID of one kind of source the catalog knows: one query, for a walk over many likes."""
        _, rows = self._fetch("SELECT source_id FROM track_sources WHERE kind = ?", [kind])
        return {row[0] for row in rows}

    def sources_of(self, track_key: str) -> list[dict]:
        return self._fetch_dicts(
            "SELECT kind, source_id, url FROM track_sources WHERE track_key = ? ORDER BY added_at", [track_key]
        )

    def track(self, track_key: str) -> TrackRecord | None:
        return self._fetch_one(TrackRecord, "SELECT * FROM tracks WHERE track_key = ?", [track_key])

    def label(self, track_key: str) -> str:
        """How a person names the track ("Artist - Title"); its key if the catalog has no such track."""
        track = self.track(track_key)
        return track.label if track else track_key

    def tracks(self, status: str | None = None) -> list[TrackRecord]:
        if status:
            return self._fetch_all(
                TrackRecord, "SELECT * FROM tracks WHERE status = ? ORDER BY added_at", [status]
            )
        return self._fetch_all(TrackRecord, "SELECT * FROM tracks ORDER BY added_at")

    def update_track(self, track_key: str, **fields: Any) -> None:
        unknown = set(fields) - set(TrackRecord.__dataclass_fields__)
        if unknown or "track_key" in fields:
            raise ValueError(f"not track fields: {sorted(unknown)}")
        if "status" in fields and fields["status"] not in TRACK_STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._connect() as db:
            db.execute(
                f"UPDATE tracks SET {assignments}, updated_at = ? WHERE track_key = ?",
                [*fields.values(), utcnow(), track_key],
            )

    def restart_track(self, track_key: str, source_url: str, new_source: bool = True) -> None:
        """Points a track at a new source: describe, download and analyse again; files keep their names.
        `new_source`: record the URL as one more source (a corrected link); a duplicate's own
        sources are folded in by `merge_into` instead."""
        now = utcnow()
        with self._connect() as db:
            db.execute("UPDATE tracks SET source_url = ?, title = NULL, status = 'pending', updated_at = ?"
                       " WHERE track_key = ?", [source_url, now, track_key])
            if new_source:
                db.execute("INSERT INTO track_sources VALUES ('url', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           [source_url, track_key, source_url, now])
            db.execute("DELETE FROM originals WHERE track_key = ?", [track_key])
            db.execute("DELETE FROM analysis WHERE track_key = ?", [track_key])
            db.execute("UPDATE files SET size_bytes = -1 WHERE track_key = ?", [track_key])

    def catalog_version(self) -> str:
        """Changes whenever a track is added, changed or removed: what the library table is refreshed on."""
        _, rows = self._fetch("SELECT count(*), max(updated_at) FROM tracks")
        return f"{rows[0][0]}:{rows[0][1]}"

    def remove_track(self, track_key: str) -> None:
        """Forgets a track and everything recorded about it, its run history aside."""
        with self._connect() as db:
            for table in ("tracks", "track_sources", "originals", "analysis", "files", "matches", "notion_outbox"):
                db.execute(f"DELETE FROM {table} WHERE track_key = ?", [track_key])

    def mark_failed(self, track_key: str, error_class: str, message: str, retry_in_s: float | None = None) -> None:
        """A failed track; *unavailable* when the source offers nothing to download, *needs_review*
        when no upload matched well enough. `retry_in_s`: the failure may heal, so the healing
        sensor tries again then; None leaves it to a person."""
        status = {"unavailable": "unavailable", "no_match": "needs_review"}.get(error_class, "failed")
        track = self.track(track_key)
        attempts = (track.attempts or 0) + 1 if retry_in_s is not None and track else 0
        retry_at = utcnow() + timedelta(seconds=retry_in_s) if retry_in_s is not None else None
        self.update_track(track_key, status=status, error_class=error_class, error_message=message,
                          attempts=attempts, retry_at=retry_at)

    def due_for_retry(self, limit: int) -> list[TrackRecord]:
        """Failed tracks whose failure may heal and whose wait is over, the longest waiting first."""
        return self._fetch_all(TrackRecord, "SELECT * FROM tracks WHERE status = 'failed' AND retry_at IS NOT NULL"
                               " AND retry_at <= ? ORDER BY retry_at LIMIT ?", [utcnow(), limit])

    def record_look(self, source: str, error: str | None = None) -> None:
        """How the last look at a source's likes went: fine, or the error it met."""
        with self._connect() as db:
            if error is None:
                db.execute("INSERT INTO source_looks VALUES (?, ?, NULL, NULL) ON CONFLICT DO UPDATE SET"
                           " last_ok_at = excluded.last_ok_at, last_error = NULL, error_at = NULL",
                           [source, utcnow()])
            else:
                db.execute("INSERT INTO source_looks VALUES (?, NULL, ?, ?) ON CONFLICT DO UPDATE SET"
                           " last_error = excluded.last_error, error_at = excluded.error_at",
                           [source, error, utcnow()])

    def looks(self) -> dict[str, dict]:
        return {row["source"]: row for row in self._fetch_dicts("SELECT * FROM source_looks")}
