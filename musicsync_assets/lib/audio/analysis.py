"""BPM, key, Camelot, loudness: everything musicsync knows about how a track sounds.

One entry point, `analyze_pcm`, serves the pipeline and `musicsync analyze` alike. It works on the
decoded PCM the pipeline already holds, so a track is decoded once, and it is built for speed:
a mel onset envelope for tempo (autocorrelation with harmonic support, refined to a fraction of a
frame; the bass band's and the harmony's onsets when there are no drums), and for key a
third-of-a-semitone pitch spectrum from one STFT at a low sample rate, its tuning read before it is
folded into harmonic-weighted chroma, triads and cadences, scored by key profiles fitted on
labelled music (key_weights.py, benchmarks/key_model.py). It imports nothing heavier than numpy,
scipy.fft, soxr and soundfile, so `musicsync analyze` on one file starts fast.
"""

import contextlib
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from musicsync_assets.lib.audio.key_weights import KEY_WEIGHTS
from musicsync_assets.lib.audio.musickeys import ALL_KEYS, MusicalKey

ANALYZER_VERSION = "2.28"
TEMPO_SR = 22050
TEMPO_HOP = 256
CHROMA_HOP = 4096  # with an 8192-point FFT at TEMPO_SR: 2.7 Hz bins, a semitone apart from 50 Hz up
BLOCK_S = 10
HEAD_S = 120  # seconds kept as samples, to pin the first beat to its attack
_POWER_FLOOR = 1e-10  # librosa's amin; its top_db clip would need the whole track's maximum first
SILENCE_DBFS = -60.0
N_MELS = 64
TREBLE_HZ = 5000.0
SNARE_HZ = 1800.0  # from here to TREBLE_HZ: a snare's or clap's noise, and little of a bass note's harmonics
TATUM_SHARE = 0.2
TATUM_FLOOR = 0.15  # peaks rising less above the autocorrelation's background are texture, not a pulse
STRONGEST_TIE = 0.9  # autocorrelation peaks this near the highest are as strong (_tatum_lag)
TATUM_SURE = 0.3  # a sub-beat pulse rising less than this above the background leaves the octave in doubt
LOW_END_SHARE = 1 / 3  # the low end pulsing at the doubled beat less than this share of the beat: not doubled
LOW_END_FLOOR = 0.3  # ... provided its pulse at the beat rises this far above its background
KICK_BAR_SHARE = 0.6  # kicks repeating every four beats less than this share of every eight: half-beats
# Kicks repeating every four beats this share of every eight or more, and every two beats under
# KICK_BAR_SHARE of every four: those beats' bars hold the groove, so a low end pulsing at the
# slower beat is half-time, not the beat (_half_time_bar).
HALF_TIME_KICKS = 0.8
KICKS_REPEAT = 0.3  # ... provided they repeat every eight beats this far above their background
# Kicks repeating every two beats (this far above their background) and hardly every beat, with the
# snare's phase holding under nine tenths of the kicks of the phase half a beat away: the beats are
# half-bars. Over 1320 drummed tracks no slower groove came near (1.2 times as many or more).
HALF_BAR_KICKS, HALF_BAR_SHARE, BACKBEAT_KICKS = 0.4, 0.8, 0.9
NO_TEMPO_BELOW = 0.15  # below this a tempo is a guess: report none (noise, speech, free time) ...
# ... unless, from this confidence up, the sound is clearly pitched (PITCH_CLARITY: noise and speech
# are not) and at least two of its thirds find the same pulse on their own (all three where no other
# envelope agrees): bowed strings and legato voices mark their beats softly, but keep them, where
# chords in free time find a chance period in the whole that its thirds do not share.
QUIET_PULSE_FROM, QUIET_PULSE_THIRDS = 0.08, 2
# A beat phase scoring this share of the strongest one (onset energy and bar fit) is a near tie,
# settled by where the music begins. 0.8 left ten grids of 1427 half a beat off, in grooves whose
# kicks or bass fall off the beat as often as on it; at 0.7 two, and no grid moved off the beat.
PHASE_RIVAL = 0.7
# Where the music begins, for that tie: its first attack, a 5 ms frame within 20 dB of the loudest
# and this many times the quietest of the 50 ms before. Over 1617 drummed tracks (the broad set and
# the independent set's first batch) it left 3 grids off the beat where the first sound left 9;
# 1.5 left 5, 2.5 left 4, 26 dB as many as 20.
ATTACK_RISE = 2.0
# ... unless the kicks on the strongest phase fall on this share of the beats of the eight bars
# from the first of them: four to the floor is its own grid, whatever starts the track (hats
# between the beats of a kickless intro, often). Of 97 seen tracks where the tie moved the grid, 8
# moved it wrongly, 5 of them with a kick on every such beat; the 89 moved rightly had 78% or fewer.
FOUR_ON_THE_FLOOR = 0.9
# ... and after a kickless intro this many bars long or longer (four, its first sound up to two
# beats late), the tie goes to the first kick (the first frame of the kicks' onsets at
# FIRST_KICK_SHARE of their loudest) rather than the first attack: an intro's first sound may fall
# anywhere, the drop lands on a downbeat. On 2031 drummed tracks read by then, grids off the beat
# 13 -> 6, the broad set's unchanged; 3.5 to 6 bars and 0.1 to 0.3 alike, but 2 or 3 bars put
# one or two broad-set grids off, and at 0.5 a weak first kick was missed for the next one.
KICKLESS_INTRO_BARS, FIRST_KICK_SHARE = 3.5, 0.2
# A half-time backbeat (_bar_fit) counts in a bar whose 1 holds this share of its strongest kick:
# trap's, under the 808 ringing on from the bar before, held 0.66-1.0; 0.4 to 0.6 alike.
HALF_TIME_DOWNBEAT = 0.5
BAR_FIT_WEIGHT = 0.5  # the bar's fit (_bar_fit) beside the beat's onset energy, each scaled to its best
DRUMLESS_BELOW = 0.5  # a drum-led estimate less confident than this is checked against the harmony's
ANCHOR_WITHIN_S = 20.0  # the grid is timed on a kick this close to its first beat: the tempo's error (0.02%,
# 0.03% for one track in a hundred on the broad set) then moves the first beat by 4-6 ms
# A beat spans one, two, four or eight of the hats' pulses. A strongest period of any of these many
# is made by the groove, not the beat: a dotted one (1.5, 3, 6, 12), or the two and a half beats
# between a breakbeat's kicks on 1 and the "and" of 3 (5, and 2.5 and 10), which read 174 as 139.5.
DOTTED_TATUMS = (1.5, 2.5, 3, 5, 6, 10, 12)
DOTTED_RIVAL = 0.65  # a beat of a whole number of the hats' pulses wins over a dotted one this strong ...
KICKS_DECIDE = 0.5  # ... unless the kicks pulse this much more at the dotted one (or at its double)
SLOWEST_PULSE_BPM = 45.0  # the harmony and bass are searched for a pulse this slow, then doubled into range
_BASS_BINS, _HARMONIC_BINS = 11, 234  # onset-spectrum bins up to 215 Hz, and 43 Hz to 5 kHz
_BASS_HZ = (np.arange(1, _BASS_BINS) * TEMPO_SR / 1024).astype(np.float32)  # those bins' frequencies
KICK_DROP_HZ = 40.0  # a kick's pitch falls this far within 35 ms of its attack; a bass note's holds

# What the key is read from, each folded to 12 pitch classes or chord roots (key_evidence); the
# weights that score each of the 24 keys from them are fitted by benchmarks/key_model.py.
KEY_EVIDENCE = ("pitch classes", "bass", "major triads", "minor triads", "arrivals a fifth down",
                "opening bass", "closing bass")
OPENING_S = 1.0  # the opening (closing) bass: the first (last) second at a tenth of the music's typical level
_CHORD_FRAMES = 3  # chroma frames (0.56 s) summed to read a chord
# A stretch holds a chord when it correlates at least _CHORD_FIT with its best triad (a lone note
# fits every triad it is in at 0.52) and at least _CHORD_MARGIN more than with the next (a bare fifth
# fits its major and minor triad alike, and says neither).
_CHORD_FIT, _CHORD_MARGIN = 0.6, 0.05
# ... and when each of its three tones has at least this share of the stretch's strongest pitch class:
# a bright single note's fifth harmonic is a faint major third, not a chord.
_CHORD_TONES = 0.3
# Pitch classes varying less than this around their mean (std / mean) are noise or speech (0.08-0.10
# measured), more than the upper bound clearly pitched (music: 0.19-0.9); the key's confidence scales between.
PITCH_CLARITY = (0.1, 0.18)
ENOUGH_MUSIC_S = 10.0  # less pitched sound than this is less evidence: the key's confidence scales with it
# Clarity (PITCH_CLARITY's scale) below which there is no key: white, pink and brown noise read
# 0-0.06; of the 4885 labelled tracks read so far, one (a trap track's Andalusian cadence) 0.38,
# the rest 1.0.
KEYLESS_BELOW = 0.2
# The relative key's tonic triad holding this share of the chosen one's time (from the lower bound up
# to the upper) makes the two indistinguishable by their chords: see estimate_key.
RELATIVE_TRIADS = (0.85, 0.95)
# Stretches read on their own, to see whether they agree on the key (a modulation does not); 12 s
# held too few chords, and a loop's stretches disagreed as much as a modulated track's.
KEY_SEGMENT_S = 20.0
# Below C2 a semitone spans under 1.4 FFT bins, too few to tell one pitch class from the next, and a
# kick's body sits there at a pitch of its own (a 42 Hz kick is an E, a 55 Hz one an A). Its attack
# and tail still fill C2 to D#2: averaged over 2275 drummed tracks in every key, the bass's C to D#
# stood half a standard deviation above its other pitch classes, a pull towards keys on C. So the
# key is read from E2 up. The tuning, from C3 up, where each third of a semitone gets an FFT bin.
KEY_FROM, TUNING_FROM = 40, 48  # MIDI


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


