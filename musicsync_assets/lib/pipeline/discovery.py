"""Finding what the user liked since the last look, for any service that pages likes newest first.

A tick reads from the top and stops at the first like this service's walks have seen before (or one
older than the newest they handed out), so an incremental tick costs one page. "Seen" comes only
from the walk's own cursor and its own like records (the catalog's `likes` table): a track known
through another service, through metadata filled from this service or through a pasted link has not
been liked *here*, so it can never stop the walk and hide the likes under it. A like is its ID and
the time it was liked, so a track unliked and liked again is a new like.

A first sync of thousands of likes is spread over ticks: each takes at most `budget` new likes
(whole pages) and remembers the last page it read as a *backfill* stretch that later ticks continue
from. Continuing re-reads that page: it must still hold a like already seen, or the list shifted
under an offset-paged href (likes removed above it) and the stretch starts again from the top,
skipping what was seen, rather than step over likes. The cursor only moves past likes handed back
as `new`.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from musicsync_assets.lib.catalog.recordings import Recording, RecordingIndex
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.errors import MusicsyncError, RateLimited
from musicsync_assets.lib.pipeline.sources import (  # noqa: F401 - the names of the sources discovery reads
    NOTION_QUEUE,
    SOUNDCLOUD_LIKES,
    SOURCES,
    SPOTIFY_LIKES,
    SPOTIFY_PLAYING,
)


class Like(Protocol):
    """A liked track as any service describes it."""

    id: Any
    title: str
    duration_s: float
    isrc: str | None
    artwork_url: str | None
    liked_at: str | None  # ISO 8601, so strings compare in time order

    @property
    def track_key(self) -> str: ...
    @property
    def artist(self) -> str: ...
    @property
    def artists(self) -> tuple[str, ...]: ...
    @property
    def url(self) -> str: ...
    @property
    def album(self) -> str | None: ...
    @property
    def year(self) -> int | None: ...
    @property
    def unavailable_reason(self) -> str | None: ...


@dataclass(frozen=True)
class SkippedLike:
    """A like that is not a track musicsync can sync (a playlist, a local file, a malformed entry)."""

    reason: str
    liked_at: str | None = None


@dataclass(frozen=True)
class FirstSync:
    """What the very first tick takes: every like, the newest N, or those liked since a date."""

    newest: int | None = None
    since: str | None = None

    @classmethod
    def parse(cls, text: str) -> "FirstSync":
        """"all", "newest:N" or "since:YYYY-MM-DD"."""
        kind, _, value = text.strip().partition(":")
        if kind == "all" and not value:
            return cls()
        if kind == "newest" and value.isdigit():
            return cls(newest=int(value))
        if kind == "since" and len(value) >= 10:
            return cls(since=value)
        raise ValueError(f"first sync {text!r}: use all, newest:N or since:YYYY-MM-DD")


@dataclass
class LikesCursor:
    newest: str | None = None  # liked_at of the newest like handed out
    backfill: list[str] = field(default_factory=list)  # the last page each capped walk read, newest last
    rate_limited_until: float | None = None  # epoch seconds
    since: str | None = None  # the first sync's since:, which its backfill stretch keeps to
    first_left: int | None = None  # how many more the first sync's newest:N takes, from backfill[0]

    @classmethod
    def load(cls, text: str | None) -> "LikesCursor":
        return cls(**json.loads(text)) if text else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def first_tick(self) -> bool:
        return self.newest is None and not self.backfill


@dataclass
class Discovered:
    new: list[Any]
    skipped: list[str]
    cursor: LikesCursor
    pages: int


TOP = ""  # a backfill stretch that starts at the top of the likes


def like_key(like: Any) -> tuple[str, str]:
    """What makes one like: the track's ID on the service and when it was liked (a re-like is new)."""
    return str(like.id), like.liked_at or ""


Pages = Callable[[str | None], Iterator[tuple[list[Any], str | None]]]


