"""Checks that every synced track is really playable, tagged and plausibly analysed.

Each runs after its asset in the same run, on the same track: its result sits on that track's
partition in the UI, with its reason, and lands in the run history's `check_results` table.
"""

import dagster as dg

from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.catalog.store import CheckRecord
from musicsync_assets.lib.pipeline import verify


def _result(context: dg.AssetCheckExecutionContext, music: MusicLibrary, name: str, problems: list[str],
            passed_text: str, metadata: dict) -> dg.AssetCheckResult:
    track_key, store = context.partition_key, music.store
    description = "; ".join(problems) if problems else passed_text
    with store.session():  # one opening of the catalog, not two: every track runs three checks
        store.record_check(CheckRecord(run_id=context.run.run_id, track_key=track_key, check_name=name,
                                       passed=not problems, description=description))
        label = store.track(track_key).label
    return dg.AssetCheckResult(
        passed=not problems,
        description=description[:1000],
        metadata={"track": label, "track_key": track_key, "problems": len(problems), **metadata},
    )


@dg.asset_check(asset="track_files", partitions_def=track_partitions, description="Each format decodes fully, with the configured codec, "
                "sample rate and channels, and plays within 1% of the original's length.")
def audio_formats_valid(context: dg.AssetCheckExecutionContext, music_library: MusicLibrary) -> dg.AssetCheckResult:
    settings = music_library.settings()
    problems, rows = verify.audio_problems(settings, music_library.store, context.partition_key)
    table = "\n".join(f"| {r['format']} | {r['codec']} | {r['sample_rate']} | {r['channels']} | {r['duration_s']} |"
                      for r in rows)
    return _result(context, music_library, "audio_formats_valid", problems,
                   f"{len(rows)} formats decode as configured",
                   {"files": dg.MetadataValue.md("| format | codec | Hz | channels | seconds |\n|---|---|---|---|---|\n"
                                                 + table)})


@dg.asset_check(asset="track_files", partitions_def=track_partitions, description="Every file carries the catalog's title, artists, album, "
                "year, ISRC, source URL, artwork, BPM, key and Camelot code, with the same values.")
def tags_complete(context: dg.AssetCheckExecutionContext, music_library: MusicLibrary) -> dg.AssetCheckResult:
    problems = verify.tag_problems(music_library.settings(), music_library.store,
                                   context.partition_key)
    return _result(context, music_library, "tags_complete", problems, "all tags present and equal to the catalog",
                   {})


@dg.asset_check(asset="track_analysis", partitions_def=track_partitions, description="BPM inside the configured range, the key one of the 24, "
                "confidences within [0, 1].")
def analysis_plausible(context: dg.AssetCheckExecutionContext, music_library: MusicLibrary) -> dg.AssetCheckResult:
    analysis = music_library.store.analysis(context.partition_key)
    problems = verify.analysis_problems(music_library.settings(), analysis)
    metadata = {} if analysis is None else {
        "bpm": None if analysis.bpm is None else round(analysis.bpm, 1), "key": analysis.key_name,
        "bpm_confidence": round(analysis.bpm_confidence, 2), "key_confidence": round(analysis.key_confidence, 2)}
    return _result(context, music_library, "analysis_plausible", problems, "tempo and key are plausible", metadata)
