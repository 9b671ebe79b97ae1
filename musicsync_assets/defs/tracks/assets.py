"""The per-track assets: one partition per track, keyed `yt-…`, `sc-…`, `url-…`, `file-…`. Each
materialization is labelled with the track's name, so the UI shows whose BPM it is."""

from collections.abc import Callable, Iterator

import dagster as dg

from musicsync_assets.defs.jobs import TRACK_TAG, TRACKS_GROUP
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import MusicLibrary, SoundCloudAccount, SpotifyAccount
from musicsync_assets.defs.tracks.checks import NOT_A_DUPLICATE, RENDER_CHECKS, render_check_results, report
from musicsync_assets.lib.errors import HEAL_MAX_ATTEMPTS, LibraryBusy, MusicsyncError, heal_delay_s
from musicsync_assets.lib.pipeline import stages
from musicsync_assets.lib.pipeline.stages import Outcome

IN_RUN_RETRIES = 1


def run_stage(context: dg.AssetExecutionContext, music: MusicLibrary, stage: Callable, **kwargs):
    """Runs one stage for the partition's track; a failure is recorded on the track and explained.
    An interrupted stage (Ctrl-C, a cancelled run) leaves no scratch files and no failure behind:
    the next sync resumes it."""
    track_key = context.partition_key
    try:
        return stage(music.settings(), track_key, **kwargs)
    except Exception as error:
        if _being_stopped(context):  # what broke as the run was being cancelled broke because of it
            stages.discard_scratch(music.settings(), track_key)
            raise
        if not isinstance(error, MusicsyncError):
            music.store.mark_failed(track_key, "internal", f"{type(error).__name__}: {error}")
            raise
        _fail(context, music, error)
    except BaseException:
        stages.discard_scratch(music.settings(), track_key)
        raise


def _being_stopped(context: dg.AssetExecutionContext) -> bool:
    status = context.instance.get_run_by_id(context.run_id).status
    return status in (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


def _fail(context: dg.AssetExecutionContext, music: MusicLibrary, error: MusicsyncError) -> None:
    """Records the failure on the track, with when it is tried again if it may heal, and fails
    the step with what to do (or asks Dagster to run it again in this run, once). A busy catalog
    cannot record anything: the track stays as it was, and the next sync resumes it."""
    track_key, store = context.partition_key, music.store
    if error.healable and context.retry_number < IN_RUN_RETRIES:
        # A blip passes in seconds: Dagster runs the step again in this run, and only a failure
        # of that try is recorded (one attempt per run, so the healing waits double as they say).
        # Longer outages are the healing sensor's; an interrupted run is never retried.
        raise dg.RetryRequested(max_retries=IN_RUN_RETRIES, seconds_to_wait=music.in_run_retry_wait_s) from error
    if isinstance(error, LibraryBusy):
        message, next_try = str(error), "at the next sync of this track"
    else:
        track = store.track(track_key)
        error = stages.in_the_users_words(error, track)
        delay = heal_delay_s(error, (track.attempts or 0) if track else 0)
        message = str(error) if delay is not None or not error.healable else \
            f"{error} (gave up after {HEAL_MAX_ATTEMPTS} tries: it needs a person now)"
        store.mark_failed(track_key, error.error_class, message, delay)
        next_try = None
    if next_try is None:
        retry_at = store.track(track_key).retry_at
        next_try = f"{retry_at:%Y-%m-%d %H:%M} UTC, by itself" if retry_at else "when a person acts"
    raise dg.Failure(
        description=message,
        metadata={"track_key": track_key, "error_class": error.error_class, "what_to_do": error.hint,
                  "next_try": next_try},
        allow_retries=False,
    ) from error


# The two columns of a detail that maps one thing to another, as the UI's table shows them.
_COLUMNS = {"formats": ("format", "file")}


def as_metadata(outcome: Outcome) -> dict:
    """Outcome details as UI metadata, led by the track's name: the stage's paths as paths, lists
    as text ("wav, aiff"), a mapping as a two-column table, anything nested deeper as JSON, empty
    ones left out."""
    metadata: dict = {"track": outcome.label, "status": outcome.status}
    for name, value in outcome.details.items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            metadata[name] = ", ".join(value)
        elif isinstance(value, dict) and all(isinstance(item, str | int | float) for item in value.values()):
            left, right = _COLUMNS.get(name, ("", ""))
            rows = "\n".join(f"| {key} | `{item}` |" if name in _COLUMNS else f"| {key} | {item} |"
                             for key, item in value.items())
            metadata[name] = dg.MetadataValue.md(f"| {left} | {right} |\n|---|---|\n{rows}")
        elif isinstance(value, dict | list):
            metadata[name] = dg.MetadataValue.json(value)
        elif name in outcome.paths:
            metadata[name] = dg.MetadataValue.path(value)
        else:
            metadata[name] = value
    return metadata


@dg.asset(partitions_def=track_partitions, group_name=TRACKS_GROUP, deps=["notion_edits"], kinds={"python"})
def track_metadata(context: dg.AssetExecutionContext, music_library: MusicLibrary,
                   spotify: SpotifyAccount) -> dg.MaterializeResult:
    """Who and what the track is: title, artists, album, year, ISRC and artwork, from the page it
    came from (through yt-dlp), a dropped file's own tags and name, or the like that found it;
    with Spotify configured, completed from Spotify's match when it scores well enough."""
    outcome = run_stage(context, music_library, stages.resolve_metadata,
                        spotify=spotify.client() if spotify.configured else None)
    if context.run.tags.get(TRACK_TAG) != outcome.label:
        # A file or link is named only now: the run's tag follows, so the Runs page finds it by title.
        context.instance.add_run_tags(context.run_id, {TRACK_TAG: outcome.label})
    return dg.MaterializeResult(metadata=as_metadata(outcome))


@dg.asset(partitions_def=track_partitions, group_name=TRACKS_GROUP, deps=[track_metadata], kinds={"python"})
def track_audio(context: dg.AssetExecutionContext, music_library: MusicLibrary,
                soundcloud: SoundCloudAccount) -> dg.MaterializeResult:
    """The original audio exactly as downloaded or dropped in, kept untouched in `originals/` so every
    format can be re-rendered later without downloading again."""
    outcome = run_stage(context, music_library, stages.fetch_original, soundcloud=soundcloud.client())
    return dg.MaterializeResult(metadata=as_metadata(outcome))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "track_analysis", deps=[track_audio], group_name=TRACKS_GROUP, kinds={"python"},
            description="BPM, musical key (standard, Camelot, Open Key), their confidences, duration and "
                        "loudness, computed locally from the original.",
            skippable=True,
        ),
        dg.AssetSpec(
            "track_files", deps=[track_audio, "track_analysis"], group_name=TRACKS_GROUP, kinds={"python"},
            description="The library files (M4A, WAV, AIFF by default) under `library/<format>/`, "
                        "tagged with title, artists, BPM, key and Camelot code.",
            skippable=True,
        ),
    ],
    check_specs=RENDER_CHECKS,
    partitions_def=track_partitions,
    can_subset=True,
    # The renders at once are bounded by this pool's limit in dagster.yaml, one per core.
    pool="musicsync_render",
)
def analyze_and_render(context: dg.AssetExecutionContext, music_library: MusicLibrary) -> Iterator:
    """Decodes the original once, analyses it while ffmpeg writes every format, tags the files,
    then checks what it wrote."""
    selected = {key.to_user_string() for key in context.selected_asset_keys}
    if not selected:  # its checks alone (the UI's "Execute checks"): what is on disk, as it is
        store = music_library.store
        # For no track in particular (the UI's "Execute all"): every synced track.
        keys = [context.partition_key] if context.has_partition_key else [t.track_key for t in store.tracks("synced")]
        if context.has_partition_key and context.run.tags.get(TRACK_TAG) != store.label(context.partition_key):
            # The Runs page finds a track's check-only runs by its title too.
            context.instance.add_run_tags(context.run_id, {TRACK_TAG: store.label(context.partition_key)})
        for key in keys:
            yield from render_check_results(context, music_library, key, store.label(key), wrote=False)
        return
    analysis, files = run_stage(context, music_library, stages.analyze_and_render,
                                analysis_wanted="track_analysis" in selected,
                                files_wanted="track_files" in selected)
    if "track_analysis" in selected:
        yield dg.MaterializeResult(asset_key="track_analysis", metadata=as_metadata(analysis))
    if "track_files" in selected:
        yield dg.MaterializeResult(asset_key="track_files", metadata=as_metadata(files))
    yield from render_check_results(context, music_library, context.partition_key, analysis.label, wrote=True)


