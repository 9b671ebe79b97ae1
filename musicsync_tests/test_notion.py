"""Notion as the user's catalog, through notion-client against a loopback fake Notion."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from musicsync_assets.defs.notion.assets import notion_backlog_sensor, notion_failure_tasks
from musicsync_assets.lib.audio.tags import read_tags
from musicsync_assets.lib.errors import UnknownTrack
from musicsync_assets.lib.pipeline.notion_sync import NotionSync
from musicsync_assets.lib.pipeline.stages import set_overrides
from musicsync_assets.lib.services.notion import (
    NotionAuthError,
    NotionGateway,
    NotionNotShared,
    NotionRejected,
    NotionUnavailable,
    database_id_from,
)
from musicsync_tests.conftest import copy_into, library_resources, url_of
from musicsync_tests.fakes.audio_server import serve_folder
from musicsync_tests.fakes.notion_server import (
    FakeNotion,
    serve,
    task_schema_properties,
    track_schema_properties,
)
from musicsync_tests.harness import sync_tracks, track_definitions


@pytest.fixture
def notion(tmp_path):
    """A fake Notion with full Tracks and Agent-Tasks databases, and a library that writes to it."""
    fake = FakeNotion()
    tracks_db, tracks_ds = fake.add_database(track_schema_properties())
    tasks_db, tasks_ds = fake.add_database(task_schema_properties(), title_name="Task")
    with serve(fake) as base:
        resources = library_resources(
            tmp_path / "data", token=fake.token, api_url=base, requests_per_s=1000.0,
            tracks_database=f"https://www.notion.so/me/Tracks-{tracks_db.replace('-', '')}?v=0123456789abcdef0123456789abcdef",
            tasks_database=tasks_db, dagster_url="http://dagster.local:3000", retry_backoff_s=0.01)
        yield SimpleNamespace(fake=fake, resources=resources, tracks=tracks_ds, tasks=tasks_ds,
                              music=resources["music_library"], base=base)


def report_failures(instance, resources, results) -> None:
    """What the daemon does for each failed run: evaluate the failure sensor on it."""
    for result in results:
        if result.ok or result.run_id is None:
            continue
        run = instance.get_run_by_id(result.run_id)
        event = next(e.dagster_event for e in instance.all_logs(result.run_id)
                     if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(
            sensor_name=notion_failure_tasks.name, dagster_instance=instance, dagster_run=run, dagster_event=event,
            resources=resources).for_run_failure()
        notion_failure_tasks(context)


def test_database_urls_and_ids():
    dashed = "0123abcd-0123-abcd-0123-0123456789ab"
    assert database_id_from("0123abcd0123abcd01230123456789ab") == dashed
    assert database_id_from(f"https://www.notion.so/ws/Tracks-{dashed.replace('-', '')}?v=ffff0000ffff0000ffff0000ffff0000") \
        == dashed
    with pytest.raises(NotionNotShared, match="not a Notion database"):
        database_id_from("https://www.notion.so/ws/Tracks")


def test_upsert_is_idempotent_and_cheap(notion, instance, audio_set):
    sources = [str(audio_set["mp3"].path), str(audio_set["flac"].path)]
    first = sync_tracks(instance, notion.resources, sources)
    assert all(r.ok for r in first)
    rows = {row["Track Key"]: row for row in notion.fake.rows(notion.tracks)}
    assert set(rows) == {r.track_key for r in first}
    mp3 = rows[first[0].track_key]
    assert (mp3["Name"], mp3["Artists"], mp3["Status"], mp3["Key"], mp3["Camelot"]) == (
        "Copper Sun", "Lumen Drive", "synced", "F major", "7B")
    assert mp3["BPM"] == pytest.approx(128, abs=0.5) and mp3["Downloaded"] is True
    assert mp3["WAV Path"].endswith("Lumen Drive - Copper Sun.wav") and mp3["Last Synced"]

    before = len(notion.fake.requests)
    again = sync_tracks(instance, notion.resources, sources)
    assert all(r.ok for r in again)
    assert len(notion.fake.rows(notion.tracks)) == 2
    assert len(notion.fake.requests) - before <= 2 * len(sources), "an unchanged page is read, not rewritten"
    assert notion.fake.count("PATCH", "/v1/pages") == 0


def test_a_hand_made_page_is_adopted(notion, instance, audio_set, audio_url, audio_root):
    url = url_of(audio_url, audio_root, audio_set["opus"])
    hand_made = notion.fake.add_page(notion.tracks, {"Name": "my note for this one", "Source URL": url})
    [result] = sync_tracks(instance, notion.resources, [url])
    assert result.ok
    [row] = notion.fake.rows(notion.tracks)
    assert row["id"] == hand_made["id"] and row["Track Key"] == result.track_key and row["Status"] == "synced"


def test_overrides_typed_in_notion_reach_the_tags(notion, instance, audio_set):
    source = str(audio_set["mp3"].path)
    [first] = sync_tracks(instance, notion.resources, [source])
    [row] = notion.fake.rows(notion.tracks)
    page = notion.fake.pages[row["id"]]
    page["properties"]["BPM Override"]["number"] = 100
    page["properties"]["Key Override"]["rich_text"] = [{"type": "text", "text": {"content": "Gm"},
                                                        "plain_text": "Gm"}]
    [second] = sync_tracks(instance, notion.resources, [source])
    assert second.ok
    track = notion.music.store.track(first.track_key)
    assert (track.bpm_override, track.key_override) == (100, "G minor")
    for record in notion.music.store.files(first.track_key):
        tags = read_tags(Path(record.path))
        assert (tags.bpm, tags.key, tags.camelot) == (100, "Gm", "6A")
    [row] = notion.fake.rows(notion.tracks)
    assert (row["BPM"], row["Key"], row["Camelot"]) == (100, "G minor", "6A")


def test_an_override_given_on_the_command_line_is_kept_and_shown_on_the_page(notion, instance, audio_set):
    """The page's empty override field is not the user clearing it: only what they set on the page
    since musicsync last saw it counts. The page then shows the command line's value; clearing it
    there goes back to the estimate."""
    source = str(audio_set["mp3"].path)
    [first] = sync_tracks(instance, notion.resources, [source])
    set_overrides(notion.music.store, first.track_key, bpm=174, key="F#m")
    [second] = sync_tracks(instance, notion.resources, [source])
    assert second.ok
    track = notion.music.store.track(first.track_key)
    assert (track.bpm_override, track.key_override) == (174, "F# minor")
    [row] = notion.fake.rows(notion.tracks)
    assert (row["BPM Override"], row["Key Override"], row["BPM"], row["Key"]) == (174, "F# minor", 174, "F# minor")
    page = notion.fake.pages[row["id"]]
    page["properties"]["BPM Override"]["number"] = None
    [third] = sync_tracks(instance, notion.resources, [source])
    assert third.ok and notion.music.store.track(first.track_key).bpm_override is None
    for record in notion.music.store.files(first.track_key):
        tags = read_tags(Path(record.path))
        assert tags.bpm == pytest.approx(128, abs=1) and tags.key == "F#m"


def test_a_title_the_user_typed_is_kept(notion, instance, audio_set, audio_url, audio_root):
    url = url_of(audio_url, audio_root, audio_set["opus"])
    notion.fake.add_page(notion.tracks, {"Name": "Queued by hand 🎧", "Source URL": url})
    mp3 = str(audio_set["mp3"].path)
    for _ in range(2):  # the second sync reads the page musicsync wrote its Track Key into
        assert all(result.ok for result in sync_tracks(instance, notion.resources, [url, mp3]))
    rows = {row["Source URL"] or row["Track Key"]: row for row in notion.fake.rows(notion.tracks)}
    assert rows[url]["Name"] == "Queued by hand 🎧"
    made = rows[next(key for key in rows if key != url)]
    assert made["Name"] == "Copper Sun"
    notion.fake.pages[made["id"]]["properties"]["Name"]["title"] = [
        {"type": "text", "text": {"content": "Copper Sun (my edit)"}, "plain_text": "Copper Sun (my edit)"}]
    assert all(result.ok for result in sync_tracks(instance, notion.resources, [mp3]))
    assert notion.fake.pages[made["id"]]["properties"]["Name"]["title"][0]["plain_text"] == "Copper Sun (my edit)"


def test_a_corrected_source_url_is_downloaded(notion, instance, audio_set, tmp_path):
    site = tmp_path / "site"
    copy_into(site, audio_set["opus"], "wrong.opus")
    copy_into(site, audio_set["mp3"], "right.mp3")
    with serve_folder(site) as base:
        [first] = sync_tracks(instance, notion.resources, [f"{base}/wrong.opus"])
        [row] = notion.fake.rows(notion.tracks)
        notion.fake.pages[row["id"]]["properties"]["Source URL"]["url"] = f"{base}/right.mp3"
        [second] = sync_tracks(instance, notion.resources, [f"{base}/wrong.opus"])
    assert second.ok and second.track_key == first.track_key
    track = notion.music.store.track(first.track_key)
    assert track.source_url.endswith("right.mp3") and track.status == "synced"
    assert notion.music.store.analysis(first.track_key).key_name == "F major"


def test_failures_become_one_task_that_closes_when_the_track_syncs(notion, instance, audio_set, tmp_path):
    """The failed step reports itself, with no daemon running (as under `musicsync sync` or
    `dagster job execute`); the daemon's run-failure sensor, when it runs, does not count it twice."""
    site = tmp_path / "site"
    site.mkdir()
    with serve_folder(site) as base:
        url = f"{base}/later.opus"
        for with_daemon in (False, True):
            results = sync_tracks(instance, notion.resources, [url])
            if with_daemon:
                report_failures(instance, notion.resources, results)
        [task] = notion.fake.rows(notion.tasks)
        assert (task["Error Class"], task["Severity"], task["Count"], task["Status"]) == (
            "download_failed", "high", 2, "Open")
        assert task["Track Key"] == results[0].track_key and task["Step"] == "track_metadata"
        assert task["Run URL"] == f"http://dagster.local:3000/runs/{results[0].run_id}"
        assert task["Task"].startswith("HIGH: download failed") and task["Source URL"] == url
        assert "check that the link opens" in task["Next Action"]
        [page] = notion.fake.rows(notion.tracks)
        assert page["Status"] == "failed"

        copy_into(site, audio_set["opus"], "later.opus")
        assert sync_tracks(instance, notion.resources, [url])[0].ok
    [task] = notion.fake.rows(notion.tasks)
    assert task["Status"] == "Done"
    [page] = notion.fake.rows(notion.tracks)
    assert page["Status"] == "synced"


