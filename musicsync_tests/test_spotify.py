"""Spotify through spotipy against a loopback Web API: likes paged by offset, what is playing,
token refresh, 401 and 429; the sensors across ticks; a like that syncs from its chosen upload."""

import json
import os
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import dagster as dg
import pytest

from musicsync_assets.defs.resources import build_resources
from musicsync_assets.defs.sources.finders import find_new
from musicsync_assets.defs.sources.likes import spotify_likes_sensor, spotify_playing_sensor
from musicsync_assets.lib.audio.tags import read_tags
from musicsync_assets.lib.pipeline.discovery import SPOTIFY_LIKES, LikesCursor, SkippedLike
from musicsync_assets.lib.services.spotify import (
    SpotifyAuthError,
    SpotifyClient,
    SpotifyRateLimited,
    SpotifyTrack,
)
from musicsync_tests.conftest import library_resources, url_of
from musicsync_tests.fakes.spotify_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    FakeSpotify,
    serve_spotify,
)
from musicsync_tests.harness import sync_tracks, track_definitions


def added_at(n: int) -> str:
    return (datetime(2026, 1, 1) + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def spotify_id(n: int) -> str:
    return f"{n:06d}".ljust(22, "x")


@pytest.fixture
def fake():
    with serve_spotify() as server:
        yield server


def fill(fake: FakeSpotify, count: int) -> None:
    for n in reversed(range(count)):
        fake.add_like(spotify_id(n), f"Song {n}", ["Artist", "Guest"], added_at(n))


def spotify_settings(fake: FakeSpotify, **overrides) -> dict:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN,
            "api_url": fake.api_url, "token_url": fake.token_url, **overrides}


def client_for(fake: FakeSpotify, refresh_token: str = REFRESH_TOKEN) -> SpotifyClient:
    return SpotifyClient(CLIENT_ID, CLIENT_SECRET, refresh_token, fake.api_url, fake.token_url, max_wait_s=1)


def tick(sensor, resources, instance):
    definitions = track_definitions(resources, sensors=[sensor])
    return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), definitions=definitions,
                                                        resources=resources))


def queued(result) -> list[str]:
    return [request.partition_key for request in result.run_requests]


def test_likes_page_by_offset_after_a_token_refresh_and_tolerate_missing_fields(fake):
    fill(fake, 120)
    fake.likes[1]["track"].pop("external_ids")
    fake.likes[2]["track"]["album"] = None
    fake.likes.insert(4, {"added_at": added_at(500), "track": {"id": None, "name": "local.mp3", "is_local": True}})
    pages = list(client_for(fake).liked_pages())
    tracks = list({t.id: t for page, _ in pages for t in page if isinstance(t, SpotifyTrack)}.values())
    assert len(tracks) == 120 and pages[-1][1] is None
    assert fake.requests[0] == "POST /api/token"
    # Each next page starts PAGE_OVERLAP likes early, so a like removed meanwhile skips none.
    assert [r for r in fake.requests if "offset=" in r] == ["GET /v1/me/tracks?limit=50&offset=0",
                                                            "GET /v1/me/tracks?offset=45&limit=50",
                                                            "GET /v1/me/tracks?offset=90&limit=50"]
    assert tracks[0] == SpotifyTrack(spotify_id(119), "Song 119", ("Artist", "Guest"), 200.0, "Song 119 (Single)",
                                     2024, None, f"{fake.base}/art/{spotify_id(119)}.jpg", added_at(119))
    assert (tracks[2].album, tracks[2].artwork_url) == (None, None)
    assert any(isinstance(t, SkippedLike) and "local file" in t.reason for page, _ in pages for t in page)


