"""The whole per-track pipeline on real audio: files in several containers and a URL yt-dlp downloads."""

from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import dagster as dg
import pytest
from mutagen.mp4 import MP4

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.audio.tags import TagSet, as_stored, read_tags
from musicsync_assets.lib.pipeline.stages import library_row, set_overrides
from musicsync_assets.lib.pipeline.verify import tag_problems
from musicsync_tests.conftest import library_resources, url_of
from musicsync_tests.harness import sync_tracks, track_definitions

TAGGED = ("aac", "mp3", "flac", "unicode")
TRACK_ASSETS = ("track_metadata", "track_audio", "track_analysis", "track_files", "library_entry")


@pytest.fixture(scope="module")
def synced(tmp_path_factory, audio_set, audio_url, audio_root):
    """One library synced from four files and one URL, shared by the assertions below."""
    resources = library_resources(tmp_path_factory.mktemp("library") / "data")
    music = resources["music_library"]
    sources = {name: str(audio_set[name].path) for name in TAGGED}
    sources["opus"] = url_of(audio_url, audio_root, audio_set["opus"])
    with dg.instance_for_test() as instance:
        results = sync_tracks(instance, resources, list(sources.values()))
        keys = {name: result.track_key for name, result in zip(sources, results, strict=True)}
        yield SimpleNamespace(resources=resources, music=music, store=music.store, instance=instance, results=results, keys=keys,
                              sources=sources)


def latest_metadata(instance: dg.DagsterInstance, asset: str, partition: str) -> dict:
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
    ).records
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


def test_every_track_syncs(synced):
    assert [(r.ok, r.reason) for r in synced.results] == [(True, None)] * 5
    assert {t.status for t in synced.store.tracks()} == {"synced"}
    assert synced.keys["opus"].startswith("url-")
    assert all(synced.keys[name].startswith("file-") for name in TAGGED)


def test_files_decode_with_the_configured_format(synced):
    for key in synced.keys.values():
        original = synced.store.original(key)
        files = {f.format: f for f in synced.store.files(key)}
        assert set(files) == {"m4a", "wav", "aiff"}
        for fmt, record in files.items():
            path = Path(record.path)
            assert path.parent == synced.music.paths.library / fmt
            described = codec.probe(path)
            assert (described.codec, described.sample_rate, described.channels) == (
                codec.EXPECTED_CODEC[fmt], 44100, 2)
            assert codec.decoded_duration(path) == pytest.approx(original.duration_s, rel=0.01)


def test_aac_sources_are_copied_not_reencoded(synced):
    files = {f.format: f for f in synced.store.files(synced.keys["aac"])}
    assert files["m4a"].encoding == "copy"
    assert {f.encoding for f in synced.store.files(synced.keys["mp3"])} == {"encode"}
    assert latest_metadata(synced.instance, "track_files", synced.keys["aac"])["m4a_copied_without_re_encoding"] is True


def test_analysis_finds_the_synthesised_tempo_and_key(synced, audio_set):
    for name, key in synced.keys.items():
        analysis = synced.store.analysis(key)
        assert analysis.bpm == pytest.approx(audio_set[name].bpm, abs=0.5), name
        assert analysis.key_name == audio_set[name].key.name, name
        assert analysis.camelot == audio_set[name].key.camelot
        assert analysis.loudness_lufs is not None and -40 < analysis.loudness_lufs < 0


def test_tags_read_back_from_every_format(synced, audio_set):
    for name, key in synced.keys.items():
        sample, analysis = audio_set[name], synced.store.analysis(key)
        musical_key = parse_key(analysis.key_name)
        for record in synced.store.files(key):
            tags = read_tags(Path(record.path))
            assert tags.title == sample.title, (name, record.format)
            assert tags.bpm == round(sample.bpm)
            assert tags.key == musical_key.short
            assert musical_key.camelot in tags.comment and tags.camelot == musical_key.camelot
            if sample.artist:
                assert tags.artists == [sample.artist]
            if name in ("aac", "mp3", "flac"):
                assert tags.album == "musicsync demo" and tags.year == 2026
                assert tags.artwork and tags.artwork.startswith(b"\x89PNG")
    url_tags = read_tags(Path(synced.store.files(synced.keys["opus"])[0].path))
    assert url_tags.source_url == synced.sources["opus"]


def test_file_names_are_safe_and_keep_unicode(synced):
    names = {Path(f.path).name for key in synced.keys.values() for f in synced.store.files(key)}
    assert 'Sigur Rós - Hoppípolla _live_ ∕ édit.wav' in names
    assert "Åsa Ström - Glass - Steel _Dub_.aiff" in names


