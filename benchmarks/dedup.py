"""How fast duplicates are found: fingerprinting speed, and one new track checked against a library.

    python -m benchmarks.dedup [--sizes 1000,10000] [--queries 15]        (from the repository root)

Fingerprint speed: synthesised 3-minute tracks written as AAC and 128 kbit/s MP3, fingerprinted
from the file (ffmpeg decoding included) several times; the median, as multiples of real time.

Lookup: libraries of N fingerprints. Twenty synthesised two-minute recordings (different tempo,
key and groove) give real music's frame-to-frame structure; each library entry is one of them with
its own random 32-bit mask XORed over every frame, which makes it a different recording with the
same statistics (a mask flips 12 to 20 of the 32 bits, far beyond a re-encode's 15-19 %). One entry
is the real, unmasked track. Queries are a 128 kbit/s MP3 of that track (found) and a recording that is
in no entry (not found), the two cases a sync meets; the median time of `FingerprintIndex.search`.
Index build (once per check or batch) and loading N fingerprints from the DuckDB catalog are
reported beside it.
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from musicsync_assets.lib.audio import codec, demo
from musicsync_assets.lib.audio.fingerprint import SAMPLE_RATE as FP_RATE
from musicsync_assets.lib.audio.fingerprint import (
    Fingerprint,
    FingerprintIndex,
    fingerprint_file,
    fingerprint_pcm,
)
from musicsync_assets.lib.audio.musickeys import PITCH_NAMES, parse_key
from musicsync_assets.lib.catalog import duplicates
from musicsync_assets.lib.catalog.store import Store

GROOVES = ("four_on_the_floor", "house", "techno", "breakbeat", "boom_bap", "half_time")


def _render(index: int, seconds: float) -> np.ndarray:
    key = parse_key(f"{PITCH_NAMES[index * 5 % 12]} {'minor' if index % 2 else 'major'}")
    return demo.render(96.0 + index * 3.7, key, seconds, seed=100 + index, groove=GROOVES[index % len(GROOVES)])


def _mono_pcm(stereo: np.ndarray) -> np.ndarray:
    """The fingerprint's input straight from synthesised audio: mono int16 at its sample rate."""
    mono = stereo.mean(axis=1)
    resampled = np.interp(np.arange(0, len(mono), demo.SAMPLE_RATE / FP_RATE), np.arange(len(mono)), mono)
    return (resampled * 32767).astype(np.int16)


def fingerprint_speed(folder: Path, repeats: int) -> None:
    print("fingerprint speed (3-minute files, decoding included; only the first 120 s is fingerprinted)")
    for container, args in (("m4a", ()), ("mp3", ("-b:a", "128k"))):
        timings = []
        for n in range(3):
            wav = demo.write_audio(_render(n, 180.0), folder / f"speed-{n}.wav", "wav")
            path = folder / f"speed-{n}.{container}"
            subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), *args, str(path)], check=True)
            for _ in range(repeats):
                started = time.perf_counter()
                fingerprint_file(path)
                timings.append(time.perf_counter() - started)
        median = statistics.median(timings)
        print(f"  {container}: median {median * 1000:.0f} ms a file = {180 / median:.0f}× real time "
              f"({120 / median:.0f}× over the 120 s fingerprinted)")


def _masks(rng: np.random.Generator, count: int) -> np.ndarray:
    """Random 32-bit masks that flip 12 to 20 bits: an entry made from the target track with one is
    at least 37 % of bits away from it, a different recording as far as matching can tell."""
    drawn = rng.integers(0, 2 ** 32, size=count * 4, dtype=np.uint64).astype(np.uint32)
    bits = np.unpackbits(drawn.view(np.uint8).reshape(-1, 4), axis=1).sum(axis=1)
    return drawn[(bits >= 12) & (bits <= 20)][:count]


def lookup(folder: Path, sizes: list[int], queries: int) -> None:
    pool = [fingerprint_pcm(_mono_pcm(_render(n, 120.0))) for n in range(20)]
    target = _render(3, 120.0)
    wav = demo.write_audio(target, folder / "target.wav", "wav")
    mp3 = folder / "target-128k.mp3"
    subprocess.run([codec.ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), "-b:a", "128k", str(mp3)], check=True)
    found_query = fingerprint_file(mp3)
    absent_query = fingerprint_pcm(_mono_pcm(_render(40, 120.0)))
    rng = np.random.default_rng(7)
    print(f"lookup of one new track (median of {queries}; {len(pool[0].hashes)} frames a track)")
    for size in sizes:
        masks = _masks(rng, size)
        entries = [(f"lib-{i}", Fingerprint(pool[i % len(pool)].hashes ^ masks[i], 120.0)) for i in range(size - 1)]
        entries.append(("target", pool[3]))
        started = time.perf_counter()
        index = FingerprintIndex(entries)
        index.search(absent_query)  # the first search sorts the index
        build = time.perf_counter() - started
        results = {}
        for name, query in (("duplicate", found_query), ("new", absent_query)):
            timings, matches = [], None
            for _ in range(queries):
                started = time.perf_counter()
                matches = index.search(query)
                timings.append(time.perf_counter() - started)
            results[name] = (statistics.median(timings) * 1000, [m.track_key for m in matches])
        assert results["duplicate"][1] == ["target"] and results["new"][1] == [], results
        print(f"  {size:>6} tracks: duplicate found in {results['duplicate'][0]:.1f} ms, "
              f"new track cleared in {results['new'][0]:.1f} ms (index built in {build:.2f} s)")
    store = Store(folder / "bench.duckdb")
    with store.session():
        for key, fingerprint in entries:
            duplicates.save_fingerprint(store, key, fingerprint)
    started = time.perf_counter()
    loaded = duplicates.load_index(store)
    print(f"  loading {len(loaded)} fingerprints from the catalog: {time.perf_counter() - started:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        fingerprint_speed(Path(folder), args.repeats)
        lookup(Path(folder), [int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
