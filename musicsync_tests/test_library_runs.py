"""Eagle and duplicates inside the track runs: an Eagle item per synced track (queued, not failed,
while the app is closed, then drained by its sensor), a second copy of a recording flagged by the
run's own check and settled by the `library` asset, which also rewrites the playlists."""

import shutil
from pathlib import Path

import dagster as dg

from musicsync_assets.defs.eagle.assets import eagle_queue_sensor
from musicsync_assets.defs.insights.library import library
from musicsync_assets.defs.resources import build_resources
from musicsync_assets.defs.run_summaries import record_run, summarise_run
from musicsync_assets.lib.audio import codec, demo
from musicsync_tests.conftest import library_resources
from musicsync_tests.fakes.eagle_server import FakeEagle, serve_eagle
from musicsync_tests.harness import sync_tracks, track_definitions


def latest(instance: dg.DagsterInstance, asset: str, partition: str | None = None):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None),
        limit=1).records
    return records[0].asset_materialization if records else None


def test_each_synced_track_becomes_one_eagle_item_and_waits_while_the_app_is_closed(tmp_path, instance, audio_set):
    fake = FakeEagle()
    with serve_eagle(fake) as (_, base):
        resources = library_resources(tmp_path / "data", eagle={"url": base, "folder": "DJ crate"})
        [first] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
        again = sync_tracks(instance, resources, [first.track_key])  # a second sync adopts, never re-imports
    assert first.ok and again[0].ok
    assert len(fake.items) == 1 and [f["name"] for f in fake.folders] == ["DJ crate"]
    item = fake.items[0]
    assert item["name"] == "Lumen Drive - Copper Sun" and "128 BPM" in item["tags"] and "7B" in item["tags"]
    assert latest(instance, "eagle_item", first.track_key).metadata["eagle item"].value == item["id"]

    closed = library_resources(tmp_path / "data", eagle={"url": base, "folder": "DJ crate"})  # the port is gone
    [second] = sync_tracks(instance, closed, [str(audio_set["flac"].path)])
    assert second.ok, "a closed Eagle does not fail the track"
    assert latest(instance, "eagle_item", second.track_key) is None, "queued is not imported"
    store = closed["music_library"].store
    assert [q["track_key"] for q in store.eagle_queue()] == [second.track_key]

    with serve_eagle(fake) as (_, reopened):
        back = library_resources(tmp_path / "data", eagle={"url": reopened, "folder": "DJ crate"})
        context = dg.build_sensor_context(instance=instance, resources=back)
        result = eagle_queue_sensor(context)
    assert "imported 1, 0 still waiting" in result.skip_message
    assert len(fake.items) == 2 and store.eagle_queue() == []
    assert latest(instance, "eagle_item", second.track_key).metadata["status"].value == "imported"


def test_a_second_copy_is_flagged_by_its_run_and_settled_by_the_library(tmp_path, instance, audio_set):
    resources = build_resources(notion={}, soundcloud={}, spotify={}, eagle={}, data_dir=str(tmp_path / "data"),
                                duplicate_policy="keep_existing")
    music = resources["music_library"]
    reencoded = tmp_path / "Copper Sun (128k).m4a"
    pcm = codec.decode(audio_set["mp3"].path, 44100, 2)
    shutil.copy(audio_set["mp3"].path, tmp_path / "original.mp3")
    demo.write_audio(pcm.astype("float32") / 32768, reencoded, "m4a")

    [kept, copy] = sync_tracks(instance, resources, [str(tmp_path / "original.mp3"), str(reencoded)])
    assert kept.ok and copy.ok and kept.track_key != copy.track_key
    checks = {e.dagster_event.event_specific_data.partition: e.dagster_event.event_specific_data
              for run in (kept, copy)
              for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
              if e.dagster_event.event_specific_data.check_name == "not_a_duplicate"}
    assert checks[kept.track_key].passed
    assert not checks[copy.track_key].passed and "same recording" in checks[copy.track_key].description
    assert checks[copy.track_key].metadata["duplicate_of"].value == kept.track_key

    result = dg.materialize([library], resources=resources, instance=instance)
    assert result.success
    store = music.store
    assert [t.track_key for t in store.tracks()] == [kept.track_key]
    assert {s["kind"] for s in store.sources_of(kept.track_key)} == {"file"} and len(
        store.sources_of(kept.track_key)) == 2, "both copies' sources stay on the one entry"
    trashed = list((music.paths.root / "trash").rglob("*.m4a"))
    assert trashed, "what the duplicate policy replaced is in the trash, not deleted"
    table = latest(instance, "library").metadata["tracks"].value
    assert [row.data["title"] for row in table.records] == ["Copper Sun"]

    playlist = music.paths.playlists / "All tracks.m3u8"
    lines = playlist.read_text().splitlines()
    assert lines[0] == "#EXTM3U" and any(line.startswith("#EXTINF:") for line in lines)
    entries = [line for line in lines if line and not line.startswith("#")]
    assert len(entries) == 1 and (playlist.parent / entries[0]).resolve().is_file()
    assert Path(store.files(kept.track_key)[0].path).is_file()


