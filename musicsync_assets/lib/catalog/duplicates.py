"""The library never holds the same recording twice: find a new track's twin, decide which copy
stays, and fold the other into it.

Finding: the sound decides when both tracks have a fingerprint (a re-encode, another bitrate or a
trimmed copy matches; two different recordings under one title do not, and neither does an ISRC
reused by mistake for another take). Without a fingerprint on either side, the ISRC and
normalised artist and title (`recordings.py`) decide.

Deciding (the policy): `keep_better` (default) keeps the better source: the whole recording before
a cut of it, stereo before mono, then lossless before lossy and the higher bitrate, the entry already
in the library on a tie; `keep_existing`, `keep_new`, or `flag_only`, which records the pair and
changes nothing.

Either way one library entry stays, the existing one, under its key and file names (DJ software
that imported them keeps them), with both tracks' sources. When the new copy sounds better, that
entry is pointed at the new source and rendered again; the files it replaces, and the new track's
own, go to the trash with a purge date.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from musicsync_assets.lib.audio.fingerprint import (
    FINGERPRINT_VERSION,
    Fingerprint,
    FingerprintIndex,
    fingerprint_file,
)
from musicsync_assets.lib.catalog import trash
from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.recordings import Recording, RecordingIndex
from musicsync_assets.lib.catalog.store import OriginalRecord, Store
from musicsync_assets.lib.errors import MusicsyncError

POLICIES = ("keep_better", "keep_existing", "keep_new", "flag_only")
DEFAULT_POLICY = "keep_better"
_LOSSLESS = ("pcm_", "flac", "alac", "wavpack", "ape", "tta")
CUT_SHARE = 0.9  # a copy under this share of the other's length is a cut of it (a preview, a clip)


class UnknownPolicy(MusicsyncError):
    error_class = "config"
    hint = f"set the duplicate policy to one of {', '.join(POLICIES)}"


def parse_policy(text: str | None) -> str:
    policy = (text or DEFAULT_POLICY).strip().lower().replace("-", "_")
    if policy not in POLICIES:
        raise UnknownPolicy(f"unknown duplicate policy {text!r}")
    return policy


@dataclass(frozen=True)
class Duplicate:
    track_key: str  # the new track
    duplicate_of: str  # the library entry it is the same recording as
    reason: str  # sound | isrc-or-name
    detail: dict = field(default_factory=dict)

    def describe(self) -> str:
        if self.reason == "sound":
            return (f"{self.track_key} is the same recording as {self.duplicate_of}: fingerprints agree on "
                    f"{self.detail['overlap_s']:g} s ({self.detail['bit_error_rate']:.0%} of bits differ)")
        return f"{self.track_key} is the same recording as {self.duplicate_of}: same ISRC or artist and title"


def load_index(store: Store) -> FingerprintIndex:
    """The library's fingerprints, searchable: build once per check or batch."""
    return FingerprintIndex((key, Fingerprint.from_bytes(hashes, duration))
                            for key, hashes, duration in store.fingerprints(FINGERPRINT_VERSION))


def save_fingerprint(store: Store, track_key: str, fingerprint: Fingerprint) -> None:
    store.save_fingerprint(track_key, FINGERPRINT_VERSION, fingerprint.to_bytes(), fingerprint.duration_s)


def fingerprint_track(store: Store, track_key: str, path: Path) -> Fingerprint:
    """Fingerprints a track's audio and keeps it in the catalog. Raises TooShort, SilentAudio or
    CorruptAudio. Pass the result to `find_duplicate`: fresh from the audio it lines up with a
    trimmed copy better than what the catalog keeps."""
    fingerprint = fingerprint_file(path)
    save_fingerprint(store, track_key, fingerprint)
    return fingerprint


def find_duplicate(store: Store, track_key: str, index: FingerprintIndex,
                   fingerprint: Fingerprint | None = None) -> Duplicate | None:
    """The library entry (a synced track) this track is the same recording as, or None.
    `fingerprint`: the track's, fresh from `fingerprint_track`; else the catalog's is used."""
    library = {t.track_key: t for t in store.tracks("synced") if t.track_key != track_key}
    fingerprinted = set(index.keys) | ({track_key} if fingerprint is not None else set())
    if track_key in fingerprinted:
        query = fingerprint if fingerprint is not None else index.fingerprint(track_key)
        matches = [m for m in index.search(query, exclude=track_key) if m.track_key in library]
        if matches:
            best = matches[0]
            return Duplicate(track_key, best.track_key, "sound",
                             {"bit_error_rate": best.bit_error_rate, "overlap_s": best.overlap_s,
                              "offset_s": best.offset_s, "similarity": round(best.similarity, 3)})
    track = store.track(track_key)
    # Where both have been heard, the sound has already said no; metadata only speaks for the rest.
    others = [t for key, t in library.items() if track_key not in fingerprinted or key not in fingerprinted]
    found = RecordingIndex(others).find(Recording(track.isrc, (track.artists or [""])[0], track.title or "",
                                                  track.duration_s)) if track else None
    return Duplicate(track_key, found, "isrc-or-name") if found else None


