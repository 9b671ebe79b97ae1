"""Fingerprints and the duplicates found among them."""

import json

from musicsync_assets.lib.catalog.store.connection import utcnow


class RecordingRows:
    """Fingerprints and the duplicates found among them."""

    def save_fingerprint(self, track_key: str, version: str, hashes: bytes, duration_s: float) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?, ?)",
                       [track_key, version, hashes, duration_s, utcnow()])

    def fingerprints(self, version: str) -> list[tuple[str, bytes, float]]:
        """Every track's fingerprint of this version: (track key, hashes, seconds), in one query."""
        _, rows = self._fetch("SELECT track_key, hashes, duration_s FROM fingerprints WHERE version = ?"
                              " ORDER BY track_key", [version])
        return [(key, bytes(hashes), duration) for key, hashes, duration in rows]

    def fingerprinted(self, version: str) -> set[str]:
        """The tracks with a fingerprint of this version, without loading the fingerprints."""
        _, rows = self._fetch("SELECT track_key FROM fingerprints WHERE version = ?", [version])
        return {row[0] for row in rows}

    def record_duplicate(self, track_key: str, duplicate_of: str, reason: str, detail: dict) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO duplicates VALUES (?, ?, ?, ?, ?)",
                       [track_key, duplicate_of, reason, json.dumps(detail), utcnow()])

    def duplicates(self) -> list[dict]:
        rows = self._fetch_dicts("SELECT * FROM duplicates ORDER BY decided_at")
        return [{**row, "detail": json.loads(row["detail"])} for row in rows]

    def merge_into(self, track_key: str, kept_key: str) -> None:
        """Folds a duplicate into the entry that stays: its sources become that entry's (a like of
        it on any service now finds the kept entry), and its own rows go."""
        with self._connect() as db:
            db.execute("UPDATE track_sources SET track_key = ? WHERE track_key = ?", [kept_key, track_key])
            for table in ("files", "originals", "analysis", "fingerprints", "eagle_items", "eagle_queue",
                          "matches", "tracks"):
                db.execute(f"DELETE FROM {table} WHERE track_key = ?", [track_key])
