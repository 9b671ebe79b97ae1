"""Tempo, beat grid and key on plain synthesised grooves, at every whole BPM of each genre's tempi.

    python -m benchmarks.grooves [--step 1] [--seconds 20] [--jobs 2]

The labelled sets render whole arrangements at the tempi their recipes draw, a few per genre, and
a rule can hold at 148 BPM and fail at 147: sixteenth hats fall a fraction of a frame apart, and
which of their multiples lands nearest a whole frame changes with the tempo. This sweep renders
each groove of `musicsync_assets/lib/audio/demo.py` (a kick, a snare and hats, a bass on every
beat, a chord a bar, the first beat at 0) at every step of its genre's tempi, and prints per
groove the tempi read within 4% and within 0.5 BPM, the grids within 20 ms and off the beat (by
more than a quarter beat), the keys read exactly, and every miss. Nothing is drawn at random but the
drums' noise, so a run repeats the last one exactly: a change's effect shows as a diff.
"""

import argparse
import sys
from multiprocessing import Pool
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np

from benchmarks.analysis import beat_phase_error, grid_off_the_beat, grid_within_20_ms, tempo_scores
from musicsync_assets.lib.audio import demo
from musicsync_assets.lib.audio.analysis import analyze_pcm
from musicsync_assets.lib.audio.musickeys import ALL_KEYS

# Each groove's tempi, as the genre it stands for is played (the 70-180 range's top is exclusive).
TEMPI = {
    "four_on_the_floor": (115, 135), "house": (118, 132), "techno": (125, 145), "breakbeat": (160, 179),
    "boom_bap": (80, 98), "half_time": (136, 150), "trap": (130, 170), "dembow": (88, 102),
    "two_step": (128, 138), "waltz": (90, 140),
}
COLUMNS = ("tempi", "tempo 4%", "0.5 BPM", "grid 20 ms", "off beat", "key")


class Reading(NamedTuple):
    groove: str
    bpm: float  # as rendered
    key: str  # as rendered
    read_bpm: float | None
    grid_error_s: float | None  # None without a tempo in the right octave
    key_right: bool


def _read(job: tuple[str, float, int, float]) -> Reading:
    groove, bpm, key_index, seconds = job
    key = ALL_KEYS[key_index]
    result = analyze_pcm(demo.pcm16(demo.render(bpm, key, seconds, groove=groove, seed=int(bpm * 10))),
                         demo.SAMPLE_RATE)
    labelled = SimpleNamespace(drummed=True, bpm=bpm, first_beat_s=0.0)  # render puts beat 1 at 0
    return Reading(groove, bpm, key.name, result.bpm, beat_phase_error(labelled, result.as_json()),
                   result.key == key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=float, default=1.0, help="BPM between two tempi of a groove")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each rendering")
    parser.add_argument("--jobs", type=int, default=2, help="processes analysing at once")
    args = parser.parse_args()
    jobs = [(groove, float(bpm), index % len(ALL_KEYS), args.seconds)
            for groove, (low, high) in TEMPI.items()
            for index, bpm in enumerate(np.arange(low, high + 1e-9, args.step))]
    with Pool(args.jobs) as pool:
        results = pool.map(_read, jobs, chunksize=4)
    print(f"{'groove':18s}" + "".join(f"{column:>11s}" for column in COLUMNS) + "  misses")
    totals = np.zeros(len(COLUMNS), dtype=int)
    for groove in TEMPI:
        counts, misses = _score([reading for reading in results if reading.groove == groove])
        totals += counts
        print(f"{groove:18s}" + "".join(f"{count:11d}" for count in counts) + f"  {' '.join(misses)}")
    print(f"{'all':18s}" + "".join(f"{count:11d}" for count in totals))
    return 0


def _score(readings: list[Reading]) -> tuple[np.ndarray, list[str]]:
    """One groove's counts, in COLUMNS order, and its misses."""
    counts, misses = np.zeros(len(COLUMNS), dtype=int), []
    for _, bpm, key, read, grid, key_right in readings:
        within_4, _, within_half_bpm = tempo_scores(bpm, read)
        counts += (1, within_4, within_half_bpm, grid is not None and grid_within_20_ms(grid),
                   grid is not None and grid_off_the_beat(grid, bpm), key_right)
        if not within_half_bpm:
            misses.append(f"{bpm:g}→{read:.1f}" if read else f"{bpm:g}→none")
        if grid is not None and not grid_within_20_ms(grid):
            misses.append(f"{bpm:g} grid {grid * 1000:+.0f} ms")
        if not key_right:
            misses.append(f"{bpm:g} key ({key})")
    return counts, misses


if __name__ == "__main__":
    sys.exit(main())