def walk_likes(pages: Pages, cursor: LikesCursor, is_seen: Callable[[Any], bool], budget: int,
               first_sync: FirstSync = FirstSync(), is_like: Callable[[Any], bool] = lambda _: True) -> Discovered:
    """New likes, newest first, at most about `budget` of them (whole pages are taken).

    `pages(href)` yields (items, next href) from `href`, or from the top when it is None; items for
    which `is_like` is false are reported in `skipped` (a liked playlist, a malformed entry).
    `is_seen(like)` says whether this service's walks handed the like out before.
    """
    new: list[Any] = []
    handed: set[tuple[str, str]] = set()  # this walk's own, for a stretch that overlaps the top
    skipped: list[str] = []
    page_count = 0
    first_tick = cursor.first_tick
    since = first_sync.since if first_tick else cursor.since
    first_left = first_sync.newest if first_tick else cursor.first_left
    backfill = list(cursor.backfill)
    newest = cursor.newest

    def seen(like: Any) -> bool:
        return like_key(like) in handed or is_seen(like)

    def walk(start: str, from_top: bool, cap: int | None, overlapping: bool = False) -> tuple[str | None, int]:
        """Walks from `start`: (the last page read when the budget ran out, else None; likes taken).

        From the top it stops at the first like an earlier walk handed out, or older than the
        cursor; a backfill stretch skips those instead. A like this walk handed out already is
        skipped either way: a like added while the pages are read pushes the list down, so a
        page by offset repeats the last of the page before (and the Spotify pager overlaps its
        pages on purpose). `overlapping`: the first page was read before and must hold a seen like."""
        nonlocal page_count, newest
        taken, here = 0, start
        for items, next_href in pages(here or None):
            page_count += 1
            if overlapping and not any(seen(like) for like in items if is_like(like)):
                return walk(TOP, from_top=False, cap=cap)  # shifted by more than a page: start over
            overlapping = False
            for like in items:
                if not is_like(like):  # said where it is met: what lies below the old likes is not read
                    skipped.append(str(getattr(like, "reason", like)))
                    continue
                if since and like.liked_at and like.liked_at < since:
                    return None, taken  # older than the first sync wanted; so is everything below
                older = bool(cursor.newest and like.liked_at and like.liked_at < cursor.newest)
                if from_top and (older or is_seen(like)):
                    return None, taken
                if seen(like):
                    continue
                new.append(like)
                handed.add(like_key(like))
                taken += 1
                if like.liked_at and (newest is None or like.liked_at > newest):
                    newest = like.liked_at
                if cap is not None and taken >= cap:
                    return None, taken
            if len(new) >= budget:
                return (here if next_href else None), taken
            here = next_href
        return None, taken

    stopped_at, taken = walk(TOP, from_top=True, cap=first_left if first_tick else None)
    if stopped_at is not None:
        backfill.append(stopped_at)
        if first_tick and first_left is not None:
            first_left -= taken  # the rest of newest:N comes from this stretch
    elif first_tick:
        first_left = None
    if stopped_at is None and backfill and len(new) < budget:
        first_stretch = len(backfill) == 1 and first_left is not None
        resume, taken = walk(backfill.pop(), from_top=False, cap=first_left if first_stretch else None,
                             overlapping=True)
        if resume is not None:
            backfill.append(resume)
        if first_stretch:
            first_left = first_left - taken if resume is not None else None
    return Discovered(new, skipped, LikesCursor(newest, backfill, None, since, first_left), page_count)


@dataclass
class LikesFound:
    """What one look at a service's likes found, and what became of each."""

    to_sync: list[str] = field(default_factory=list)  # track keys, oldest like first
    unavailable: list[str] = field(default_factory=list)  # track keys recorded as unavailable, never run
    lines: list[str] = field(default_factory=list)  # one per like, for people
    skipped: list[str] = field(default_factory=list)
    pages: int = 0
    backfill_left: int = 0
    paused: str | None = None  # why nothing was read (rate limited, not configured, refused)

    @property
    def summary(self) -> str:
        return (f"{len(self.lines)} new likes in {self.pages} pages, {len(self.to_sync)} to sync, "
                f"{len(self.skipped)} skipped; {self.backfill_left} older stretches still to read")


