"""The inbox: drop an audio file into `data/inbox` and it becomes a track by itself."""

import json
from pathlib import Path

import dagster as dg

from musicsync_assets.defs.jobs import sync_track_job, track_run_request
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.pipeline import stages
from musicsync_assets.lib.pipeline.sources import inbox_files

MAX_RUNS_PER_TICK = 25


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


@dg.sensor(job_name=sync_track_job.name, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Watches the inbox folder; each new or changed file becomes a track keyed by a hash of "
                       f"its content. At most {MAX_RUNS_PER_TICK} runs per tick; the rest wait for the next.")
def inbox_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary) -> dg.SensorResult:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    store = music_library.store
    new_keys: list[str] = []
    skipped: list[str] = []
    for path in inbox_files(music_library.paths.inbox):
        if len(new_keys) >= MAX_RUNS_PER_TICK:
            break
        signature = _signature(path)
        if seen.get(str(path)) == signature:
            continue
        seen[str(path)] = signature
        try:
            ref = stages.register(store, str(path))
        except MusicsyncError as error:
            skipped.append(f"{path.name}: {error}")
            continue
        if ref.track_key not in new_keys and store.track(ref.track_key).status != "synced":
            new_keys.append(ref.track_key)
    for reason in skipped:
        context.log.warning(f"inbox file skipped — {reason}")
    return dg.SensorResult(
        run_requests=[track_run_request(store, key, key, "inbox") for key in new_keys],
        dynamic_partitions_requests=[track_partitions.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(seen),
    )
