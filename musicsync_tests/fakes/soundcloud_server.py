"""A loopback SoundCloud api-v2 as its web player sees it: /resolve, a user's likes paged by an
opaque `next_href` that omits client_id, /tracks/{id}, and transcoding URLs that answer with a
signed stream URL. Every request must carry client_id; 429s and other errors can be queued."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from musicsync_tests.fakes.loopback import json_handler, serve

CLIENT_ID = "a" * 32


@dataclass
class FakeSoundCloud:
    base: str = ""
    user_id: int = 4242
    permalink: str = "dj-someone"
    likes: list[dict] = field(default_factory=list)  # newest first, as the API gives them
    tracks: dict[int, dict] = field(default_factory=dict)
    stream_urls: dict[int, str] = field(default_factory=dict)  # track id -> where its audio is served
    requests: list[str] = field(default_factory=list)
    queued_errors: list[tuple[int, dict]] = field(default_factory=list)  # (status, headers), served first
    refused_streams: dict[tuple[int, str], int] = field(default_factory=dict)  # (track id, protocol): 404 or 403
    bare_likes: bool = False  # the collection holds the tracks themselves, as /me/likes/tracks does

    def add_track(self, track_id: int, title: str, artist: str, liked_at: str, seconds: float = 200.0,
                  protocols: tuple[str, ...] = ("progressive", "hls"), snipped: bool = False,
                  stream_url: str | None = None, on_top: bool = False) -> dict:
        """A liked track; `protocols` are its transcodings (say ("ctr-encrypted-hls",) for DRM only)."""
        track = {
            "id": track_id, "kind": "track", "title": title, "duration": int(seconds * 1000),
            "permalink_url": f"https://soundcloud.com/{artist.lower().replace(' ', '-')}/{track_id}",
            "artwork_url": None, "user": {"id": 9, "username": artist, "permalink_url": "https://soundcloud.com/x"},
            "media": {"transcodings": [
                {"url": f"{self.base}/media/soundcloud:tracks:{track_id}/{protocol}", "preset": "mp3_0_0",
                 "snipped": snipped, "format": {"protocol": protocol, "mime_type": "audio/mpeg"}}
                for protocol in protocols]},
        }
        self.tracks[track_id] = track
        if stream_url:
            self.stream_urls[track_id] = stream_url
        like = {"created_at": liked_at, "kind": "like", "track": track}
        if on_top:
            self.likes.insert(0, like)
        else:
            self.likes.append(like)
        return track

    # --- the handler's side ---------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict, object]:
        if self.queued_errors:
            status, headers = self.queued_errors.pop(0)
            return status, headers, {"errors": [{"error_message": "queued"}]}
        if query.get("client_id") != CLIENT_ID:
            return 401, {}, {"errors": [{"error_message": "invalid client_id"}]}
        parts = path.strip("/").split("/")
        if parts == ["resolve"]:
            if query.get("url", "").rstrip("/").endswith(self.permalink):
                return 200, {}, {"kind": "user", "id": self.user_id, "username": self.permalink}
            return 404, {}, {}
        if parts[:1] == ["users"] and parts[2:] == ["likes"] and int(parts[1]) == self.user_id:
            return 200, {}, self._likes_page(int(query.get("limit", 50)), query.get("offset"))
        if parts[:1] == ["tracks"] and int(parts[1]) in self.tracks:
            return 200, {}, self.tracks[int(parts[1])]
        if parts[:1] == ["media"]:
            track_id = int(parts[1].rsplit(":", 1)[1])
            if status := self.refused_streams.get((track_id, parts[2])):
                return status, {}, {"errors": [{"error_message": f"{status} - refused"}]}
            return 200, {}, {"url": self.stream_urls.get(track_id, f"{self.base}/missing.mp3")}
        return 404, {}, {}

    def _likes_page(self, limit: int, offset: str | None) -> dict:
        # Like the real API, the cursor is the time of the last like on the page, not a row number,
        # so likes added at the top do not shift the pages after it.
        older = [like for like in self.likes if offset is None or like["created_at"] < offset]
        page = older[:limit]
        more = len(older) > limit
        next_href = (f"{self.base}/users/{self.user_id}/likes?offset={page[-1]['created_at']}&limit={limit}"
                     f"&linked_partitioning=1") if more else None
        collection = [like["track"] if self.bare_likes and "track" in like else like for like in page]
        return {"collection": collection, "next_href": next_href, "query_urn": None}


@contextmanager
def serve_soundcloud(fake: FakeSoundCloud | None = None):
    fake = fake or FakeSoundCloud()

    def answer(method: str, path: str, query: dict, headers: dict, body: str):
        fake.requests.append(path + ("?" + urlencode(query) if query else ""))
        return fake.answer(path, query)

    with serve(json_handler(answer)) as base:
        fake.base = base
        yield fake
