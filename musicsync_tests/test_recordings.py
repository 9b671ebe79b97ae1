"""One recording liked on two services is one library entry."""

import pytest

from musicsync_assets.lib.catalog.recordings import Recording, RecordingIndex, normalise
from musicsync_assets.lib.catalog.store import TrackRecord


def track(key: str, artist: str, title: str, seconds: float | None, isrc: str | None = None) -> TrackRecord:
    return TrackRecord(track_key=key, source_kind="url", source_url="https://example.com", title=title,
                       artists=[artist], isrc=isrc, duration_s=seconds)


@pytest.mark.parametrize(("text", "expected"), [
    ("Café del Mar (feat. Someone)", "cafe del mar"),
    ("Strobe ft. Nobody", "strobe"),
    ("  Sigur Rós – Hoppípolla!", "sigur ros hoppipolla"),
    ("Levels [with Avicii]", "levels"),
])
def test_names_are_compared_without_case_accents_punctuation_or_features(text, expected):
    assert normalise(text) == expected


def test_the_same_isrc_or_the_same_name_and_length_is_the_same_recording():
    index = RecordingIndex([track("yt-a", "Deadmau5", "Strobe", 634.0, isrc="CAN110900001"),
                            track("file-b", "Röyksopp", "Eple", 221.0)])
    assert index.find(Recording("can110900001", "Someone Else", "Other Name", 633.0)) == "yt-a"
    assert index.find(Recording(None, "deadmau5", "Strobe (feat. Nobody)", 635.5)) == "yt-a"
    assert index.find(Recording(None, "Royksopp", "Eple", 222.9)) == "file-b"


def test_an_isrc_reused_for_another_take_is_told_apart_by_its_length():
    index = RecordingIndex([track("yt-a", "Deadmau5", "Strobe", 634.0, isrc="CAN110900001")])
    assert index.find(Recording("CAN110900001", "Deadmau5", "Strobe (Radio Edit)", 212.0)) is None


def test_a_remix_a_live_take_or_another_length_is_not():
    index = RecordingIndex([track("yt-a", "Deadmau5", "Strobe", 634.0)])
    assert index.find(Recording(None, "Deadmau5", "Strobe (Club Edit)", 634.0)) is None
    assert index.find(Recording(None, "Deadmau5", "Strobe - Live", 634.0)) is None
    assert index.find(Recording(None, "Deadmau5", "Strobe", 600.0)) is None
    assert index.find(Recording(None, "Other", "Strobe", 634.0)) is None
