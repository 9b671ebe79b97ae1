"""Eagle through the project's client against a loopback Eagle speaking its envelope: folders,
adding, finding what is already there, the token, error envelopes, and the app going away."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from musicsync_assets.lib.catalog.store import AnalysisRecord, FileRecord, Store
from musicsync_assets.lib.errors import UnknownTrack
from musicsync_assets.lib.pipeline import eagle_import
from musicsync_assets.lib.pipeline.stages import library_row
from musicsync_assets.lib.services.eagle import EagleClient, EagleError, EagleSettings, EagleUnavailable
from musicsync_tests.fakes.eagle_server import FakeEagle, serve_eagle

TRACKS = {  # key: (title, source URL, bpm, key)
    "sc-1": ("Harbour Lights", "https://soundcloud.com/tidal-state/harbour-lights", 124.0, "A minor"),
    "sc-2": ("Copper Sun", "https://soundcloud.com/lumen-drive/copper-sun", 128.0, "F major"),
    "sp-3": ("Night Ferry", "https://open.spotify.com/track/3", 100.0, "E minor"),
}


@pytest.fixture
def store(tmp_path, audio_set) -> Store:
    """Three synced tracks, each with an M4A in the library."""
    store = Store(tmp_path / "musicsync.duckdb")
    for key, (title, url, bpm, musical_key) in TRACKS.items():
        store.register_track(key, "soundcloud" if key.startswith("sc") else "spotify", url, source_id=key)
        store.update_track(key, title=title, artists=["Tidal State"], status="synced")
        store.save_analysis(AnalysisRecord(key, bpm, 0.9, musical_key, 0.8, None, None, 12.0, -9.0, -1.0, "v", "sha",
                                           energy=6))
        path = tmp_path / "library" / "m4a" / f"Tidal State - {title}.m4a"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(audio_set["aac"].path, path)
        store.save_file(FileRecord(key, "m4a", str(path), "aac", 44100, 2, 12.0, path.stat().st_size, "encode", "d"))
    return store


def client_for(base: str, token: str | None = None) -> EagleClient:
    return EagleClient(EagleSettings(url=base, token=token), timeout_s=5)


def test_two_track_runs_importing_at_once_make_one_folder(store):
    """Two runs on an empty Eagle library each look for the folder, find none and would each make
    it: one imports at a time."""
    with serve_eagle(FakeEagle()) as (fake, base):
        fake.latency_s = 0.05
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda key: eagle_import.import_tracks(
                Store(store.path), client_for(base), [key], "m4a", "DJ Library"), ["sc-1", "sc-2"]))
        assert [o.status for [o] in outcomes] == ["imported", "imported"]
        assert [f["name"] for f in fake.folders] == ["DJ Library"]


def test_a_track_imported_before_is_not_queued_while_the_app_is_closed(store):
    with serve_eagle(FakeEagle()) as (_, base):
        [first] = eagle_import.import_tracks(store, client_for(base), ["sc-1"], "m4a", "DJ Library")
    closed = client_for("http://127.0.0.1:9")  # the app quit: nothing listens
    [again] = eagle_import.import_tracks(store, closed, ["sc-1"], "m4a", "DJ Library")
    assert (first.status, again.status, again.item_id) == ("imported", "cached", first.item_id)
    assert store.eagle_queue() == [], "nothing waits for the app, so the queue sensor has nothing stuck"


def test_another_recording_of_the_same_name_gets_an_item_of_its_own(store):
    """Two tracks named alike (a remaster, a second upload): the item musicsync imported for the
    first is found by name, but it is the first's."""
    store.update_track("sc-2", title="Harbour Lights")
    with serve_eagle(FakeEagle()) as (fake, base):
        outcomes = eagle_import.import_tracks(store, client_for(base), ["sc-1", "sc-2"], "m4a", "DJ Library")
        assert [o.status for o in outcomes] == ["imported", "imported"]
        assert [item["name"] for item in fake.items] == ["Tidal State - Harbour Lights"] * 2
        assert store.eagle_item("sc-1") != store.eagle_item("sc-2")