@dg.multi_asset(
    specs=[dg.AssetSpec(
        "library_entry", deps=["track_files", "track_analysis"], group_name=TRACKS_GROUP, kinds={"duckdb"},
        description="The track's row in the library catalog (DuckDB), marked synced once every format and the "
                    "analysis are in place; what `musicsync library` lists. Its fingerprint is kept, so a second "
                    "copy of the same recording is caught however it was encoded or trimmed.",
    )],
    check_specs=[NOT_A_DUPLICATE],
    partitions_def=track_partitions,
    can_subset=True,  # so that `sync_track` can leave the check out of its plan
)
def library_entry(context: dg.AssetExecutionContext, music_library: MusicLibrary) -> Iterator:
    """Files the track in the catalog (unless its duplicate check runs alone), then fingerprints it
    and looks for another copy."""
    if not context.has_partition_key:
        raise dg.Failure(description="The duplicate check runs on one track at a time: launch it for a "
                                     "track's partition (Materialize, then choose the partition).")
    filing = bool(context.selected_asset_keys)
    outcome = run_stage(context, music_library, stages.file_in_library) if filing else None
    duplicate = run_stage(context, music_library, stages.flag_duplicate)
    label = outcome.label if outcome else music_library.store.label(context.partition_key)
    if outcome:
        row = outcome.details
        table = "\n".join(f"| {fmt} | `{path}` |" for fmt, path in row["files"].items())
        yield dg.MaterializeResult(asset_key="library_entry", metadata={
            "track": label,
            "status": outcome.status,
            "title": row["title"],
            "artists": ", ".join(row["artists"]),
            "bpm": row["bpm"],
            "key": row["key"],
            "camelot": row["camelot"],
            "files": dg.MetadataValue.md(f"| format | path |\n|---|---|\n{table}"),
        })
    yield from report(
        context, NOT_A_DUPLICATE, context.partition_key, passed=duplicate is None, severity=dg.AssetCheckSeverity.WARN,
        description=(f"{duplicate.describe()}; the library keeps one copy by the '{music_library.duplicate_policy}' "
                     "policy when it next refreshes") if duplicate else "no other entry is the same recording",
        metadata={"track": label, **({"duplicate_of": duplicate.duplicate_of} if duplicate else {})},
    )
