"""Syncs tracks through the `sync_track` job inside the test process, with the test's own resources
(fake services on loopback, a temporary data folder): the assets and checks the code location runs,
without starting a code server for every test. The command line's real launch path has its own
tests in test_launch.py."""

from dataclasses import dataclass

import dagster as dg

from musicsync_assets.defs.eagle.assets import eagle_item
from musicsync_assets.defs.jobs import build_sync_track_job, track_run_tags
from musicsync_assets.defs.notion.assets import notion_edits, notion_track_page
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.run_summaries import record_run
from musicsync_assets.defs.tracks.assets import analyze_and_render, library_entry, track_audio, track_metadata
from musicsync_assets.lib.pipeline.stages import register_sources

TRACK_ASSETS = [notion_edits, track_metadata, track_audio, analyze_and_render, library_entry, notion_track_page,
                eagle_item]


@dataclass
class TrackResult:
    source: str
    track_key: str | None
    run_id: str | None
    ok: bool
    reason: str | None


def track_definitions(resources: dict, **extra) -> dg.Definitions:
    """The per-track assets (with their checks) and `sync_track` job over `resources`, Notion and Eagle included
    when they are configured there, as the code location does."""
    job = build_sync_track_job(with_notion=resources["notion"].configured, with_eagle=resources["eagle"].configured)
    return dg.Definitions(assets=TRACK_ASSETS, jobs=[job], resources=resources, **extra)


def sync_tracks(instance: dg.DagsterInstance, resources: dict, sources: list[str]) -> list[TrackResult]:
    """Registers each source (a URL, a file or a catalogued track's key) and runs its track."""
    store = resources["music_library"].store
    job = track_definitions(resources).resolve_job_def("sync_track")
    results, done = [], set()
    for registration in register_sources(store, sources):
        key = registration.track_key
        if key is None:
            results.append(TrackResult(registration.source, None, None, False, registration.problem))
            continue
        if key in done:
            continue
        done.add(key)
        instance.add_dynamic_partitions(track_partitions.name, [key])
        outcome = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                         tags=track_run_tags(store, key))
        summary = record_run(instance, outcome.run_id, store)
        results.append(TrackResult(registration.source, key, outcome.run_id, outcome.success, summary.error_message))
    return results