def test_nothing_is_lost_while_notion_is_away(notion, instance, audio_set):
    notion.fake.fail_next(503, "service_unavailable", count=10_000)
    results = sync_tracks(instance, notion.resources, [str(audio_set["mp3"].path), str(audio_set["flac"].path)])
    assert all(r.ok for r in results), "the local sync completes"
    backlog = notion.music.store.notion_backlog()
    assert [item["track_key"] for item in backlog] == [r.track_key for r in results]
    assert "503" in backlog[0]["last_error"]

    notion.fake.faults.clear()
    context = dg.build_sensor_context(instance=instance, resources=notion.resources)
    notion_backlog_sensor(context)
    assert notion.music.store.notion_backlog() == []
    assert [row["Track Key"] for row in notion.fake.rows(notion.tracks)] == [r.track_key for r in results]


def test_two_processes_sending_the_backlog_at_once_make_each_page_once(notion):
    """Two track runs failing together each send the backlog as their step fails: the second
    waits for the first, then finds its updates sent, rather than making each page a second time."""
    store = notion.music.store
    for n in range(3):
        store.register_track(f"url-{n}", "url", f"https://example.com/{n}.mp3", str(n))
        store.update_track(f"url-{n}", title=f"Song {n}", artists=["Artist"])
        store.enqueue_notion("track", f"url-{n}")
    notion.fake.latency_s = 0.1
    sessions = [notion.resources["notion"].sync(notion.music) for _ in range(2)]  # a client each, as two runs
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda session: session.drain(), sessions))
    assert sorted(result["sent"] for result in results) == [0, 3]
    assert sorted(row["Track Key"] for row in notion.fake.rows(notion.tracks)) == ["url-0", "url-1", "url-2"]


