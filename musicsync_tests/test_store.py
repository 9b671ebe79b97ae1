"""The catalog under several processes at once, as under `dagster dev`."""

import multiprocessing
import time
from pathlib import Path

import duckdb
import pytest

from musicsync_assets.lib.catalog.store import CheckRecord, RunRecord, Store, utcnow
from musicsync_assets.lib.catalog.store.connection import SCHEMA_DIGEST
from musicsync_assets.lib.catalog.store.schema import SCHEMA
from musicsync_assets.lib.errors import LibraryBusy


def _writer(db_path: str, worker: int, count: int) -> None:
    store = Store(Path(db_path), lock_timeout_s=60)
    for n in range(count):
        key = f"file-{worker:02d}{n:04d}"
        store.register_track(key, "file", f"/inbox/{key}.mp3")
        store.update_track(key, title=f"Track {n}", artists=[f"Worker {worker}"], status="synced")


def _holder(db_path: str, seconds: float) -> None:
    connection = duckdb.connect(db_path)
    time.sleep(seconds)
    connection.close()


def test_writers_in_many_processes_wait_for_the_lock_instead_of_failing(tmp_path):
    db_path = str(tmp_path / "catalog.duckdb")
    Store(Path(db_path)).ping()
    context = multiprocessing.get_context("spawn")
    holder = context.Process(target=_holder, args=(db_path, 1.5))
    holder.start()
    time.sleep(0.3)
    writers = [context.Process(target=_writer, args=(db_path, w, 15)) for w in range(4)]
    for process in writers:
        process.start()
    for process in [holder, *writers]:
        process.join(120)
    assert [p.exitcode for p in writers] == [0, 0, 0, 0]
    _, rows = Store(Path(db_path)).query("SELECT count(*), count(DISTINCT artists[1]) FROM tracks "
                                               "WHERE status = 'synced'")
    assert rows == [(60, 4)]


def _session_holder(db_path: str, ready: str, seconds: float) -> None:
    store = Store(Path(db_path))
    with store.session():
        store.register_track("file-held", "file", "/held.mp3")
        Path(ready).touch()
        time.sleep(seconds)


def test_a_catalog_held_too_long_is_one_readable_error_and_loses_nothing(tmp_path):
    db_path = tmp_path / "catalog.duckdb"
    Store(db_path).ping()
    ready = tmp_path / "holding"
    holder = multiprocessing.get_context("spawn").Process(target=_session_holder, args=(str(db_path), str(ready), 4))
    holder.start()
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(LibraryBusy) as raised:
            Store(db_path, lock_timeout_s=0.5).register_track("file-late", "file", "/late.mp3")
        assert raised.value.error_class == "catalog_busy" and str(db_path) in str(raised.value)
        assert "\n" not in str(raised.value)
    finally:
        holder.join(60)
    store = Store(db_path)
    assert store.track("file-held") is not None and store.track("file-late") is None
    store.register_track("file-late", "file", "/late.mp3")  # once it is free, the same call works
    assert store.track("file-late") is not None


def test_a_call_inside_another_stores_session_does_not_wait_for_its_own_process(tmp_path):
    outer, inner = Store(tmp_path / "c.duckdb", lock_timeout_s=2), Store(tmp_path / "c.duckdb", lock_timeout_s=2)
    with outer.session():
        outer.register_track("file-a", "file", "/a.mp3")
        inner.register_track("file-b", "file", "/b.mp3")
    assert {track.track_key for track in Store(tmp_path / "c.duckdb").tracks()} == {"file-a", "file-b"}


def test_run_history_upserts_and_keeps_check_results(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    started = utcnow()
    store.record_run(RunRecord("r1", "sync_track", "STARTED", started, None, ["file-1"]))
    store.record_run(RunRecord("r1", "sync_track", "FAILURE", started, started, ["file-1"], "track_audio",
                               "download_failed", "x answered 404"))
    store.record_check(CheckRecord("r1", "file-1", "tags_complete", False, "m4a: bpm missing"))
    store.record_check(CheckRecord("r1", "file-1", "tags_complete", True, "fixed"))
    [run] = store.runs()
    assert (run.status, run.error_class, run.failed_step) == ("FAILURE", "download_failed", "track_audio")
    assert [(c.passed, c.description) for c in store.check_results("r1")] == [(True, "fixed")]


def test_a_failed_session_writes_nothing(tmp_path):
    store = Store(tmp_path / "c.duckdb")
    try:
        with store.session():
            store.register_track("file-a", "file", "/a.mp3")
            raise RuntimeError("half-way")
    except RuntimeError:
        pass
    assert store.track("file-a") is None


def test_an_older_catalog_is_brought_up_to_the_current_schema(tmp_path):
    path = tmp_path / "c.duckdb"
    with duckdb.connect(str(path)) as older:  # as a musicsync from before analysis energy left it
        older.execute(SCHEMA)
        older.execute("ALTER TABLE analysis DROP COLUMN energy")
    store = Store(path)
    assert store.query("SELECT energy FROM analysis")[0] == ["energy"]
    assert store.query("SELECT digest FROM schema_version")[1] == [(SCHEMA_DIGEST,)]
