"""Checks that every synced track is really playable, tagged and plausibly analysed.

They run in the step that wrote the files and the analysis, right after it, on the same track:
a step of their own would cost each track's run more of Dagster's time than the checks take.
Each result sits on the track's partition in the UI, with its reason, and lands in the run
history's `check_results` table. Selected alone (the UI's "Execute checks"), they check what is
on disk without writing anything.
"""

from collections.abc import Iterator

import dagster as dg

from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.catalog.store import CheckRecord
from musicsync_assets.lib.pipeline import verify

AUDIO_FORMATS_VALID = dg.AssetCheckSpec(
    "audio_formats_valid", asset="track_files", partitions_def=track_partitions,
    description="Each format decodes fully, with the configured codec, sample rate and channels, and plays "
                "within 1% of the original's length.")
TAGS_COMPLETE = dg.AssetCheckSpec(
    "tags_complete", asset="track_files", partitions_def=track_partitions,
    description="Every file carries the catalog's title, artists, album, year, ISRC, source URL, artwork, BPM, "
                "key and Camelot code, with the same values.")
ANALYSIS_PLAUSIBLE = dg.AssetCheckSpec(
    "analysis_plausible", asset="track_analysis", partitions_def=track_partitions,
    description="BPM inside the configured range, the key one of the 24, confidences within [0, 1].")
RENDER_CHECKS = [ANALYSIS_PLAUSIBLE, AUDIO_FORMATS_VALID, TAGS_COMPLETE]


def render_check_results(context: dg.AssetExecutionContext, music: MusicLibrary,
                         label: str) -> Iterator[dg.AssetCheckResult]:
    """The selected checks of the analysis and the files, recorded in the run history at once."""
    selected = {key.name for key in context.selected_asset_check_keys}
    settings, store, track_key = music.settings(), music.store, context.partition_key
    evaluations = []  # (spec, problems, what a pass says, metadata)
    if ANALYSIS_PLAUSIBLE.name in selected:
        analysis = store.analysis(track_key)
        evaluations.append((ANALYSIS_PLAUSIBLE, verify.analysis_problems(settings, analysis),
                            "tempo and key are plausible", {} if analysis is None else {
                                "bpm": None if analysis.bpm is None else round(analysis.bpm, 1),
                                "key": analysis.key_name, "bpm_confidence": round(analysis.bpm_confidence, 2),
                                "key_confidence": round(analysis.key_confidence, 2)}))
    if AUDIO_FORMATS_VALID.name in selected:
        problems, rows = verify.audio_problems(settings, store, track_key)
        table = "\n".join(f"| {r['format']} | {r['codec']} | {r['sample_rate']} | {r['channels']} | {r['duration_s']} |"
                          for r in rows)
        evaluations.append((AUDIO_FORMATS_VALID, problems, f"{len(rows)} formats decode as configured", {
            "files": dg.MetadataValue.md("| format | codec | Hz | channels | seconds |\n|---|---|---|---|---|\n"
                                         + table)}))
    if TAGS_COMPLETE.name in selected:
        evaluations.append((TAGS_COMPLETE, verify.tag_problems(settings, store, track_key),
                            "all tags present and equal to the catalog", {}))

    described = [(spec, problems, "; ".join(problems) if problems else passed_text, metadata)
                 for spec, problems, passed_text, metadata in evaluations]
    with store.session():  # one opening of the catalog for all of them
        for spec, problems, description, _ in described:
            store.record_check(CheckRecord(run_id=context.run.run_id, track_key=track_key, check_name=spec.name,
                                           passed=not problems, description=description))
    for spec, problems, description, metadata in described:
        yield dg.AssetCheckResult(
            asset_key=spec.asset_key, check_name=spec.name, passed=not problems, description=description[:1000],
            metadata={"track": label, "track_key": track_key, "problems": len(problems), **metadata},
        )
