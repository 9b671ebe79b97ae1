"""SoundCloud's api-v2, as its own web player and yt-dlp speak it: the user's likes, page by page,
and a playable stream for a track.

Every request carries the `client_id` query parameter (also on `next_href`, which omits it) and,
when there is one, the user's token as `Authorization: OAuth <token>`. The base URL is configurable
so the tests (and proxies) can stand in for api-v2.soundcloud.com.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from musicsync_assets.lib.errors import MusicsyncError, RateLimited, ServiceUnavailable
from musicsync_assets.lib.pipeline.discovery import SkippedLike
from musicsync_assets.lib.services.retry_after import retry_after_s

DEFAULT_API_URL = "https://api-v2.soundcloud.com"
_DRM_PROTOCOLS = ("encrypted-hls", "ctr-", "cbc-")


class SoundCloudAuthError(MusicsyncError):
    error_class = "auth_expired"
    hint = ("set SOUNDCLOUD_CLIENT_ID (from soundcloud.com's web player) and SOUNDCLOUD_OAUTH_TOKEN "
            "(the browser's oauth_token cookie) again, in the environment or .env")


class SoundCloudRateLimited(RateLimited):
    hint = "SoundCloud asked to slow down; the next sensor tick after that time carries on"


class SoundCloudError(MusicsyncError):
    error_class = "soundcloud"
    hint = "SoundCloud answered something unexpected; run again later"


class Unavailable(MusicsyncError):
    """The track exists but offers nothing musicsync may download. Recorded once, never retried."""

    error_class = "unavailable"
    hint = "nothing to download from SoundCloud; find the track elsewhere and sync that link"


@dataclass(frozen=True)
class SoundCloudTrack:
    id: int
    title: str
    artist: str
    duration_s: float
    permalink_url: str
    artwork_url: str | None = None
    liked_at: str | None = None
    isrc: str | None = None
    transcodings: tuple[dict, ...] = field(default=(), repr=False)

    @property
    def album(self) -> str | None:
        return None  # SoundCloud uploads carry no album

    @property
    def year(self) -> int | None:
        return None

    @property
    def track_key(self) -> str:
        return f"sc-{self.id}"

    @property
    def artists(self) -> tuple[str, ...]:
        return (self.artist,)

    @property
    def url(self) -> str:
        return self.permalink_url

    @property
    def unavailable_reason(self) -> str | None:
        """Why no stream may be downloaded, or None when one can."""
        return _playable_transcodings(self.transcodings)[1]


class SoundCloudClient:
    def __init__(self, client_id: str, oauth_token: str | None = None, api_url: str = DEFAULT_API_URL,
                 session: requests.Session | None = None, max_retries: int = 3, backoff_s: float = 1.0,
                 timeout_s: float = 30.0):
        if not client_id:
            raise SoundCloudAuthError("no SoundCloud client_id is configured")
        self.client_id, self.oauth_token = client_id, oauth_token
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        self.max_retries, self.backoff_s, self.timeout_s = max_retries, backoff_s, timeout_s
        self.requests_made = 0

    # --- the calls ------------------------------------------------------------------------------

    def user_id(self, user: str) -> int:
        """A numeric ID as is; a profile permalink ("artist-name" or its URL) resolved."""
        if str(user).isdigit():
            return int(user)
        permalink = user if user.startswith("http") else f"https://soundcloud.com/{user.strip('/')}"
        found = self.get("/resolve", {"url": permalink})
        if found.get("kind") != "user" or "id" not in found:
            raise SoundCloudError(f"{permalink} is not a SoundCloud profile")
        return int(found["id"])

    def likes(self, user_id: int, page_size: int = 200, start_href: str | None = None
              ) -> Iterator[tuple[list[SoundCloudTrack | SkippedLike], str | None]]:
        """Pages of the user's likes, newest first, each with the href of the page after it."""
        href = start_href or f"{self.api_url}/users/{user_id}/likes"
        params = None if start_href else {"limit": page_size, "linked_partitioning": 1}
        while href:
            page = self.get(href, params)
            params = None
            collection = page.get("collection")
            if not isinstance(collection, list):
                raise SoundCloudError("a likes page had no collection")
            href = page.get("next_href") or None
            yield [_parse_like(item) for item in collection], href

    def track(self, track_id: int) -> SoundCloudTrack:
        answer = self.get(f"/tracks/{track_id}")
        parsed = _parse_track(answer, None)
        if isinstance(parsed, SkippedLike):
            raise SoundCloudError(f"track {track_id}: {parsed.reason}")
        return parsed

    def stream_url(self, track: SoundCloudTrack) -> str:
        """A signed URL of the best full-length, DRM-free stream: progressive before HLS. A stream
        whose endpoint answers 404 or 403 is passed over for the next, as SoundCloud's own player
        does: one transcoding gone or blocked in this region is not the track gone, and the track
        itself was just read with these credentials."""
        playable, reason = _playable_transcodings(track.transcodings)
        if not playable:
            raise Unavailable(f"{track.permalink_url} offers {reason}")
        for transcoding in playable:
            try:
                answer = self.get(transcoding["url"])
            except (Unavailable, SoundCloudAuthError):
                continue
            if not answer.get("url"):
                raise SoundCloudError(f"no stream URL for {track.permalink_url}")
            return answer["url"]
        raise Unavailable(f"none of the {len(playable)} streams of {track.permalink_url} can be fetched "
                          "(deleted, private or region-blocked)")

    # --- the wire ---------------------------------------------------------------------------------

    def get(self, path_or_url: str, params: dict | None = None) -> dict:
        url = path_or_url if path_or_url.startswith("http") else f"{self.api_url}{path_or_url}"
        url = _with_query(url, {**(params or {}), "client_id": self.client_id})
        headers = {"Authorization": f"OAuth {self.oauth_token}"} if self.oauth_token else {}
        for attempt in range(self.max_retries + 1):
            self.requests_made += 1
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout_s)
            except requests.RequestException as error:
                if attempt == self.max_retries:
                    raise ServiceUnavailable(f"SoundCloud could not be reached: {type(error).__name__}") from error
                time.sleep(self.backoff_s * 2 ** attempt)
                continue
            if response.status_code == 429:
                retry_after = retry_after_s(response.headers.get("Retry-After"), 60)
                raise SoundCloudRateLimited(f"SoundCloud rate limit: retry after {retry_after:g} s", retry_after)
            if response.status_code in (401, 403):
                raise SoundCloudAuthError(f"SoundCloud refused the request ({response.status_code})")
            if response.status_code == 404:
                raise Unavailable(f"SoundCloud has no {urlsplit(url).path} (deleted, private or region-blocked)")
            if response.status_code >= 500:
                if attempt == self.max_retries:
                    raise ServiceUnavailable(f"SoundCloud answered {response.status_code} for {urlsplit(url).path}")
                time.sleep(self.backoff_s * 2 ** attempt)
                continue
            if response.status_code >= 400:
                raise SoundCloudError(f"SoundCloud answered {response.status_code} for {urlsplit(url).path}")
            try:
                return response.json()
            except ValueError as error:
                raise SoundCloudError(f"SoundCloud answered something that is not JSON for {urlsplit(url).path}") \
                    from error
        raise SoundCloudError("unreachable")  # the loop returns or raises


