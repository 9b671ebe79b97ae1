"""Finding what the user liked since the last look, for any service that pages likes newest first.

A tick reads from the top and stops at the first like it has seen before, so an incremental tick
costs one page. A first sync of thousands of likes is spread over ticks: each takes at most
`budget` new likes (whole pages), and remembers where it stopped as a *backfill* href that later
ticks continue from. The cursor only moves past likes that were handed back as `new`.
"""

import json
import time
from collections.abc import Callable, Iterable, Iterator
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
    backfill: list[str] = field(default_factory=list)  # hrefs where a capped walk stopped, newest last
    rate_limited_until: float | None = None  # epoch seconds

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


Pages = Callable[[str | None], Iterator[tuple[list[Any], str | None]]]


def walk_likes(pages: Pages, cursor: LikesCursor, is_known: Callable[[Any], bool], budget: int,
               first_sync: FirstSync = FirstSync(), is_like: Callable[[Any], bool] = lambda _: True) -> Discovered:
    """New likes, newest first, at most about `budget` of them (whole pages are taken).

    `pages(href)` yields (items, next href) from `href`, or from the top when it is None; items for
    which `is_like` is false are reported in `skipped` (a liked playlist, a malformed entry).
    """
    new: list[Any] = []
    skipped: list[str] = []
    page_count = 0
    first_tick = cursor.first_tick
    backfill = list(cursor.backfill)
    newest = cursor.newest

    def take(items: Iterable[Any], stop_at_known: bool) -> bool:
        """Adds the page's new likes; True when the walk should stop here."""
        nonlocal newest
        for item in items:
            if not is_like(item):
                skipped.append(str(getattr(item, "reason", item)))
                continue
            if item.liked_at and (newest is None or item.liked_at > newest):
                newest = item.liked_at
            too_old = first_tick and first_sync.since and item.liked_at and item.liked_at < first_sync.since
            older = bool(stop_at_known and cursor.newest and item.liked_at and item.liked_at <= cursor.newest)
            seen = older or is_known(item)
            if too_old or (seen and stop_at_known):
                return True
            if seen:
                continue
            new.append(item)
            if first_tick and first_sync.newest is not None and len(new) >= first_sync.newest:
                return True
        return False

    def walk(start: str | None, stop_at_known: bool) -> str | None:
        """Walks from `start`; returns where to continue when the budget ran out, else None."""
        nonlocal page_count
        for items, next_href in pages(start):
            page_count += 1
            if take(items, stop_at_known):
                return None
            if len(new) >= budget:
                return next_href
        return None

    stopped_at = walk(None, stop_at_known=True)
    if stopped_at:
        backfill.append(stopped_at)
    elif backfill and len(new) < budget:
        resume = walk(backfill.pop(), stop_at_known=False)
        if resume:
            backfill.append(resume)
    return Discovered(new, skipped, LikesCursor(newest, backfill, None), page_count)


@dataclass
class LikesFound:
    """What one look at a service's likes found, and what became of each."""

    to_sync: list[str] = field(default_factory=list)  # track keys, oldest like first
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
    known = store.source_ids(kind)
    try:
        walked = walk_likes(pages(), cursor, is_known=lambda like: str(like.id) in known, budget=budget,
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
        recordings = RecordingIndex(store.tracks())
        for like in reversed(walked.new):  # oldest first, so the library fills in the order they were liked
            key, outcome = take_like(store, like, kind, recordings, dry_run)
            found.lines.append(f"{like.track_key}  {like.artist} - {like.title} ({like.duration_s:.0f} s): {outcome}")
            if key and key not in found.to_sync:
                found.to_sync.append(key)
        if not dry_run:
            store.save_cursor(name, walked.cursor.dump())
    return found


def take_like(store: Store, like: Like, kind: str, recordings: RecordingIndex, dry_run: bool = False
              ) -> tuple[str | None, str]:
    """Catalogues one liked track; returns the key to sync (None: nothing to sync) and what happened."""
    recording = Recording(like.isrc, like.artist, like.title, like.duration_s)
    same = recordings.find(recording)
    if same and same != like.track_key:
        # The same recording from another source: one more source for that entry, not a second download.
        if not dry_run:
            store.add_source(same, kind, str(like.id), like.url)
        synced = store.track(same).status == "synced"
        return (None if synced else same), f"same recording as {same}" + (" (already synced)" if synced else "")
    reason = like.unavailable_reason
    recordings.add(like.track_key, recording)
    if not dry_run:
        store.register_track(like.track_key, kind, like.url, str(like.id))
        store.update_track(like.track_key, title=like.title, artists=list(like.artists), album=like.album,
                           year=like.year, duration_s=like.duration_s, artwork_url=like.artwork_url, isrc=like.isrc)
        if reason:  # recorded once with its reason, never retried
            store.mark_failed(like.track_key, "unavailable", f"{like.url} offers {reason}")
    return (None, f"unavailable, {reason}") if reason else (like.track_key, "to sync")
