"""The jobs. `sync_track` runs one track's assets (a partition of `tracks`): every sensor, the
launchpad and `musicsync sync` start it by partition key. `sync` and `sync_next` only add tracks to
the library; `requested_tracks_sensor` then starts a `sync_track` run for each, so no run ever
starts another run and every track's run belongs to the code location."""

import dagster as dg
from pydantic import Field

from musicsync_assets.defs.notion.hooks import report_failure_to_notion
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import (
    RESOURCES,
    MusicLibrary,
    NotionWorkspace,
    SoundCloudAccount,
    SpotifyAccount,
)
from musicsync_assets.defs.sources.finders import next_track
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.sources import inbox_files
from musicsync_assets.lib.pipeline.stages import register_sources

TRACK_KEYS_TAG = "musicsync/track_keys"  # the tracks a `sync` or `sync_next` run added
TRACK_TAG = "musicsync/track"  # "Artist - Title": what a person types to find a track's runs
SOURCE_TAG = "musicsync/source"
TRACKS_GROUP = "tracks"
NOTION_GROUP = "notion"
EAGLE_GROUP = "eagle"


def track_run_tags(store: Store, track_key: str, source: str | None = None) -> dict[str, str]:
    """A track run's tags: the track's name, and which discoverer asked for it."""
    return {TRACK_TAG: store.label(track_key), **({SOURCE_TAG: source} if source else {})}


def track_run_request(store: Store, track_key: str, run_key: str, source: str | None = None) -> dg.RunRequest:
    return dg.RunRequest(partition_key=track_key, run_key=run_key, tags=track_run_tags(store, track_key, source))


def build_sync_track_job(with_notion: bool, with_eagle: bool):
    selection = dg.AssetSelection.groups(TRACKS_GROUP)
    if with_notion:
        selection = selection | dg.AssetSelection.groups(NOTION_GROUP)
    if with_eagle:
        selection = selection | dg.AssetSelection.groups(EAGLE_GROUP)
    return dg.define_asset_job(
        "sync_track",
        # Its steps report the track's checks as they run them (see defs/tracks/checks.py `report`).
        selection=selection.without_checks(),
        partitions_def=track_partitions,
        # One process per run: the multiprocess executor would re-import librosa for every step.
        executor_def=dg.in_process_executor,
        hooks={report_failure_to_notion} if with_notion else None,
        description="Syncs one track (a partition of `tracks`): metadata, original, analysis, files and "
                    "catalog entry" + "".join(f", {sink}" for sink, wanted in (
                        ("its Notion page", with_notion), ("its Eagle item", with_eagle)) if wanted) + ".",
    )


# An unconfigured sink never materializes, so its assets join a track's run only when configured.
# Sensors name the job rather than hold it, so a test's own `sync_track` over its own resources
# stands in for it.
sync_track_job = build_sync_track_job(with_notion=RESOURCES["notion"].configured,
                                      with_eagle=RESOURCES["eagle"].configured)


class SyncConfig(dg.Config):
    sources: list[str] = Field(default=[], description="URLs or file paths. Empty: every new file in the inbox.")


@dg.op(description="Adds each URL or file to the library as a track; `requested_tracks_sensor` then starts a "
                   "`sync_track` run for each.")
def add_sources(context: dg.OpExecutionContext, config: SyncConfig, music_library: MusicLibrary) -> dg.Output:
    store = music_library.store
    from_inbox = not config.sources
    sources = config.sources or [str(p) for p in inbox_files(music_library.paths.inbox)]
    registered = register_sources(store, sources)
    keys = list(dict.fromkeys(r.track_key for r in registered if r.to_sync and not (
        from_inbox and r.status == "synced")))
    if keys:
        context.instance.add_dynamic_partitions(track_partitions.name, keys)
        context.instance.add_run_tags(context.run_id, {TRACK_KEYS_TAG: ",".join(keys)})
    rows = [dg.TableRecord({"source": r.source, "track": r.track_key or "-", "result": r.verdict}) for r in registered]
    table = dg.MetadataValue.table(rows, schema=dg.TableSchema(columns=[
        dg.TableColumn("source"), dg.TableColumn("track"), dg.TableColumn("result")]))
    if keys:  # this job only adds: say who syncs them, as `dagster job execute` shows nothing else
        context.log.info(f"added {len(keys)} track(s): {', '.join(keys)}. `requested_tracks_sensor` starts their "
                         f"sync_track runs while `dagster dev` runs; without it, `musicsync sync "
                         f"{' '.join(keys)}` syncs them now")
    for registration in registered:
        if registration.known_as:
            context.log.info(f"{registration.source}: {registration.verdict}")
    refused = [r for r in registered if r.problem]
    for registration in refused:
        context.log.error(f"{registration.source}: {registration.problem}")
    if refused:
        # The tracks that were added still get their runs: the sensor reads failed `sync` runs too.
        raise dg.Failure(description=f"{len(refused)} of {len(registered)} sources are not tracks: "
                                     + "; ".join(f"{r.source}: {r.problem}" for r in refused),
                         metadata={"sources": table, "added": len(keys), "error_class": refused[0].error_class})
    return dg.Output(len(keys), metadata={"sources": table, "added": len(keys)})


@dg.job(description="Adds the URLs or files named in the run config (`ops: add_sources: config: sources: [...]`), "
                    "or every new file in the inbox when none are named; each then syncs in its own "
                    "`sync_track` run.")
def sync():
    add_sources()


@dg.op(description="Picks the next track from the fallback chain (Spotify playing now, SoundCloud likes, Spotify "
                   "likes, the Notion queue), saying which source supplied it and why the earlier ones did not.")
def pick_next_track(context: dg.OpExecutionContext, music_library: MusicLibrary, notion: NotionWorkspace,
                    soundcloud: SoundCloudAccount, spotify: SpotifyAccount) -> dg.Output:
    key, source, reasons = next_track(music_library, soundcloud, spotify, notion)
    for reason in reasons:
        context.log.info(f"skipped {reason}")
    if key is None:
        return dg.Output(None, metadata={"picked": "nothing", "why": "; ".join(reasons)})
    context.log.info(f"{source} supplied {key}")
    context.instance.add_dynamic_partitions(track_partitions.name, [key])
    context.instance.add_run_tags(context.run_id, {TRACK_KEYS_TAG: key, SOURCE_TAG: source})
    return dg.Output(key, metadata={"picked": key, "track": music_library.store.track(key).label,
                                    "source": source, "why_not_earlier": "; ".join(reasons) or "-"})


@dg.job(description="Given no URL, adds the first of: the Spotify track playing now, the newest SoundCloud like "
                    "not yet synced, the newest Spotify like not yet synced, the oldest Notion queue entry.")
def sync_next():
    pick_next_track()



refresh_library_job = dg.define_asset_job(
    "refresh_library", selection=dg.AssetSelection.assets("library"), executor_def=dg.in_process_executor,
    description="Settles duplicates, rewrites the playlists and the `library` table from the catalog.")

# Runs that may add tracks for others to sync, by the TRACK_KEYS_TAG they leave.
ADDING_JOBS = (sync.name, sync_next.name, refresh_library_job.name)

refresh_insights_job = dg.define_asset_job(
    "refresh_insights", selection=dg.AssetSelection.assets("plan_deliverables", "automation_gaps", "workflow_report"),
    executor_def=dg.in_process_executor,
    description="Reads the plans, looks for automation gaps and rewrites the workflow report.")
