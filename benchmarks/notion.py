"""How many Notion requests a sync costs, and whether musicsync keeps to Notion's rate.

    python -m benchmarks.notion [--tracks 300]        (from the repository root)

Fills a throwaway catalog with N analysed tracks, then runs exactly what the Notion assets run for
each (read the user's edits, queue the page, drain the backlog) against the loopback fake Notion
of the tests, through notion-client, at the real pacing of 3 requests per second: first for new
tracks, then again with nothing changed. At 3 requests/s, 300 tracks take a few minutes.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from musicsync_assets.lib.catalog.store import AnalysisRecord, FileRecord, OriginalRecord, Store
from musicsync_assets.lib.pipeline.notion_sync import NotionSettings, NotionSync
from musicsync_tests.fakes.notion_server import FakeNotion, serve, track_schema_properties


def fill_catalog(store: Store, count: int) -> list[str]:
    keys = []
    for n in range(count):
        key = f"file-{n:016x}"
        store.register_track(key, "file", f"/inbox/track-{n}.flac")
        store.update_track(key, title=f"Track {n}", artists=["Bench Artist"], album="Bench", duration_s=300.0,
                           status="synced")
        store.save_original(OriginalRecord(key, f"/originals/{key}.flac", "0" * 64, 1, "flac", "flac", 44100, 2,
                                           300.0))
        store.save_analysis(AnalysisRecord(key, 120.0 + n % 40, 0.9, "A minor", 0.8, "8A", "1m", 300.0, -9.0, -0.5,
                                           "bench", "0" * 64))
        for fmt in ("m4a", "wav", "aiff"):
            store.save_file(FileRecord(key, fmt, f"/library/{fmt}/Bench Artist - Track {n}.{fmt}", "x", 44100, 2,
                                       300.0, 1, "encode", "d"))
        keys.append(key)
    return keys


def sync_pass(session: NotionSync, keys: list[str]) -> float:
    """What notion_edits and notion_track_page do for each track of a sync."""
    started = time.perf_counter()
    for key in keys:
        session.pull_edits(key)
        session.store.enqueue_notion("track", key)
        session.drain()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=300)
    args = parser.parse_args()

    fake = FakeNotion()
    database, _ = fake.add_database(track_schema_properties())
    with tempfile.TemporaryDirectory() as tmp, serve(fake) as base:
        store = Store(Path(tmp) / "bench.duckdb")
        keys = fill_catalog(store, args.tracks)
        session = NotionSync(NotionSettings(token=fake.token, tracks_database=database, api_url=base), store)

        first_seconds = sync_pass(session, keys)
        first_requests = len(fake.requests)
        second_seconds = sync_pass(session, keys)
        second_requests = len(fake.requests) - first_requests
        gaps = [b[0] - a[0] for a, b in zip(fake.requests, fake.requests[1:], strict=False)]

    print(f"musicsync Notion benchmark: {args.tracks} tracks against the fake Notion at 3 requests/s\n")
    print(f"{'':<22}{'requests':>10}{'per track':>11}{'seconds':>10}")
    print(f"{'first sync (new)':<22}{first_requests:>10}{first_requests / args.tracks:>11.2f}{first_seconds:>10.1f}")
    print(f"{'re-sync (unchanged)':<22}{second_requests:>10}{second_requests / args.tracks:>11.2f}"
          f"{second_seconds:>10.1f}")
    print(f"\npeak requests in any 1 s window: {fake.peak_rate(1.0)}  "
          f"(median gap between requests {statistics.median(gaps) * 1000:.0f} ms)")
    print("targets: <= 3 per new track, <= 2 per unchanged track, never above 3 requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
