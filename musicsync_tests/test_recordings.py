"""One recording liked on two services is one library entry."""

import pytest

from musicsync_assets.lib.catalog.recordings import Recording, RecordingIndex, normalise, romanised, script_of
from musicsync_assets.lib.catalog.store import TrackRecord


def track(key: str, artist: str, title: str, seconds: float | None, isrc: str | None = None) -> TrackRecord:
    return TrackRecord(track_key=key, source_kind="url", source_url="https://example.com", title=title,
                       artists=[artist], isrc=isrc, duration_s=seconds)


@pytest.mark.parametrize(("text", "expected"), [
    ("Café del Mar (feat. Someone)", "cafe del mar"),
    ("Strobe ft. Nobody", "strobe"),
    ("  Sigur Rós – Hoppípolla!", "sigur ros hoppipolla"),
    ("Levels [with Avicii]", "levels"),
    ("האסל (feat. טונה)", "האסל"),  # once "": the ASCII-only fold dropped every Hebrew letter
    ("Tuna - אתניקה", "tuna אתניקה"),
    ("Noize MC feat. Монеточка - Ты не такой", "noize mc ты не такой"),
    ("ＬＥＭＯＮ【MV】", "lemon mv"),
    ("夜に駆ける", "夜に駆ける"),
    ("Straße", "strasse"),
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


def test_names_in_other_scripts_are_romanised_for_comparison_and_say_their_script():
    assert (romanised("Земфира"), romanised("ヨルシカ"), romanised("!!!")) == ("zemfira", "yorushika", "")
    assert (script_of("האסל"), script_of("밤편지"), script_of("夜に駆ける"), script_of("Ёлка")) == (
        "HEBREW", "HANGUL", "JAPANESE", "CYRILLIC")


def test_the_same_recording_is_found_by_its_name_in_any_script():
    index = RecordingIndex([track("sc-1", "טונה", "האסל (feat. Ravid Plotnik)", 198.0)])
    assert index.find(Recording(None, "טונה", "האסל", 199.0)) == "sc-1"
    assert index.find(Recording(None, "טונה", "סיבה למסיבה", 198.0)) is None  # once both normalised to ""
