"""An independent labelled set of synthesised music, to measure the analyser on music made by other hands.

    python -m benchmarks.independent_set [--batch N] [--folder /tmp/musicsync-independent]    (from the repository root)

The developers' labelled sets were written by the people who tune the analyser. This one was written
independently of it, without reading the analyser, its tuning sets or its key model and without running
it: every track is designed from how its genre is produced (drum programming, bass habits, the chord
loops producers use) and rendered with numpy synthesis, some harmony parts through FluidSynth and
General MIDI soundfonts. Everything is seeded, so a build is reproducible.

Label conventions (all hold by construction):
- `bpm` is the tempo a DJ would name: dubstep (~140) and trap (130-150) are counted with the snare or
  clap on beat 3 (half-time feel), drum & bass at 170-176, hip-hop at 82-96, lo-fi at 72-90. Drumless
  tracks carry the quarter-note pulse of their harmony.
- `key` is the tonic a musician names. Modal vamps go by their tonic: a Dorian i7-IV7 or a Phrygian
  i-bII vamp is minor, a Mixolydian I-bVII-IV is major.
- `first_beat_s` is beat 1 of bar 1 of the grid the BPM counts: the first kick or, when the track opens
  with a kickless intro, the intro's first downbeat (the first kick then falls 4 or 8 bars later).
  Drumless tracks have None.
- `arrangement` is the loop, one chord a bar, in Roman numerals from the natural minor scale in minor
  keys (i-VI-III-VII is Am-F-C-G) and the major scale in major keys; upper case is a major chord, lower
  case minor, "o" diminished, "7"/"maj7" add sevenths. A bracket names the mode or the bass's trick.
- `tuning_cents` is a detune applied to every pitched part (the drums are left alone).
"""

import argparse
import dataclasses
import json
import re
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import mido
import numpy as np
import soundfile
from scipy import signal

from benchmarks.broad_set import Track
from musicsync_assets.lib.audio.demo import write_audio

SR = 44100
NOTES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
SCALES = {"ionian": (0, 2, 4, 5, 7, 9, 11), "mixolydian": (0, 2, 4, 5, 7, 9, 10),
          "aeolian": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
          "phrygian": (0, 1, 3, 5, 7, 8, 10), "harmonic": (0, 2, 3, 5, 7, 8, 11)}
MINOR_MODES = ("aeolian", "dorian", "phrygian", "harmonic")
SF2 = Path("/usr/share/sounds/sf2")
Chord = tuple[int, ...]  # pitch classes, root first
_NUMERAL = re.compile(r"^(b|#)?(vii|vi|v|iv|iii|ii|i)(o|maj7|7)?$", re.IGNORECASE)


def chord_pcs(numeral: str, tonic: int, minor: bool) -> Chord:
    """Pitch classes of one Roman-numeral chord (degrees counted on the natural minor or major scale)."""
    match = _NUMERAL.match(numeral)
    if not match:
        raise ValueError(f"not a Roman numeral: {numeral}")
    accidental, degree, suffix = match.groups()
    parent = SCALES["aeolian" if minor else "ionian"]
    root = parent[("i", "ii", "iii", "iv", "v", "vi", "vii").index(degree.lower())]
    root += tonic + {"b": -1, "#": 1}.get(accidental, 0)
    shape = (0, 3, 6) if suffix == "o" else (0, 4, 7) if degree.isupper() else (0, 3, 7)
    shape += {"7": (10,), "maj7": (11,)}.get(suffix, ())
    return tuple((root + step) % 12 for step in shape)


def chord_scale(scale: set[int], chord: Chord) -> set[int]:
    """Notes a line may use over a chord: its tones plus the scale notes not a semitone from them."""
    return set(chord) | (scale - {(tone + step) % 12 for tone in chord for step in (-1, 1)})


def nearest(target: int, pcs: set[int], lo: int, hi: int) -> int:
    """The MIDI note in [lo, hi] with a pitch class in `pcs` closest to `target`."""
    return min((m for m in range(lo, hi + 1) if m % 12 in pcs), key=lambda m: abs(m - target))


class Note(NamedTuple):
    """One note of a part, placed on the 16th-step grid."""
    step: float  # 16th-note steps from beat 1 of bar 1
    length: float  # in steps
    midi: int
    vel: float = 1.0
    glide: int | None = None  # an 808 slides toward this note at its end


def hits(pattern: str) -> list[tuple[int, int, str]]:
    """(step, length, mark) of a 16th-step pattern: '.' is a rest, '-' holds, anything else is a hit."""
    return [(m.start(), len(m.group()), m.group()[0]) for m in re.finditer(r"[^.-]-*", pattern)]


COMPS = {"pad": "x---------------", "stab_off": "..x-..x-..x-..x-", "house_piano": "x-.x-.x-..x-.x-.",
         "pulse8": "x-x-x-x-x-x-x-x-", "quarter": "x---x---x---x---", "garage": "x-.x-..x-.x-....",
         "dembow": "x--x--x-x--x--x-", "halftime": "x-------x-------", "hiphop_keys": "x-----x---x-----"}
LEAD_RHYTHMS = ("x-x-..x-x-..x---", "x--x--x-..x-x-..", "x---..x-x---x-..", "..x-x-..x-..x-x-",
                "x-.x.x-.x---..x-", "x-------..x-x-x-", "x-x-x-x-x---....")
# x: root, 8: octave above, 5: the chord's fifth
BASS = {"sustain": "x---------------", "pedal": "..x-..x-..x-..x-", "offbeat": "..x-..x-..x-..x-",
        "rolling": ".xxx.xxx.xxx.xxx", "eighths": "x-x-x-8-x-x-x-8-", "half": "x-------5---..x-",
        "syncopated": "x--x--8---x--5--"}
# (step, length, scale degree, octave): one-chord grooves move the bass through the mode instead
_RIFFS = (((0, 2, 0, 0), (3, 1, 0, 0), (6, 2, 6, -1), (8, 2, 0, 0), (11, 2, 2, 0), (14, 2, 4, 0)),
          ((0, 3, 0, 0), (4, 1, 0, 1), (6, 2, 4, 0), (10, 2, 0, 0), (12, 2, 2, 0), (14, 1, 6, -1)))