# The DJ range half and double time are folded into (MusicLibrary.bpm_min/bpm_max).
DEFAULT_BPM_RANGE = (70.0, 180.0)

def analyze_pcm(pcm: np.ndarray, sample_rate: int, bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE) -> Analysis:
    """Analyses int16 PCM of shape (frames, channels)."""
    analyzer = Analyzer(sample_rate, pcm.shape[1], bpm_range)
    block = BLOCK_S * sample_rate
    for start in range(0, len(pcm), block):
        analyzer.feed(pcm[start:start + block])
    return analyzer.result()


def analyze_file(path: Path, bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE) -> Analysis:
    """Decodes a file and analyses it a block at a time: a two-hour mix needs no more memory than
    a three-minute track. FLAC, WAV, AIFF, MP3 and Ogg Vorbis are read in-process
    (libsndfile, which librosa brings): starting ffmpeg twice per file cost more CPU than analysing
    a 30-second track, and ffmpeg decodes an MP3 or Vorbis file with three times the CPU (both take
    the encoder's delay off). Everything else (M4A, WebM, Opus, which ffmpeg decodes a little
    faster), and any file libsndfile stumbles on, goes through ffmpeg as the pipeline decodes it,
    whose errors say what is wrong with the file; at the file's own sample rate, since the analysis
    resamples anyway."""
    in_process = _analyze_with_libsndfile(path, bpm_range)
    if in_process is not None:
        return in_process
    from musicsync_assets.lib.audio import codec

    probe = codec.probe(path)
    analyzer = Analyzer(probe.sample_rate, 2, bpm_range)
    for block in codec.stream(path, probe.sample_rate, 2, BLOCK_S, probe.duration_s):
        analyzer.feed(block)
    return analyzer.result()


_LIBSNDFILE_FORMATS = frozenset({"FLAC", "WAV", "WAVEX", "AIFF", "W64", "RF64", "MP3", "OGG"})
# These decode to floating point, which a loud master takes past full scale: read as floats and
# clipped, since libsndfile wraps such samples round when asked for 16-bit integers.
_FLOAT_DECODED = frozenset({"MP3", "OGG"})


def _analyze_with_libsndfile(path: Path, bpm_range: tuple[float, float]) -> Analysis | None:
    """The analysis of a file libsndfile decodes (_LIBSNDFILE_FORMATS) in-process, or None to leave
    it to ffmpeg."""
    try:
        import soundfile
    except ImportError:
        return None
    try:
        with _decoder_messages_hidden(), soundfile.SoundFile(str(path)) as audio:
            if (audio.format not in _LIBSNDFILE_FORMATS or audio.subtype == "OPUS" or audio.channels > 2
                    or not audio.frames or (audio.format not in _FLOAT_DECODED
                                            and _shorter_than_declared(path, audio.frames / audio.samplerate))):
                return None
            as_floats = audio.format in _FLOAT_DECODED
            analyzer = Analyzer(audio.samplerate, 2, bpm_range)  # mono as dual mono, as ffmpeg's -ac 2
            decoded = 0
            dtype = "float32" if as_floats else "int16"
            while len(block := audio.read(BLOCK_S * audio.samplerate, dtype=dtype, always_2d=True)):
                if as_floats:
                    block = np.clip(block * 32768, -32768, 32767).astype(np.int16)
                analyzer.feed(block if block.shape[1] == 2 else np.repeat(block, 2, axis=1))
                decoded += len(block)
            if decoded < 0.97 * audio.frames:
                return None
    except (RuntimeError, OSError, ValueError):  # soundfile.LibsndfileError is a RuntimeError
        return None
    return analyzer.result()


def _shorter_than_declared(path: Path, seconds: float) -> bool:
    """Whether the file holds less audio than its header promises: libsndfile reads a truncated WAV
    to its end without a word, where ffmpeg's decode (codec.stream) says it is truncated. Only for
    headers that count their samples (WAV, AIFF, FLAC): an MP3's or Vorbis file's length is
    mutagen's estimate, which a VBR file without a length header can miss by more than 3%."""
    from musicsync_assets.lib.audio.codec import declared_length

    declared = declared_length(path)
    return bool(declared) and seconds < 0.97 * declared


@contextlib.contextmanager
def _decoder_messages_hidden():
    """libsndfile's MP3 decoder (libmpg123) writes what it finds wrong with a damaged file straight
    to the process's stderr, beside musicsync's own one line about it (from ffmpeg, which such a
    file falls back to): that stderr goes to /dev/null meanwhile."""
    sys.stderr.flush()
    kept = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(kept, 2)
        os.close(kept)


