"""The user's Spotify through spotipy: liked tracks, newest first, and what is playing now.

spotipy gets a plain `requests.Session()`: its default session retries 429s inside urllib3, for up to
six hours when Spotify says so, and then loses the Retry-After. Here a 429 comes straight back; a
short wait is honoured, a long one is raised as `SpotifyRateLimited` so a sensor can stop its tick.
Fields Spotify dropped in 2026 (popularity, available_markets, linked_from) are never read, and
ISRC, album and artwork may be missing. No batch `GET /tracks?ids=` (removed for dev-mode apps).
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests

from musicsync_assets.lib.errors import MusicsyncError, RateLimited, ServiceUnavailable
from musicsync_assets.lib.pipeline.discovery import SkippedLike
from musicsync_assets.lib.services.retry_after import retry_after_s

DEFAULT_API_URL = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"
SCOPES = "user-library-read user-read-currently-playing"
# Each next page of likes starts this many likes early: likes removed while the pages are read
# shift the rest up, and the one at the page boundary would otherwise be read by neither page.
# The walk skips the repeats (discovery.walk_likes).
PAGE_OVERLAP = 5


class SpotifyAuthError(MusicsyncError):
    error_class = "auth_expired"
    hint = "run `musicsync auth spotify` and put the refresh token it prints in .env"


class SpotifyRateLimited(RateLimited):
    hint = "Spotify asked to slow down; the next sensor tick after that time carries on"


class SpotifyError(MusicsyncError):
    error_class = "spotify"
    hint = "Spotify answered something unexpected; run again later"


@dataclass(frozen=True)
class SpotifyTrack:
    id: str
    title: str
    artists: tuple[str, ...]
    duration_s: float
    album: str | None = None
    year: int | None = None
    isrc: str | None = None
    artwork_url: str | None = None
    liked_at: str | None = None

    @property
    def track_key(self) -> str:
        return f"sp-{self.id}"

    @property
    def artist(self) -> str:
        return self.artists[0] if self.artists else "Unknown artist"

    @property
    def url(self) -> str:
        return f"https://open.spotify.com/track/{self.id}"

    @property
    def unavailable_reason(self) -> str | None:
        return None  # Spotify serves no audio at all: every track is downloaded from its YouTube match


def parse_track(raw: object, liked_at: str | None = None) -> SpotifyTrack | SkippedLike:
    """A track object as Spotify sends it, tolerant of every optional field being absent."""
    if not isinstance(raw, dict):
        return SkippedLike("a malformed item", liked_at)
    if raw.get("is_local") or not raw.get("id"):
        return SkippedLike(f"a local file or an unplayable track ({raw.get('name', '?')})", liked_at)
    if raw.get("type", "track") != "track":
        return SkippedLike(f"a {raw.get('type')}, not a track", liked_at)
    try:
        album = raw.get("album") or {}
        images = album.get("images") or []
        release = str(album.get("release_date") or "")
        return SpotifyTrack(
            id=str(raw["id"]), title=str(raw["name"]),
            artists=tuple(str(a["name"]) for a in raw.get("artists") or [] if a.get("name")),
            duration_s=float(raw["duration_ms"]) / 1000, album=album.get("name"),
            year=int(release[:4]) if release[:4].isdigit() else None,
            isrc=(raw.get("external_ids") or {}).get("isrc"),
            artwork_url=max(images, key=lambda i: i.get("width") or 0).get("url") if images else None,
            liked_at=liked_at,
        )
    except (KeyError, TypeError, ValueError) as error:
        return SkippedLike(f"a malformed track ({type(error).__name__}: {error})", liked_at)


class SpotifyClient:
    def __init__(self, client_id: str, client_secret: str, refresh_token: str, api_url: str = DEFAULT_API_URL,
                 token_url: str = DEFAULT_TOKEN_URL, max_wait_s: float = 30.0, max_retries: int = 3,
                 keep_refresh_token: Callable[[str], None] | None = None):
        """`keep_refresh_token` is given the refresh token Spotify answers a refresh with when it is
        a new one: Spotify may replace it, and then refuses the old one."""
        import spotipy
        from spotipy.cache_handler import MemoryCacheHandler
        from spotipy.oauth2 import SpotifyOAuth

        if not (client_id and client_secret and refresh_token):
            raise SpotifyAuthError("Spotify needs SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET and SPOTIFY_REFRESH_TOKEN")
        # An expired token with the refresh token: spotipy refreshes it before the first call.
        auth = SpotifyOAuth(client_id, client_secret, redirect_uri="http://127.0.0.1:8974/callback", scope=SCOPES,
                            open_browser=False, requests_session=requests.Session(),
                            cache_handler=MemoryCacheHandler({"access_token": "", "token_type": "Bearer",
                                                              "expires_at": 0, "scope": SCOPES,
                                                              "refresh_token": refresh_token}))
        auth.OAUTH_TOKEN_URL = token_url
        self._auth, self._refresh_token, self._keep_refresh_token = auth, refresh_token, keep_refresh_token
        self.spotify = spotipy.Spotify(auth_manager=auth, requests_session=requests.Session())
        # spotipy logs every HTTP error it raises to stderr, a 401 that a refresh then cures among
        # them; `_call` handles each, and says in one line what is left to do.
        logging.getLogger("spotipy.client").setLevel(logging.CRITICAL)
        self.spotify.prefix = api_url if api_url.endswith("/") else f"{api_url}/"
        self.max_wait_s, self.max_retries = max_wait_s, max_retries
        self.requests_made = 0

    def liked_pages(self, start_href: str | None = None, page_size: int = 50
                    ) -> Iterator[tuple[list[SpotifyTrack | SkippedLike], str | None]]:
        """Pages of `me/tracks`, newest first, each with the absolute URL of the next page, which
        starts PAGE_OVERLAP likes before the end of this one. A next page that repeats none of
        them means more likes were removed above it meanwhile than the overlap covers: it is read
        again from a page earlier (the walk skips what repeats)."""
        page = self._call(lambda: self.spotify.next({"next": start_href}) if start_href
                          else self.spotify.current_user_saved_tracks(limit=page_size))
        overlap: set = set()  # the last likes of the page before, which this page should repeat
        while page:
            items = page.get("items")
            if not isinstance(items, list):
                raise SpotifyError("a page of liked tracks had no items")
            keys = [_like_key(item) for item in items]
            offset = page.get("offset")
            if overlap and items and not overlap & set(keys[:PAGE_OVERLAP]) and isinstance(offset, int) \
                    and offset > 0 and page.get("href"):
                overlap = set()  # once: stepping back again could go on as long as likes are removed
                earlier = _with_offset(page["href"], max(0, offset - len(items)))
                page = self._call(lambda href=earlier: self.spotify.next({"next": href}))
                continue
            overlap = set(keys[-PAGE_OVERLAP:])
            next_href = page.get("next")
            if next_href and isinstance(offset, int):
                following = _offset_of(next_href)
                next_href = _with_offset(next_href, max(offset + 1, following - PAGE_OVERLAP)) \
                    if following is not None else next_href
            yield [parse_track((item or {}).get("track") if isinstance(item, dict) else None,
                               item.get("added_at") if isinstance(item, dict) else None) for item in items], next_href
            page = self._call(lambda href=next_href: self.spotify.next({"next": href})) if next_href else None

    def track(self, track_id: str) -> SpotifyTrack:
        """One track by its ID (`GET /tracks/{id}`, still open to dev-mode apps, unlike the batch call)."""
        parsed = parse_track(self._call(lambda: self.spotify.track(track_id)))
        if isinstance(parsed, SkippedLike):
            raise SpotifyError(f"Spotify track {track_id} is {parsed.reason}")
        return parsed

    def search_tracks(self, artist: str, title: str, limit: int = 10) -> list[SpotifyTrack]:
        """Spotify's own search by artist and title (10 results at most since 2026)."""
        answer = self._call(lambda: self.spotify.search(f'track:"{title}" artist:"{artist}"', limit=limit,
                                                        type="track"))
        items = ((answer or {}).get("tracks") or {}).get("items") or []
        return [track for track in map(parse_track, items) if isinstance(track, SpotifyTrack)]

    def currently_playing(self) -> SpotifyTrack | SkippedLike | None:
        """The track playing now; None when nothing is (Spotify answers 204)."""
        playing = self._call(lambda: self.spotify.current_user_playing_track())
        if not playing or not playing.get("item"):
            return None
        return parse_track(playing["item"])

    def _call(self, request: Callable[[], object]):
        from spotipy.exceptions import SpotifyException
        from spotipy.oauth2 import SpotifyOauthError

        refresh = refreshed = False
        for attempt in range(self.max_retries + 1):
            self.requests_made += 1
            try:
                if refresh:  # here, so a refused refresh token is explained as any accounts error
                    refresh, refreshed = False, True
                    self._auth.refresh_access_token(self._refresh_token)
                return request()
            except SpotifyOauthError as error:
                if error.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                    raise SpotifyAuthError(f"Spotify refused the refresh token ({error.error})") from error
                raise SpotifyError(f"Spotify's accounts service failed ({error.error})") from error
            except SpotifyException as error:
                if error.http_status == 429:
                    wait = retry_after_s((error.headers or {}).get("Retry-After"), 60)
                    if wait > self.max_wait_s or attempt == self.max_retries:
                        raise SpotifyRateLimited(f"Spotify rate limit: retry after {wait:g} s", wait) from error
                    time.sleep(wait)
                elif error.http_status == 401 and not refreshed and attempt < self.max_retries:
                    refresh = True  # an access token can expire before its hour is up: a new one, once
                elif error.http_status == 401:
                    raise SpotifyAuthError("Spotify refused the access token (401)"
                                           + (" after a refresh" if refreshed else "")) from error
                elif error.http_status == 403:
                    raise SpotifyAuthError(
                        f"Spotify refused musicsync (403: {error.msg})",
                        "an app in development mode serves only the accounts added under User Management in "
                        "its dashboard at developer.spotify.com; add yours, then run `musicsync auth spotify` "
                        "again for a refresh token with every scope musicsync asks for") from error
                elif error.http_status >= 500 and attempt < self.max_retries:
                    time.sleep(2 ** attempt)
                elif error.http_status >= 500:
                    raise ServiceUnavailable(f"Spotify answered {error.http_status}") from error
                else:
                    raise SpotifyError(f"Spotify answered {error.http_status}: {error.msg}") from error
            except requests.RequestException as error:
                if attempt == self.max_retries:
                    raise ServiceUnavailable(f"Spotify could not be reached ({type(error).__name__})") from error
                time.sleep(2 ** attempt)
            finally:
                self._take_new_refresh_token()
        raise SpotifyError("Spotify kept failing")

    def _take_new_refresh_token(self) -> None:
        """Spotify may answer a refresh (spotipy's or ours) with a new refresh token, and then
        refuses the old one: the next refresh, and whoever `keep_refresh_token` tells, use it."""
        current = (self._auth.cache_handler.get_cached_token() or {}).get("refresh_token")
        if current and current != self._refresh_token:
            self._refresh_token = current
            if self._keep_refresh_token:
                try:
                    self._keep_refresh_token(current)
                except OSError as error:  # the call itself worked: say what was not kept, and go on
                    logging.getLogger("musicsync").warning(
                        "Spotify gave a new refresh token and it could not be saved (%s): put the one "
                        "`musicsync auth spotify` prints in .env before this process ends", error.strerror)


