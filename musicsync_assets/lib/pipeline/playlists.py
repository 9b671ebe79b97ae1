"""The library as playlists: one `.m3u8` per source (SoundCloud likes, Spotify likes, the inbox) and
one of all tracks, in `data/playlists/`, rewritten after each sync.

Entries are paths relative to the playlist (`../library/m4a/Artist - Title.m4a`), so the whole data
folder can move, or sit on a USB stick, and the playlists still resolve; each has an `#EXTINF` line
with its length and `Artist - Title`. The files are UTF-8 (that is what the 8 in m3u8 promises), so
names keep their accents, and each is written under a temporary name and renamed into place: a DJ
app reading one mid-sync sees the old list or the new, never half of one.

The rekordbox export (`rekordbox.py`) mirrors the same playlists from `library_playlists`.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.catalog.paths import DataPaths, replace_atomically
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.stages import library_row

ALL_TRACKS = "All tracks"
# Playlist name for each source kind with one; tracks of other kinds (a pasted YouTube link) are in
# All tracks only.
SOURCE_PLAYLISTS = {"soundcloud": "SoundCloud likes", "spotify": "Spotify likes", "file": "Inbox"}


@dataclass(frozen=True)
class LibraryTrack:
    """One synced track as playlists and DJ software see it."""

    track_key: str
    artist: str
    title: str
    album: str | None
    year: int | None
    path: Path  # the file in the chosen format, where it is now
    duration_s: float
    bpm: float | None
    key: str | None  # short form: "Am", "F#"
    camelot: str | None
    beat_offset_s: float | None
    intro_s: float | None
    outro_s: float | None
    source_kinds: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return f"{self.artist} - {self.title}"


@dataclass(frozen=True)
class Missing:
    track_key: str
    recorded_path: str


def locate(paths: DataPaths, recorded: str) -> Path | None:
    """Where a catalogued file is now: the recorded path, else the same place under this data
    folder's library (the folder was moved after the catalog recorded it), else None."""
    path = Path(recorded)
    if path.is_file():
        return path
    parts = path.parts
    if "library" in parts:
        moved = paths.library.joinpath(*parts[len(parts) - parts[::-1].index("library"):])
        if moved.is_file():
            return moved
    return None


def library_tracks(store: Store, paths: DataPaths, fmt: str) -> tuple[list[LibraryTrack], list[Missing]]:
    """Every synced track's file in `fmt`, oldest first, and the files the catalog has that are gone."""
    found, missing = [], []
    for track in store.tracks("synced"):
        row = library_row(store, track.track_key)
        recorded = row["files"].get(fmt)
        if recorded is None:
            continue
        path = locate(paths, recorded)
        if path is None:
            missing.append(Missing(track.track_key, recorded))
            continue
        analysis = store.analysis(track.track_key)
        found.append(LibraryTrack(
            track_key=track.track_key, artist=track.display_artist, title=track.display_title,
            album=track.album, year=track.year, path=path,
            duration_s=analysis.duration_s if analysis else (track.duration_s or 0.0),
            bpm=row["bpm"], key=parse_key(row["key"]).short if row["key"] else None, camelot=row["camelot"],
            beat_offset_s=analysis.beat_offset_s if analysis else None,
            intro_s=analysis.intro_s if analysis else None, outro_s=analysis.outro_s if analysis else None,
            source_kinds=tuple(sorted({s["kind"] for s in row["sources"]} | {track.source_kind})),
        ))
    return found, missing


def library_playlists(tracks: list[LibraryTrack]) -> dict[str, list[LibraryTrack]]:
    """Playlist name → its tracks: one per source, then all tracks. Every playlist is there, even empty."""
    playlists = {name: [t for t in tracks if kind in t.source_kinds] for kind, name in SOURCE_PLAYLISTS.items()}
    playlists[ALL_TRACKS] = list(tracks)
    return playlists


def _one_line(text: str) -> str:
    return " ".join(text.split())  # a newline in a title would end the #EXTINF line


def render_m3u8(tracks: list[LibraryTrack], folder: Path) -> str:
    lines = ["#EXTM3U"]
    for track in tracks:
        lines.append(f"#EXTINF:{round(track.duration_s)},{_one_line(track.display_name)}")
        lines.append(Path(os.path.relpath(track.path, folder)).as_posix())
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PlaylistReport:
    written: dict[str, Path]  # playlist name → file
    missing: list[Missing]

    def describe(self) -> str:
        text = f"{len(self.written)} playlists in {next(iter(self.written.values())).parent}"
        if self.missing:
            text += (f"; {len(self.missing)} library files are not where the catalog says (first: "
                     f"{self.missing[0].recorded_path}) and were left out: move them back or sync again")
        return text


def write_playlists(store: Store, paths: DataPaths, fmt: str = "m4a") -> PlaylistReport:
    """Rewrites every playlist from the catalog; returns what was written and what was missing."""
    tracks, missing = library_tracks(store, paths, fmt)
    folder = paths.playlists
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, members in library_playlists(tracks).items():
        final = folder / f"{name}.m3u8"
        text = render_m3u8(members, folder)
        if not final.is_file() or final.read_text(encoding="utf-8") != text:
            scratch = folder / f".{name}.m3u8.tmp"
            scratch.write_text(text, encoding="utf-8")
            replace_atomically(scratch, final)
        written[name] = final
    return PlaylistReport(written, missing)
