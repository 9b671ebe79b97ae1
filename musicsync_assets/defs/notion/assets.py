"""Notion as the user's catalog: edits flow in before a sync, the page is upserted after it, and
failed runs become Agent-Tasks. When Notion is away the local sync completes and updates wait.

Not configured, Notion produces no materialization at all (a green "not configured" would be a
false success): the assets say so in their description, and `sync_track` leaves them out."""

from collections.abc import Iterator

import dagster as dg

from musicsync_assets.defs.jobs import NOTION_GROUP, sync_track_job
from musicsync_assets.defs.notion.hooks import REPORTED_TAG
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import RESOURCES, MusicLibrary, NotionWorkspace, sensor_status
from musicsync_assets.defs.run_summaries import INTERRUPTED, summarise_run
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.pipeline.notion_sync import NotionSync
from musicsync_assets.lib.services.notion import NotionSchemaError

NOT_CONFIGURED = "Notion is not configured: set NOTION_TOKEN and NOTION_TRACKS_DATABASE, then restart `dagster dev`."
CONFIGURED = RESOURCES["notion"].configured


def _described(text: str) -> str:
    return text if CONFIGURED else f"{text}\n\n**{NOT_CONFIGURED}**"


def _session(context: dg.AssetExecutionContext, music: MusicLibrary, notion: NotionWorkspace) -> NotionSync | None:
    session = notion.sync(music)
    if session is None:
        context.log.warning(NOT_CONFIGURED)
    return session


@dg.asset(partitions_def=track_partitions, group_name=NOTION_GROUP, kinds={"notion"}, output_required=False,
          description=_described("What you changed on the track's Notion page: a BPM or key override (written "
                                 "into the tags by this sync) or a corrected source URL (downloaded instead)."))
def notion_edits(context: dg.AssetExecutionContext, music_library: MusicLibrary,
                 notion: NotionWorkspace) -> Iterator[dg.MaterializeResult]:
    session = _session(context, music_library, notion)
    if session is None:
        return
    try:
        found = session.pull_edits(context.partition_key)
    except MusicsyncError as error:
        # The local sync goes on with what the catalog knows; the page catches up later.
        context.log.warning(f"Notion edits not read: {error}")
        yield dg.MaterializeResult(metadata={"status": "Notion unreachable", "reason": str(error)})
        return
    yield dg.MaterializeResult(metadata={"track": music_library.store.track(context.partition_key).label,
                                         "status": "read", "page": str(found.get("page")),
                                         "overrides": dg.MetadataValue.json(found.get("overrides", {}))})


@dg.asset(partitions_def=track_partitions, group_name=NOTION_GROUP, deps=["library_entry"], kinds={"notion"},
          output_required=False,
          description=_described("The track's page in your Notion Tracks database, created or updated (never "
                                 "duplicated) with its files, BPM, key, Camelot and status; updates wait in the "
                                 "backlog while Notion is away."))
def notion_track_page(context: dg.AssetExecutionContext, music_library: MusicLibrary,
                      notion: NotionWorkspace) -> Iterator[dg.MaterializeResult]:
    session = _session(context, music_library, notion)
    if session is None:
        return
    try:
        session.require_schema("Tracks")
    except NotionSchemaError as error:
        raise dg.Failure(description=str(error), metadata={"error_class": error.error_class}) from error
    except MusicsyncError as error:
        context.log.warning(f"Notion schema not checked: {error}")
    music_library.store.enqueue_notion("track", context.partition_key)
    yield _drained(session, context.partition_key)


def _drained(session: NotionSync, track_key: str) -> dg.MaterializeResult:
    result = session.drain()
    page = session.store.notion_page(track_key)
    outcome = result["outcomes"].get(track_key, "queued")
    metadata = {"track": session.store.track(track_key).label, "status": outcome, "backlog": result["waiting"],
                "sent_from_backlog": result["sent"]}
    if page and page.get("page_url"):
        metadata["page"] = dg.MetadataValue.url(page["page_url"])
    if result["blocked"]:
        metadata["waiting_because"] = str(result["blocked"])
    return dg.MaterializeResult(metadata=metadata)


@dg.run_failure_sensor(
    name="notion_failure_tasks", default_status=sensor_status(CONFIGURED), monitored_jobs=[sync_track_job],
    minimum_interval_seconds=30,
    description="Turns a failed track run into an Agent-Tasks page (one open task per track and error class) "
                "and marks the track failed in Notion, when its failed step could not (the run died).",
)
def notion_failure_tasks(context: dg.RunFailureSensorContext, music_library: MusicLibrary,
                         notion: NotionWorkspace) -> dg.SkipReason | None:
    session = notion.sync(music_library)
    if session is None:
        return dg.SkipReason(NOT_CONFIGURED)
    run = context.instance.get_run_by_id(context.dagster_run.run_id)
    if run.tags.get(REPORTED_TAG):
        return dg.SkipReason("its failed step reported it to Notion as it failed")
    summary = summarise_run(context.instance, run.run_id)
    if summary.error_class == INTERRUPTED:
        return dg.SkipReason("interrupted, not failed: the next sync resumes it")
    for track_key in summary.track_keys:
        session.queue_failure(track_key, summary.error_class or "unknown", summary.error_message or "",
                              summary.failed_step, summary.run_id,
                              (summary.ended_at or summary.started_at).isoformat() + "Z")
    result = session.drain()
    context.log.info(f"Notion: {result['sent']} updates sent, {result['waiting']} waiting")
    return None


@dg.sensor(minimum_interval_seconds=120, default_status=sensor_status(CONFIGURED),
           description="Sends Notion updates that waited while Notion was unreachable, oldest first.")
def notion_backlog_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary,
                          notion: NotionWorkspace) -> dg.SkipReason:
    session = notion.sync(music_library)
    if session is None:
        return dg.SkipReason(NOT_CONFIGURED)
    if not music_library.store.notion_backlog():
        return dg.SkipReason("nothing waiting")
    result = session.drain()
    return dg.SkipReason(f"sent {result['sent']}, {result['waiting']} still waiting"
                         + (f" ({result['blocked']})" if result["blocked"] else ""))
