"""Synthesised tracks with a known tempo and key, for the demo, the tests and the benchmarks.

Each track is a drum groove (four-on-the-floor by default; breakbeat, boom-bap, half-time, trap,
dembow, two-step and 3/4 for the benchmarks), a bass line on the chord roots and a pad playing a
diatonic progression that starts on the tonic, so both tempo and key are known exactly.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.audio.musickeys import MusicalKey, parse_key

SAMPLE_RATE = 44100
_MAJOR_TRIAD, _MINOR_TRIAD = (0, 4, 7), (0, 3, 7)
# One chord per bar: (root in semitones above the tonic, triad). Major: I V vi IV. Minor: i VI iv V,
# the harmonic-minor V (its raised seventh) being what tells a minor key from its relative major.
PROGRESSIONS = {
    "major": ((0, _MAJOR_TRIAD), (7, _MAJOR_TRIAD), (9, _MINOR_TRIAD), (5, _MAJOR_TRIAD)),
    "minor": ((0, _MINOR_TRIAD), (8, _MAJOR_TRIAD), (5, _MINOR_TRIAD), (7, _MAJOR_TRIAD)),
}
_CONTAINER_ARGS = {
    "m4a": ("-c:a", "aac", "-b:a", "192k", "-f", "ipod"),
    "mp3": ("-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp3"),
    "flac": ("-c:a", "flac", "-f", "flac"),
    "wav": ("-c:a", "pcm_s16le", "-f", "wav"),
    "opus": ("-c:a", "libopus", "-b:a", "128k", "-f", "ogg"),
}


@dataclass(frozen=True)
class DemoTrack:
    title: str
    artist: str
    bpm: float
    key: str
    seconds: float
    container: str

    @property
    def musical_key(self) -> MusicalKey:
        return parse_key(self.key)


DEMO_TRACKS = (
    DemoTrack("Harbour Lights", "Tidal State", 124.0, "A minor", 40, "m4a"),
    DemoTrack("Copper Sun", "Lumen Drive", 128.0, "F major", 35, "mp3"),
    DemoTrack("Night Ferry", "Tidal State", 100.0, "E minor", 45, "flac"),
    DemoTrack("Glass / Steel \"Dub\"", "Åsa Ström", 122.0, "D major", 30, "wav"),
)


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _tone(freq: float, length: int, sr: int, harmonics: int) -> np.ndarray:
    t = np.arange(length) / sr
    return sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))


@dataclass(frozen=True)
class Groove:
    """A one-bar drum pattern: positions in beats from the start of the bar."""

    beats_per_bar: int
    kicks: tuple[float, ...]
    snares: tuple[float, ...]
    hats: tuple[float, ...]


GROOVES = {
    "four_on_the_floor": Groove(4, (0, 1, 2, 3), (), (0.5, 1.5, 2.5, 3.5)),
    "house": Groove(4, (0, 1, 2, 3), (1, 3), (0.5, 1.5, 2.5, 3.5)),
    "techno": Groove(4, (0, 1, 2, 3), (1, 3), tuple(i / 4 for i in range(16))),
    "breakbeat": Groove(4, (0, 2.5), (1, 3), tuple(i / 2 for i in range(8))),  # drum & bass
    "boom_bap": Groove(4, (0, 1.75, 2.5), (1, 3), tuple(i / 2 for i in range(8))),  # hip-hop
    "half_time": Groove(4, (0, 2.75), (2,), tuple(i / 2 for i in range(8))),
    "trap": Groove(4, (0, 0.75, 2.5), (2,), tuple(i / 4 for i in range(16))),
    "dembow": Groove(4, (0, 1, 2, 3), (0.75, 1.5, 2.75, 3.5), tuple(i / 2 for i in range(8))),
    "two_step": Groove(4, (0, 2.5), (1, 3), (0.5, 1.5, 2.5, 3.5)),  # UK garage
    "waltz": Groove(3, (0,), (1, 2), (0.5, 1.5, 2.5)),
}


def render(bpm: float, key: MusicalKey, seconds: float, sr: int = SAMPLE_RATE, seed: int = 0,
           groove: str = "four_on_the_floor", harmonics: int = 4, intro_s: float = 0.0) -> np.ndarray:
    """Stereo float32 in [-1, 1], shape (frames, 2): drums, bass on every beat, a chord per bar.

    `intro_s` seconds of chords alone come first (a beatless intro); the beat grid starts after it.
    """
    rng = np.random.default_rng(seed)
    pattern = GROOVES[groove]
    frames = int(seconds * sr)
    mix = np.zeros(frames, dtype=np.float64)
    beat = 60.0 / bpm

    kick_len = int(0.15 * sr)
    t = np.arange(kick_len) / sr
    kick = np.sin(2 * np.pi * (50 * t + 100 * (1 - np.exp(-t * 30)) / 30)) * np.exp(-t * 25)
    hat_len = int(0.03 * sr)
    hat = np.diff(rng.standard_normal(hat_len) * np.exp(-np.arange(hat_len) / (0.006 * sr)) * 0.25, prepend=0.0)
    snare_len = int(0.12 * sr)
    t = np.arange(snare_len) / sr
    snare = (rng.standard_normal(snare_len) * 0.4 + np.sin(2 * np.pi * 180 * t)) * np.exp(-t * 30) * 0.6

    progression = PROGRESSIONS[key.mode]
    bar = pattern.beats_per_bar * beat
    n_bars = int(np.ceil((seconds - intro_s) / bar))
    for bar_index in range(n_bars):
        bar_start = intro_s + bar_index * bar
        for sound, positions in ((kick * 0.9, pattern.kicks), (snare, pattern.snares), (hat, pattern.hats)):
            for position in positions:
                _add(mix, int((bar_start + position * beat) * sr), sound)
        chord_root, _ = progression[bar_index % 4]
        bass_len = int(0.45 * beat * sr)
        envelope = np.minimum(1, np.linspace(8, 0, bass_len))
        bass = _tone(_midi_hz(36 + key.tonic + chord_root), bass_len, sr, 3) * envelope * 0.3
        for beat_index in range(pattern.beats_per_bar):
            _add(mix, int((bar_start + beat_index * beat) * sr), bass)
    chord_starts = list(np.arange(0, intro_s, 4 * beat)) + [intro_s + i * bar for i in range(n_bars)]
    for index, start_s in enumerate(chord_starts):
        degree, quality = progression[index % 4]
        start = int(start_s * sr)
        length = min(int((chord_starts[index + 1] - start_s if index + 1 < len(chord_starts) else bar) * sr),
                     frames - start)
        if length <= 0:
            break
        fade = np.minimum(1, np.minimum(np.arange(length), np.arange(length)[::-1]) / (0.02 * sr))
        for interval in quality:
            note = 60 + key.tonic + degree + interval
            _add(mix, start, _tone(_midi_hz(note), length, sr, harmonics) * fade * 0.07)
    mix /= max(1e-9, np.max(np.abs(mix))) / 0.8
    return np.stack([mix, mix * 0.97], axis=1).astype(np.float32)


def _add(target: np.ndarray, start: int, sound: np.ndarray) -> None:
    end = min(len(target), start + len(sound))
    if end > start:
        target[start:end] += sound[: end - start]


def cover_art_png(colour: str = "0x2a6f97") -> bytes:
    """A small solid-colour PNG, made by ffmpeg so no image library is needed."""
    result = subprocess.run(
        [codec.ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"color=c={colour}:s=64x64",
         "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "pipe:1"],
        capture_output=True, check=True,
    )
    return result.stdout


def pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as 16-bit little-endian PCM, as a decoder hands them over."""
    return (np.clip(samples, -1, 1) * 32767).astype("<i2")


def write_audio(samples: np.ndarray, path: Path, container: str, sr: int = SAMPLE_RATE) -> Path:
    """Encodes float stereo samples into `path` with the given container's usual codec."""
    pcm = pcm16(samples)
    subprocess.run(
        [codec.ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "s16le", "-ar", str(sr), "-ac",
         str(pcm.shape[1]), "-i", "pipe:0", *_CONTAINER_ARGS[container], "-y", str(path)],
        input=pcm.tobytes(), check=True,
    )
    return path


def write_demo_track(track: DemoTrack, folder: Path, seed: int = 0) -> Path:
    """Renders one demo track with its title, artist and cover art embedded, as a listener's file would be."""
    from musicsync_assets.lib.audio.tags import TagSet, write_tags
    from musicsync_assets.lib.pipeline.naming import safe_filename

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_filename(f'{track.artist} - {track.title}')}.{track.container}"
    write_audio(render(track.bpm, track.musical_key, track.seconds, seed=seed), path, track.container)
    write_tags(path, TagSet(title=track.title, artists=[track.artist], album="musicsync demo",
                            year=2026, artwork=cover_art_png()))
    return path
