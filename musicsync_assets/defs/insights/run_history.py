"""Every finished run, kept in DuckDB's `runs` table so the history can be queried with SQL."""

import dagster as dg

from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.defs.run_summaries import record_run


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