def test_a_skipped_local_file_is_reported_once_not_at_every_look(fake, tmp_path):
    fill(fake, 10)
    fake.likes.insert(5, {"added_at": added_at(-1), "track": {"id": None, "name": "local.mp3", "is_local": True}})
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake))

    def look():
        return find_new(SPOTIFY_LIKES, resources["music_library"], resources["soundcloud"], resources["spotify"],
                        resources["notion"])

    first = look()
    assert len(first.to_sync) == 10 and len(first.skipped) == 1
    fake.add_like(spotify_id(50), "Song 50", ["Artist"], added_at(50), on_top=True)
    later = look()
    assert later.to_sync == [f"sp-{spotify_id(50)}"] and later.skipped == [], "it lies below the likes seen before"


def test_nothing_playing_is_none_and_a_track_playing_is_a_track(fake):
    client = client_for(fake)
    assert client.currently_playing() is None
    fake.playing = fake.add_like(spotify_id(7), "Now", ["DJ"], added_at(7))
    assert client.currently_playing().title == "Now"


def test_a_revoked_token_and_a_long_429_are_explained(fake):
    with pytest.raises(SpotifyAuthError, match="musicsync auth spotify"):
        next(client_for(fake, refresh_token="revoked").liked_pages())
    client = client_for(fake)
    client.currently_playing()  # the token is refreshed; the 429 below is the API's
    fake.queued_errors.append((429, {"Retry-After": "3600"}, {"error": {"status": 429, "message": "slow down"}}))
    with pytest.raises(SpotifyRateLimited) as raised:
        client.currently_playing()
    assert raised.value.retry_after_s == 3600


def test_a_429_may_give_its_retry_after_as_an_http_date(fake):
    client = client_for(fake)
    client.currently_playing()
    an_hour_on = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    fake.queued_errors.append((429, {"Retry-After": an_hour_on}, {"error": {"status": 429, "message": "slow down"}}))
    with pytest.raises(SpotifyRateLimited) as raised:
        client.currently_playing()
    assert 3590 <= raised.value.retry_after_s <= 3600


def test_a_403_says_how_the_app_lets_the_account_in(fake):
    client = client_for(fake)
    client.currently_playing()
    fake.queued_errors.append((403, {}, {"error": {"status": 403, "message": "User not registered in the Developer "
                                                                           "Dashboard"}}))
    with pytest.raises(SpotifyAuthError, match="User Management") as raised:
        client.currently_playing()
    assert "User not registered" in str(raised.value) and raised.value.error_class == "auth_expired"


def test_a_short_429_is_waited_out(fake):
    client = client_for(fake)
    client.currently_playing()
    fake.queued_errors.append((429, {"Retry-After": "1"}, {"error": {"status": 429, "message": "slow down"}}))
    assert client.currently_playing() is None
    assert fake.requests[-2:] == ["GET /v1/me/player/currently-playing?additional_types=track"] * 2


def test_the_likes_sensor_spreads_a_first_sync_and_then_reads_one_page(fake, tmp_path, instance):
    fill(fake, 260)
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake, likes_per_tick=100))
    seen, per_tick = [], []
    while per_tick[-1:] != [0]:
        per_tick.append(len(queued(result := tick(spotify_likes_sensor, resources, instance))))
        seen += queued(result)
    # Whole pages of 50 (each next one overlapping the last by five): about 100 a tick, never a page more.
    assert len(per_tick) == 3 and all(count < 150 for count in per_tick)
    assert sorted(seen) == sorted(f"sp-{spotify_id(n)}" for n in range(260))
    for n in (260, 261):
        fake.add_like(spotify_id(n), f"Song {n}", ["Artist"], added_at(n), on_top=True)
    fake.likes.sort(key=lambda item: item["added_at"], reverse=True)
    before = len(fake.requests)
    assert queued(tick(spotify_likes_sensor, resources, instance)) == [f"sp-{spotify_id(260)}", f"sp-{spotify_id(261)}"]
    assert len([r for r in fake.requests[before:] if "me/tracks" in r]) == 1
    cursor = LikesCursor.load(resources["music_library"].store.cursor(SPOTIFY_LIKES))
    assert cursor.newest == added_at(261) and cursor.backfill == []