def test_when_the_new_copy_wins_the_entry_keeps_its_name_and_asks_for_a_render(tmp_path, instance, audio_set):
    resources = build_resources(notion={}, soundcloud={}, spotify={}, eagle={}, data_dir=str(tmp_path / "data"),
                                duplicate_policy="keep_new")
    store = resources["music_library"].store
    lossless = tmp_path / "rip.flac"
    demo.write_audio(codec.decode(audio_set["mp3"].path, 44100, 2).astype("float32") / 32768, lossless, "flac")
    [kept, copy] = sync_tracks(instance, resources, [str(audio_set["mp3"].path), str(lossless)])
    assert kept.ok and copy.ok

    result = dg.materialize([library], resources=resources, instance=instance)
    entry = store.track(kept.track_key)
    assert (entry.title, entry.artists, entry.status) == ("Copper Sun", ["Lumen Drive"], "pending")
    assert entry.source_url == str(lossless) and store.track(copy.track_key) is None
    assert {s["kind"] for s in store.sources_of(kept.track_key)} == {"file"}  # both files, nothing invented
    run = instance.get_run_by_id(result.run_id)
    assert run.tags["musicsync/track_keys"] == kept.track_key  # requested_tracks_sensor renders it again

    [rendered] = sync_tracks(instance, resources, [kept.track_key])
    assert rendered.ok and store.track(kept.track_key).title == "Copper Sun"
    assert store.original(kept.track_key).codec == "flac"


def test_an_unexpected_error_is_summarised_once_by_its_class(instance):
    """A step that raised something musicsync did not foresee: the run history says the error's
    class once, then its message, as the command line and the Notion task show it."""
    @dg.op
    def encode_a_title():
        "東京".encode("latin-1")

    @dg.job
    def breaks():
        encode_a_title()

    result = breaks.execute_in_process(instance=instance, raise_on_error=False)
    summary = summarise_run(instance, result.run_id)
    assert summary.error_class == "UnicodeEncodeError"
    assert summary.error_message.startswith("UnicodeEncodeError: 'latin-1' codec can't encode")
    assert summary.error_message.count("UnicodeEncodeError") == 1


def test_a_run_that_died_leaves_its_track_to_the_healing_not_pending_for_ever(tmp_path, instance):
    """A run worker killed mid-render (out of memory, say) fails the run with no step failing, so
    nothing was recorded on the track: the run history records it as failed on something that may
    heal, which the healing sensor then retries."""
    resources = library_resources(tmp_path / "data")
    store = resources["music_library"].store
    store.register_track("url-killed", "url", "https://example.com/k.mp3", "k")
    job = track_definitions(resources).resolve_job_def("sync_track")
    run = instance.create_run_for_job(job_def=job, tags={"dagster/partition": "url-killed"})
    instance.report_run_failed(run)
    summary = record_run(instance, run.run_id, store)
    assert (summary.error_class, summary.failed_step) == ("run_died", None)
    track = store.track("url-killed")
    assert (track.status, track.error_class, track.attempts) == ("failed", "run_died", 1)
    assert track.retry_at is not None and "killed" in track.error_message
