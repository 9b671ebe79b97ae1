"""The jobs that sync tracks: `sync_track` for one partition, `sync` for URLs and files by name."""

from dataclasses import dataclass

import dagster as dg
from pydantic import Field

from musicsync_assets.defs.insights.run_history import TRACK_KEYS_TAG, record_run
from musicsync_assets.defs.resources import MusicLibrary, NotionWorkspace, SoundCloudAccount, SpotifyAccount
from musicsync_assets.defs.sinks.notion import notion_edits, notion_track_page
from musicsync_assets.defs.tracks.assets import (
    analyze_and_render,
    library_entry,
    track_audio,
    track_metadata,
    track_partitions,
)
from musicsync_assets.defs.tracks.checks import analysis_plausible, audio_formats_valid, tags_complete
from musicsync_assets.lib.pipeline import stages
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.pipeline.sources import identify, inbox_files

TRACK_ASSETS = [notion_edits, track_metadata, track_audio, analyze_and_render, library_entry, notion_track_page]
TRACK_CHECKS = [audio_formats_valid, tags_complete, analysis_plausible]

sync_track_job = dg.define_asset_job(
    "sync_track",
    selection=dg.AssetSelection.assets(*TRACK_ASSETS),
    partitions_def=track_partitions,
    # One process per run: the multiprocess executor would re-import librosa for every step.
    executor_def=dg.in_process_executor,
    description="Syncs one track (a partition of `tracks`): metadata, original, analysis, files, catalog.",
)


@dataclass
class TrackResult:
    source: str
    track_key: str | None
    run_id: str | None
    ok: bool
    reason: str | None


def sync_tracks(instance: dg.DagsterInstance, resources: dict, sources: list[str], skip_synced: bool = False,
                log=None, track_log_level: str = "DEBUG") -> list[TrackResult]:
    """Registers each source as a track and runs `sync_track` for it in this process. A source may
    also be the key of a track already in the catalog: it is synced again (say, after an override).

    Every track gets its own run (visible in the UI, recorded in the run history); one failing
    track never stops the others. `resources` are the code location's (see `build_resources`).
    """
    store = resources["music_library"].store
    registered: list[tuple[str, str]] = []
    results: list[TrackResult] = []
    for source in sources:
        try:
            track_key = source if store.track(source) else stages.register(store, source).track_key
        except MusicsyncError as error:
            results.append(TrackResult(source, None, None, False, str(error)))
            continue
        if skip_synced and store.track(track_key).status == "synced":
            continue
        if track_key not in {key for _, key in registered}:
            registered.append((source, track_key))
    keys = [key for _, key in registered]
    if keys:
        instance.add_dynamic_partitions(track_partitions.name, keys)
    track_job = dg.Definitions(
        assets=TRACK_ASSETS, asset_checks=TRACK_CHECKS, jobs=[sync_track_job],
        resources=resources,
    ).resolve_job_def(sync_track_job.name)
    for source, key in registered:
        outcome = track_job.execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": track_log_level}}}},
        )
        summary = record_run(instance, outcome.run_id, store)
        results.append(TrackResult(source, key, outcome.run_id, outcome.success, summary.error_message))
        if log:
            log.info(f"{key}: {'synced' if outcome.success else 'failed — ' + str(summary.error_message)}")
    return results


class SyncConfig(dg.Config):
    sources: list[str] = Field(default=[], description="URLs or file paths. Empty: every new file in the inbox.")
    track_log_level: str = Field(default="DEBUG", description="Console log level of each track's own run "
                                 "(their events are stored in full either way).")
    dry_run: bool = Field(default=False, description="Only show which tracks the sources are and whether they "
                          "would be synced: nothing is downloaded, written or sent to Notion.")


@dg.op(description="Adds each source as a track and syncs it, one run per track.")
def sync_sources(context: dg.OpExecutionContext, config: SyncConfig, music_library: MusicLibrary,
                 notion: NotionWorkspace, soundcloud: SoundCloudAccount, spotify: SpotifyAccount) -> dg.Output:
    sources = config.sources or [str(p) for p in inbox_files(music_library.paths.inbox)]
    if config.dry_run:
        return _dry_run(context, music_library, sources)
    resources = {"music_library": music_library, "notion": notion, "soundcloud": soundcloud, "spotify": spotify}
    results = sync_tracks(context.instance, resources, sources,
                          skip_synced=not config.sources, log=context.log, track_log_level=config.track_log_level)
    keys = [r.track_key for r in results if r.track_key]
    context.instance.add_run_tags(context.run_id, {TRACK_KEYS_TAG: ",".join(keys)})
    rows = "\n".join(f"| {r.source} | {r.track_key or '-'} | {'synced' if r.ok else 'failed'} | {r.reason or ''} |"
                     for r in results)
    table = dg.MetadataValue.md(f"| source | track | result | reason |\n|---|---|---|---|\n{rows}")
    failed = [r for r in results if not r.ok]
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} of {len(results)} tracks failed: "
                        + "; ".join(f"{r.source}: {r.reason}" for r in failed),
            metadata={"tracks": table, "error_class": "track_failures", "synced": len(results) - len(failed),
                      "failed": len(failed)},
        )
    return dg.Output(len(results), metadata={"tracks": table, "synced": len(results), "failed": 0})


def _dry_run(context: dg.OpExecutionContext, music_library: MusicLibrary, sources: list[str]) -> dg.Output:
    store = music_library.store
    rows = []
    for source in sources:
        try:
            known = store.track(source)
            key = source if known else identify(source).track_key
            known = known or store.track(key)
            verdict = f"already {known.status}" if known and known.status == "synced" else "would sync"
        except MusicsyncError as error:
            key, verdict = "-", f"would fail: {error}"
        rows.append(f"| {source} | {key} | {verdict} |")
        context.log.info(f"dry run: {source} → {key}: {verdict}")
    table = dg.MetadataValue.md("| source | track | dry run |\n|---|---|---|\n" + "\n".join(rows))
    return dg.Output(0, metadata={"tracks": table, "dry_run": True})


@dg.job(executor_def=dg.in_process_executor, description="Syncs the URLs or files named in the run config "
        "(`ops: sync_sources: config: sources: [...]`), or every new file in the inbox when none are named.")
def sync():
    sync_sources()
