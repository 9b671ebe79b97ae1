"""`musicsync doctor`: what is set up, what is optional and missing, what is broken."""

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.store import Store, TrackRecord, utcnow
from musicsync_assets.lib.pipeline.discovery import SOURCES, LikesCursor

# Optional services: the credentials each needs, by environment variable (values are never shown).
SERVICES = {
    "Notion": ("NOTION_TOKEN", "NOTION_TRACKS_DATABASE"),
    "Spotify": ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REFRESH_TOKEN"),
    "SoundCloud": ("SOUNDCLOUD_CLIENT_ID", "SOUNDCLOUD_OAUTH_TOKEN", "SOUNDCLOUD_USER"),
}


@dataclass(frozen=True)
class Finding:
    name: str
    state: str  # ok | optional | broken
    detail: str

    @property
    def broken(self) -> bool:
        return self.state == "broken"

    @property
    def mark(self) -> str:
        return {"ok": "✔", "optional": "·", "broken": "✘"}[self.state]


def examine(paths: DataPaths) -> list[Finding]:
    return [_ffmpeg(), _data_dir(paths), _database(paths), *_credentials(), _notion_backlog(paths), *_failures(paths),
            *_sources(paths), _eagle(paths)]


def _ffmpeg() -> Finding:
    try:
        exe = codec.ffmpeg_exe()
        version = subprocess.run([exe, "-version"], check=False, capture_output=True, text=True, timeout=20).stdout.split("\n")[0]
    except Exception as error:  # noqa: BLE001 - any failure here means the same thing to the user
        return Finding("ffmpeg", "broken", f"not usable ({error}); reinstall with `python3 run.py setup`")
    return Finding("ffmpeg", "ok", f"{version.split(' Copyright')[0]} at {exe}")


def _data_dir(paths: DataPaths) -> Finding:
    try:
        paths.ensure()
        with tempfile.NamedTemporaryFile(dir=paths.library):
            pass
    except OSError as error:
        return Finding("data directory", "broken",
                       f"{paths.root} is not writable ({error.strerror}); fix permissions or set MUSICSYNC_DATA_DIR")
    return Finding("data directory", "ok", f"{paths.root} is writable")


def _database(paths: DataPaths) -> Finding:
    try:
        count = Store(paths.database, lock_timeout_s=5).ping()
    except Exception as error:  # noqa: BLE001
        return Finding("catalog", "broken", f"{paths.database} cannot be opened: {error}")
    return Finding("catalog", "ok", f"{paths.database} holds {count} tracks")


def _notion_backlog(paths: DataPaths) -> Finding:
    try:
        waiting = Store(paths.database, lock_timeout_s=5).notion_backlog()
    except Exception as error:  # noqa: BLE001 - the catalog finding above already explains it
        return Finding("Notion backlog", "optional", f"unknown ({type(error).__name__})")
    if not waiting:
        return Finding("Notion backlog", "ok", "nothing waiting")
    reason = waiting[0]["last_error"] or "not sent yet"
    # A refused token waits for a person (the credentials finding only sees that one is set).
    state = "broken" if "refused the token" in reason else "optional"
    return Finding("Notion backlog", state, f"{len(waiting)} updates waiting; the oldest: {reason}")


def needs_a_person(store: Store) -> list[TrackRecord]:
    """Tracks nothing will fix by itself: failed for good (or out of tries), or waiting for a match."""
    return [t for t in store.tracks() if t.status == "needs_review" or (t.status == "failed" and t.retry_at is None)]


def _failures(paths: DataPaths) -> list[Finding]:
    """Failed tracks by class, the few most recent named, and when the healing ones are tried again."""
    try:
        tracks = Store(paths.database, lock_timeout_s=5).tracks()
    except Exception as error:  # noqa: BLE001 - the catalog finding above already explains it
        return [Finding("failed tracks", "optional", f"unknown ({type(error).__name__})")]
    findings = []
    review = [t for t in tracks if t.status == "needs_review"]
    if review:
        findings.append(Finding("needs review", "broken", f"{len(review)} Spotify tracks had no good enough match; "
                                "pick one with `musicsync match TRACK_KEY URL` (candidates: `musicsync library --json`)"))
    stuck = [t for t in tracks if t.status == "failed" and t.retry_at is None]
    for error_class, group in _by_class(stuck).items():
        recent = "; ".join(f"{t.label} ({t.track_key}): {(t.error_message or '').split(' — ')[0]}" for t in group[:3])
        findings.append(Finding(f"failed: {error_class}", "broken",
                                f"{len(group)} track(s) need a person — {recent}; fix the cause, then "
                                "`musicsync sync TRACK_KEY`"))
    healing = sorted((t for t in tracks if t.status == "failed" and t.retry_at is not None), key=lambda t: t.retry_at)
    if healing:
        due = healing[0].retry_at
        when = f"was due at {due:%Y-%m-%d %H:%M} UTC: the healing sensor runs it while `dagster dev` runs, or " \
            "`musicsync sync TRACK_KEY` now" if due <= utcnow() else \
            f"is tried again by itself at {due:%Y-%m-%d %H:%M} UTC (while `dagster dev` runs)"
        findings.append(Finding("healing", "optional",
                                f"{len(healing)} track(s) failed on something that may pass "
                                f"({', '.join(sorted(_by_class(healing)))}); the next {when}"))
    if not findings:
        findings.append(Finding("failed tracks", "ok", "none: no track is waiting for a person"))
    return findings