def test_settings_come_from_the_environment_and_unset_means_not_configured():
    assert EagleSettings.from_env({}) is None
    settings = EagleSettings.from_env({"MUSICSYNC_EAGLE_FOLDER": "DJ", "EAGLE_API_TOKEN": "t0k"})
    assert (settings.url, settings.token, settings.folder) == ("http://localhost:41595", "t0k", "DJ")


def test_import_creates_the_folder_once_and_sends_every_field(store):
    with serve_eagle(FakeEagle(token="s3cret")) as (fake, base):
        outcomes = eagle_import.import_tracks(store, client_for(base, "s3cret"), list(TRACKS), "m4a", "DJ Library")
        assert [o.status for o in outcomes] == ["imported"] * 3
        assert [f["name"] for f in fake.folders] == ["DJ Library"]
        assert fake.requests.count(("POST", "folder/create")) == 1
        item = fake.items[0]
        assert item["name"] == "Tidal State - Harbour Lights"
        assert item["url"] == TRACKS["sc-1"][1] and item["folders"] == [fake.folders[0]["id"]]
        assert item["tags"] == ["124 BPM", "A minor", "8A", "SoundCloud"]
        assert "124.0 BPM · A minor (8A) · energy 6" in item["annotation"] and item["ext"] == "m4a"
        assert store.eagle_item("sc-1") == item["id"]
        assert library_row(store, "sc-1")["eagle_item"] == item["id"]

        again = eagle_import.import_tracks(store, client_for(base, "s3cret"), list(TRACKS), "m4a", "DJ Library")
        assert [o.status for o in again] == ["cached"] * 3 and len(fake.items) == 3


def test_an_item_eagle_already_has_is_adopted_by_url_or_name(store, tmp_path):
    with serve_eagle() as (fake, base):
        folder = fake.add_folder("musicsync")
        fake.items += [
            {"id": "ADOPTED_BY_URL", "name": "renamed in Eagle", "url": TRACKS["sc-1"][1], "folders": [folder["id"]],
             "isDeleted": False},
            {"id": "ADOPTED_BY_NAME", "name": "Tidal State - Copper Sun", "url": "", "folders": [], "isDeleted": False},
        ]
        outcomes = eagle_import.import_tracks(store, client_for(base), list(TRACKS), "m4a", "musicsync")
        assert [(o.status, o.item_id) for o in outcomes[:2]] == [("existing", "ADOPTED_BY_URL"),
                                                                ("existing", "ADOPTED_BY_NAME")]
        assert outcomes[2].status == "imported" and fake.requests.count(("POST", "item/addFromPath")) == 1


def test_an_older_eagle_that_returns_no_item_id_is_asked_for_it(store):
    with serve_eagle(FakeEagle(return_item_id=False)) as (fake, base):
        [outcome] = eagle_import.import_tracks(store, client_for(base), ["sp-3"], "m4a", "musicsync")
        assert outcome.item_id == fake.items[0]["id"]


def test_an_error_envelope_is_a_clear_error_and_the_track_stays_queued(store):
    with serve_eagle() as (fake, base):
        client = client_for(base)
        fake.queued_errors.append("Library is being synced, try later")
        with pytest.raises(EagleError, match="Eagle refused application/info: Library is being synced, try later"):
            client.info()
        fake.add_folder("musicsync")
        fake.queued_errors.append("disk full")
        outcomes = eagle_import.import_tracks(store, client, list(TRACKS), "m4a", "musicsync")
        # The first track's name search met the error; the other two went in.
        assert [o.status for o in outcomes] == ["failed", "imported", "imported"]
        assert "disk full" in outcomes[0].message
        assert [q["track_key"] for q in store.eagle_queue()] == ["sc-1"]
        assert [o.status for o in eagle_import.drain_queue(store, client, "m4a", "musicsync")] == ["imported"]
        assert store.eagle_queue() == []


