"""Automation gaps: what keeps musicsync from running by itself, found by rules over the
configuration, the Dagster instance's sensor states and the run history. Each gap has a stable id
(so its Agent-Tasks page is updated, not duplicated), a priority, the evidence, what to do, and how
to tell it is done."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from musicsync_assets.lib.catalog.store import Store, utcnow
from musicsync_assets.lib.insights.files import OutsideWorkspace, inside, read_text

PRIORITIES = ("high", "medium", "low")
REPEATS = 3  # the same error class this many runs in a row on one track is not bad luck
BACKLOG_AGE = timedelta(minutes=15)  # younger than this, the sinks' own retries are still on it
EXPIRED_WINDOW = timedelta(days=7)
MAX_SCAN_BYTES = 1_000_000  # of each code or log file; a bigger one is read from its end
MAX_SCAN_FILES = 5_000
MAX_EXAMPLES = 5
LOG_SUFFIXES = {".log", ".out", ".err"}
CODE_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".sh", ".js", ".ts", ".sql", ".txt", ".cfg", ".ini"}
_MARKER = re.compile(r"\b(TODO|FIXME|BUG|XXX)\b[:(\s]")
_LOG_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL)\b|^Traceback \(most recent call last\)")


@dataclass(frozen=True)
class Gap:
    gap_id: str
    priority: str  # high | medium | low
    title: str
    evidence: str
    action: str
    acceptance: str

    def as_json(self) -> dict:
        return {"id": self.gap_id, "priority": self.priority, "title": self.title, "evidence": self.evidence,
                "action": self.action, "acceptance": self.acceptance}

    def as_row(self) -> dict:
        return {"gap_id": self.gap_id, "priority": self.priority, "title": self.title, "evidence": self.evidence,
                "action": self.action, "acceptance": self.acceptance}


@dataclass(frozen=True)
class SourceState:
    """A discovery source as the code location sees it."""

    source: str  # soundcloud-likes, spotify-likes, spotify-playing, notion-queue
    configured: bool
    sensor: str | None  # None: the code location has no sensor or schedule for it
    sensor_running: bool | None = None


@dataclass
class GapInputs:
    root: Path
    scan_paths: list[str] = field(default_factory=list)
    sources: list[SourceState] = field(default_factory=list)
    partial_credentials: dict[str, list[str]] = field(default_factory=dict)  # service → the variables unset
    notion_missing: dict[str, list[str]] = field(default_factory=dict)  # database → properties it lacks
    now: datetime | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _examples(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_EXAMPLES])
    return shown + (f" and {len(items) - MAX_EXAMPLES} more" if len(items) > MAX_EXAMPLES else "")


def find_gaps(store: Store, inputs: GapInputs) -> tuple[list[Gap], list[str]]:
    """Every gap the rules find, highest priority first, and the files the scan could not read."""
    now = inputs.now or utcnow()
    with store.session():
        gaps = [*_sources(inputs), *_credentials(store, inputs, now), *_repeated_failures(store),
                *_failing_checks(store), *_review(store), *_backlogs(store, now), *_notion_schema(inputs)]
    found, problems = _markers(inputs)
    gaps += found
    return sorted(gaps, key=lambda g: (PRIORITIES.index(g.priority), g.gap_id)), problems


def _sources(inputs: GapInputs) -> list[Gap]:
    gaps = []
    for state in inputs.sources:
        if not state.configured:
            continue
        if state.sensor is None:
            gaps.append(Gap(f"no-sensor-{state.source}", "high", f"{state.source} has no sensor or schedule",
                            f"{state.source} is configured but no sensor or schedule in the code location reads it",
                            f"add a sensor for {state.source} (defs/sources/) or run `musicsync sync --from "
                            f"{state.source}` from a schedule",
                            f"a sensor or schedule for {state.source} is listed under Automation in the UI"))
        elif state.sensor_running is False:
            gaps.append(Gap(f"sensor-stopped-{state.source}", "high", f"{state.sensor} is stopped",
                            f"{state.source} is configured but {state.sensor} is stopped, so new likes wait",
                            f"start {state.sensor} in the UI (Automation → Sensors)",
                            f"{state.sensor} shows Running and its ticks read {state.source}"))
    return gaps


def _credentials(store: Store, inputs: GapInputs, now: datetime) -> list[Gap]:
    gaps = [Gap(f"credentials-missing-{_slug(service)}", "high", f"{service} credentials incomplete",
                f"{service} is half set up: {', '.join(unset)} unset",
                f"set {', '.join(unset)} in the environment or .env (`musicsync doctor` lists them)",
                f"`musicsync doctor` shows {service}: credentials present")
            for service, unset in sorted(inputs.partial_credentials.items())]
    _, rows = store.query(
        "SELECT source, count(*), max(started_at), any_value(failed_step) FROM run_tracks"
        " WHERE error_class = 'auth_expired' AND started_at >= ? GROUP BY source ORDER BY source",
        [now - EXPIRED_WINDOW])
    for source, count, last, step in rows:
        gaps.append(Gap(f"credentials-expired-{_slug(source)}", "high", f"{source} credentials expired or revoked",
                        f"{count} {source} runs failed with auth_expired in the last week, the last at {last:%Y-%m-%d %H:%M}"
                        f" UTC (step {step})",
                        "renew the token (`musicsync auth spotify`, a new SoundCloud oauth_token, a new NOTION_TOKEN) "
                        "and sync again",
                        f"the next {source} run after the renewal succeeds"))
    return gaps


def _repeated_failures(store: Store) -> list[Gap]:
    """A track whose last REPEATS runs all failed with the same error class."""
    _, rows = store.query(
        "WITH ranked AS (SELECT track_key, status, error_class, started_at, row_number() OVER"
        " (PARTITION BY track_key ORDER BY started_at DESC) AS n FROM run_tracks"
        " WHERE coalesce(error_class, '') <> 'interrupted')"
        " SELECT track_key, any_value(error_class), count(*) FROM ranked WHERE n <= ?"
        " GROUP BY track_key HAVING count(*) = ? AND bool_and(status = 'FAILURE')"
        " AND count(DISTINCT error_class) = 1 ORDER BY track_key", [REPEATS, REPEATS])
    gaps = []
    for track_key, error_class, count in rows:
        track = store.track(track_key)
        name = track.label if track else track_key
        message = (track.error_message if track else None) or error_class
        gaps.append(Gap(f"repeated-failure-{_slug(track_key)}-{_slug(error_class)}", "high",
                        f"{name} fails with {error_class} every time",
                        f"the last {count} runs of {track_key} failed with {error_class}: {message}",
                        f"fix the cause ({message.split(' — ', 1)[-1]}) or remove the track "
                        f"(`musicsync remove {track_key}`)",
                        f"the next run of {track_key} succeeds, or it is no longer in the library"))
    return gaps


def _failing_checks(store: Store) -> list[Gap]:
    """Checks whose latest result on a track is a failure."""
    _, rows = store.query(
        "SELECT check_name, list(track_key ORDER BY track_key), any_value(description) FROM ("
        " SELECT check_name, track_key, arg_max(passed, evaluated_at) AS passed,"
        " arg_max(description, evaluated_at) AS description FROM check_results GROUP BY ALL)"
        " WHERE NOT passed GROUP BY check_name ORDER BY check_name")
    return [Gap(f"check-failing-{_slug(check)}", "medium", f"asset check {check} fails on {len(tracks)} track(s)",
                f"{check} failed on {_examples(tracks)}: {description or 'no description'}",
                f"open the failing tracks' {check} result in the UI, fix the file or sync the track again",
                f"the latest {check} result passes on every track")
            for check, tracks, description in rows]


def _review(store: Store) -> list[Gap]:
    waiting = store.tracks("needs_review")
    if not waiting:
        return []
    return [Gap("needs-review", "medium", f"{len(waiting)} track(s) wait for match review",
                f"no upload matched well enough for {_examples([t.label for t in waiting])}",
                "pick an upload from the candidates (`musicsync library --json`), then `musicsync match TRACK_KEY URL`",
                "no track has the status needs_review")]


def _backlogs(store: Store, now: datetime) -> list[Gap]:
    gaps = []
    _, rows = store.query("SELECT count(*), min(created_at), arg_min(last_error, id) FROM notion_outbox"
                          " WHERE created_at <= ?", [now - BACKLOG_AGE])
    count, oldest, reason = rows[0]
    if count:
        gaps.append(Gap("sink-backlog-notion", "medium", f"{count} Notion update(s) waiting",
                        f"{count} updates have waited since {oldest:%Y-%m-%d %H:%M} UTC; the oldest: "
                        f"{reason or 'not sent yet'}",
                        "check `musicsync doctor` and `musicsync notion check`; turn on notion_backlog_sensor",
                        "the Notion backlog is empty"))
    _, rows = store.query("SELECT count(*), min(queued_at), arg_min(last_error, queued_at) FROM eagle_queue"
                          " WHERE queued_at <= ?", [now - BACKLOG_AGE])
    count, oldest, reason = rows[0]
    if count:
        gaps.append(Gap("sink-backlog-eagle", "medium", f"{count} Eagle import(s) waiting",
                        f"{count} imports have waited since {oldest:%Y-%m-%d %H:%M} UTC; the last error: "
                        f"{reason or 'none'}",
                        "start the Eagle app (its local API at MUSICSYNC_EAGLE_URL) so the queue drains",
                        "the Eagle queue is empty"))
    return gaps


# `musicsync notion check --fix` adds these databases' properties; those of gap pages (in Agent-Tasks) and of
# plan items (Issues+Questions) are added by hand.
_FIXED_BY_CHECK = {"Tracks", "Agent-Tasks"}


def _notion_schema(inputs: GapInputs) -> list[Gap]:
    return [Gap(f"notion-properties-{_slug(database)}", "high", f"Notion {database} lacks properties",
                f"{database} lacks {_examples(missing)}",
                "run `musicsync notion check --fix` (adds them; never changes yours)" if database in _FIXED_BY_CHECK
                else f"add {', '.join(missing)} to the database in Notion (README: plans, gaps and the report)",
                f"the {database} properties are all there and its pages leave the Notion backlog")
            for database, missing in sorted(inputs.notion_missing.items()) if missing]


def _markers(inputs: GapInputs) -> tuple[list[Gap], list[str]]:
    """TODO/FIXME/BUG markers in code and error lines in logs, one gap per file."""
    gaps, problems, files = [], [], []
    for configured in inputs.scan_paths:
        try:
            base = inside(inputs.root, configured)
        except OutsideWorkspace as error:
            problems.append(f"{configured}: {error}, not scanned")
            continue
        if base.is_file():
            files.append(base)
        elif base.is_dir():
            files += sorted(p for p in base.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(base).parts))
    if len(files) > MAX_SCAN_FILES:
        problems.append(f"{len(files)} files under the scan paths: only the first {MAX_SCAN_FILES} scanned")
    root = inputs.root.resolve()
    for path in files[:MAX_SCAN_FILES]:
        is_log = path.suffix.lower() in LOG_SUFFIXES
        if not is_log and path.suffix.lower() not in CODE_SUFFIXES:
            continue
        try:
            path = inside(root, path)
            text, problem, truncated = read_text(path, MAX_SCAN_BYTES)
        except OutsideWorkspace:
            problems.append(f"{path.name}: links outside the workspace, not scanned")
            continue
        except OSError as error:
            problems.append(f"{path}: {error.strerror}")
            continue
        relative = path.relative_to(root).as_posix()
        if text is None:
            problems.append(f"{relative}: {problem}")
            continue
        if truncated:
            problems.append(f"{relative}: larger than {MAX_SCAN_BYTES // 1_000_000} MB, only its last MB scanned")
        pattern = _LOG_ERROR if is_log else _MARKER
        hits = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if pattern.search(line)]
        if not hits:
            continue
        lines = [f"line {n}{' of its last MB' if truncated else ''}: {line[:120]}" for n, line in hits]
        if is_log:
            gaps.append(Gap(f"log-errors-{_slug(relative)}", "medium", f"{len(hits)} error line(s) in {relative}",
                            "; ".join(lines[:MAX_EXAMPLES]), f"read {relative} around those lines and fix the cause",
                            f"no new error lines in {relative}"))
        else:
            gaps.append(Gap(f"markers-{_slug(relative)}", "low", f"{len(hits)} TODO/FIXME/BUG marker(s) in {relative}",
                            "; ".join(lines[:MAX_EXAMPLES]), f"resolve or file the markers in {relative}",
                            f"no TODO, FIXME or BUG markers left in {relative}"))
    return gaps, problems
