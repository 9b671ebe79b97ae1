"""Fetching audio and its description from the web through yt-dlp."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import requests

from musicsync_assets.lib.audio.codec import ffmpeg_exe
from musicsync_assets.lib.errors import DownloadFailed, NotAudio, RateLimited, ServiceUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownloadOptions:
    rate_limit_bytes_per_s: int | None = None
    retries: int = 3
    socket_timeout_s: float = 30.0


@dataclass(frozen=True)
class WebTrackInfo:
    """What a page says about its audio; musical facts come later from analysis."""

    extractor: str
    media_id: str
    title: str
    artists: list[str]
    album: str | None
    year: int | None
    duration_s: float | None
    thumbnail_url: str | None
    webpage_url: str


class _QuietLogger:
    """yt-dlp's messages go to our log, not to stdout; errors arrive as exceptions."""

    def debug(self, message: str) -> None:
        log.debug(message)

    def info(self, message: str) -> None:
        log.debug(message)

    def warning(self, message: str) -> None:
        log.info(message)

    def error(self, message: str) -> None:
        log.debug(message)


def _ydl_options(options: DownloadOptions, **extra) -> dict:
    return {
        "format": "bestaudio/best",
        "noplaylist": True,
        "quiet": True,
        "noprogress": True,
        "logger": _QuietLogger(),
        "retries": options.retries,
        "fragment_retries": options.retries,
        "socket_timeout": options.socket_timeout_s,
        "ratelimit": options.rate_limit_bytes_per_s,
        "ffmpeg_location": ffmpeg_exe(),
        **extra,
    }


# What yt-dlp says when the network or the server fails for a while rather than for good.
# What an outage or a machine offline looks like from yt-dlp. Name lookups fail with "Temporary failure
# in name resolution" offline on Linux, "nodename nor servname provided" on macOS and "getaddrinfo
# failed" on Windows.
_PASSING_FAILURES = ("HTTP Error 500", "HTTP Error 502", "HTTP Error 503", "HTTP Error 504", "Connection refused",
                     "timed out", "Temporary failure in name resolution", "nodename nor servname provided",
                     "getaddrinfo failed", "Network is unreachable", "No route to host", "Connection reset",
                     "Remote end closed")
RATE_LIMIT_PAUSE_S = 600.0


def explain_failure(url: str, error: Exception) -> Exception:
    text = str(error).removeprefix("ERROR: ")
    if "Unsupported URL" in text:
        return NotAudio(f"{url} holds no audio musicsync can download")
    if "HTTP Error 404" in text or "HTTP Error 410" in text:
        return DownloadFailed(f"{url} answered 404 Not Found")
    refused = re.search(r"HTTP Error (40[13]):? ?([A-Za-z ]*)", text)
    if refused:
        return DownloadFailed(f"{url} refused access ({refused[1]} {refused[2].strip()})".replace(" )", ")"),
                              "the track may be private or region-blocked; try another link")
    if "DRM" in text:
        return DownloadFailed(f"{url} is DRM-protected", "no download is possible; pick another source")
    if "HTTP Error 429" in text:
        return RateLimited(f"{url} asked musicsync to slow down (429)", RATE_LIMIT_PAUSE_S)
    if passing := next((sign for sign in _PASSING_FAILURES if sign in text), None):
        return ServiceUnavailable(f"{url} could not be reached for now ({passing})")
    return DownloadFailed(f"{url} could not be downloaded: {text.splitlines()[0]}")


def fetch_info(url: str, options: DownloadOptions) -> WebTrackInfo:
    import yt_dlp

    try:
        with yt_dlp.YoutubeDL(_ydl_options(options)) as ydl:
            info = ydl.extract_info(url, download=False)
    except yt_dlp.utils.YoutubeDLError as error:
        raise explain_failure(url, error) from error
    if info.get("_type") == "playlist":
        raise NotAudio(f"{url} is a playlist", "sync its tracks one by one")
    artist = info.get("artist") or info.get("creator") or info.get("uploader")
    title = info.get("track") or info.get("title") or info.get("id")
    if not info.get("artist") and title and " - " in title:
        # Uploads are often titled "Artist - Title" under a label's channel name.
        artist, title = (part.strip() for part in title.split(" - ", 1))
    year = info.get("release_year") or (int(info["upload_date"][:4]) if info.get("upload_date") else None)
    return WebTrackInfo(
        extractor=info.get("extractor_key", "Generic"),
        media_id=str(info.get("id")),
        title=title,
        artists=[a.strip() for a in artist.split(",")] if artist else [],
        album=info.get("album"),
        year=year,
        duration_s=info.get("duration"),
        thumbnail_url=info.get("thumbnail"),
        webpage_url=info.get("webpage_url") or url,
    )


def download_audio(url: str, folder: Path, stem: str, options: DownloadOptions) -> Path:
    """Downloads the best audio into `folder` as `stem.<ext>` and returns its path."""
    import yt_dlp

    outtmpl = str(folder / f"{stem}.%(ext)s")
    try:
        with yt_dlp.YoutubeDL(_ydl_options(options, outtmpl={"default": outtmpl}, overwrites=True)) as ydl:
            info = ydl.extract_info(url, download=True)
    except yt_dlp.utils.YoutubeDLError as error:
        raise explain_failure(url, error) from error
    downloads = info.get("requested_downloads") or []
    if not downloads or not Path(downloads[0]["filepath"]).is_file():
        raise DownloadFailed(f"{url} produced no file")
    return Path(downloads[0]["filepath"])


def fetch_image(url: str, timeout_s: float = 20.0) -> bytes | None:
    """Artwork is a nicety: a failure is logged and the track goes on without it."""
    try:
        response = requests.get(url, timeout=timeout_s)
        response.raise_for_status()
    except requests.RequestException as error:  # its text is urllib3's whole retry story: the gist will do
        reason = f"HTTP {error.response.status_code}" if error.response is not None else type(error).__name__
        log.warning("artwork %s not fetched (%s); the track goes on without it", url, reason)
        return None
    if not response.content.startswith((b"\x89PNG", b"\xff\xd8")):
        log.warning("artwork %s is not a PNG or JPEG; skipped", url)
        return None
    return response.content
