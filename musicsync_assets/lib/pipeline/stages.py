"""The per-track work, stage by stage: describe, fetch, analyse and render, file in the library.

Each stage finds work already done and says so (`cached`), writes files under a temporary name in
the scratch folder and renames them into place, and raises a MusicsyncError the user can act on.
Dagster assets call these functions; so do the CLI and the benchmarks, through the same job.
"""

import copy
import errno
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.audio.analysis import ANALYZER_VERSION, analyze_pcm
from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.audio.tags import TagSet, read_tags, tag_differences, write_tags
from musicsync_assets.lib.catalog import duplicates
from musicsync_assets.lib.catalog.paths import DataPaths, replace_atomically
from musicsync_assets.lib.catalog.store import AnalysisRecord, FileRecord, OriginalRecord, Store, TrackRecord
from musicsync_assets.lib.errors import (
    DiskFull,
    LibraryNotWritable,
    MusicsyncError,
    NeedsReview,
    SilentAudio,
    TooShort,
    UnknownTrack,
)
from musicsync_assets.lib.pipeline import matching
from musicsync_assets.lib.pipeline.naming import DEFAULT_TEMPLATE, numbered, render_name
from musicsync_assets.lib.pipeline.sources import SourceRef, content_hash, identify
from musicsync_assets.lib.services import download
from musicsync_assets.lib.services.soundcloud import SoundCloudAuthError, SoundCloudClient
from musicsync_assets.lib.services.spotify import SpotifyAuthError, SpotifyClient


@dataclass(frozen=True)
class LibrarySettings:
    paths: DataPaths
    formats: tuple[str, ...] = ("m4a", "wav", "aiff")
    sample_rate: int = 44100
    channels: int = 2
    aac_kbps: int = 256
    filename_template: str = DEFAULT_TEMPLATE
    bpm_range: tuple[float, float] = (70.0, 180.0)
    min_duration_s: float = 5.0
    download_options: download.DownloadOptions = field(default_factory=download.DownloadOptions)
    youtube_search: str = "ytmusic"  # where Spotify tracks are looked for: ytmusic, or none (overrides only)
    duplicate_policy: str = duplicates.DEFAULT_POLICY  # which copy of the same recording stays

    @property
    def store(self) -> Store:
        return Store(self.paths.database)


@dataclass(frozen=True)
class Outcome:
    """What a stage did, for the asset's metadata: `label` is how a person names the track
    ("Artist - Title"), `paths` the details that are files on this machine (shown as paths in the
    UI); the rest are values."""

    cached: bool
    details: dict
    label: str
    paths: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "cached" if self.cached else "done"


def disk_errors_explained(error: OSError, where: Path) -> Exception:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return LibraryNotWritable(f"cannot write in {where}: {error.strerror}")
    if error.errno == errno.ENOSPC:
        return DiskFull(f"the disk holding {where} is full")
    return error


def discard_scratch(settings: LibrarySettings, track_key: str) -> None:
    """Removes what an interrupted stage left half-written for this track."""
    for leftover in settings.paths.scratch.glob(f"{track_key}.*"):
        leftover.unlink(missing_ok=True)


# --- registration -------------------------------------------------------------------------------

def register(store: Store, source: str | SourceRef) -> SourceRef:
    """Makes a URL or file known to the catalog; a source seen before keeps its key."""
    ref = identify(source) if isinstance(source, str) else source
    known_key = store.key_for_source(ref.kind, ref.source_id)
    if known_key and known_key != ref.track_key:
        ref = SourceRef(known_key, ref.kind, ref.source_id, ref.location)
    store.register_track(ref.track_key, ref.kind, ref.location, ref.source_id)
    return ref


@dataclass(frozen=True)
class Registration:
    """What became of one source the user named: the track it is, or why it is not one."""

    source: str
    track_key: str | None = None
    status: str | None = None  # the track's status in the catalog, once registered
    known_as: str | None = None  # the track this source turned out to be a copy of, by its name
    problem: str | None = None
    error_class: str | None = None

    @property
    def verdict(self) -> str:
        if self.problem:
            return f"not a track: {self.problem}"
        if self.known_as:
            return f"same audio as {self.known_as}, already in the library ({self.status})"
        return "added" if self.status != "synced" else "already synced"

    @property
    def to_sync(self) -> bool:
        """Whether a run has work to do for it: a copy of a track already synced has none, while a
        track named again (its key, its link, its file) is synced again, to check and repair it."""
        return bool(self.track_key) and not (self.known_as and self.status == "synced")


