"""Playlists that resolve to the library's real files, and a rekordbox XML read back by pyrekordbox,
an independent reader of the format."""

import shutil
from pathlib import Path

import pytest
from pyrekordbox.rbxml import RekordboxXml

from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.store import AnalysisRecord, FileRecord, Store
from musicsync_assets.lib.pipeline import playlists, rekordbox

# key: (source kinds, artist, title, sample, bpm, key, beat offset, intro, outro)
TRACKS = {
    "sc-1": (("soundcloud", "spotify"), "Tidal State", "Harbour Lights", "aac", 124.0, "A minor", 0.12, 8.0, 6.0),
    "sp-2": (("spotify",), "Lumen Drive", "Copper Sun", "mp3", 128.0, "F major", 0.05, None, None),
    "file-3": (("file",), "Sigur Rós", 'Hoppípolla "live" ∕ édit', "unicode", 110.0, "F# minor", 0.3, 4.0, 2.5),
    "yt-4": (("youtube",), "Åsa Ström", "Glass - Steel", "flac", None, None, None, None, None),
}


@pytest.fixture
def library(tmp_path, audio_set) -> tuple[Store, DataPaths]:
    paths = DataPaths(tmp_path / "data").ensure()
    store = Store(paths.database)
    for key, (kinds, artist, title, sample, bpm, musical_key, offset, intro, outro) in TRACKS.items():
        store.register_track(key, kinds[0], f"https://example.com/{key}", source_id=key)
        for kind in kinds[1:]:
            store.add_source(key, kind, f"{kind}-{key}", f"https://{kind}.example/{key}")
        store.update_track(key, title=title, artists=[artist], album="Demo", year=2026, status="synced")
        store.save_analysis(AnalysisRecord(key, bpm, 0.9, musical_key, 0.8, None, None, 12.0, -9.0, -1.0, "v", "sha",
                                           beat_offset_s=offset, intro_s=intro, outro_s=outro))
        path = paths.library / "m4a" / f"{artist} - {title.replace('/', '-')}.m4a"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(audio_set[sample].path, path)
        store.save_file(FileRecord(key, "m4a", str(path), "aac", 44100, 2, 12.0, path.stat().st_size, "encode", "d"))
    store.register_track("sp-9", "spotify", "https://open.spotify.com/track/9", source_id="sp-9")  # not synced
    return store, paths


def _file_of(track) -> Path:
    """The file a collection TRACK points at. pyrekordbox strips `file://localhost/`, written with
    Windows paths in mind, so a POSIX path comes back without its leading slash."""
    return Path("/" + track["Location"])


def _entries(playlist: Path) -> list[tuple[str, Path]]:
    """(#EXTINF text, the file the next line resolves to) for each entry."""
    lines = playlist.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    return [(info, (playlist.parent / location).resolve()) for info, location in zip(lines[1::2], lines[2::2],
                                                                                       strict=True)]


def test_playlists_per_source_and_all_resolve_to_the_library_files(library):
    store, paths = library
    report = playlists.write_playlists(store, paths, "m4a")
    assert set(report.written) == {"SoundCloud likes", "Spotify likes", "Inbox", "All tracks"}
    assert report.missing == []
    assert not list(paths.playlists.glob(".*"))  # no temporary file left behind

    everything = _entries(paths.playlists / "All tracks.m3u8")
    assert [path for _, path in everything] == [Path(store.files(key)[0].path).resolve() for key in TRACKS]
    assert all(path.is_file() for _, path in everything)
    assert everything[2][0] == '#EXTINF:12,Sigur Rós - Hoppípolla "live" ∕ édit'
    spotify = _entries(paths.playlists / "Spotify likes.m3u8")
    assert [info.split(",", 1)[1] for info, _ in spotify] == ["Tidal State - Harbour Lights", "Lumen Drive - Copper Sun"]
    assert [info for info, _ in _entries(paths.playlists / "Inbox.m3u8")] == [everything[2][0]]
    raw = (paths.playlists / "Inbox.m3u8").read_text(encoding="utf-8")
    assert "../library/m4a/Sigur Rós - Hoppípolla" in raw and "%" not in raw  # relative, unicode kept