class Analyzer:
    """Takes PCM a block at a time and keeps only what the estimates need: onset envelopes by band,
    the low end's power and pitch, chroma frames, the energy of every 100 ms and the first minutes of samples (for the beat
    grid). Everything works at TEMPO_SR: nothing a beat, a key or a loudness reading needs lies
    above 11 kHz, and it halves the work."""

    def __init__(self, sample_rate: int, channels: int, bpm_range: tuple[float, float] = DEFAULT_BPM_RANGE):
        import soxr

        self.sample_rate, self.channels, self.bpm_range = sample_rate, channels, bpm_range
        self._resampler = soxr.ResampleStream(sample_rate, TEMPO_SR, channels, dtype="int16")
        self._downmix = np.full(channels, 1 / channels, np.float32)
        self._frames_in = 0
        self._peak = 0
        self._onset_spectra = _Spectrogram(1024, TEMPO_HOP)
        self._previous_db: np.ndarray | None = None
        self._lower: list[np.ndarray] = []
        self._treble: list[np.ndarray] = []
        self._snare: list[np.ndarray] = []
        self._bass: list[np.ndarray] = []
        self._low_power_rise: list[np.ndarray] = []
        self._low_centroid: list[np.ndarray] = []
        self._harmonic: list[np.ndarray] = []
        self._previous_log: np.ndarray | None = None
        self._previous_bass: np.ndarray | None = None
        self._previous_low_power: np.ndarray | None = None
        self._chroma_spectra = _Spectrogram(8192, CHROMA_HOP)
        self._chroma: list[np.ndarray] = []
        self._loudness = _LoudnessMeter(TEMPO_SR, channels)
        self._head: list[np.ndarray] = []
        self._head_samples = 0

    def feed(self, pcm: np.ndarray) -> None:
        """One block of int16 PCM, shape (frames, channels)."""
        if not len(pcm):
            return
        self._frames_in += len(pcm)
        self._peak = max(self._peak, int(pcm.max()), -int(pcm.min()))
        self._consume(self._resampler.resample_chunk(pcm))

    def _consume(self, resampled: np.ndarray) -> None:
        if not len(resampled):
            return
        samples = resampled.astype(np.float32)
        samples *= 1 / 32768
        self._loudness.feed(samples)
        mono = samples @ self._downmix  # a matrix product: far faster than .mean(axis=1)
        if self._head_samples < HEAD_S * TEMPO_SR:
            self._head.append(mono)
            self._head_samples += len(mono)
        self._add_onsets(self._onset_spectra.feed(mono))
        self._add_chroma(self._chroma_spectra.feed(mono))

    def _add_onsets(self, power: np.ndarray) -> None:
        """Spectral flux on a mel scale, below TREBLE_HZ (kicks, snares, bass, chords), above it,
        where hi-hats and rides mark the subdivisions even when they are quiet, and from SNARE_HZ
        to TREBLE_HZ (snares and claps, for the beat grid); and the low end's power and centroid,
        which tell a kick (its pitch falls) from a bass note."""
        if not len(power):
            return
        filters, snare, split = _mel_filters()
        db = 10 * np.log10(np.maximum(power @ filters.T, _POWER_FLOOR))
        previous = db[:1] if self._previous_db is None else self._previous_db
        flux = np.maximum(0.0, np.diff(db, axis=0, prepend=previous))
        self._previous_db = db[-1:]
        self._lower.append(flux[:, :split].mean(axis=1))
        self._treble.append(flux[:, split:].mean(axis=1))
        self._snare.append(flux[:, snare:split].mean(axis=1))
        # Without drums the pulse is in the bass notes and the chord changes, which the mean over
        # 64 bands dilutes: the bass band's level alone (20-215 Hz), and SuperFlux (Boeck & Widmer
        # 2013: new partials against the frame before last, widened by a bin, so a held note's
        # vibrato or a pad's swell is not a new onset) on 43 Hz - 5 kHz.
        low_power = power[:, 1:_BASS_BINS].sum(axis=1)
        bass_db = 10 * np.log10(np.maximum(low_power, _POWER_FLOOR))
        previous_bass = bass_db[:1] if self._previous_bass is None else self._previous_bass
        self._bass.append(np.maximum(0.0, np.diff(bass_db, prepend=previous_bass)))
        self._previous_bass = bass_db[-1:]
        previous_low_power = low_power[:1] if self._previous_low_power is None else self._previous_low_power
        self._low_power_rise.append(np.maximum(0.0, np.diff(low_power, prepend=previous_low_power)))
        self._previous_low_power = low_power[-1:]
        self._low_centroid.append(power[:, 1:_BASS_BINS] @ _BASS_HZ / np.maximum(low_power, _POWER_FLOOR))
        log = np.log1p(1000 * power[:, 2:_HARMONIC_BINS])
        widened = np.maximum(np.maximum(log[:, :-2], log[:, 2:]), log[:, 1:-1])
        previous = np.repeat(widened[:1], 2, axis=0) if self._previous_log is None else self._previous_log
        history = np.concatenate([previous, widened])
        self._harmonic.append(np.maximum(0.0, log[:, 1:-1] - history[: len(log)]).mean(axis=1))
        self._previous_log = history[-2:]

    def _add_chroma(self, power: np.ndarray) -> None:
        if len(power):
            self._chroma.append((power[:, :_PITCH_BINS] @ _pitch_filters().T).astype(np.float32))

    def pitch_spectrum(self) -> np.ndarray:
        """The pitch spectrum (3 bins a semitone, MIDI 24 up) of every chroma frame: what the key
        is estimated from, for benchmarks/key_model.py."""
        return np.concatenate(self._chroma) if self._chroma else np.zeros((0, _N_PITCH))

    def result(self) -> Analysis:
        self._consume(self._resampler.resample_chunk(np.zeros((0, self.channels), np.int16), last=True))
        self._add_onsets(self._onset_spectra.flush())
        self._add_chroma(self._chroma_spectra.flush())
        duration = self._frames_in / self.sample_rate
        peak_dbfs = float(20 * np.log10(self._peak / 32768.0)) if self._peak else None
        if peak_dbfs is None or peak_dbfs < SILENCE_DBFS:
            return Analysis(None, 0.0, None, 0.0, duration, None, peak_dbfs)
        fps = TEMPO_SR / TEMPO_HOP
        envelope, treble = np.concatenate(self._lower), np.concatenate(self._treble)
        bass = np.concatenate(self._bass)
        # The kicks: the rise in power below 215 Hz, not in decibels (a bass note between the kicks
        # rises as many decibels, out of the quiet the kick's decay leaves, but a kick is the most
        # powerful thing down there), counted up to three times as much where the pitch falls.
        kicks = np.concatenate(self._low_power_rise) * (0.5 + _pitch_drop(np.concatenate(self._low_centroid)))
        snares = np.concatenate(self._snare)
        drums = estimate_tempo(envelope, fps, self.bpm_range, treble, floor=0.0, bass=bass, kicks=kicks)
        bpm, bpm_confidence = drums if drums[1] >= NO_TEMPO_BELOW else (None, drums[1])
        if bpm_confidence < DRUMLESS_BELOW:  # no clear drum pulse: the bass notes' or the harmony's
            harmonic = np.concatenate(self._harmonic)
            candidates = [drums, _drumless_pulse(harmonic, treble, bass, kicks, fps, self.bpm_range),
                          _drumless_pulse(bass, treble, bass, kicks, fps, self.bpm_range)]
            bpm, bpm_confidence = _corroborated_tempo(candidates)
            if bpm_confidence < NO_TEMPO_BELOW:
                bpm, bpm_confidence = self._quiet_pulse(candidates, (bpm, bpm_confidence),
                                                        (harmonic, treble, bass, kicks), fps)
        if bpm and bpm * 2 < self.bpm_range[1] and _half_bars(kicks, snares, 60 * fps / bpm, fps):
            # Whichever envelope found the beat, and however its octave was chosen (a bass on every
            # beat of drum & bass pulses at the slower beat too): the kicks and the snare say its
            # beats are half-bars. An octave in doubt, as when the hats and the low end disagree.
            bpm, bpm_confidence = bpm * 2, bpm_confidence * 0.6
        key, key_confidence = estimate_key(self.pitch_spectrum())
        loudness = self._loudness.integrated()
        intro_s, outro_s = self._loudness.intro_outro()
        return Analysis(
            bpm, bpm_confidence, key, key_confidence, duration, loudness, peak_dbfs,
            beat_offset_s=beat_offset(envelope, fps, bpm, np.concatenate(self._head), TEMPO_SR,
                                      kicks=kicks, snares=snares) if bpm else None,
            intro_s=intro_s, outro_s=outro_s, energy=energy_score(loudness, envelope, fps),
        )

    def _quiet_pulse(self, candidates: list[tuple[float | None, float]],
                     corroborated: tuple[float | None, float], envelopes: tuple[np.ndarray, ...],
                     fps: float) -> tuple[float | None, float]:
        """The tempo of drumless music whose pulse is too weak to trust at once (`corroborated`, from
        _corroborated_tempo, below NO_TEMPO_BELOW) and its confidence, or None with that confidence:
        see QUIET_PULSE_FROM. A harmony or bass estimate no other envelope agrees with, which
        _corroborated_tempo passes over, counts here when it is the strongest and all three thirds
        of the harmony's onsets (`envelopes`: harmony, treble, bass, kicks) find it. A clip under
        12 s has thirds too short to find any pulse in, so it gets none."""
        strongest = max(candidates[1:], key=lambda candidate: candidate[1])
        alone = strongest[1] > corroborated[1] and not any(
            _same_pulse(other[0], strongest[0]) for other in candidates if other is not strongest)
        tempo, confidence = strongest if alone else corroborated
        if not tempo or confidence < QUIET_PULSE_FROM:
            return None, corroborated[1]
        read = key_evidence(self.pitch_spectrum())
        if read is None or read.clarity < 1:
            return None, corroborated[1]
        thirds = zip(*(np.array_split(envelope, 3) for envelope in envelopes))
        held = sum(_same_pulse(_drumless_pulse(*third, fps, self.bpm_range)[0], tempo) for third in thirds)
        if held < (3 if alone else QUIET_PULSE_THIRDS):
            return None, corroborated[1]
        return tempo, confidence