def register_sources(store: Store, sources: list[str]) -> list[Registration]:
    """Registers each URL, file or track key; a source that is the same audio or link as a track the
    catalog already has keeps that track, and says so."""
    registered = []
    for source in sources:
        try:
            known = store.track(source)
            if known:  # a catalogued track, by its key (say, to sync it again after an override)
                registered.append(Registration(source, known.track_key, known.status))
                continue
            ref = identify(source)
            twin = store.track(store.key_for_source(ref.kind, ref.source_id) or ref.track_key)
            ref = register(store, ref)
        except MusicsyncError as error:
            registered.append(Registration(source, problem=str(error), error_class=error.error_class))
            continue
        copy_of = twin.label if twin and twin.source_url != ref.location else None
        registered.append(Registration(source, ref.track_key, store.track(ref.track_key).status, copy_of))
    return registered


def remove_track(settings: LibrarySettings, track_key: str) -> list[Path]:
    """Forgets a track and deletes the files musicsync wrote for it (library files, its copy of the
    original, artwork); the user's own files are never touched. Returns what was deleted."""
    store = settings.store
    with store.session():
        track = _require_track(store, track_key)
        original = store.original(track_key)
        written = [Path(f.path) for f in store.files(track_key)]
    if original:
        written.append(Path(original.path))
    if track.artwork_path:
        written.append(Path(track.artwork_path))
    deleted = [path for path in written if path.is_file()]
    for path in deleted:
        path.unlink()
    store.remove_track(track_key)
    return deleted


def set_overrides(store: Store, track_key: str, bpm: float | None = None, key: str | None = None,
                  clear: bool = False) -> TrackRecord:
    """Records the user's own BPM and/or key for a track; they win over the estimate in the tags
    from the next sync on. `clear` goes back to the estimates."""
    track = _require_track(store, track_key)
    if clear:
        store.update_track(track_key, bpm_override=None, key_override=None)
        return store.track(track_key)
    changes: dict[str, object] = {}
    if bpm is not None:
        if not 20 <= bpm <= 300:
            raise ValueError(f"a BPM of {bpm:g} is not a tempo; give one between 20 and 300")
        changes["bpm_override"] = round(float(bpm), 2)
    if key is not None:
        changes["key_override"] = parse_key(key).name  # raises with the accepted spellings
    if changes:
        store.update_track(track.track_key, **changes)
    return store.track(track_key)


def _require_track(store: Store, track_key: str) -> TrackRecord:
    track = store.track(track_key)
    if track is None:
        raise UnknownTrack(f"track {track_key} is not in the catalog")
    return track


# --- stage 1: metadata --------------------------------------------------------------------------

def resolve_metadata(settings: LibrarySettings, track_key: str, spotify: SpotifyClient | None = None) -> Outcome:
    """Who and what the track is; with Spotify configured, a track from elsewhere is also looked up
    there once, to fill the ISRC, album, year and artwork it lacks."""
    described = _describe(settings, track_key, spotify)
    track = settings.store.track(track_key)
    if spotify is None or track.source_kind == "spotify" or settings.store.match(track_key) is not None:
        return described
    try:
        filled = _fill_from_spotify(settings, track, spotify)
    except MusicsyncError as error:  # a nicety: the track goes on, and the next sync looks again
        filled = {"filled": [], "reason": str(error)}
    track = settings.store.track(track_key)
    return Outcome(False, {**_track_details(track), "spotify_match": filled}, track.label, TRACK_PATHS)