def comp_notes(style: str, chords: list[Chord], lo: int) -> list[Note]:
    """The chord part, close-voiced above `lo`: block-chord rhythms from COMPS, or arp8/arp16/alberti."""
    notes = []
    for bar, chord in enumerate(chords):
        voiced = sorted(lo + (pc - lo) % 12 for pc in chord)
        if style in ("arp8", "arp16", "alberti"):
            every, up = 1 if style == "arp16" else 2, voiced + [voiced[0] + 12]
            order = [voiced[0], voiced[-1], voiced[1], voiced[-1]] if style == "alberti" else up + up[-2:0:-1]
            notes += [Note(bar * 16 + s, every * 0.9, order[k % len(order)], 1.0 if s % 4 == 0 else 0.7)
                      for k, s in enumerate(range(0, 16, every))]
        else:
            notes += [Note(bar * 16 + s, n - 0.25, m) for s, n, _ in hits(COMPS[style]) for m in voiced]
    return notes


def melody(prog: list[Chord], scale: set[int], tonic: int, rng: np.random.Generator, lo: int,
           first_bar: int, bars: int) -> list[Note]:
    """A looping lead: chord tones on beats, chord-scale notes between, opening and closing on the tonic."""
    phrase = max(4, len(prog))
    rhythms = [LEAD_RHYTHMS[i] for i in rng.choice(len(LEAD_RHYTHMS), 2, replace=False)]
    line, pitch = [], nearest(lo + 7, {tonic}, lo, lo + 19)
    for bar in range(phrase):
        chord = prog[bar % len(prog)]
        for s, length, _ in hits(rhythms[bar % 2]):
            pcs = set(chord) if s % 4 == 0 else chord_scale(scale, chord)
            pitch = nearest(pitch + int(rng.integers(-4, 5)), pcs, lo, lo + 19)
            line.append(Note(bar * 16 + s, length - 0.3, pitch, 1.0 if s % 4 == 0 else 0.8))
    for i, chord in ((0, prog[0]), (-1, prog[(phrase - 1) % len(prog)])):
        if tonic in chord_scale(scale, chord):
            line[i] = line[i]._replace(midi=nearest(line[i].midi, {tonic}, lo, lo + 19))
    start = -(-first_bar // phrase) * phrase
    return [n._replace(step=n.step + 16 * bar) for bar in range(start, bars, phrase) for n in line]


def bass_line(style: str, chords: list[Chord], kick_steps: list[int], mode: str, tonic: int, base: int,
              rng: np.random.Generator) -> list[Note]:
    """The bass in a BASS rhythm, a moving one-chord riff ("moving") or on the kicks ("kick", 808 style)."""
    def low(pc: int) -> int:
        return base + (pc - base) % 12

    riff = _RIFFS[int(rng.integers(len(_RIFFS)))]
    on_kicks = [(s, end - s, "x") for s, end in zip(kick_steps, kick_steps[1:] + [16])]
    notes = []
    for bar, chord in enumerate(chords):
        if style == "moving":
            notes += [Note(bar * 16 + s, length, low(tonic + SCALES[mode][degree]) + 12 * octave)
                      for s, length, degree, octave in riff]
            continue
        root = low(tonic if style == "pedal" else chord[0])
        for s, length, mark in on_kicks if style == "kick" else hits(BASS[style]):
            interval = {"8": 12, "5": (chord[2] - chord[0]) % 12}.get(mark, 0)
            if style == "kick" and rng.random() < 0.15:  # an octave jump now and then
                interval = 12
            notes.append(Note(bar * 16 + s, length - 0.2, root + interval))
    if style == "kick":  # 808s slide into the next note now and then
        notes = [n._replace(glide=nxt.midi) if nxt.midi != n.midi and rng.random() < 0.5 else n
                 for n, nxt in zip(notes, notes[1:] + notes[-1:])]
    return notes


def _t(n: int) -> np.ndarray:
    return np.arange(n) / SR


def _env(hold: int, attack: float, tau: float, sustain: float, release: float) -> np.ndarray:
    """Attack ramp, exponential decay toward `sustain` while held, then an exponential release."""
    t = _t(max(hold, 1))
    body = np.minimum(t / attack, 1.0) * (sustain + (1 - sustain) * np.exp(-t / tau))
    return np.concatenate([body, body[-1] * np.exp(-_t(int(release * SR)) * 5 / release)])


def _saw(f: float, n: int, phase: float = 0.0) -> np.ndarray:
    """A PolyBLEP band-limited sawtooth."""
    dt = f / SR
    ph = (phase + dt * np.arange(n)) % 1.0
    y, lo, hi = 2 * ph - 1, ph < dt, ph > 1 - dt
    x = ph[lo] / dt
    y[lo] -= 2 * x - x * x - 1
    x = (ph[hi] - 1) / dt
    y[hi] -= x * x + 2 * x + 1
    return y


def _filt(x: np.ndarray, kind: str, cutoff, order: int = 2) -> np.ndarray:
    return signal.sosfilt(signal.butter(order, cutoff, kind, fs=SR, output="sos"), x, axis=0)


def _sine(f, t):
    return np.sin(2 * np.pi * f * t)


class Voice:
    """One synthesis family rendering notes to mono arrays; identical notes are cached since loops repeat."""

    def __init__(self, kind: str, cents: float, rng: np.random.Generator, soft: bool = False):
        self.kind, self.cents, self.rng, self.soft = kind, cents, rng, soft
        self.bright = rng.uniform(0.2, 1.0)
        self.cache: dict[tuple, np.ndarray] = {}

    def hz(self, midi: float) -> float:
        return 440.0 * 2 ** ((midi - 69 + self.cents / 100) / 12)

    def __call__(self, note: Note, hold_s: float) -> np.ndarray:
        key = (note.midi, round(hold_s * SR), note.glide)
        if key not in self.cache:
            to = self.hz(note.midi if note.glide is None else note.glide)
            self.cache[key] = tone(self.kind, self.hz(note.midi), key[1], self, to)
        return self.cache[key]


def _karplus_strong(f: float, n: int, rng: np.random.Generator, bright: float) -> np.ndarray:
    """A plucked string, computed a period at a time, then resampled to the exact pitch."""
    period, a = int(SR / f - 0.5), 0.2 + 0.6 * (1 - bright)
    buf = np.zeros(n + 2 * period + 2)
    buf[1:period + 1] = signal.lfilter([1 - a], [1, -a], rng.uniform(-1, 1, period))
    for s in range(period + 1, len(buf), period):
        e = min(s + period, len(buf))
        buf[s:e] = 0.498 * (buf[s - period:e - period] + buf[s - period - 1:e - period - 1])
    return 3 * np.interp(np.arange(n) * f * (period + 0.5) / SR, np.arange(len(buf) - 1), buf[1:])


# each synthesis family's attack, decay time constant, sustain level and release (seconds)
ENVELOPES = {
    "supersaw": (0.004, 0.4, 0.6, 0.35), "square": (0.004, 0.25, 0.5, 0.12), "organ": (0.006, 1, 1, 0.06),
    "fm_ep": (0.003, 0.9, 0.15, 0.25), "fm_bell": (0.002, 1, 0, 0.5), "piano": (0.002, 1, 1, 0.07),
    "pluck": (0.001, 1, 1, 0.1), "sub": (0.004, 0.5, 0.8, 0.06), "saw": (0.003, 0.2, 0.6, 0.05),
    "reese": (0.01, 1, 1, 0.08), "fm": (0.003, 0.3, 0.7, 0.05), "wobble": (0.005, 1, 1, 0.05),
    "808": (0.002, 1, 1, 0.04)}


def tone(kind: str, f: float, hold: int, v: Voice, to: float) -> np.ndarray:
    """One note of a synthesis family, held `hold` samples then released; `to` is where an 808 glides."""
    attack, tau, sustain, release = ENVELOPES[kind]
    env = _env(hold, 0.2 if v.soft and kind in ("supersaw", "square") else attack, tau, sustain, release)
    n, b = len(env), v.bright
    t = _t(n)
    if kind == "supersaw":  # seven detuned saws with random phases
        detunes = (-1, -0.6, -0.25, 0, 0.25, 0.6, 1)
        x = sum(_saw(f * 2 ** (d * (0.08 + 0.25 * b) / 12), n, v.rng.random()) for d in detunes) / 4
    elif kind in ("square", "wobble"):  # wobble adds a saw; its filter LFO sweeps the whole bass bus
        phase = v.rng.random()
        x = 0.5 * (_saw(f, n, phase) - _saw(f, n, phase + 0.5)) + (_saw(f, n) if kind == "wobble" else 0)
    elif kind == "fm_ep":  # two-operator FM at 1:1 with a decaying tine partial
        x = np.sin(2 * np.pi * f * t + (0.6 + 1.5 * b) * np.exp(-t / 0.35) * _sine(f, t))
        x += 0.15 * np.exp(-t / 0.04) * _sine(14 * f, t) if f * 14 < 16000 else 0
    elif kind == "fm_bell":  # harmonic 1:4 FM, bright at the strike and mellowing as the index decays
        x = np.sin(2 * np.pi * f * t + (0.8 + 1.5 * b) * np.exp(-t / 0.5) * _sine(4 * f, t))
    elif kind == "organ":  # drawbar sine footages plus a short percussion partial
        bars = ((0.5, 0.5), (1, 1.0), (2, 0.6), (3, 0.3 * b), (4, 0.25))
        x = sum(a * _sine(f * r, t) for r, a in bars if f * r < 15000)
        x += 0.4 * np.exp(-t / 0.15) * _sine(3 * f, t)
    elif kind == "piano":  # additive: stretched (inharmonic) partials, the higher ones dying faster
        k = np.arange(1, 15)
        freqs = f * k * np.sqrt(1 + 0.0004 * k ** 2)
        k, freqs = k[freqs < 12000], freqs[freqs < 12000]
        decay = np.clip(2.0 * np.sqrt(220 / f), 0.4, 4.0) / (1 + 0.4 * (k - 1))
        x = (k[:, None] ** -(1.6 - 0.6 * b) * _sine(freqs[:, None], t) * np.exp(-t / decay[:, None])).sum(0)
        x += 0.05 * v.rng.standard_normal(n) * np.exp(-t / 0.004)
    elif kind == "pluck":
        x = _karplus_strong(f, n, v.rng, b)
    elif kind == "sub":
        x = _sine(f, t) + 0.15 * _sine(2 * f, t)
    elif kind == "saw":
        x = _filt(_saw(f, n) + 0.5 * _sine(f, t), "lowpass", min(f * (3 + 8 * b), 5000))
    elif kind == "reese":  # two detuned saws beating over a sine sub, low-passed
        d = 2 ** ((0.08 + 0.12 * b) / 12)
        x = _filt(_saw(f * d, n) + _saw(f / d, n, 0.3) + _sine(f, t), "lowpass", 500 + 500 * b)
    elif kind == "fm":
        x = np.sin(2 * np.pi * f * t + (0.5 + 2.5 * b * np.exp(-t / 0.12)) * _sine(f, t))
    else:  # 808: a sine with a quick pitch drop, long tail and saturation, gliding in its last quarter
        start = int(hold * 0.75)
        freq = f * (1 + 0.8 * np.exp(-t / 0.025))
        freq[start:] *= 1 + np.minimum(1, (t[start:] - t[start]) / max(t[-1] - t[start], 1e-3)) * (to / f - 1)
        x, drive = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / (0.5 + 0.7 * b)), 1.5 + 2 * b
        x = np.tanh(drive * x) / np.tanh(drive)
    return x * env


