"""A track run's failed step reports itself to Notion as it fails: an Agent-Tasks page (one open task
per track and error class) and the page's status. So a failure reaches Notion however the run was
started (`musicsync sync`, `dagster job execute`, a sensor) without waiting for the daemon, which
runs the run-failure sensor only while `dagster dev` is up. That sensor still covers a run that
died before any step could report, and leaves runs tagged REPORTED_TAG alone."""

import dagster as dg

from musicsync_assets.lib.errors import LibraryBusy, MusicsyncError

REPORTED_TAG = "musicsync/notion_reported"


@dg.failure_hook(required_resource_keys={"music_library", "notion"})
def report_failure_to_notion(context: dg.HookContext) -> None:
    run = context.instance.get_run_by_id(context.run_id)
    error = context.op_exception
    track_key = run.tags.get("dagster/partition")
    if error is None or track_key is None or run.status in (dg.DagsterRunStatus.CANCELING,
                                                             dg.DagsterRunStatus.CANCELED) \
            or isinstance(error, dg.DagsterExecutionInterruptedError):
        return  # stopped, not failed: the next sync resumes it
    session = context.resources.notion.sync(context.resources.music_library)
    if session is None:
        return
    if isinstance(error, dg.Failure) and "error_class" in error.metadata:
        error_class, message = error.metadata["error_class"].value, error.description or ""
    else:  # not foreseen: a bug, whose traceback is in the run's log
        error_class, message = "internal", f"{type(error).__name__}: {error}"
    if error_class == LibraryBusy.error_class:
        return  # the catalog the task would be queued in is what is busy: the sensor reports it later
    try:
        session.queue_failure(track_key, error_class, message, context.step_key, context.run_id)
        context.instance.add_run_tags(context.run_id, {REPORTED_TAG: "true"})
        result = session.drain()
    except MusicsyncError as error:  # the catalog or Notion in trouble: the run-failure sensor reports it
        context.log.warning(f"the failure was not queued for Notion: {error}")
        return
    context.log.info(f"Notion: {result['sent']} updates sent, {result['waiting']} waiting"
                     + (f" ({result['blocked']})" if result["blocked"] else ""))