def _fill_from_spotify(settings: LibrarySettings, track: TrackRecord, spotify: SpotifyClient) -> dict:
    """The best Spotify search result, if it scores well enough, fills what the track lacks (never
    overwrites) and becomes one of its sources. The match and its score are kept either way."""
    store = settings.store
    if not track.title or not track.duration_s:
        return {"filled": [], "reason": "no title or length to check a match by"}
    wanted = matching.Wanted(track.title, tuple(track.artists), track.duration_s)
    found = spotify.search_tracks(track.artists[0] if track.artists else "", track.title)
    by_url = {t.url: t for t in found}
    match = matching.choose(wanted, lambda _query: [
        matching.Candidate(t.url, t.title, t.artists, t.duration_s, "song") for t in found])
    store.save_match(track.track_key, match.url, match.score, "spotify-metadata", match.candidates)
    best = by_url.get(match.url)
    if best is None:
        return {"filled": [], "score": match.score, "reason": "no Spotify result matched well enough"}
    changes = {name: value for name, value, have in (
        ("isrc", best.isrc, track.isrc), ("album", best.album, track.album), ("year", best.year, track.year),
        ("artwork_url", best.artwork_url, track.artwork_path or track.artwork_url)) if value and not have}
    if changes:
        store.update_track(track.track_key, **changes)
    store.add_source(track.track_key, "spotify", best.id, best.url)
    return {"filled": sorted(changes), "score": match.score, "spotify": best.url}


def _describe(settings: LibrarySettings, track_key: str, spotify: SpotifyClient | None) -> Outcome:
    store = settings.store
    track = _require_track(store, track_key)
    if track.title is not None and not (track.artwork_url and not track.artwork_path):
        return _described(True, track)
    if track.title is not None:  # described when it was discovered (a like); only the artwork is missing
        artwork = download.fetch_image(track.artwork_url)
        if artwork:
            store.update_track(track_key, artwork_path=str(_save_artwork(settings.paths, track_key, artwork)))
        return _described(False, store.track(track_key))
    if track.source_kind == "file":
        fields, artwork = _describe_file(Path(track.source_url))
    elif track.source_kind == "spotify":
        if spotify is None:
            raise SpotifyAuthError("a Spotify link is described through the Spotify API, and Spotify is not "
                                   "configured")
        found = spotify.track(track_key.removeprefix("sp-"))
        fields = {"title": found.title, "artists": list(found.artists), "album": found.album, "year": found.year,
                  "isrc": found.isrc, "duration_s": found.duration_s, "artwork_url": found.artwork_url}
        artwork = download.fetch_image(found.artwork_url) if found.artwork_url else None
    else:
        info = download.fetch_info(track.source_url, settings.download_options)
        fields = {"title": info.title, "artists": info.artists, "album": info.album, "year": info.year,
                  "duration_s": info.duration_s, "artwork_url": info.thumbnail_url}
        artwork = download.fetch_image(info.thumbnail_url) if info.thumbnail_url else None
    if artwork:
        try:
            fields["artwork_path"] = str(_save_artwork(settings.paths, track_key, artwork))
        except OSError as error:
            raise disk_errors_explained(error, settings.paths.artwork) from error
    store.update_track(track_key, **fields)
    return _described(False, store.track(track_key))


def _matched_upload(settings: LibrarySettings, store: Store, track: TrackRecord) -> str:
    """The upload to download for a Spotify track: the user's override, else the best match,
    stored with its score and every candidate. Nothing good enough: NeedsReview."""
    spotify_id = track.track_key.removeprefix("sp-")
    # A Source URL the user corrected (on the Notion page) is their choice as much as the file is.
    corrected = track.source_url if not track.source_url.startswith("https://open.spotify.com/") else None
    override = matching.load_overrides(settings.paths.match_overrides).get(spotify_id) or corrected
    search = matching.youtube_music_search() if settings.youtube_search == "ytmusic" and not override else None
    wanted = matching.Wanted(track.title or "", tuple(track.artists), track.duration_s or 0.0, track.isrc)
    found = matching.choose(wanted, search, override)
    store.save_match(track.track_key, found.url, found.score, found.decided_by, found.candidates)
    if found.url is None:
        raise NeedsReview(f"no upload of {track.display_title} matched well enough (best score {found.score:.2f}, "
                          f"{len(found.candidates)} candidates)")
    return found.url


