"""How right and how fast the BPM and key analysis is, on a labelled set the benchmark makes itself.

    python -m benchmarks.analysis [--tracks 60] [--seconds 45] [--seed 7]    (from the repository root)

The set is synthesised from a seed (nothing is committed or downloaded): grooves across house and
techno (118-140 BPM), drum & bass breakbeats (170-176), boom-bap hip-hop (80-100), half-time and 3/4,
in all 24 keys with several timbres, some with a beatless intro. It prints, side by side, for
musicsync's analyser and for librosa's defaults (beat_track; chroma_cqt with Krumhansl profiles):
- tempo Accuracy1 (within 4%), Accuracy2 (also x2, x1/2, x3, x1/3), within +-0.5 BPM;
- key exact, MIREX weighted score (fifth 0.5, relative 0.3, parallel 0.2), Camelot-compatible rate;
- speed as a multiple of real time on one core, decoding included;
- for musicsync, how the errors split between low- and high-confidence halves.
Rendering through a General MIDI soundfont with FluidSynth is not part of this set yet.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib import audio, demo
from musicsync_assets.lib.analysis import analyze_pcm
from musicsync_assets.lib.musickeys import ALL_KEYS, MusicalKey

STYLES = (  # groove, tempo range, share of the set
    ("house", (118, 130)), ("techno", (128, 140)), ("breakbeat", (170, 176)), ("boom_bap", (80, 100)),
    ("half_time", (140, 150)), ("waltz", (90, 150)), ("four_on_the_floor", (100, 135)),
)


@dataclass(frozen=True)
class Labelled:
    name: str
    bpm: float
    key: MusicalKey
    groove: str
    path: Path


def build_set(folder: Path, count: int, seconds: float, seed: int) -> list[Labelled]:
    rng = np.random.default_rng(seed)
    tracks = []
    for n in range(count):
        groove, (low, high) = STYLES[n % len(STYLES)]
        bpm = round(float(rng.uniform(low, high)), 2)
        key = ALL_KEYS[int(rng.integers(24))]
        intro = float(rng.choice([0.0, 0.0, 0.0, 8.0]))
        samples = demo.render(bpm, key, seconds, seed=n, groove=groove, harmonics=int(rng.integers(1, 7)),
                              intro_s=intro)
        path = folder / f"{n:03d}-{groove}-{bpm}-{key.short}.flac"
        demo.write_audio(samples, path, "flac")
        tracks.append(Labelled(path.stem, bpm, key, groove, path))
    return tracks


def librosa_defaults(path: Path) -> tuple[float | None, MusicalKey | None]:
    """The anchor: what a user gets from librosa's documented defaults."""
    import librosa

    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).sum(axis=1)
    major = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
    minor = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
    scores = [np.corrcoef(chroma, np.roll(major if k.mode == "major" else minor, k.tonic))[0, 1] for k in ALL_KEYS]
    return float(np.atleast_1d(tempo)[0]), ALL_KEYS[int(np.argmax(scores))]


def musicsync(path: Path) -> tuple[float | None, MusicalKey | None, float, float]:
    result = analyze_pcm(audio.decode(path, 44100, 2), 44100)
    return result.bpm, result.key, result.bpm_confidence, result.key_confidence


def key_score(truth: MusicalKey, guess: MusicalKey | None) -> float:
    """MIREX weighting: exact 1, perfect fifth 0.5, relative 0.3, parallel 0.2."""
    if guess is None:
        return 0.0
    if guess == truth:
        return 1.0
    if guess.mode == truth.mode and (guess.tonic - truth.tonic) % 12 in (5, 7):
        return 0.5
    relative = (truth.tonic + (3 if truth.mode == "minor" else -3)) % 12
    if guess.mode != truth.mode and guess.tonic == relative:
        return 0.3
    if guess.mode != truth.mode and guess.tonic == truth.tonic:
        return 0.2
    return 0.0


