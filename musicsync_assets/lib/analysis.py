"""BPM, key, Camelot, loudness: everything musicsync knows about how a track sounds.

One entry point, `analyze_pcm`, serves the pipeline and `musicsync analyze` alike. It works on the
decoded PCM the pipeline already holds, so a track is decoded once, and it is built for speed:
a mel onset envelope for tempo (autocorrelation with harmonic support, refined to a fraction of a
frame), a 12-bin chroma from one STFT at a low sample rate for key.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib.musickeys import ALL_KEYS, MusicalKey

ANALYZER_VERSION = "1.2"
TEMPO_SR = 22050
TEMPO_HOP = 256
KEY_SR = 11025
SILENCE_DBFS = -60.0

# Krumhansl-Kessler probe-tone profiles, C as tonic.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class Analysis:
    bpm: float | None
    bpm_confidence: float
    key: MusicalKey | None
    key_confidence: float
    duration_s: float
    loudness_lufs: float | None
    peak_dbfs: float | None
    beat_offset_s: float | None = None
    intro_s: float | None = None
    outro_s: float | None = None
    energy: int | None = None

    @property
    def key_name(self) -> str | None:
        return self.key.name if self.key else None

    @property
    def camelot(self) -> str | None:
        return self.key.camelot if self.key else None

    @property
    def open_key(self) -> str | None:
        return self.key.open_key if self.key else None

    def as_json(self, path: Path | None = None) -> dict:
        return {
            **({"path": str(path)} if path else {}),
            "bpm": round(self.bpm, 1) if self.bpm else None,
            "bpm_int": round(self.bpm) if self.bpm else None,
            "bpm_confidence": round(self.bpm_confidence, 3),
            "key": self.key_name,
            "camelot": self.camelot,
            "open_key": self.open_key,
            "key_confidence": round(self.key_confidence, 3),
            "duration_s": round(self.duration_s, 3),
            "loudness_lufs": None if self.loudness_lufs is None else round(self.loudness_lufs, 1),
            "peak_dbfs": None if self.peak_dbfs is None else round(self.peak_dbfs, 1),
            "beat_offset_s": None if self.beat_offset_s is None else round(self.beat_offset_s, 3),
            "intro_s": self.intro_s,
            "outro_s": self.outro_s,
            "energy": self.energy,
        }


def analyze_pcm(pcm: np.ndarray, sample_rate: int, bpm_range: tuple[float, float] = (70.0, 180.0)) -> Analysis:
    """Analyses int16 PCM of shape (frames, channels)."""
    import soxr

    samples = pcm.astype(np.float32) / 32768.0
    duration = len(samples) / sample_rate
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    peak_dbfs = float(20 * np.log10(peak)) if peak > 0 else None
    if peak_dbfs is None or peak_dbfs < SILENCE_DBFS:
        return Analysis(None, 0.0, None, 0.0, duration, None, peak_dbfs)
    mono = samples.mean(axis=1)
    for_tempo = soxr.resample(mono, sample_rate, TEMPO_SR)
    fps = TEMPO_SR / TEMPO_HOP
    envelope = onset_envelope(for_tempo, TEMPO_SR)
    bpm, bpm_confidence = estimate_tempo(envelope, fps, bpm_range)
    key, key_confidence = estimate_key(soxr.resample(for_tempo, TEMPO_SR, KEY_SR), KEY_SR)
    loudness = integrated_loudness(samples, sample_rate)
    intro_s, outro_s = intro_outro(for_tempo, TEMPO_SR)
    return Analysis(
        bpm, bpm_confidence, key, key_confidence, duration, loudness, peak_dbfs,
        beat_offset_s=beat_offset(envelope, fps, bpm, for_tempo, TEMPO_SR) if bpm else None,
        intro_s=intro_s, outro_s=outro_s, energy=energy_score(loudness, envelope, fps),
    )


def analyze_file(path: Path, bpm_range: tuple[float, float] = (70.0, 180.0)) -> Analysis:
    """Decodes a file the way the pipeline does and analyses it."""
    from musicsync_assets.lib import audio

    described = audio.probe(path)
    return analyze_pcm(audio.decode(path, 44100, 2, described.duration_s), 44100, bpm_range)


def onset_envelope(y: np.ndarray, sr: int) -> np.ndarray:
    """Spectral flux on a mel scale, TEMPO_HOP samples per frame."""
    import librosa

    return librosa.onset.onset_strength(y=y, sr=sr, hop_length=TEMPO_HOP, n_mels=64, fmax=8000)


def estimate_tempo(envelope: np.ndarray, fps: float, bpm_range: tuple[float, float]) -> tuple[float | None, float]:
    """Tempo in BPM and a confidence in [0, 1]; (None, 0) when there is no steady pulse."""
    if len(envelope) < fps * 4:
        return None, 0.0
    envelope = envelope - envelope.mean()
    if not np.any(envelope):
        return None, 0.0
    spectrum = np.fft.rfft(envelope, n=2 * len(envelope))
    autocorr = np.fft.irfft(spectrum * np.conj(spectrum))[: len(envelope)]
    autocorr /= autocorr[0]

    lo, hi = bpm_range
    min_lag = int(np.floor(60 * fps / (hi * 1.02)))
    max_lag = min(int(np.ceil(60 * fps / (lo * 0.98))), len(autocorr) // 3)
    if max_lag <= min_lag + 2:
        return None, 0.0
    lags = np.arange(min_lag, max_lag + 1)

    def at(lag: np.ndarray) -> np.ndarray:
        return autocorr[np.clip(np.round(lag).astype(int), 0, len(autocorr) - 1)]

    # A true beat period repeats at 2x and 4x its lag and is subdivided at half of it; a dotted
    # (3/2) or syncopated period rarely has all of these.
    support = at(lags) + 0.5 * at(2 * lags) + 0.25 * at(4 * lags) + 0.5 * at(lags / 2)
    best = int(lags[np.argmax(support)])
    period = _refine_period(autocorr, best)
    bpm = 60 * fps / period
    while bpm < lo:
        bpm *= 2
    while bpm >= hi:
        bpm /= 2
    tatum = _tatum_lag(autocorr, fps)
    if tatum:
        # Most grooves split the beat in two (eighth-note hats): the octave whose beat spans two
        # tatums is the one a DJ counts. Drum & bass read at half tempo would span four.
        in_range = [c for c in (bpm, bpm * 2, bpm / 2) if lo <= c < hi]
        bpm = min(in_range, key=lambda c: (abs(np.log2(60 * fps / c / tatum) - 1), c != bpm))

    background = float(np.median(autocorr[lags]))
    peak = float(autocorr[best])
    confidence = float(np.clip((peak - background) / (1.0 - background + 1e-9) * 1.6, 0.0, 1.0))
    return float(bpm), confidence


def beat_offset(envelope: np.ndarray, fps: float, bpm: float, y: np.ndarray, sr: int) -> float:
    """Seconds to the first beat of the grid: the beat phase with the most onset energy, placed at
    the first beat where the music has begun, then pinned to that beat's attack in the waveform
    (the onset envelope lags it by a frame or two). Which bar position is the downbeat is not decided."""
    beat = 60 * fps / bpm
    usable = len(envelope) - 1
    if usable <= 4 * beat:
        return 0.0

    def strength(offset: float) -> float:
        return float(envelope[np.arange(offset, usable, beat).astype(int)].mean())

    first = max(np.arange(0, beat, 0.25), key=strength)
    sounding = np.flatnonzero(envelope > 0.1 * envelope.max())
    while sounding.size and first < sounding[0] - beat / 2:
        first += beat
    estimate = first / fps
    start, stop = max(0, int((estimate - 0.06) * sr)), int((estimate + 0.02) * sr)
    window = np.abs(y[start:stop])
    if not window.size or not window.max():
        return float(estimate)
    return float((start + np.argmax(window >= 0.5 * window.max())) / sr)


def intro_outro(mono: np.ndarray, sr: int) -> tuple[float, float]:
    """Seconds before the track reaches its body, and after it leaves it.

    The body is where the 2-second loudness is within 6 dB of the track's 75th percentile: a
    beatless or quiet intro, a fade or a breakdown-only outro fall outside it.
    """
    window = 2 * sr
    count = len(mono) // window
    if count < 3:
        return 0.0, 0.0
    power = (mono[: count * window].astype(np.float64) ** 2).reshape(count, window).mean(axis=1)
    level = 10 * np.log10(np.maximum(power, 1e-12))
    body = np.flatnonzero(level >= np.percentile(level, 75) - 6)
    return float(body[0] * 2.0), float((count - body[-1] - 1) * 2.0)


def energy_score(loudness_lufs: float | None, envelope: np.ndarray, fps: float) -> int:
    """1 (quiet, sparse) to 10 (loud, busy): integrated loudness and onset density together."""
    import librosa

    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=TEMPO_SR, hop_length=TEMPO_HOP)
    density = len(onsets) / max(len(envelope) / fps, 1e-9)
    loud = np.clip(((loudness_lufs if loudness_lufs is not None else -40) + 30) / 24, 0, 1)
    busy = np.clip(density / 6, 0, 1)
    return int(round(1 + 9 * (0.6 * loud + 0.4 * busy)))


def _tatum_lag(autocorr: np.ndarray, fps: float) -> int | None:
    """The fastest regular pulse (in frames, 0.1-0.6 s): the first autocorrelation peak there
    that reaches 60% of the strongest one."""
    low, high = int(0.1 * fps), min(int(0.6 * fps), len(autocorr) - 1)
    peaks = [lag for lag in range(low + 1, high) if autocorr[lag - 1] <= autocorr[lag] >= autocorr[lag + 1]]
    if not peaks:
        return None
    strongest = max(autocorr[lag] for lag in peaks)
    return next(lag for lag in peaks if autocorr[lag] >= 0.6 * strongest)


def _refine_period(autocorr: np.ndarray, lag: int) -> float:
    """Sub-frame beat period: the interpolated peaks at k x lag pin the period down k times finer."""
    estimates = []
    for multiple in (1, 2, 4, 8):
        centre = lag * multiple
        if centre + multiple + 1 >= len(autocorr):
            break
        window = range(max(centre - multiple, 1), centre + multiple + 1)
        peak = max(window, key=lambda i: autocorr[i])
        left, middle, right = autocorr[peak - 1], autocorr[peak], autocorr[peak + 1]
        curvature = left - 2 * middle + right
        offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
        estimates.append((peak + offset) / multiple)
    return float(estimates[-1]) if estimates else float(lag)


def estimate_key(y: np.ndarray, sr: int) -> tuple[MusicalKey | None, float]:
    """The best of the 24 keys by profile correlation, with a confidence in [0, 1]."""
    import librosa

    chroma = librosa.feature.chroma_stft(y=y, sr=sr, n_fft=4096, hop_length=2048, tuning=0.0)
    energy = chroma.sum(axis=0)
    if not np.any(energy > 0):
        return None, 0.0
    profile = np.log1p(10 * chroma).sum(axis=1)
    if np.allclose(profile, profile.mean()):
        return None, 0.0
    scores = np.array([
        np.corrcoef(profile, np.roll(_MAJOR_PROFILE if key.mode == "major" else _MINOR_PROFILE, key.tonic))[0, 1]
        for key in ALL_KEYS
    ])
    order = np.argsort(scores)[::-1]
    best, runner_up = scores[order[0]], scores[order[1]]
    margin = (best - runner_up) / max(best, 1e-9)
    confidence = float(np.clip(best, 0, 1) * np.clip(margin * 8, 0, 1))
    return ALL_KEYS[int(order[0])], confidence


def integrated_loudness(samples: np.ndarray, sr: int) -> float | None:
    """ITU-R BS.1770 integrated loudness in LUFS (K-weighting, 400 ms blocks, both gates)."""
    from scipy import signal

    # Stage 1: high shelf (+4 dB above ~1.5 kHz); stage 2: RLB high-pass at 38 Hz.
    gain_db, shelf_q, shelf_hz = 4.0, 1 / np.sqrt(2), 1500.0
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * shelf_hz / sr
    alpha = np.sin(w0) / (2 * shelf_q)
    cos_w0, root_a = np.cos(w0), np.sqrt(a)
    shelf_b = [a * ((a + 1) + (a - 1) * cos_w0 + 2 * root_a * alpha),
               -2 * a * ((a - 1) + (a + 1) * cos_w0),
               a * ((a + 1) + (a - 1) * cos_w0 - 2 * root_a * alpha)]
    shelf_a = [(a + 1) - (a - 1) * cos_w0 + 2 * root_a * alpha,
               2 * ((a - 1) - (a + 1) * cos_w0),
               (a + 1) - (a - 1) * cos_w0 - 2 * root_a * alpha]
    w0 = 2 * np.pi * 38.0 / sr
    alpha = np.sin(w0) / (2 * 0.5)
    high_b = [(1 + np.cos(w0)) / 2, -(1 + np.cos(w0)), (1 + np.cos(w0)) / 2]
    high_a = [1 + alpha, -2 * np.cos(w0), 1 - alpha]
    sos = np.vstack([np.r_[shelf_b, shelf_a] / shelf_a[0], np.r_[high_b, high_a] / high_a[0]])
    weighted = signal.sosfilt(sos, samples, axis=0)

    # 400 ms blocks overlapping by 75% are sums of four consecutive 100 ms segments.
    step = int(0.1 * sr)
    segments = len(weighted) // step
    if segments < 4:
        return None
    segment_energy = (weighted[: segments * step] ** 2).reshape(segments, step, -1).sum(axis=(1, 2))
    power = np.convolve(segment_energy, np.ones(4), mode="valid") / (4 * step)
    loudness = -0.691 + 10 * np.log10(np.maximum(power, 1e-12))
    gated = power[loudness > -70]
    if not len(gated):
        return None
    relative_gate = -0.691 + 10 * np.log10(gated.mean()) - 10
    final = power[(loudness > -70) & (loudness > relative_gate)]
    return float(-0.691 + 10 * np.log10(final.mean()))
