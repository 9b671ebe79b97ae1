"""The library as a rekordbox XML collection (rekordbox's Preferences → Advanced → Database →
rekordbox xml reads it).

`DJ_PLAYLISTS` holds a `PRODUCT`, a `COLLECTION` with one `TRACK` per synced track, and `PLAYLISTS`
mirroring the m3u8 playlists (`playlists.py`). Each `TRACK` carries `Location` (a
`file://localhost/` URI of the file, percent-encoded), `Name`, `Artist`, `Album`, `Year`, `Kind`,
`Size`, `TotalTime` (whole seconds), `AverageBpm`, `Tonality` (`Am`, `F#`), `SampleRate`; the
Camelot code goes in `Comments`. Inside it:

- `TEMPO` — the beat grid: `Inizio` (the analysis's first beat, taken as the first downbeat, in
  seconds), `Bpm`, `Metro` 4/4, `Battito` 1. rekordbox extends one entry over the whole track,
  which suits the steady tempo the analysis measures.
- `POSITION_MARK` — memory cues (`Type` 0, `Num` -1): "Intro end" at the end of the intro and
  "Outro start" where the outro begins, when the analysis found them.

Locations are absolute, as rekordbox requires: after moving the library folder, export again.
Files the catalog lists but that are no longer there are left out and reported, never guessed.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote

from musicsync_assets.lib.catalog.paths import DataPaths, replace_atomically
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.playlists import LibraryTrack, Missing, library_playlists, library_tracks

_KINDS = {".m4a": "M4A File", ".wav": "WAV File", ".aiff": "AIFF File", ".mp3": "MP3 File", ".flac": "FLAC File"}


def location(path: Path) -> str:
    """rekordbox's URI for a file: file://localhost/ and the absolute path, percent-encoded."""
    absolute = path.resolve().as_posix()
    return "file://localhost" + ("" if absolute.startswith("/") else "/") + quote(absolute, safe="/:")


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _track_element(parent: ET.Element, track_id: int, track: LibraryTrack) -> None:
    attributes = {
        "TrackID": str(track_id), "Name": track.title, "Artist": track.artist, "Album": track.album or "",
        "Kind": _KINDS.get(track.path.suffix.lower(), "Audio File"), "Size": str(track.path.stat().st_size),
        "TotalTime": str(round(track.duration_s)), "AverageBpm": f"{track.bpm:.2f}" if track.bpm else "0.00",
        "Tonality": track.key or "", "SampleRate": "44100", "Comments": track.camelot or "",
        "Location": location(track.path),
    }
    if track.year:
        attributes["Year"] = str(track.year)
    element = ET.SubElement(parent, "TRACK", attributes)
    if track.bpm:
        ET.SubElement(element, "TEMPO", {"Inizio": _seconds(track.beat_offset_s or 0.0), "Bpm": f"{track.bpm:.2f}",
                                         "Metro": "4/4", "Battito": "1"})
    if track.intro_s:
        ET.SubElement(element, "POSITION_MARK", {"Name": "Intro end", "Type": "0",
                                                 "Start": _seconds(track.intro_s), "Num": "-1"})
    if track.outro_s:
        ET.SubElement(element, "POSITION_MARK", {"Name": "Outro start", "Type": "0",
                                                 "Start": _seconds(max(0.0, track.duration_s - track.outro_s)),
                                                 "Num": "-1"})


def _version() -> str:
    try:
        return version("musicsync")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def render_xml(tracks: list[LibraryTrack]) -> ET.ElementTree:
    root = ET.Element("DJ_PLAYLISTS", {"Version": "1.0.0"})
    ET.SubElement(root, "PRODUCT", {"Name": "musicsync", "Version": _version(), "Company": "musicsync"})
    collection = ET.SubElement(root, "COLLECTION", {"Entries": str(len(tracks))})
    ids = {}
    for track_id, track in enumerate(tracks, start=1):
        ids[track.track_key] = track_id
        _track_element(collection, track_id, track)
    playlists = library_playlists(tracks)
    node_root = ET.SubElement(ET.SubElement(root, "PLAYLISTS"), "NODE",
                              {"Type": "0", "Name": "ROOT", "Count": str(len(playlists))})
    for name, members in playlists.items():
        node = ET.SubElement(node_root, "NODE", {"Name": name, "Type": "1", "KeyType": "0",
                                                 "Entries": str(len(members))})
        for track in members:
            ET.SubElement(node, "TRACK", {"Key": str(ids[track.track_key])})
    ET.indent(root)
    return ET.ElementTree(root)


@dataclass(frozen=True)
class ExportReport:
    path: Path
    tracks: int
    missing: list[Missing]

    def describe(self) -> str:
        text = (f"{self.tracks} tracks written to {self.path} (in rekordbox: Preferences → Advanced → Database → "
                "rekordbox xml)")
        if self.missing:
            text += (f"; {len(self.missing)} left out because their files are gone (first: "
                     f"{self.missing[0].recorded_path}): move them back or sync again, then export again")
        return text


def export_rekordbox(store: Store, paths: DataPaths, destination: Path, fmt: str = "m4a") -> ExportReport:
    """Writes the collection and playlists to `destination`, under a temporary name first."""
    tracks, missing = library_tracks(store, paths, fmt)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = destination.with_name(f".{destination.name}.tmp")
    render_xml(tracks).write(scratch, encoding="UTF-8", xml_declaration=True)
    replace_atomically(scratch, destination)
    return ExportReport(destination, len(tracks), missing)
