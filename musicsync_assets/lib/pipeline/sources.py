"""Where a track comes from, and the stable key it is known by.

Keys are source-prefixed and never a title or file name: `yt-<video id>`, `sp-<spotify id>`,
`sc-<soundcloud id>`, `url-<hash of the normalised URL>`, `file-<hash of the content>`.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from musicsync_assets.lib.errors import NotAudio, UnknownTrack

# The sources of new tracks, in the fallback chain's order: their cursors' and `--from`'s names.
# Kept here, in a module with no heavy imports, because the command line's parser needs them.
SPOTIFY_PLAYING, SOUNDCLOUD_LIKES, SPOTIFY_LIKES = "spotify-playing", "soundcloud-likes", "spotify-likes"
NOTION_QUEUE = "notion-queue"
SOURCES = (SPOTIFY_PLAYING, SOUNDCLOUD_LIKES, SPOTIFY_LIKES, NOTION_QUEUE)

# Files a browser or copier is still writing, and the OS's own litter.
_UNFINISHED_SUFFIXES = {".part", ".crdownload", ".download", ".tmp", ".partial"}
_TRACKING_PARAMS = re.compile(r"^(utm_.*|si|feature|fbclid|gclid|ref|ref_src|in|pp)$")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_SPOTIFY_TRACK = re.compile(r"^/(?:intl-[a-z-]+/)?track/([A-Za-z0-9]{22})")


@dataclass(frozen=True)
class SourceRef:
    track_key: str
    kind: str  # file | url | youtube | soundcloud | spotify
    source_id: str
    location: str  # the URL, or the file's absolute path


def normalise_url(url: str) -> str:
    """Lower-case host without www/m, no fragment, no tracking parameters, sorted query."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m."):
        host = host.removeprefix(prefix)
    netloc = host + (f":{parts.port}" if parts.port else "")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING_PARAMS.match(k))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def identify_url(url: str) -> SourceRef:
    normalised = normalise_url(url)
    parts = urlsplit(normalised)
    host, query = parts.hostname or "", dict(parse_qsl(parts.query))
    if parts.scheme not in ("http", "https") or not host:
        raise UnknownTrack(f"{url!r} is not a web address")
    video_id = None
    if host in ("youtube.com", "music.youtube.com") and parts.path == "/watch":
        video_id = query.get("v")
    elif host in ("youtube.com", "music.youtube.com") and parts.path.startswith("/shorts/"):
        video_id = parts.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parts.path.strip("/")
    if video_id and _YOUTUBE_ID.match(video_id):
        return SourceRef(f"yt-{video_id}", "youtube", video_id, f"https://www.youtube.com/watch?v={video_id}")
    spotify = _SPOTIFY_TRACK.match(parts.path) if host == "open.spotify.com" else None
    if spotify:
        track_id = spotify.group(1)
        return SourceRef(f"sp-{track_id}", "spotify", track_id, f"https://open.spotify.com/track/{track_id}")
    kind = "soundcloud" if host.endswith("soundcloud.com") else "url"
    return SourceRef(f"url-{short_hash(normalised.encode())}", kind, normalised, url.strip())


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def identify_file(path: Path) -> SourceRef:
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise UnknownTrack(f"{path} does not exist or is not a file", "check the path, then run again")
    if path.stat().st_size == 0:
        raise NotAudio(f"{path.name} is empty")
    digest = content_hash(path)
    return SourceRef(f"file-{digest[:16]}", "file", digest, str(path))


def identify(source: str) -> SourceRef:
    """A URL or a local path, as the user typed it."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source.strip()):
        return identify_url(source)
    return identify_file(Path(source))


def inbox_files(folder: Path, settle_s: float = 2.0) -> list[Path]:
    """Finished, visible files in the inbox (and its subfolders), oldest first.

    A file modified in the last `settle_s` seconds may still be copying and waits for a later look.
    Non-audio files are listed too, so that they fail with a reason instead of being ignored.
    """
    if not folder.is_dir():
        return []
    now = time.time()
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative) or path.suffix.lower() in _UNFINISHED_SUFFIXES:
            continue
        if path.is_file() and now - path.stat().st_mtime >= settle_s:
            found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))