def test_the_playing_sensor_adds_the_track_once(fake, tmp_path, instance):
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake))
    assert queued(tick(spotify_playing_sensor, resources, instance)) == []
    fake.playing = fake.add_like(spotify_id(5), "Now", ["DJ"], added_at(5))
    assert queued(tick(spotify_playing_sensor, resources, instance)) == [f"sp-{spotify_id(5)}"]
    assert queued(tick(spotify_playing_sensor, resources, instance)) == []


def test_a_refresh_token_spotify_replaces_is_kept_for_the_next_tick_and_the_next_start(
        fake, tmp_path, instance, monkeypatch):
    fill(fake, 3)
    fake.rotate_refresh_tokens = True
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", REFRESH_TOKEN)
    env_file = tmp_path / ".env"
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(
        fake, refresh_token=dg.EnvVar("SPOTIFY_REFRESH_TOKEN"), env_file=str(env_file)))
    assert len(queued(tick(spotify_likes_sensor, resources, instance))) == 3
    fake.access_token = "access-2"  # the access token stops working early: the next tick refreshes again
    fake.add_like(spotify_id(3), "Song 3", ["Artist"], added_at(3), on_top=True)
    assert queued(tick(spotify_likes_sensor, resources, instance)) == [f"sp-{spotify_id(3)}"]
    assert fake.refresh_token == f"{REFRESH_TOKEN}++"
    assert os.environ["SPOTIFY_REFRESH_TOKEN"] == fake.refresh_token
    assert env_file.read_text() == f"SPOTIFY_REFRESH_TOKEN={fake.refresh_token}\n"
    # A process that started before the rotations (a run forked from a warm launcher) reads .env.
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", REFRESH_TOKEN)
    fake.access_token = "access-3"
    fake.add_like(spotify_id(4), "Song 4", ["Artist"], added_at(4), on_top=True)
    assert queued(tick(spotify_likes_sensor, resources, instance)) == [f"sp-{spotify_id(4)}"]


def test_a_rate_limited_tick_stops_and_says_until_when(fake, tmp_path, instance):
    fill(fake, 3)
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake))
    fake.queued_errors.append((429, {"Retry-After": "3600"}, {"error": {"status": 429, "message": "slow down"}}))
    assert "retry after 3600" in tick(spotify_likes_sensor, resources, instance).skip_message
    assert "rate limited until" in tick(spotify_likes_sensor, resources, instance).skip_message


def test_a_like_syncs_from_the_users_chosen_upload_or_waits_for_review(fake, tmp_path, instance, audio_set,
                                                                       audio_url, audio_root):
    fake.add_like(spotify_id(2), "Nowhere To Be Found", ["Nobody"], added_at(2), seconds=200)
    fake.add_like(spotify_id(1), "Harbour Lights", ["Tidal State"], added_at(1), seconds=12, isrc="GBXYZ2600001")
    # No YouTube search (the tests have no network): only the overrides file decides.
    resources = build_resources(notion={}, soundcloud={}, spotify=spotify_settings(fake),
                                data_dir=str(tmp_path / "data"), youtube_search="none")
    music = resources["music_library"]
    music.paths.ensure()
    music.paths.match_overrides.write_text(json.dumps({spotify_id(1): url_of(audio_url, audio_root, audio_set["aac"])}))
    keys = queued(tick(spotify_likes_sensor, resources, instance))
    assert keys == [f"sp-{spotify_id(1)}", f"sp-{spotify_id(2)}"]  # oldest like first
    chosen, unmatched = sync_tracks(instance, resources, keys)
    assert chosen.ok and music.store.track(chosen.track_key).status == "synced"
    assert {f.format for f in music.store.files(chosen.track_key)} == {"m4a", "wav", "aiff"}
    assert music.store.match(chosen.track_key)["decided_by"] == "override"
    assert music.store.track(chosen.track_key).isrc == "GBXYZ2600001"
    assert not unmatched.ok and "matched well enough" in unmatched.reason
    assert music.store.track(unmatched.track_key).status == "needs_review"
    assert music.store.match(unmatched.track_key)["decided_by"] == "none"


