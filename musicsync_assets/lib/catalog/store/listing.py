"""The library listed in one query, for playlists and exports."""






class ListingRows:
    """The library listed in one query, for playlists and exports."""

    def library_listing(self, fmt: str) -> list[dict]:
        """Every synced track with a file in `fmt`, oldest first, with its analysis, overrides and
        source kinds: one query, so rewriting playlists after a sync costs the same at 10,000 tracks."""
        return self._fetch_dicts(
            "SELECT t.track_key, t.title, t.artists, t.album, t.year, t.source_kind, t.bpm_override,"
            " t.key_override, t.duration_s AS track_duration_s, t.added_at, a.bpm, a.key_name,"
            " a.duration_s, a.beat_offset_s, a.intro_s, a.outro_s, f.path,"
            " list(DISTINCT s.kind) FILTER (WHERE s.kind IS NOT NULL) AS source_kinds"
            " FROM tracks t JOIN files f ON f.track_key = t.track_key AND f.format = ?"
            " LEFT JOIN analysis a ON a.track_key = t.track_key"
            " LEFT JOIN track_sources s ON s.track_key = t.track_key"
            " WHERE t.status = 'synced' GROUP BY ALL ORDER BY t.added_at, t.track_key", [fmt])
