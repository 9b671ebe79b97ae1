"""Eagle, where DJs browse their files: each synced track imported once into a folder of the Eagle
app. Eagle answers only while the app runs, so an import it cannot take waits in a queue that
`eagle_queue_sensor` drains when the app is back. Not configured, Eagle is left out of the runs
and nothing claims to be imported."""

from collections.abc import Iterator

import dagster as dg

from musicsync_assets.defs.jobs import EAGLE_GROUP
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import RESOURCES, EagleApp, MusicLibrary, sensor_status
from musicsync_assets.lib.pipeline.eagle_import import drain_queue, import_tracks

NOT_CONFIGURED = ("Eagle is not configured: set MUSICSYNC_EAGLE_URL (and EAGLE_API_TOKEN if your Eagle asks for "
                  "one) or MUSICSYNC_EAGLE_FOLDER, then restart `dagster dev`.")
CONFIGURED = RESOURCES["eagle"].configured


@dg.asset(partitions_def=track_partitions, group_name=EAGLE_GROUP, deps=["library_entry"], kinds={"eagle"},
          output_required=False,
          description="The track's item in the Eagle app: the library's first format, named Artist - Title, "
                      "tagged with BPM, key, Camelot and source, linked to where it came from, in the "
                      "configured folder. Imported once; an item Eagle already has is adopted."
                      + ("" if CONFIGURED else f"\n\n**{NOT_CONFIGURED}**"))
def eagle_item(context: dg.AssetExecutionContext, music_library: MusicLibrary,
               eagle: EagleApp) -> Iterator[dg.MaterializeResult]:
    if not eagle.configured:
        context.log.warning(NOT_CONFIGURED)
        return
    store, key = music_library.store, context.partition_key
    [outcome] = import_tracks(store, eagle.client(), [key], music_library.settings().formats[0], eagle.folder)
    if outcome.status == "queued":
        context.log.warning(f"Eagle is not answering, so the import waits for the app: {outcome.message}")
        return
    if outcome.status == "failed":
        raise dg.Failure(description=outcome.message, metadata={"error_class": "eagle"}, allow_retries=False)
    yield dg.MaterializeResult(metadata={"track": store.track(key).label, "status": outcome.status,
                                         "eagle item": outcome.item_id, "folder": eagle.folder})


@dg.sensor(minimum_interval_seconds=120, default_status=sensor_status(CONFIGURED),
           description="Imports what waited while the Eagle app was closed, oldest first.")
def eagle_queue_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary,
                       eagle: EagleApp) -> dg.SkipReason:
    if not eagle.configured:
        return dg.SkipReason(NOT_CONFIGURED)
    store = music_library.store
    if not store.eagle_queue():
        return dg.SkipReason("nothing waiting")
    outcomes = drain_queue(store, eagle.client(), music_library.settings().formats[0], eagle.folder)
    imported = [o for o in outcomes if o.status in ("imported", "existing")]
    for outcome in imported:
        context.instance.report_runless_asset_event(dg.AssetMaterialization(
            asset_key="eagle_item", partition=outcome.track_key,
            metadata={"track": store.track(outcome.track_key).label, "status": outcome.status,
                      "eagle item": outcome.item_id, "folder": eagle.folder}))
    return dg.SkipReason(f"imported {len(imported)}, {len(store.eagle_queue())} still waiting"
                         if outcomes else "Eagle is still not answering; the imports keep waiting")
