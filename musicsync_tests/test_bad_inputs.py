"""Bad input: a clear one-line reason, nothing half-written, the other tracks unharmed, and a resume."""

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from musicsync_assets.lib.services.download import explain_failure, fetch_image
from musicsync_tests.conftest import copy_into, url_of
from musicsync_tests.fakes.audio_server import serve_folder
from musicsync_tests.harness import sync_tracks


def assert_failed(music, result, error_class: str, words: str) -> None:
    assert not result.ok
    assert words in result.reason, result.reason
    assert "—" in result.reason, "every reason says what to do next"
    track = music.store.track(result.track_key)
    assert (track.status, track.error_class) == ("failed", error_class)
    [run] = [r for r in music.store.runs() if r.run_id == result.run_id]
    assert (run.status, run.error_class) == ("FAILURE", error_class)
    assert words in run.error_message
    assert music.store.files(result.track_key) == []


def library_litter(music) -> list[Path]:
    """Anything in the library or the scratch folder that is not a finished, catalogued file."""
    catalogued = {f.path for t in music.store.tracks() for f in music.store.files(t.track_key)}
    found = [p for p in music.paths.library.rglob("*") if p.is_file() and str(p) not in catalogued]
    return found + [p for p in music.paths.scratch.rglob("*") if p.is_file()]


@pytest.mark.parametrize(("name", "error_class", "words"), [
    ("not_audio", "not_audio", "is not an audio file"),
    ("truncated", "corrupt_audio", "truncated"),
    ("damaged_m4a", "corrupt_audio", "cannot be read"),
    ("silent", "silent_audio", "silent"),
    ("short", "too_short", "2.0 s"),
])
def test_bad_files_fail_with_a_reason(resources, music, instance, audio_set, name, error_class, words):
    [result] = sync_tracks(instance, resources, [str(audio_set[name].path)])
    assert_failed(music, result, error_class, words)
    # Named as the user knows the file, never by the library's copy of it (`file-….mp3`).
    assert result.track_key not in music.store.track(result.track_key).error_message
    assert library_litter(music) == []
    # No check ran on the track, so none shows on it: not failed, not "execution failed".
    for asset, check in (("track_files", "audio_formats_valid"), ("track_files", "tags_complete"),
                         ("track_analysis", "analysis_plausible"), ("library_entry", "not_a_duplicate")):
        key = dg.AssetCheckKey(dg.AssetKey(asset), check)
        assert instance.event_log_storage.get_asset_check_execution_history(key, limit=5) == [], check


def test_a_url_that_answers_404(resources, music, instance, audio_url):
    [result] = sync_tracks(instance, resources, [f"{audio_url}/gone/missing.mp3"])
    assert_failed(music, result, "download_failed", "404")
    assert next(r for r in music.store.runs() if r.run_id == result.run_id).failed_step == "track_metadata"


def test_a_url_that_is_not_audio(resources, music, instance, audio_url):
    [result] = sync_tracks(instance, resources, [f"{audio_url}/page.html"])
    assert_failed(music, result, "not_audio", "holds no audio")


def test_a_missing_path_is_refused_before_any_run(resources, music, instance, tmp_path):
    [result] = sync_tracks(instance, resources, [str(tmp_path / "nowhere.mp3")])
    assert not result.ok and result.run_id is None and "does not exist" in result.reason


def test_one_bad_track_does_not_stop_the_others(resources, music, instance, audio_set, audio_url, audio_root):
    sources = [str(audio_set["not_audio"].path), f"{audio_url}/gone.wav",
               url_of(audio_url, audio_root, audio_set["opus"])]
    results = sync_tracks(instance, resources, sources)
    assert [r.ok for r in results] == [False, False, True]
    assert music.store.track(results[2].track_key).status == "synced"


def test_a_url_that_refuses_access_says_so_in_one_readable_line(resources, music, instance, audio_url):
    [result] = sync_tracks(instance, resources, [f"{audio_url}/private/song.mp3"])
    assert_failed(music, result, "download_failed", "refused access (401 Unauthorized) — the track may be private")


def test_a_dead_url_resumes_once_it_answers(resources, music, instance, audio_set, tmp_path):
    served = tmp_path / "site"
    served.mkdir()
    with serve_folder(served) as base:
        url = f"{base}/later.opus"
        [first] = sync_tracks(instance, resources, [url])
        assert not first.ok
        copy_into(served, audio_set["opus"], "later.opus")
        [second] = sync_tracks(instance, resources, [url])
    assert second.ok and second.track_key == first.track_key
    assert music.store.track(first.track_key).status == "synced"


