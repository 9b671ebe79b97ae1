"""Tracks added by a `sync` or `sync_next` run (the launchpad, `dagster job execute`) get their own
`sync_track` runs from here, so a run never starts another run."""

import json
from datetime import UTC, datetime

import dagster as dg

from musicsync_assets.defs.jobs import ADDING_JOBS, TRACK_KEYS_TAG, sync_track_job, track_run_request
from musicsync_assets.defs.resources import MusicLibrary

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]


@dg.sensor(job_name=sync_track_job.name, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts a `sync_track` run for every track a finished `sync` or `sync_next` run added "
                       "(a `sync` run that refused some sources still had the others added).")
def requested_tracks_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary) -> dg.SensorResult:
    since = json.loads(context.cursor)["updated_after"] if context.cursor else 0.0
    records = [record for job in ADDING_JOBS for record in context.instance.get_run_records(
        dg.RunsFilter(job_name=job, statuses=FINISHED, updated_after=datetime.fromtimestamp(since, UTC)),
        order_by="update_timestamp", ascending=True, limit=100)]
    store = music_library.store
    requests = [
        track_run_request(store, key, f"{record.dagster_run.run_id}:{key}")
        for record in records
        for key in record.dagster_run.tags.get(TRACK_KEYS_TAG, "").split(",") if key
    ]
    latest = max((record.update_timestamp.timestamp() for record in records), default=since)
    return dg.SensorResult(run_requests=requests, cursor=json.dumps({"updated_after": latest}))
