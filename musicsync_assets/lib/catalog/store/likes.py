"""Likes as each service's own walk saw them."""




from musicsync_assets.lib.catalog.store.connection import utcnow


class LikeRows:
    """Likes as each service's own walk saw them."""

    def record_likes(self, kind: str, likes: list[tuple[str, str | None, str]]) -> None:
        """(like ID, liked_at, track key) of likes one look handed out, in one statement: row by row,
        DuckDB's primary-key checks cost as much as cataloguing the track."""
        if not likes:
            return
        ids, times, keys = (list(column) for column in zip(*likes, strict=True))
        with self._connect() as db:
            db.execute("INSERT INTO likes SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
                       " unnest(?::VARCHAR[]), ? ON CONFLICT DO NOTHING",
                       [kind, ids, [t or "" for t in times], keys, utcnow()])

    def seen_likes(self, kind: str) -> set[tuple[str, str]]:
        """(like ID, liked_at or '') of every like of one service its walks have handed out: one query."""
        _, rows = self._fetch("SELECT like_id, liked_at FROM likes WHERE kind = ?", [kind])
        return {(row[0], row[1]) for row in rows}

    def source_keys(self, kind: str) -> dict[str, str]:
        """Source ID → track key for one kind of source: one query, for a batch of likes."""
        _, rows = self._fetch("SELECT source_id, track_key FROM track_sources WHERE kind = ?", [kind])
        return dict(rows)

    def liked_on(self, track_key: str) -> list[str]:
        """The services whose likes led to this track."""
        _, rows = self._fetch("SELECT DISTINCT kind FROM likes WHERE track_key = ? ORDER BY kind", [track_key])
        return [row[0] for row in rows]
