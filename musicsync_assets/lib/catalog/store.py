"""The DuckDB catalog and run history. Every read and write of the database goes through here.

DuckDB lets one process hold a file at a time, and `dagster dev` runs the webserver, the daemon,
the code server and each run in separate processes. So every call opens a connection, does its
work in one transaction and closes it, and a call that meets another process's lock waits with
backoff instead of failing the run.
"""

import json
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from musicsync_assets.lib.errors import LibraryNotWritable

TRACK_STATUSES = ("pending", "synced", "needs_review", "unavailable", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS tracks (
    track_key      VARCHAR PRIMARY KEY,
    source_kind    VARCHAR NOT NULL,
    source_url     VARCHAR NOT NULL,
    title          VARCHAR,
    artists        VARCHAR[],
    album          VARCHAR,
    year           INTEGER,
    isrc           VARCHAR,
    artwork_path   VARCHAR,
    artwork_url    VARCHAR,
    duration_s     DOUBLE,
    status         VARCHAR NOT NULL DEFAULT 'pending',
    error_class    VARCHAR,
    error_message  VARCHAR,
    bpm_override   DOUBLE,
    key_override   VARCHAR,
    added_at       TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS artwork_url VARCHAR;
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS attempts INTEGER DEFAULT 0;
ALTER TABLE tracks ADD COLUMN IF NOT EXISTS retry_at TIMESTAMP;
CREATE TABLE IF NOT EXISTS source_looks (
    source      VARCHAR PRIMARY KEY,
    last_ok_at  TIMESTAMP,
    last_error  VARCHAR,
    error_at    TIMESTAMP
);
CREATE TABLE IF NOT EXISTS track_sources (
    kind       VARCHAR NOT NULL,
    source_id  VARCHAR NOT NULL,
    track_key  VARCHAR NOT NULL,
    url        VARCHAR,
    added_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, source_id)
);
CREATE TABLE IF NOT EXISTS originals (
    track_key    VARCHAR PRIMARY KEY,
    path         VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    size_bytes   BIGINT NOT NULL,
    container    VARCHAR,
    codec        VARCHAR,
    sample_rate  INTEGER,
    channels     INTEGER,
    duration_s   DOUBLE,
    fetched_at   TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS analysis (
    track_key         VARCHAR PRIMARY KEY,
    bpm               DOUBLE,
    bpm_confidence    DOUBLE NOT NULL,
    key_name          VARCHAR,
    key_confidence    DOUBLE NOT NULL,
    camelot           VARCHAR,
    open_key          VARCHAR,
    duration_s        DOUBLE NOT NULL,
    loudness_lufs     DOUBLE,
    peak_dbfs         DOUBLE,
    analyzer_version  VARCHAR NOT NULL,
    original_sha256   VARCHAR NOT NULL,
    analyzed_at       TIMESTAMP NOT NULL
);
ALTER TABLE analysis ADD COLUMN IF NOT EXISTS beat_offset_s DOUBLE;
ALTER TABLE analysis ADD COLUMN IF NOT EXISTS intro_s DOUBLE;
ALTER TABLE analysis ADD COLUMN IF NOT EXISTS outro_s DOUBLE;
ALTER TABLE analysis ADD COLUMN IF NOT EXISTS energy INTEGER;
CREATE TABLE IF NOT EXISTS files (
    track_key    VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,
    codec        VARCHAR NOT NULL,
    sample_rate  INTEGER NOT NULL,
    channels     INTEGER NOT NULL,
    duration_s   DOUBLE NOT NULL,
    size_bytes   BIGINT NOT NULL,
    encoding     VARCHAR NOT NULL,
    tags_digest  VARCHAR NOT NULL,
    written_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (track_key, format)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id         VARCHAR PRIMARY KEY,
    job            VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    started_at     TIMESTAMP,
    ended_at       TIMESTAMP,
    duration_s     DOUBLE,
    track_keys     VARCHAR[],
    failed_step    VARCHAR,
    error_class    VARCHAR,
    error_message  VARCHAR,
    recorded_at    TIMESTAMP NOT NULL
);
-- What each run left in the tags: the estimate and the user's override side by side.
CREATE TABLE IF NOT EXISTS run_track_values (
    run_id        VARCHAR NOT NULL,
    track_key     VARCHAR NOT NULL,
    bpm_estimate  DOUBLE,
    bpm_override  DOUBLE,
    key_estimate  VARCHAR,
    key_override  VARCHAR,
    PRIMARY KEY (run_id, track_key)
);
-- How each Spotify track was matched to an upload: the choice, its score, every candidate.
CREATE TABLE IF NOT EXISTS matches (
    track_key   VARCHAR PRIMARY KEY,
    url         VARCHAR,
    score       DOUBLE NOT NULL,
    decided_by  VARCHAR NOT NULL,
    candidates  JSON NOT NULL,
    matched_at  TIMESTAMP NOT NULL
);
-- Where each source's discovery stopped (likes read so far), shared by its sensor and the CLI.
CREATE TABLE IF NOT EXISTS cursors (
    name        VARCHAR PRIMARY KEY,
    value       VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS notion_outbox_ids;
CREATE TABLE IF NOT EXISTS notion_outbox (
    id          BIGINT PRIMARY KEY DEFAULT nextval('notion_outbox_ids'),
    kind        VARCHAR NOT NULL,
    track_key   VARCHAR NOT NULL,
    detail      JSON,
    created_at  TIMESTAMP NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  VARCHAR
);
CREATE TABLE IF NOT EXISTS notion_pages (
    track_key  VARCHAR PRIMARY KEY,
    page_id    VARCHAR NOT NULL,
    page_url   VARCHAR,
    snapshot   JSON NOT NULL,
    seen_at    TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS notion_tasks (
    track_key    VARCHAR NOT NULL,
    error_class  VARCHAR NOT NULL,
    page_id      VARCHAR NOT NULL,
    count        INTEGER NOT NULL,
    status       VARCHAR NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    PRIMARY KEY (track_key, error_class)
);
CREATE TABLE IF NOT EXISTS settings_cache (
    name        VARCHAR PRIMARY KEY,
    value       JSON NOT NULL,
    stored_at   TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS check_results (
    run_id        VARCHAR NOT NULL,
    track_key     VARCHAR NOT NULL,
    check_name    VARCHAR NOT NULL,
    passed        BOOLEAN NOT NULL,
    description   VARCHAR,
    evaluated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, track_key, check_name)
);
-- Acoustic fingerprints (lib/audio/fingerprint.py), one per track and fingerprint version.
CREATE TABLE IF NOT EXISTS fingerprints (
    track_key    VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    hashes       BLOB NOT NULL,
    duration_s   DOUBLE NOT NULL,
    computed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (track_key, version)
);
-- A track found to be the same recording as a library entry, and what became of it.
CREATE TABLE IF NOT EXISTS duplicates (
    track_key     VARCHAR PRIMARY KEY,
    duplicate_of  VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    detail        JSON NOT NULL,
    decided_at    TIMESTAMP NOT NULL
);
-- Eagle: the item each track became, and the imports waiting for the app to be running.
CREATE TABLE IF NOT EXISTS eagle_items (
    track_key    VARCHAR PRIMARY KEY,
    item_id      VARCHAR NOT NULL,
    imported_at  TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS eagle_queue (
    track_key   VARCHAR PRIMARY KEY,
    queued_at   TIMESTAMP NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  VARCHAR
);
-- Every like a walk of a service's likes has handed out (one row per like: a re-like after an unlike
-- is another). Only these, never track_sources, decide what that service's next walk has "seen": a
-- track known through another service, its metadata or a pasted link has not been liked here.
CREATE TABLE IF NOT EXISTS likes (
    kind       VARCHAR NOT NULL,
    like_id    VARCHAR NOT NULL,
    liked_at   VARCHAR NOT NULL,  -- as the service gives it; '' when it gives none
    track_key  VARCHAR NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, like_id, liked_at)
);
-- Each run's steps and how long they took: the time per stage in the run history.
CREATE TABLE IF NOT EXISTS run_steps (
    run_id      VARCHAR NOT NULL,
    step_key    VARCHAR NOT NULL,
    status      VARCHAR,
    started_at  TIMESTAMP,
    ended_at    TIMESTAMP,
    duration_s  DOUBLE,
    PRIMARY KEY (run_id, step_key)
);
-- Plan deliverables, tasks and criteria as last scanned, with the status before, to compare scans.
CREATE TABLE IF NOT EXISTS plan_items (
    plan_file        VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    name             VARCHAR NOT NULL,
    plan             VARCHAR NOT NULL,
    path             VARCHAR,
    status           VARCHAR NOT NULL,
    previous_status  VARCHAR,
    changed_at       TIMESTAMP NOT NULL,
    seen_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_file, kind, name)
);
-- Automation gaps: open while a rule finds them, resolved when it no longer does.
CREATE TABLE IF NOT EXISTS gaps (
    gap_id       VARCHAR PRIMARY KEY,
    priority     VARCHAR NOT NULL,
    title        VARCHAR NOT NULL,
    evidence     VARCHAR NOT NULL,
    action       VARCHAR NOT NULL,
    acceptance   VARCHAR NOT NULL,
    first_seen   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    resolved_at  TIMESTAMP
);
-- Notion pages filed for gaps (Agent-Tasks) and plan items (Issues+Questions): one page per item.
CREATE TABLE IF NOT EXISTS insight_pages (
    kind        VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    page_id     VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    digest      VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, item_id)
);
-- The run history, ready to ask questions of (README: "Asking the run history").
CREATE OR REPLACE VIEW run_tracks AS
    SELECT r.run_id, r.job, r.status, r.started_at, r.ended_at, r.duration_s, r.error_class, r.failed_step,
           u.track_key, coalesce(t.source_kind, 'unknown') AS source
    FROM runs r, unnest(r.track_keys) AS u(track_key) LEFT JOIN tracks t ON t.track_key = u.track_key
    WHERE r.job = 'sync_track';
-- Each question once, as a table macro taking the earliest start to count (`musicsync report
-- --since`), and as a view over the whole history for the duckdb CLI.
CREATE OR REPLACE MACRO success_by_source_since(since) AS TABLE
    SELECT source, count(*) AS runs, count(*) FILTER (WHERE status = 'SUCCESS') AS succeeded,
           count(*) FILTER (WHERE status = 'FAILURE') AS failed,
           round(count(*) FILTER (WHERE status = 'SUCCESS') / count(*), 3) AS success_rate
    FROM run_tracks WHERE coalesce(error_class, '') <> 'interrupted' AND started_at >= since
    GROUP BY source ORDER BY source;
CREATE OR REPLACE MACRO failures_by_error_class_since(since) AS TABLE
    SELECT error_class, count(*) AS runs, count(DISTINCT track_key) AS tracks,
           round(count(*) / (SELECT count(*) FROM run_tracks WHERE started_at >= since), 3) AS share_of_runs,
           max(started_at) AS last_seen
    FROM run_tracks WHERE status = 'FAILURE' AND started_at >= since
    GROUP BY error_class ORDER BY runs DESC, error_class;
CREATE OR REPLACE MACRO duration_by_asset_since(since) AS TABLE
    SELECT step_key AS asset, count(*) AS runs, round(avg(duration_s), 3) AS mean_s,
           round(median(duration_s), 3) AS median_s, round(max(duration_s), 3) AS max_s
    FROM run_steps WHERE duration_s IS NOT NULL AND started_at >= since
    GROUP BY step_key ORDER BY median_s DESC, asset;
CREATE OR REPLACE MACRO throughput_per_day_since(since) AS TABLE
    SELECT CAST(started_at AS DATE) AS day, count(*) AS runs,
           count(*) FILTER (WHERE status = 'SUCCESS') AS tracks_synced,
           count(*) FILTER (WHERE status = 'FAILURE') AS failures
    FROM run_tracks WHERE started_at >= since GROUP BY day ORDER BY day;
CREATE OR REPLACE MACRO slowest_tracks_since(since) AS TABLE
    SELECT rt.track_key, coalesce(t.title, rt.track_key) AS title, rt.source, max(rt.duration_s) AS duration_s,
           arg_max(rt.run_id, rt.duration_s) AS run_id
    FROM run_tracks rt LEFT JOIN tracks t USING (track_key)
    WHERE rt.status = 'SUCCESS' AND rt.duration_s IS NOT NULL AND rt.started_at >= since
    GROUP BY ALL ORDER BY duration_s DESC, rt.track_key;
CREATE OR REPLACE VIEW success_by_source AS SELECT * FROM success_by_source_since(TIMESTAMP '1970-01-01');
CREATE OR REPLACE VIEW failures_by_error_class AS
    SELECT * FROM failures_by_error_class_since(TIMESTAMP '1970-01-01');
CREATE OR REPLACE VIEW duration_by_asset AS SELECT * FROM duration_by_asset_since(TIMESTAMP '1970-01-01');
CREATE OR REPLACE VIEW throughput_per_day AS SELECT * FROM throughput_per_day_since(TIMESTAMP '1970-01-01');
CREATE OR REPLACE VIEW slowest_tracks AS SELECT * FROM slowest_tracks_since(TIMESTAMP '1970-01-01');
"""


# Databases this process has already brought up to the current schema.
_SCHEMA_READY: set[Path] = set()


def utcnow() -> datetime:
    """Naive UTC: DuckDB's TIMESTAMP round-trips it without a timezone library."""
    return datetime.now(UTC).replace(tzinfo=None)


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


@dataclass
class TrackRecord:
    track_key: str
    source_kind: str
    source_url: str
    title: str | None = None
    artists: list[str] = field(default_factory=list)
    album: str | None = None
    year: int | None = None
    isrc: str | None = None
    artwork_path: str | None = None
    artwork_url: str | None = None
    duration_s: float | None = None
    status: str = "pending"
    error_class: str | None = None
    error_message: str | None = None
    bpm_override: float | None = None
    key_override: str | None = None
    attempts: int | None = 0  # failed tries in a row that may heal
    retry_at: datetime | None = None  # when the healing sensor tries again (UTC); None: not by itself

    def __post_init__(self) -> None:
        self.artists = self.artists or []  # NULL in the catalog until the metadata stage runs

    @property
    def display_artist(self) -> str:
        return ", ".join(self.artists) if self.artists else "Unknown Artist"

    @property
    def display_title(self) -> str:
        return self.title or self.track_key

    @property
    def label(self) -> str:
        """How a person names the track: "Artist - Title", or until it is described, the file's name
        or the link they gave."""
        if self.title:
            return f"{self.display_artist} - {self.title}" if self.artists else self.title
        return Path(self.source_url).name if self.source_kind == "file" else self.source_url


@dataclass
class OriginalRecord:
    track_key: str
    path: str
    sha256: str
    size_bytes: int
    container: str | None
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration_s: float | None


@dataclass
class AnalysisRecord:
    track_key: str
    bpm: float | None
    bpm_confidence: float
    key_name: str | None
    key_confidence: float
    camelot: str | None
    open_key: str | None
    duration_s: float
    loudness_lufs: float | None
    peak_dbfs: float | None
    analyzer_version: str
    original_sha256: str
    beat_offset_s: float | None = None
    intro_s: float | None = None
    outro_s: float | None = None
    energy: int | None = None


@dataclass
class FileRecord:
    track_key: str
    format: str
    path: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    size_bytes: int
    encoding: str
    tags_digest: str


@dataclass
class RunRecord:
    run_id: str
    job: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    track_keys: list[str]
    failed_step: str | None = None
    error_class: str | None = None
    error_message: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


@dataclass
class CheckRecord:
    run_id: str
    track_key: str
    check_name: str
    passed: bool
    description: str | None


def _record(cls, columns: Sequence[str], row: tuple | None):
    if row is None:
        return None
    values = dict(zip(columns, row, strict=True))
    return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})


