"""`musicsync sync` as the Dagster UI sees it: runs launched through the code location, named after
their tracks, checks on each track's partition, the library table; and Ctrl-C that stops the whole
command and loses nothing."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from musicsync_assets import launch
from musicsync_assets.defs.jobs import sync_track_job
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.lib.audio import demo
from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.stages import register_sources
from musicsync_tests.test_cli import REPO, musicsync, run

TRACK_CHECKS = {"audio_formats_valid", "tags_complete", "analysis_plausible", "not_a_duplicate"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """The data folder the command runs on; `launch.instance()` in the test opens the same history."""
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "data" / "dagster_home"))
    return tmp_path / "data"


def test_cli_runs_belong_to_the_code_location_and_are_named(data_dir, audio_set):
    done = musicsync("sync", str(audio_set["aac"].path), str(audio_set["mp3"].path), data_dir=data_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    with launch.instance() as instance:
        records = instance.get_run_records()
        assert sorted(r.dagster_run.job_name for r in records) == ["refresh_library", "sync_track", "sync_track"]
        for record in records:
            run = record.dagster_run
            # Only runs with the code location's origin show on the UI's Overview timeline and job pages.
            assert run.remote_job_origin is not None, run.job_name
            assert run.remote_job_origin.location_name == launch.LOCATION
            assert run.parent_run_id is None and run.root_run_id is None  # no run started inside another
        track_runs = [r.dagster_run for r in records if r.dagster_run.job_name == "sync_track"]
        assert {run.tags["musicsync/track"] for run in track_runs} == {
            "Tidal State - Harbour Lights", "Lumen Drive - Copper Sun"}

        evaluations = [entry.dagster_event.event_specific_data for run in track_runs
                       for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        assert {e.check_name for e in evaluations} == TRACK_CHECKS and len(evaluations) == 8
        assert {e.partition for e in evaluations} == {run.tags["dagster/partition"] for run in track_runs}
        assert all(e.passed for e in evaluations)

        library = instance.get_latest_materialization_event(dg.AssetKey("library")).asset_materialization
        table = library.metadata["tracks"].value
        assert sorted(row.data["title"] for row in table.records) == ["Copper Sun", "Harbour Lights"]
        assert {row.data["status"] for row in table.records} == {"synced"}
        assert library.metadata["status: synced"].value == 2

        for notion_asset in ("notion_edits", "notion_track_page"):  # Notion is not configured
            assert instance.fetch_materializations(dg.AssetKey(notion_asset), limit=1).records == []

        [metadata] = [instance.get_latest_materialization_event(dg.AssetKey("track_analysis"))
                      .asset_materialization.metadata]
        assert metadata["track"].value in {"Tidal State - Harbour Lights", "Lumen Drive - Copper Sun"}


def test_ctrl_c_stops_the_whole_command_and_the_next_sync_resumes(data_dir, tmp_path):
    sources = []
    for n, tonic in enumerate(("C minor", "G major")):
        path = tmp_path / f"long take {n}.flac"
        demo.write_audio(demo.render(120.0 + n, parse_key(tonic), 120, seed=n), path, "flac")
        sources.append(str(path))
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("NOTION_")},
                   "MUSICSYNC_DATA_DIR": str(data_dir)}
    command = subprocess.Popen([sys.executable, "-m", "musicsync_assets.cli", "sync", *sources], cwd=REPO,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_a_started_run(timeout_s=120)
        command.send_signal(signal.SIGINT)
        _, err = command.communicate(timeout=60)
    finally:
        command.kill()
    assert command.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "Stopped" in err

    assert list((data_dir / ".incoming").glob("*")) == []
    store = Store(data_dir / "musicsync.duckdb")
    assert {track.status for track in store.tracks()} <= {"pending", "synced"}, [  # interrupted is not failed
        (track.label, track.error_class, track.error_message) for track in store.tracks()]
    with launch.instance() as instance:
        statuses = {r.dagster_run.status for r in instance.get_run_records()}
    assert statuses <= {dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.SUCCESS}
    assert dg.DagsterRunStatus.CANCELED in statuses

    again = run([sys.executable, "-m", "musicsync_assets.cli", "sync", *sources], data_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {track.status for track in store.tracks()} == {"synced"}


def _wait_for_a_started_run(timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with launch.instance() as instance:
            if instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                time.sleep(2)  # well inside its steps
                return
        time.sleep(0.5)
    raise AssertionError("no run started")


def test_one_run_per_track_at_a_time_however_many_ask(data_dir, audio_set):
    store = Store(data_dir / "musicsync.duckdb")
    [registration] = register_sources(store, [str(audio_set["aac"].path)])
    key = registration.track_key
    with launch.instance() as instance, launch.launcher(instance) as launcher:
        instance.add_dynamic_partitions(track_partitions.name, [key])
        # Two sensors and a command ask for the same track at once.
        run_ids = [launcher.launch(sync_track_job.name, {"musicsync/source": asker}, key)
                   for asker in ("soundcloud-likes", "spotify-likes", "cli")]
        finished = list(launcher.wait(run_ids))
        records = [instance.get_run_record_by_id(run_id) for run_id in run_ids]
        audio_status = [
            entry.asset_materialization.metadata["status"].value
            for run_id in run_ids
            for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            if entry.asset_materialization.asset_key == dg.AssetKey("track_audio")]
    assert {run.status for run in finished} == {dg.DagsterRunStatus.SUCCESS}
    spans = sorted((record.start_time, record.end_time) for record in records)
    assert all(earlier_end <= later_start for (_, earlier_end), (later_start, _) in zip(spans, spans[1:], strict=False))
    assert sorted(audio_status) == ["cached", "cached", "done"]  # one did the work, the others found it done


def test_without_dagster_home_every_entry_point_shares_the_checkouts_instance(monkeypatch, tmp_path):
    """`dagster dev` run from the checkout reads dagster.yaml there; `musicsync` opens the same home
    from anywhere, whatever MUSICSYNC_DATA_DIR says: so CLI runs, with their logs, are in the UI."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    settings = yaml.safe_load((launch.CHECKOUT / "dagster.yaml").read_text())
    home = launch.CHECKOUT / settings["storage"]["sqlite"]["base_dir"]
    assert launch.CHECKOUT / settings["compute_logs"]["config"]["base_dir"] == home / "storage"
    created = not home.exists()
    try:
        with launch.instance() as instance:
            assert Path(instance.root_directory).resolve() == home.resolve()
            assert Path(instance.compute_log_manager._base_dir).resolve() == (home / "storage").resolve()
            assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
    finally:
        if created:  # leave a developer's own run history alone
            shutil.rmtree(home)