def test_a_page_whose_answer_is_lost_is_made_once(notion):
    """Notion makes the page but its answer comes after the client has given up (or the connection
    drops): the create is not sent again, and the backlog's next attempt finds the task or the
    track's page it made, rather than making either twice or counting the failure twice, even
    when the track's page had just been looked for and not found."""
    store = notion.music.store
    store.register_track("url-l", "url", "https://example.com/l.mp3", "l")
    store.update_track("url-l", title="Late", artists=["Artist"], status="failed")
    impatient = NotionGateway(notion.fake.token, notion.base, requests_per_s=1000.0, timeout_s=0.3, backoff_s=0.01)
    session = NotionSync(notion.resources["notion"].settings(notion.music.formats), store, gateway=impatient)
    assert session.pull_edits("url-l") == {"page": "none yet"}  # remembered for a while: no page
    session.queue_failure("url-l", "download_failed", "the link is dead — check that the link opens",
                          "track_metadata", "run-1")
    notion.fake.late_create_answers_s = 0.6
    for lost in ("the task", "the page"):
        drained = session.drain()
        assert drained["waiting"] == (2 if lost == "the task" else 1), lost
        assert "could not be reached" in str(drained["blocked"])
        time.sleep(0.4)  # the answer Notion was still sending
    notion.fake.late_create_answers_s = 0.0
    assert session.drain()["waiting"] == 0
    [task] = notion.fake.rows(notion.tasks)
    [page] = notion.fake.rows(notion.tracks)
    assert (task["Track Key"], task["Count"], page["Track Key"]) == ("url-l", 1, "url-l")
    assert notion.fake.count("POST", "/v1/pages") == 2, "the task and the page, each once"