def test_a_moved_data_folder_keeps_playlists_and_a_missing_file_is_reported(library, tmp_path):
    store, paths = library
    gone = Path(store.files("sp-2")[0].path).name
    moved = DataPaths(Path(shutil.move(paths.root, tmp_path / "elsewhere" / "data")))
    (moved.library / "m4a" / gone).unlink()
    report = playlists.write_playlists(Store(moved.database), moved, "m4a")
    entries = _entries(moved.playlists / "All tracks.m3u8")
    assert len(entries) == 3 and all(path.is_file() and moved.root in path.parents for _, path in entries)
    assert [m.track_key for m in report.missing] == ["sp-2"]
    assert "1 library files are not where the catalog says" in report.describe()


def test_rekordbox_xml_reads_back_with_pyrekordbox(library, tmp_path):
    store, paths = library
    store.update_track("sp-2", bpm_override=130.0, key_override="Gm")  # yours win over the estimates
    report = rekordbox.export_rekordbox(store, paths, tmp_path / "export" / "rekordbox.xml", "m4a")
    assert report.tracks == 4 and report.missing == []
    xml = RekordboxXml(tmp_path / "export" / "rekordbox.xml")
    assert xml.num_tracks == 4 and xml.product_name == "musicsync"
    by_name = {track["Name"]: track for track in xml.get_tracks()}

    harbour = by_name["Harbour Lights"]
    assert _file_of(harbour) == Path(store.files("sc-1")[0].path).resolve()
    assert harbour._element.get("Location").startswith("file://localhost/")
    assert (harbour["Artist"], harbour["AverageBpm"], harbour["Tonality"], harbour["TotalTime"]) == \
           ("Tidal State", 124.0, "Am", 12)
    [grid] = harbour.tempos
    assert (grid["Inizio"], grid["Bpm"], grid["Metro"], grid["Battito"]) == (0.12, 124.0, "4/4", 1)
    assert [(m["Name"], m["Type"], m["Start"], m["Num"]) for m in harbour.marks] == [
        ("Intro end", "cue", 8.0, -1), ("Outro start", "cue", 6.0, -1)]

    unicode_track = by_name['Hoppípolla "live" ∕ édit']
    assert _file_of(unicode_track).is_file() and unicode_track["Tonality"] == "F#m"
    copper = by_name["Copper Sun"]
    assert (copper["AverageBpm"], copper["Tonality"], copper.tempos[0]["Bpm"]) == (130.0, "Gm", 130.0)
    assert copper.marks == []  # no intro or outro found: no cue invented
    assert by_name["Glass - Steel"].tempos == []  # no tempo: no beat grid

    names = {track["TrackID"]: track["Name"] for track in xml.get_tracks()}
    assert [p.name for p in xml.get_playlist().get_playlists()] == ["SoundCloud likes", "Spotify likes", "Inbox",
                                                                    "All tracks"]
    assert [names[int(k)] for k in xml.get_playlist("Spotify likes").get_tracks()] == ["Harbour Lights", "Copper Sun"]
    assert len(xml.get_playlist("All tracks").get_tracks()) == 4


def test_rekordbox_export_after_the_library_moved_points_at_the_new_place(library, tmp_path):
    store, paths = library
    gone = Path(store.files("yt-4")[0].path).name
    moved = DataPaths(Path(shutil.move(paths.root, tmp_path / "usb" / "data")))
    (moved.library / "m4a" / gone).unlink()
    report = rekordbox.export_rekordbox(Store(moved.database), moved, moved.root / "rekordbox.xml")
    xml = RekordboxXml(moved.root / "rekordbox.xml")
    assert all(moved.root in _file_of(track).parents for track in xml.get_tracks())
    assert xml.num_tracks == 3 and [m.track_key for m in report.missing] == ["yt-4"]
    assert "1 left out because their files are gone" in report.describe()