def test_authorising_once_gives_the_refresh_token(fake):
    import socket
    import threading

    import requests

    from musicsync_assets.lib.services.spotify import authorize
    from musicsync_tests.fakes.spotify_server import AUTH_CODE

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shown: list[str] = []

    def browser_answers(url: str) -> None:  # what the user's browser does after "Agree"
        shown.append(url)
        state = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))["state"]
        threading.Thread(target=requests.get, args=(
            f"http://127.0.0.1:{port}/callback?code={AUTH_CODE}&state={state}",), daemon=True).start()

    token = authorize(CLIENT_ID, CLIENT_SECRET, port, browser_answers, fake.token_url, timeout_s=30)
    assert token == REFRESH_TOKEN
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcallback" in shown[0]
    assert "user-library-read" in shown[0].replace("+", " ").replace("%20", " ")


def test_the_fallback_chain_takes_the_first_source_that_has_something(fake, tmp_path):
    from musicsync_assets.defs.sources.finders import next_track
    from musicsync_tests.fakes.soundcloud_server import CLIENT_ID as SOUNDCLOUD_CLIENT_ID
    from musicsync_tests.fakes.soundcloud_server import serve_soundcloud

    with serve_soundcloud() as soundcloud_fake:
        resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake), soundcloud={
            "client_id": SOUNDCLOUD_CLIENT_ID, "user": soundcloud_fake.permalink, "api_url": soundcloud_fake.base})
        args = resources["music_library"], resources["soundcloud"], resources["spotify"], resources["notion"]
        assert next_track(*args) == (None, None, [
            "spotify-playing: nothing new playing", "soundcloud-likes: nothing new", "spotify-likes: nothing new",
            "notion-queue: Notion is not configured: set NOTION_TOKEN and NOTION_TRACKS_DATABASE"])
        fake.add_like(spotify_id(1), "Liked", ["A"], added_at(1))
        fake.add_like(spotify_id(2), "Older", ["A"], added_at(0))
        assert next_track(*args)[:2] == (f"sp-{spotify_id(1)}", "spotify-likes")
        soundcloud_fake.add_track(5, "Cloud", "B", added_at(3))
        key, source, reasons = next_track(*args)
        assert (key, source) == ("sc-5", "soundcloud-likes") and reasons == ["spotify-playing: nothing new playing"]
        fake.playing = fake.add_like(spotify_id(9), "Now", ["C"], added_at(9))
        assert next_track(*args)[:2] == (f"sp-{spotify_id(9)}", "spotify-playing")


def test_a_track_from_elsewhere_is_completed_from_its_spotify_match(fake, tmp_path, instance, audio_set):
    fake.catalog.append(fake.add_like(spotify_id(40), "Harbour Lights", ["Tidal State"], added_at(0), seconds=12,
                                      isrc="GBXYZ2600040"))
    fake.likes.clear()  # in Spotify's catalogue, not among the user's likes
    fake.catalog.append(fake.add_like(spotify_id(41), "Copper Sun", ["Lumen Drive"], added_at(0), seconds=300,
                                      isrc="GBXYZ2600041"))
    fake.likes.clear()
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake))
    store = resources["music_library"].store
    matched, too_long = sync_tracks(instance, resources, [str(audio_set["aac"].path), str(audio_set["mp3"].path)])
    assert matched.ok and too_long.ok
    track = store.track(matched.track_key)
    assert (track.isrc, track.album) == ("GBXYZ2600040", "musicsync demo")  # filled, never overwritten
    assert read_tags(Path(store.files(matched.track_key)[0].path)).isrc == "GBXYZ2600040"
    assert {s["kind"] for s in store.sources_of(matched.track_key)} == {"file", "spotify"}
    assert store.match(matched.track_key)["decided_by"] == "spotify-metadata"
    assert store.track(too_long.track_key).isrc is None  # a 300 s namesake of a 10 s track fills nothing
    assert store.match(too_long.track_key)["url"] is None