def _with_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _parse_like(item: object) -> SoundCloudTrack | SkippedLike:
    if not isinstance(item, dict):
        return SkippedLike("a malformed like")
    if item.get("kind") in ("track", "playlist"):
        # /me/likes/tracks lists the tracks themselves, without the like around them: the time
        # they were liked is not given (their created_at is the upload's).
        return (_parse_track(item, None) if item["kind"] == "track"
                else SkippedLike(f"a playlist ({item.get('title', '?')}), not a track"))
    liked_at = item.get("created_at")
    if isinstance(item.get("playlist"), dict):
        return SkippedLike(f"a playlist ({item['playlist'].get('title', '?')}), not a track", liked_at)
    if not isinstance(item.get("track"), dict):
        return SkippedLike("a like with no track", liked_at)
    return _parse_track(item["track"], liked_at)


def _parse_track(raw: dict, liked_at: str | None) -> SoundCloudTrack | SkippedLike:
    try:
        user = raw.get("user") or {}
        publisher = raw.get("publisher_metadata") or {}
        return SoundCloudTrack(
            id=int(raw["id"]), title=str(raw["title"]),
            artist=str(publisher.get("artist") or user.get("username") or "Unknown artist"),
            duration_s=float(raw.get("full_duration") or raw.get("duration") or 0) / 1000,
            permalink_url=str(raw["permalink_url"]),
            artwork_url=raw.get("artwork_url") or user.get("avatar_url"),
            liked_at=liked_at, isrc=publisher.get("isrc") or None,
            transcodings=tuple(t for t in (raw.get("media") or {}).get("transcodings") or [] if isinstance(t, dict)),
        )
    except (KeyError, TypeError, ValueError) as error:
        return SkippedLike(f"a malformed track ({type(error).__name__}: {error})", liked_at)


def _playable_transcodings(transcodings: tuple[dict, ...]) -> tuple[list[dict], str | None]:
    """The full-length, DRM-free streams, best first, and when there is none, why (for the
    catalog's *unavailable*)."""
    def protocol(t: dict) -> str:
        return str((t.get("format") or {}).get("protocol", ""))

    free = [t for t in transcodings if t.get("url") and not protocol(t).startswith(_DRM_PROTOCOLS)]
    full = [t for t in free if not t.get("snipped")]
    if not transcodings:
        return [], "no streams at all"
    if not free:
        return [], "only DRM-protected streams"
    if not full:
        return [], "only a 30-second preview"
    return sorted(full, key=lambda t: protocol(t) != "progressive"), None
