"""The labelled set the analysis benchmark scores against, built on demand from a seed.

Two renderings of the same musical plan:
- *synth*: musicsync's own synthesis (`lib/audio/demo.py`), pure tones and noise drums;
- *soundfont*: the plan written as General MIDI and rendered by FluidSynth through a real
  soundfont (pianos, strings, organs, basses, a GM drum kit), the timbres real records have.

Every track carries its true tempo and key, and a few are labelled as harder cases: a tempo
change, a key change or a long beatless intro. For those the label is the section that lasts
longest (the first two thirds), which is what a DJ would want in the tag.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib.audio import demo
from musicsync_assets.lib.audio.musickeys import ALL_KEYS, MusicalKey

STYLES = (  # groove, tempo range
    ("house", (118, 130)), ("techno", (128, 140)), ("breakbeat", (170, 176)), ("boom_bap", (80, 100)),
    ("half_time", (140, 150)), ("waltz", (90, 150)), ("four_on_the_floor", (100, 135)),
)
HARD_CASES = ("tempo change", "key change", "beatless intro")
SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"))

# General MIDI programs, by role, that a producer would plausibly use.
_CHORD_PROGRAMS = (0, 4, 5, 16, 19, 48, 49, 50, 89, 90, 91)
_BASS_PROGRAMS = (32, 33, 34, 38, 39)
_LEAD_PROGRAMS = (11, 56, 65, 73, 80, 81)
_DRUM_NOTES = {"kick": 36, "snare": 38, "hat": 42}
_MAJOR_SCALE, _MINOR_SCALE = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 11)


@dataclass(frozen=True)
class Labelled:
    name: str
    bpm: float
    key: MusicalKey
    groove: str
    rendering: str  # "synth" or "soundfont"
    case: str  # "" or one of HARD_CASES
    seconds: float
    path: Path


def soundfont() -> Path | None:
    """The GM soundfont to render with, when FluidSynth and one are installed (benchmarks/setup.sh)."""
    if not shutil.which("fluidsynth"):
        return None
    return next((path for path in SOUNDFONTS if path.exists()), None)


def build(folder: Path, count: int, seed: int, rendering: str, seconds: tuple[float, float] = (30, 90)
          ) -> list[Labelled]:
    """`count` labelled tracks, each `seconds` long (a range); about one in eight is a hard case."""
    rng = np.random.default_rng(seed)
    tracks = []
    for n in range(count):
        groove, (low, high) = STYLES[n % len(STYLES)]
        length = round(float(rng.uniform(*seconds)), 1)
        bpm = round(float(rng.uniform(low, high)), 2)
        key = ALL_KEYS[int(rng.integers(24))]
        case = HARD_CASES[(n // 8) % len(HARD_CASES)] if n % 8 == 7 else ""
        name = f"{n:03d}-{rendering}-{groove}-{bpm}-{key.short}" + (f"-{case.replace(' ', '_')}" if case else "")
        if rendering == "synth":
            path = _render_synth(folder / f"{name}.flac", bpm, key, groove, length, case, n, rng)
        else:
            path = _render_soundfont(folder / f"{name}.flac", bpm, key, groove, length, case, rng)
        tracks.append(Labelled(name, bpm, key, groove, rendering, case, length, path))
    return tracks


def _render_synth(path: Path, bpm: float, key: MusicalKey, groove: str, seconds: float, case: str, n: int,
                  rng: np.random.Generator) -> Path:
    harmonics = int(rng.integers(1, 7))
    intro = 16.0 if case == "beatless intro" else float(rng.choice([0.0, 0.0, 0.0, 8.0]))
    main = seconds * 2 / 3 if case in ("tempo change", "key change") else seconds
    samples = demo.render(bpm, key, main, seed=n, groove=groove, harmonics=harmonics, intro_s=intro)
    if main < seconds:
        other_bpm = bpm * 1.08 if case == "tempo change" else bpm
        other_key = ALL_KEYS[(ALL_KEYS.index(key) + 2) % 24] if case == "key change" else key
        samples = np.concatenate([samples, demo.render(other_bpm, other_key, seconds - main, seed=n, groove=groove,
                                                       harmonics=harmonics)])
    return demo.write_audio(samples, path, "flac")


def _render_soundfont(path: Path, bpm: float, key: MusicalKey, groove: str, seconds: float, case: str,
                      rng: np.random.Generator) -> Path:
    import mido

    font = soundfont()
    if font is None:
        raise RuntimeError("FluidSynth and a GM soundfont are needed: run benchmarks/setup.sh")
    ticks = 480
    song = mido.MidiFile(ticks_per_beat=ticks)
    events: list[tuple[int, mido.Message | mido.MetaMessage]] = []
    chord_program, bass_program, lead_program = (int(rng.choice(options)) for options in
                                                 (_CHORD_PROGRAMS, _BASS_PROGRAMS, _LEAD_PROGRAMS))
    for channel, program in ((0, chord_program), (1, bass_program), (2, lead_program)):
        events.append((0, mido.Message("program_change", channel=channel, program=program)))
    events.append((0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))

    pattern = demo.GROOVES[groove]
    intro_bars = int(np.ceil(16.0 / (pattern.beats_per_bar * 60 / bpm))) if case == "beatless intro" else 0
    total_bars = int(np.ceil(seconds / (pattern.beats_per_bar * 60 / bpm)))
    change_bar = int(total_bars * 2 / 3) if case in ("tempo change", "key change") else total_bars
    if case == "tempo change":
        events.append((change_bar * pattern.beats_per_bar * ticks,
                       mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm * 1.08))))
    bar_ticks = pattern.beats_per_bar * ticks
    lead_degree = 0
    for bar in range(total_bars):
        bar_key = ALL_KEYS[(ALL_KEYS.index(key) + 2) % 24] if case == "key change" and bar >= change_bar else key
        start = bar * bar_ticks
        root, triad = demo.PROGRESSIONS[bar_key.mode][bar % 4]
        for interval in triad:
            _note(events, 0, 60 + bar_key.tonic + root + interval, start, bar_ticks - 20, int(rng.integers(60, 80)))
        if bar < intro_bars:
            continue
        for beat in range(pattern.beats_per_bar):
            _note(events, 1, 36 + bar_key.tonic + root, start + beat * ticks, ticks // 2, int(rng.integers(85, 105)))
        for sound, positions in (("kick", pattern.kicks), ("snare", pattern.snares), ("hat", pattern.hats)):
            for position in positions:
                velocity = int(rng.integers(90, 120)) if sound != "hat" else int(rng.integers(50, 80))
                _note(events, 9, _DRUM_NOTES[sound], start + int(position * ticks), ticks // 4, velocity)
        scale = _MAJOR_SCALE if bar_key.mode == "major" else _MINOR_SCALE
        for beat in range(pattern.beats_per_bar):
            if rng.random() < 0.6:
                lead_degree = int(np.clip(lead_degree + rng.integers(-2, 3), 0, 9))
                pitch = 72 + bar_key.tonic + scale[lead_degree % 7] + 12 * (lead_degree // 7)
                _note(events, 2, pitch, start + beat * ticks, ticks - 40, int(rng.integers(60, 90)))

    track = mido.MidiTrack()
    now = 0
    for time, message in sorted(events, key=lambda event: event[0]):
        track.append(message.copy(time=time - now))
        now = time
    song.tracks.append(track)
    midi = path.with_suffix(".mid")
    song.save(midi)
    wav = path.with_suffix(".wav")
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", "44100", "-F", str(wav), str(font), str(midi)],
                   check=True, capture_output=True)
    from musicsync_assets.lib.audio import codec

    # FluidSynth renders the release tail past the song; cut to the planned length like the synth set.
    pcm = codec.decode(wav, 44100, 2)[: int(seconds * 44100)]
    wav.unlink()
    midi.unlink()
    return demo.write_audio(pcm.astype(np.float32) / 32768, path, "flac")


def _note(events: list, channel: int, pitch: int, start: int, length: int, velocity: int) -> None:
    import mido

    events.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
    events.append((start + length, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
