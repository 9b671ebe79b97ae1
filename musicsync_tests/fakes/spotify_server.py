"""A loopback Spotify Web API and accounts service, as spotipy speaks to them: `me/tracks` paged by
offset with an absolute `next`, `me/player/currently-playing` (204 when nothing plays), the token
refresh, 401 for a stale token, queued errors such as a 429 with Retry-After, and likes that change
between one page and the next (`while_paging`)."""

import base64
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from musicsync_tests.fakes.loopback import json_handler, serve

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, AUTH_CODE = "client-id", "client-secret", "refresh-token", "auth-code"


@dataclass
class FakeSpotify:
    base: str = ""
    likes: list[dict] = field(default_factory=list)  # saved-track items, newest first
    catalog: list[dict] = field(default_factory=list)  # more track objects that search finds
    playing: dict | None = None  # a track object, or None for 204
    access_token: str = "access-1"
    requests: list[str] = field(default_factory=list)
    queued_errors: list[tuple[int, dict, dict]] = field(default_factory=list)  # (status, headers, body)
    while_paging: Callable[[int], None] | None = None  # called with the offset before a page is served
    refresh_token: str = REFRESH_TOKEN  # the one the token endpoint accepts
    rotate_refresh_tokens: bool = False  # each refresh answers a new refresh token and revokes the old

    @property
    def api_url(self) -> str:
        return f"{self.base}/v1/"

    @property
    def token_url(self) -> str:
        return f"{self.base}/api/token"

    def add_like(self, track_id: str, name: str, artists: list[str], added_at: str, seconds: float = 200.0,
                 isrc: str | None = None, on_top: bool = False) -> dict:
        track = {"id": track_id, "name": name, "duration_ms": int(seconds * 1000), "type": "track",
                 "uri": f"spotify:track:{track_id}", "artists": [{"id": a.lower(), "name": a} for a in artists],
                 "album": {"id": "al", "name": f"{name} (Single)", "release_date": "2024-05-01",
                           "release_date_precision": "day",
                           "images": [{"url": f"{self.base}/art/{track_id}.jpg", "height": 640, "width": 640}]},
                 "external_ids": {"isrc": isrc} if isrc else {},
                 "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"}}
        item = {"added_at": added_at, "track": track}
        self.likes.insert(0, item) if on_top else self.likes.append(item)
        return track

    def answer(self, method: str, path: str, query: dict, headers: dict, body: str) -> tuple[int, dict, object]:
        if self.queued_errors and path.startswith("/v1/"):  # the Web API's errors; accounts is another host
            return self.queued_errors.pop(0)
        if method == "POST" and path == "/api/token":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if form.get("grant_type") == "authorization_code" and form.get("code") == AUTH_CODE \
                    and headers.get("Authorization") == expected:
                return 200, {}, {"access_token": self.access_token, "token_type": "Bearer", "expires_in": 3600,
                                 "refresh_token": REFRESH_TOKEN, "scope": "user-library-read"}
            if headers.get("Authorization") != expected or form.get("refresh_token") != self.refresh_token:
                return 400, {}, {"error": "invalid_grant", "error_description": "Refresh token revoked"}
            rotated = {}
            if self.rotate_refresh_tokens:
                self.refresh_token = rotated["refresh_token"] = f"{self.refresh_token}+"
            return 200, {}, {"access_token": self.access_token, "token_type": "Bearer", "expires_in": 3600,
                             "scope": "user-library-read user-read-currently-playing", **rotated}
        if headers.get("Authorization") != f"Bearer {self.access_token}":
            return 401, {}, {"error": {"status": 401, "message": "The access token expired"}}
        if path == "/v1/me/tracks":
            offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 20)), 50)
            if self.while_paging:
                self.while_paging(offset)
            page = self.likes[offset:offset + limit]
            more = offset + limit < len(self.likes)
            return 200, {}, {"href": f"{self.base}/v1/me/tracks?offset={offset}&limit={limit}", "limit": limit,
                             "offset": offset, "total": len(self.likes), "items": page, "previous": None,
                             "next": f"{self.base}/v1/me/tracks?offset={offset + limit}&limit={limit}" if more else None}
        if path.startswith("/v1/tracks/"):
            wanted = path.rsplit("/", 1)[1]
            found = [t for t in self.catalog + [item["track"] for item in self.likes] if t["id"] == wanted]
            return (200, {}, found[0]) if found else (404, {}, {"error": {"status": 404, "message": "Not found"}})
        if path == "/v1/search":
            # Enough of Spotify's field filters for `track:"…" artist:"…"`: every word must appear.
            words = [w.strip('"').lower() for w in query.get("q", "").replace(":", " ").split()
                     if w not in ("track", "artist")]
            found = [t for t in self.catalog + [item["track"] for item in self.likes]
                     if all(w.strip('"') in (t["name"] + " " + " ".join(a["name"] for a in t["artists"])).lower()
                            for w in words if w not in ("track", "artist"))]
            return 200, {}, {"tracks": {"items": found[: min(int(query.get("limit", 5)), 10)], "total": len(found)}}
        if path == "/v1/me/player/currently-playing":
            if self.playing is None:
                return 204, {}, None
            return 200, {}, {"timestamp": 0, "progress_ms": 1000, "is_playing": True,
                             "currently_playing_type": "track", "item": self.playing, "context": None}
        return 404, {}, {"error": {"status": 404, "message": "Not found"}}


@contextmanager
def serve_spotify(fake: FakeSpotify | None = None):
    fake = fake or FakeSpotify()

    def answer(method: str, path: str, query: dict, headers: dict, body: str):
        fake.requests.append(f"{method} {path}" + ("?" + urlencode(query) if query else ""))
        return fake.answer(method, path, query, headers, body)

    with serve(json_handler(answer)) as base:
        fake.base = base
        yield fake
