"""Which YouTube upload is this Spotify track? Spotify serves no audio, so a Spotify like is
downloaded from its best match, and a wrong match is a wrong track in a DJ's crate.

The order: the user's own choice (an override) always wins; then a YouTube Music search by ISRC;
then a search by artist and title. Each candidate is scored on title, artist and duration with
hard cut-offs, and words such as *remix*, *live* or *sped up* count against a candidate unless the
Spotify title has them too. A best score under the threshold downloads nothing: the track waits
for a person, with the candidates to pick from.

Names are compared in every script (`recordings.normalise`) and, across scripts, in Latin letters
(`recordings.romanised`); credits such as "A und B", "A x B" or "A、B" are split into artists; a
title that is also the artist's name is not erased by removing the artist from the upload's title;
an empty name never equals another. The ISRC search's own song with the length Spotify gives is
the recording itself, and outweighs an upload that only matches on text.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from difflib import SequenceMatcher

from musicsync_assets.lib.catalog.recordings import normalise, romanised, script_of

THRESHOLD = 0.75
MAX_DURATION_GAP_S = 10.0
VERSION_WORDS = ("remix", "live", "cover", "sped up", "slowed", "karaoke", "instrumental", "acoustic",
                 "nightcore", "8d", "reverb", "bass boosted", "extended", "edit", "mashup", "bootleg",
                 # the same words as uploads in other languages write them
                 "en vivo", "ao vivo", "ライブ", "カバー", "歌ってみた", "弾いてみた", "カラオケ", "インスト",
                 "라이브", "커버", "리믹스", "кавер", "ремикс", "live ver", "翻唱", "现场", "現場", "伴奏")
# Enough that a version word alone (a cover at the right length by the right artist) stays under
# the threshold: another recording is a wrong track, never a near miss.
VERSION_PENALTY = 0.35
# A remaster is the same recording mastered again: the plain upload is preferred, the remaster not ruled out.
REMASTER_WORDS = ("remaster", "remastered")
REMASTER_PENALTY = 0.1
# Titles this far apart are other songs, even by the same artist at the same length ("מה שיש", "מה אתה").
MIN_TITLE_SCORE = 0.7
ROMANISED_MATCH = 0.75
ISRC_EXACT_GAP_S = 1.0  # the ISRC search's song this close to Spotify's length is the recording itself
_SPOTIFY_SUFFIX = re.compile(r"(.*?)\s[-–—]\s(.*)$")  # "Title - Remastered 2011"
_NO_SUFFIX = re.compile(r"(.*)()$")
# What joins several artists in one credit, in the languages uploads are written in.
_CREDIT_JOINERS = re.compile(
    r"\s*(?:,|，|、|;|&|＆|\+|\s(?:x|×|and|und|et|y|e|with|mit|con|feat\.?|ft\.?|featuring|vs\.?|и)\s)\s*",
    re.IGNORECASE)


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


def credits(names: tuple[str, ...] | list[str]) -> list[str]:
    """Each artist a credit names, normalised: ("Ai Kamano und Kazuki Sugawara",) → ["ai kamano und kazuki
    sugawara", "ai kamano", "kazuki sugawara"]. The whole credit stays too: "Simon & Garfunkel" is one act."""
    found: list[str] = []
    for name in names:
        text = unicodedata.normalize("NFKC", name or "")
        for part in [text, *_CREDIT_JOINERS.split(f" {text} ")]:
            key = normalise(part)
            if key and key not in found:
                found.append(key)
    return found


def similarity(a: str, b: str) -> float:
    """0-1 between two normalised names, in their own scripts or in Latin letters; nothing equals an empty name."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    best = SequenceMatcher(None, a, b).ratio()
    ra, rb = romanised(a), romanised(b)
    if ra and rb and (ra, rb) != (a, b):
        # Only a close romanisation counts: Hebrew and Arabic are written without most vowels, so any
        # two names come out about half alike ("Tuna"/"tvnh" 0.5, "Kenshi Yonezu"/"geishouchiyanneru" 0.53).
        latin = SequenceMatcher(None, ra, rb).ratio()
        best = max(best, latin if latin >= ROMANISED_MATCH else 0.0)
    return best


def _contains(text: str, name: str) -> bool:
    """Whether `name` is a run of whole words of `text` (both normalised), in either's script or romanised."""
    latin = romanised(name)
    return bool(name) and (f" {name} " in f" {text} " or bool(latin) and f" {latin} " in f" {romanised(text)} ")


def _has_version_word(text: str, word: str) -> bool:
    if word.isascii():
        return f" {word} " in f" {text} "
    return word in text  # Japanese, Chinese and Korean run words together


def score(wanted: Wanted, candidate: Candidate) -> float | None:
    """0-1, or None when a hard cut-off rules the candidate out (another length, another artist)."""
    if candidate.duration_s is not None and abs(candidate.duration_s - wanted.duration_s) > MAX_DURATION_GAP_S:
        return None
    gap = abs(candidate.duration_s - wanted.duration_s) if candidate.duration_s is not None else MAX_DURATION_GAP_S / 2
    isrc_exact = candidate.found_by == "isrc" and candidate.kind == "song" and gap <= ISRC_EXACT_GAP_S
    wanted_artists, named = credits(wanted.artists), credits(candidate.artists)
    full_title = normalise(candidate.title)
    artist_score = max((similarity(w, n) for w in wanted_artists for n in named), default=0.0)
    title = full_title
    for w in wanted_artists:
        if _contains(full_title, w):
            artist_score = max(artist_score, 0.9)  # "Artist - Title" uploads under a label's channel
            title = f" {title} ".replace(f" {w} ", " ").strip()
    if artist_score < 0.5 and candidate.kind == "song" and named and wanted_artists \
            and script_of(" ".join(named)) != script_of(" ".join(wanted_artists)):
        # YouTube Music's own track credits the artist in another script ("טונה" for "Tuna"): not a
        # contradiction, but no evidence either; the title and the length must carry it.
        artist_score = 0.5
    wanted_title = normalise(wanted.title) or wanted.title.casefold().strip()
    # Spotify's " - Remastered 2011": the upload may carry the title alone. Not " - Live" or " - Radio
    # Edit", though: those name another recording, which the title alone is not.
    core, suffix = (_SPOTIFY_SUFFIX.match(wanted.title) or _NO_SUFFIX.match(wanted.title)).groups()
    plain_suffix = not any(_has_version_word(normalise(suffix or ""), word) for word in VERSION_WORDS)
    wanted_core = normalise(core) if plain_suffix else wanted_title
    # Removing the artist erases a self-titled track ("club2020" by club2020): the whole title counts too.
    title_score = max(similarity(wanted_title, title), similarity(wanted_title, full_title),
                      0.9 * similarity(wanted_core, title),
                      1.0 if _contains(title, wanted_title) or _contains(full_title, wanted_title) else 0.0)
    if isrc_exact:
        if max(title_score, artist_score) < 0.5:
            return None
    elif artist_score < 0.5 or title_score < MIN_TITLE_SCORE:
        return None
    versions = sum(1 for word in VERSION_WORDS
                   if _has_version_word(title, word) and not _has_version_word(wanted_title, word))
    remastered = any(_has_version_word(title, word) for word in REMASTER_WORDS) \
        and not any(_has_version_word(wanted_title, word) for word in REMASTER_WORDS)
    if isrc_exact and not versions:
        # The recording the ISRC names, at its length, by its artist or under its title: nothing an
        # upload that only matches on text can say outweighs that (a romaji title against kanji, say).
        return 1.0
    total = 0.45 * title_score + 0.3 * artist_score + 0.25 * (1 - gap / MAX_DURATION_GAP_S)
    total -= VERSION_PENALTY * versions + REMASTER_PENALTY * remastered
    if candidate.kind == "song":
        total += 0.05
    return round(max(0.0, min(1.0, total)), 3)


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
    # Equal scores (both capped at 1.0): the ISRC search's song first, then YouTube Music's songs.
    scored = sorted(((score(wanted, c), c) for c in candidates),
                    key=lambda pair: (-(pair[0] or -1), pair[1].found_by != "isrc", pair[1].kind != "song"))
    listed = [{**asdict(c), "score": s} for s, c in scored]
    best_score, best = scored[0] if scored else (None, None)
    if best is None or best_score is None or best_score < threshold:
        return Match(None, best_score or 0.0, "none", listed)
    return Match(best.url, best_score, best.found_by, listed)


def youtube_music_search(limit: int = 10) -> Search:
    """YouTube Music's own search (ytmusicapi, no account needed): songs first, which carry the
    artist and album Spotify knows, then videos (uploads by labels and fans)."""
    import requests
    from ytmusicapi import YTMusic
    from ytmusicapi.exceptions import YTMusicServerError

    from musicsync_assets.lib.errors import DownloadFailed, ServiceUnavailable

    client: YTMusic | None = None  # made at the first search: making it may already reach the network

    def search(query: str) -> list[Candidate]:
        nonlocal client
        try:
            client = client or YTMusic()
            results = client.search(query, filter="songs", limit=limit) + client.search(query, filter="videos",
                                                                                        limit=limit)
        except (requests.RequestException, ValueError) as error:  # offline, or an outage page that is not JSON
            raise ServiceUnavailable(f"YouTube Music could not be searched: {type(error).__name__}") from error
        except YTMusicServerError as error:
            if "HTTP 5" in str(error) or "HTTP 429" in str(error):
                raise ServiceUnavailable(f"YouTube Music search failed: {str(error).splitlines()[0]}") from error
            raise DownloadFailed(f"YouTube Music search failed: {str(error).splitlines()[0]}",
                                 "check the connection, then sync again") from error
        except Exception as error:  # ytmusicapi raises plain Exceptions when it cannot parse an answer
            raise DownloadFailed(f"YouTube Music search failed: {type(error).__name__}",
                                 "sync again later; if it keeps failing, update ytmusicapi") from error
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