def test_an_access_token_refused_before_its_hour_is_up_is_refreshed_once(fake, caplog):
    client = client_for(fake)
    client.currently_playing()
    fake.access_token = "rotated-elsewhere"  # the token spotipy holds is no longer accepted
    fake.playing = fake.add_like(spotify_id(3), "Still here", ["DJ"], added_at(3))
    assert client.currently_playing().title == "Still here"
    assert fake.requests[-3:-1] == ["GET /v1/me/player/currently-playing?additional_types=track", "POST /api/token"]
    refused = (401, {}, {"error": {"status": 401, "message": "The access token expired"}})
    fake.queued_errors += [refused, refused]  # refused again with a fresh token: the user must re-authorise
    with pytest.raises(SpotifyAuthError, match="musicsync auth spotify"):
        client.currently_playing()
    assert not [r for r in caplog.records if r.name.startswith("spotipy")], "spotipy's own log of errors handled here"


def test_more_likes_removed_while_reading_than_the_pages_overlap_are_read_again(fake, tmp_path, instance):
    fill(fake, 120)
    removed = []

    def unlike_seven_near_the_top(offset: int) -> None:
        if offset and not removed:
            removed.extend(fake.likes.pop(2) for _ in range(7))

    fake.while_paging = unlike_seven_near_the_top
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake, likes_per_tick=500))
    found = queued(tick(spotify_likes_sensor, resources, instance))
    assert len(found) == len(set(found))
    assert set(found) >= {f"sp-{item['track']['id']}" for item in fake.likes}
    assert "GET /v1/me/tracks?offset=0&limit=50" in fake.requests, "the page before is read again"


def test_likes_added_and_removed_while_the_pages_are_read_are_neither_lost_nor_doubled(fake, tmp_path, instance):
    fill(fake, 120)
    changed = []

    def like_and_unlike_near_the_top(offset: int) -> None:
        if offset and not changed:  # between the first page and the second
            changed.append(fake.likes.pop(3)["track"]["id"])
            fake.add_like(spotify_id(900), "Liked meanwhile", ["Artist"], added_at(900), on_top=True)
            fake.likes.pop(10)  # and one more unliked: the list shifts up by one in all

    fake.while_paging = like_and_unlike_near_the_top
    resources = library_resources(tmp_path / "data", spotify=spotify_settings(fake, likes_per_tick=500))
    first, second = queued(tick(spotify_likes_sensor, resources, instance)), \
        queued(tick(spotify_likes_sensor, resources, instance))
    standing = {f"sp-{item['track']['id']}" for item in fake.likes}
    assert len(first) == len(set(first)) and not set(first) & set(second)
    assert set(first) | set(second) >= standing - {f"sp-{spotify_id(900)}"} and f"sp-{spotify_id(900)}" in second


def test_a_pasted_spotify_link_is_described_by_the_api_and_downloaded_from_its_match(
        fake, tmp_path, instance, audio_set, audio_url, audio_root):
    fake.catalog.append(fake.add_like(spotify_id(50), "Copper Sun", ["Lumen Drive"], added_at(0), seconds=10,
                                      isrc="GBXYZ2600050"))
    fake.likes.clear()
    link = f"https://open.spotify.com/track/{spotify_id(50)}?si=shared"
    resources = build_resources(notion={}, soundcloud={}, spotify=spotify_settings(fake),
                                data_dir=str(tmp_path / "data"), youtube_search="none")
    music = resources["music_library"]
    music.paths.ensure()
    music.paths.match_overrides.write_text(json.dumps({spotify_id(50): url_of(audio_url, audio_root, audio_set["mp3"])}))
    [result] = sync_tracks(instance, resources, [link])
    assert result.ok, result.reason
    track = music.store.track(result.track_key)
    assert (track.title, track.artists, track.isrc, track.year) == ("Copper Sun", ["Lumen Drive"], "GBXYZ2600050", 2024)

    unconfigured = library_resources(tmp_path / "other")
    [refused] = sync_tracks(instance, unconfigured, [link])
    assert not refused.ok and "Spotify is not configured" in refused.reason and "musicsync auth spotify" in refused.reason