SYNTH_RENDERINGS = {  # rendering: (chord voice, lead voice)
    "supersaw": ("supersaw", "supersaw"), "fm_ep": ("fm_ep", "fm_bell"), "fm_bell": ("fm_bell", "fm_bell"),
    "ks_pluck": ("pluck", "pluck"), "additive_piano": ("piano", "piano"), "organ": ("organ", "square"),
    "square": ("square", "square")}
GM_RENDERINGS = {  # rendering: (chord program, lead program, soundfont, cents that correct its tuning)
    "gm_piano": (0, 0, "FluidR3_GM", 0.0), "gm_epiano": (4, 11, "FluidR3_GM", 0.0),
    "gm_organ": (17, 11, "FluidR3_GM", 0.0), "gm_vibes": (11, 11, "FluidR3_GM", 0.0),
    "gm_strings": (48, 61, "FluidR3_GM", 0.0), "opl_fm": (4, 80, "OPL-3_FM_128M", 9.0)}  # OPL-3 is ~9 c flat


def drum_kit(rng: np.random.Generator, kick_kind: str) -> dict[str, np.ndarray]:
    """One kit a track: a pitch-swept sine kick (clicky, sine or 808), noise+tone snare, clap, noise or
    metallic FM hats."""
    t = _t(int(0.9 * SR))
    noise = rng.standard_normal(len(t))
    hi, lo, sweep, decay, click = {  # start and end Hz, sweep and decay time constants, click level
        "clicky": (rng.uniform(250, 400), rng.uniform(50, 62), 0.012, rng.uniform(0.15, 0.25), 0.5),
        "808": (rng.uniform(90, 130), rng.uniform(42, 55), 0.05, rng.uniform(0.5, 0.8), 0.05),
        "sine": (rng.uniform(140, 220), rng.uniform(45, 60), 0.035, rng.uniform(0.25, 0.4), 0.15)}[kick_kind]
    kick = np.sin(2 * np.pi * np.cumsum(lo + (hi - lo) * np.exp(-t / sweep)) / SR) * np.exp(-t / decay)
    kick = np.tanh(2 * kick) + click * _filt(noise, "highpass", 2000) * np.exp(-t / 0.0025)
    snare = (0.6 * _sine(rng.uniform(170, 250), t) * np.exp(-t / 0.05)
             + _filt(noise, "bandpass", (1200, 7000)) * np.exp(-t / rng.uniform(0.08, 0.2)))
    bursts = sum(np.where(t >= d, np.exp(-(t - d) / 0.006), 0) for d in (0, 0.011, 0.022))
    bursts += np.exp(-t / 0.12) / 2
    if rng.random() < 0.5:
        metal = _filt(noise, "highpass", rng.uniform(6000, 9000))
    else:  # metallic, inharmonic FM
        c = rng.uniform(3000, 5000)
        metal = _filt(np.sin(2 * np.pi * c * t + 5 * _sine(c * rng.uniform(1.3, 1.6), t)), "highpass", 6000)
    kit = {"kick": kick, "snare": snare, "clap": _filt(noise, "bandpass", (900, 2600)) * bursts,
           "hat": metal * np.exp(-t / rng.uniform(0.02, 0.05)), "ohat": metal * np.exp(-t / 0.25),
           "rim": _sine(1700, t) * np.exp(-t / 0.012),
           "crash": _filt(rng.standard_normal(2 * len(t)), "highpass", 4000) * np.exp(-_t(2 * len(t)) / 0.8)}
    return {name: x / np.max(np.abs(x)) for name, x in kit.items()}


