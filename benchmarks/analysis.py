"""How right and how fast the BPM and key analysis is, on labelled sets the benchmark makes itself.

    benchmarks/setup.sh                   (once: FluidSynth, four GM soundfonts, the bench extra)
    python -m benchmarks.analysis [--part heldout25|heldout24|...|tune] [--folder /tmp/musicsync-broad] [--anchors]
    python -m benchmarks.analysis --set independent [--batch 2|...|13] [--folder /tmp/musicsync-independent] [--anchors]
    python -m benchmarks.analysis ... --encode mp3|aac|opus    (either set, decoded from lossy files)
    python -m benchmarks.analysis --set legacy [--tracks 60] [--seed 7] [--renderings synth,soundfont]

Default: the broad set (benchmarks/broad_set.py), split once by a hash of each track's name into a
part to tune on and a held-out part only to measure on, plus held-out batches added later, each
measured once at the end of a round (`--part heldout2` ... `heldout25`). From analyser 2.22 the
key weights are fitted on every part up to held-out 17 and on the independent set's batches 1 to 5
(benchmarks/key_model.py); held-out 18 and 19 (every groove and drumless tracks) and the
independent set's batches 6 and 7 were each read once for 2.22, held-out 20 and batch 8 for 2.23
(the tempo's dotted-beat rule), held-out 21 and batch 9 for 2.24 (drum & bass at half), and
held-out 22 and batch 10 for 2.25 (trap's sixteenth hats), held-out 24 and batch 12 for 2.26 (the
half-time backbeat; held-out 23 and batch 11 were read by a first version of it), held-out 25 and
batch 13 for 2.27 (half-time tempi, sixteenths between frames): quote those.
Held-out 11 (string quartets), 12 (madrigals), 13 to 16 (every groove, each read once after a change
to the beat grid) and 17 were quoted for earlier versions. It runs `musicsync analyze --json` once
over the part's files, as a user would, and reports per group (drum-led, drumless, each kind of
composed piece; by groove, arrangement, rendering and mastering):
- tempo Acc1 (within 4%), Acc2 (also x2, x1/2, x3, x1/3), within +-0.5 BPM, the DJ-octave rate
  (the tempo or its double/half inside 70-180) and how often no tempo was given;
- key exact, MIREX weighted score (mir_eval), relative/parallel and fifth confusions;
- the beat grid's phase error against the labelled kicks (within 20 ms; a quarter beat or more off);
- errors by confidence quintile; speed per CPU-second with start-up and decoding included.
`--anchors` scores librosa's defaults and Essentia (RhythmExtractor2013 + KeyExtractor 'edma') too.

`--set independent` scores benchmarks/independent_set.py, written by a session that never read the
analyser or the broad set: its own genres, progressions, synthesis and label conventions. Each
batch (`--batch 2` to `13`: its recipe with new seeds) is read once, for the analyser version it was
added for, and is seen from then on; the key model is fitted on the batches read (1 to 4 for 2.21,
1 to 5 for 2.22).

`--set legacy` is the earlier set (benchmarks/labelled_set.py) the analyser was first tuned on,
with musicsync, librosa and Essentia side by side, speed on one pinned core, and a two-hour mix
analysed in a child process for its peak memory.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_USERS_ENVIRONMENT = dict(os.environ)  # what `musicsync analyze` runs with when a user starts it
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core for the estimators run in-process, as the targets are stated

import numpy as np

from benchmarks import broad_set, independent_set, labelled_set
from benchmarks.labelled_set import Labelled
from musicsync_assets.lib.audio.analysis import analyze_file
from musicsync_assets.lib.audio.musickeys import ALL_KEYS, MusicalKey, parse_key

Estimate = tuple[float | None, MusicalKey | None, float, float]  # bpm, key, bpm confidence, key confidence


def musicsync(path: Path) -> Estimate:
    result = analyze_file(path)
    return result.bpm, result.key, result.bpm_confidence, result.key_confidence


def librosa_defaults(path: Path) -> Estimate:
    """The anchor: what a user gets from librosa's documented defaults."""
    import librosa

    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).sum(axis=1)
    major = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
    minor = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
    scores = [np.corrcoef(chroma, np.roll(major if k.mode == "major" else minor, k.tonic))[0, 1] for k in ALL_KEYS]
    return float(np.atleast_1d(tempo)[0]), ALL_KEYS[int(np.argmax(scores))], 0.0, 0.0