def _describe_file(path: Path) -> tuple[dict, bytes | None]:
    if not path.is_file():
        raise UnknownTrack(f"{path} is gone", "put the file back in the inbox or sync it by its new path")
    tags = read_tags(path) if path.suffix.lower() in (".mp3", ".m4a", ".mp4", ".flac", ".wav", ".aif",
                                                      ".aiff", ".ogg", ".opus") else TagSet()
    title, artists = tags.title, tags.artists
    if not title:
        stem = path.stem
        artist_part, _, title_part = stem.partition(" - ")
        title, artists = (title_part, [artist_part]) if title_part else (stem, artists)
    return ({"title": title, "artists": artists, "album": tags.album, "year": tags.year, "isrc": tags.isrc,
             "duration_s": codec.declared_length(path)}, tags.artwork)


def _save_artwork(paths: DataPaths, track_key: str, image: bytes) -> Path:
    suffix = ".png" if image.startswith(b"\x89PNG") else ".jpg"
    final = paths.artwork / f"{track_key}{suffix}"
    paths.ensure()
    tmp = paths.scratch / f"{track_key}.artwork{suffix}"
    tmp.write_bytes(image)
    replace_atomically(tmp, final)
    return final


TRACK_PATHS = ("artwork",)


def _described(cached: bool, track: TrackRecord) -> Outcome:
    return Outcome(cached, _track_details(track), track.label, TRACK_PATHS)


def _track_details(track: TrackRecord) -> dict:
    return {"title": track.display_title, "artists": track.artists, "album": track.album,
            "year": track.year, "source": track.source_url, "artwork": track.artwork_path}


# --- stage 2: the original bytes ----------------------------------------------------------------

def fetch_original(settings: LibrarySettings, track_key: str, soundcloud: SoundCloudClient | None = None) -> Outcome:
    """Downloads (or copies) the original. A SoundCloud like (`sc-<id>`) is fetched from the stream
    SoundCloud's api-v2 names for it, which yt-dlp then downloads."""
    store = settings.store
    track = _require_track(store, track_key)
    known = store.original(track_key)
    if known and Path(known.path).is_file() and Path(known.path).stat().st_size == known.size_bytes:
        return Outcome(True, _original_details(known), track.label, ("path",))
    paths = settings.paths
    try:
        paths.ensure()
        if track.source_kind == "file":
            source = Path(track.source_url)
            if not source.is_file():
                raise UnknownTrack(f"{source} is gone", "put the file back in the inbox, then run again")
            fetched = paths.scratch / f"{track_key}{source.suffix.lower()}"
            shutil.copyfile(source, fetched)
        elif track.source_kind == "spotify":
            fetched = download.download_audio(_matched_upload(settings, store, track), paths.scratch, track_key,
                                              settings.download_options)
        elif track_key.startswith("sc-"):
            if soundcloud is None:
                raise SoundCloudAuthError("a SoundCloud like is downloaded through api-v2, and no client_id is set")
            stream = soundcloud.stream_url(soundcloud.track(int(track_key.removeprefix("sc-"))))
            fetched = download.download_audio(stream, paths.scratch, track_key, settings.download_options)
        else:
            fetched = download.download_audio(track.source_url, paths.scratch, track_key, settings.download_options)
    except OSError as error:
        raise disk_errors_explained(error, paths.root) from error
    try:
        described = codec.probe(fetched)
        if described.duration_s is not None and described.duration_s < settings.min_duration_s:
            raise TooShort(f"the audio lasts {described.duration_s:.1f} s, under the {settings.min_duration_s:g} s minimum")
    except Exception:
        fetched.unlink(missing_ok=True)
        raise
    final = paths.originals / fetched.name
    replace_atomically(fetched, final)
    record = OriginalRecord(
        track_key=track_key, path=str(final), sha256=content_hash(final), size_bytes=final.stat().st_size,
        container=described.container, codec=described.codec, sample_rate=described.sample_rate,
        channels=described.channels, duration_s=described.duration_s,
    )
    store.save_original(record)
    if track.duration_s is None:
        store.update_track(track_key, duration_s=described.duration_s)
    return Outcome(False, _original_details(record), track.label, ("path",))


def _original_details(original: OriginalRecord) -> dict:
    return {"path": original.path, "codec": original.codec, "container": original.container,
            "sample_rate": original.sample_rate, "channels": original.channels,
            "duration_s": original.duration_s, "size_bytes": original.size_bytes}


