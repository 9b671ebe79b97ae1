"""Every finished run, kept in DuckDB's `runs` table so the history can be queried with SQL."""

from datetime import UTC, datetime

import dagster as dg

from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.catalog.store import RunRecord, Store

TRACK_KEYS_TAG = "musicsync/track_keys"


def _utc(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None) if timestamp else None


def summarise_run(instance: dg.DagsterInstance, run_id: str) -> RunRecord:
    """The run-history row for one run: timing, tracks, and the first failure's class and message."""
    record = instance.get_run_record_by_id(run_id)
    run = record.dagster_run
    track_keys = [k for k in run.tags.get(TRACK_KEYS_TAG, "").split(",") if k]
    if "dagster/partition" in run.tags:
        track_keys.append(run.tags["dagster/partition"])
    failed_step = error_class = error_message = None
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        failure = event.step_failure_data
        user_metadata = failure.user_failure_data.metadata if failure.user_failure_data else {}
        failed_step = event.step_key
        if "error_class" in user_metadata:
            error_class = user_metadata["error_class"].value
            error_message = failure.user_failure_data.description
        else:
            # Dagster wraps what the step raised; the innermost cause is what the user needs.
            error = failure.error
            while error is not None and error.cause is not None:
                error = error.cause
            error_class = error.cls_name if error else "unknown"
            error_message = f"{error.cls_name}: {error.message.strip()}" if error else None
        break
    return RunRecord(
        run_id=run_id, job=run.job_name, status=run.status.value,
        started_at=_utc(record.start_time), ended_at=_utc(record.end_time),
        track_keys=track_keys, failed_step=failed_step, error_class=error_class, error_message=error_message,
    )


def record_run(instance: dg.DagsterInstance, run_id: str, store: Store) -> RunRecord:
    summary = summarise_run(instance, run_id)
    store.record_run(summary)
    return summary


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="run_history_success",
                      default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=15,
                      description="Writes each successful run into the DuckDB run history.")
def run_history_success(context: dg.RunStatusSensorContext, music_library: MusicLibrary) -> None:
    record_run(context.instance, context.dagster_run.run_id, music_library.store)


@dg.run_failure_sensor(name="run_history_failure", default_status=dg.DefaultSensorStatus.RUNNING,
                       minimum_interval_seconds=15,
                       description="Writes each failed run, with its error class and message, into the run history.")
def run_history_failure(context: dg.RunFailureSensorContext, music_library: MusicLibrary) -> None:
    record_run(context.instance, context.dagster_run.run_id, music_library.store)
