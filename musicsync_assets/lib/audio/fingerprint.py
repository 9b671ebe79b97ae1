"""Acoustic fingerprints: is this audio the same recording as one already in the library, even
re-encoded, at another bitrate, or with a few seconds trimmed?

Why our own and not Chromaprint: `pyacoustid` only wraps Chromaprint, which is a C library
(`libchromaprint`) or its `fpcalc` binary; neither comes from PyPI, and musicsync promises to run
on nothing but Python (ffmpeg itself comes from a wheel). So this is the classic Haitsma–Kalker
(Philips) fingerprint over PCM that `codec.stream` already decodes, in numpy:

- mono at 11,025 Hz; 186 ms Hann windows every 46 ms (21.5 frames a second);
- the energy of 33 logarithmically spaced bands from 300 Hz to 3 kHz, where lossy codecs keep the
  signal they are least free to change;
- one 32-bit sub-fingerprint per frame: bit m says whether the energy step between bands m and m+1
  grew or shrank since the previous frame. Signs of differences survive gain, EQ and the
  quantisation noise of a 128 kbit/s MP3; a re-encode flips 15–19 % of the bits, a different
  recording about half.

Only the first two minutes are fingerprinted: enough to be sure, and a two-hour mix costs no more.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.errors import SilentAudio, TooShort

FINGERPRINT_VERSION = "philips-33b-11k-v1"
SAMPLE_RATE = 11025
WINDOW = 2048
HOP = 512
FRAMES_PER_S = SAMPLE_RATE / HOP
MAX_SECONDS = 120.0
MIN_SECONDS = 5.0
_BAND_EDGES_HZ = np.geomspace(300.0, 3000.0, 34)
_SILENCE_PEAK = 32768 * 10 ** (-60 / 20)  # -60 dBFS, the floor stages.py refuses too

# Matching. A re-encode of the same recording flips at most ~19 % of the bits (128 kbit/s MP3, a
# trimmed and re-encoded copy), different recordings 30 % or more even when they share key, tempo
# and chords (the synthesised tests' hardest case); 25 % sits between.
MATCH_BER = 0.25
MIN_OVERLAP_S = 8.0
_INDEX_STRIDE = 4  # the index keeps every 4th library frame; a query probes all of its own
_MAX_POSTINGS = 2000  # a bucket this full holds a hash common to many tracks: it says nothing
_PROBES = np.array([0] + [1 << bit for bit in range(32)], dtype=np.uint32)  # itself and every 1-bit flip
_CANDIDATES = 5
_FRAME_BITS = 12  # MAX_SECONDS of frames (2,584) fit; the other 20 bits number up to a million tracks


@dataclass(frozen=True)
class Fingerprint:
    hashes: np.ndarray  # uint32, one per frame
    duration_s: float  # of the audio fingerprinted (at most MAX_SECONDS)

    def to_bytes(self) -> bytes:
        return self.hashes.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, duration_s: float) -> "Fingerprint":
        return cls(np.frombuffer(data, dtype="<u4").astype(np.uint32), duration_s)


def fingerprint_file(path: Path) -> Fingerprint:
    """The fingerprint of a file's first two minutes. Raises TooShort, SilentAudio or CorruptAudio."""
    blocks, frames = [], 0
    for block in codec.stream(Path(path), SAMPLE_RATE, 1, block_s=30.0):
        blocks.append(block[:, 0])
        frames += len(block)
        if frames >= MAX_SECONDS * SAMPLE_RATE:
            break  # closing the stream ends ffmpeg: the rest of a long mix is never decoded
    pcm = np.concatenate(blocks)[: int(MAX_SECONDS * SAMPLE_RATE)] if blocks else np.zeros(0, np.int16)
    return fingerprint_pcm(pcm, Path(path).name)


