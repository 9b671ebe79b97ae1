import pytest

from musicsync_assets.lib.audio.musickeys import ALL_KEYS, parse_key

# The published Camelot wheel and Open Key notation, written out independently of the code.
CAMELOT = {
    "C": "8B", "G": "9B", "D": "10B", "A": "11B", "E": "12B", "B": "1B", "F#": "2B", "Db": "3B", "Ab": "4B",
    "Eb": "5B", "Bb": "6B", "F": "7B",
    "Am": "8A", "Em": "9A", "Bm": "10A", "F#m": "11A", "C#m": "12A", "G#m": "1A", "D#m": "2A", "Bbm": "3A",
    "Fm": "4A", "Cm": "5A", "Gm": "6A", "Dm": "7A",
}
OPEN_KEY = {
    "C": "1d", "G": "2d", "D": "3d", "A": "4d", "E": "5d", "B": "6d", "F#": "7d", "Db": "8d", "Ab": "9d",
    "Eb": "10d", "Bb": "11d", "F": "12d",
    "Am": "1m", "Em": "2m", "Bm": "3m", "F#m": "4m", "C#m": "5m", "G#m": "6m", "D#m": "7m", "Bbm": "8m",
    "Fm": "9m", "Cm": "10m", "Gm": "11m", "Dm": "12m",
}


@pytest.mark.parametrize("name", sorted(CAMELOT))
def test_every_key_has_its_wheel_position(name):
    key = parse_key(name)
    assert key.camelot == CAMELOT[name]
    assert key.open_key == OPEN_KEY[name]


def test_a_key_and_its_relative_share_a_wheel_number_and_swap_back():
    assert parse_key("C major").relative == parse_key("A minor")
    assert parse_key("F#m").relative == parse_key("A major")
    for key in ALL_KEYS:
        assert key.relative.mode != key.mode
        assert key.relative.camelot[:-1] == key.camelot[:-1]
        assert key.relative.relative == key


def test_the_24_keys_are_distinct_in_every_notation():
    assert len(ALL_KEYS) == 24
    for notation in ("name", "short", "camelot", "open_key"):
        assert len({getattr(k, notation) for k in ALL_KEYS}) == 24


@pytest.mark.parametrize("text", ["A minor", "Am", "a min", "8A", "8a", "1m", "A  minor"])
def test_spellings_of_a_minor(text):
    assert parse_key(text).name == "A minor"


def test_round_trips_through_every_notation():
    for key in ALL_KEYS:
        for text in (key.name, key.short, key.camelot, key.open_key):
            assert parse_key(text) == key


def test_short_form_fits_id3_tkey():
    assert all(len(k.short) <= 3 for k in ALL_KEYS)


@pytest.mark.parametrize("text", ["", "H major", "13A", "minor"])
def test_rejects_what_is_not_a_key(text):
    with pytest.raises(ValueError):
        parse_key(text)