def essentia_extractors() -> Callable[[Path], Estimate] | None:
    """Essentia's RhythmExtractor2013 and KeyExtractor ('edma' profile), or None when not installed."""
    try:
        import essentia
        import essentia.standard as es
    except ImportError:
        return None
    essentia.log.infoActive = essentia.log.warningActive = False
    rhythm = es.RhythmExtractor2013(method="multifeature")
    key_extractor = es.KeyExtractor(profileType="edma")

    def estimate(path: Path) -> Estimate:
        signal = es.MonoLoader(filename=str(path), sampleRate=44100)()
        bpm = float(rhythm(signal)[0])
        tonic, scale, strength = key_extractor(signal)
        return bpm, parse_key(f"{tonic} {scale}"), 0.0, float(strength)

    return estimate


def key_score(truth: MusicalKey, guess: MusicalKey | None) -> float:
    """MIREX weighting via mir_eval: exact 1, perfect fifth 0.5, relative 0.3, parallel 0.2."""
    if guess is None:
        return 0.0
    import mir_eval

    return float(mir_eval.key.weighted_score(_mir_eval_key(truth), _mir_eval_key(guess)))


def _mir_eval_key(key: MusicalKey) -> str:
    return f"{key.name.split()[0]} {key.mode}"


def camelot_compatible(truth: MusicalKey, guess: MusicalKey | None) -> bool:
    """Mixable on the wheel: the same number, or one step either way with the same letter."""
    if guess is None:
        return False

    def number(key: MusicalKey) -> int:
        return int(key.camelot[:-1])

    step = (number(guess) - number(truth)) % 12
    return step == 0 or (truth.camelot[-1] == guess.camelot[-1] and step in (1, 11))


