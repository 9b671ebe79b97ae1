"""Is this the same recording as one already in the library? One track liked on two services must
become one library entry with two sources, never two downloads.

The same ISRC with lengths within 2 seconds is the same recording (an ISRC is sometimes reused by
mistake for another take: the length tells them apart). Without one, the same normalised first
artist and title and lengths within 2 seconds are; a remix, a live take or an edit differs in its
title, so it stays apart.
"""

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

from musicsync_assets.lib.catalog.store import TrackRecord

DURATION_TOLERANCE_S = 2.0
_BRACKETED_FEATURE = re.compile(r"[\(\[（【]\s*(feat\.?|ft\.?|featuring|with)\s[^\)\]）】]*[\)\]）】]", re.IGNORECASE)
# "Title feat. X" and "A feat. B - Title": the feature runs to the end or to the dash before the title.
_TRAILING_FEATURE = re.compile(r"\s(feat\.?|ft\.?|featuring)\s.*?(?=\s[-–—|]\s|$)", re.IGNORECASE)
_GLOTTAL = str.maketrans("", "", "'`")  # anyascii's aleph and ayin: part of a word, not a break
_LAST_ACCENTED = 0x03FF  # Latin and Greek end here: their accents are folded, other scripts' marks kept


def words(text: str) -> str:
    """Letters, digits and marks of every script, in words separated by one space."""
    return " ".join("".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in text).split())


def _fold_accents(text: str) -> str:
    """"Café" → "Cafe", but "й", a Hebrew point or a Devanagari vowel sign stays."""
    kept, base = [], ""
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(c) and base and ord(base) <= _LAST_ACCENTED:
            continue
        kept.append(c)
        if not unicodedata.combining(c):
            base = c
    return unicodedata.normalize("NFC", "".join(kept))


def normalise(text: str) -> str:
    """NFKC, case folded, Latin accents and punctuation gone, featured artists dropped; every script
    kept: "Café (feat. X)" → "cafe", "האסל (feat. טונה)" → "האסל", "ＬＥＭＯＮ" → "lemon"."""
    text = unicodedata.normalize("NFKC", text)
    text = _TRAILING_FEATURE.sub("", _BRACKETED_FEATURE.sub("", text))
    return words(_fold_accents(text.casefold()))


def romanised(text: str) -> str:
    """`normalise`d text in Latin letters (anyascii), to compare names written in two scripts:
    "Земфира" → "zemfira", "ヨルシカ" → "yorushika"."""
    return words(anyascii(normalise(text)).casefold().translate(_GLOTTAL))


def script_of(text: str) -> str:
    """The script most of the letters are in (LATIN, CYRILLIC, HEBREW, CJK, HANGUL, ...); "" without letters."""
    counts: dict[str, int] = {}
    for c in unicodedata.normalize("NFKC", text):
        if c.isalpha():
            name = unicodedata.name(c, "UNKNOWN").split()[0]
            script = "JAPANESE" if name in ("HIRAGANA", "KATAKANA") else name
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.get) if counts else ""


@dataclass(frozen=True)
class Recording:
    isrc: str | None
    artist: str
    title: str
    duration_s: float | None


class RecordingIndex:
    """The catalog's tracks by ISRC and by (artist, title), built once for a batch of lookups."""

    def __init__(self, tracks: list[TrackRecord]):
        self._by_isrc: dict[str, list[tuple[str, float | None]]] = {}
        self._by_name: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
        for track in tracks:
            self.add(track.track_key, Recording(track.isrc, (track.artists or [""])[0], track.title or "",
                                                track.duration_s))

    def add(self, track_key: str, recording: Recording) -> None:
        if recording.isrc:
            self._by_isrc.setdefault(recording.isrc.upper(), []).append((track_key, recording.duration_s))
        if recording.title:
            name = (normalise(recording.artist), normalise(recording.title))
            self._by_name.setdefault(name, []).append((track_key, recording.duration_s))

    def find(self, recording: Recording) -> str | None:
        """The key of a catalogued track that is this recording, or None."""
        same_isrc = self._by_isrc.get(recording.isrc.upper(), []) if recording.isrc else []
        same_name = self._by_name.get((normalise(recording.artist), normalise(recording.title)), [])
        for key, duration in same_isrc + same_name:
            if duration is None or recording.duration_s is None \
                    or abs(duration - recording.duration_s) <= DURATION_TOLERANCE_S:
                return key
        return None