class Mix:
    """Named stereo buses of one track, and its beat grid: 16th steps counted from beat 1 of bar 1 at
    `offset` seconds, odd 16ths late by `swing` steps."""

    def __init__(self, n: int, bpm: float, offset: float, swing: float):
        self.n, self.offset, self.swing, self.step_s, self.buses = n, offset, swing, 15.0 / bpm, {}

    def time(self, step: float) -> float:
        return self.offset + (step + (self.swing if step % 2 == 1 else 0.0)) * self.step_s

    def bus(self, name: str) -> np.ndarray:
        return self.buses.setdefault(name, np.zeros((self.n, 2)))

    def add(self, name: str, audio: np.ndarray, t: float, gain: float = 1.0, pan: float = 0.0) -> None:
        i = round(t * SR)
        if i < self.n:
            seg, angle = audio[: self.n - i] * gain, (pan + 1) * np.pi / 4
            if seg.ndim == 1:
                seg = np.stack([seg * np.cos(angle), seg * np.sin(angle)], axis=1) * np.sqrt(2)
            self.bus(name)[i:i + len(seg)] += seg

    def notes(self, name: str, notes: list[Note], voice: Voice, pan: float = 0.0) -> None:
        for note in notes:
            self.add(name, voice(note, note.length * self.step_s), self.time(note.step), note.vel, pan)


def sweep_lowpass(x: np.ndarray, cutoff: np.ndarray, q: float = 0.707, block: int = 256) -> np.ndarray:
    """A resonant low-pass whose cutoff (given per sample) moves block by block."""
    y, zi = np.empty_like(x), np.zeros((2, x.shape[1]))
    for s in range(0, len(x), block):
        w = 2 * np.pi * min(cutoff[s], 18000) / SR
        alpha, cw = np.sin(w) / (2 * q), np.cos(w)
        b, a = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2], [1 + alpha, -2 * cw, 1 - alpha]
        y[s:s + block], zi = signal.lfilter(b, a, x[s:s + block], axis=0, zi=zi)
    return y


def sidechain(kicks: list[float], n: int, depth: float) -> np.ndarray:
    """Gain that ducks at every kick and recovers, as a compressor keyed by the kick does."""
    marks = np.full(n, -10 ** 9)
    pos = np.array([round(t * SR) for t in kicks], dtype=int)
    pos = pos[pos < n]  # a kick in the last half sample rounds to n
    marks[pos] = pos
    since = (np.arange(n) - np.maximum.accumulate(marks)) / SR
    return (1 - depth * np.exp(-np.maximum(since - 0.004, 0) / 0.09) * np.minimum(since / 0.004, 1))[:, None]


def reverb(x: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A plain stereo reverb: convolution with exponentially decaying, darkened noise."""
    m = int(rt60 * SR)
    ir = _filt(rng.standard_normal((m, 2)), "lowpass", 6000) * np.exp(-6.9 * _t(m) / rt60)[:, None]
    return signal.fftconvolve(x, ir / np.sqrt(np.sum(ir ** 2, axis=0)), axes=0)[: len(x)]


def master(x: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Mastering: plain, loud (soft clipping), noisy, dull-rip (low-passed), vinyl, lofi-filtered."""
    x = _filt(x, "highpass", 30)
    x /= np.max(np.abs(x))
    if kind == "loud":
        x = np.tanh(rng.uniform(1.2, 2.2) * x)
    elif kind == "noisy":
        hiss = _filt(rng.standard_normal(x.shape), "lowpass", 9000)
        x += np.sqrt(np.mean(x ** 2)) * 10 ** (-rng.uniform(18, 28) / 20) * hiss
    elif kind == "dull-rip":
        x = _filt(x, "lowpass", rng.uniform(5000, 8000), 6)
    elif kind in ("vinyl", "lofi-filtered"):
        if kind == "lofi-filtered":
            x = _filt(_filt(x, "lowpass", rng.uniform(2800, 4000), 4), "highpass", 120)
        crackle = (rng.random((len(x), 1)) < 4e-4) * rng.standard_normal((len(x), 1)) * 0.3
        x += _filt(crackle, "highpass", 1500) + 0.004 * rng.standard_normal(x.shape)
    x *= (0.97 if kind == "loud" else 10 ** (-rng.uniform(0.5, 4) / 20)) / np.max(np.abs(x))
    x[-int(0.3 * SR):] *= np.linspace(1, 0, int(0.3 * SR))[:, None]
    return x


def render_gm(parts: list[tuple[int, list[Note]]], mix: Mix, cents: float, soundfont: str) -> np.ndarray:
    """Renders (program, notes) parts with FluidSynth on the mix's grid; the detune is a pitch bend."""
    bend, events = int(np.clip(round(cents / 200 * 8192), -8192, 8191)), []
    for ch, (program, notes) in enumerate(parts):
        events += [(0, 0, mido.Message("program_change", channel=ch, program=program)),
                   (0, 0, mido.Message("pitchwheel", channel=ch, pitch=bend))]
        for note in notes:
            on, off = mix.time(note.step), mix.time(note.step) + note.length * mix.step_s
            vel = int(np.clip(40 + 80 * note.vel, 1, 127))
            note_on = mido.Message("note_on", channel=ch, note=note.midi, velocity=vel)
            events += [(round(on * 1920), 2, note_on),
                       (round(off * 1920), 1, mido.Message("note_off", channel=ch, note=note.midi))]
    track, now = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]), 0  # 1920 ticks a second
    for tick, _, message in sorted(events, key=lambda e: e[:2]):
        track.append(message.copy(time=tick - now))
        now = tick
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "part.mid", Path(tmp) / "part.wav"
        mido.MidiFile(ticks_per_beat=960, tracks=[track]).save(mid)
        subprocess.run(["fluidsynth", "-ni", "-q", "-r", str(SR), "-g", "0.25", "-F", str(wav),
                        str(SF2 / f"{soundfont}.sf2"), str(mid)], check=True, capture_output=True)
        audio, _ = soundfile.read(wav, dtype="float64", always_2d=True)
    return np.pad(audio[:mix.n], ((0, max(0, mix.n - len(audio))), (0, 0)))


