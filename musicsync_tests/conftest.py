"""Shared fixtures: one synthesised audio set per session, a loopback server, a fresh library per test."""

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import numpy as np
import pytest

from musicsync_assets.defs.resources import MusicLibrary, build_resources
from musicsync_assets.lib.audio import demo
from musicsync_assets.lib.audio.demo import DemoTrack
from musicsync_assets.lib.audio.musickeys import MusicalKey, parse_key
from musicsync_tests.fakes.audio_server import serve_folder


@dataclass(frozen=True)
class Sample:
    path: Path
    bpm: float | None = None
    key: MusicalKey | None = None
    title: str | None = None
    artist: str | None = None


def _synth(folder: Path, name: str, bpm: float, key: str, seconds: float, container: str, seed: int) -> Path:
    return demo.write_audio(demo.render(bpm, parse_key(key), seconds, seed=seed), folder / name, container)


@pytest.fixture(scope="session")
def audio_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def audio_set(audio_root) -> dict[str, Sample]:
    """Short tracks of known tempo and key in several containers, and the bad inputs users meet."""
    folder = audio_root
    tagged = {
        "aac": DemoTrack("Harbour Lights", "Tidal State", 124.0, "A minor", 12, "m4a"),
        "mp3": DemoTrack("Copper Sun", "Lumen Drive", 128.0, "F major", 10, "mp3"),
        "flac": DemoTrack("Glass / Steel \"Dub\"", "Åsa Ström", 100.0, "E minor", 12, "flac"),
    }
    samples = {
        name: Sample(demo.write_demo_track(track, folder / name, seed=i), track.bpm, track.musical_key,
                     track.title, track.artist)
        for i, (name, track) in enumerate(tagged.items())
    }
    samples["opus"] = Sample(_synth(folder, "remote-song.opus", 122.0, "D major", 10, "opus", 7), 122.0,
                             parse_key("D major"), "remote-song")
    unicode_name = folder / 'Sigur Rós - Hoppípolla "live" ∕ édit.mp3'
    samples["unicode"] = Sample(_synth(folder, unicode_name.name, 110.0, "G major", 8, "mp3", 8), 110.0,
                                parse_key("G major"), 'Hoppípolla "live" ∕ édit', "Sigur Rós")

    silent = np.zeros((demo.SAMPLE_RATE * 8, 2), dtype=np.float32)
    samples["silent"] = Sample(demo.write_audio(silent, folder / "silence.wav", "wav"))
    samples["short"] = Sample(_synth(folder, "blip.wav", 120.0, "C major", 2, "wav", 9))
    whole = _synth(folder, "whole.wav", 120.0, "C major", 10, "wav", 10)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size * 4 // 10])
    samples["truncated"] = Sample(truncated)
    damaged_m4a = folder / "damaged.m4a"
    damaged_m4a.write_bytes(samples["aac"].path.read_bytes()[:4000])
    samples["damaged_m4a"] = Sample(damaged_m4a)
    notes = folder / "shopping list.txt"
    notes.write_text("eggs, milk\n")
    samples["not_audio"] = Sample(notes)
    (folder / "page.html").write_text("<html><body><p>No audio here.</p></body></html>")
    return samples


@pytest.fixture(scope="session")
def audio_url(audio_root, audio_set):
    """Base URL of a loopback server holding the audio set (and page.html, which has no audio)."""
    with serve_folder(audio_root) as base:
        yield base


def url_of(base: str, root: Path, sample: Sample) -> str:
    return f"{base}/{quote(sample.path.relative_to(root).as_posix())}"


def library_resources(data_dir: Path, soundcloud: dict | None = None, spotify: dict | None = None,
                      eagle: dict | None = None, **notion) -> dict:
    """The code location's resources over `data_dir`; Notion, SoundCloud, Spotify and Eagle
    unconfigured unless their settings are given (nothing from the developer's own environment leaks in)."""
    return build_resources(notion=notion, soundcloud=soundcloud or {}, spotify=spotify or {}, eagle=eagle or {},
                           data_dir=str(data_dir))


@pytest.fixture
def resources(tmp_path) -> dict:
    """A library in a fresh temporary data directory, without Notion."""
    return library_resources(tmp_path / "data")


@pytest.fixture
def music(resources) -> MusicLibrary:
    return resources["music_library"]


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def copy_into(folder: Path, sample: Sample, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(sample.path, folder / (name or sample.path.name)))
