"""Left running, musicsync heals itself: a failure that may pass is tried again by the healing
sensor once its wait is over, one that needs a person is left alone and named by `doctor`; a
source that fails is not shown as fine."""

import threading
from datetime import timedelta

import dagster as dg

from musicsync_assets.defs.resources import build_resources
from musicsync_assets.defs.sources.finders import find_new
from musicsync_assets.defs.sources.healing import healing_sensor
from musicsync_assets.lib import doctor
from musicsync_assets.lib.catalog.store import utcnow
from musicsync_assets.lib.errors import HEAL_FIRST_WAIT_S
from musicsync_tests.conftest import copy_into, library_resources
from musicsync_tests.fakes.audio_server import serve_folder
from musicsync_tests.harness import sync_tracks, track_definitions


def tick(instance, resources) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), resources=resources,
                                      definitions=track_definitions(resources, sensors=[healing_sensor]))
    return healing_sensor.evaluate_tick(context)


def test_a_track_that_failed_in_an_outage_syncs_by_itself_after_it(tmp_path, instance, audio_set):
    resources = build_resources(notion={}, soundcloud={}, spotify={}, eagle={}, data_dir=str(tmp_path / "data"),
                                in_run_retry_wait_s=0)
    store = resources["music_library"].store
    copy_into(tmp_path / "site", audio_set["opus"], "song.opus")
    outage = threading.Event()
    outage.set()
    with serve_folder(tmp_path / "site", outage) as base:
        [failed] = sync_tracks(instance, resources, [f"{base}/song.opus"])
        assert not failed.ok
        track = store.track(failed.track_key)
        # Two tries in the run (the job's own retry) are one attempt: the first wait, which then
        # doubles with each failed run.
        assert (track.status, track.error_class, track.attempts) == ("failed", "service_unavailable", 1)
        assert timedelta(seconds=HEAL_FIRST_WAIT_S - 60) < track.retry_at - utcnow() <= timedelta(seconds=HEAL_FIRST_WAIT_S)
        assert tick(instance, resources).run_requests == []  # not before its wait is over

        outage.clear()  # the service is back; minutes pass
        store.update_track(failed.track_key, retry_at=utcnow() - timedelta(seconds=1))
        requested = tick(instance, resources).run_requests
        assert [r.partition_key for r in requested] == [failed.track_key]
        [healed] = sync_tracks(instance, resources, [requested[0].partition_key])
    assert healed.ok
    track = store.track(failed.track_key)
    assert (track.status, track.attempts, track.retry_at) == ("synced", 0, None)
    assert tick(instance, resources).run_requests == []


def test_a_failure_that_needs_a_person_is_not_retried_and_doctor_names_it(tmp_path, instance, audio_set):
    resources = library_resources(tmp_path / "data")
    music = resources["music_library"]
    [bad] = sync_tracks(instance, resources, [str(audio_set["silent"].path)])
    track = music.store.track(bad.track_key)
    assert (track.status, track.error_class, track.retry_at) == ("failed", "silent_audio", None)
    assert tick(instance, resources).run_requests == []
    findings = {f.name: f for f in doctor.examine(music.paths)}
    assert findings["failed: silent_audio"].broken
    assert "silence" in findings["failed: silent_audio"].detail and bad.track_key in findings["failed: silent_audio"].detail


def test_doctor_marks_a_failing_source_and_says_when_it_last_worked(tmp_path):
    soundcloud = {"client_id": "c" * 32, "user": "someone", "api_url": "http://127.0.0.1:9/unreachable"}
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud)
    found = find_new("soundcloud-likes", resources["music_library"], resources["soundcloud"], resources["spotify"],
                     resources["notion"])
    assert found.paused
    finding = {f.name: f for f in doctor.examine(resources["music_library"].paths)}["soundcloud-likes"]
    assert finding.broken and "the last look failed at" in finding.detail and "UTC" in finding.detail