def test_a_wrong_token_is_refused_with_eagles_message(store):
    with serve_eagle(FakeEagle(token="right")) as (_, base), pytest.raises(EagleError, match="Unauthorized"):
        client_for(base, "wrong").info()


def test_eagle_going_away_mid_batch_queues_the_rest_and_the_queue_drains_when_it_is_back(store):
    fake = FakeEagle()
    with serve_eagle(fake) as (_, base):
        # folder/list, folder/create, the first track's two item/list searches and its addFromPath:
        # then the app quits.
        fake.quit_after = 5
        outcomes = eagle_import.import_tracks(store, client_for(base), list(TRACKS), "m4a", "musicsync")
    assert [o.status for o in outcomes] == ["imported", "queued", "queued"]
    assert "not answering" in outcomes[1].message
    assert [q["track_key"] for q in store.eagle_queue()] == ["sc-2", "sp-3"]

    with pytest.raises(EagleUnavailable, match="Eagle is not answering at"):
        client_for(base).info()  # the port is closed now: the app is not running
    assert eagle_import.drain_queue(store, client_for(base), "m4a", "musicsync") == []
    assert len(store.eagle_queue()) == 2

    fake.quit_after = None
    with serve_eagle(fake) as (_, base):  # the app is back (on its own port)
        drained = eagle_import.drain_queue(store, client_for(base), "m4a", "musicsync")
    assert [o.status for o in drained] == ["imported", "imported"]
    assert store.eagle_queue() == [] and len(fake.items) == 3
    assert len({store.eagle_item(key) for key in TRACKS}) == 3


def test_a_track_without_its_file_fails_alone_and_is_not_queued(store):
    Path(store.files("sc-2")[0].path).unlink()
    with serve_eagle() as (fake, base):
        outcomes = eagle_import.import_tracks(store, client_for(base), list(TRACKS), "m4a", "musicsync")
        assert [o.status for o in outcomes] == ["imported", "failed", "imported"]
        assert "has no m4a file in the library yet" in outcomes[1].message
        assert len(fake.items) == 2 and store.eagle_queue() == []
        with pytest.raises(UnknownTrack, match="sync the track first"):
            eagle_import.item_fields(store, "sc-2", "m4a")


def test_doctor_asks_eagle_through_the_same_client_and_counts_the_queue(tmp_path, monkeypatch):
    from musicsync_assets.lib import doctor
    from musicsync_assets.lib.catalog.paths import DataPaths

    paths = DataPaths(tmp_path / "data")
    Store(paths.database).queue_eagle("sc-1", "Eagle is not answering")
    with serve_eagle(FakeEagle(token="right")) as (_, base):
        monkeypatch.setenv("MUSICSYNC_EAGLE_URL", base)
        monkeypatch.setenv("EAGLE_API_TOKEN", "right")
        found = doctor._eagle(paths)
        waiting = ("reachable, version 4.0.0; 1 queued imports go in on the next sync (the oldest's last try: "
                   "Eagle is not answering)")
        assert (found.state, found.detail) == ("optional", waiting)
        Store(paths.database).save_eagle_item("sc-1", "ITEM1")  # imported: nothing waits
        assert (doctor._eagle(paths).state, doctor._eagle(paths).detail) == ("ok", "reachable, version 4.0.0")
        Store(paths.database).queue_eagle("sc-1", "Eagle is not answering")
        monkeypatch.setenv("EAGLE_API_TOKEN", "wrong")
        assert doctor._eagle(paths).state == "broken" and "Unauthorized" in doctor._eagle(paths).detail
    closed = doctor._eagle(paths)  # the app is closed: optional, not broken
    assert (closed.state, closed.detail.endswith("1 imports wait for it")) == ("optional", True)
