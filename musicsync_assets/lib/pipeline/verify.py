"""What the asset checks verify, as plain functions returning the problems they find."""

from pathlib import Path

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.audio.musickeys import ALL_KEYS
from musicsync_assets.lib.audio.tags import tag_differences
from musicsync_assets.lib.catalog.store import AnalysisRecord, Store
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.pipeline.stages import LibrarySettings, expected_tags

DURATION_TOLERANCE = 0.01


def audio_problems(settings: LibrarySettings, store: Store, track_key: str) -> tuple[list[str], list[dict]]:
    """Each configured format: present, decodes, right codec/rate/channels, same length as the original."""
    original = store.original(track_key)
    files = {f.format: f for f in store.files(track_key)}
    problems, rows = [], []
    for fmt in settings.formats:
        record = files.get(fmt)
        if record is None or not Path(record.path).is_file():
            problems.append(f"{fmt}: no file")
            continue
        try:
            described = codec.probe(Path(record.path))
            played_s = codec.decoded_duration(Path(record.path))
        except MusicsyncError as error:  # damaged, or no longer audio at all
            problems.append(f"{fmt}: {error.reason}")
            continue
        # A stream-copied M4A keeps the source's own rate, by design.
        want_rate = original.sample_rate if record.encoding == "copy" and original else settings.sample_rate
        want_codec = codec.EXPECTED_CODEC[fmt]
        if described.codec != want_codec:
            problems.append(f"{fmt}: codec {described.codec}, expected {want_codec}")
        if described.sample_rate != want_rate:
            problems.append(f"{fmt}: {described.sample_rate} Hz, expected {want_rate} Hz")
        if described.channels != settings.channels:
            problems.append(f"{fmt}: {described.channels} channels, expected {settings.channels}")
        reference = original.duration_s if original and original.duration_s else None
        if reference and abs(played_s - reference) > DURATION_TOLERANCE * reference:
            problems.append(f"{fmt}: plays {played_s:.2f} s, the original {reference:.2f} s")
        rows.append({"format": fmt, "codec": described.codec, "sample_rate": described.sample_rate,
                     "channels": described.channels, "duration_s": round(played_s, 2)})
    return problems, rows


def tag_problems(settings: LibrarySettings, store: Store, track_key: str) -> list[str]:
    """Every file carries the catalog's tags: what is missing, and what differs."""
    track = store.track(track_key)
    if track is None:
        return [f"{track_key} is not in the catalog"]
    catalog = expected_tags(track, store.analysis(track_key))
    problems = []
    for record in store.files(track_key):
        if record.format not in settings.formats:
            continue
        if not Path(record.path).is_file():
            problems.append(f"{record.format}: no file")
            continue
        problems += [f"{record.format}: {difference}" for difference in tag_differences(Path(record.path), catalog)]
    return problems


def analysis_problems(settings: LibrarySettings, analysis: AnalysisRecord | None) -> list[str]:
    if analysis is None:
        return ["no analysis recorded"]
    problems = []
    low, high = settings.bpm_range
    if analysis.bpm is None:
        problems.append("no tempo found")
    elif not low <= analysis.bpm <= high:
        problems.append(f"BPM {analysis.bpm:.1f} outside {low:g}-{high:g}")
    if analysis.key_name is None:
        problems.append("no key found")
    elif analysis.key_name not in {key.name for key in ALL_KEYS}:
        problems.append(f"key {analysis.key_name!r} is not one of the 24 keys")
    for name in ("bpm_confidence", "key_confidence"):
        value = getattr(analysis, name)
        if not 0.0 <= value <= 1.0:
            problems.append(f"{name} {value} outside [0, 1]")
    return problems
