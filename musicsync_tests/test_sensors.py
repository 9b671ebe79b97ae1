"""The inbox sensor across ticks, and the run-history sensors, through Dagster's own evaluation."""

import json
import os
import time

import dagster as dg

from musicsync_assets.defs.insights.run_history import run_history_failure, run_history_success
from musicsync_assets.defs.sources.inbox import MAX_RUNS_PER_TICK, inbox_sensor
from musicsync_assets.lib.pipeline.sources import identify
from musicsync_tests.conftest import copy_into
from musicsync_tests.harness import sync_tracks, track_definitions


def settle(*paths) -> None:
    """Backdates files so the sensor takes them as fully copied."""
    past = time.time() - 60
    for path in paths:
        os.utime(path, (past, past))


def tick(instance, resources, cursor=None) -> dg.SensorResult:
    definitions = track_definitions(resources, sensors=[inbox_sensor])
    # With an instance_ref, as the daemon has, the tick's own partition requests count when its
    # run requests are validated.
    context = dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), cursor=cursor,
                                      definitions=definitions, resources=resources)
    return inbox_sensor.evaluate_tick(context)


def test_new_files_become_runs_once(resources, music, instance, audio_set):
    inbox = music.paths.ensure().inbox
    first = copy_into(inbox, audio_set["aac"])
    second = copy_into(inbox / "from phone", audio_set["mp3"])
    settle(first, second)

    result = tick(instance, resources)
    keys = [request.partition_key for request in result.run_requests]
    assert len(keys) == 2 and all(k.startswith("file-") for k in keys)
    assert [r.run_key for r in result.run_requests] == keys
    assert sorted(result.dynamic_partitions_requests[0].partition_keys) == sorted(keys)
    assert {music.store.track(k).status for k in keys} == {"pending"}

    quiet = tick(instance, resources, result.cursor)
    assert quiet.run_requests == []

    third = copy_into(inbox, audio_set["flac"])
    fresh = copy_into(inbox, audio_set["opus"])  # still being copied: too new to take
    settle(third)
    later = tick(instance, resources, quiet.cursor)
    assert [r.partition_key for r in later.run_requests] == [identify(str(third)).track_key]
    assert str(fresh) not in json.loads(later.cursor)


def test_a_copy_of_a_synced_file_starts_nothing(resources, music, instance, audio_set):
    [done] = sync_tracks(instance, resources, [str(audio_set["opus"].path)])
    assert done.ok
    duplicate = copy_into(music.paths.ensure().inbox, audio_set["opus"], "same song again.opus")
    settle(duplicate)
    assert tick(instance, resources).run_requests == []


def test_a_large_drop_is_spread_over_ticks(resources, music, instance):
    inbox = music.paths.ensure().inbox
    files = []
    for n in range(MAX_RUNS_PER_TICK + 5):
        path = inbox / f"track {n:02d}.mp3"
        path.write_bytes(b"ID3" + n.to_bytes(2, "big") * 100)
        files.append(path)
    settle(*files)
    first = tick(instance, resources)
    second = tick(instance, resources, first.cursor)
    assert len(first.run_requests) == MAX_RUNS_PER_TICK and len(second.run_requests) == 5
    assert not {r.partition_key for r in first.run_requests} & {r.partition_key for r in second.run_requests}


def test_run_history_sensors_record_success_and_failure(resources, music, instance, audio_set):
    [good, bad] = sync_tracks(instance, resources, [str(audio_set["opus"].path), str(audio_set["short"].path)])
    with music.store.session():
        music.store.query("DELETE FROM runs")
    for result, sensor in ((good, run_history_success), (bad, run_history_failure)):
        run = instance.get_run_by_id(result.run_id)
        status_event = next(e for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.event_type
                            in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE))
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=run,
            dagster_event=status_event.dagster_event, resources={"music_library": music})
        sensor(context.for_run_failure() if sensor is run_history_failure else context)
    runs = {r.run_id: r for r in music.store.runs()}
    assert runs[good.run_id].status == "SUCCESS" and runs[good.run_id].track_keys == [good.track_key]
    assert (runs[bad.run_id].status, runs[bad.run_id].error_class, runs[bad.run_id].failed_step) == (
        "FAILURE", "too_short", "track_audio")
