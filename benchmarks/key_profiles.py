"""Which key profile and which chroma features generalise: a comparison on the *tune* part of the
broad set (benchmarks/broad_set.py). Never run this on the held-out part to choose anything.

    python -m benchmarks.key_profiles [--folder /tmp/musicsync-broad] [--part tune]

For every track it computes the analyser's own pitch spectrum (lib/audio/analysis.py: one STFT at
22,050 Hz, 3 bins a semitone, tuning estimated first) once, then scores each combination of:
- profile: Krumhansl-Kessler, Temperley (revised, as in Essentia), Sha'ath, EDMA (Faraldo et al.
  2016, electronic dance music), Albrecht-Shanahan (2013, common-practice pieces), Aarden-Essen
  (2003, folk songs), and "mean", the consensus of the six;
- chroma (analysis.KEY_VARIANTS): plain; magnitude instead of power; harmonic partials subtracted;
  harmonic-weighted (each partial also credited to the fundamentals it may be the 2nd-4th
  harmonic of); with the bass's (below E3) share on each key's tonic added to its score;
and prints key exact / MIREX / relative-parallel / fifth errors, dance-style and chorales apart
(`--list` also names every wrong key; `--bass-weight` sets the bass term's weight). On the
89-track tune part the consensus of the first four with harmonic-weighted chroma and the bass term
came out on top (82%, MIREX 0.87; no single profile led on both the dance tracks and the chorales).
Adding the two profiles counted from composed music, with the bass term at half weight, then took
the chorales from 21 to 24 of 28 for one dance track lost (84%, MIREX 0.88); the analyser uses that.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from benchmarks import broad_set
from benchmarks.analysis import key_relation, key_score
from musicsync_assets.lib.audio import analysis


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", default="/tmp/musicsync-broad")
    parser.add_argument("--part", default="tune", choices=("tune",), help="only the tune part: choose nothing on held-out")
    parser.add_argument("--list", action="store_true", help="name every wrong key")
    parser.add_argument("--bass-weight", type=float, default=analysis.BASS_WEIGHT,
                        help="weight of the bass's share on each tonic (the analyser's by default)")
    args = parser.parse_args()
    analysis.BASS_WEIGHT = args.bass_weight
    tracks = broad_set.build(Path(args.folder), args.part)
    collected = []
    for track in tracks:
        analyzer = analysis.Analyzer(44100, 2)
        from musicsync_assets.lib.audio import codec

        for block in codec.stream(Path(track.path), 44100, 2, analysis.BLOCK_S, None):
            analyzer.feed(block)
        analyzer.result()
        collected.append((track, analyzer.key_features()))
    for profile in [*analysis.PROFILES, "mean"]:
        for variant in analysis.KEY_VARIANTS:
            rows = []
            for track, feats in collected:
                key, confidence = analysis.key_from_features(feats, profile=profile, variant=variant)
                rows.append((track, key, confidence))
            _print(profile, variant, rows)
    return 0


def _print(profile: str, variant: str, rows: list) -> None:
    def cell(chosen):
        if not chosen:
            return "    -    "
        relations = [key_relation(t.musical_key, k) for t, k, _ in chosen]
        exact = np.mean([r == "exact" for r in relations])
        mirex = np.mean([key_score(t.musical_key, k) for t, k, _ in chosen])
        rp = sum(r in ("relative", "parallel") for r in relations)
        fifth = sum(r == "fifth" for r in relations)
        return f"{exact:4.0%} {mirex:4.2f} {rp:2d}rp {fifth:2d}f5"

    dance = [r for r in rows if r[0].group != "chorale"]
    chorale = [r for r in rows if r[0].group == "chorale"]
    if "--list" in sys.argv:
        for t, k, c in rows:
            if k != t.musical_key:
                print(f"     {t.name:<40} {t.arrangement[:30]:<30} {t.key:>9} -> {k.name if k else None} {c:.2f}")
    print(f"{profile:<10}{variant:<22} all {cell(rows)} | dance {cell(dance)} | chorales {cell(chorale)}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
