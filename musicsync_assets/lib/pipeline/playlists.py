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
    for row in store.library_listing(fmt):
        path = locate(paths, row["path"])
        if path is None:
            missing.append(Missing(row["track_key"], row["path"]))
            continue
        # Your override wins over the estimate, as in `library_row`.
        bpm = row["bpm_override"] or row["bpm"]
        key = parse_key(row["key_override"] or row["key_name"]) if (row["key_override"] or row["key_name"]) else None
        found.append(LibraryTrack(
            track_key=row["track_key"], artist=", ".join(row["artists"] or []) or "Unknown Artist",
            title=row["title"] or row["track_key"], album=row["album"], year=row["year"], path=path,
            duration_s=row["duration_s"] or row["track_duration_s"] or 0.0,
            bpm=round(bpm, 1) if bpm else None, key=key.short if key else None, camelot=key.camelot if key else None,
            beat_offset_s=row["beat_offset_s"], intro_s=row["intro_s"], outro_s=row["outro_s"],
            source_kinds=tuple(sorted(set(row["source_kinds"] or []) | {row["source_kind"]})),
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