PROGS = {  # name: (Roman numerals, mode, what the arrangement notes about them)
    "minor_loop": ("i-VI-III-VII", "aeolian", ""), "minor_pedal": ("i-VI-III-VII", "aeolian", "tonic pedal"),
    "rise": ("VI-VII-i-i", "aeolian", ""), "minor_back": ("i-VII-VI-VII", "aeolian", ""),
    "home": ("i-VI-VII-i", "aeolian", ""), "home_pedal": ("i-VI-VII-i", "aeolian", "tonic pedal"),
    "minor_hold": ("i-VI-VII-VII", "aeolian", "tonic pedal"), "minor7": ("i7-iv7", "aeolian", ""),
    "liquid": ("i7-VImaj7", "aeolian", ""), "garage_minor": ("i7-VImaj7-VII-i7", "aeolian", ""),
    "one_minor": ("i", "aeolian", "one chord, moving bass"),
    "one_dorian": ("i7", "dorian", "one chord, moving bass"),
    "one_mixo": ("I", "mixolydian", "one chord, moving bass"), "dorian": ("i7-IV7", "dorian", "dorian vamp"),
    "phrygian": ("i-bII", "phrygian", "phrygian vamp"), "mixo": ("I-bVII-IV-I", "mixolydian", "mixolydian"),
    "andalusian": ("i-VII-VI-V", "harmonic", "Andalusian cadence"), "harmonic": ("i-iv-VI-V", "harmonic", ""),
    "dnb_harmonic": ("i-VI-iv-V", "harmonic", ""), "plagal_minor": ("i-iv-i-V", "harmonic", ""),
    "cadence_minor": ("i-iv-V-i", "harmonic", ""),
    "circle": ("i-iv-VII-III-VI-iio-V-i", "harmonic", "circle of fifths"),
    "axis": ("I-V-vi-IV", "ionian", ""), "fifties": ("I-vi-IV-V", "ionian", ""),
    "turnaround": ("I-vi-ii-V", "ionian", ""), "anthem": ("I-IV-vi-V", "ionian", ""),
    "sits_on_vi": ("I-iii-vi-IV", "ionian", ""), "rock": ("I-V-IV-V", "ionian", ""),
    "cadence": ("I-IV-V-I", "ionian", ""), "climb": ("I-iii-IV-V", "ionian", ""),
    "borrowed": ("I-iii-IV-iv", "ionian", "borrowed iv"),
    "canon": ("I-V-vi-iii-IV-I-IV-V", "ionian", "Pachelbel"),
    "major_pedal": ("I-IV-I-V", "ionian", "tonic pedal"), "arp_pedal": ("I-IV-V-IV", "ionian", "tonic pedal"),
    "jazz": ("ii7-V7-Imaj7-Imaj7", "ionian", ""), "jazz_vi": ("ii7-V7-Imaj7-vi7", "ionian", ""),
    "rhythm": ("Imaj7-vi7-ii7-V7", "ionian", ""), "descend": ("IVmaj7-iii7-ii7-Imaj7", "ionian", ""),
    "maj7_vamp": ("Imaj7-IVmaj7", "ionian", ""), "garage_major": ("Imaj7-iii7-IVmaj7-V7", "ionian", ""),
}
_DRUMS = {  # instrument and one (or two) bars of 16th steps, pairs split on spaces; 'o' is a ghost note
    "four": "kick x...x...x...x... clap ....x.......x... hat x.x.x.x.x.x.x.x. ohat ..x...x...x...x.",
    "four16": "kick x...x...x...x... clap ....x.......x... hat xoxoxoxoxoxoxoxo rim ...x.....x....x.",
    "techno": "kick x...x...x...x... hat xxxxxxxxxxxxxxxx ohat ..x...x...x...x. rim ......x.......x.",
    "dnb": "kick x.........x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.",
    "break": "kick x.x.......x.....x.........x..x.. snare ....x..o.o..x.......x..o....x..o "
             "hat x.xxx.x.x.xxx.x.",
    "dnb_roll": "kick x.........xx.... snare ....x.......x..o ohat ..x...x...x...x. hat x.x.x.x.x.x.x.x.",
    "halftime": "kick x.........x..... snare ........x....... hat x.x.x.x.x.x.x.x.",
    "halftime_sparse": "kick x............... snare ........x....... clap ........x....... "
                       "hat x...x...x...x.xx",
    "boombap": "kick x......x..x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.",
    "boombap_busy": "kick x.x.......x..x.. snare ....x.......x..o hat x.xxx.x.x.xxx.x.",
    "trap": "kick x......x..x..... clap ........x....... hat x.x.x.x.x.x.x.x.",
    "trap_bounce": "kick x.....x...x..x.. clap ........x....... hat x.x.x.x.x.x.x.x. ohat ..............x.",
    "trap_sparse": "kick x..x......x..... clap ........x....... hat xxx.x.x.xxx.x.x.",
    "dembow": "kick x...x...x...x... snare ...x..x....x..x. hat x.x.x.x.x.x.x.x.",
    "dembow_rim": "kick x...x...x...x... snare ...x..x....x..x. rim ...x..x....x..x. hat ..x...x...x...x.",
    "two_step": "kick x.........x..... snare ....x.......x... hat ..x.x.x...x.x.xx ohat ..x.......x.....",
    "two_step_rim": "kick x......x..x..... snare ....x.......x... rim .x....x..x....x. hat x.xxx.x.x.xxx.xx",
    "eighties": "kick x...x...x...x... snare ....x.......x... hat x.x.x.x.x.x.x.x.",
    "eighties_16": "kick x.......x.x..... snare ....x.......x... hat xxxxxxxxxxxxxxxx",
    "lofi": "kick x......x..x..... snare ....x.......x... hat x.x.x.x.x.x.x.x.",
    "lofi_lazy": "kick x.......xx...... snare ....x.......x... rim ..........x..... hat x.xxx.x.x.x.x.xx",
}
DRUMS = {name: dict(zip(words.split()[::2], words.split()[1::2])) for name, words in _DRUMS.items()}


