"""Finding what the user liked since the last look, for any service that pages likes newest first.

A tick reads from the top and stops at the first like it has seen before, so an incremental tick
costs one page. A first sync of thousands of likes is spread over ticks: each takes at most
`budget` new likes (whole pages), and remembers where it stopped as a *backfill* href that later
ticks continue from. The cursor only moves past likes that were handed back as `new`.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


class Like(Protocol):
    liked_at: str | None  # ISO 8601, so strings compare in time order


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
