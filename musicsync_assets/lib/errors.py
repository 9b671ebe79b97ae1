"""Errors a user can act on: each carries a stable class name and the next thing to do."""


class MusicsyncError(Exception):
    """Base for failures that reach the user. `error_class` is what run history groups by;
    `healable` says whether trying again later can fix it (a network blip, a service down, a rate
    limit, a full disk) or a person has to act (not audio, DRM only, no good match)."""

    error_class = "error"
    hint = "see the run log for details"
    healable = False

    def __init__(self, reason: str, hint: str | None = None):
        super().__init__(reason)
        self.reason = reason
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason} — {self.hint}"


class DownloadFailed(MusicsyncError):
    error_class = "download_failed"
    hint = "check that the link opens in a browser, then run the sync again"


class ServiceUnavailable(MusicsyncError):
    """The network or a service failed for now (5xx, refused connection, time-out)."""

    error_class = "service_unavailable"
    hint = ("musicsync tries again by itself while `dagster dev` runs, waiting longer each time; "
            "or sync it again later")
    healable = True


class NotAudio(MusicsyncError):
    error_class = "not_audio"
    hint = "point musicsync at an audio file or a page with playable audio"


class CorruptAudio(MusicsyncError):
    error_class = "corrupt_audio"
    hint = "the file is damaged or truncated; download or copy it again"


class SilentAudio(MusicsyncError):
    error_class = "silent_audio"
    hint = "the file holds no sound; check the source plays"


class TooShort(MusicsyncError):
    error_class = "too_short"
    hint = "musicsync keeps tracks of at least a few seconds; use the full track"


class LibraryNotWritable(MusicsyncError):
    error_class = "disk"
    hint = "make the folder writable or point MUSICSYNC_DATA_DIR elsewhere, then run again"


class DiskFull(LibraryNotWritable):
    error_class = "disk_full"
    hint = "free some space; musicsync tries again by itself"
    healable = True


class LibraryBusy(MusicsyncError):
    error_class = "catalog_busy"
    hint = "a DuckDB shell or a stuck musicsync process may hold it; close that, or wait, and run again"
    healable = True


class RunDied(MusicsyncError):
    """A track's run ended as failed with no step failing: its process was killed (out of memory,
    the machine shut down), so nothing was recorded on the track."""

    error_class = "run_died"
    hint = "musicsync tries again by itself; if it keeps dying, the machine may be short of memory"
    healable = True


class UnknownTrack(MusicsyncError):
    error_class = "unknown_track"
    hint = "add it with `musicsync sync URL_OR_PATH` or drop it in the inbox"


class ToolMissing(MusicsyncError):
    error_class = "setup"
    hint = "reinstall with `python3 run.py setup` (it brings ffmpeg through imageio-ffmpeg)"


class NeedsReview(MusicsyncError):
    """No upload matched well enough to download: a person picks (the track's status is *needs_review*)."""

    error_class = "no_match"
    hint = ("pick the right upload from the candidates (`musicsync library --json`), then "
            "`musicsync match TRACK_KEY URL` and sync again")


class RateLimited(MusicsyncError):
    """A service asked to slow down for longer than is worth waiting: the caller stops and records
    until when, so nothing calls the service before then."""

    error_class = "rate_limited"
    hint = "the service asked to slow down; the next sensor tick after that time carries on"
    healable = True

    def __init__(self, reason: str, retry_after_s: float, hint: str | None = None):
        super().__init__(reason, hint)
        self.retry_after_s = retry_after_s


HEAL_FIRST_WAIT_S = 300.0
HEAL_MAX_ATTEMPTS = 6  # 5 minutes, doubling: the last try comes about 5 hours after the first failure


def heal_delay_s(error: MusicsyncError, attempts: int) -> float | None:
    """How long to wait before a failed track is tried again, or None when a person must act:
    at once for what cannot heal, and after HEAL_MAX_ATTEMPTS tries for what could have. Never
    sooner than the service asked (a rate limit's Retry-After)."""
    if not error.healable or attempts >= HEAL_MAX_ATTEMPTS:
        return None
    return max(HEAL_FIRST_WAIT_S * 2 ** attempts, getattr(error, "retry_after_s", 0.0))
