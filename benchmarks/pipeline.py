"""How fast one track goes through the pipeline, against the floor of plain ffmpeg.

    python -m benchmarks.pipeline [--tracks 10] [--seconds 300]        (from the repository root)

Synthesises N tracks (AAC, Opus and MP3 sources in turn), syncs each through a `sync_track` run
launched as `musicsync sync` launches it (through the code location's code server, the run queue
and a run worker process of its own) on a throwaway instance and data directory, one track at a
time, and prints medians of:
- seconds per track for each step, and for the whole run from launch to its end;
- analysis speed as a multiple of real time (decoded PCM in, one core);
- Dagster's share of a track's wall time: right after each run, the same stages on the same source
  without Dagster (into a second library), compared track by track so load on the machine
  weighs on both alike;
- the floor: plain ffmpeg writing the same three files from the same source in one process
  (stream-copying AAC exactly as the pipeline does).
Then it syncs N more tracks at once, as a first sync of many likes or `musicsync sync A B C` runs
them (the queue runs two at a time), and prints how long the whole sync took against the same
work one track after another without Dagster: what a person waiting for it sees. That includes
what running two at a time gains, so it is not a measure of Dagster's overhead; the per-track
share above is.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg

from musicsync_assets import launch
from musicsync_assets.defs.jobs import sync_track_job, track_run_tags
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import build_resources
from musicsync_assets.lib.audio import codec, demo
from musicsync_assets.lib.audio.analysis import analyze_pcm
from musicsync_assets.lib.audio.musickeys import ALL_KEYS
from musicsync_assets.lib.pipeline import stages, verify

SOURCE_CONTAINERS = ("m4a", "opus", "mp3")


def make_sources(folder: Path, count: int, seconds: float, first: int = 0) -> list[Path]:
    sources = []
    for n in range(first, first + count):
        container = SOURCE_CONTAINERS[n % len(SOURCE_CONTAINERS)]
        samples = demo.render(118 + n * 3, ALL_KEYS[n % 24], seconds, seed=n)
        sources.append(demo.write_audio(samples, folder / f"Bench Artist - Track {n:02d}.{container}", container))
    return sources


def ffmpeg_floor(source: Path, scratch: Path) -> float:
    is_aac = codec.probe(source).codec == "aac"
    m4a = ["-c:a", "copy"] if is_aac else ["-c:a", "aac", "-b:a", "256k", "-ar", "44100", "-ac", "2"]
    command = [codec.ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(source),
               "-map", "0:a:0", *m4a, str(scratch / "floor.m4a"),
               "-map", "0:a:0", "-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2", str(scratch / "floor.wav"),
               "-map", "0:a:0", "-c:a", "pcm_s16be", "-ar", "44100", "-ac", "2", str(scratch / "floor.aiff")]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def plain_stages(settings: stages.LibrarySettings, source: Path) -> tuple[float, float]:
    """The same per-track work and checks, called directly: what the run costs without Dagster,
    and what of it the checks take."""
    started = time.perf_counter()
    ref = stages.register(settings.store, str(source))
    stages.resolve_metadata(settings, ref.track_key)
    stages.fetch_original(settings, ref.track_key)
    stages.analyze_and_render(settings, ref.track_key)
    stages.file_in_library(settings, ref.track_key)
    stages.flag_duplicate(settings, ref.track_key)
    checks_started = time.perf_counter()
    verify.audio_problems(settings, settings.store, ref.track_key)
    verify.tag_problems(settings, settings.store, ref.track_key)
    verify.analysis_problems(settings, settings.store.analysis(ref.track_key))
    return time.perf_counter() - started, time.perf_counter() - checks_started


def sync_all(instance: dg.DagsterInstance, launcher: launch.Launcher, store, sources: list[Path]) -> list[str]:
    """Launches a run per source at once and waits for them all, as `musicsync sync` does."""
    keys = [stages.register(store, str(source)).track_key for source in sources]
    instance.add_dynamic_partitions(track_partitions.name, keys)
    run_ids = [launcher.launch(sync_track_job.name, track_run_tags(store, key), key) for key in keys]
    for run in launcher.wait(run_ids):
        if run.status != dg.DagsterRunStatus.SUCCESS:
            key = run.tags["dagster/partition"]
            sys.exit(f"{key} failed: {store.track(key).error_message}")
    return run_ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="musicsync-bench-") as tmp:
        root = Path(tmp)
        (root / "sources").mkdir()
        print(f"Synthesising {args.tracks} tracks of {args.seconds:g} s, twice ...", flush=True)
        sources = make_sources(root / "sources", args.tracks, args.seconds)
        batch = make_sources(root / "sources", args.tracks, args.seconds, first=args.tracks)

        # Warm the analysis imports once, so the runs without Dagster do not pay them either.
        analyze_pcm(codec.decode(sources[0], 44100, 2)[: 44100 * 10], 44100)

        os.environ["MUSICSYNC_DATA_DIR"] = str(root / "dagster-data")  # the code server's library
        os.environ["DAGSTER_HOME"] = str(root / "dagster-home")  # a throwaway instance, not the checkout's
        for name in [n for n in os.environ if n.startswith("NOTION_")]:
            del os.environ[name]
        store = build_resources(notion={}, data_dir=str(root / "dagster-data"))["music_library"].store
        plain_settings = build_resources(notion={}, data_dir=str(root / "plain-data"))["music_library"].settings()
        plain_batch_settings = build_resources(notion={}, data_dir=str(root / "plain-batch"))["music_library"].settings()
        step_seconds: dict[str, list[float]] = defaultdict(list)
        run_seconds, plain_seconds, checks_seconds = [], [], []
        with launch.instance() as instance, launch.launcher(instance) as launcher:
            # Once per command or daemon: the run launcher starts its warm process. Timed apart,
            # like the code server, so that the per-track figures are what every further track pays.
            warm_up = demo.write_audio(demo.render(120, ALL_KEYS[0], 10, seed=99), root / "warm-up.mp3", "mp3")
            started = time.perf_counter()
            sync_all(instance, launcher, store, [warm_up])
            warm_up_s = time.perf_counter() - started
            for source in sources:
                [run_id] = sync_all(instance, launcher, store, [source])
                record = instance.get_run_record_by_id(run_id)
                run_seconds.append(record.end_time - record.create_timestamp.timestamp())
                for step in instance.get_run_step_stats(run_id):
                    step_seconds[step.step_key].append(step.end_time - step.start_time)
                plain, checks = plain_stages(plain_settings, source)
                plain_seconds.append(plain)
                checks_seconds.append(checks)
            # A first sync of many likes: every run launched at once, run by the queue two at a time.
            records = [instance.get_run_record_by_id(run_id) for run_id in sync_all(instance, launcher, store, batch)]
            batch_wall = max(r.end_time for r in records) - min(r.create_timestamp.timestamp() for r in records)
        batch_plain = sum(plain_stages(plain_batch_settings, source)[0] for source in batch)

        analysis_speed, floors = [], []
        for source in sources:
            pcm = codec.decode(source, 44100, 2)
            for _ in range(3):
                started = time.perf_counter()
                analyze_pcm(pcm, 44100)
                analysis_speed.append(len(pcm) / 44100 / (time.perf_counter() - started))
            floors.append(ffmpeg_floor(source, root))

    median = statistics.median
    print(f"\nmusicsync pipeline benchmark: {args.tracks} tracks x {args.seconds:g} s "
          f"(sources: {', '.join(SOURCE_CONTAINERS)} in turn); medians\n")
    print(f"{'step':<40} {'s/track':>8}")
    for step, values in sorted(step_seconds.items(), key=lambda item: -median(item[1])):
        print(f"{step:<40} {median(values):>8.2f}")
    whole, plain, floor = median(run_seconds), median(plain_seconds), median(floors)
    print(f"\n{'whole run, launch to end (with checks)':<40} {whole:>8.2f}")
    print(f"{'same work without Dagster':<40} {plain:>8.2f}")
    print(f"{'floor: plain ffmpeg, same three files':<40} {floor:>8.2f}")
    print(f"{'first run of a session (10 s track)':<40} {warm_up_s:>8.2f}  (starts the warm run-worker process)")
    print(f"\nanalysis speed (one core, decoded PCM): {median(analysis_speed):.0f}x real time")
    print("per track, run / without Dagster: " + ", ".join(
        f"{SOURCE_CONTAINERS[i % len(SOURCE_CONTAINERS)]} {run:.1f}/{alone:.1f}"
        for i, (run, alone) in enumerate(zip(run_seconds, plain_seconds, strict=True))))
    shares = [max(0.0, run - alone) / run for run, alone in zip(run_seconds, plain_seconds, strict=True)]
    print(f"Dagster overhead share of wall time:   {median(shares):.0%}, median of per-track shares "
          f"({median(r - a for r, a in zip(run_seconds, plain_seconds, strict=True)):.2f} s a run)")
    # Per track, then the median: an AAC source's floor is a stream copy of a few seconds, an Opus
    # or MP3 source's a full AAC encode, so medians taken separately would compare different tracks.
    ratios = [run / floor for run, floor in zip(run_seconds, floors, strict=True)]
    by_source = {container: [r for i, r in enumerate(ratios) if SOURCE_CONTAINERS[i % len(SOURCE_CONTAINERS)]
                             == container] for container in SOURCE_CONTAINERS}
    print(f"pipeline / ffmpeg floor:               {median(ratios):.2f}x, median of per-track ratios ("
          + ", ".join(f"{c} sources {median(r):.2f}x" for c, r in by_source.items() if r) + ")")
    print(f"checks (they decode every file again): {median(checks_seconds):.2f} s per track, "
          "in analyze_and_render's step")
    print(f"\n{args.tracks} more tracks synced at once (as `musicsync sync A B C...` launches them, two runs at a "
          f"time): {batch_wall:.1f} s; the same work one track after another without Dagster: {batch_plain:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