def in_the_users_words(error: MusicsyncError, track: TrackRecord | None) -> MusicsyncError:
    """The error with the library's copies of the track (`<track key>.<ext>`, in originals and
    scratch) named as the user knows the track: their own file's name, or the link."""
    if track is None:
        return error
    name = Path(track.source_url).name if track.source_kind == "file" else track.source_url
    reason = re.sub(rf"\b{re.escape(track.track_key)}\.\w+", lambda _: name, error.reason)
    if reason == error.reason:
        return error
    renamed = copy.copy(error)
    renamed.reason, renamed.args = reason, (reason,)
    return renamed


# --- stage 3: analysis and library files, from one decode ---------------------------------------

def expected_tags(track: TrackRecord, analysis: AnalysisRecord | None) -> TagSet:
    """The tags every library file of this track should carry; overrides win over estimates."""
    bpm = track.bpm_override or (analysis.bpm if analysis else None)
    key_text = track.key_override or (analysis.key_name if analysis else None)
    key = parse_key(key_text) if key_text else None
    artwork = Path(track.artwork_path).read_bytes() if track.artwork_path and Path(track.artwork_path).is_file() \
        else None
    return TagSet(
        title=track.display_title, artists=track.artists, album=track.album, year=track.year, isrc=track.isrc,
        source_url=track.source_url if track.source_kind != "file" else None,
        bpm=round(bpm) if bpm else None, key=key.short if key else None,
        camelot=key.camelot if key else None,
        comment=f"{key.camelot} - {key.name}" if key else None, artwork=artwork,
    )


def analyze_and_render(settings: LibrarySettings, track_key: str, *, analysis_wanted: bool = True,
                       files_wanted: bool = True) -> tuple[Outcome, Outcome]:
    """Analyses the original and writes every configured format, decoding it once.

    ffmpeg encodes on one core while the analysis runs on the other. Work already done (same
    original, same analyser version, files present with the same tags) is skipped.
    """
    store = settings.store
    with store.session():
        track = _require_track(store, track_key)
        original = store.original(track_key)
        analysis = store.analysis(track_key)
        existing = {f.format: f for f in store.files(track_key)}
    if original is None or not Path(original.path).is_file():
        raise UnknownTrack(f"track {track_key} has no original yet", "materialise track_audio first")
    analysis_current = bool(analysis and analysis.analyzer_version == ANALYZER_VERSION
                            and analysis.original_sha256 == original.sha256)
    need_analysis = analysis_wanted and not analysis_current
    to_encode = [fmt for fmt in settings.formats if files_wanted and not _file_present(existing.get(fmt))]

    pcm = None
    if need_analysis or to_encode:
        pcm = codec.decode(Path(original.path), settings.sample_rate, settings.channels, original.duration_s)
        _refuse_unusable(pcm, settings)
    copy_m4a = "m4a" in to_encode and original.codec == "aac" and original.channels == settings.channels
    encoded = {fmt: settings.paths.scratch / f"{track_key}.{codec.FORMATS[fmt][0]}" for fmt in to_encode}
    encoder = None
    try:
        settings.paths.ensure()
        if copy_m4a:
            codec.copy_audio_stream(Path(original.path), encoded["m4a"])
        encoder = codec.Encoder(pcm, settings.sample_rate,
                                {f: p for f, p in encoded.items() if not (copy_m4a and f == "m4a")},
                                settings.aac_kbps) if to_encode else None
        if need_analysis:
            result = analyze_pcm(pcm, settings.sample_rate, settings.bpm_range)
            analysis = AnalysisRecord(
                track_key=track_key, bpm=result.bpm, bpm_confidence=result.bpm_confidence,
                key_name=result.key_name, key_confidence=result.key_confidence, camelot=result.camelot,
                open_key=result.open_key, duration_s=result.duration_s, loudness_lufs=result.loudness_lufs,
                peak_dbfs=result.peak_dbfs, analyzer_version=ANALYZER_VERSION, original_sha256=original.sha256,
                beat_offset_s=result.beat_offset_s, intro_s=result.intro_s, outro_s=result.outro_s,
                energy=result.energy,
            )
            store.save_analysis(analysis)
        if encoder:
            encoder.finish()
        written = _file_in_tags(settings, store, track, analysis, existing, encoded, copy_m4a) \
            if files_wanted else []
    except OSError as error:
        raise disk_errors_explained(error, settings.paths.library) from error
    finally:
        if encoder:
            encoder.stop()
        for leftover in encoded.values():
            leftover.unlink(missing_ok=True)

    analysis_outcome = Outcome(not need_analysis, _analysis_details(analysis) if analysis else {}, track.label)
    files_outcome = Outcome(files_wanted and not written, {
        "formats": {f.format: f.path for f in store.files(track_key)},
        "written": [f.format for f in written if f.format in encoded],
        "retagged": [f.format for f in written if f.format not in encoded],
        "m4a_copied_without_re_encoding": copy_m4a if "m4a" in encoded else None,
    }, track.label)
    return analysis_outcome, files_outcome