class _Spectrogram:
    """Power spectra of a stream, frame by frame, as a centred STFT with a Hann window gives them."""

    def __init__(self, n_fft: int, hop: int):
        self.n_fft, self.hop = n_fft, hop
        self.window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
        self.pending = np.zeros(n_fft // 2, np.float32)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Power spectra, shape (frames, n_fft // 2 + 1), of every frame these samples complete."""
        from scipy import fft

        data = np.concatenate([self.pending, samples.astype(np.float32, copy=False)])
        count = (len(data) - self.n_fft) // self.hop + 1 if len(data) >= self.n_fft else 0
        self.pending = data[count * self.hop:]
        if not count:
            return np.zeros((0, self.n_fft // 2 + 1), np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(data, self.n_fft)[:: self.hop][:count]
        spectrum = fft.rfft(frames * self.window, axis=1)
        return spectrum.real ** 2 + spectrum.imag ** 2

    def flush(self) -> np.ndarray:
        return self.feed(np.zeros(self.n_fft // 2, np.float32))


class _LoudnessMeter:
    """ITU-R BS.1770 integrated loudness, fed a block at a time: K-weighting (its filter state
    carried across blocks), then the energy of every 100 ms, from which the gated 400 ms blocks
    and the 2-second levels that find the intro and outro are built at the end."""

    def __init__(self, sr: int, channels: int):
        self.step = int(0.1 * sr)
        freqs = np.fft.rfftfreq(self.step, 1 / sr)
        # Parseval per 100 ms segment: a segment's K-weighted energy is its spectrum's power weighted
        # by the filters' power response (each bin but DC and Nyquist stands for two).
        twice = np.full(len(freqs), 2.0)
        twice[0] = 1.0
        if self.step % 2 == 0:
            twice[-1] = 1.0
        self.weights = (_k_weighting_gain(sr, freqs) * twice / self.step).astype(np.float32)
        self.pending = np.zeros((0, channels), np.float32)  # samples of an unfinished segment
        self.energies: list[np.ndarray] = []

    def feed(self, samples: np.ndarray) -> None:
        from scipy import fft

        data = np.concatenate([self.pending, samples.astype(np.float32, copy=False)])
        whole = len(data) // self.step
        self.pending = data[whole * self.step:]
        if not whole:
            return
        segments = data[: whole * self.step].reshape(whole, self.step, -1)
        spectrum = fft.rfft(segments, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2).sum(axis=2)
        self.energies.append((power @ self.weights).astype(np.float64))

    def _segments(self) -> np.ndarray:
        return np.concatenate(self.energies) if self.energies else np.zeros(0)

    def integrated(self) -> float | None:
        segments = self._segments()
        if len(segments) < 4:
            return None
        # 400 ms blocks overlapping by 75% are sums of four consecutive 100 ms segments.
        power = np.convolve(segments, np.ones(4), mode="valid") / (4 * self.step)
        loudness = -0.691 + 10 * np.log10(np.maximum(power, 1e-12))
        gated = power[loudness > -70]
        if not len(gated):
            return None
        relative_gate = -0.691 + 10 * np.log10(gated.mean()) - 10
        final = power[(loudness > -70) & (loudness > relative_gate)]
        return float(-0.691 + 10 * np.log10(final.mean()))

    def intro_outro(self) -> tuple[float, float]:
        """Seconds before the track reaches its body, and after it leaves it.

        The body is where the 2-second loudness is within 6 dB of the track's 75th percentile: a
        beatless or quiet intro, a fade or a breakdown-only outro fall outside it."""
        segments = self._segments()
        count = len(segments) // 20
        if count < 3:
            return 0.0, 0.0
        level = 10 * np.log10(np.maximum(segments[: count * 20].reshape(count, 20).sum(axis=1), 1e-12))
        body = np.flatnonzero(level >= np.percentile(level, 75) - 6)
        return float(body[0] * 2.0), float((count - body[-1] - 1) * 2.0)


def integrated_loudness(samples: np.ndarray, sr: int) -> float | None:
    """BS.1770 integrated loudness in LUFS of float samples, shape (frames, channels)."""
    meter = _LoudnessMeter(sr, samples.shape[1])
    meter.feed(samples)
    return meter.integrated()


def _k_weighting_gain(sr: int, freqs: np.ndarray) -> np.ndarray:
    """The power response |H(f)|^2 of BS.1770's two K-weighting stages at these frequencies."""
    z = np.exp(-1j * 2 * np.pi * freqs / sr)
    gain = np.ones(len(freqs))
    for section in _k_weighting(sr):
        b, a = section[:3], section[3:]
        gain *= np.abs((b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)) ** 2
    return gain


def _k_weighting(sr: int) -> np.ndarray:
    """BS.1770's two stages as second-order sections designed for this sample rate: a high shelf
    (+4 dB above ~1.5 kHz), then the RLB high-pass at 38 Hz."""
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
    return np.vstack([np.r_[shelf_b, shelf_a] / shelf_a[0], np.r_[high_b, high_a] / high_a[0]])


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, float)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    return np.where(log_part, 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, float)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


@functools.cache
def _mel_filters() -> tuple[np.ndarray, int, int]:
    """The mel filter bank of the onset spectra (Slaney-normalised triangles, as librosa builds them,
    without importing librosa: its import costs a second), and the first bands above SNARE_HZ and
    TREBLE_HZ."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(TEMPO_SR / 2), N_MELS + 2))
    freqs = np.linspace(0, TEMPO_SR / 2, 1 + 1024 // 2)
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    filters = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    centres = edges[1:-1]
    return (filters.astype(np.float32), int(np.searchsorted(centres, SNARE_HZ)),
            int(np.searchsorted(centres, TREBLE_HZ)))


_LOWEST_PITCH, _N_PITCH, _BASS_TOP = 24, 3 * 73, 52  # C1 to C7, 3 bins a semitone; the bass up to E3
_PITCH_BINS = 1700  # FFT bins up to ~4.6 kHz: above C7's neighbourhood nothing is read


@functools.cache
def _pitch_filters() -> np.ndarray:
    """(pitch bins, FFT bins): triangular weights putting each FFT bin's power on the two nearest
    third-of-a-semitone pitch bins (MIDI 24 = C1 at bin 0). Fine enough to read the tuning."""
    freqs = np.arange(_PITCH_BINS) * TEMPO_SR / 8192
    position = np.full(_PITCH_BINS, -10.0)
    position[1:] = 3 * (12 * np.log2(freqs[1:] / 440.0) + 69 - _LOWEST_PITCH)
    filters = np.zeros((_N_PITCH, _PITCH_BINS), np.float32)
    lower = np.floor(position).astype(int)
    share = position - lower
    for offset, weight in ((0, 1 - share), (1, share)):
        index = lower + offset
        inside = (index >= 0) & (index < _N_PITCH)
        filters[index[inside], np.flatnonzero(inside)] = weight[inside]
    return filters


def estimate_tempo(envelope: np.ndarray, fps: float, bpm_range: tuple[float, float],
                   treble: np.ndarray | None = None, floor: float = NO_TEMPO_BELOW,
                   bass: np.ndarray | None = None, slowest: float | None = None,
                   kicks: np.ndarray | None = None) -> tuple[float | None, float]:
    """Tempo in BPM and a confidence in [0, 1]; (None, 0) when there is no steady pulse.

    `treble`, the onset envelope of the highest band, `bass`, the kick and bass band's, and
    `kicks` (the kicks' onsets) help choose between half and double tempo; `kicks` also between a
    dotted period and a whole beat (_undotted). `slowest` (default: the range's low end) widens the
    search to slower pulses, reported doubled into the range: a hymn at 62 BPM changes chord every
    beat, and that pulse is far clearer than the passing eighths at 124."""
    if len(envelope) < fps * 4:
        return None, 0.0
    autocorr = _autocorrelation(envelope)
    if autocorr is None:
        return None, 0.0

    lo, hi = bpm_range
    min_lag = int(np.floor(60 * fps / (hi * 1.02)))
    max_lag = min(int(np.ceil(60 * fps / (min(lo, slowest or lo) * 0.98))), len(autocorr) // 3)
    if max_lag <= min_lag + 2:
        return None, 0.0
    lags = np.arange(min_lag, max_lag + 1)

    def at(multiple: float) -> np.ndarray:
        # A frame's rounding error grows with the multiple, so look for the peak within it.
        reach = _running_max(autocorr, int(multiple)) if multiple > 1 else autocorr
        return reach[np.clip(np.round(lags * multiple).astype(int), 0, len(autocorr) - 1)]

    # A true beat period repeats at 2x and 4x its lag and is subdivided at half of it; a dotted
    # (3/2) or syncopated period rarely has all of these.
    support = at(1) + 0.5 * at(2) + 0.25 * at(4) + 0.5 * at(0.5)
    best = int(lags[np.argmax(support)])
    treble_autocorr = _autocorrelation(treble) if treble is not None else None
    tatum, rise = _tatum_lag(treble_autocorr, fps) if treble_autocorr is not None else (None, 0.0)
    if tatum is None:
        tatum, rise = _tatum_lag(autocorr, fps)
    if tatum and any(abs(best / tatum / dotted - 1) <= 0.05 for dotted in DOTTED_TATUMS):
        best = _undotted(best, tatum, support, lags, kicks)
    period = _refine_period(autocorr, best)
    bpm = 60 * fps / period
    while bpm < lo:
        bpm *= 2
    while bpm >= hi:
        bpm /= 2
    in_range = [c for c in (bpm, bpm * 2, bpm / 2) if lo <= c < hi]
    octave_evidence = 1.0 if len(in_range) == 1 else 0.6
    if tatum:
        # Most grooves split the beat in two (eighth-note hats): the octave whose beat spans two
        # tatums is the one a DJ counts. Drum & bass read at half tempo would span four.
        def misfit(candidate: float) -> float:
            return abs(np.log2(60 * fps / candidate / tatum) - 1)

        bpm = min(in_range, key=lambda c: (misfit(c), c != bpm))
        # A faint pulse (an FM kit's hats, or a kick a sixteenth before a hat) may or may not be the
        # subdivision: the octave it picks is then a likely reading, not a certain one.
        octave_evidence = max(octave_evidence, 1.0 if misfit(bpm) < 0.2 and rise >= TATUM_SURE else 0.6)
    if bpm / 2 >= lo:
        # Sixteenth hats at hip-hop tempo split the beat in four, so the hats alone would double it;
        # when the kick and bass pulse at the slower beat and not at the doubled one, the slower
        # beat is the one a DJ counts. A bass off the beat or rolling pulses at the doubled beat
        # too; then the kicks tell: a groove repeats its kicks every bar, so kicks that repeat every
        # eight beats and hardly every four make those beats half-beats. The hats and the drums
        # disagreeing is an octave in doubt: the confidence says so.
        # Not when the slower beat would span eight sure hat pulses: trap's sixteenth hats at 140
        # would be thirty-seconds at 70, which no groove keeps up.
        beat = 60 * fps / bpm
        eight_pulses = bool(tatum) and rise >= TATUM_SURE and 2 * beat / tatum >= 7
        if not eight_pulses and (
                (bass is not None and _pulses_without_half(bass, 2 * beat, fps, LOW_END_SHARE)
                 and not (kicks is not None and _half_time_bar(kicks, beat, fps)))
                or (kicks is not None and _pulses_without_half(kicks, 8 * beat, fps, KICK_BAR_SHARE))):
            bpm, octave_evidence = bpm / 2, 0.6

    background = float(np.median(autocorr[lags]))
    clarity = float(np.clip((autocorr[best] - background) / (1.0 - background + 1e-9) * 1.6, 0.0, 1.0))
    # A pulse found below the range (`slowest`) is reported doubled into it, where only passing
    # notes may mark it: its steadiness is read where it was found.
    steady_at = period if slowest and 60 * fps / period < lo else 60 * fps / bpm
    confidence = clarity * octave_evidence * _steadiness(envelope, steady_at)
    if confidence < floor:
        return None, confidence
    return float(bpm), confidence


def _undotted(best: int, tatum: int, support: np.ndarray, lags: np.ndarray, kicks: np.ndarray | None) -> int:
    """The beat period in place of `best`, which spans 1.5, 3, 6 or 12 of the hats' pulses: a dotted
    beat, as a bass line on every third sixteenth makes, read as 4/3 or 2/3 of the tempo. A beat
    holds one, two, four or eight pulses, so the best supported such period wins unless it is far
    weaker (DOTTED_RIVAL), or the kicks clearly pulse at `best` and not at it (KICKS_DECIDE): a
    shuffle's kicks on every beat under triplet hats keep their beat of three pulses."""
    whole_beats = []
    for count in (1, 2, 4, 8):  # the peak of support within the pulse's rounding error, times `count`
        near = lags[np.abs(lags - tatum * count) <= 0.5 * count + 1]
        if near.size:
            whole_beats.append(int(near[np.argmax(support[near - lags[0]])]))
    if not whole_beats:
        return best
    def supported(lag: int) -> float:
        return float(support[lag - lags[0]])

    rival = max(whole_beats, key=supported)
    if supported(rival) < DOTTED_RIVAL * supported(best):
        return best
    kick_autocorr = _autocorrelation(kicks) if kicks is not None else None
    if kick_autocorr is not None:
        peaks = _running_max(kick_autocorr, 1)  # a kick's onset spans a frame or two

        def kick_pulse(lag: int) -> float:  # kicks on 1 and 3 only show at twice the beat
            return float(max(peaks[lag], peaks[min(2 * lag, len(peaks) - 1)]))

        if kick_pulse(best) - kick_pulse(rival) >= KICKS_DECIDE:
            return best
    return rival


def _pulses_without_half(envelope: np.ndarray, slow_lag: float, fps: float, share: float,
                         floor: float = LOW_END_FLOOR) -> bool:
    """Whether `envelope` pulses at `slow_lag` (frames), at least `floor`, but at half of it less
    than `share` as much: its autocorrelation peak near each lag, above the background (the median
    over 0.1-2 s)."""
    pulses = _pulses(envelope, (slow_lag, slow_lag / 2), fps)
    return pulses is not None and pulses[0] >= floor and pulses[1] < share * pulses[0]


def _half_time_bar(kicks: np.ndarray, beat: float, fps: float) -> bool:
    """Whether the kicks repeat every four beats of `beat` frames nearly as much as every eight
    (HALF_TIME_KICKS) but hardly every two (KICK_BAR_SHARE): a bar of these beats holds the
    groove, and its kicks do not fall on every other beat (four to the floor at half the tempo)."""
    pulses = _pulses(kicks, (8 * beat, 4 * beat, 2 * beat), fps)
    if pulses is None:
        return False
    eight, four, two = pulses
    # Kicks that hardly repeat at all are no groove to go by: the low end's pulse decides, as before.
    return eight >= KICKS_REPEAT and four >= HALF_TIME_KICKS * eight and two < KICK_BAR_SHARE * four


def _pulses(envelope: np.ndarray, lags: tuple[float, ...], fps: float) -> tuple[float, ...] | None:
    """How far `envelope`'s autocorrelation peaks near each lag (frames) rise above its background
    (the median over 0.1-2 s); None when the envelope is too short for the longest lag."""
    autocorr = _autocorrelation(envelope)
    if autocorr is None or max(lags) + 3 >= len(autocorr):
        return None
    background = float(np.median(autocorr[int(0.1 * fps):int(2 * fps)]))
    return tuple(float(autocorr[max(round(lag) - 2, 0):round(lag) + 3].max()) - background for lag in lags)


def _half_bars(kicks: np.ndarray, snares: np.ndarray, beat: float, fps: float) -> bool:
    """Whether beats of `beat` frames are half-bars of a groove twice as fast: the kicks repeat
    every two beats and hardly every beat, and the snare band's strongest phase lies between them,
    holding under nine tenths of the kicks of the phase half a beat away. Drum & bass read at half tempo
    (kicks on 1 and the "and" of 3, the snare on 2 and 4, a ride on the beat) has its snare on
    the slower reading's off-beats; a backbeat falls on the beat, where hip-hop's kicks fall as
    often as half a beat away, and hip-hop's kicks repeat once a bar, not every two beats."""
    if not _pulses_without_half(kicks, 2 * beat, fps, HALF_BAR_SHARE, floor=HALF_BAR_KICKS):
        return False
    kick_energy, snare_energy = _phase_energy(kicks, beat), _phase_energy(snares, beat)
    snare_phase = int(np.argmax(snare_energy))
    across = (snare_phase + len(snare_energy) // 2) % len(snare_energy)
    # The kicks within a frame (four phases) of each: their energy peaks a phase or two wide, and the
    # snare's strongest phase may lie a frame from the kicks' (an FM snare's attack is slower).
    kicks_near = _running_max(kick_energy, 4, circular=True)
    return bool(kicks_near[snare_phase] < BACKBEAT_KICKS * kicks_near[across])


def _phase_energy(envelope: np.ndarray, beat: float) -> np.ndarray:
    """The mean of `envelope` on a grid of period `beat` (frames), for each phase a quarter frame
    apart from 0 up to a beat."""
    offsets = np.arange(0, beat, 0.25)
    grid = offsets[:, None] + beat * np.arange(int((len(envelope) - 1) / beat) - 1)[None, :]
    return envelope[grid.astype(int)].mean(axis=1)


def _running_max(values: np.ndarray, reach: int, circular: bool = False) -> np.ndarray:
    """The maximum within `reach` either side of each element; `circular` for beat phases, whose
    last wraps round to the first."""
    padded = np.pad(values, reach, mode="wrap" if circular else "edge")
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).max(axis=1)


def _same_pulse(a: float | None, b: float | None) -> bool:
    """Whether two tempi are one pulse: within 4% of each other, or of its double or half."""
    return bool(a and b) and any(abs(a - b * f) <= 0.04 * b * f for f in (1, 2, 0.5))


def _drumless_pulse(onsets: np.ndarray, treble: np.ndarray, bass: np.ndarray, kicks: np.ndarray, fps: float,
                    bpm_range: tuple[float, float]) -> tuple[float | None, float]:
    """estimate_tempo on the harmony's or the bass's onsets, searched down to SLOWEST_PULSE_BPM."""
    return estimate_tempo(onsets, fps, bpm_range, treble, floor=0.0, bass=bass, slowest=SLOWEST_PULSE_BPM,
                          kicks=kicks)


def _corroborated_tempo(candidates: list[tuple[float | None, float]]) -> tuple[float | None, float]:
    """Without a clear drum pulse, the drums' estimate (first) and the harmony's and the bass's.

    The most confident wins, but a harmony or bass estimate that no other envelope agrees with (the
    same tempo within 4%, or its double or half) is not trusted: a single band's flux of brown noise
    can show a chance period. Estimates that agree add half their confidence to the winner's:
    three envelopes finding one pulse in a chorale is more evidence than any one of them. The
    confidence may be too low to trust: see NO_TEMPO_BELOW."""
    usable = [c for c in candidates if c[0]]
    if not usable:
        return None, max((c[1] for c in candidates), default=0.0)
    best = max(usable, key=lambda c: c[1])
    agreeing = [c for c in usable if c is not best and _same_pulse(c[0], best[0])]
    if best is not candidates[0] and not agreeing:
        best, agreeing = candidates[0], [c for c in usable if c is not candidates[0]
                                         and _same_pulse(c[0], candidates[0][0])]
        if best[0] is None:
            return None, best[1]
    confidence = float(min(1.0, best[1] + 0.5 * sum(c[1] for c in agreeing)))
    return best[0], confidence


def _steadiness(envelope: np.ndarray, period: float) -> float:
    """1 when both halves of the track keep the same beat period, falling to 0.3 as they drift
    4% apart (a tempo change, a live drummer, a DJ mix)."""
    halves = []
    for half in np.array_split(envelope, 2):
        autocorr = _autocorrelation(half)
        low, high = int(period * 0.9), int(np.ceil(period * 1.1)) + 1
        if autocorr is None or high + 1 >= len(autocorr):
            return 1.0
        peak = low + int(np.argmax(autocorr[low:high]))
        halves.append(_refine_period(autocorr[: 2 * high], peak) if peak > low else float(peak))
    drift = abs(halves[0] - halves[1]) / period
    return float(np.clip(1 - drift / 0.04 * 0.7, 0.3, 1.0))


def beat_offset(envelope: np.ndarray, fps: float, bpm: float, y: np.ndarray, sr: int,
                kicks: np.ndarray | None = None, snares: np.ndarray | None = None) -> float:
    """Seconds to the first beat of the grid: the beat phase with the most kick and snare onsets
    (_drum_envelope) and on which a bar best fits a backbeat groove (_bar_fit), the two scaled to
    their best and added, BAR_FIT_WEIGHT to 1; placed at the first beat where the music has
    begun, and timed by the attack, in the waveform, of the first kick on that phase (a frame of
    the onset envelope sees an attack up to half a window early). Which bar position is the
    downbeat is not decided. `envelope` is the onset envelope below TREBLE_HZ, `kicks` and
    `snares` the low end's and the snare band's
    (without them, `envelope` stands for both); `y` may hold only the first minutes of the track.

    When another phase has nearly as much energy (PHASE_RIVAL), the one nearer the music's first
    attack (_first_attack) wins: a boom-bap kick half a beat after the beat, with hi-hats and a
    bass line on every eighth, can outweigh the beat itself by chance, while a track (a DJ's tool
    above all) starts on a beat. Its first attack, not its first sound: a reversed cymbal swelling
    into beat 1, or a vinyl crackle before it, is heard first but off the beat; after a kickless
    intro (KICKLESS_INTRO_BARS), the first kick. Kicks on every beat of the strongest phase
    (FOUR_ON_THE_FLOOR) settle it alone. A track opening with a pickup still gets the stronger
    phase unless it is a near tie, and its grid starts on the first beat after the pickup, not on
    the silent beat before it."""
    beat = 60 * fps / bpm
    usable = len(envelope) - 1
    if usable <= 4 * beat:
        return 0.0

    kicks = envelope if kicks is None else kicks
    snares = envelope if snares is None else snares
    energy = _phase_energy(_drum_envelope(kicks, snares), beat)
    energy = energy / max(float(energy.max()), 1e-12)
    if usable > 12 * beat:  # three bars or more
        bar = _bar_fit(kicks, snares, beat)
        energy = energy + BAR_FIT_WEIGHT * bar / max(float(bar.max()), 1e-12)
    offsets = np.arange(len(energy)) * 0.25
    first = float(offsets[np.argmax(energy)])
    # Where the beat starts, to settle a near tie: the first attack (from the waveform: the onset
    # envelope misses one in its first frame), or after a kickless intro the first kick.
    starts = _first_attack(y, sr)
    drop = int(np.argmax(kicks >= FIRST_KICK_SHARE * np.percentile(kicks, 99.5))) / fps
    if starts is not None and drop - starts >= KICKLESS_INTRO_BARS * 4 * beat / fps:
        starts = drop
    if starts is not None and not _four_on_the_floor(kicks, first, beat, usable):
        starts_phase = starts * fps % beat
        rivals = offsets[energy >= PHASE_RIVAL * energy.max()]
        first = float(min(rivals, key=lambda phase: abs((phase - starts_phase + beat / 2) % beat - beat / 2)))
    if first > beat - 3:  # a phase just short of a whole beat is a beat at the very start
        first -= beat
    # Where the music begins: the first audible sample, unless `y` (the first minutes) holds only
    # a silent opening's noise and the onsets start more than a beat later.
    onset = float(np.argmax(envelope > 0.1 * envelope.max()))
    begins = _first_audible(y, sr)
    sounding = begins * fps if begins is not None and begins * fps > onset - beat else onset
    while first < sounding - beat / 4:  # a beat before the music has begun (a pickup's notes are off it)
        first += beat
    # The grid is timed on a kick, whose attack is sharp, not on the first sound, which may be a
    # pad's slow swell: the first beat with at least half the typical kick on this phase, within
    # ANCHOR_WITHIN_S (further on, a tempo a hair off would move the grid back at the start).
    beats, kicked = _kicks_on_beats(kicks, first, beat, usable)
    candidates = np.flatnonzero(kicked & (beats - first <= ANCHOR_WITHIN_S * fps))
    anchor = int(candidates[0]) if candidates.size else 0
    attack = _attack(y, sr, beats[anchor] / fps)
    if attack is None:
        anchor, attack = 0, _attack(y, sr, beats[0] / fps)
    offset = beats[0] / fps if attack is None else attack - anchor * beat / fps
    if offset < -0.005 and anchor <= 1:  # a file cut just after a kick: the grid starts on the next
        offset += beat / fps
    # Stepped back from a kick further in, a few ms before the start is the music's first beat, at 0.
    return float(max(0.0, offset))


def _four_on_the_floor(kicks: np.ndarray, first: float, beat: float, usable: int) -> bool:
    """Whether the kicks fall on phase `first` (it has at least 0.8 of their strongest phase's
    energy: a phase they miss has only their bleed, as even on every beat as a kick) and on
    FOUR_ON_THE_FLOOR of its beats in the eight bars from the first kick there."""
    kick_energy = _phase_energy(kicks, beat)
    if kick_energy[round(first / 0.25) % len(kick_energy)] < 0.8 * kick_energy.max():
        return False
    _, kicked = _kicks_on_beats(kicks, first, beat, usable)
    return bool(kicked[int(np.argmax(kicked)):][:32].mean() >= FOUR_ON_THE_FLOOR)


def _kicks_on_beats(kicks: np.ndarray, first: float, beat: float,
                    usable: int) -> tuple[np.ndarray, np.ndarray]:
    """The beats (frames) from `first` to the end, and which of them have a kick: at least half the
    typical kick on this phase (its 90th percentile: a kick on every beat or on one in four), a
    frame either side."""
    beats = first + beat * np.arange(max(1, int((usable - first) / beat)))
    frames = np.clip(np.round(beats).astype(int)[:, None] + np.arange(-1, 2), 0, usable)
    hits = kicks[frames].max(axis=1)
    return beats, hits >= 0.5 * np.percentile(hits, 90)


def _bar_fit(kicks: np.ndarray, snares: np.ndarray, beat: float) -> np.ndarray:
    """For each beat phase (as _phase_energy): how well a four-beat bar on it fits a backbeat
    groove, at the best of its four places in the bar: the kicks on its first beat, and the snare
    band on 2 and 4 more than on 1 and 3, or, in a bar with a kick on its 1, on 3 more than on
    any other beat (a half-time backbeat: trap, dubstep). An off-beat bass or open hat fills the
    snare band on every off-beat alike, and so cancels out, where it outweighs a snare on every
    other beat in the beat's onset energy; and grooves whose kicks fall off the beat as often as
    on it (drum & bass, garage, trap kicking on the "and" of 2 and 3) still have their downbeat
    kick and backbeat. 0 at the worst phase."""
    kick_bar, snare_bar = _phase_energy(kicks, 4 * beat), _phase_energy(snares, 4 * beat)

    def later(beats: int) -> np.ndarray:
        return np.roll(snare_bar, -round(beats * beat / 0.25))

    downbeat_kick = kick_bar / max(float(kick_bar.max()), 1e-12)
    backbeat = later(1) + later(3) - snare_bar - later(2)
    # Doubled, as the backbeat counts two snares: the one clap on 3 fits as well as two on 2 and 4.
    # Only on a kick: a hat on every beat whose onset frame rounds differently from bar to bar
    # seems louder on one beat than the others, and an intro of off-beat hats would fit it.
    half_time = 2 * (later(2) - np.maximum(snare_bar, np.maximum(later(1), later(3))))
    half_time[downbeat_kick < HALF_TIME_DOWNBEAT] = -np.inf
    fit = downbeat_kick + np.maximum(backbeat, half_time) / max(float(snare_bar.max()), 1e-12)
    per_beat = np.full(len(np.arange(0, beat, 0.25)), -np.inf)
    np.maximum.at(per_beat, np.round(np.arange(len(fit)) * 0.25 % beat / 0.25).astype(int) % len(per_beat), fit)
    return per_beat - per_beat.min()


def _attack(y: np.ndarray, sr: int, estimate: float) -> float | None:
    """Seconds to the attack in `y` near `estimate` (from 30 ms before to 50 ms after): where the
    level first rises half as far above the loudest of the 20 ms before (before the file: silence)
    as it does at most. 20 ms is longer than a bass note's period, so a held note or pad's
    waveform does not look like an attack, and a pickup's snare still ringing as the window opens
    only falls. None outside `y` or without a rise."""
    start, stop = max(0, int((estimate - 0.03) * sr)), min(len(y), int((estimate + 0.05) * sr))
    if start >= stop:
        return None
    reach = max(1, sr // 400)  # the level: the peak within 2.5 ms either side, which leads an attack by as much
    lookback = sr // 50
    first = start - lookback - reach  # the window and the 20 ms before it, silence before the file
    magnitude = np.concatenate([np.zeros(max(0, -first), np.float32), np.abs(y[max(0, first):stop])])
    level = _running_max(magnitude, reach)[lookback + reach:]
    loudest_before = np.lib.stride_tricks.sliding_window_view(magnitude, lookback).max(axis=1)[: len(level)]
    rise = level - loudest_before
    if rise.max() <= 0:
        return None
    return (start + min(int(np.argmax(rise >= 0.5 * rise.max())) + reach, len(level) - 1)) / sr


def _first_attack(y: np.ndarray, sr: int) -> float | None:
    """Seconds to where the music's first attack starts: the first 5 ms frame whose level (RMS) is
    within 20 dB of the loudest frame's and ATTACK_RISE times the quietest frame's of the 50 ms
    before (silence before the file), timed from that quietest frame. A pad or a reversed cymbal
    swelling into the first beat rises too slowly, so the beat's kick is the attack; a crackle's
    click is too brief to come within 20 dB; music starting out of silence, however softly, attacks
    where it starts. None for silence."""
    hop, lookback = sr // 200, 10
    frames = len(y) // hop
    if frames < 2:
        return None
    framed = y[: frames * hop].reshape(frames, hop)
    level = np.sqrt(np.einsum("ij,ij->i", framed, framed) / hop)  # no squared copy of two minutes of samples
    if level.max() <= 0:
        return None
    before = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.zeros(lookback), level]), lookback)
    quietest_before = before[:frames].min(axis=1)
    rising = np.flatnonzero((level >= 0.1 * level.max()) & (level >= ATTACK_RISE * quietest_before))
    if not rising.size:
        return None
    window = before[rising[0]]
    quietest = lookback - 1 - int(np.argmin(window[::-1]))  # the latest, where the rise starts
    return max(0, int(rising[0]) - lookback + quietest + 1) * hop / sr


def _first_audible(y: np.ndarray, sr: int) -> float | None:
    """Seconds to the first sample within 20 dB of the peak, found a second at a time (`y` may be
    two minutes long: an index of every loud sample would cost more memory than the analysis)."""
    if not y.size:
        return None
    threshold = 0.1 * max(float(y.max()), -float(y.min()))
    if threshold <= 0:
        return None
    for start in range(0, len(y), sr):
        loud = np.flatnonzero(np.abs(y[start:start + sr]) >= threshold)
        if loud.size:
            return (start + int(loud[0])) / sr
    return None


def _pitch_drop(centroid: np.ndarray) -> np.ndarray:
    """0 to 1 per frame: how far the low end's spectral centroid falls over the next three frames
    (35 ms), against KICK_DROP_HZ. A kick's body glides down as it decays; a bass note, however
    short and loud, keeps its pitch."""
    padded = np.concatenate([centroid, np.repeat(centroid[-1:], 3)])
    starts = np.maximum(padded[:-3], padded[1:-2])  # this frame or the next: a frame may open mid-attack
    return np.clip((starts - padded[3:]) / KICK_DROP_HZ, 0.0, 1.0)


def _drum_envelope(kicks: np.ndarray, snares: np.ndarray) -> np.ndarray:
    """What the beat grid is phased on: the kicks beside the onsets from SNARE_HZ to TREBLE_HZ,
    where snares and claps are, at equal peaks. The bands between are left out, and the hi-hats
    above: bass notes, chord stabs and open hats fall between the beats as often as on them, while
    a snare marks the beat where the kick does not (a breakbeat's second kick comes half a beat
    late). Equal peaks, not the kick first: on the bass rhythm batch a weight of 1.5 saved one
    grid an open hat pulled off the beat and lost another; the independent set lost two."""
    return kicks / max(float(kicks.max()), 1e-12) + snares / max(float(snares.max()), 1e-12)


def energy_score(loudness_lufs: float | None, envelope: np.ndarray, fps: float) -> int:
    """1 (quiet, sparse) to 10 (loud, busy): integrated loudness and onset density together."""
    density = len(_onset_peaks(envelope, fps)) / max(len(envelope) / fps, 1e-9)
    loud = np.clip(((loudness_lufs if loudness_lufs is not None else -40) + 30) / 24, 0, 1)
    busy = np.clip(density / 6, 0, 1)
    return int(round(1 + 9 * (0.6 * loud + 0.4 * busy)))


def _onset_peaks(envelope: np.ndarray, fps: float) -> list[int]:
    """Onsets as librosa.onset.onset_detect picks them by default: a peak of the normalised
    envelope that is the maximum over the last 30 ms, 0.07 above the mean of +-100 ms, and at
    least 30 ms after the previous one."""
    if len(envelope) < 3 or envelope.max() <= envelope.min():
        return []
    x = (envelope - envelope.min()) / (envelope.max() - envelope.min())
    pre_max, pre_avg, post_avg, wait = int(0.03 * fps), int(0.1 * fps), int(0.1 * fps) + 1, int(0.03 * fps)
    local_max = _running_max_before(x, pre_max)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    index = np.arange(len(x))
    lo, hi = np.maximum(index - pre_avg, 0), np.minimum(index + post_avg, len(x))
    mean = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    candidates = np.flatnonzero((x >= local_max) & (x >= mean + 0.07))
    peaks: list[int] = []
    for n in candidates:
        if not peaks or n > peaks[-1] + wait:
            peaks.append(int(n))
    return peaks


def _running_max_before(values: np.ndarray, reach: int) -> np.ndarray:
    """The maximum over the `reach` elements before each element and the element itself."""
    padded = np.pad(values, (reach, 0), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, reach + 1).max(axis=1)


def _autocorrelation(envelope: np.ndarray) -> np.ndarray | None:
    """Normalised autocorrelation (lag 0 = 1) of a mean-removed envelope; None when it is flat."""
    envelope = envelope - envelope.mean()
    if not np.any(envelope):
        return None
    spectrum = np.fft.rfft(envelope, n=2 * len(envelope))
    autocorr = np.fft.irfft(spectrum * np.conj(spectrum))[: len(envelope)]
    return autocorr / autocorr[0]


def _tatum_lag(autocorr: np.ndarray, fps: float) -> tuple[int | None, float]:
    """The fastest regular pulse (in frames, 0.1-0.6 s) and how far it rises above the background,
    or (None, 0) when there is none: the first autocorrelation peak there
    that divides the strongest one's lag (1, 2, 3 or 4 times) and rises TATUM_SHARE as far above
    the background (the median over those lags) as the strongest does. Measured from the
    background, not from zero: quiet hi-hats (an FM kit's barely register as onsets) still stand
    clear of it at the eighth note, and missing them halves a drum & bass tempo. A peak that does
    not divide the strongest pulse is an interval between two different sounds, not a subdivision."""
    low, high = int(0.1 * fps), min(int(0.6 * fps), len(autocorr) - 1)
    peaks = [lag for lag in range(low + 1, high) if autocorr[lag - 1] <= autocorr[lag] >= autocorr[lag + 1]]
    if not peaks:
        return None, 0.0
    background = float(np.median(autocorr[low:high]))
    # A period between two frames splits its peak over both, so even hats' multiples peak unevenly:
    # at 150 BPM the sixteenths (8.6 frames) peaked highest at five of them (43.06), which no beat
    # divides into. So a peak counts its higher neighbour too, and the shortest of those within
    # STRONGEST_TIE of the highest is the strongest.
    height = {lag: autocorr[lag] + max(autocorr[lag - 1], autocorr[lag + 1]) - 2 * background
              for lag in peaks}
    highest = max(height.values())
    if highest <= 0:
        return None, 0.0
    strongest_lag = next(lag for lag in peaks if height[lag] >= STRONGEST_TIE * highest)
    strongest = autocorr[strongest_lag] - background
    if strongest <= 0:
        return None, 0.0

    def divides(lag: int) -> bool:
        ratio = strongest_lag / lag
        return round(ratio) in (1, 2, 3, 4) and abs(ratio - round(ratio)) <= 0.05 * round(ratio)

    lag = next((lag for lag in peaks if divides(lag)
                and autocorr[lag] - background >= max(TATUM_SHARE * strongest, TATUM_FLOOR)), None)
    return (lag, float(autocorr[lag] - background)) if lag else (None, 0.0)


def _refine_period(autocorr: np.ndarray, lag: int) -> float:
    """Sub-frame beat period: the interpolated peaks at k x lag pin the period down k times finer.
    Each multiple is looked for near the period the one before pinned down, no wider than its
    error: at eight beats a frame's error is eight frames, the span of a sixteenth at 165 BPM, and
    the peak a kick a sixteenth early makes there read trap at 165 as 170."""
    period = float(lag)
    for multiple in (1, 2, 4, 8):
        centre, reach = round(period * multiple), 1 + multiple // 2
        if centre + reach + 1 >= len(autocorr):
            break
        window = range(max(centre - reach, 1), centre + reach + 1)
        peak = max(window, key=lambda i: autocorr[i])
        left, middle, right = autocorr[peak - 1], autocorr[peak], autocorr[peak + 1]
        curvature = left - 2 * middle + right
        offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
        period = (peak + offset) / multiple
    return period


def estimate_tuning(pitch: np.ndarray) -> float:
    """Where the energy sits between the semitones, in bins of the pitch spectrum (a third of a
    semitone; 0.3 = +10 cents): the phase of its semitone-periodic component from TUNING_FROM up."""
    total = pitch.sum(axis=0) if pitch.ndim == 2 else pitch
    first = 3 * (TUNING_FROM - _LOWEST_PITCH)
    phase = np.angle(np.sum(total[first:] * np.exp(-2j * np.pi * np.arange(first, len(total)) / 3)))
    return float(-phase / (2 * np.pi) * 3)


def semitones(pitch: np.ndarray, tuning: float) -> np.ndarray:
    """(frames, 73) semitone spectrum from the third-semitone one, each semitone centred where the
    tuning puts it."""
    count = _N_PITCH // 3
    centres = 3 * np.arange(count) + tuning
    out = np.zeros((len(pitch), count), np.float32)
    for offset, weight in ((-1, 0.5), (0, 1.0), (1, 0.5)):
        position = np.clip(centres + offset, 0, _N_PITCH - 1)
        lower = np.floor(position).astype(int)
        upper = np.minimum(lower + 1, _N_PITCH - 1)
        share = (position - lower).astype(np.float32)
        out += weight * (pitch[:, lower] * (1 - share) + pitch[:, upper] * share)
    return out


class KeyEvidence(NamedTuple):
    rows: np.ndarray  # (len(KEY_EVIDENCE), 12), C first
    clarity: float  # how clearly pitched the sound is, 0 to 1 (PITCH_CLARITY)
    seconds: float  # how much of it sounds at a tenth of its typical level or more
    triads: np.ndarray  # (24,) each triad's energy-weighted time: the 12 major roots, then the 12 minor


def key_evidence(pitch: np.ndarray) -> KeyEvidence | None:
    """Rotation-free evidence for the key, or None with no pitched sound.

    From the tuned, harmonic-weighted pitch spectrum: the pitch classes of the whole track and of
    the bass (E2 to E3); which major and minor triads sound, for how long and how loud; the chord
    changes onto each root from a fifth above (V-I, the cadence); and the bass of the opening
    second and of the closing one (most music starts on its tonic, and ends there). Each is
    centred (mean 0) so the weights read its shape, not its level."""
    if not len(pitch):
        return None
    spectrum = semitones(pitch, estimate_tuning(pitch))
    spectrum[:, : KEY_FROM - _LOWEST_PITCH] = 0.0
    spectrum /= np.maximum(spectrum.max(axis=1, keepdims=True), 1e-20)
    spectrum = np.log1p(10 * spectrum)
    credited = spectrum.copy()  # HPCP-style: a partial also credits the fundamentals it may be a harmonic of
    for interval, weight in ((12, 0.6), (19, 0.36), (24, 0.22)):
        credited[:, :-interval] += weight * spectrum[:, interval:]
    total = credited.sum(axis=0)
    classes = _fold(total)
    if classes.std() <= 1e-6 * (1 + classes.mean()):
        return None
    triads, cadences = _chords(_fold(credited))
    level = pitch.sum(axis=1)
    sounding = level >= 0.1 * np.median(level[level > 0])
    start = int(np.argmax(sounding))
    span = max(1, round(OPENING_S * TEMPO_SR / CHROMA_HOP))
    opening = credited[start:start + span, : _BASS_TOP - _LOWEST_PITCH]
    end = len(sounding) - int(np.argmax(sounding[::-1]))
    closing = credited[max(start, end - span):end, : _BASS_TOP - _LOWEST_PITCH]
    rows = np.stack([_zscore(classes), _zscore(_fold(total[: _BASS_TOP - _LOWEST_PITCH])),
                     _share(triads[:12]), _share(triads[12:]), _share(cadences),
                     _zscore(_fold(opening.sum(axis=0))), _zscore(_fold(closing.sum(axis=0)))])
    low, high = PITCH_CLARITY
    return KeyEvidence(rows, float(np.clip((classes.std() / classes.mean() - low) / (high - low), 0, 1)),
                       float(sounding.sum()) * CHROMA_HOP / TEMPO_SR, triads)


def _chords(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From (frames, 12) chroma: each triad's energy-weighted time (12 major roots, then 12 minor),
    and how often the chord changes onto each root from a fifth above."""
    count = len(frames) - _CHORD_FRAMES + 1
    if count < 1:
        return np.zeros(24), np.zeros(12)
    stretches = sum(frames[i:i + count] for i in range(_CHORD_FRAMES))
    fit = _zscore(stretches) @ _triad_templates().T / 12
    best_two = np.sort(fit, axis=1)[:, -2:]
    chord = fit.argmax(axis=1)
    tones = np.take_along_axis(stretches, _triad_tones()[chord], axis=1)
    held = ((best_two[:, 1] >= _CHORD_FIT) & (best_two[:, 1] - best_two[:, 0] >= _CHORD_MARGIN)
            & (tones.min(axis=1) >= _CHORD_TONES * stretches.max(axis=1)))
    sequence = chord[held]
    triads = np.bincount(sequence, weights=stretches[held].sum(axis=1), minlength=24)
    changes = np.flatnonzero(np.diff(sequence))
    before, after = sequence[changes] % 12, sequence[changes + 1] % 12
    return triads, np.bincount(after[(before - after) % 12 == 7], minlength=12).astype(float)


@functools.cache
def _triad_tones() -> np.ndarray:
    """(24, 3): the pitch classes of the 12 major triads, then the 12 minor ones."""
    return np.array([[(root + step) % 12 for step in quality] for quality in ((0, 4, 7), (0, 3, 7))
                     for root in range(12)])


@functools.cache
def _triad_templates() -> np.ndarray:
    return _zscore(np.array([np.isin(np.arange(12), tones).astype(float) for tones in _triad_tones()]))


def _fold(spectrum: np.ndarray) -> np.ndarray:
    """Semitone spectra (..., 73) from MIDI _LOWEST_PITCH up, summed into 12 pitch classes (C first)."""
    folded = np.zeros(spectrum.shape[:-1] + (12,))
    for start in range(0, spectrum.shape[-1], 12):
        octave = spectrum[..., start:start + 12]
        folded[..., :octave.shape[-1]] += octave
    return np.roll(folded, _LOWEST_PITCH % 12, axis=-1)


def _share(counts: np.ndarray) -> np.ndarray:
    """Each entry's share of the total, scaled so an even share is 0: 12 * share - 1."""
    total = counts.sum()
    return counts / total * 12 - 1 if total > 0 else counts


def key_scores(evidence: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The 24 keys' scores (ALL_KEYS order): for a key on tonic t, the evidence read from t up
    against its mode's weights, shaped (2, len(KEY_EVIDENCE), 12), major first."""
    from_tonic = evidence[:, (np.arange(12)[:, None] + np.arange(12)) % 12]  # (evidence, tonic, step)
    return np.concatenate([np.einsum("eti,ei->t", from_tonic, weights[mode]) for mode in (0, 1)])


def estimate_key(pitch: np.ndarray) -> tuple[MusicalKey | None, float]:
    """The most probable of the 24 keys, and a confidence in [0, 1].

    A softmax over the key scores, fitted on hundreds of labelled tracks: the probability shares
    itself out between keys the evidence cannot tell apart (the relative key sounding the same
    four chords, the dominant, a modal reading of another tonic), so a key with a close rival gets
    a low probability by construction. The confidence is that probability times three things the
    fit does not see:
    - the fit also learned the pull of the melodies it heard towards their tonic; a loop without
      one, whose relative key's tonic triad sounds as long as the chosen one's (i-VI-III-VII and
      vi-IV-I-V are the same loop), leaves nothing to choose by: down to 0.3;
    - noise and speech, whose evidence is as shaped as any once centred, have nearly even pitch
      classes: down to 0, and below KEYLESS_BELOW no key at all; and a clip of a few seconds is
      little evidence (ENOUGH_MUSIC_S);
    - a track that changes key has stretches that disagree (_agreement, squared)."""
    read = key_evidence(pitch)
    if read is None or read.clarity < KEYLESS_BELOW:
        return None, 0.0
    probabilities = _key_probabilities(read.rows)
    best = int(np.argmax(probabilities))
    key = ALL_KEYS[best]
    chosen = _tonic_triad(read, key)
    # With neither tonic triad sounding (a bare fifth, one note), nothing tells the two apart either.
    closeness = _tonic_triad(read, key.relative) / chosen if chosen > 0 else 1.0
    sameness = float(np.clip((closeness - RELATIVE_TRIADS[0]) / (RELATIVE_TRIADS[1] - RELATIVE_TRIADS[0]), 0, 1))
    amount = min(1.0, read.seconds / ENOUGH_MUSIC_S)
    agreement = _agreement(pitch, best, holds_chords=bool(read.triads.any()))
    confidence = probabilities[best] * read.clarity * amount * (1 - 0.7 * sameness) * agreement ** 2
    return key, float(confidence)


def _key_probabilities(evidence: np.ndarray) -> np.ndarray:
    scores = key_scores(evidence, np.asarray(KEY_WEIGHTS))
    probabilities = np.exp(scores - scores.max())
    return probabilities / probabilities.sum()


def _agreement(pitch: np.ndarray, best: int, holds_chords: bool) -> float:
    """How close each KEY_SEGMENT_S stretch on its own comes to rating key `best` its most probable,
    weighted by how much clearly pitched sound it holds (a drum intro or a quiet tail says nothing):
    1 when every stretch agrees, low for a track that changes key. The whole track's evidence
    blends the two keys, and may even name a third with confidence. A stretch's first second is
    not the track's opening, nor its last the track's close, so their bass is left out."""
    per_segment = max(1, int(KEY_SEGMENT_S * TEMPO_SR / CHROMA_HOP))
    ratios, weights = [], []
    for start in range(0, len(pitch), per_segment):
        read = key_evidence(pitch[start:start + per_segment])
        # In a track that holds chords, a stretch holding none is drums alone (an intro, a break):
        # a kick's partials are as clearly pitched as a note, and would be read as a key of their own.
        if read is not None and read.clarity * read.seconds > 0 and (read.triads.any() or not holds_chords):
            rows = read.rows.copy()
            rows[KEY_EVIDENCE.index("opening bass")] = 0.0
            rows[KEY_EVIDENCE.index("closing bass")] = 0.0
            probabilities = _key_probabilities(rows)
            ratios.append(probabilities[best] / probabilities.max())
            weights.append(read.clarity * read.seconds)
    return float(np.average(ratios, weights=weights)) if ratios else 0.0


def _tonic_triad(read: KeyEvidence, key: MusicalKey) -> float:
    """How long (and how loud) the key's tonic triad sounds. Not read from the evidence rows: each
    of those shares its time among triads of one quality, and I-V-vi-IV's one minor chord would
    seem to sound three times as long as its I."""
    return float(read.triads[key.tonic + (12 if key.mode == "minor" else 0)])


def _zscore(rows: np.ndarray) -> np.ndarray:
    centred = rows - rows.mean(axis=-1, keepdims=True)
    return centred / np.maximum(centred.std(axis=-1, keepdims=True), 1e-12)