def tempo_scores(truth: float, guess: float | None) -> tuple[bool, bool, bool]:
    if not guess:
        return False, False, False
    accuracy1 = abs(guess - truth) <= 0.04 * truth
    accuracy2 = any(abs(guess - truth * f) <= 0.04 * truth * f for f in (1, 2, 0.5, 3, 1 / 3))
    return accuracy1, accuracy2, abs(guess - truth) <= 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="broad", choices=("broad", "independent", "legacy"),
                        help="broad: benchmarks/broad_set.py (default); independent: benchmarks/independent_set.py;"
                             " legacy: benchmarks/labelled_set.py")
    parser.add_argument("--part", default=broad_set.HELDOUT_PARTS[-1],
                        choices=list(reversed(broad_set.HELDOUT_PARTS)) + ["heldout", "tune", "all"],
                        help="which part of the broad set (quote only the held-out parts)")
    parser.add_argument("--folder", help="where the set is rendered or reused (default /tmp/musicsync-broad, or"
                                         " /tmp/musicsync-independent[-N] with --set independent --batch N)")
    parser.add_argument("--batch", type=int, default=1, choices=sorted(independent_set.BATCH_SEEDS),
                        help="with --set independent: 1, or a later batch (the same recipe with new seeds)")
    parser.add_argument("--anchors", action="store_true", help="also score librosa's defaults (and Essentia)")
    parser.add_argument("--encode", choices=sorted(LOSSY),
                        help="with --set broad or independent: measure the tracks encoded as downloads come"
                             " (mp3: 192 kbit/s at 44.1 kHz; aac: 192 kbit/s at 48 kHz, in M4A; opus: 128"
                             " kbit/s, in Ogg)")
    parser.add_argument("--tracks", type=int, default=60, help="tracks per rendering")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--renderings", default="synth,soundfont")
    parser.add_argument("--mix-minutes", type=float, default=120, help="length of the long mix (0: skip)")
    args = parser.parse_args()
    if args.set == "broad":
        return broad_main(args)
    if args.set == "independent":
        return independent_main(args)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # children (ffmpeg) inherit it

    renderings = args.renderings.split(",")
    if "soundfont" in renderings and labelled_set.soundfont() is None:
        print("FluidSynth or a GM soundfont is missing (benchmarks/setup.sh installs them): synth set only.")
        renderings = [r for r in renderings if r != "soundfont"]
    estimators: dict[str, Callable[[Path], Estimate]] = {"musicsync": musicsync, "librosa defaults": librosa_defaults}
    essentia_estimate = essentia_extractors()
    if essentia_estimate:
        estimators["essentia"] = essentia_estimate
    else:
        print("Essentia is not installed (pip install essentia): its column is left out.")

    with tempfile.TemporaryDirectory(prefix="musicsync-analysis-") as tmp:
        tracks: list[Labelled] = []
        for rendering in renderings:
            print(f"Rendering {args.tracks} labelled {rendering} tracks (seed {args.seed}) ...", flush=True)
            tracks += labelled_set.build(Path(tmp), args.tracks, args.seed, rendering)
        for estimate in estimators.values():
            estimate(tracks[0].path)  # warmed, so no estimator pays its imports in the timing

        results: dict[str, list[Estimate]] = {name: [] for name in estimators}
        seconds = dict.fromkeys(estimators, 0.0)
        for track in tracks:
            for name, estimate in estimators.items():
                started = time.perf_counter()
                results[name].append(estimate(track.path))
                seconds[name] += time.perf_counter() - started

    audio_seconds = sum(track.seconds for track in tracks)
    print(f"\n{len(tracks)} tracks, {audio_seconds / 60:.0f} min of audio ({', '.join(renderings)})")
    print(f"\n{'':<18}{'Acc1':>7}{'Acc2':>7}{'±0.5':>7}{'key':>7}{'MIREX':>7}{'Camelot':>9}{'x real time':>13}")
    for name, estimates in results.items():
        _summary_row(name, tracks, estimates, audio_seconds / seconds[name])

    mine = results["musicsync"]
    print("\nmusicsync by group (Acc1 / ±0.5 / key exact):")
    groups = [(f"{style}", lambda t, s=style: t.groove == s) for style, _ in labelled_set.STYLES]
    groups += [(f"{rendering} rendering", lambda t, r=rendering: t.rendering == r) for rendering in renderings]
    groups += [(case, lambda t, c=case: t.case == c) for case in labelled_set.HARD_CASES]
    for label, belongs in groups:
        chosen = [(t, e) for t, e in zip(tracks, mine, strict=True) if belongs(t)]
        if chosen:
            tempo = [tempo_scores(t.bpm, e[0]) for t, e in chosen]
            print(f"  {label:<22} {_pct(s[0] for s in tempo):>5} / {_pct(s[2] for s in tempo):>5}"
                  f" / {_pct(e[1] == t.key for t, e in chosen):>5}   ({len(chosen)} tracks)")

    print("\nDoes musicsync's confidence predict its errors?")
    for label, wrong, confidence in (
        ("tempo (Acc1)", lambda t, e: not tempo_scores(t.bpm, e[0])[0], lambda e: e[2]),
        ("key (exact)", lambda t, e: e[1] != t.key, lambda e: e[3]),
    ):
        pairs = sorted(((confidence(e), wrong(t, e)) for t, e in zip(tracks, mine, strict=True)), key=lambda p: p[0])
        half = len(pairs) // 2
        low, high = sum(w for _, w in pairs[:half]), sum(w for _, w in pairs[half:])
        print(f"  {label:<14} errors among the least confident half: {low}, the most confident half: {high}"
              f" (median confidence {statistics.median(c for c, _ in pairs):.2f})")
    if args.mix_minutes:
        long_mix(args.mix_minutes)
    return 0


_MEASURE_MIX = """
import resource, sys
from pathlib import Path
from musicsync_assets.lib.audio.analysis import analyze_file
analyze_file(Path(sys.argv[2]))
warmed = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(analyze_file(Path(sys.argv[1])).bpm, warmed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def long_mix(minutes: float) -> None:
    """A DJ mix's length of plucks at 120 BPM, analysed by `analyze_file` in a child process that
    reports its own peak resident memory, imports included (ffmpeg's is its own, a few MB)."""
    import subprocess

    from musicsync_assets.lib.audio import codec

    with tempfile.TemporaryDirectory(prefix="musicsync-mix-") as tmp:
        mix, warm_up = Path(tmp) / "mix.flac", Path(tmp) / "warm-up.flac"
        print(f"\nWriting a {minutes:g}-minute mix ...", flush=True)
        for path, seconds in ((mix, minutes * 60), (warm_up, 10)):
            subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                            f"aevalsrc=0.5*sin(2*PI*220*t)*exp(-20*mod(t\\,0.5)):s=44100:d={seconds}", "-ac", "2",
                            str(path)], check=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MEASURE_MIX, str(mix), str(warm_up)], check=True,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
    bpm, warmed_kb, peak_kb = done.stdout.split()
    print(f"{minutes:g}-minute mix: {float(bpm):.1f} BPM, {minutes * 60 / seconds:.0f}x real time; peak memory "
          f"{int(peak_kb) / 1024:.0f} MB, {int(warmed_kb) / 1024:.0f} MB of it already held after a 10-second "
          f"warm-up (the mix as 16-bit stereo PCM would be {minutes * 60 * 44100 * 4 / 1e6:.0f} MB)")


