"""SoundCloud likes, through the real client (requests) against a loopback api-v2, and the sensor
across ticks through Dagster's own evaluation."""

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import dagster as dg
import pytest

from musicsync_assets.defs.sources.finders import find_new
from musicsync_assets.defs.sources.likes import soundcloud_likes_sensor
from musicsync_assets.lib.audio.tags import read_tags
from musicsync_assets.lib.errors import ServiceUnavailable
from musicsync_assets.lib.pipeline.discovery import SOUNDCLOUD_LIKES as CURSOR
from musicsync_assets.lib.pipeline.discovery import FirstSync, LikesCursor
from musicsync_assets.lib.services.soundcloud import (
    SkippedLike,
    SoundCloudAuthError,
    SoundCloudClient,
    SoundCloudTrack,
    Unavailable,
)
from musicsync_tests.conftest import library_resources, url_of
from musicsync_tests.fakes.notion_server import FakeNotion, track_schema_properties
from musicsync_tests.fakes.notion_server import serve as serve_notion
from musicsync_tests.fakes.soundcloud_server import CLIENT_ID, FakeSoundCloud, serve_soundcloud
from musicsync_tests.harness import sync_tracks, track_definitions

START = datetime(2026, 1, 1)


def liked_at(n: int) -> str:
    return (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def fake():
    with serve_soundcloud() as server:
        yield server


def fill(fake: FakeSoundCloud, count: int, first_id: int = 1000) -> None:
    """`count` liked tracks, the newest first."""
    for n in reversed(range(count)):
        fake.add_track(first_id + n, f"Track {n}", "Some Artist", liked_at(n))


def soundcloud_settings(fake: FakeSoundCloud, **overrides) -> dict:
    return {"client_id": CLIENT_ID, "oauth_token": "user-token", "user": fake.permalink, "api_url": fake.base,
            **overrides}


def tick(resources, instance):
    definitions = track_definitions(resources, sensors=[soundcloud_likes_sensor])
    context = dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), definitions=definitions, resources=resources)
    return soundcloud_likes_sensor.evaluate_tick(context)


def stored_cursor(resources) -> LikesCursor:
    return LikesCursor.load(resources["music_library"].store.cursor(CURSOR))


def queued(result) -> list[str]:
    return [request.partition_key for request in result.run_requests]


def test_likes_follow_next_href_and_carry_client_id_every_time(fake):
    fill(fake, 450)
    fake.likes.insert(3, {"created_at": liked_at(999), "kind": "like", "playlist": {"id": 5, "title": "Mix"}})
    fake.likes.insert(5, {"created_at": liked_at(998), "kind": "like", "track": {"title": "no id"}})
    client = SoundCloudClient(CLIENT_ID, "user-token", fake.base)
    pages = list(client.likes(client.user_id(fake.permalink)))
    items = [item for page, _ in pages for item in page]
    assert len(pages) == 3 and pages[-1][1] is None
    assert [i.id for i in items if isinstance(i, SoundCloudTrack)] == list(range(1449, 999, -1))
    reasons = [i.reason for i in items if isinstance(i, SkippedLike)]
    assert reasons[0] == "a playlist (Mix), not a track" and reasons[1].startswith("a malformed track")
    assert all(f"client_id={CLIENT_ID}" in path for path in fake.requests)
    assert all("offset=" in path for path in fake.requests[2:])  # the later pages came from next_href


def test_a_stream_is_chosen_or_the_reason_there_is_none(fake):
    fake.add_track(1, "t", "a", liked_at(1), protocols=("hls", "progressive"), stream_url="http://127.0.0.1:9/a.mp3")
    fake.add_track(2, "t", "a", liked_at(2), protocols=("ctr-encrypted-hls", "cbc-encrypted-hls"))
    fake.add_track(3, "t", "a", liked_at(3), snipped=True)
    client = SoundCloudClient(CLIENT_ID, None, fake.base)
    both = client.track(1)
    assert both.unavailable_reason is None
    assert client.stream_url(both) == "http://127.0.0.1:9/a.mp3"
    assert fake.requests[-1].startswith("/media/soundcloud:tracks:1/progressive")  # progressive before HLS
    assert client.track(2).unavailable_reason == "only DRM-protected streams"
    assert client.track(3).unavailable_reason == "only a 30-second preview"


def test_likes_listed_as_bare_tracks_are_tracks(fake):
    fake.bare_likes = True
    fill(fake, 3)
    fake.likes.insert(1, {"created_at": liked_at(999), "kind": "like", "playlist": {"id": 5, "title": "Mix"}})
    client = SoundCloudClient(CLIENT_ID, "user-token", fake.base)
    [(page, _)] = list(client.likes(client.user_id(fake.permalink)))
    assert [item.id for item in page if isinstance(item, SoundCloudTrack)] == [1002, 1001, 1000]
    assert [item.reason for item in page if isinstance(item, SkippedLike)] == ["a playlist (Mix), not a track"]


