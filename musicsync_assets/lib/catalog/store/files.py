"""Each track's original, its analysis and its library files."""

from typing import Any

from musicsync_assets.lib.catalog.store.connection import utcnow
from musicsync_assets.lib.catalog.store.records import (
    AnalysisRecord,
    FileRecord,
    OriginalRecord,
)


class FileRows:
    """Each track's original, its analysis and its library files."""

    def save_original(self, record: OriginalRecord) -> None:
        self._upsert("originals", record, key=("track_key",), stamp="fetched_at")

    def original(self, track_key: str) -> OriginalRecord | None:
        return self._fetch_one(OriginalRecord, "SELECT * FROM originals WHERE track_key = ?", [track_key])

    def save_analysis(self, record: AnalysisRecord) -> None:
        self._upsert("analysis", record, key=("track_key",), stamp="analyzed_at")

    def analysis(self, track_key: str) -> AnalysisRecord | None:
        return self._fetch_one(AnalysisRecord, "SELECT * FROM analysis WHERE track_key = ?", [track_key])

    def save_file(self, record: FileRecord) -> None:
        self._upsert("files", record, key=("track_key", "format"), stamp="written_at")

    def files(self, track_key: str) -> list[FileRecord]:
        return self._fetch_all(
            FileRecord, "SELECT * FROM files WHERE track_key = ? ORDER BY format", [track_key]
        )

    def path_owner(self, path: str) -> str | None:
        """Which track a library file belongs to, so a new track never overwrites another's."""
        _, rows = self._fetch("SELECT track_key FROM files WHERE path = ?", [path])
        return rows[0][0] if rows else None

    def _upsert(self, table: str, record: Any, key: tuple[str, ...], stamp: str) -> None:
        values = {name: getattr(record, name) for name in record.__dataclass_fields__}
        values[stamp] = utcnow()
        columns = ", ".join(values)
        placeholders = ", ".join("?" for _ in values)
        updates = ", ".join(f"{name} = excluded.{name}" for name in values if name not in key)
        with self._connect() as db:
            db.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
                f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                list(values.values()),
            )
