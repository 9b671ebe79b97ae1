"""Duplicates by sound on real synthesised audio: re-encodes, a 128 kbit/s MP3 and a trimmed copy are
found; different recordings (one under the same title) are not; the policy and the trash."""

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from musicsync_assets.lib.audio import codec, demo
from musicsync_assets.lib.audio.fingerprint import (
    FINGERPRINT_VERSION,
    MATCH_BER,
    FingerprintIndex,
    fingerprint_file,
)
from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.catalog import duplicates, trash
from musicsync_assets.lib.catalog.paths import DataPaths
from musicsync_assets.lib.catalog.store import FileRecord, OriginalRecord, Store
from musicsync_assets.lib.errors import SilentAudio, TooShort


def _ffmpeg(*args: str) -> None:
    subprocess.run([codec.ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, Path]:
    """One recording four ways, and three other recordings."""
    folder = tmp_path_factory.mktemp("versions")
    original = demo.render(124.0, parse_key("A minor"), 30, seed=21)
    files = {"wav": demo.write_audio(original, folder / "harbour.wav", "wav"),
             "m4a": demo.write_audio(original, folder / "harbour.m4a", "m4a")}
    files["mp3_128k"] = folder / "harbour-128k.mp3"
    _ffmpeg("-i", str(files["wav"]), "-c:a", "libmp3lame", "-b:a", "128k", str(files["mp3_128k"]))
    # 3 s and a fraction of a fingerprint frame cut from the start of the MP3, then re-encoded.
    files["trimmed"] = folder / "harbour-trimmed.m4a"
    _ffmpeg("-ss", "3.023", "-i", str(files["mp3_128k"]), "-c:a", "aac", "-b:a", "160k", str(files["trimmed"]))
    # Lossless, and worse: the first 20 s (a clip), and the whole of it downmixed to mono.
    files["clip"] = folder / "harbour-clip.flac"
    _ffmpeg("-i", str(files["wav"]), "-t", "20", str(files["clip"]))
    files["mono"] = folder / "harbour-mono.wav"
    _ffmpeg("-i", str(files["wav"]), "-ac", "1", "-ar", "48000", str(files["mono"]))
    # Lossy and 2 s longer: an upload with a little silence before the music.
    files["longer"] = folder / "harbour-longer.m4a"
    _ffmpeg("-i", str(files["wav"]), "-af", "adelay=2000:all=1", "-c:a", "aac", "-b:a", "128k", str(files["longer"]))
    # The hardest different recording: same key, tempo and chords, another drum pattern.
    files["same_chords"] = demo.write_audio(demo.render(124.0, parse_key("A minor"), 30, seed=22,
                                                        groove="techno"), folder / "harbour-techno.wav", "wav")
    files["other_key"] = demo.write_audio(demo.render(124.0, parse_key("C major"), 30, seed=23),
                                          folder / "other-key.wav", "wav")
    files["other_tempo"] = demo.write_audio(demo.render(100.0, parse_key("E minor"), 30, seed=24,
                                                        groove="breakbeat"), folder / "other-tempo.wav", "wav")
    return files


@pytest.fixture(scope="module")
def prints(versions):
    return {name: fingerprint_file(path) for name, path in versions.items()}


@pytest.mark.parametrize("copy", ["m4a", "mp3_128k", "trimmed"])
def test_the_same_recording_is_found_across_encodes_and_trims(prints, copy):
    index = FingerprintIndex((name, prints[name]) for name in ("wav", "same_chords", "other_key", "other_tempo"))
    matches = index.search(prints[copy])
    assert [m.track_key for m in matches] == ["wav"]
    assert matches[0].bit_error_rate < MATCH_BER and matches[0].overlap_s >= 20


def test_the_trimmed_copy_is_found_the_other_way_round(prints):
    index = FingerprintIndex([("trimmed", prints["trimmed"]), ("other_key", prints["other_key"])])
    assert [m.track_key for m in index.search(prints["wav"])] == ["trimmed"]


@pytest.mark.parametrize("other", ["same_chords", "other_key", "other_tempo"])
def test_different_recordings_are_not_matched(prints, other):
    index = FingerprintIndex((name, prints[name]) for name in ("wav", "m4a", "mp3_128k", "trimmed"))
    assert index.search(prints[other]) == []


def test_too_short_and_silent_audio_cannot_be_fingerprinted(audio_set):
    with pytest.raises(TooShort, match="blip.wav lasts 2.0 s: too short to fingerprint"):
        fingerprint_file(audio_set["short"].path)
    with pytest.raises(SilentAudio, match="silence.wav is silent"):
        fingerprint_file(audio_set["silent"].path)


# --- in the catalog ---------------------------------------------------------------------------

def _add(store: Store, paths: DataPaths, key: str, path: Path, title: str, prints=None) -> None:
    """A synced track whose original and one library file musicsync made from `path`."""
    store.register_track(key, "file", str(path), source_id=key)
    described = codec.probe(path)
    store.update_track(key, title=title, artists=["Tidal State"], duration_s=described.duration_s, status="synced")
    original = paths.originals / f"{key}{path.suffix}"
    library_file = paths.library / "m4a" / f"Tidal State - {title} ({key}).m4a"
    for made in (original, library_file):
        made.parent.mkdir(parents=True, exist_ok=True)
        made.write_bytes(path.read_bytes())
    store.save_original(OriginalRecord(key, str(original), "sha", original.stat().st_size, described.container,
                                       described.codec, described.sample_rate, described.channels,
                                       described.duration_s))
    store.save_file(FileRecord(key, "m4a", str(library_file), "aac", 44100, 2, 30.0, 1, "encode", "digest"))
    if prints is not None:
        duplicates.save_fingerprint(store, key, prints)


@pytest.fixture
def catalog(tmp_path):
    paths = DataPaths(tmp_path / "data").ensure()
    return Store(paths.database), paths


def test_same_title_different_recording_is_not_a_duplicate_but_a_re_encode_is(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-techno", versions["same_chords"], "Harbour Lights", prints["same_chords"])
    assert duplicates.find_duplicate(store, "file-techno", duplicates.load_index(store)) is None
    _add(store, paths, "file-mp3", versions["mp3_128k"], "Harbour Lights (radio rip)", prints["mp3_128k"])
    found = duplicates.find_duplicate(store, "file-mp3", duplicates.load_index(store))
    assert (found.duplicate_of, found.reason) == ("file-wav", "sound")
    assert "fingerprints agree" in found.describe()
    assert duplicates.duplicate_groups(store) == [["file-mp3", "file-wav"]]
    # A trimmed copy, as the duplicate check sees it: fingerprinted from its audio and kept.
    _add(store, paths, "file-trim", versions["trimmed"], "Harbour Lights (edit)")
    fresh = duplicates.fingerprint_track(store, "file-trim", versions["trimmed"])
    found = duplicates.find_duplicate(store, "file-trim", duplicates.load_index(store), fresh)
    assert found.duplicate_of in {"file-wav", "file-mp3"} and store.fingerprinted(FINGERPRINT_VERSION) >= {"file-trim"}


def test_only_library_entries_count_not_tracks_that_failed(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-m4a", versions["m4a"], "Harbour Lights", prints["m4a"])
    store.mark_failed("file-wav", "download_failed", "gone")
    assert duplicates.find_duplicate(store, "file-m4a", duplicates.load_index(store)) is None


def test_without_a_fingerprint_isrc_and_name_decide(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-new", versions["m4a"], "Harbour Lights (feat. Nobody)")
    found = duplicates.find_duplicate(store, "file-new", duplicates.load_index(store))
    assert (found.duplicate_of, found.reason) == ("file-wav", "isrc-or-name")


def test_keep_better_replaces_a_lossy_entry_with_the_lossless_copy(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-mp3", versions["mp3_128k"], "Harbour Lights", prints["mp3_128k"])
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    old_files = [Path(store.files("file-mp3")[0].path), Path(store.original("file-mp3").path),
                 Path(store.files("file-wav")[0].path), Path(store.original("file-wav").path)]
    found = duplicates.find_duplicate(store, "file-wav", duplicates.load_index(store))
    outcome = duplicates.resolve(store, paths, found, today=date(2026, 11, 30))

    assert (outcome.kept, outcome.audio_from, outcome.needs_render) == ("file-mp3", "file-wav", True)
    assert store.track("file-wav") is None
    kept = store.track("file-mp3")
    assert (kept.source_url, kept.status) == (str(versions["wav"]), "pending")
    assert {s["source_id"] for s in store.sources_of("file-mp3")} >= {"file-mp3", "file-wav"}
    assert all(not path.exists() for path in old_files)
    assert len(outcome.trashed) == 4 and all(p.is_file() for p in outcome.trashed)
    assert all("purge-after-2026-12-30" in str(p) for p in outcome.trashed)
    assert store.duplicates()[0]["detail"]["audio_from"] == "file-wav"


def test_keep_better_keeps_the_entry_when_the_new_copy_is_worse(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-mp3", versions["mp3_128k"], "Harbour Lights", prints["mp3_128k"])
    kept_file = Path(store.files("file-wav")[0].path)
    found = duplicates.find_duplicate(store, "file-mp3", duplicates.load_index(store))
    outcome = duplicates.resolve(store, paths, found)
    assert (outcome.kept, outcome.needs_render) == ("file-wav", False)
    assert kept_file.is_file() and store.track("file-wav").status == "synced"
    assert len(outcome.trashed) == 2 and store.track("file-mp3") is None


def test_keep_better_takes_lossless_over_a_lossy_upload_a_few_seconds_longer(catalog, versions, prints):
    """A video's upload carries an intro: a little longer is the same recording, not a fuller one."""
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-long", versions["longer"], "Harbour Lights", prints["longer"])
    found = duplicates.find_duplicate(store, "file-long", duplicates.load_index(store))
    outcome = duplicates.resolve(store, paths, found)
    assert (outcome.kept, outcome.audio_from) == ("file-wav", "file-wav")


@pytest.mark.parametrize("worse", ["clip", "mono"])
def test_keep_better_never_swaps_the_whole_stereo_recording_for_a_lossless_clip_or_downmix(
        catalog, versions, prints, worse):
    store, paths = catalog
    _add(store, paths, "file-m4a", versions["m4a"], "Harbour Lights", prints["m4a"])
    _add(store, paths, f"file-{worse}", versions[worse], "Harbour Lights", prints[worse])
    found = duplicates.find_duplicate(store, f"file-{worse}", duplicates.load_index(store))
    outcome = duplicates.resolve(store, paths, found)
    assert (outcome.kept, outcome.audio_from, outcome.needs_render) == ("file-m4a", "file-m4a", False)
    assert store.track("file-m4a").source_url == str(versions["m4a"])


def test_flag_only_changes_nothing_and_unknown_policies_are_refused(catalog, versions, prints):
    store, paths = catalog
    _add(store, paths, "file-wav", versions["wav"], "Harbour Lights", prints["wav"])
    _add(store, paths, "file-m4a", versions["m4a"], "Harbour Lights", prints["m4a"])
    found = duplicates.find_duplicate(store, "file-m4a", duplicates.load_index(store))
    outcome = duplicates.resolve(store, paths, found, policy=duplicates.parse_policy("flag-only"))
    assert outcome.trashed == [] and store.track("file-m4a") is not None
    with pytest.raises(duplicates.UnknownPolicy, match="unknown duplicate policy 'delete'"):
        duplicates.parse_policy("delete")


def test_the_trash_moves_only_musicsyncs_files_and_purges_only_what_it_moved(tmp_path):
    paths = DataPaths(tmp_path / "data").ensure()
    ours = paths.library / "wav" / "Artist - Tïtle ∕ édit.wav"
    ours.parent.mkdir(parents=True)
    ours.write_bytes(b"ours")
    users = tmp_path / "Music" / "mine.wav"
    users.parent.mkdir()
    users.write_bytes(b"yours")
    today = date(2026, 11, 30)
    moved = trash.move_to_trash(paths, [ours, users], "duplicate of x", today)
    assert users.read_bytes() == b"yours" and not ours.exists()
    assert [p.read_bytes() for p in moved] == [b"ours"]
    dropped_in = moved[0].parent / "dropped by hand.txt"
    dropped_in.write_text("not musicsync's")

    assert trash.purge_trash(paths, today + timedelta(days=30)) == []
    assert trash.purge_trash(paths, today + timedelta(days=31)) == moved
    assert not moved[0].exists() and dropped_in.read_text() == "not musicsync's"