def test_a_stream_that_is_gone_or_refused_gives_way_to_the_next(fake):
    """One transcoding gone (404) or region-blocked (403) while another plays: the track is not
    unavailable, and a refused stream is not a refused client_id."""
    fake.add_track(1, "t", "a", liked_at(1), stream_url="http://127.0.0.1:9/a.mp3")
    fake.refused_streams[(1, "progressive")] = 404
    client = SoundCloudClient(CLIENT_ID, None, fake.base)
    assert client.stream_url(client.track(1)) == "http://127.0.0.1:9/a.mp3"
    assert fake.requests[-1].startswith("/media/soundcloud:tracks:1/hls")
    fake.refused_streams[(1, "hls")] = 403
    with pytest.raises(Unavailable, match="none of the 2 streams .* can be fetched"):
        client.stream_url(client.track(1))


def test_an_outage_is_a_failure_that_heals_by_itself(fake):
    """SoundCloud answering 503 after every retry, or not listening at all: musicsync retries
    later by itself (service_unavailable), rather than asking a person."""
    fake.add_track(1, "t", "a", liked_at(1))
    client = SoundCloudClient(CLIENT_ID, None, fake.base, backoff_s=0.01)
    track = client.track(1)
    fake.queued_errors += [(503, {})] * (client.max_retries + 1)
    with pytest.raises(ServiceUnavailable, match="SoundCloud answered 503 for /media/") as outage:
        client.stream_url(track)
    assert outage.value.healable
    with pytest.raises(ServiceUnavailable, match="could not be reached: ConnectionError"):
        SoundCloudClient(CLIENT_ID, None, "http://127.0.0.1:9", backoff_s=0.01).track(1)


def test_a_refused_client_id_says_what_to_set(fake):
    client = SoundCloudClient("b" * 32, None, fake.base)
    with pytest.raises(SoundCloudAuthError, match="SOUNDCLOUD_CLIENT_ID"):
        client.user_id(fake.permalink)


def test_a_first_sync_is_spread_over_ticks_and_later_ticks_read_one_page(fake, tmp_path, instance):
    fill(fake, 450)
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake, likes_per_tick=200))
    store = resources["music_library"].store
    seen = []
    for expected in (200, 200, 50):
        result = tick(resources, instance)
        assert len(queued(result)) == expected
        assert len({r.run_key for r in result.run_requests}) == expected  # one run per track, each its own key
        seen += queued(result)
    assert sorted(seen) == sorted(f"sc-{1000 + n}" for n in range(450))
    assert store.track("sc-1449").title == "Track 449" and store.track("sc-1449").status == "pending"

    before = len(fake.requests)
    assert queued(tick(resources, instance)) == []
    assert len(fake.requests) - before == 2  # resolve the user, one page of likes

    for n in (450, 451, 452):
        fake.add_track(1000 + n, f"Track {n}", "Some Artist", liked_at(n), on_top=True)
    fake.likes.sort(key=lambda like: like["created_at"], reverse=True)
    result = tick(resources, instance)
    assert queued(result) == ["sc-1450", "sc-1451", "sc-1452"]  # oldest first
    assert stored_cursor(resources).newest == liked_at(452)


@pytest.mark.parametrize(("first_sync", "expected"), [("newest:5", 5), (f"since:{liked_at(440)}", 10)])
def test_a_first_sync_can_take_only_the_newest_or_the_recent(fake, tmp_path, instance, first_sync, expected):
    fill(fake, 450)
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake, first_sync=first_sync))
    result = tick(resources, instance)
    assert len(queued(result)) == expected
    assert stored_cursor(resources).backfill == []


@pytest.mark.parametrize("text", ["everything", "newest:", "since:2026", "newest:ten"])
def test_a_first_sync_setting_that_means_nothing_is_refused_with_the_forms_it_takes(text):
    with pytest.raises(ValueError, match="use all, newest:N or since:YYYY-MM-DD"):
        FirstSync.parse(text)


def test_unavailable_likes_are_recorded_once_and_never_run(fake, tmp_path, instance):
    fake.add_track(1, "Locked", "Label", liked_at(3), protocols=("ctr-encrypted-hls",))
    fake.add_track(2, "Teaser", "Label", liked_at(2), snipped=True)
    fake.add_track(3, "Free", "Label", liked_at(1))
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    store = resources["music_library"].store
    result = tick(resources, instance)
    assert queued(result) == ["sc-3"]
    assert (store.track("sc-1").status, store.track("sc-1").error_message) == (
        "unavailable", "https://soundcloud.com/label/1 offers only DRM-protected streams")
    assert store.track("sc-2").error_message.endswith("only a 30-second preview")
    assert queued(tick(resources, instance)) == []


def test_unavailable_likes_get_their_notion_page_though_they_never_run(fake, tmp_path, instance):
    fake.add_track(2, "Teaser", "Label", liked_at(2), snipped=True)
    notion = FakeNotion()
    tracks_db, tracks_ds = notion.add_database(track_schema_properties())
    with serve_notion(notion) as base:
        resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake), token=notion.token,
                                      api_url=base, tracks_database=tracks_db, requests_per_s=1000.0)
        assert queued(tick(resources, instance)) == []
    [page] = notion.rows(tracks_ds)
    assert (page["Track Key"], page["Name"], page["Status"]) == ("sc-2", "Teaser", "unavailable")