def test_an_eagle_task_stays_open_until_the_item_is_in_eagle(notion):
    """Eagle refusing a track fails its run while the track itself is synced: its page upsert must
    not close the task the failure just opened."""
    store, session = notion.music.store, notion.resources["notion"].sync(notion.music)
    store.register_track("url-e", "url", "https://example.com/e.mp3", "e")
    store.update_track("url-e", title="Refused", artists=["Artist"], status="synced")
    session.queue_failure("url-e", "eagle", "Eagle refused folder/list: Invalid token — check the Eagle app",
                          "eagle_item", "run-1")
    store.enqueue_notion("track", "url-e")
    session.drain()
    [task] = notion.fake.rows(notion.tasks)
    assert (task["Error Class"], task["Status"]) == ("eagle", "Open")
    store.save_eagle_item("url-e", "ITEM1")
    store.save_match("url-e", "https://music.youtube.com/watch?v=x", 0.8766, "score", [])
    store.enqueue_notion("track", "url-e")
    session.drain()
    [task] = notion.fake.rows(notion.tasks)
    assert task["Status"] == "Done"
    [page] = notion.fake.rows(notion.tracks)
    assert (page["Eagle ID"], page["Match Score"]) == ("ITEM1", 0.877)


def test_edits_of_a_track_key_the_catalog_does_not_know_are_a_readable_error(notion):
    with pytest.raises(UnknownTrack, match="track file-nonexistent is not in the catalog"):
        notion.resources["notion"].sync(notion.music).pull_edits("file-nonexistent")


def test_rate_limits_are_waited_out_or_deferred(notion):
    gateway = NotionGateway(notion.fake.token, notion.base, requests_per_s=1000.0, backoff_s=0.01)
    notion.fake.fail_next(429, "rate_limited", count=2, retry_after=0)
    assert gateway.schema(notion.tracks)
    notion.fake.fail_next(429, "rate_limited", retry_after=3600)
    with pytest.raises(NotionUnavailable, match="rate limiting musicsync until"):
        gateway.schema(notion.tracks)
    notion.fake.fail_next(529, "service_overload", count=2)
    assert gateway.schema(notion.tracks), "529 is backed off and retried"