def _summary_row(name: str, tracks: list[Labelled], estimates: list[Estimate], speed: float) -> None:
    tempo = [tempo_scores(t.bpm, e[0]) for t, e in zip(tracks, estimates, strict=True)]
    keys = [(t.key, e[1]) for t, e in zip(tracks, estimates, strict=True)]
    print(f"{name:<18}{_pct(s[0] for s in tempo):>7}{_pct(s[1] for s in tempo):>7}{_pct(s[2] for s in tempo):>7}"
          f"{_pct(truth == guess for truth, guess in keys):>7}"
          f"{statistics.mean(key_score(truth, guess) for truth, guess in keys):>7.2f}"
          f"{_pct(camelot_compatible(truth, guess) for truth, guess in keys):>9}{speed:>12.0f}x")


def _pct(values) -> str:
    values = list(values)
    return f"{statistics.mean(values):.0%}" if values else "-"



# --- the broad set (benchmarks/broad_set.py): the figures the README quotes -----------------------

_CLI = "import sys; from musicsync_assets.cli import main; sys.exit(main())"


def run_cli(paths: list[str]) -> tuple[list[dict], float, float]:
    """`musicsync analyze --json` on every file in one call, as a user runs it: the estimates, and
    the CPU seconds (the process and the ffmpeg it starts, start-up included) and wall seconds."""
    import json
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, "analyze", "--json", *paths], check=True,
                          capture_output=True, text=True, env=_USERS_ENVIRONMENT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")], cpu, wall


def dj_octave_ok(truth: float, guess: float | None, bpm_range: tuple[float, float] = (70, 180)) -> bool:
    """Within 4% of the true tempo, or of its double or half when that lies inside the DJ range."""
    if not guess:
        return False
    return any(abs(guess - truth * f) <= 0.04 * truth * f for f in (1, 2, 0.5)
               if f == 1 or bpm_range[0] <= truth * f < bpm_range[1])


def key_relation(truth: MusicalKey, guess: MusicalKey | None) -> str:
    """'exact', 'relative', 'parallel', 'fifth' (either way), 'other' or 'none'."""
    if guess is None:
        return "none"
    if guess == truth:
        return "exact"
    if guess == truth.relative:
        return "relative"
    if guess.mode != truth.mode and guess.tonic == truth.tonic:
        return "parallel"
    if guess.mode == truth.mode and (guess.tonic - truth.tonic) % 12 in (5, 7):
        return "fifth"
    return "other"


def grid_within_20_ms(error_s: float) -> bool:
    """A beat grid `error_s` seconds from the labelled one is right: within 20 ms."""
    return abs(error_s) <= 0.020


def grid_off_the_beat(error_s: float, bpm: float) -> bool:
    """A beat grid `error_s` seconds from the labelled one is off the beat: more than a quarter beat."""
    return abs(error_s) > 0.25 * 60 / bpm


def beat_phase_error(track, estimate: dict) -> float | None:
    """Seconds between the reported grid and the labelled one, modulo a beat, in [-beat/2, beat/2);
    None for drumless tracks or without a tempo in the right octave."""
    if not track.drummed or estimate.get("beat_offset_s") is None or not estimate.get("bpm"):
        return None
    if abs(estimate["bpm"] - track.bpm) > 0.04 * track.bpm:
        return None
    beat = 60 / track.bpm
    return (estimate["beat_offset_s"] - track.first_beat_s + beat / 2) % beat - beat / 2


def broad_main(args) -> int:
    if not broad_set.available():
        print("FluidSynth and the Debian soundfonts are missing: run benchmarks/setup.sh")
        return 1
    folder = args.folder or "/tmp/musicsync-broad"
    print(f"Rendering (or reusing) the {args.part} part of the broad set in {folder} ...", flush=True)
    return measure(broad_set.build(Path(folder), args.part), f"{args.part} part", args.anchors, args.encode)