def _by_class(tracks: list[TrackRecord]) -> dict[str, list[TrackRecord]]:
    groups: dict[str, list[TrackRecord]] = {}
    for track in sorted(tracks, key=lambda t: t.track_key):
        groups.setdefault(track.error_class or "unknown", []).append(track)
    return groups


def _sources(paths: DataPaths) -> list[Finding]:
    """Each source's last good look and the last error it met, where its likes were read up to,
    and any pause a rate limit imposed (in UTC)."""
    try:
        store = Store(paths.database, lock_timeout_s=5)
        stored = {name: store.cursor(name) for name in SOURCES}
        looks = store.looks()
    except Exception:  # noqa: BLE001 - the catalog finding above already explains it
        return []
    findings = []
    for name in SOURCES:
        cursor = LikesCursor.load(stored[name]) if stored[name] else None
        look = looks.get(name)
        if cursor is None and look is None:
            continue
        parts, state = [], "ok"
        if look and look["last_ok_at"]:
            parts.append(f"last read fine at {look['last_ok_at']:%Y-%m-%d %H:%M} UTC")
        if look and look["last_error"]:
            state = "broken"
            parts.append(f"the last look failed at {look['error_at']:%Y-%m-%d %H:%M} UTC: {look['last_error']}")
        if cursor:
            parts.append(f"read up to the like of {cursor.newest}" if cursor.newest else "nothing read yet")
            if cursor.backfill:
                parts.append(f"first sync still reading older likes ({len(cursor.backfill)} stretches)")
            if cursor.rate_limited_until and cursor.rate_limited_until > time.time():
                state = "optional" if state == "ok" else state
                until = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(cursor.rate_limited_until))
                parts.append(f"rate limited until {until} UTC: nothing to do, the sensor carries on after that")
        findings.append(Finding(name, state, "; ".join(parts)))
    return findings


def _credentials() -> list[Finding]:
    findings = []
    for service, names in SERVICES.items():
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            findings.append(Finding(service, "optional", f"not configured (set {', '.join(missing)})"))
        else:
            findings.append(Finding(service, "ok", "credentials present"))
    return findings


def _eagle(paths: DataPaths) -> Finding:
    """Eagle through the client the import uses (MUSICSYNC_EAGLE_URL, EAGLE_API_TOKEN), with its queue."""
    from musicsync_assets.lib.services.eagle import EagleClient, EagleError, EagleSettings, EagleUnavailable

    settings = EagleSettings.from_env()
    if settings is None:
        return Finding("Eagle", "optional", "not configured (set MUSICSYNC_EAGLE_URL or MUSICSYNC_EAGLE_FOLDER "
                                            "to import tracks into the Eagle app)")
    queue = Store(paths.database).eagle_queue() if paths.database.exists() else []
    waiting = len(queue)
    try:
        version = EagleClient(settings, timeout_s=1.5).info().get("version", "?")
    except EagleUnavailable:
        queued = f"; {waiting} imports wait for it" if waiting else ""
        return Finding("Eagle", "optional",
                       f"not reachable at {settings.url} (start the Eagle app to import tracks){queued}")
    except EagleError as error:
        return Finding("Eagle", "broken", error.reason)
    if not waiting:
        return Finding("Eagle", "ok", f"reachable, version {version}")
    # Reachable, yet imports wait: either queued while the app was closed, or refused (a wrong
    # token, an error envelope), which the next sync does not cure by itself.
    last = queue[0]["last_error"] or "not tried yet"
    return Finding("Eagle", "optional", f"reachable, version {version}; {waiting} queued imports go in on the next "
                                        f"sync (the oldest's last try: {last})")