def test_answers_without_notions_error_json_are_read_by_their_status(notion):
    """A proxy or gateway in front of Notion answers without Notion's error body, and Notion has
    codes notion-client does not know: the status still says what happened."""
    gateway = NotionGateway(notion.fake.token, notion.base, requests_per_s=1000.0, backoff_s=0.01)
    notion.fake.fail_next(429, "rate_limited", retry_after=0, by_proxy=True)
    notion.fake.fail_next(409, "conflict_error")
    assert gateway.schema(notion.tracks), "a 429 is waited out and a conflict retried, as Notion asks"
    assert gateway.requests_made == 3
    notion.fake.fail_next(401, "unauthorized", by_proxy=True)
    with pytest.raises(NotionAuthError, match="refused the token"):
        gateway.schema(notion.tracks)
    notion.fake.fail_next(403, "restricted_resource", by_proxy=True)
    with pytest.raises(NotionNotShared, match="cannot see the database schema"):
        gateway.schema(notion.tracks)
    notion.fake.fail_next(400, "missing_version")
    with pytest.raises(NotionRejected, match="missing_version"):
        gateway.schema(notion.tracks)


def test_the_client_keeps_to_three_requests_a_second(notion):
    gateway = NotionGateway(notion.fake.token, notion.base)
    for _ in range(7):
        gateway.schema(notion.tracks)
    assert notion.fake.peak_rate(1.0) <= 3


def test_long_titles_emoji_and_right_to_left_text(notion, instance, audio_set, tmp_path):
    from musicsync_assets.lib.audio.tags import TagSet, write_tags

    title = "שלום עולם 🎧 " + "x" * 2500
    tagged = copy_into(tmp_path, audio_set["mp3"], "long.mp3")
    write_tags(tagged, TagSet(title=title, artists=["Ørjan 🎛"]))
    [result] = sync_tracks(instance, notion.resources, [str(tagged)])
    assert result.ok
    [row] = notion.fake.rows(notion.tracks)
    assert row["Name"] == title and row["Artists"] == "Ørjan 🎛"


def test_missing_properties_fail_the_page_with_the_list(tmp_path, instance, audio_set):
    fake = FakeNotion()
    partial = {n: t for n, t in track_schema_properties().items() if n not in ("BPM", "Camelot")}
    partial["Key"] = "number"
    database, data_source = fake.add_database(partial)
    with serve(fake) as base:
        resources = library_resources(tmp_path / "data", token=fake.token, api_url=base, tracks_database=database,
                                      requests_per_s=1000.0)
        [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
        assert not result.ok and "missing BPM" in result.reason and "Key is number" in result.reason
        assert resources["music_library"].store.track(result.track_key).status == "synced", "the library has it"
        assert fake.rows(data_source) == [], "no half-written page"

        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NOTION_")},
               "MUSICSYNC_DATA_DIR": str(tmp_path / "data"), "NOTION_TOKEN": fake.token,
               "NOTION_TRACKS_DATABASE": database, "MUSICSYNC_NOTION_API_URL": base}
        check = [sys.executable, "-m", "musicsync_assets.cli", "notion", "check"]
        before = subprocess.run(check, check=False, capture_output=True, text=True, env=env, timeout=120)
        assert before.returncode == 1 and "missing BPM" in before.stdout and "Key is number" in before.stdout
        fixed = subprocess.run([*check, "--fix"], check=False, capture_output=True, text=True, env=env, timeout=120)
        assert "added BPM, Camelot" in fixed.stdout
        assert fixed.returncode == 1 and "Key is number" in fixed.stdout, "the user's own property is left alone"
        assert fake.schemas[data_source]["Key"]["type"] == "number"
        assert fake.token not in before.stdout + before.stderr + fixed.stdout + fixed.stderr