@dataclass(frozen=True)
class Genre:
    """How a genre is produced. The str fields are space-separated names, cycled or drawn per track."""
    count: int
    bpms: tuple[int, ...]
    progs: str  # PROGS, cycled
    renderings: str  # SYNTH_RENDERINGS or GM_RENDERINGS, cycled
    drums: str  # DRUMS; empty for drumless genres
    kicks: str  # drum_kit kick kinds
    bass: str  # bass_line styles
    bass_sounds: str  # ENVELOPES' families, or "keys" for the chord instrument
    comps: str  # comp_notes styles
    masters: str = "plain loud noisy dull-rip"  # cycled
    swing: float = 0.0  # steps
    intro: float = 0.0  # the chance of a kickless intro
    duck: float = 0.0  # sidechain depth
    space: float = 0.25  # reverb send
    rolls: bool = False  # trap hi-hat rolls


GENRES = {
    "house": Genre(10, (120, 122, 123, 124, 125, 126, 128), "fifties jazz axis minor7 dorian mixo one_dorian",
                   "gm_piano organ fm_ep additive_piano gm_organ supersaw", "four four16", "sine clicky",
                   "offbeat syncopated", "sub saw fm", "stab_off house_piano pad", intro=0.3, duck=0.5),
    "techno": Genre(9, (126, 128, 130, 132, 135, 138),
                    "one_minor phrygian minor_back one_dorian home_pedal one_mixo",
                    "fm_bell square ks_pluck supersaw", "techno four", "clicky sine", "rolling offbeat",
                    "fm saw sub", "stab_off pulse8 halftime", intro=0.4, duck=0.6),
    "trance": Genre(9, (132, 134, 136, 138, 140),
                    "axis minor_loop anthem rise arp_pedal harmonic minor_pedal",
                    "supersaw ks_pluck gm_strings opl_fm square", "four", "sine clicky", "rolling offbeat",
                    "saw fm sub", "pad arp16 stab_off", intro=0.5, duck=0.7, space=0.4),
    "drum_and_bass": Genre(9, (170, 172, 174, 174, 175, 176),
                           "rhythm dnb_harmonic jazz_vi phrygian borrowed minor_loop axis liquid",
                           "fm_ep supersaw gm_epiano additive_piano gm_strings", "dnb break dnb_roll",
                           "clicky sine", "sustain syncopated", "reese sub fm", "pad halftime stab_off",
                           intro=0.3, duck=0.3),
    "dubstep": Genre(10, (140, 140, 140, 142, 138),
                     "phrygian axis minor_loop one_minor fifties plagal_minor home",
                     "supersaw square fm_bell gm_strings", "halftime halftime_sparse", "sine clicky",
                     "sustain", "wobble reese sub", "pad halftime", intro=0.4, duck=0.3),
    "hip_hop": Genre(9, (82, 85, 88, 90, 92, 94, 96), "rhythm minor7 jazz andalusian mixo dorian descend",
                     "gm_epiano gm_piano gm_vibes fm_ep additive_piano ks_pluck", "boombap boombap_busy",
                     "sine 808", "kick half", "sub 808 fm", "hiphop_keys pad quarter",
                     masters="vinyl plain loud noisy", swing=0.3),
    "trap": Genre(10, (130, 135, 140, 140, 142, 145, 150),
                  "phrygian andalusian axis one_minor minor_loop harmonic rise sits_on_vi",
                  "fm_bell ks_pluck gm_piano square gm_strings opl_fm", "trap trap_bounce trap_sparse",
                  "clicky", "kick", "808", "pad arp8 halftime", intro=0.3, rolls=True),
    "reggaeton": Genre(8, (88, 90, 92, 94, 95, 96, 98, 100),
                       "axis minor_loop fifties minor_back anthem harmonic rock",
                       "ks_pluck fm_bell gm_piano square", "dembow dembow_rim", "sine 808", "kick",
                       "sub 808 fm", "dembow pad", intro=0.3),
    "uk_garage": Genre(9, (130, 131, 132, 133, 134),
                       "jazz_vi minor7 maj7_vamp dorian garage_minor garage_major",
                       "organ gm_organ fm_ep square gm_epiano", "two_step two_step_rim", "clicky sine",
                       "syncopated kick", "reese fm sub", "garage stab_off", swing=0.28, intro=0.3,
                       duck=0.35),
    "synthwave": Genre(9, (84, 90, 95, 100, 105, 110, 115, 118),
                       "axis minor_loop mixo rise sits_on_vi minor_hold fifties",
                       "supersaw square fm_bell opl_fm gm_strings", "eighties eighties_16", "sine", "eighths",
                       "saw fm", "pad arp16", intro=0.4, duck=0.3, space=0.6),
    "lofi": Genre(8, (72, 75, 78, 80, 84, 86, 88, 90), "jazz minor7 rhythm maj7_vamp dorian descend",
                  "gm_epiano fm_ep gm_piano ks_pluck additive_piano", "lofi lofi_lazy", "sine", "half kick",
                  "sub fm", "hiphop_keys pad quarter", masters="vinyl lofi-filtered", swing=0.3, space=0.35),
    "ambient_drumless": Genre(7, (70, 75, 80, 85, 90, 100, 110),
                              "maj7_vamp minor_loop axis major_pedal harmonic climb canon",
                              "supersaw fm_bell ks_pluck gm_strings", "", "", "sustain half", "sub fm",
                              "arp8 pulse8", masters="plain noisy", space=0.7),
    "piano_drumless": Genre(7, (66, 72, 80, 88, 96, 104, 112),
                            "fifties cadence_minor axis cadence turnaround jazz circle",
                            "gm_piano additive_piano gm_epiano", "", "", "half", "keys", "quarter alberti",
                            masters="plain noisy dull-rip", space=0.3),
    "arp_drumless": Genre(6, (100, 110, 118, 120, 124, 128),
                          "minor_loop mixo phrygian axis arp_pedal fifties",
                          "ks_pluck square fm_bell opl_fm", "", "", "eighths", "saw sub", "arp16 arp8",
                          masters="plain loud dull-rip", space=0.5),
}