def discover(store: Store, name: str, kind: str, pages: Callable[[], Pages], budget: int,
             first_sync: FirstSync, dry_run: bool = False) -> LikesFound:
    """Reads the likes newer than the cursor stored as `name` (and, budget permitting, older ones a
    first sync has not reached yet), catalogues them as `kind` sources and moves the cursor past
    them. A dry run reads the same likes and says what would happen, changing nothing.

    `pages()` connects and returns the service's pager; a RateLimited pauses this source until the
    service allows it again, any other MusicsyncError is reported as the reason nothing was read."""
    cursor = LikesCursor.load(store.cursor(name))
    if cursor.rate_limited_until and time.time() < cursor.rate_limited_until:
        until = datetime.fromtimestamp(cursor.rate_limited_until, UTC).strftime("%H:%M:%S UTC")
        return LikesFound(paused=f"{name}: rate limited until {until}")
    seen = store.seen_likes(kind)
    try:
        walked = walk_likes(pages(), cursor, is_seen=lambda like: like_key(like) in seen, budget=budget,
                            first_sync=first_sync, is_like=lambda item: not isinstance(item, SkippedLike))
    except RateLimited as error:
        if not dry_run:
            cursor.rate_limited_until = time.time() + error.retry_after_s
            store.save_cursor(name, cursor.dump())
        return LikesFound(paused=f"{error.reason}; nothing was lost, a later look carries on")
    except MusicsyncError as error:
        return LikesFound(paused=str(error))

    found = LikesFound(skipped=walked.skipped, pages=walked.pages, backfill_left=len(walked.cursor.backfill))
    with store.session():  # one connection for the batch, opened only after the network walk
        recordings, sources = RecordingIndex(store.tracks()), store.source_keys(kind)
        for like in reversed(walked.new):  # oldest first, so the library fills in the order they were liked
            key, outcome = take_like(store, like, kind, recordings, dry_run, sources)
            found.lines.append(f"{like.track_key}  {like.artist} - {like.title} ({like.duration_s:.0f} s): {outcome}")
            if key and key not in found.to_sync:
                found.to_sync.append(key)
            elif outcome.startswith("unavailable"):
                found.unavailable.append(like.track_key)
        if not dry_run:  # seen by this service's walk, whichever library entry each went to
            store.record_likes(kind, [(str(like.id), like.liked_at, sources[str(like.id)]) for like in walked.new])
            store.save_cursor(name, walked.cursor.dump())
    return found


def take_like(store: Store, like: Like, kind: str, recordings: RecordingIndex, dry_run: bool = False,
              sources: dict[str, str] | None = None) -> tuple[str | None, str]:
    """Catalogues one liked track; returns the key to sync (None: nothing to sync) and what happened.

    `sources` (this kind's source ID → track key, from `Store.source_keys`) saves a query per like in
    a batch, and is kept up to date with the sources this like adds."""
    like_id = str(like.id)
    recording = Recording(like.isrc, like.artist, like.title, like.duration_s)
    # This service's ID catalogued before (a pasted link, a track completed from this service's
    # metadata, an earlier like) names the entry; failing that, the same recording from elsewhere.
    known = sources.get(like_id) if sources is not None else store.key_for_source(kind, like_id)
    same = known or recordings.find(recording)
    if sources is not None:
        sources[like_id] = same or like.track_key
    if same and same != like.track_key:
        # The same recording from another source: one more source for that entry, not a second download.
        if not dry_run:
            store.add_source(same, kind, like_id, like.url)
        entry = store.track(same)
        synced = entry is not None and entry.status == "synced"
        return (None if synced else same), f"same recording as {same}" + (" (already synced)" if synced else "")
    entry = store.track(like.track_key) if same else None
    if entry is not None and entry.status != "pending":
        # Liked again after an unlike, or pasted as a link before it was liked: the entry stands as it is.
        done = entry.status in ("synced", "unavailable")
        return (None if done else like.track_key), f"already in the library ({entry.status})"
    reason = like.unavailable_reason
    recordings.add(like.track_key, recording)
    if not dry_run:
        store.register_track(like.track_key, kind, like.url, like_id)
        store.update_track(like.track_key, title=like.title, artists=list(like.artists), album=like.album,
                           year=like.year, duration_s=like.duration_s, artwork_url=like.artwork_url, isrc=like.isrc)
        if reason:  # recorded once with its reason, never retried
            store.mark_failed(like.track_key, "unavailable", f"{like.url} offers {reason}")
    return (None, f"unavailable, {reason}") if reason else (like.track_key, "to sync")