def test_checks_pass_and_are_recorded(synced):
    _, rows = synced.store.query(
        "SELECT check_name, count(*), bool_and(passed) FROM check_results WHERE run_id IN ? GROUP BY check_name"
        " ORDER BY 1", [[result.run_id for result in synced.results]])
    assert rows == [("analysis_plausible", 5, True), ("audio_formats_valid", 5, True), ("tags_complete", 5, True)]
    # Each track's result is the current one for its files, as the UI's partition view reads it.
    check_keys = [dg.AssetCheckKey(dg.AssetKey(asset), name) for asset, name in (
        ("track_files", "audio_formats_valid"), ("track_files", "tags_complete"),
        ("track_analysis", "analysis_plausible"), ("library_entry", "not_a_duplicate"))]
    infos = synced.instance.event_log_storage.get_asset_check_partition_info(
        check_keys, partition_keys=list(synced.keys.values()))
    assert {(i.check_key.name, i.partition_key) for i in infos} == {
        (k.name, key) for k in check_keys for key in synced.keys.values()}
    assert all(i.latest_execution_status.value == "SUCCEEDED" and i.is_current for i in infos)


def test_run_history_has_a_row_per_run(synced):
    runs = synced.store.runs()
    assert sorted(k for run in runs for k in run.track_keys) == sorted(synced.keys.values())
    assert {(r.job, r.status) for r in runs} == {("sync_track", "SUCCESS")}
    assert all(r.duration_s and r.duration_s > 0 for r in runs)


def test_syncing_again_does_no_work_twice(synced):
    mtimes = {f.path: Path(f.path).stat().st_mtime_ns for key in synced.keys.values()
              for f in synced.store.files(key)}
    originals = {key: Path(synced.store.original(key).path).stat().st_mtime_ns for key in synced.keys.values()}
    again = sync_tracks(synced.instance, synced.resources, list(synced.sources.values()))
    assert all(r.ok for r in again)
    for key in synced.keys.values():
        for asset in TRACK_ASSETS:
            assert latest_metadata(synced.instance, asset, key)["status"] == "cached", (key, asset)
        assert Path(synced.store.original(key).path).stat().st_mtime_ns == originals[key]
    assert {f.path: Path(f.path).stat().st_mtime_ns for key in synced.keys.values()
            for f in synced.store.files(key)} == mtimes


def test_an_override_retags_without_reencoding(synced):
    key = synced.keys["mp3"]
    analysed_before = synced.store.query("SELECT analyzed_at FROM analysis WHERE track_key = ?", [key])[1]
    wav = next(f for f in synced.store.files(key) if f.format == "wav")
    set_overrides(synced.store, key, bpm=131.0, key="8A")
    [result] = sync_tracks(synced.instance, synced.resources, [key])  # a catalogued track, by its key
    assert result.ok
    [values] = synced.store.run_track_values(result.run_id)
    assert (values["bpm_override"], values["key_override"], values["key_estimate"]) == (131.0, "A minor", "F major")
    assert values["bpm_estimate"] == pytest.approx(128, abs=0.5)
    row = library_row(synced.store, key)
    assert (row["bpm"], row["key"], row["open_key"], set(row["overridden"])) == (131.0, "A minor", "1m", {"bpm", "key"})
    assert row["estimated"]["key"] == "F major"
    files_metadata = latest_metadata(synced.instance, "track_files", key)
    assert files_metadata["status"] == "done" and set(files_metadata["retagged"].split(", ")) == {"m4a", "wav", "aiff"}
    assert "written" not in files_metadata
    for record in synced.store.files(key):
        tags = read_tags(Path(record.path))
        assert (tags.bpm, tags.key, tags.camelot) == (131, "Am", "8A")
    assert synced.store.query("SELECT analyzed_at FROM analysis WHERE track_key = ?", [key])[1] == analysed_before
    assert Path(wav.path).stat().st_size == next(
        f for f in synced.store.files(key) if f.format == "wav").size_bytes
    assert synced.store.runs(1)[0].status == "SUCCESS"