class Store:
    """The catalog at `path`. Cheap to construct; holds no connection between calls."""

    def __init__(self, path: Path, lock_timeout_s: float = 60.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._session: duckdb.DuckDBPyConnection | None = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        is_new = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryNotWritable(f"cannot create the catalog in {self.path.parent}: {error.strerror}") from error
        while True:
            try:
                connection = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as error:
                if _is_lock_error(error) and time.monotonic() <= deadline:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 1.0)
                    continue
                if "permission" in str(error).lower() or "read-only" in str(error).lower():
                    raise LibraryNotWritable(f"cannot open the catalog {self.path}: permission denied") from error
                raise
            except duckdb.Error as error:
                if not _is_lock_error(error) or time.monotonic() > deadline:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        if is_new or self.path not in _SCHEMA_READY:
            connection.execute(SCHEMA)
            _SCHEMA_READY.add(self.path)
        return connection

    @contextmanager
    def session(self) -> Iterator["Store"]:
        """Several calls on one connection and one transaction, for a stage's handful of queries.

        Keep sessions short: while one is open, other processes wait for the file.
        """
        if self._session is not None:
            yield self
            return
        self._session = self._open()
        try:
            self._session.execute("BEGIN TRANSACTION")
            yield self
            self._session.execute("COMMIT")
        except BaseException:
            self._session.execute("ROLLBACK")
            raise
        finally:
            self._session.close()
            self._session = None

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._session is not None:
            yield self._session
            return
        connection = self._open()
        try:
            connection.execute("BEGIN TRANSACTION")
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self._connect() as db:
            cursor = db.execute(sql, params)
            columns = [d[0] for d in cursor.description]
            return columns, cursor.fetchall()

    def _fetch_one(self, cls, sql: str, params: Sequence[Any] = ()):
        columns, rows = self._fetch(sql, params)
        return _record(cls, columns, rows[0] if rows else None)

    def _fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        columns, rows = self._fetch(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _fetch_all(self, cls, sql: str, params: Sequence[Any] = ()) -> list:
        columns, rows = self._fetch(sql, params)
        return [_record(cls, columns, row) for row in rows]

    def ping(self) -> int:
        """Opens the catalog (creating it if new) and returns how many tracks it holds."""
        return self._fetch("SELECT count(*) FROM tracks")[1][0][0]

    # --- tracks and their sources ---------------------------------------------------------

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

    def restart_track(self, track_key: str, source_url: str) -> None:
        """Points a track at a new source: describe, download and analyse again; files keep their names."""
        now = utcnow()
        with self._connect() as db:
            db.execute("UPDATE tracks SET source_url = ?, title = NULL, status = 'pending', updated_at = ?"
                       " WHERE track_key = ?", [source_url, now, track_key])
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

    # --- originals, analysis, files -------------------------------------------------------

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

    # --- run history ----------------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Writes a run's row, and each of its tracks' estimated and overridden BPM and key as they
        stood when it ended; recording the same run again updates both."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO run_track_values SELECT ?, t.track_key, a.bpm, t.bpm_override, a.key_name,"
                " t.key_override FROM tracks t LEFT JOIN analysis a USING (track_key)"
                " WHERE list_contains(?::VARCHAR[], t.track_key)"
                " ON CONFLICT DO UPDATE SET bpm_estimate = excluded.bpm_estimate,"
                " bpm_override = excluded.bpm_override, key_estimate = excluded.key_estimate,"
                " key_override = excluded.key_override",
                [run.run_id, run.track_keys],
            )
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " status = excluded.status, started_at = excluded.started_at,"
                " ended_at = excluded.ended_at, duration_s = excluded.duration_s,"
                " track_keys = excluded.track_keys, failed_step = excluded.failed_step,"
                " error_class = excluded.error_class, error_message = excluded.error_message,"
                " recorded_at = excluded.recorded_at",
                [run.run_id, run.job, run.status, run.started_at, run.ended_at, run.duration_s,
                 run.track_keys, run.failed_step, run.error_class, run.error_message, utcnow()],
            )

    def record_check(self, check: CheckRecord) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET passed = excluded.passed, description = excluded.description,"
                " evaluated_at = excluded.evaluated_at",
                [check.run_id, check.track_key, check.check_name, check.passed, check.description, utcnow()],
            )

    def runs(self, limit: int = 50) -> list[RunRecord]:
        return self._fetch_all(
            RunRecord, "SELECT * FROM runs ORDER BY started_at DESC NULLS LAST LIMIT ?", [limit]
        )

    def run_track_values(self, run_id: str) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM run_track_values WHERE run_id = ? ORDER BY track_key", [run_id])

    def check_results(self, run_id: str) -> list[CheckRecord]:
        return self._fetch_all(
            CheckRecord, "SELECT * FROM check_results WHERE run_id = ? ORDER BY check_name", [run_id]
        )

    # --- Notion bookkeeping ----------------------------------------------------------------

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

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Read-only access for reports and tests: returns column names and rows."""
        return self._fetch(sql, params)

    # --- fingerprints and duplicates ---------------------------------------------------------

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

    # --- playlists and exports ------------------------------------------------------------------

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

    # --- Eagle ----------------------------------------------------------------------------------

    def save_eagle_item(self, track_key: str, item_id: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO eagle_items VALUES (?, ?, ?)", [track_key, item_id, utcnow()])
            db.execute("DELETE FROM eagle_queue WHERE track_key = ?", [track_key])

    def eagle_item(self, track_key: str) -> str | None:
        _, rows = self._fetch("SELECT item_id FROM eagle_items WHERE track_key = ?", [track_key])
        return rows[0][0] if rows else None

    def queue_eagle(self, track_key: str, error: str) -> None:
        """An import to retry when Eagle answers again; queueing it twice counts one more attempt."""
        with self._connect() as db:
            db.execute("INSERT INTO eagle_queue VALUES (?, ?, 1, ?) ON CONFLICT DO UPDATE SET"
                       " attempts = eagle_queue.attempts + 1, last_error = excluded.last_error",
                       [track_key, utcnow(), error])

    def eagle_queue(self) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM eagle_queue ORDER BY queued_at")
    # --- likes, as each service's own walk saw them ------------------------------------------

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

    # --- run steps, plans, gaps and the pages filed for them --------------------------------------

    def record_run_steps(self, run_id: str, steps: list[dict]) -> None:
        """Each step of a run with its timing ({step_key, status, started_at, ended_at}); again replaces."""
        with self._connect() as db:
            db.execute("DELETE FROM run_steps WHERE run_id = ?", [run_id])
            for step in steps:
                start, end = step.get("started_at"), step.get("ended_at")
                db.execute("INSERT INTO run_steps VALUES (?, ?, ?, ?, ?, ?)",
                           [run_id, step["step_key"], step.get("status"), start, end,
                            (end - start).total_seconds() if start and end else None])

    def history_version(self, ignore_jobs: Sequence[str] = ()) -> str:
        """Changes whenever a run (of a job not ignored), a check result or the catalog changes:
        what reports refresh on. A report's own runs are ignored, or each would start the next."""
        _, rows = self._fetch(
            "SELECT (SELECT count(*) FROM runs WHERE NOT list_contains(?, job)),"
            " (SELECT max(recorded_at) FROM runs WHERE NOT list_contains(?, job)),"
            " (SELECT count(*) FROM check_results), (SELECT max(evaluated_at) FROM check_results),"
            " (SELECT count(*) FROM notion_outbox), (SELECT count(*) FROM eagle_queue)",
            [list(ignore_jobs), list(ignore_jobs)])
        return ":".join(str(v) for v in rows[0]) + "|" + self.catalog_version()

    def save_plan_items(self, items: list[dict]) -> list[dict]:
        """Replaces the scanned plan items ({plan_file, kind, name, plan, path, status}); returns
        those whose status changed since the last scan (new ones included, previous_status None)."""
        now = utcnow()
        with self._connect() as db:
            before = {(r[0], r[1], r[2]): r[3] for r in db.execute(
                "SELECT plan_file, kind, name, status FROM plan_items").fetchall()}
            changed = []
            for item in items:
                key = (item["plan_file"], item["kind"], item["name"])
                old = before.pop(key, None)
                if old != item["status"]:
                    changed.append({**item, "previous_status": old})
                db.execute(
                    "INSERT INTO plan_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                    " plan = excluded.plan, path = excluded.path, status = excluded.status,"
                    " previous_status = CASE WHEN plan_items.status <> excluded.status THEN plan_items.status"
                    " ELSE plan_items.previous_status END,"
                    " changed_at = CASE WHEN plan_items.status <> excluded.status THEN excluded.changed_at"
                    " ELSE plan_items.changed_at END, seen_at = excluded.seen_at",
                    [*key, item["plan"], item.get("path"), item["status"], old, now, now])
            for key in before:
                db.execute("DELETE FROM plan_items WHERE plan_file = ? AND kind = ? AND name = ?", list(key))
        return changed

    def save_gaps(self, gaps: list[dict]) -> list[dict]:
        """Records the gaps found now ({gap_id, priority, title, evidence, action, acceptance}) and
        resolves the open ones no longer found; returns those resolved by this call."""
        now = utcnow()
        found = {gap["gap_id"] for gap in gaps}
        with self._connect() as db:
            for gap in gaps:
                db.execute(
                    "INSERT INTO gaps VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO UPDATE SET"
                    " priority = excluded.priority, title = excluded.title, evidence = excluded.evidence,"
                    " action = excluded.action, acceptance = excluded.acceptance, last_seen = excluded.last_seen,"
                    " first_seen = CASE WHEN gaps.resolved_at IS NULL THEN gaps.first_seen ELSE excluded.first_seen"
                    " END, resolved_at = NULL",
                    [gap["gap_id"], gap["priority"], gap["title"], gap["evidence"], gap["action"],
                     gap["acceptance"], now, now])
            cursor = db.execute("SELECT * FROM gaps WHERE resolved_at IS NULL")
            columns = [d[0] for d in cursor.description]
            resolved = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()
                        if row[0] not in found]
            for gap in resolved:
                db.execute("UPDATE gaps SET resolved_at = ? WHERE gap_id = ?", [now, gap["gap_id"]])
        return resolved

    def gaps(self) -> list[dict]:
        """The open gaps; resolved ones stay in the table with their `resolved_at`."""
        return self._fetch_dicts("SELECT * FROM gaps WHERE resolved_at IS NULL ORDER BY gap_id")

    def insight_page(self, kind: str, item_id: str) -> dict | None:
        rows = self._fetch_dicts("SELECT * FROM insight_pages WHERE kind = ? AND item_id = ?", [kind, item_id])
        return rows[0] if rows else None

    def insight_pages(self, kind: str) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM insight_pages WHERE kind = ? ORDER BY item_id", [kind])

    def save_insight_page(self, kind: str, item_id: str, page_id: str, status: str, digest: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO insight_pages VALUES (?, ?, ?, ?, ?, ?)",
                       [kind, item_id, page_id, status, digest, utcnow()])
