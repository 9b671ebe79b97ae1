"""Checks that every synced track is really playable, tagged and plausibly analysed.

They run in the step that wrote what they check, right after it, on the same track: a step of
their own would cost each track's run more of Dagster's time than the checks take.
Each result sits on the track's partition in the UI, with its reason, and lands in the run
history's `check_results` table. Selected alone (the UI's "Execute checks"), they check what is
on disk without re-encoding or retagging anything.
"""

from collections.abc import Iterator

import dagster as dg

# Not exported by dagster, and the only way to say which materialization a reported check targets.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary
from musicsync_assets.lib.catalog.store import CheckRecord, Store
from musicsync_assets.lib.pipeline import verify
from musicsync_assets.lib.pipeline.stages import LibrarySettings

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
NOT_A_DUPLICATE = dg.AssetCheckSpec(
    "not_a_duplicate", asset="library_entry", partitions_def=track_partitions,
    description="The track is not the same recording as another library entry (by acoustic fingerprint, else ISRC "
                "or artist and title); a duplicate is settled by the duplicate policy.")
RENDER_CHECKS = [ANALYSIS_PLAUSIBLE, AUDIO_FORMATS_VALID, TAGS_COMPLETE]


def _analysis_plausible(settings: LibrarySettings, store: Store, track_key: str) -> tuple[list[str], str, dict]:
    analysis = store.analysis(track_key)
    metadata = {} if analysis is None else {
        "bpm": None if analysis.bpm is None else round(analysis.bpm, 1), "key": analysis.key_name,
        "bpm_confidence": round(analysis.bpm_confidence, 3), "key_confidence": round(analysis.key_confidence, 3)}
    return verify.analysis_problems(settings, analysis), "tempo and key are plausible", metadata


def _audio_formats_valid(settings: LibrarySettings, store: Store, track_key: str) -> tuple[list[str], str, dict]:
    problems, rows = verify.audio_problems(settings, store, track_key)
    table = "\n".join(f"| {r['format']} | {r['codec']} | {r['sample_rate']} | {r['channels']} | {r['duration_s']} |"
                      for r in rows)
    return problems, f"{len(rows)} formats decode as configured", {
        "files": dg.MetadataValue.md("| format | codec | Hz | channels | seconds |\n|---|---|---|---|---|\n" + table)}


def _tags_complete(settings: LibrarySettings, store: Store, track_key: str) -> tuple[list[str], str, dict]:
    return verify.tag_problems(settings, store, track_key), "all tags present and equal to the catalog", {}


# Each check: the problems it finds, what a pass says, and metadata for the UI.
EVALUATIONS = [(ANALYSIS_PLAUSIBLE, _analysis_plausible), (AUDIO_FORMATS_VALID, _audio_formats_valid),
               (TAGS_COMPLETE, _tags_complete)]
# What to do when a check fails, after its problems.
REMEDIES = {ANALYSIS_PLAUSIBLE.name: "give your own with `musicsync override {track_key} --bpm … --key …`",
            AUDIO_FORMATS_VALID.name: "sync the track again (`musicsync sync {track_key}`) to write it anew",
            TAGS_COMPLETE.name: "sync the track again (`musicsync sync {track_key}`) to restore the tags"}


def report(context: dg.AssetExecutionContext, spec: dg.AssetCheckSpec, track_key: str, passed: bool,
           description: str, metadata: dict, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR) -> Iterator:
    """A check's result on a track's partition. `sync_track` leaves the checks out of its plan and
    its steps report them as they run: Dagster shows a check planned in a run that then failed (say
    at the download) as failed on that track, though it never ran. Run on their own for a track
    (the UI's "Execute checks" or "Materialize", which plan them), they are the step's results as
    usual; run for no track (the UI's "Execute all"), each track's result is reported."""
    if context.has_partition_key and spec.key in context.selected_asset_check_keys:
        yield dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=passed,
                                  description=description, metadata=metadata, severity=severity)
    else:
        context.log_event(dg.AssetCheckEvaluation(
            asset_key=spec.asset_key, check_name=spec.name, passed=passed, description=description,
            metadata=metadata, severity=severity, partition=track_key,
            target_materialization_data=_checked_materialization(context, spec.asset_key, track_key)))


def _checked_materialization(context: dg.AssetExecutionContext, asset_key: dg.AssetKey,
                             track_key: str) -> AssetCheckEvaluationTargetMaterializationData | None:
    """The track's materialization the check looked at: without it the UI counts the result as
    stale and shows the track's check as missing."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[track_key]), limit=1).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id, run_id=records[0].run_id, timestamp=records[0].timestamp)


def render_check_results(context: dg.AssetExecutionContext, music: MusicLibrary, track_key: str, label: str,
                         wrote: bool) -> Iterator[dg.AssetCheckResult]:
    """The checks of the track's analysis and files, recorded in the run history at once: all of
    them after the step wrote, else the ones selected."""
    selected = {key.name for key in context.selected_asset_check_keys}
    settings, store = music.settings(), music.store
    results = []  # (spec, problems, description, metadata)
    for spec, evaluate in EVALUATIONS:
        if not wrote and spec.name not in selected:
            continue
        try:
            problems, passed_text, metadata = evaluate(settings, store, track_key)
        except Exception as error:  # a check that cannot look fails, saying why, not the step that wrote
            context.log.exception(f"{spec.name} could not check {label}")
            problems, passed_text, metadata = [f"could not check: {type(error).__name__}: {error}"], "", {}
        remedy = REMEDIES[spec.name].format(track_key=track_key)
        if problems:
            listed = "\n".join(f"- {problem}" for problem in problems) + f"\n\nTo put it right: {remedy}"
            metadata = {"problem list": dg.MetadataValue.md(listed), **metadata}
        results.append((spec, problems, f"{'; '.join(problems)} — {remedy}" if problems else passed_text, metadata))
    if not results:
        return
    with store.session():  # one opening of the catalog for all of them
        for spec, problems, description, _ in results:
            store.record_check(CheckRecord(run_id=context.run.run_id, track_key=track_key, check_name=spec.name,
                                           passed=not problems, description=description))
    for spec, problems, description, metadata in results:
        yield from report(context, spec, track_key, not problems, description[:1000],
                          {"track": label, "track_key": track_key, "problems": len(problems), **metadata})