def test_checks_run_alone_find_a_damaged_file_and_rewrite_nothing(synced):
    """The UI's "Execute checks" on a synced track reads what is on disk: a WAV cut short and an
    AIFF overwritten with something else fail `audio_formats_valid`, an M4A retitled by hand fails
    `tags_complete`, and none is re-encoded or retagged by the checking."""
    key = synced.keys["flac"]
    files = {f.format: Path(f.path) for f in synced.store.files(key)}
    kept = {fmt: path.read_bytes() for fmt, path in files.items()}
    try:
        files["wav"].write_bytes(kept["wav"][: len(kept["wav"]) // 2])
        files["aiff"].write_text("not audio any more")
        retitled = MP4(files["m4a"])
        retitled["\xa9nam"] = ["Someone Else's Title"]
        retitled.save()
        damaged = {fmt: path.read_bytes() for fmt, path in files.items()}
        job = track_definitions(synced.resources).resolve_job_def("sync_track")
        checks_only = job.get_subset(asset_selection=set(), asset_check_selection={
            dg.AssetCheckKey(dg.AssetKey(asset), name) for asset, name in (
                ("track_files", "audio_formats_valid"), ("track_files", "tags_complete"),
                ("track_analysis", "analysis_plausible"))})
        result = checks_only.execute_in_process(instance=synced.instance, raise_on_error=False,
                                                tags={"dagster/partition": key})
        evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert set(evaluations) == {"audio_formats_valid", "tags_complete", "analysis_plausible"}
        assert synced.instance.get_run_by_id(result.run_id).tags["musicsync/track"] == synced.store.label(key)
        assert {e.partition for e in evaluations.values()} == {key}
        assert not evaluations["audio_formats_valid"].passed
        described = evaluations["audio_formats_valid"].description
        assert "wav: " in described and "aiff: " in described, described
        assert not evaluations["tags_complete"].passed and "m4a" in evaluations["tags_complete"].description
        assert evaluations["tags_complete"].description.endswith(
            f"— sync the track again (`musicsync sync {key}`) to restore the tags")
        listed = evaluations["tags_complete"].metadata["problem list"].value
        assert listed.splitlines() == ["- aiff: no tags at all", "- m4a: title \"Someone Else's Title\", "
                                       "catalog 'Glass / Steel \"Dub\"'", "- wav: no tags at all", "",
                                       f"To put it right: sync the track again (`musicsync sync {key}`) to restore "
                                       "the tags"]
        assert evaluations["analysis_plausible"].passed
        assert result.get_asset_materialization_events() == []
        assert {fmt: path.read_bytes() for fmt, path in files.items()} == damaged
        _, rows = synced.store.query("SELECT check_name, passed FROM check_results WHERE run_id = ? ORDER BY 1",
                                     [result.run_id])
        assert rows == [("analysis_plausible", True), ("audio_formats_valid", False), ("tags_complete", False)]
    finally:
        for fmt, path in files.items():
            path.write_bytes(kept[fmt])


def test_syncing_again_repairs_a_file_cut_short_and_tags_changed_by_hand(synced):
    """What the checks find, a sync puts right: the WAV is written again, the M4A retitled in place
    (its padding keeps the size) gets musicsync's tags back, and nothing else is touched."""
    key = synced.keys["mp3"]
    files = {f.format: Path(f.path) for f in synced.store.files(key)}
    expected_title = read_tags(files["m4a"]).title
    aiff_before = files["aiff"].stat().st_mtime_ns
    files["wav"].write_bytes(files["wav"].read_bytes()[:100_000])
    retitled = MP4(files["m4a"])
    retitled["\xa9nam"] = ["Someone Else's Title"]
    retitled.save()
    [result] = sync_tracks(synced.instance, synced.resources, [synced.sources["mp3"]])
    assert result.ok
    files_metadata = latest_metadata(synced.instance, "track_files", key)
    assert (files_metadata["written"], files_metadata["retagged"]) == ("wav", "m4a")
    assert read_tags(files["m4a"]).title == expected_title
    assert codec.probe(files["wav"]).duration_s == pytest.approx(synced.store.original(key).duration_s, abs=0.05)
    assert files["aiff"].stat().st_mtime_ns == aiff_before
    assert tag_problems(synced.music.settings(), synced.store, key) == []


def test_checks_run_for_no_track_check_every_synced_track(synced):
    """The UI's "Execute all" on a partitioned check launches a run without a partition: each synced
    track gets its own result, on its own partition."""
    job = track_definitions(synced.resources).resolve_job_def("sync_track")
    checks_only = job.get_subset(asset_selection=set(), asset_check_selection={
        dg.AssetCheckKey(dg.AssetKey("track_files"), "audio_formats_valid")})
    result = checks_only.execute_in_process(instance=synced.instance, raise_on_error=False)
    assert result.success
    evaluations = [entry.dagster_event.event_specific_data for entry in synced.instance.all_logs(
        result.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert sorted(e.partition for e in evaluations) == sorted(synced.keys.values())
    assert {e.check_name for e in evaluations} == {"audio_formats_valid"} and all(e.passed for e in evaluations)


def test_a_link_pasted_with_characters_outside_latin_1_syncs(tmp_path, instance, audio_set, audio_url, audio_root):
    """As a browser's address bar shows it, not percent-encoded: the WAV and AIFF files' ID3 URL
    frame holds Latin-1 only."""
    url = f"{audio_url}/{audio_set['unicode'].path.relative_to(audio_root).as_posix()}"
    store = library_resources(tmp_path / "data")["music_library"].store
    [result] = sync_tracks(instance, library_resources(tmp_path / "data"), [url])
    assert result.ok, result.reason
    files = {record.format: Path(record.path) for record in store.files(result.track_key)}
    assert read_tags(files["m4a"]).source_url == url
    written = read_tags(files["wav"]).source_url
    assert written == read_tags(files["aiff"]).source_url == as_stored(TagSet(source_url=url), files["wav"]).source_url
    assert written.isascii() and unquote(written) == url
