"""What a finished run did, as one row of the run history: timing, tracks, and the first failure's
class and message. The run-history sensors, the Notion failure tasks and the command line share it."""

from datetime import UTC, datetime

import dagster as dg

from musicsync_assets.defs.jobs import TRACK_KEYS_TAG
from musicsync_assets.lib.catalog.store import RunRecord, Store
from musicsync_assets.lib.errors import RunDied, heal_delay_s

INTERRUPTED = "interrupted"  # a cancelled run or Ctrl-C: nothing failed, the next sync resumes


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
            message = error.message.strip() if error else ""
            # Dagster's message of an exception already opens with its class ("KeyError: 'x'").
            error_message = (message if message.startswith(error.cls_name) else f"{error.cls_name}: {message}") \
                if error else None
        break
    if run.status == dg.DagsterRunStatus.CANCELED or error_class == "DagsterExecutionInterruptedError":
        error_class, error_message = INTERRUPTED, "stopped before it finished; the next sync resumes it"
    elif run.status == dg.DagsterRunStatus.FAILURE and error_class is None:
        died = RunDied("the run stopped before it finished, with no step failing: its process was killed")
        error_class, error_message = died.error_class, str(died)
    return RunRecord(
        run_id=run_id, job=run.job_name, status=run.status.value,
        started_at=_utc(record.start_time), ended_at=_utc(record.end_time),
        track_keys=track_keys, failed_step=failed_step, error_class=error_class, error_message=error_message,
    )


def record_run(instance: dg.DagsterInstance, run_id: str, store: Store) -> RunRecord:
    """Keeps the run in the history. A run that died leaves its tracks as they were, pending, which
    nothing would retry: they are recorded as failed on something that may heal."""
    summary = summarise_run(instance, run_id)
    store.record_run(summary)
    if summary.error_class == RunDied.error_class:
        for track_key in summary.track_keys:
            track = store.track(track_key)
            if track is not None and track.status == "pending":
                store.mark_failed(track_key, summary.error_class, summary.error_message,
                                  heal_delay_s(RunDied(""), track.attempts or 0))
    # Each step's time, for the run history's time per stage (the `duration_by_asset` view).
    store.record_run_steps(run_id, [
        {"step_key": stat.step_key, "status": stat.status.value if stat.status else None,
         "started_at": _utc(stat.start_time), "ended_at": _utc(stat.end_time)}
        for stat in instance.get_run_step_stats(run_id)])
    return summary