def test_a_status_property_lacking_options_musicsync_writes_is_named_by_the_check(tmp_path):
    """Notion's own "status" type creates no option on write (a select does) and the API cannot add
    one: the check says which to add by hand."""
    fake = FakeNotion()
    database, data_source = fake.add_database({**track_schema_properties(), "Status": "status"})
    fake.schemas[data_source]["Status"]["status"] = {"options": [{"name": "synced"}, {"name": "failed"}]}
    with serve(fake) as base:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("NOTION_")},
               "MUSICSYNC_DATA_DIR": str(tmp_path / "data"), "NOTION_TOKEN": fake.token,
               "NOTION_TRACKS_DATABASE": database, "MUSICSYNC_NOTION_API_URL": base}
        check = subprocess.run([sys.executable, "-m", "musicsync_assets.cli", "notion", "check"], check=False,
                               capture_output=True, text=True, env=env, timeout=120)
    assert check.returncode == 1
    assert "✘ Tracks: Status is a Notion status without the options pending, needs review, unavailable: add them " \
           "in Notion" in check.stdout, check.stdout
    assert "--fix" not in check.stdout, "which cannot add them"


def test_a_wrong_database_or_a_revoked_token(tmp_path, instance, audio_set, notion):
    unknown = library_resources(tmp_path / "other", token=notion.fake.token, api_url=notion.base,
                                tracks_database="ffffffffffffffffffffffffffffffff", requests_per_s=1000.0,
                                retry_backoff_s=0.01)
    [result] = sync_tracks(instance, unknown, [str(audio_set["mp3"].path)])
    assert result.ok, "the local sync does not depend on Notion"
    [item] = unknown["music_library"].store.notion_backlog()
    assert "share the database" in item["last_error"]

    revoked = library_resources(tmp_path / "revoked", token="secret_revoked", api_url=notion.base,
                                tracks_database=notion.tracks, requests_per_s=1000.0, retry_backoff_s=0.01)
    [result] = sync_tracks(instance, revoked, [str(audio_set["flac"].path)])
    assert result.ok
    [item] = revoked["music_library"].store.notion_backlog()
    assert "401" in item["last_error"] and "NOTION_TOKEN" in item["last_error"]
    assert "secret_revoked" not in item["last_error"]
    from musicsync_assets.lib import doctor

    waiting = doctor._notion_backlog(revoked["music_library"].paths)
    assert waiting.state == "broken" and "refused the token" in waiting.detail, "a person must set a token"


def test_a_database_with_several_data_sources(tmp_path):
    """Notion lets a database hold several data sources: musicsync writes to the one called Tracks,
    takes a data source's own ID as it is, and names them all when it cannot tell."""
    fake = FakeNotion()
    tracks_db, tracks_ds = fake.add_database(track_schema_properties())
    fake.add_data_source(tracks_db, "Archive", {"Notes": "rich_text"})
    other_db, other_ds = fake.add_database(track_schema_properties(), source_name="Old tracks")
    archive = fake.add_data_source(other_db, "Archive", {})
    with serve(fake) as base:
        def session(database: str, data: str):
            resources = library_resources(tmp_path / data, token=fake.token, api_url=base, tracks_database=database,
                                          requests_per_s=1000.0, retry_backoff_s=0.01)
            music = resources["music_library"]
            music.store.register_track("url-1", "url", "https://example.com/1.mp3", "1")
            music.store.update_track("url-1", title="One", artists=["Artist"])
            return resources["notion"].sync(music)

        assert session(tracks_db, "named").push_track("url-1") == "created"
        assert [row["Track Key"] for row in fake.rows(tracks_ds)] == ["url-1"]
        assert session(other_ds, "by-id").push_track("url-1") == "created"
        assert [row["Track Key"] for row in fake.rows(other_ds)] == ["url-1"]
        with pytest.raises(NotionNotShared, match=f"none is called Tracks: Archive \\({archive}\\), Old tracks"):
            session(other_db, "unclear").push_track("url-1")

        both_db, both_tracks = fake.add_database(track_schema_properties())
        both_tasks = fake.add_data_source(both_db, "Agent-Tasks", task_schema_properties())
        resources = library_resources(tmp_path / "both", token=fake.token, api_url=base, tracks_database=both_db,
                                      tasks_database=both_db, requests_per_s=1000.0, retry_backoff_s=0.01)
        music = resources["music_library"]
        music.store.register_track("url-2", "url", "https://example.com/2.mp3", "2")
        music.store.update_track("url-2", title="Two", artists=["Artist"], status="failed")
        both = resources["notion"].sync(music)
        both.queue_failure("url-2", "download_failed", "the link is dead — check the link", "track_metadata", "run-2")
        assert both.drain()["waiting"] == 0
        assert [row["Track Key"] for row in fake.rows(both_tracks)] == ["url-2"]
        assert [row["Track Key"] for row in fake.rows(both_tasks)] == ["url-2"]


