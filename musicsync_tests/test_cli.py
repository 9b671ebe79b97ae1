"""The command line as people and scripts use it: `dagster job execute` and `musicsync`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from musicsync_assets.lib.audio import codec
from musicsync_assets.lib.catalog.store import Store

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str], data_dir: Path, cwd: Path | None = None, **env) -> subprocess.CompletedProcess:
    # Nothing from the developer's own setup (a Dagster home, Notion credentials) leaks in.
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("NOTION_", "SOUNDCLOUD_", "SPOTIFY_", "DAGSTER_HOME"))}
    environment.update({"MUSICSYNC_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dagster_home"), **env})
    return subprocess.run(args, check=False, capture_output=True, text=True, cwd=cwd or REPO, env=environment, timeout=300)


def musicsync(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "musicsync_assets.cli", *args], data_dir)


def test_dagster_job_execute_adds_the_named_files_then_syncs_a_track_by_partition(tmp_path, audio_set):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    config = tmp_path / "sync.yaml"
    config.write_text(f"ops:\n  add_sources:\n    config:\n      sources:\n        - '{audio_set['mp3'].path}'\n")
    execute = [sys.executable, "-m", "dagster", "job", "execute", "-m", "musicsync_assets.definitions"]
    added = run([*execute, "-j", "sync", "-c", str(config)], tmp_path / "data", DAGSTER_HOME=str(home))
    assert added.returncode == 0, added.stderr[-3000:]
    store = Store(tmp_path / "data" / "musicsync.duckdb")
    [track] = store.tracks()
    assert track.status == "pending"  # added; its own run syncs it
    assert f"`musicsync sync {track.track_key}` syncs them now" in added.stdout + added.stderr, "says who syncs it"
    done = run([*execute, "-j", "sync_track", "--tags", json.dumps({"dagster/partition": track.track_key})],
               tmp_path / "data", DAGSTER_HOME=str(home))
    assert done.returncode == 0, done.stderr[-3000:]
    track = store.track(track.track_key)
    assert (track.status, track.title) == ("synced", "Copper Sun")
    assert {f.format for f in store.files(track.track_key)} == {"m4a", "wav", "aiff"}

    copy = tmp_path / "copy.mp3"
    copy.write_bytes(audio_set["mp3"].path.read_bytes())
    config.write_text(f"ops:\n  add_sources:\n    config:\n      sources:\n        - '{copy}'\n")
    again = run([*execute, "-j", "sync", "-c", str(config)], tmp_path / "data", DAGSTER_HOME=str(home))
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{copy}: same audio as Lumen Drive - Copper Sun, already in the library (synced)" in again.stderr
    assert "added" not in again.stderr, "nothing for requested_tracks_sensor to run"


def test_analyze_json_gives_one_object_per_file(tmp_path, audio_set):
    done = musicsync("analyze", "--json", str(audio_set["aac"].path), str(audio_set["flac"].path),
                     data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert set(first) >= {"path", "bpm", "bpm_confidence", "key", "camelot", "key_confidence", "duration_s",
                          "bpm_int", "open_key", "beat_offset_s", "intro_s", "outro_s", "energy"}
    assert first["open_key"] == "1m" and first["bpm_int"] == 124 and 1 <= first["energy"] <= 10
    assert (first["key"], first["camelot"]) == ("A minor", "8A")
    assert first["bpm"] == pytest.approx(124, abs=0.5)
    assert second["key"] == "E minor" and second["duration_s"] == pytest.approx(12, abs=0.1)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: a BLAS uses one thread anyway")
def test_analyze_runs_its_matrix_products_on_one_thread():
    """OpenBLAS on every core only spun between the analysis's small products: twice the CPU for
    the same wall time. The command pins it unless the user set a count."""
    probe = ("import musicsync_assets.cli, numpy, threadpoolctl; "
             "print(max(pool['num_threads'] for pool in threadpoolctl.threadpool_info() if pool['user_api'] == 'blas'))")
    unset = {k: v for k, v in os.environ.items() if "_THREADS" not in k}
    pinned = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=unset)
    assert pinned.stdout.strip() == "1"
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        chosen = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                                env={**unset, variable: "2"})
        assert chosen.stdout.strip() == "2", variable


def test_analyze_explains_a_bad_file(tmp_path, audio_set):
    done = musicsync("analyze", str(audio_set["not_audio"].path), data_dir=tmp_path)
    assert done.returncode == 1 and "is not an audio file" in done.stderr


def test_analyze_says_in_one_line_what_is_wrong_with_each_file_and_goes_on(tmp_path, audio_set):
    done = musicsync("analyze", str(tmp_path / "missing.mp3"), str(tmp_path), str(audio_set["truncated"].path),
                     str(audio_set["silent"].path), str(audio_set["mp3"].path), data_dir=tmp_path)
    assert done.returncode == 1
    missing, folder, truncated = done.stderr.strip().splitlines()
    assert missing.endswith("missing.mp3 does not exist or is not a file — check the path")
    assert folder == f"{tmp_path}: {tmp_path} does not exist or is not a file — check the path"
    assert "truncated.wav is truncated: 4.0 s decoded of 10.0 s declared" in truncated
    silent, mp3 = done.stdout.splitlines()
    assert silent == f"{audio_set['silent'].path}: no tempo, no key, 8.0 s"
    assert mp3.startswith(f"{audio_set['mp3'].path}: 128.0 BPM") and "F major = 7B" in mp3


def test_counts_and_flags_mean_what_they_say(tmp_path, audio_set):
    for limit in ("0", "-1"):
        refused = musicsync("runs", "--limit", limit, data_dir=tmp_path)
        assert refused.returncode == 2 and f"{limit} is not a count: give 1 or more" in refused.stderr
    assert musicsync("runs", data_dir=tmp_path).stdout.strip() == "(no runs)"
    dry = musicsync("sync", "--dry-run", "-v", str(audio_set["mp3"].path), data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr


def test_analyze_decodes_mp3_and_vorbis_without_ffmpeg(tmp_path, audio_set):
    """ffmpeg took three times libsndfile's CPU to decode an MP3, and a second process to probe it.
    With no ffmpeg to be found, an MP3 and a Vorbis file are still analysed; the M4A beside them,
    which only ffmpeg decodes, shows that there was none."""
    vorbis = tmp_path / "flac-as.ogg"
    subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-i", str(audio_set["flac"].path), "-vn",
                    "-c:a", "libvorbis", str(vorbis)], check=True)
    no_ffmpeg = {"PATH": str(Path(sys.executable).parent), "IMAGEIO_FFMPEG_EXE": str(tmp_path / "no-ffmpeg")}
    done = run([sys.executable, "-m", "musicsync_assets.cli", "analyze", "--json", str(audio_set["mp3"].path),
                str(vorbis), str(audio_set["aac"].path)], tmp_path, **no_ffmpeg)
    mp3, ogg, m4a = (json.loads(line) for line in done.stdout.splitlines())
    assert mp3["bpm"] == pytest.approx(audio_set["mp3"].bpm, abs=0.5), done.stderr
    assert ogg.get("key") == "E minor", ogg
    assert ogg["bpm"] == pytest.approx(audio_set["flac"].bpm, abs=0.5)
    assert "IMAGEIO_FFMPEG_EXE" in m4a["error"] and "bpm" not in m4a, "a missing ffmpeg is one line, no traceback"


def test_analyze_explains_a_damaged_mp3_in_one_line(tmp_path, audio_set):
    """The MP3 decoder inside libsndfile writes its own complaints to stderr; the user sees only
    musicsync's line, without ffmpeg's internals."""
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(audio_set["mp3"].path.read_bytes()[:4000] + np.random.default_rng(1).bytes(60_000))
    done = musicsync("analyze", str(damaged), data_dir=tmp_path)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"{damaged}: damaged.mp3 could not be decoded: ") and "@ 0x" not in line
    assert line.endswith("the file is damaged or truncated; download or copy it again")


def test_sync_then_library_json(tmp_path, audio_set):
    done = musicsync("sync", str(audio_set["opus"].path), str(audio_set["silent"].path), data_dir=tmp_path)
    assert done.returncode == 1, "a failed track makes the exit status non-zero"
    [failure] = [line for line in done.stdout.splitlines() if line.startswith("✘")]
    assert "silence.wav" in failure and "silent" in failure and "Traceback" not in done.stdout + done.stderr
    assert "✔ remote-song" in done.stdout
    listed = json.loads(musicsync("library", "--json", data_dir=tmp_path).stdout)
    by_status = {entry["status"]: entry for entry in listed}
    assert set(by_status) == {"synced", "failed"}
    synced = by_status["synced"]
    assert set(synced) >= {"track_key", "title", "artists", "status", "bpm", "key", "camelot", "files", "sources",
                           "energy", "beat_offset_s"}
    assert synced["key"] == "D major" and set(synced["files"]) == {"m4a", "wav", "aiff"}
    assert synced["sources"][0]["kind"] == "file"
    runs = musicsync("runs", data_dir=tmp_path)
    assert "silent_audio" in runs.stdout and "SUCCESS" in runs.stdout

    copy = tmp_path / "copy of the song.opus"
    copy.write_bytes(audio_set["opus"].path.read_bytes())
    again = musicsync("sync", str(copy), data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    [line] = again.stdout.strip().splitlines()
    assert line.startswith(f"· {copy}: same audio as ") and line.endswith("already in the library (synced)")
    assert musicsync("runs", data_dir=tmp_path).stdout == runs.stdout, "nothing to do, so no run"
    overridden = musicsync("override", synced["track_key"], "--bpm", "174", data_dir=tmp_path)
    assert "✔ remote-song: 174.0 BPM, D major, 10B (your bpm)" in overridden.stdout, overridden.stdout


def test_a_dry_run_names_the_tracks_and_touches_nothing(tmp_path, audio_set):
    done = musicsync("sync", "--dry-run", str(audio_set["flac"].path), str(tmp_path / "missing.mp3"),
                     data_dir=tmp_path / "data")
    assert done.returncode == 1  # one source would be refused
    assert "file-" in done.stdout and "would be added and synced" in done.stdout
    assert "missing.mp3: would be refused" in done.stdout
    assert not (tmp_path / "data").exists()


def test_an_unwritable_data_folder_is_one_line(tmp_path, audio_set):
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    done = musicsync("sync", str(audio_set["flac"].path), data_dir=blocked / "data")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "MUSICSYNC_DATA_DIR" in done.stderr, done.stderr


def test_doctor_reports_what_is_configured(tmp_path):
    done = musicsync("doctor", data_dir=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "✔ ffmpeg" in done.stdout and "✔ catalog" in done.stdout
    assert "· Notion" in done.stdout and "not configured" in done.stdout


def test_doctor_fails_when_the_data_dir_is_unusable(tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    done = musicsync("doctor", data_dir=blocked)
    assert done.returncode == 1 and "✘ data directory" in done.stdout


def test_override_refuses_what_is_not_a_tempo_or_a_key(tmp_path, audio_set):
    store = Store(tmp_path / "musicsync.duckdb")
    store.register_track("file-abc", "file", str(audio_set["flac"].path), "abc")
    not_a_key = musicsync("override", "file-abc", "--key", "H minor", data_dir=tmp_path)
    assert not_a_key.returncode == 1 and "not a key: 'H minor'" in not_a_key.stderr
    not_a_tempo = musicsync("override", "file-abc", "--bpm", "1280", data_dir=tmp_path)
    assert not_a_tempo.returncode == 1 and "between 20 and 300" in not_a_tempo.stderr
    unknown = musicsync("override", "file-nope", "--bpm", "128", data_dir=tmp_path)
    assert unknown.returncode == 1 and "not in the catalog" in unknown.stderr
    recorded = musicsync("override", "file-abc", "--key", "Am", "--bpm", "174", "--no-sync", data_dir=tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    assert "musicsync sync file-abc" in recorded.stdout
    track = store.track("file-abc")
    assert (track.bpm_override, track.key_override) == (174.0, "A minor")


def test_sync_from_soundcloud_likes_dry_run_lists_without_changing_anything(tmp_path):
    from musicsync_tests.fakes.soundcloud_server import CLIENT_ID, serve_soundcloud

    with serve_soundcloud() as fake:
        fake.add_track(2, "Second", "Artist", "2026-01-02T00:00:00Z")
        fake.add_track(1, "First", "Artist", "2026-01-01T00:00:00Z")
        unconfigured = musicsync("sync", "--from", "soundcloud-likes", data_dir=tmp_path)
        done = run([sys.executable, "-m", "musicsync_assets.cli", "sync", "--from", "soundcloud-likes", "--dry-run"],
                   tmp_path, SOUNDCLOUD_CLIENT_ID=CLIENT_ID, SOUNDCLOUD_USER=fake.permalink,
                   MUSICSYNC_SOUNDCLOUD_API_URL=fake.base)
    assert unconfigured.returncode == 1 and "SOUNDCLOUD_CLIENT_ID" in unconfigured.stderr
    assert done.returncode == 0, done.stderr
    assert "sc-1  Artist - First (200 s): to sync" in done.stdout
    assert done.stdout.index("sc-1 ") < done.stdout.index("sc-2 ")  # oldest like first
    assert Store(tmp_path / "musicsync.duckdb").tracks() == []


def test_doctor_shows_tracks_waiting_for_review_and_where_likes_were_read(tmp_path):
    from musicsync_assets.lib.pipeline.discovery import LikesCursor

    store = Store(tmp_path / "musicsync.duckdb")
    store.register_track("sp-abc", "spotify", "https://open.spotify.com/track/abc", "abc")
    store.mark_failed("sp-abc", "no_match", "no upload matched well enough")
    store.save_cursor("spotify-likes", LikesCursor("2026-11-01T10:00:00Z", ["https://x/next"], 4e9).dump())
    done = musicsync("doctor", data_dir=tmp_path)
    assert "1 Spotify tracks had no good enough match" in done.stdout
    assert "read up to the like of 2026-11-01T10:00:00Z; first sync still reading older likes" in done.stdout
    assert "rate limited until" in done.stdout
