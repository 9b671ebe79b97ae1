"""Tags written to every format and read back with mutagen."""

import pytest
from mutagen import File as MutagenFile
from mutagen.aiff import AIFF
from mutagen.id3 import GEOB
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.wave import WAVE

from musicsync_assets.lib.audio import codec, demo
from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.audio.tags import TagSet, as_stored, read_tags, write_tags

FULL = TagSet(
    title='Glass / Steel "Dub" — שלום 🎧', artists=["Åsa Ström", "AC/DC"], album="Demo Album", year=2024,
    isrc="USABC2400001", source_url="https://example.com/track/1", bpm=124, key="Am", camelot="8A",
    comment="8A - A minor", artwork=None,
)


@pytest.fixture(scope="module")
def blank_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tagging")
    samples = demo.render(120, parse_key("A minor"), 3)
    files = {}
    for fmt in codec.FORMATS:
        path = folder / f"blank.{codec.FORMATS[fmt][0]}"
        encoder = codec.Encoder(demo.pcm16(samples), 44100, {fmt: path}, 256)
        encoder.finish()
        files[fmt] = path
    return files


@pytest.mark.parametrize("fmt", list(codec.FORMATS))
def test_round_trip_in_every_format(blank_files, tmp_path, fmt):
    path = tmp_path / blank_files[fmt].name
    path.write_bytes(blank_files[fmt].read_bytes())
    wanted = TagSet(**{**FULL.__dict__, "artwork": demo.cover_art_png()})
    write_tags(path, wanted)
    assert read_tags(path) == wanted
    codec.decoded_duration(path)  # tagging left the audio playable


@pytest.mark.parametrize("fmt", list(codec.FORMATS))
def test_a_source_url_in_any_script_is_written_as_each_format_can_hold_it(blank_files, tmp_path, fmt):
    """An ID3 URL frame holds Latin-1 only: a link pasted from the address bar is percent-encoded
    there, and kept as it is where a tag holds any text."""
    path = tmp_path / blank_files[fmt].name
    path.write_bytes(blank_files[fmt].read_bytes())
    url = "http://127.0.0.1:8000/cdn/東京ナイト mix.wav?a=1&b=%20"
    write_tags(path, TagSet(title="Tokyo", source_url=url))
    stored = read_tags(path).source_url
    assert stored == as_stored(TagSet(source_url=url), path).source_url
    if blank_files[fmt].suffix in (".mp3", ".wav", ".aiff"):
        assert stored == "http://127.0.0.1:8000/cdn/%E6%9D%B1%E4%BA%AC%E3%83%8A%E3%82%A4%E3%83%88%20mix.wav?a=1&b=%20"
    else:
        assert stored == url


def test_standard_fields_are_used(blank_files, tmp_path):
    m4a, wav, aiff = (tmp_path / f"t.{ext}" for ext in ("m4a", "wav", "aiff"))
    for fmt, path in (("m4a", m4a), ("wav", wav), ("aiff", aiff)):
        path.write_bytes(blank_files[fmt].read_bytes())
        write_tags(path, FULL)
    atoms = MP4(m4a).tags
    assert atoms["tmpo"] == [124]
    assert bytes(atoms["----:com.apple.iTunes:initialkey"][0]) == b"Am"
    for container in (WAVE(wav), AIFF(aiff)):
        assert str(container.tags["TKEY"]) == "Am"
        assert str(container.tags["TBPM"]) == "124"
        assert container.tags.version[:2] == (2, 3)


def test_rewriting_replaces_old_values(blank_files, tmp_path):
    path = tmp_path / "x.aiff"
    path.write_bytes(blank_files["aiff"].read_bytes())
    write_tags(path, FULL)
    write_tags(path, TagSet(title="New", artists=["Solo"], bpm=90))
    assert read_tags(path) == TagSet(title="New", artists=["Solo"], bpm=90)


@pytest.mark.parametrize("fmt", list(codec.FORMATS))
def test_a_retag_keeps_the_tags_other_programs_wrote(blank_files, tmp_path, fmt):
    """DJ software keeps cue points and beat grids in tags of its own (Serato in GEOB frames, MP4
    freeform atoms, Vorbis comments): musicsync replaces only its own fields."""
    path = tmp_path / blank_files[fmt].name
    path.write_bytes(blank_files[fmt].read_bytes())
    write_tags(path, FULL)
    container = MutagenFile(path)
    if fmt == "m4a":
        container.tags["----:com.serato.dj:markersv2"] = [MP4FreeForm(b"cues")]
    elif fmt == "flac":
        container.tags["SERATO_MARKERS_V2"] = "cues"
    else:
        container.tags.add(GEOB(encoding=0, mime="application/octet-stream", desc="Serato Markers2", data=b"cues"))
    container.save()
    write_tags(path, TagSet(title="New", artists=["Solo"], bpm=90))
    assert read_tags(path) == TagSet(title="New", artists=["Solo"], bpm=90)
    kept = MutagenFile(path).tags
    if fmt == "m4a":
        assert bytes(kept["----:com.serato.dj:markersv2"][0]) == b"cues"
    elif fmt == "flac":
        assert kept["SERATO_MARKERS_V2"] == ["cues"]
    else:
        assert kept.getall("GEOB:Serato Markers2")[0].data == b"cues"


def test_digest_follows_content():
    assert FULL.digest() == TagSet(**FULL.__dict__).digest()
    assert FULL.digest() != TagSet(**{**FULL.__dict__, "bpm": 125}).digest()