def _like_key(item: object) -> tuple:
    """What tells one saved-track item from another on a page: the track and when it was saved."""
    if not isinstance(item, dict):
        return (None, None)
    track = item.get("track")
    return (track.get("id") if isinstance(track, dict) else None, item.get("added_at"))


def _offset_of(href: str) -> int | None:
    try:
        return int(parse_qs(urlsplit(href).query)["offset"][0])
    except (KeyError, ValueError):
        return None


def _with_offset(href: str, offset: int) -> str:
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    query["offset"] = [str(offset)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def authorize(client_id: str, client_secret: str, port: int, show: Callable[[str], None],
              token_url: str = DEFAULT_TOKEN_URL, authorize_url: str | None = None, timeout_s: float = 300.0) -> str:
    """The authorisation-code flow, once: `show` is given the URL to open; Spotify sends the
    browser back to http://127.0.0.1:PORT/callback (add that exact URI to the app's settings),
    where a one-request server takes the code. Returns the refresh token."""
    import secrets
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs, urlsplit

    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyOAuth

    if not (client_id and client_secret):
        raise SpotifyAuthError("set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET first (from the app's dashboard)",
                               "create an app at developer.spotify.com, then run this again")
    redirect = f"http://127.0.0.1:{port}/callback"
    state = secrets.token_urlsafe(16)
    auth = SpotifyOAuth(client_id, client_secret, redirect_uri=redirect, scope=SCOPES, state=state,
                        open_browser=False, requests_session=requests.Session(),
                        cache_handler=MemoryCacheHandler())  # the refresh token goes to .env, not to a file
    auth.OAUTH_TOKEN_URL = token_url
    if authorize_url:
        auth.OAUTH_AUTHORIZE_URL = authorize_url
    received: dict[str, str] = {}

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self):
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            received.update(query)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"musicsync has the Spotify authorisation; you can close this tab.")

        def log_message(self, format, *args):
            pass

    with HTTPServer(("127.0.0.1", port), Callback) as server:
        server.timeout = timeout_s
        show(auth.get_authorize_url())
        server.handle_request()
    if received.get("state") != state:
        raise SpotifyAuthError("the answer to the authorisation did not carry musicsync's state; nothing was saved")
    if "code" not in received:
        raise SpotifyAuthError(f"Spotify did not authorise musicsync ({received.get('error', 'no answer')})")
    token = auth.get_access_token(received["code"], as_dict=True, check_cache=False)
    if not token.get("refresh_token"):
        raise SpotifyAuthError("Spotify sent no refresh token")
    return token["refresh_token"]