def camelot_compatible(truth: MusicalKey, guess: MusicalKey | None) -> bool:
    """Mixable on the wheel: same number, or one step either way with the same letter."""
    if guess is None:
        return False
    def number(key: MusicalKey) -> int:
        return int(key.camelot[:-1])

    same_letter = truth.camelot[-1] == guess.camelot[-1]
    step = (number(guess) - number(truth)) % 12
    return (number(guess) == number(truth)) or (same_letter and step in (1, 11))


def tempo_scores(truth: float, guess: float | None) -> tuple[bool, bool, bool]:
    if not guess:
        return False, False, False
    accuracy1 = abs(guess - truth) <= 0.04 * truth
    accuracy2 = any(abs(guess - truth * f) <= 0.04 * truth * f for f in (1, 2, 0.5, 3, 1 / 3))
    return accuracy1, accuracy2, abs(guess - truth) <= 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    with tempfile.TemporaryDirectory(prefix="musicsync-analysis-") as tmp:
        print(f"Synthesising {args.tracks} labelled tracks of {args.seconds:g} s (seed {args.seed}) ...", flush=True)
        tracks = build_set(Path(tmp), args.tracks, args.seconds, args.seed)
        musicsync(tracks[0].path)
        librosa_defaults(tracks[0].path)  # both warmed, so neither pays its imports in the timing

        rows = {"musicsync": [], "librosa defaults": []}
        seconds = {"musicsync": 0.0, "librosa defaults": 0.0}
        confident = []
        for track in tracks:
            started = time.perf_counter()
            bpm, key, bpm_conf, key_conf = musicsync(track.path)
            seconds["musicsync"] += time.perf_counter() - started
            rows["musicsync"].append((track, bpm, key))
            confident.append((bpm_conf, key_conf))
            started = time.perf_counter()
            bpm, key = librosa_defaults(track.path)
            seconds["librosa defaults"] += time.perf_counter() - started
            rows["librosa defaults"].append((track, bpm, key))

    audio_seconds = args.tracks * args.seconds
    print(f"\n{'':<18}{'Acc1':>7}{'Acc2':>7}{'±0.5':>7}{'key':>7}{'MIREX':>7}{'Camelot':>9}{'x real time':>13}")
    for name, results in rows.items():
        tempo = [tempo_scores(t.bpm, bpm) for t, bpm, _ in results]
        exact = statistics.mean(key == t.key for t, _, key in results)
        mirex = statistics.mean(key_score(t.key, key) for t, _, key in results)
        compatible = statistics.mean(camelot_compatible(t.key, key) for t, _, key in results)
        print(f"{name:<18}{_pct(t[0] for t in tempo):>7}{_pct(t[1] for t in tempo):>7}{_pct(t[2] for t in tempo):>7}"
              f"{exact:>7.0%}{mirex:>7.2f}{compatible:>9.0%}{audio_seconds / seconds[name]:>12.0f}x")

    print("\nmusicsync by style (Acc1 / key exact):")
    for style, _ in STYLES:
        mine = [(t, bpm, key) for t, bpm, key in rows["musicsync"] if t.groove == style]
        if mine:
            print(f"  {style:<18} {_pct(tempo_scores(t.bpm, bpm)[0] for t, bpm, _ in mine):>5}"
                  f" / {_pct(key == t.key for t, _, key in mine):>5}   ({len(mine)} tracks)")

    errors = [(conf, not tempo_scores(t.bpm, bpm)[0]) for (conf, _), (t, bpm, _) in zip(confident, rows["musicsync"],
                                                                                        strict=True)]
    key_errors = [(conf, key != t.key) for (_, conf), (t, _, key) in zip(confident, rows["musicsync"], strict=True)]
    for label, pairs in (("tempo", errors), ("key", key_errors)):
        pairs.sort(key=lambda pair: pair[0])
        half = len(pairs) // 2
        low, high = sum(e for _, e in pairs[:half]), sum(e for _, e in pairs[half:])
        print(f"{label} errors in the low-confidence half: {low}, in the high-confidence half: {high}")
    return 0


def _pct(values) -> str:
    values = list(values)
    return f"{statistics.mean(values):.0%}" if values else "-"


if __name__ == "__main__":
    sys.exit(main())