def _file_present(record: FileRecord | None) -> bool:
    return bool(record and Path(record.path).is_file() and Path(record.path).stat().st_size == record.size_bytes)


def _refuse_unusable(pcm: np.ndarray, settings: LibrarySettings) -> None:
    seconds = len(pcm) / settings.sample_rate
    if seconds < settings.min_duration_s:
        raise TooShort(f"the audio lasts {seconds:.1f} s, under the {settings.min_duration_s:g} s minimum")
    peak = int(np.max(np.abs(pcm.astype(np.int32)))) if len(pcm) else 0
    if peak < 32768 * 10 ** (-60 / 20):
        raise SilentAudio("the audio is silent (peak below -60 dBFS)")


def _file_in_tags(settings: LibrarySettings, store: Store, track: TrackRecord, analysis: AnalysisRecord | None,
                  existing: dict[str, FileRecord], encoded: dict[str, Path], stream_copied: bool) -> list[FileRecord]:
    """Tags new encodes and re-tags files whose tags changed, then renames each into the library."""
    tags = expected_tags(track, analysis)
    digest = tags.digest()
    written = []
    for fmt in settings.formats:
        previous = existing.get(fmt)
        # The file as it is, not only what was written last: another program or a person may
        # have changed its tags in place (an MP4's padding leaves its size as it was).
        if fmt not in encoded and previous and previous.tags_digest == digest \
                and not tag_differences(Path(previous.path), tags):
            continue
        if fmt in encoded:
            work = encoded[fmt]
        else:
            work = settings.paths.scratch / f"{track.track_key}.retag.{codec.FORMATS[fmt][0]}"
            shutil.copyfile(previous.path, work)
        write_tags(work, tags)
        final = Path(previous.path) if previous else _free_path(settings, store, track, fmt)
        described = codec.probe(work)
        replace_atomically(work, final)
        record = FileRecord(
            track_key=track.track_key, format=fmt, path=str(final), codec=described.codec,
            sample_rate=described.sample_rate, channels=described.channels,
            duration_s=described.duration_s or 0.0, size_bytes=final.stat().st_size,
            encoding="copy" if (fmt == "m4a" and stream_copied) else ("encode" if fmt in encoded else
                                                                     previous.encoding),
            tags_digest=digest,
        )
        store.save_file(record)
        written.append(record)
    return written


def _free_path(settings: LibrarySettings, store: Store, track: TrackRecord, fmt: str) -> Path:
    """The templated name in this format's folder, numbered when another track already has it."""
    stem = render_name(settings.filename_template, artist=track.display_artist, title=track.display_title,
                       album=track.album or "", year=str(track.year or ""), track_key=track.track_key)
    folder = settings.paths.library / fmt
    folder.mkdir(parents=True, exist_ok=True)
    extension = codec.FORMATS[fmt][0]
    attempt = 1
    while True:
        candidate = folder / f"{numbered(stem, attempt)}.{extension}"
        owner = store.path_owner(str(candidate))
        if owner == track.track_key or (owner is None and not candidate.exists()):
            return candidate
        attempt += 1


def _analysis_details(analysis: AnalysisRecord) -> dict:
    return {"bpm": None if analysis.bpm is None else round(analysis.bpm, 1),
            "bpm_confidence": round(analysis.bpm_confidence, 3), "key": analysis.key_name,
            "camelot": analysis.camelot, "open_key": analysis.open_key,
            "key_confidence": round(analysis.key_confidence, 3), "duration_s": round(analysis.duration_s, 2),
            "loudness_lufs": None if analysis.loudness_lufs is None else round(analysis.loudness_lufs, 1),
            "beat_offset_s": None if analysis.beat_offset_s is None else round(analysis.beat_offset_s, 3),
            "intro_s": analysis.intro_s, "outro_s": analysis.outro_s, "energy": analysis.energy}


