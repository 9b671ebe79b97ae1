"""How much reading likes costs: API calls, seconds and runs launched, against the tests' loopback
Spotify and SoundCloud (real spotipy and requests on the wire, the real sensors and catalog).

    python -m benchmarks.discovery [--likes 5000] [--new 10]    (from the repository root)

For each service: a first sync of `--likes` likes (every sensor tick until nothing is left), then
`--new` likes more and one incremental tick. Targets: the incremental tick makes O(new likes) calls
(at most 2 pages per service) in under 2 s; every new like gets its own run, requested by partition.

Then what becomes of the likes found: the matching report (`benchmarks/matching.py`), right, wrong
and review per script and per credit style, for the tuning half and the held-out halves.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg

from benchmarks import matching
from musicsync_assets.defs.sources.likes import soundcloud_likes_sensor, spotify_likes_sensor
from musicsync_tests.conftest import library_resources
from musicsync_tests.fakes import soundcloud_server, spotify_server
from musicsync_tests.harness import track_definitions


def liked_at(n: int) -> str:
    return (datetime(2020, 1, 1) + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def tick(sensor, resources, instance) -> tuple[int, int, float]:
    """(tracks queued, runs requested, seconds) of one evaluation."""
    definitions = track_definitions(resources, sensors=[sensor])
    started = time.perf_counter()
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, instance_ref=instance.get_ref(), definitions=definitions,
                                                          resources=resources))
    seconds = time.perf_counter() - started
    tracks = len({r.partition_key for r in result.run_requests})
    return tracks, len(result.run_requests), seconds


def measure(name: str, sensor, resources, fake, add_like, likes: int, new: int) -> None:
    with dg.instance_for_test() as instance:
        before, ticks, tracks, runs, seconds = len(fake.requests), [], 0, 0, 0.0
        while True:
            queued, requested, took = tick(sensor, resources, instance)
            ticks.append(took)
            tracks, runs, seconds = tracks + queued, runs + requested, seconds + took
            if not queued:
                break
        first_calls = len(fake.requests) - before
        for n in range(likes, likes + new):
            add_like(n)
        before = len(fake.requests)
        queued, requested, took = tick(sensor, resources, instance)
        incremental_calls = len(fake.requests) - before
    print(f"{name:<11} first sync: {tracks} tracks in {len(ticks)} ticks, {first_calls} API calls, {seconds:.1f} s "
          f"(median tick {statistics.median(ticks):.2f} s), {runs} runs ({tracks / max(runs, 1):.0f} tracks per run)")
    print(f"{'':<11} incremental: {queued} new likes, {incremental_calls} API calls, {took:.2f} s, {requested} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--likes", type=int, default=5000)
    parser.add_argument("--new", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="musicsync-discovery-") as tmp, \
            spotify_server.serve_spotify() as spotify, soundcloud_server.serve_soundcloud() as soundcloud:
        for n in reversed(range(args.likes)):
            spotify.add_like(f"{n:022d}", f"Song {n}", ["Artist"], liked_at(n))
            soundcloud.add_track(10_000_000 + n, f"Cloud {n}", "Producer", liked_at(n))
        resources = library_resources(
            Path(tmp) / "data",
            spotify={"client_id": spotify_server.CLIENT_ID, "client_secret": spotify_server.CLIENT_SECRET,
                     "refresh_token": spotify_server.REFRESH_TOKEN, "api_url": spotify.api_url,
                     "token_url": spotify.token_url},
            soundcloud={"client_id": soundcloud_server.CLIENT_ID, "user": soundcloud.permalink,
                        "api_url": soundcloud.base})
        print(f"{args.likes} likes on each service, then {args.new} new ones\n")
        measure("Spotify", spotify_likes_sensor, resources, spotify,
                lambda n: spotify.add_like(f"{n:022d}", f"Song {n}", ["Artist"], liked_at(n), on_top=True),
                args.likes, args.new)
        measure("SoundCloud", soundcloud_likes_sensor, resources, soundcloud,
                lambda n: soundcloud.add_track(10_000_000 + n, f"Cloud {n}", "Producer", liked_at(n), on_top=True),
                args.likes, args.new)
    print("\nSpotify likes matched to YouTube uploads (benchmarks/matching.py)\n")
    for part in ("tune", "held-out", "held-out 2"):
        print("\n".join(matching.report([c for c in matching.CASES if c.part == part], part, show=False)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
