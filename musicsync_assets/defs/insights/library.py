"""The library at a glance: one table of every track, refreshed whenever the catalog changes."""

from collections import Counter

import dagster as dg

from musicsync_assets.defs.jobs import TRACK_KEYS_TAG, refresh_library_job
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.doctor import needs_a_person
from musicsync_assets.lib.pipeline.playlists import write_playlists
from musicsync_assets.lib.pipeline.stages import library_row, settle_duplicates

COLUMNS = [
    dg.TableColumn("title"), dg.TableColumn("artists"), dg.TableColumn("bpm", "float"), dg.TableColumn("key"),
    dg.TableColumn("camelot"), dg.TableColumn("status"), dg.TableColumn("failure reason"),
    dg.TableColumn("source"), dg.TableColumn("files"), dg.TableColumn("track key"),
]


@dg.asset(group_name="library", kinds={"duckdb"})
def library(context: dg.AssetExecutionContext, music_library: MusicLibrary) -> dg.MaterializeResult:
    """Your whole library as one table: every track with its artists, BPM, key, Camelot code,
    status, why it failed, where it came from and its files. Before the table is written, each
    recording is kept once (duplicates settled by the duplicate policy, what is replaced moved to
    the trash) and the m3u8 playlists in `playlists/` are rewritten."""
    store = music_library.store
    settings = music_library.settings()
    settled = settle_duplicates(settings, settings.duplicate_policy)
    for resolution in settled:
        context.log.info(resolution.message)
    rerender = [r.kept for r in settled if r.needs_render]
    if rerender:
        # The kept entry takes the better copy's audio: its own run renders it again.
        context.instance.add_dynamic_partitions(track_partitions.name, rerender)
        context.instance.add_run_tags(context.run_id, {TRACK_KEYS_TAG: ",".join(rerender)})
    playlists = write_playlists(store, settings.paths, settings.formats[0])
    with store.session():
        rows = [library_row(store, track.track_key) for track in store.tracks()]
    records = [dg.TableRecord({
        "title": row["title"], "artists": ", ".join(row["artists"]), "bpm": row["bpm"], "key": row["key"] or "",
        "camelot": row["camelot"] or "", "status": row["status"],
        "failure reason": (row["error"] or "").split(" — ")[0],
        "source": ", ".join(dict.fromkeys(s["kind"] for s in row["sources"])), "files": ", ".join(row["files"]),
        "track key": row["track_key"]}) for row in rows]
    stuck = needs_a_person(store)
    healing = [t for t in store.tracks("failed") if t.retry_at is not None]
    by_status = Counter(row["status"] for row in rows)
    by_source = Counter(s["kind"] for row in rows for s in row["sources"][:1])
    return dg.MaterializeResult(metadata={
        "tracks": dg.MetadataValue.table(records, schema=dg.TableSchema(columns=COLUMNS)),
        "dagster/row_count": len(rows),
        "playlists": dg.MetadataValue.path(str(settings.paths.playlists)),
        "playlist tracks": playlists.describe(),
        "needs a person": dg.MetadataValue.table(
            [dg.TableRecord({"track": t.label, "status": t.status, "reason": (t.error_message or "").split(" — ")[0],
                             "what to do": (t.error_message or " — ").split(" — ")[-1], "track key": t.track_key})
             for t in stuck],
            schema=dg.TableSchema(columns=[dg.TableColumn(name) for name in
                                           ("track", "status", "reason", "what to do", "track key")])),
        "healing by itself": len(healing),
        "next try (UTC)": min(t.retry_at for t in healing).strftime("%Y-%m-%d %H:%M") if healing else "-",
        "duplicates settled": dg.MetadataValue.md("\n".join(f"- {r.message}" for r in settled) or "none"),
        **{f"status: {status}": count for status, count in sorted(by_status.items())},
        **{f"source: {source}": count for source, count in sorted(by_source.items())},
    })


@dg.sensor(job=refresh_library_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Refreshes the `library` table after the catalog changes (a track synced, failed, "
                       "overridden or removed); when nothing changed, nothing is rewritten.")
def library_refresh_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary
                           ) -> dg.SensorResult | dg.SkipReason:
    version = music_library.store.catalog_version()
    if version == context.cursor:
        return dg.SkipReason("the catalog has not changed")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=version)], cursor=version)