def test_a_429_pauses_the_sensor_until_retry_after_without_losing_the_cursor(fake, tmp_path, instance):
    fill(fake, 3)
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    fake.queued_errors.append((429, {"Retry-After": "3600"}))
    skipped = tick(resources, instance)
    assert "retry after 3600" in skipped.skip_message
    paused = stored_cursor(resources)
    assert paused.rate_limited_until and paused.newest is None
    before = len(fake.requests)
    again = tick(resources, instance)
    assert "rate limited until" in again.skip_message and len(fake.requests) == before


def test_a_429_whose_retry_after_is_an_http_date_pauses_the_sensor_as_long(fake, tmp_path, instance):
    fill(fake, 3)
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    fake.queued_errors.append((429, {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(hours=2),
                                                                   usegmt=True)}))
    skipped = tick(resources, instance)
    assert "retry after 7" in skipped.skip_message  # 7199 or 7200 s
    paused_for_s = stored_cursor(resources).rate_limited_until - time.time()
    assert 7140 < paused_for_s <= 7200


def test_an_endless_retry_after_pauses_the_sensor_a_day_at_most(fake, tmp_path, instance):
    fill(fake, 3)
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    fake.queued_errors.append((429, {"Retry-After": "1e12"}))
    assert "retry after 86400" in tick(resources, instance).skip_message
    fake.queued_errors.append((429, {"Retry-After": "inf"}))
    assert "rate limited until" in tick(resources, instance).skip_message, "the paused cursor still reads"


def test_without_credentials_the_sensor_says_what_to_set(tmp_path, instance):
    result = tick(library_resources(tmp_path / "data"), instance)
    assert "SOUNDCLOUD_CLIENT_ID" in result.skip_message


def test_a_liked_track_downloads_from_its_stream_and_syncs(fake, tmp_path, instance, audio_set, audio_url, audio_root):
    fake.add_track(77, "Harbour Lights", "Tidal State", liked_at(1), seconds=12,
                   stream_url=url_of(audio_url, audio_root, audio_set["aac"]))
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    assert queued(tick(resources, instance)) == ["sc-77"]
    [result] = sync_tracks(instance, resources, ["sc-77"])
    assert result.ok, result.reason
    store = resources["music_library"].store
    assert store.track("sc-77").status == "synced"
    files = {f.format: Path(f.path) for f in store.files("sc-77")}
    assert set(files) == {"m4a", "wav", "aiff"}
    tags = read_tags(files["wav"])
    assert (tags.title, tags.artists, tags.key) == ("Harbour Lights", ["Tidal State"], "Am")
    assert store.sources_of("sc-77") == [{"kind": "soundcloud", "source_id": "77",
                                          "url": "https://soundcloud.com/tidal-state/77"}]


def test_a_like_of_a_track_already_in_the_library_adds_a_source_not_a_download(fake, tmp_path, instance, audio_set):
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    [dropped] = sync_tracks(instance, resources, [str(audio_set["aac"].path)])  # Tidal State - Harbour Lights, 12 s
    fake.add_track(77, "Harbour Lights", "Tidal State", liked_at(1), seconds=13.5)
    fake.add_track(78, "Harbour Lights (Dub Mix)", "Tidal State", liked_at(0), seconds=12)
    result = tick(resources, instance)
    store = resources["music_library"].store
    assert queued(result) == ["sc-78"]  # the remix is another recording
    assert store.track("sc-77") is None
    assert {s["kind"] for s in store.sources_of(dropped.track_key)} == {"file", "soundcloud"}


def test_a_dry_run_shows_what_would_be_synced_and_changes_nothing(fake, tmp_path):
    fill(fake, 3)
    fake.add_track(9, "Locked", "Label", liked_at(0), protocols=("ctr-encrypted-hls",))
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    music, account, spotify, notion = (resources[name] for name in ("music_library", "soundcloud", "spotify", "notion"))
    found = find_new(CURSOR, music, account, spotify, notion, dry_run=True)
    assert found.to_sync == ["sc-1000", "sc-1001", "sc-1002"]
    assert found.lines[0] == "sc-9  Label - Locked (200 s): unavailable, only DRM-protected streams"
    assert music.store.tracks() == [] and music.store.cursor(CURSOR) is None
    assert find_new(CURSOR, music, account, spotify, notion).to_sync == found.to_sync  # the real look finds the same


def test_a_deleted_track_is_unavailable_not_retried(fake, tmp_path, instance):
    fake.add_track(31, "Gone", "Someone", liked_at(1))
    resources = library_resources(tmp_path / "data", soundcloud=soundcloud_settings(fake))
    assert queued(tick(resources, instance)) == ["sc-31"]
    del fake.tracks[31]  # deleted (or region-blocked) between the like and the download
    [result] = sync_tracks(instance, resources, ["sc-31"])
    track = resources["music_library"].store.track("sc-31")
    assert not result.ok and track.status == "unavailable" and "deleted, private or region-blocked" in track.error_message
