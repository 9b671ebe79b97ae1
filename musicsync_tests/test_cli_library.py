"""`musicsync duplicates` and `musicsync export rekordbox`, through the parser cli.py will register them in."""

import argparse
import json
import shutil
import subprocess

import pytest

from musicsync_assets import cli_library
from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.audio.fingerprint import fingerprint_file
from musicsync_assets.lib.catalog import duplicates
from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.store import FileRecord, Store


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="musicsync")
    cli_library.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


@pytest.fixture
def library(tmp_path, monkeypatch, audio_set):
    """Harbour Lights twice (its M4A and a 128 kbit/s MP3 of it) and Copper Sun, not yet fingerprinted."""
    paths = DataPaths(tmp_path / "data").ensure()
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(paths.root))
    monkeypatch.delenv("MUSICSYNC_FORMATS", raising=False)
    store = Store(paths.database)
    mp3 = tmp_path / "harbour-128k.mp3"
    subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-i", str(audio_set["aac"].path), "-b:a", "128k", str(mp3)],
                   check=True)
    for key, source, title in (("sc-1", audio_set["aac"].path, "Harbour Lights"),
                               ("sp-2", mp3, "Harbour Lights (rip)"), ("file-3", audio_set["mp3"].path, "Copper Sun")):
        store.register_track(key, "file", f"https://example.com/{key}", source_id=key)
        store.update_track(key, title=title, artists=["Tidal State"], status="synced")
        path = shutil.copy(source, paths.library / f"{key}{source.suffix}")
        store.save_file(FileRecord(key, "m4a", str(path), "aac", 44100, 2, 12.0, 1, "encode", "d"))
        if key != "file-3":
            duplicates.save_fingerprint(store, key, fingerprint_file(source))
    return paths


def test_duplicates_lists_the_same_recording_and_what_was_not_heard(library, capsys):
    assert run("duplicates", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert [[entry["track_key"] for entry in group] for group in listing["groups"]] == [["sc-1", "sp-2"]]
    assert listing["not_fingerprinted"] == ["file-3"] and listing["merged"] == []
    assert run("duplicates") == 0
    text = capsys.readouterr().out
    assert "1. the same recording:" in text and "Tidal State - Harbour Lights (rip)" in text
    assert "1 synced tracks have no fingerprint yet" in text


def test_export_rekordbox_writes_the_file_and_reports_what_is_missing(library, tmp_path, capsys):
    (library.library / "file-3.mp3").unlink()
    assert run("export", "rekordbox", str(tmp_path / "out" / "musicsync.xml")) == 0
    captured = capsys.readouterr()
    assert "2 tracks written to" in captured.out and "1 left out because their files are gone" in captured.out
    assert "missing: file-3" in captured.err
    assert (tmp_path / "out" / "musicsync.xml").read_text(encoding="utf-8").count("<TRACK TrackID=") == 2
