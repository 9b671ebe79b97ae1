"""Failures that may heal (a network blip, a service down, a rate limit, a full disk) are tried
again by themselves: each failed track waits 5 minutes, then twice as long after each failure,
never less than a service asked, until a limit hands it to a person."""

import dagster as dg

from musicsync_assets.defs.jobs import sync_track_job, track_run_request
from musicsync_assets.defs.resources import MusicLibrary

MAX_RUNS_PER_TICK = 25


@dg.sensor(job_name=sync_track_job.name, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts another run for each failed track whose failure may heal and whose wait is over "
                       f"(at most {MAX_RUNS_PER_TICK} a tick). Failures a person must settle are left alone.")
def healing_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary) -> dg.SensorResult | dg.SkipReason:
    store = music_library.store
    due = store.due_for_retry(MAX_RUNS_PER_TICK)
    if not due:
        return dg.SkipReason("no failed track is due for another try")
    for track in due:
        context.log.info(f"trying {track.label} again ({track.error_class}, try {(track.attempts or 0) + 1})")
    return dg.SensorResult(run_requests=[
        track_run_request(store, track.track_key, f"retry:{track.track_key}:{track.attempts}", "retry")
        for track in due])
