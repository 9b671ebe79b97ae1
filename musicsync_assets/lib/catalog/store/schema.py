"""The catalog's tables: created when missing, columns added as musicsync grows."""


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

