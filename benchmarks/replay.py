"""Replays the analyser over every labelled track already read, and says what a change moved.

    python -m benchmarks.replay run before.jsonl [--jobs 2]     (analyse every read track)
    python -m benchmarks.replay diff before.jsonl after.jsonl   (what moved between two runs)

A change to the analyser is chosen on the parts that have been read (each measured once, then
seen) and measured once on parts nothing was tuned on (`benchmarks/analysis.py`). `run` analyses
every track of the broad set's parts and the independent set's batches up to READ_THROUGH, the
last ones measured, with the analyser as it is, writing one JSON row per track (labels beside
estimates, the grid's phase error and the key's relation to the label). `diff` compares two such
files: tempo within 4%, exact keys, grids within 20 ms and grids off the beat (a quarter beat or
more), then every track whose verdict changed, put right or put wrong. About ten minutes on two
cores for everything read; both sets must be rendered first (`benchmarks/analysis.py` renders a
part on first use).

Raise READ_THROUGH after measuring a new part, never before: a part replayed while choosing a
change is no longer unseen.
"""

import argparse
import json
import sys
from multiprocessing import Pool
from pathlib import Path

from benchmarks import broad_set, independent_set
from benchmarks.analysis import (beat_phase_error, grid_off_the_beat, grid_within_20_ms, key_relation,
                                 tempo_scores)
from musicsync_assets.lib.audio import analysis

READ_THROUGH = ("heldout25", 13)  # the last broad part and independent batch measured
BROAD_FOLDER = Path("/tmp/musicsync-broad")


def read_tracks() -> list[tuple[str, str, broad_set.Track]]:
    """(set, part, track) for every track read so far: rendered ones only, in a stable order."""
    last_part, last_batch = READ_THROUGH
    parts = ["tune", "heldout", *broad_set.HELDOUT_PARTS[:broad_set.HELDOUT_PARTS.index(last_part) + 1]]
    tracks = [("broad", part, track) for part in parts for track in broad_set.build(BROAD_FOLDER, part)]
    for batch in range(1, last_batch + 1):
        folder = independent_set.default_folder(batch)
        tracks += [("independent", str(batch), track) for track in independent_set.build(folder, batch)]
    return tracks


def _row(item: tuple[str, str, broad_set.Track]) -> dict:
    kind, part, track = item
    result = analysis.analyze_file(Path(track.path))
    estimate = result.as_json()
    labels = {"set": kind, "part": part, "name": track.name, "group": track.group,
              "arrangement": track.arrangement, "drummed": track.drummed, "bpm_true": track.bpm,
              "key_true": track.musical_key.name}
    read = {name: estimate[name]
            for name in ("bpm", "bpm_confidence", "key", "key_confidence", "beat_offset_s")}
    return {**labels, **read, "key_relation": key_relation(track.musical_key, result.key),
            "phase_error_s": beat_phase_error(track, estimate)}


def run(out: Path, jobs: int) -> int:
    tracks = read_tracks()
    print(f"Analysing {len(tracks)} read tracks with analyser {analysis.ANALYZER_VERSION} into {out} ...",
          flush=True)
    with Pool(jobs) as pool, out.open("w") as rows:
        for done, row in enumerate(pool.imap(_row, tracks, chunksize=4), 1):
            rows.write(json.dumps(row) + "\n")
            if done % 500 == 0:
                print(f"  {done} of {len(tracks)}", flush=True)
    return 0


MEASURES = {"tempo within 4%": "drummed tracks", "key exact": "all tracks",
            "grid within 20 ms": "drummed, at the right tempo",
            "grid on the beat": "drummed, at the right tempo"}


def _verdicts(row: dict) -> dict[str, bool | None]:
    """Each of MEASURES' verdict on one track; None where it does not apply."""
    error = row["phase_error_s"]
    return {"tempo within 4%": tempo_scores(row["bpm_true"], row["bpm"])[0] if row["drummed"] else None,
            "key exact": row["key_relation"] == "exact",
            "grid within 20 ms": None if error is None else grid_within_20_ms(error),
            "grid on the beat": None if error is None else not grid_off_the_beat(error, row["bpm_true"])}


def diff(before_path: Path, after_path: Path) -> int:
    def load(path: Path) -> dict[tuple, dict]:
        return {(row["set"], row["part"], row["name"]): row for row in map(json.loads, path.open())}

    before, after = load(before_path), load(after_path)
    shared = [key for key in before if key in after]
    verdicts = {key: (_verdicts(before[key]), _verdicts(after[key])) for key in shared}
    print(f"{len(shared)} tracks in both runs")
    for measure, scope in MEASURES.items():
        old_count = sum(bool(old[measure]) for old, _ in verdicts.values())
        new_count = sum(bool(new[measure]) for _, new in verdicts.values())
        print(f"  {measure:<18} {old_count:>5} -> {new_count:>5}  ({scope})")
    for key, (old, new) in verdicts.items():
        for measure in old:
            if old[measure] is not None and new[measure] is not None and old[measure] != new[measure]:
                was, now = before[key], after[key]
                print(f"  {'right' if new[measure] else 'WRONG'}: {measure:<18} {'/'.join(key):<62} "
                      f"bpm {was['bpm']} -> {now['bpm']}, key {was['key']} -> {now['key']}, "
                      f"grid {_ms(was['phase_error_s'])} -> {_ms(now['phase_error_s'])}")
    return 0


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:+.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="analyse every read track, one JSON row each")
    run_parser.add_argument("out", type=Path)
    run_parser.add_argument("--jobs", type=int, default=2)
    diff_parser = commands.add_parser("diff", help="what moved between two runs")
    diff_parser.add_argument("before", type=Path)
    diff_parser.add_argument("after", type=Path)
    args = parser.parse_args()
    try:
        return run(args.out, args.jobs) if args.command == "run" else diff(args.before, args.after)
    except FileNotFoundError as missing:
        print(f"{missing.filename}: no such file (render the sets with benchmarks/analysis.py first)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