def test_not_configured_is_not_broken(resources, instance, audio_set):
    [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert result.ok
    for asset in ("notion_edits", "notion_track_page"):  # absent, not a green "not configured"
        assert instance.fetch_materializations(dg.AssetKey(asset), limit=1).records == []
    assert {e.step_key for e in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)} \
        >= {"track_metadata", "library_entry"}


def test_a_property_the_user_renamed(tmp_path, instance, audio_set):
    fake = FakeNotion()
    schema = track_schema_properties()
    schema["Tempo"] = schema.pop("BPM")
    database, data_source = fake.add_database(schema)
    with serve(fake) as base:
        resources = library_resources(tmp_path / "data", token=fake.token, api_url=base, tracks_database=database,
                                      property_names={"BPM": "Tempo"}, requests_per_s=1000.0)
        [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert result.ok
    [row] = fake.rows(data_source)
    assert row["Tempo"] == pytest.approx(128, abs=0.5) and "BPM" not in row


def test_a_500_mid_batch_leaves_no_duplicate(notion, instance, audio_set):
    store = notion.music.store
    results = sync_tracks(instance, notion.resources, [str(audio_set["mp3"].path), str(audio_set["flac"].path)])
    for result in results:
        store.update_track(result.track_key, status="pending")  # both pages now need an update
        store.enqueue_notion("track", result.track_key)
    notion.fake.fail_next(500, "internal_server_error", count=4)  # every attempt of the first update
    session = notion.resources["notion"].sync(notion.music)
    first = session.drain()
    assert first["sent"] == 0 and first["waiting"] == 2, "the backlog stops at the failure and keeps its order"
    second = session.drain()
    assert second["sent"] == 2 and second["waiting"] == 0
    assert len(notion.fake.rows(notion.tracks)) == 2
    assert {row["Status"] for row in notion.fake.rows(notion.tracks)} == {"pending"}


def test_queries_follow_the_cursor(notion):
    for n in range(5):
        notion.fake.add_page(notion.tracks, {"Name": f"hand-made {n}", "Album": "same"})
    gateway = NotionGateway(notion.fake.token, notion.base, requests_per_s=1000.0)
    before = notion.fake.count("POST")
    found = list(gateway.query(notion.tracks, {"property": "Album", "rich_text": {"equals": "same"}}, page_size=2))
    assert len(found) == 5 and notion.fake.count("POST") - before == 3


def test_links_added_to_notion_by_hand_are_synced_once(notion, instance, audio_set, audio_url, audio_root):
    from musicsync_assets.defs.sources.likes import notion_queue_sensor

    first = url_of(audio_url, audio_root, audio_set["opus"])
    second = url_of(audio_url, audio_root, audio_set["mp3"])
    notion.fake.add_page(notion.tracks, {"Name": "play this", "Source URL": first})
    notion.fake.add_page(notion.tracks, {"Name": "and this", "Source URL": second})
    notion.fake.add_page(notion.tracks, {"Name": "an idea, no link yet"})

    def tick():
        definitions = track_definitions(notion.resources, sensors=[notion_queue_sensor])
        result = notion_queue_sensor.evaluate_tick(dg.build_sensor_context(
            instance=instance, instance_ref=instance.get_ref(), definitions=definitions, resources=notion.resources))
        return [r.partition_key for r in result.run_requests]

    keys = tick()
    assert len(keys) == 2 and keys == tick()  # still queued until synced, same keys
    results = sync_tracks(instance, notion.resources, keys)
    assert all(r.ok for r in results)
    assert tick() == []
    rows = {row["Source URL"]: row for row in notion.fake.rows(notion.tracks)}
    assert len(rows) == 3  # the hand-made pages were adopted and filled in, not duplicated
    assert rows[first]["Track Key"] == keys[0] and rows[second]["Downloaded"] is True
