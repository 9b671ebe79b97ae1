"""`musicsync doctor`: what is set up, what is optional and missing, what is broken."""

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.store import Store
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
    return [_ffmpeg(), _data_dir(paths), _database(paths), *_credentials(), _notion_backlog(paths), _review(paths),
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
    return Finding("Notion backlog", "optional", f"{len(waiting)} updates waiting; the oldest: {reason}")


def _review(paths: DataPaths) -> Finding:
    try:
        waiting = Store(paths.database, lock_timeout_s=5).tracks("needs_review")
    except Exception as error:  # noqa: BLE001 - the catalog finding above already explains it
        return Finding("needs review", "optional", f"unknown ({type(error).__name__})")
    if not waiting:
        return Finding("needs review", "ok", "no track is waiting for a person")
    return Finding("needs review", "optional", f"{len(waiting)} Spotify tracks had no good enough match; pick one "
                   f"with `musicsync match TRACK_KEY URL` (candidates: `musicsync library --json`)")


def _sources(paths: DataPaths) -> list[Finding]:
    """Where each source's likes were last read, and any pause a rate limit imposed."""
    try:
        store = Store(paths.database, lock_timeout_s=5)
        stored = {name: store.cursor(name) for name in SOURCES}
        cursors = {name: LikesCursor.load(text) for name, text in stored.items() if text}
    except Exception:  # noqa: BLE001 - the catalog finding above already explains it
        return []
    findings = []
    for name, cursor in cursors.items():
        detail = f"read up to the like of {cursor.newest}" if cursor.newest else "nothing read yet"
        if cursor.backfill:
            detail += f"; first sync still reading older likes ({len(cursor.backfill)} stretches)"
        if cursor.rate_limited_until and cursor.rate_limited_until > time.time():
            detail += f"; rate limited until {time.strftime('%H:%M:%S', time.localtime(cursor.rate_limited_until))}"
        findings.append(Finding(name, "ok", detail))
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
    waiting = len(Store(paths.database).eagle_queue()) if paths.database.exists() else 0
    try:
        version = EagleClient(settings, timeout_s=1.5).info().get("version", "?")
    except EagleUnavailable:
        queued = f"; {waiting} imports wait for it" if waiting else ""
        return Finding("Eagle", "optional",
                       f"not reachable at {settings.url} (start the Eagle app to import tracks){queued}")
    except EagleError as error:
        return Finding("Eagle", "broken", error.reason)
    queued = f"; {waiting} queued imports go in on the next sync" if waiting else ""
    return Finding("Eagle", "ok", f"reachable, version {version}{queued}")