def better_source(new: OriginalRecord | None, kept: OriginalRecord | None) -> bool:
    """Whether the new copy of a recording sounds better than the one kept: the whole of it before
    a cut of it (a preview, a clip: under CUT_SHARE of the other's length; an upload a few seconds
    longer for a video's intro is the same recording), then stereo before mono, then lossless
    before lossy, then the higher bitrate (size over length)."""
    if new is None or kept is None:
        return kept is None and new is not None
    new_s, kept_s = new.duration_s or 0.0, kept.duration_s or 0.0
    if new_s < CUT_SHARE * kept_s or kept_s < CUT_SHARE * new_s:
        return new_s > kept_s
    # More than two channels is no better for a DJ than two.
    new_channels, kept_channels = min(new.channels or 0, 2), min(kept.channels or 0, 2)
    if new_channels != kept_channels:
        return new_channels > kept_channels
    return _fidelity(new) > _fidelity(kept)


def _fidelity(original: OriginalRecord) -> tuple[int, float]:
    lossless = any((original.codec or "").startswith(prefix) for prefix in _LOSSLESS)
    kbps = original.size_bytes * 8 / 1000 / original.duration_s if original.duration_s else 0.0
    return (1 if lossless else 0, round(kbps))


@dataclass(frozen=True)
class Resolution:
    kept: str  # the library entry that stays
    audio_from: str  # whose source it keeps: `kept`, or the new track's when that sounded better
    trashed: list[Path]
    message: str

    @property
    def needs_render(self) -> bool:
        """The kept entry now points at the new source: sync it again to render its files."""
        return self.audio_from != self.kept


def resolve(store: Store, paths: DataPaths, duplicate: Duplicate, policy: str = DEFAULT_POLICY,
            today: date | None = None) -> Resolution:
    """Applies the policy: one entry stays with both tracks' sources, what is replaced goes to the trash."""
    new_key, kept = duplicate.track_key, duplicate.duplicate_of
    new_original, kept_original = store.original(new_key), store.original(kept)
    if policy == "flag_only":
        store.record_duplicate(new_key, kept, duplicate.reason, {**duplicate.detail, "policy": policy})
        return Resolution(kept, kept, [], f"{duplicate.describe()}; both kept (policy flag_only)")
    new_wins = policy == "keep_new" or (
        policy == "keep_better" and better_source(new_original, kept_original))
    replaced = [Path(f.path) for f in store.files(new_key)] + ([Path(new_original.path)] if new_original else [])
    if new_wins:
        replaced += [Path(f.path) for f in store.files(kept)] + ([Path(kept_original.path)] if kept_original else [])
    trashed = trash.move_to_trash(paths, replaced, f"duplicate of {kept}", today)
    new_track = store.track(new_key)
    with store.session():
        if new_wins:
            # Same key and file names, the better source: the next sync renders them from it. Who and
            # what the recording is stays as the entry knew it (a rip's file name says less).
            kept_track = store.track(kept)
            store.restart_track(kept, new_track.source_url, new_source=False)
            store.update_track(kept, source_kind=new_track.source_kind, **{
                name: getattr(kept_track, name) for name in ("title", "artists", "album", "year", "isrc",
                                                              "artwork_path", "artwork_url")
                if getattr(kept_track, name)})
        store.merge_into(new_key, kept)
        store.record_duplicate(new_key, kept, duplicate.reason,
                               {**duplicate.detail, "policy": policy, "audio_from": new_key if new_wins else kept,
                                "trashed": [str(p) for p in trashed]})
    audio = f"the new source ({new_key}) is better and replaces its audio" if new_wins else "its own audio stays"
    return Resolution(kept, new_key if new_wins else kept, trashed,
                      f"{duplicate.describe()}; kept {kept} with both sources, {audio}")


def duplicate_groups(store: Store) -> list[list[str]]:
    """Library entries that are the same recording, grouped (what `musicsync duplicates` lists)."""
    index = load_index(store)
    parent = {key: key for key in index.keys}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key in index.keys:
        for match in index.search(index.fingerprint(key), exclude=key):
            parent[root(match.track_key)] = root(key)
    groups: dict[str, list[str]] = {}
    for key in index.keys:
        groups.setdefault(root(key), []).append(key)
    return sorted((sorted(group) for group in groups.values() if len(group) > 1), key=lambda g: g[0])