def pick(rng: np.random.Generator, names: str) -> str:
    """One of the space-separated names, drawn."""
    return str(rng.choice(names.split()))


def cycle(names: str, j: int) -> str:
    """The j-th of the space-separated names, cycling."""
    return names.split()[j % len(names.split())]


@dataclass(frozen=True)
class Plan:
    """Everything a track's labels depend on, drawn from the set's seed; the details come from `seed`."""
    index: int
    group: str
    rendering: str
    bpm: int
    tonic: int
    mode: str
    numerals: str
    note: str
    master: str
    seconds: float
    cents: float
    offset: float  # beat 1 of bar 1
    intro_bars: int  # kickless bars before the first kick
    seed: int

    @property
    def minor(self) -> bool:
        return self.mode in MINOR_MODES

    def track(self, folder: Path) -> Track:
        short_key = NOTES[self.tonic] + "m" * self.minor
        name = f"{self.index:03d}-{self.group}-{self.rendering}-{self.bpm}-{short_key}"
        arrangement = self.numerals + (f" ({self.note})" if self.note else "")
        return Track(name=name, group=self.group, arrangement=arrangement, rendering=self.rendering,
                     bpm=float(self.bpm), key=f"{NOTES[self.tonic]} {'minor' if self.minor else 'major'}",
                     first_beat_s=self.offset if GENRES[self.group].drums else None, seconds=self.seconds,
                     tuning_cents=self.cents, master=self.master, path=str(folder / f"{name}.flac"))


