import pytest

from musicsync_assets.lib.pipeline.naming import numbered, render_name, safe_filename


@pytest.mark.parametrize(("raw", "safe"), [
    ("AC/DC - Back In Black", "AC-DC - Back In Black"),
    ('Glass \\ Steel "Dub": Part 1?', "Glass - Steel _Dub__ Part 1_"),
    ("Sigur Rós - Hoppípolla", "Sigur Rós - Hoppípolla"),
    ("שלום - 你好 🎧", "שלום - 你好 🎧"),
    ("trailing dots...", "trailing dots"),
    ("CON", "_CON"),
    (".hidden", "_.hidden"),
    ("", "untitled"),
])
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


def test_long_names_are_cut_on_a_character_boundary():
    name = safe_filename("é" * 500)
    assert len(name.encode()) <= 180
    name.encode().decode()  # still valid UTF-8


def test_template_fields_and_errors():
    assert render_name("{year} - {artist} - {title}", artist="A", title="T", year="2024") == "2024 - A - T"
    with pytest.raises(ValueError, match="unknown field"):
        render_name("{genre}", artist="A", title="T")


def test_numbered_names():
    assert [numbered("Song", n) for n in (1, 2, 3)] == ["Song", "Song (2)", "Song (3)"]
