"""The issue's own history through the real clients (spotipy and requests against the loopback
fakes): 30 SoundCloud likes and 40 Spotify likes, 5 of them the same recordings. SoundCloud is read
first and its 5 shared tracks are completed from Spotify's metadata, which catalogues their Spotify
IDs; the Spotify likes must still all arrive, the 5 shared ones as a second source."""

from datetime import datetime, timedelta

from musicsync_assets.defs.sources.likes import find_new
from musicsync_assets.lib.pipeline import stages
from musicsync_assets.lib.pipeline.discovery import SOUNDCLOUD_LIKES, SPOTIFY_LIKES
from musicsync_tests.conftest import library_resources
from musicsync_tests.fakes import soundcloud_server, spotify_server


def liked_at(n: int) -> str:
    return (datetime(2026, 3, 1) + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_likes_known_through_another_service_and_its_metadata_still_arrive(tmp_path):
    with spotify_server.serve_spotify() as spotify, soundcloud_server.serve_soundcloud() as soundcloud:
        for n in range(40):  # recordings 0-39 on Spotify; 35-39 are also among the SoundCloud likes
            spotify.add_like(f"{n:022d}", f"Song {n}", [f"Artist {n}"], liked_at(n), seconds=180 + n,
                             isrc=f"QZ00000000{n:02d}", on_top=True)
        for n in range(35, 65):
            soundcloud.add_track(5000 + n, f"Song {n}", f"Artist {n}", liked_at(n), seconds=180 + n, on_top=True)
        resources = library_resources(
            tmp_path / "data",
            spotify={"client_id": spotify_server.CLIENT_ID, "client_secret": spotify_server.CLIENT_SECRET,
                     "refresh_token": spotify_server.REFRESH_TOKEN, "api_url": spotify.api_url,
                     "token_url": spotify.token_url},
            soundcloud={"client_id": soundcloud_server.CLIENT_ID, "user": soundcloud.permalink,
                        "api_url": soundcloud.base})
        music, store = resources["music_library"], resources["music_library"].store
        look = [resources[name] for name in ("music_library", "soundcloud", "spotify", "notion")]

        assert len(find_new(SOUNDCLOUD_LIKES, *look).to_sync) == 30
        client = resources["spotify"].client()
        for n in range(35, 40):  # the metadata stage completes the shared five from Spotify
            stages.resolve_metadata(music.settings(), f"sc-{5000 + n}", client)
            assert {s["kind"] for s in store.sources_of(f"sc-{5000 + n}")} == {"soundcloud", "spotify"}

        found = find_new(SPOTIFY_LIKES, *look)
        assert len(found.lines) == 40 and found.summary.startswith("40 new likes")
        # the shared five go to their SoundCloud entries (not synced yet in this test, so queued again)
        assert sorted(found.to_sync) == sorted([f"sp-{n:022d}" for n in range(35)] +
                                               [f"sc-{5000 + n}" for n in range(35, 40)])
        assert store.ping() == 65
        for n in range(35, 40):
            assert store.liked_on(f"sc-{5000 + n}") == ["soundcloud", "spotify"]
            assert store.track(f"sp-{n:022d}") is None

        spotify.add_like(f"{99:022d}", "Song 99", ["Artist 99"], liked_at(99), on_top=True)
        before = len(spotify.requests)
        assert find_new(SPOTIFY_LIKES, *look).to_sync == [f"sp-{99:022d}"]
        assert len([r for r in spotify.requests[before:] if "me/tracks" in r]) == 1  # one page