def test_dagster_dev_on_a_new_home_writes_the_queue_limits_there_and_says_to_restart(monkeypatch, tmp_path, caplog):
    """`dagster dev` reads its instance before it loads the code location: a DAGSTER_HOME no musicsync
    command has used yet has no queue limits for it. Loading the code location writes them and says so;
    a home with a dagster.yaml of the user's own is left alone."""
    from dagster._core.instance.ref import InstanceRef

    from musicsync_assets.definitions import defs

    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    defs()
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
    assert [r for r in caplog.records if "restart `dagster dev`" in r.getMessage()]
    caplog.clear()
    defs()
    assert not [r for r in caplog.records if "restart" in r.getMessage()], "said once, when it was missing"
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(own))
    defs()
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_runs_fork_from_a_warm_process_that_follows_code_changes(data_dir, audio_set):
    """Run workers are forked from a process that imported Dagster and musicsync already; when the
    code changes on disk, the next run forks from a new one, never from the stale one; when it
    dies, the next run starts another."""
    store = Store(data_dir / "musicsync.duckdb")
    keys = [r.track_key for r in register_sources(store, [str(audio_set["aac"].path), str(audio_set["mp3"].path)])]
    module = Path(launch.__file__).parent / "lib" / "errors.py"
    times = module.stat()
    warm_pids = []
    try:
        with launch.instance() as instance, launch.launcher(instance) as launcher:
            instance.add_dynamic_partitions(track_partitions.name, keys)
            for n, key in enumerate([*keys, keys[0]]):
                if n == 2:
                    os.kill(warm_pids[-1], signal.SIGKILL)
                [run] = launcher.wait([launcher.launch(sync_track_job.name, {}, key)])
                assert run.status == dg.DagsterRunStatus.SUCCESS
                [forked] = [entry.dagster_event.engine_event_data.metadata for entry in
                            instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                            if "forked from the warm process" in entry.message]
                [started] = [entry.dagster_event.engine_event_data.metadata for entry in
                             instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                             if entry.message.startswith("Started process for run")]
                assert int(started["pid"].value) == forked["pid"].value != os.getpid()  # Dagster's run worker, forked
                assert not any(name.startswith(".musicsync") for name in run.tags)
                warm_pids.append(forked["warm_process_pid"].value)
                if n == 0:
                    os.utime(module, (times.st_atime, time.time() + 5))  # an edit, as far as the launcher can tell
    finally:
        os.utime(module, (times.st_atime, times.st_mtime))
    assert len(set(warm_pids)) == 3
    with pytest.raises(ProcessLookupError):  # the stale warm process is gone
        os.kill(warm_pids[0], 0)
    assert {track.status for track in store.tracks()} == {"synced"}