def place_drums(mix: Mix, kit: dict[str, np.ndarray], pattern: dict[str, str], drop: int, bars: int,
                rng: np.random.Generator, rolls: bool, intro_hats: bool) -> list[float]:
    """Plays the pattern from bar `drop` (hats from half-way through the intro if `intro_hats`), with trap
    rolls on every other bar; returns the kick times."""
    gains = {"kick": 1.0, "snare": 0.55, "clap": 0.5, "hat": 0.16, "ohat": 0.12, "rim": 0.2}
    pans, kicks = {"hat": 0.3, "ohat": -0.25, "rim": 0.4}, []
    for bar in range(bars):
        for name, pat in pattern.items():
            if bar < drop and not (intro_hats and name in ("hat", "ohat") and bar >= drop // 2):
                continue
            first = bar % (len(pat) // 16) * 16
            steps = [(float(s), 0.45 if mark == "o" else 1.0) for s, _, mark in hits(pat[first:first + 16])]
            if rolls and name == "hat" and bar % 2:  # a roll of 16th triplets or 32nds over beat 2 or 4
                beat, per_beat = int(rng.choice([1, 3])), int(rng.choice([6, 8]))
                steps = [h for h in steps if not 4 * beat <= h[0] < 4 * beat + 4]
                steps += [(4 * beat + 4 * k / per_beat, 0.6 + 0.4 * k / per_beat) for k in range(per_beat)]
            for s, vel in steps:
                t = mix.time(bar * 16 + s)
                gain = gains[name] * vel * (1.0 if name == "kick" else rng.uniform(0.8, 1.0))
                mix.add("kick" if name == "kick" else "drums", kit[name], t, gain, pans.get(name, 0.0))
                if name == "kick":
                    kicks.append(t)
    return kicks


def render(plan: Plan) -> np.ndarray:
    """Renders one planned track to float stereo at SR."""
    rng, genre = np.random.default_rng(plan.seed), GENRES[plan.group]
    n = round(plan.seconds * SR)
    mix = Mix(n, plan.bpm, plan.offset, genre.swing * rng.uniform(0.6, 1.1))
    bars = int((plan.seconds - plan.offset) / (16 * mix.step_s)) + 2
    prog = [chord_pcs(numeral, plan.tonic, plan.minor) for numeral in plan.numerals.split("-")]
    chords = [prog[b % len(prog)] for b in range(bars)]
    drop, kicks, kick_steps = plan.intro_bars, [], [0, 8]
    if genre.drums:
        pattern = DRUMS[pick(rng, genre.drums)]
        kit = drum_kit(rng, pick(rng, genre.kicks))
        kicks = place_drums(mix, kit, pattern, drop, bars, rng, genre.rolls, rng.random() < 0.5)
        kick_steps = [s for s, _, _ in hits(pattern["kick"][:16])]
        if rng.random() < 0.5:
            mix.add("drums", kit["crash"], mix.time(16 * drop), 0.25)
    if plan.offset > 0.5 and rng.random() < 0.4:  # a reversed-cymbal swell that lands on beat 1
        swell = _filt(rng.standard_normal(int(plan.offset * SR) - 10), "highpass", 3000)
        mix.add("drums", swell * np.linspace(0, 1, len(swell)) ** 3 * 0.3, 0.0)

    style = "pedal" if "pedal" in plan.note else "moving" if "moving" in plan.note else pick(rng, genre.bass)
    sound = pick(rng, genre.bass_sounds)
    base = 28 if sound in ("sub", "808", "reese", "wobble") else 36
    bass = [note for note in bass_line(style, chords, kick_steps, plan.mode, plan.tonic, base, rng)
            if note.step >= 16 * drop]
    comp = "pad" if plan.rendering == "gm_strings" and genre.drums else pick(rng, genre.comps)
    chord_notes = comp_notes(comp, chords, int(rng.integers(52, 60)))
    scale = {(plan.tonic + s) % 12 for s in SCALES[plan.mode]}
    lead_from = max(drop, 4 if genre.drums else 2)
    lead = melody(prog, scale, plan.tonic, rng, int(rng.integers(62, 66)), lead_from, bars)
    if plan.rendering in GM_RENDERINGS:
        chord_program, lead_program, soundfont, fix = GM_RENDERINGS[plan.rendering]
        parts = [(chord_program, chord_notes + (bass if sound == "keys" else [])),
                 (lead_program, [note._replace(vel=note.vel * 0.8) for note in lead])]
        mix.add("chords", render_gm(parts, mix, plan.cents + fix, soundfont), 0.0)
    else:
        chord_voice, lead_voice = SYNTH_RENDERINGS[plan.rendering]
        pad = Voice(chord_voice, plan.cents, rng, soft=comp == "pad")
        mix.notes("chords", chord_notes, pad, rng.uniform(-0.2, 0.2))
        mix.notes("lead", lead, Voice(lead_voice, plan.cents, rng), rng.uniform(-0.3, 0.3))
        if sound == "keys":
            mix.notes("bass", bass, Voice(chord_voice, plan.cents, rng))
    if sound != "keys":
        mix.notes("bass", bass, Voice(sound, plan.cents, rng))
    return mixdown(mix, plan, kicks, rng, wobbly=sound == "wobble")


def mixdown(mix: Mix, plan: Plan, kicks: list[float], rng: np.random.Generator, wobbly: bool) -> np.ndarray:
    """Wobble, levels, the intro's filter sweep, sidechain ducking, reverb and echoes, then mastering."""
    genre, t = GENRES[plan.group], _t(mix.n)
    if wobbly:  # an LFO on the bass filter in 8ths, 8th triplets or quarters
        rate = plan.bpm / 60 * float(rng.choice([2, 3, 1]))
        cutoff = 120 * 20 ** (0.5 + 0.5 * np.cos(2 * np.pi * rate * t))
        mix.buses["bass"] = sweep_lowpass(mix.buses["bass"], cutoff, q=3)
    levels = {"bass": 0.13, "chords": 0.09} if genre.drums else {"bass": 0.07, "chords": 0.12}
    for name, level in {**levels, "lead": 0.05}.items():
        bus = mix.bus(name)
        bus *= level * 10 ** (rng.uniform(-2, 2) / 20) / max(np.sqrt(np.mean(bus ** 2)), 1e-9)
    chords, lead = mix.bus("chords"), mix.bus("lead")
    if plan.intro_bars:  # the intro opens a closed low-pass, fully open at the first kick
        drop_s = mix.time(16 * plan.intro_bars)
        chords[:] = sweep_lowpass(chords, np.where(t < drop_s, 300 * 60 ** np.clip(t / drop_s, 0, 1), 18000))
    else:
        chords[:] = _filt(chords, "lowpass", rng.uniform(3000, 12000))
    if genre.duck and kicks:
        duck = sidechain(kicks, mix.n, genre.duck * rng.uniform(0.6, 1.0))
        mix.bus("bass")[:] *= duck
        chords *= duck
    send = chords + lead + 0.3 * mix.bus("drums")
    out = sum(mix.buses.values()) + genre.space * reverb(send, rng.uniform(1.2, 3.0), rng)
    if rng.random() < 0.5:  # ping-pong echoes of the lead, a dotted 8th apart
        gap, feedback = 3 * round(mix.step_s * SR), rng.uniform(0.3, 0.5)
        for k in range(1, 5):
            out[k * gap:, k % 2] += feedback ** k * lead[: max(mix.n - k * gap, 0)].mean(axis=1)
    return master(out, plan.master, rng)


# Later batches: the same recipe with new seeds, each rendered once the one before had been read.
BATCH_SEEDS = {1: 20240611, 2: 20261207, 3: 20261208, 4: 20261209, 5: 20261214, 6: 20261215,
               7: 20261221, 8: 20261222, 9: 20261228,
               10: 20261229, 11: 20261230, 12: 20261231, 13: 20270104}


def plans(batch: int = 1) -> list[Plan]:
    """The whole set in order: each genre cycles through its loops, sounds and masterings; each tonic goes
    to whichever of the 12 that mode has used least, so the keys spread over all 24."""
    rng = np.random.default_rng(BATCH_SEEDS[batch])
    used, out = {True: np.zeros(12, int), False: np.zeros(12, int)}, []
    for group, genre in GENRES.items():
        for j in range(genre.count):
            numerals, mode, note = PROGS[cycle(genre.progs, j)]
            counts = used[mode in MINOR_MODES]
            tonic = int(rng.choice(np.flatnonzero(counts == counts.min())))
            counts[tonic] += 1
            bpm, seconds = int(rng.choice(genre.bpms)), 45.0 if rng.random() < 0.25 else 30.0
            cents = round(float(rng.choice([-1, 1]) * rng.uniform(6, 30)), 1) if rng.random() < 0.25 else 0.0
            offset = 0.0 if rng.random() < 0.15 else round(float(rng.uniform(0.05, 1.8)), 3)
            intro = 0
            if genre.drums and rng.random() < genre.intro:
                intro = 8 if seconds - offset > 8 * 4 * 60 / bpm + 12 else 4
            out.append(Plan(len(out), group, cycle(genre.renderings, j), bpm, tonic, mode, numerals, note,
                            cycle(genre.masters, j), seconds, cents, offset, intro, 1000 * batch + len(out)))
    return out


def _render_to(plan: Plan, path: str) -> int:
    write_audio(render(plan).astype(np.float32), Path(path), "flac", sr=SR)
    return plan.index


def default_folder(batch: int) -> Path:
    return Path("/tmp/musicsync-independent" + (f"-{batch}" if batch > 1 else ""))


def build(folder: Path, batch: int = 1) -> list[Track]:
    """Renders every track into `folder` (reusing those its manifest lists unchanged); returns the labels."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    cached = {row["name"]: row for row in json.loads(manifest.read_text())} if manifest.exists() else {}
    all_plans = plans(batch)
    tracks = [plan.track(folder) for plan in all_plans]
    done = {i for i, track in enumerate(tracks)
            if cached.get(track.name) == dataclasses.asdict(track) and Path(track.path).exists()}

    def write_manifest() -> None:
        manifest.write_text(json.dumps([dataclasses.asdict(tracks[i]) for i in sorted(done)], indent=1))

    write_manifest()
    with ProcessPoolExecutor(2) as pool:
        jobs = [pool.submit(_render_to, plan, tracks[plan.index].path)
                for plan in all_plans if plan.index not in done]
        for job in as_completed(jobs):
            done.add(job.result())
            write_manifest()
    return tracks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, choices=sorted(BATCH_SEEDS), default=1)
    parser.add_argument("--folder", type=Path, help="default /tmp/musicsync-independent, or -N after it for batch N")
    args = parser.parse_args()
    for track in build(args.folder or default_folder(args.batch), args.batch):
        print(f"{track.name:48} {track.group:17} {track.bpm:6.1f} {track.key:9} {track.first_beat_s}")


if __name__ == "__main__":
    main()
