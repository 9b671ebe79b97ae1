"""Which YouTube upload is this Spotify track? Spotify serves no audio, so a Spotify like is
downloaded from its best match, and a wrong match is a wrong track in a DJ's crate.

The order: the user's own choice (an override) always wins; then a YouTube Music search by ISRC;
then a search by artist and title. Each candidate is scored on title, artist and duration with
hard cut-offs, and words such as *remix*, *live* or *sped up* count against a candidate unless the
Spotify title has them too. A best score under the threshold downloads nothing: the track waits
for a person, with the candidates to pick from.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from difflib import SequenceMatcher

from musicsync_assets.lib.catalog.recordings import normalise

THRESHOLD = 0.75
MAX_DURATION_GAP_S = 10.0
VERSION_WORDS = ("remix", "live", "cover", "sped up", "slowed", "karaoke", "instrumental", "acoustic",
                 "nightcore", "8d", "reverb", "bass boosted", "extended", "edit", "remaster", "mashup", "bootleg")
VERSION_PENALTY = 0.2


@dataclass(frozen=True)
class Candidate:
    url: str
    title: str
    artists: tuple[str, ...]
    duration_s: float | None
    kind: str = "video"  # "song" (a YouTube Music track) or "video"
    found_by: str = "search"  # "isrc" or "search"


@dataclass(frozen=True)
class Wanted:
    """The Spotify track to find."""

    title: str
    artists: tuple[str, ...]
    duration_s: float
    isrc: str | None = None


@dataclass
class Match:
    url: str | None  # None: nothing good enough, a person decides
    score: float
    decided_by: str  # override | isrc | search | none
    candidates: list[dict] = field(default_factory=list)  # the scored candidates, best first


Search = Callable[[str], list[Candidate]]


def score(wanted: Wanted, candidate: Candidate) -> float | None:
    """0-1, or None when a hard cut-off rules the candidate out (another length, another artist)."""
    if candidate.duration_s is not None and abs(candidate.duration_s - wanted.duration_s) > MAX_DURATION_GAP_S:
        return None
    wanted_artists = [normalise(a) for a in wanted.artists if a]
    named = [normalise(a) for a in candidate.artists if a]
    title = normalise(candidate.title)
    artist_score = max((SequenceMatcher(None, w, n).ratio() for w in wanted_artists for n in named), default=0.0)
    if any(w and w in title for w in wanted_artists):
        artist_score = max(artist_score, 0.9)  # "Artist - Title" uploads under a label's channel
        for w in wanted_artists:
            title = title.replace(w, " ")
    if artist_score < 0.5:
        return None
    wanted_title = normalise(wanted.title)
    title = " ".join(title.split())
    title_score = max(SequenceMatcher(None, wanted_title, title).ratio(),
                      1.0 if wanted_title and f" {wanted_title} " in f" {title} " else 0.0)
    if title_score < 0.5:
        return None
    gap = abs(candidate.duration_s - wanted.duration_s) if candidate.duration_s is not None else MAX_DURATION_GAP_S / 2
    total = 0.45 * title_score + 0.3 * artist_score + 0.25 * (1 - gap / MAX_DURATION_GAP_S)
    total -= VERSION_PENALTY * sum(1 for word in VERSION_WORDS
                                   if _has_word(title, word) and not _has_word(wanted_title, word))
    if candidate.kind == "song":
        total += 0.05
    return round(max(0.0, min(1.0, total)), 3)


def _has_word(text: str, word: str) -> bool:
    return f" {word} " in f" {text} "


def choose(wanted: Wanted, search: Search | None, override_url: str | None = None, threshold: float = THRESHOLD
           ) -> Match:
    """The URL to download, the score it won with and every candidate considered."""
    if override_url:
        return Match(override_url, 1.0, "override")
    if search is None:
        return Match(None, 0.0, "none")
    candidates = [replace(c, found_by="isrc") for c in search(wanted.isrc)] if wanted.isrc else []
    if not any((score(wanted, c) or 0) >= threshold for c in candidates):
        candidates = candidates + search(f"{' '.join(wanted.artists)} - {wanted.title}")
    scored = sorted(((score(wanted, c), c) for c in candidates), key=lambda pair: -(pair[0] or -1))
    listed = [{**asdict(c), "score": s} for s, c in scored]
    best_score, best = scored[0] if scored else (None, None)
    if best is None or best_score is None or best_score < threshold:
        return Match(None, best_score or 0.0, "none", listed)
    return Match(best.url, best_score, best.found_by, listed)


def youtube_music_search(limit: int = 10) -> Search:
    """YouTube Music's own search (ytmusicapi, no account needed): songs first, which carry the
    artist and album Spotify knows, then videos (uploads by labels and fans)."""
    from ytmusicapi import YTMusic

    from musicsync_assets.lib.errors import DownloadFailed

    client = YTMusic()

    def search(query: str) -> list[Candidate]:
        try:
            results = client.search(query, filter="songs", limit=limit) + client.search(query, filter="videos",
                                                                                        limit=limit)
        except Exception as error:  # ytmusicapi raises plain Exceptions for HTTP and parsing failures
            raise DownloadFailed(f"YouTube Music search failed: {type(error).__name__}",
                                 "check the connection, then sync again") from error
        return [Candidate(f"https://music.youtube.com/watch?v={r['videoId']}", str(r.get("title") or ""),
                          tuple(a["name"] for a in r.get("artists") or [] if a.get("name")),
                          r.get("duration_seconds"), "song" if r.get("resultType") == "song" else "video")
                for r in results if r.get("videoId")]

    return search


def load_overrides(path) -> dict[str, str]:
    """The user's file of Spotify ID → URL; a missing file is no overrides, a broken one an error."""
    import json

    from musicsync_assets.lib.errors import MusicsyncError

    try:
        overrides = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise MusicsyncError(f"{path} is not a JSON object of Spotify ID to URL ({error})",
                             "fix or remove the file, then sync again") from error
    if not isinstance(overrides, dict):
        raise MusicsyncError(f"{path} is not a JSON object of Spotify ID to URL", "fix or remove the file")
    return {str(k): str(v) for k, v in overrides.items()}