def independent_main(args) -> int:
    folder = Path(args.folder) if args.folder else independent_set.default_folder(args.batch)
    print(f"Rendering (or reusing) batch {args.batch} of the independent set in {folder} ...", flush=True)
    tracks = independent_set.build(folder, args.batch)
    return measure(tracks, f"independent set, batch {args.batch}", args.anchors, args.encode)


LOSSY = {"mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "192k"]),
         "aac": ("m4a", ["-ar", "48000", "-c:a", "aac", "-b:a", "192k"]),
         "opus": ("opus", ["-c:a", "libopus", "-b:a", "128k"])}


def measure(tracks: list, label: str, with_anchors: bool, encode: str | None = None) -> int:
    """Runs `musicsync analyze --json` once over `tracks` (encoded first, if asked) and reports,
    then the anchors if asked."""
    if not encode:
        return _measure(tracks, label, with_anchors)
    with tempfile.TemporaryDirectory(prefix="musicsync-encoded-") as encoded:
        print(f"Encoding the tracks as {encode} ...", flush=True)
        return _measure(_encoded(tracks, encode, Path(encoded)), f"{label}, encoded as {encode}", with_anchors)


def _encoded(tracks: list, encode: str, folder: Path) -> list:
    """The tracks encoded into `folder` (two ffmpeg processes at once), labels unchanged: the
    decoder must take the encoder's delay off, or every beat grid moves by it."""
    import dataclasses
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    from musicsync_assets.lib.audio import codec

    extension, options = LOSSY[encode]

    def one(track):
        target = folder / f"{Path(track.path).stem}.{extension}"
        subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-i", track.path, *options, str(target)],
                       check=True)
        return dataclasses.replace(track, path=str(target))

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, tracks))


def _measure(tracks: list, label: str, with_anchors: bool) -> int:
    estimates, cpu, wall = run_cli([t.path for t in tracks])
    by_path = {e["path"]: e for e in estimates}
    estimates = [by_path[t.path] for t in tracks]
    audio = sum(t.seconds for t in tracks)
    print(f"\n{len(tracks)} tracks ({label}), {audio / 60:.0f} min of audio, one `musicsync analyze --json`"
          f" call: {audio / cpu:.0f}x real time per CPU-second (start-up and ffmpeg included;"
          f" {cpu:.1f} CPU-s, {wall:.1f} s wall)")
    report(tracks, estimates)
    if with_anchors:
        anchors = {"librosa defaults": librosa_defaults}
        essentia_estimate = essentia_extractors()
        if essentia_estimate:
            anchors["essentia"] = essentia_estimate
        for name, estimate in anchors.items():
            guesses = [estimate(Path(t.path)) for t in tracks]
            print(f"\n{name}:")
            report(tracks, [{"bpm": g[0], "key": g[1].name if g[1] else None, "bpm_confidence": 0,
                             "key_confidence": g[3]} for g in guesses], brief=True)
    return 0