def fingerprint_pcm(pcm: np.ndarray, name: str = "the audio") -> Fingerprint:
    """Fingerprint of mono int16 PCM at SAMPLE_RATE."""
    seconds = len(pcm) / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise TooShort(f"{name} lasts {seconds:.1f} s: too short to fingerprint (at least {MIN_SECONDS:g} s)",
                       "a fragment this short cannot be told apart from other tracks; use the full track")
    if int(np.max(np.abs(pcm.astype(np.int32)))) < _SILENCE_PEAK:
        raise SilentAudio(f"{name} is silent (peak below -60 dBFS): there is nothing to fingerprint")
    samples = pcm.astype(np.float32)
    count = 1 + (len(samples) - WINDOW) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP][:count]
    # scipy's FFT stays in float32 where numpy's works in float64: three times faster, and the bits
    # are signs of differences that float32 resolves as well.
    spectrum = np.abs(scipy.fft.rfft(frames * np.hanning(WINDOW).astype(np.float32), axis=1)) ** 2
    bins = np.searchsorted(np.fft.rfftfreq(WINDOW, 1 / SAMPLE_RATE), _BAND_EDGES_HZ)
    energy = np.log(np.add.reduceat(spectrum, bins[:-1], axis=1)[:, : len(bins) - 1] + 1e-9)
    across = energy[:, :-1] - energy[:, 1:]  # 32 band-to-band steps per frame
    bits = (across[1:] - across[:-1]) > 0
    hashes = np.packbits(bits, axis=1, bitorder="little").view("<u4")[:, 0].astype(np.uint32)
    return Fingerprint(hashes, seconds)


def bit_error_rate(a: np.ndarray, b: np.ndarray) -> float:
    """Share of differing bits between two equally long runs of sub-fingerprints."""
    return float(np.unpackbits((a ^ b).view(np.uint8)).mean()) if len(a) else 1.0


@dataclass(frozen=True)
class FingerprintMatch:
    track_key: str
    bit_error_rate: float
    offset_s: float  # where the query starts in the library track (negative: the query starts earlier)
    overlap_s: float

    @property
    def similarity(self) -> float:
        """1 for identical audio, about 0 for unrelated audio (whose bits differ half the time)."""
        return max(0.0, 1.0 - 2.0 * self.bit_error_rate)


