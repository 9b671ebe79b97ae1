import pytest

from musicsync_assets.lib.errors import NotAudio, UnknownTrack
from musicsync_assets.lib.pipeline.sources import identify, identify_url, inbox_files, normalise_url


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42&si=abc",
    "https://youtu.be/dQw4w9WgXcQ?si=xyz",
    "https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
    "https://m.youtube.com/shorts/dQw4w9WgXcQ",
])
def test_youtube_links_share_one_key(url):
    ref = identify_url(url)
    assert (ref.track_key, ref.kind) == ("yt-dQw4w9WgXcQ", "youtube")


def test_spotify_track_links():
    ref = identify_url("https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC?si=123")
    assert ref.track_key == "sp-4uLU6hMCjMI75M1A2tKUQC"


def test_other_urls_are_keyed_by_their_normalised_form():
    a = identify_url("https://SoundCloud.com/artist/slug/?utm_source=x#t=1")
    b = identify_url("https://soundcloud.com/artist/slug")
    assert a.track_key == b.track_key and a.track_key.startswith("url-") and a.kind == "soundcloud"
    assert normalise_url("http://Example.com:8080/a/?b=2&a=1") == "http://example.com:8080/a?a=1&b=2"


def test_files_are_keyed_by_content_not_name(tmp_path):
    first, second = tmp_path / "a.mp3", tmp_path / "renamed.mp3"
    first.write_bytes(b"ID3same bytes")
    second.write_bytes(b"ID3same bytes")
    assert identify(str(first)).track_key == identify(str(second)).track_key
    assert identify(str(first)).track_key.startswith("file-")


def test_missing_and_empty_files_are_explained(tmp_path):
    with pytest.raises(UnknownTrack, match="does not exist"):
        identify(str(tmp_path / "nope.mp3"))
    (tmp_path / "empty.mp3").write_bytes(b"")
    with pytest.raises(NotAudio, match="empty"):
        identify(str(tmp_path / "empty.mp3"))
    with pytest.raises(UnknownTrack, match="not a web address"):
        identify("ftp://example.com/x.mp3")


def test_inbox_skips_hidden_unfinished_and_fresh_files(tmp_path):
    import os
    import time

    for name in ("done.mp3", ".DS_Store", "partial.mp3.part", "sub/nested.flac", ".hidden/inside.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
        old = time.time() - 60
        os.utime(tmp_path / name, (old, old))
    (tmp_path / "copying.wav").write_bytes(b"x")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in inbox_files(tmp_path))
    assert found == ["done.mp3", "sub/nested.flac"]