def report(tracks, estimates: list[dict], brief: bool = False) -> None:
    rows = []
    for t, e in zip(tracks, estimates, strict=True):
        guess = parse_key(e["key"]) if e.get("key") else None
        acc1, acc2, half = tempo_scores(t.bpm, e.get("bpm"))
        rows.append(dict(track=t, e=e, guess=guess, acc1=acc1, acc2=acc2, half=half, dj=dj_octave_ok(t.bpm, e.get("bpm")),
                         none=not e.get("bpm"), relation=key_relation(t.musical_key, guess),
                         mirex=key_score(t.musical_key, guess), phase=beat_phase_error(t, e)))

    def line(label: str, chosen: list[dict]) -> None:
        if not chosen:
            return
        relations = [r["relation"] for r in chosen]
        gridded = [r for r in chosen if r["phase"] is not None]
        grid = (f"{_pct(grid_within_20_ms(r['phase']) for r in gridded):>6}"
                f"{sum(grid_off_the_beat(r['phase'], r['track'].bpm) for r in gridded):>5}"
                if gridded else f"{'-':>6}{'-':>5}")
        print(f"  {label:<42}{len(chosen):>4}{_pct(r['acc1'] for r in chosen):>6}{_pct(r['acc2'] for r in chosen):>6}"
              f"{_pct(r['half'] for r in chosen):>6}{_pct(r['dj'] for r in chosen):>6}{sum(r['none'] for r in chosen):>5}"
              f"{_pct(x == 'exact' for x in relations):>7}{statistics.mean(r['mirex'] for r in chosen):>6.2f}"
              f"{sum(x in ('relative', 'parallel') for x in relations):>5}{sum(x == 'fifth' for x in relations):>5}"
              f"{sum(x in ('other', 'none') for x in relations):>5}{grid}")

    print(f"\n  {'group':<42}{'n':>4}{'Acc1':>6}{'Acc2':>6}{'±0.5':>6}{'DJ8ve':>6}{'none':>5}{'key':>7}{'MIREX':>6}"
          f"{'r/p':>5}{'5th':>5}{'oth':>5}{'≤20ms':>6}{'off':>5}")
    drummed = [r for r in rows if r["track"].drummed]
    line("ALL", rows)
    line("drum-led (dance-style)", drummed)
    line("drumless dance-style",
         [r for r in rows if not r["track"].drummed and r["track"].group not in broad_set.COMPOSED])
    chorales = [r for r in rows if r["track"].group == "chorale"]
    line("chorales", chorales)
    line("classical (string quartets)", [r for r in rows if r["track"].group == "classical"])
    line("madrigals (Monteverdi)", [r for r in rows if r["track"].group == "madrigal"])
    if chorales:
        keys = broad_set.score_keys()
        read = [parse_key(keys[r["track"].arrangement]) for r in chorales]
        print(f"  chorales against music21's reading of each score (Krumhansl-Schmuckler), not the final bass:"
              f" {_pct(r['guess'] == k for r, k in zip(chorales, read, strict=True))} exact; the two labels agree"
              f" on {_pct(r['track'].musical_key == k for r, k in zip(chorales, read, strict=True))}")
    if brief:
        return
    for title, attribute in (("by groove", "group"), ("by arrangement", "arrangement"),
                             ("by rendering", "rendering"), ("by mastering", "master")):
        print(f"  -- {title}")
        values = sorted({getattr(r["track"], attribute) for r in rows
                         if attribute != "arrangement" or r["track"].group not in broad_set.COMPOSED})
        for value in values:
            line(value or "(plain)", [r for r in rows if getattr(r["track"], attribute) == value])
    print("  Acc1/Acc2/±0.5: tempo (±4%; also x2 x½ x3 x⅓; ±0.5 BPM). DJ8ve: ±4% of the tempo or of its double/half\n"
          "  inside 70-180. none: no tempo given. key: exact; r/p: relative or parallel; 5th: a fifth away.\n"
          "  ≤20ms: beat grid within 20 ms of the labelled kicks (drum-led, right tempo); off: more than a quarter beat off.")

    print("\n  Errors by confidence quintile (lowest confidence first):")
    for label, wrong, confidence in (("tempo (not DJ8ve)", lambda r: not r["dj"], "bpm_confidence"),
                                     ("key (not exact)", lambda r: r["relation"] != "exact", "key_confidence")):
        ordered = sorted(rows, key=lambda r: r["e"].get(confidence) or 0.0)
        fifths = np.array_split(np.arange(len(ordered)), 5)
        cells = [f"{sum(wrong(ordered[i]) for i in q)}/{len(q)} (≤{(ordered[q[-1]]['e'].get(confidence) or 0):.2f})"
                 for q in fifths if len(q)]
        print(f"  {label:<20}" + "  ".join(cells))
    print("\n  Wrong keys:")
    for r in rows:
        if r["relation"] != "exact":
            print(f"    {r['track'].name:<44} {r['track'].arrangement[:28]:<28} {r['track'].key:>9} -> "
                  f"{r['e'].get('key')} ({r['relation']}, confidence {r['e'].get('key_confidence')})")
    print("  Wrong tempi:")
    for r in rows:
        if not r["dj"] or (r["track"].drummed and not r["acc1"]):
            print(f"    {r['track'].name:<44} {r['track'].bpm:>7} -> {r['e'].get('bpm')} "
                  f"(confidence {r['e'].get('bpm_confidence')})")
    print("  Beat grids off by more than 20 ms:")
    for r in rows:
        if r["phase"] is not None and not grid_within_20_ms(r["phase"]):
            print(f"    {r['track'].name:<44} {1000 * r['phase']:+.0f} ms (beat {60000 / r['track'].bpm:.0f} ms)")


if __name__ == "__main__":
    sys.exit(main())