def _aligned(library: np.ndarray, query: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The overlapping runs when query frame 0 sits at library frame `offset`."""
    if offset >= 0:
        library = library[offset:]
    else:
        query = query[-offset:]
    length = min(len(library), len(query))
    return library[:length], query[:length]


class FingerprintIndex:
    """Every library fingerprint, searchable for a new one in milliseconds.

    The index is a sorted array of sub-fingerprints (every 4th frame of each track) beside which
    track and frame each came from, with a table of where each value of the top bits starts. A
    query looks up each of its frames and every 1-bit variant of it (a table lookup, so the cost
    hardly grows with the library), lets each hit vote for a (track, time offset) pair, and
    confirms the best few by the bit error rate over their whole overlap. Built lazily: adding
    tracks is cheap, the first search after sorts once.
    """

    def __init__(self, fingerprints: Iterable[tuple[str, Fingerprint]] = ()):
        self._keys: list[str] = []
        self._hashes: list[np.ndarray] = []
        self._positions: dict[str, int] = {}
        self._durations: list[float] = []
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        for track_key, fingerprint in fingerprints:
            self.add(track_key, fingerprint)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def fingerprint(self, track_key: str) -> Fingerprint:
        position = self._positions[track_key]
        return Fingerprint(self._hashes[position], self._durations[position])

    def add(self, track_key: str, fingerprint: Fingerprint) -> None:
        if track_key in self._positions:
            raise ValueError(f"{track_key} is already in the index")
        if len(fingerprint.hashes) >= 1 << _FRAME_BITS:
            raise ValueError(f"{track_key}'s fingerprint is longer than {MAX_SECONDS:g} s")
        self._positions[track_key] = len(self._keys)
        self._keys.append(track_key)
        self._hashes.append(fingerprint.hashes)
        self._durations.append(fingerprint.duration_s)
        self._sorted = None

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        if self._sorted is None:
            # Each entry packed in one 64-bit word (hash, track, frame) so one plain sort orders
            # them all: four times faster at 10,000 tracks than sorting indices and gathering.
            words = []
            for track, hashes in enumerate(self._hashes):
                frames = np.arange(0, len(hashes), _INDEX_STRIDE, dtype=np.uint64)
                words.append(hashes[::_INDEX_STRIDE].astype(np.uint64) << 32 | np.uint64(track) << _FRAME_BITS
                             | frames)
            packed = np.sort(np.concatenate(words or [np.zeros(0, np.uint64)]))
            packed = packed[packed >> 32 != 0]  # digital silence: all band steps equal
            hashes = (packed >> 32).astype(np.uint32)
            tracks = (packed >> _FRAME_BITS & ((1 << (32 - _FRAME_BITS)) - 1)).astype(np.int32)
            frames = (packed & ((1 << _FRAME_BITS) - 1)).astype(np.int32)
            # A direct-address table over the top bits, sized so a bucket holds about two entries
            # whatever the library's size: a probe costs the same at 1,000 tracks as at 100,000.
            shift = 32 - int(np.clip(np.log2(max(len(hashes), 1)), 8, 26))
            counts = np.bincount(hashes >> shift, minlength=(1 << (32 - shift)))
            starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            self._sorted = hashes, tracks, frames, starts, shift
        return self._sorted

    def search(self, fingerprint: Fingerprint, exclude: str | None = None) -> list[FingerprintMatch]:
        """Library tracks that are the same recording, best first (usually none or one)."""
        hashes, tracks, frames, starts, shift = self._index()
        query = fingerprint.hashes
        probes = (query[:, None] ^ _PROBES[None, :]).ravel()
        probe_frames = np.repeat(np.arange(len(query), dtype=np.int32), len(_PROBES))
        buckets = probes >> shift
        first = starts[buckets]
        lengths = starts[buckets + 1] - first
        lengths[lengths > _MAX_POSTINGS] = 0
        total = int(lengths.sum())
        if total == 0:
            return []
        # Every entry of every probed bucket, without a Python loop: each bucket's start repeated
        # over its length; then only the entries equal to their probe are hits.
        run_offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
        entries = np.repeat(first, lengths) + (np.arange(total) - run_offsets)
        equal = hashes[entries] == np.repeat(probes, lengths)
        entries = entries[equal]
        hit_tracks = tracks[entries].astype(np.int64)
        hit_offsets = frames[entries].astype(np.int64) - np.repeat(probe_frames, lengths)[equal]
        votes, counts = np.unique(hit_tracks << 20 | (hit_offsets + (1 << 19)), return_counts=True)
        matches: dict[str, FingerprintMatch] = {}
        for vote in votes[np.argsort(counts)[::-1][: _CANDIDATES * 3]]:
            track, offset = int(vote >> 20), int(vote & ((1 << 20) - 1)) - (1 << 19)
            key = self._keys[track]
            if key == exclude or key in matches:
                continue
            found = self._confirm(key, self._hashes[track], query, offset)
            if found:
                matches[key] = found
            if len(matches) >= _CANDIDATES:
                break
        return sorted(matches.values(), key=lambda match: match.bit_error_rate)

    @staticmethod
    def _confirm(key: str, library: np.ndarray, query: np.ndarray, offset: int) -> FingerprintMatch | None:
        # The vote is only as precise as the frames either side of it: try those too.
        best = min(((bit_error_rate(*_aligned(library, query, shift)), shift)
                    for shift in (offset - 1, offset, offset + 1)), key=lambda pair: pair[0])
        overlap = len(_aligned(library, query, best[1])[0])
        if best[0] > MATCH_BER or overlap < MIN_OVERLAP_S * FRAMES_PER_S:
            return None
        return FingerprintMatch(key, round(best[0], 4), round(best[1] / FRAMES_PER_S, 2),
                                round(overlap / FRAMES_PER_S, 1))
