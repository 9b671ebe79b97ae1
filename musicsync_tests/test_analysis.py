"""Analysis on synthesised signals whose tempo and key are known exactly."""

import numpy as np
import pytest

from musicsync_assets.lib import demo
from musicsync_assets.lib.analysis import analyze_file, analyze_pcm, integrated_loudness
from musicsync_assets.lib.musickeys import ALL_KEYS, parse_key

SR = 44100


def pcm_of(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2")


@pytest.mark.parametrize(("bpm", "key"), [(124.0, "A minor"), (128.0, "F major"), (100.0, "E minor"),
                                          (93.5, "C# minor"), (140.0, "Bb major"), (121.3, "G minor")])
def test_tempo_within_half_a_bpm_and_key_exact(bpm, key):
    result = analyze_pcm(pcm_of(demo.render(bpm, parse_key(key), 20, seed=3)), SR)
    assert result.bpm == pytest.approx(bpm, abs=0.5)
    assert result.key_name == key
    assert result.camelot == parse_key(key).camelot
    assert 0.5 < result.bpm_confidence <= 1.0
    assert 0.3 < result.key_confidence <= 1.0


def test_all_24_keys_are_found():
    wrong = []
    for index, key in enumerate(ALL_KEYS):
        # 16 s at 120 BPM: the four-chord progression twice over, so no chord outweighs the tonic.
        result = analyze_pcm(pcm_of(demo.render(120, key, 16, seed=index)), SR)
        if result.key != key:
            wrong.append((key.name, result.key_name))
    assert wrong == []


def test_tempo_is_folded_into_the_configured_range():
    track = pcm_of(demo.render(75.0, parse_key("D minor"), 20))
    assert analyze_pcm(track, SR, bpm_range=(70, 180)).bpm == pytest.approx(75, abs=0.5)
    assert analyze_pcm(track, SR, bpm_range=(100, 180)).bpm == pytest.approx(150, abs=1.0)


def test_silence_has_no_tempo_and_no_key():
    result = analyze_pcm(np.zeros((SR * 5, 2), dtype="<i2"), SR)
    assert (result.bpm, result.key, result.bpm_confidence, result.key_confidence) == (None, None, 0.0, 0.0)
    assert result.duration_s == pytest.approx(5.0)


def test_a_two_second_clip_gives_no_confident_tempo():
    result = analyze_pcm(pcm_of(demo.render(120, parse_key("C major"), 2)), SR)
    assert result.bpm is None and result.bpm_confidence == 0.0


def test_noise_is_not_confident():
    noise = np.random.default_rng(0).standard_normal((SR * 15, 2)) * 0.2
    result = analyze_pcm(pcm_of(noise), SR)
    clean = analyze_pcm(pcm_of(demo.render(120, parse_key("C major"), 15)), SR)
    assert result.key_confidence < clean.key_confidence
    assert result.key_confidence < 0.5


@pytest.mark.parametrize("amplitude", [0.1, 0.5])
def test_loudness_of_a_1khz_sine_matches_bs1770(amplitude):
    t = np.arange(SR * 5) / SR
    sine = np.stack([amplitude * np.sin(2 * np.pi * 1000 * t)] * 2, axis=1)
    # BS.1770 is calibrated so a 1 kHz sine in both channels reads its peak level in dBFS.
    assert integrated_loudness(sine, SR) == pytest.approx(20 * np.log10(amplitude), abs=0.1)


def test_analyze_file_reads_any_container(audio_set):
    sample = audio_set["opus"]
    result = analyze_file(sample.path)
    assert result.bpm == pytest.approx(sample.bpm, abs=0.5)
    assert result.key == sample.key
    assert result.as_json(sample.path)["key"] == "D major"


@pytest.mark.parametrize("silence_s", [0.0, 0.3, 6.0])
def test_beat_grid_offset_and_intro_are_found(silence_s):
    body = demo.render(124, parse_key("A minor"), 24)
    track = np.concatenate([np.zeros((int(silence_s * SR), 2), np.float32), body])
    result = analyze_pcm(pcm_of(track), SR)
    assert result.beat_offset_s == pytest.approx(silence_s, abs=0.01)
    assert result.intro_s == pytest.approx(6.0 if silence_s == 6.0 else 0.0, abs=2.0)
    assert result.outro_s == 0.0


def test_a_quiet_tail_is_an_outro_and_energy_follows_loudness():
    loud = demo.render(128, parse_key("F major"), 24)
    track = np.concatenate([loud, loud[: SR * 8] * 0.03])
    result = analyze_pcm(pcm_of(track), SR)
    assert result.outro_s == pytest.approx(8.0, abs=2.0)
    quiet = analyze_pcm(pcm_of(loud * 0.05), SR)
    assert 1 <= quiet.energy < result.energy <= 10


@pytest.mark.parametrize(("groove", "bpm"), [("breakbeat", 174.0), ("breakbeat", 170.5), ("boom_bap", 88.0),
                                             ("boom_bap", 96.0), ("half_time", 142.0), ("waltz", 132.0),
                                             ("techno", 136.0)])
def test_the_tempo_octave_a_dj_counts(groove, bpm):
    """Drum & bass is not read at half tempo, nor hip-hop at double."""
    result = analyze_pcm(pcm_of(demo.render(bpm, parse_key("E minor"), 24, groove=groove)), SR)
    assert result.bpm == pytest.approx(bpm, abs=0.5)