# --- stage 4: the library entry -----------------------------------------------------------------

def file_in_library(settings: LibrarySettings, track_key: str) -> Outcome:
    store = settings.store
    with store.session():
        return _file_in_library(settings, store, track_key)


def _file_in_library(settings: LibrarySettings, store: Store, track_key: str) -> Outcome:
    track = _require_track(store, track_key)
    files = {f.format: f for f in store.files(track_key)}
    missing = [fmt for fmt in settings.formats if not _file_present(files.get(fmt))]
    if missing or store.analysis(track_key) is None:
        raise UnknownTrack(f"track {track_key} is not rendered yet (missing: {', '.join(missing) or 'analysis'})",
                           "materialise track_analysis and track_files first")
    cached = track.status == "synced"
    if not cached:
        store.update_track(track_key, status="synced", error_class=None, error_message=None, attempts=0, retry_at=None)
    return Outcome(cached, library_row(store, track_key), track.label)


def flag_duplicate(settings: LibrarySettings, track_key: str) -> duplicates.Duplicate | None:
    """Fingerprints a filed track and records the library entry it is the same recording as, if
    any. Nothing moves here: the `library` asset settles it by the policy, after the run's checks."""
    store = settings.store
    original = store.original(track_key)
    fingerprint = duplicates.fingerprint_track(store, track_key, Path(original.path))
    found = duplicates.find_duplicate(store, track_key, duplicates.load_index(store), fingerprint)
    if found:
        store.record_duplicate(found.track_key, found.duplicate_of, found.reason, found.detail)
    return found


def settle_duplicates(settings: LibrarySettings, policy: str) -> list[duplicates.Resolution]:
    """Applies the duplicate policy to every duplicate flagged and not yet settled."""
    store = settings.store
    settled = []
    for flagged in store.duplicates():
        if "policy" in flagged["detail"]:
            continue  # settled before
        if store.track(flagged["track_key"]) is None or store.track(flagged["duplicate_of"]) is None:
            continue  # one of the two was removed meanwhile
        found = duplicates.Duplicate(flagged["track_key"], flagged["duplicate_of"], flagged["reason"],
                                     flagged["detail"])
        settled.append(duplicates.resolve(store, settings.paths, found, policy))
    return settled


def library_row(store: Store, track_key: str) -> dict:
    """One catalog entry as people and scripts see it (`musicsync library --json`)."""
    with store.session():
        track = _require_track(store, track_key)
        analysis = store.analysis(track_key)
        files = store.files(track_key)
        sources = store.sources_of(track_key)
        match = store.match(track_key)
        eagle_item = store.eagle_item(track_key)
    bpm = track.bpm_override or (analysis.bpm if analysis else None)
    key_text = track.key_override or (analysis.key_name if analysis else None)
    key = parse_key(key_text) if key_text else None
    return {
        "track_key": track.track_key, "title": track.display_title, "artists": track.artists,
        "status": track.status, "bpm": round(bpm, 1) if bpm else None, "bpm_int": round(bpm) if bpm else None,
        "key": key.name if key else None, "camelot": key.camelot if key else None,
        "open_key": key.open_key if key else None,
        "bpm_confidence": analysis.bpm_confidence if analysis else None,
        "key_confidence": analysis.key_confidence if analysis else None,
        "estimated": {"bpm": analysis.bpm, "key": analysis.key_name} if analysis else None,
        "overridden": [name for name, value in (("bpm", track.bpm_override), ("key", track.key_override)) if value],
        "energy": analysis.energy if analysis else None,
        "beat_offset_s": analysis.beat_offset_s if analysis else None,
        "files": {f.format: f.path for f in files},
        "sources": [{"kind": s["kind"], "id": s["source_id"], "url": s["url"]} for s in sources],
        "eagle_item": eagle_item,
        "error": track.error_message,
        **({"match": {k: match[k] for k in ("url", "score", "decided_by", "candidates")}} if match else {}),
    }