def test_a_url_nothing_answers_at_says_so_once_and_how_it_heals(resources, music, instance):
    url = "http://127.0.0.1:9/gone.mp3"  # the discard port: nothing listens there
    [result] = sync_tracks(instance, resources, [url])
    assert not result.ok
    assert result.reason == f"{url} could not be reached for now (Connection refused) — musicsync tries again " \
                            "by itself while `dagster dev` runs, waiting longer each time; or sync it again later"


def test_a_library_path_that_cannot_be_written(resources, music, instance, audio_set):
    music.paths.root.mkdir(parents=True)
    music.paths.library.write_text("a file where the library folder should be")
    [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert_failed(music, result, "disk", "cannot write in")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_read_only_library_folder(resources, music, instance, audio_set):
    music.paths.ensure()
    music.paths.library.chmod(0o500)
    try:
        [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    finally:
        music.paths.library.chmod(0o700)
    assert_failed(music, result, "disk", "cannot write in")


def test_a_write_that_fails_half_way_resumes_without_redoing_work(resources, music, instance, audio_set):
    music.paths.ensure()
    blocker = music.paths.library / "aiff"
    blocker.write_text("in the way of the AIFF folder")
    [failed] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert_failed_partially = music.store.track(failed.track_key)
    assert not failed.ok and assert_failed_partially.error_class == "disk"
    written = {f.format: Path(f.path).stat().st_mtime_ns for f in music.store.files(failed.track_key)}
    assert set(written) == {"m4a", "wav"}
    assert [p for p in library_litter(music) if p != blocker] == []
    analysed = music.store.query("SELECT analyzed_at FROM analysis")[1]

    blocker.unlink()
    [resumed] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert resumed.ok
    files = {f.format: f for f in music.store.files(resumed.track_key)}
    assert set(files) == {"m4a", "wav", "aiff"}
    assert {fmt: Path(files[fmt].path).stat().st_mtime_ns for fmt in written} == written
    assert music.store.query("SELECT analyzed_at FROM analysis")[1] == analysed


def test_collisions_never_overwrite_another_track(resources, music, instance, audio_set, tmp_path):
    """Two different recordings with the same artist and title get numbered names."""
    original = audio_set["mp3"].path
    twin = tmp_path / original.name
    shutil.copy(audio_set["aac"].path, tmp_path / "twin.m4a")
    from musicsync_assets.lib.audio.tags import read_tags, write_tags

    write_tags(tmp_path / "twin.m4a", read_tags(original))
    results = sync_tracks(instance, resources, [str(original), str(tmp_path / "twin.m4a")])
    assert all(r.ok for r in results)
    wavs = sorted(Path(f.path).name for r in results for f in music.store.files(r.track_key) if f.format == "wav")
    assert wavs == ["Lumen Drive - Copper Sun (2).wav", "Lumen Drive - Copper Sun.wav"]
    assert not twin.exists()


def test_artwork_out_of_reach_is_one_short_warning(caplog, audio_url):
    """Artwork is a nicety: no image, one line saying why, and the track goes on."""
    assert fetch_image("http://127.0.0.1:9/cover.jpg", timeout_s=2) is None
    assert fetch_image(f"{audio_url}/no-such-cover.jpg") is None
    warnings = [record.getMessage() for record in caplog.records if "artwork" in record.getMessage()]
    assert warnings == ["artwork http://127.0.0.1:9/cover.jpg not fetched (ConnectionError); the track goes on without it",
                        f"artwork {audio_url}/no-such-cover.jpg not fetched (HTTP 404); the track goes on without it"]


@pytest.mark.parametrize(("message", "error_class"), [
    ("Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution>",
     "service_unavailable"),
    ("Unable to download webpage: <urlopen error [Errno 8] nodename nor servname provided, or not known>",
     "service_unavailable"),
    ("Unable to download webpage: <urlopen error [Errno 11001] getaddrinfo failed>", "service_unavailable"),
    ("Unable to download webpage: <urlopen error [Errno 101] Network is unreachable>", "service_unavailable"),
    ("Unable to download webpage: HTTP Error 401: Unauthorized (caused by <HTTPError 401: Unauthorized>)",
     "download_failed"),
])
def test_yt_dlp_errors_are_classed_as_what_they_mean(message, error_class):
    """yt-dlp's own wording, as each OS puts a failed name lookup: offline heals, refused does not."""
    assert explain_failure("https://example.com/t", Exception(f"ERROR: {message}")).error_class == error_class
