"""The report's charts as PNG bytes (matplotlib, headless). The same data gives the same bytes, so a
report whose history did not change rewrites nothing."""

import io

from musicsync_assets.lib.audio.musickeys import parse_key

_PNG = {"Software": None}  # no version string: identical data, identical file


def _pyplot():
    """matplotlib on first use: every run loads this module, few draw a chart."""
    import matplotlib

    matplotlib.use("Agg")  # no display: charts are rendered in runs and sensors
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100, metadata=_PNG)
    _pyplot().close(fig)
    return buffer.getvalue()


def per_day(rows: list[dict]) -> bytes:
    """Tracks synced and failures per day ({day, tracks_synced, failures})."""
    fig, ax = _pyplot().subplots(figsize=(7, 3))
    days = [str(row["day"]) for row in rows]
    positions = range(len(days))
    ax.bar([p - 0.2 for p in positions], [row["tracks_synced"] for row in rows], width=0.4, label="synced",
           color="#2e7d32")
    ax.bar([p + 0.2 for p in positions], [row["failures"] for row in rows], width=0.4, label="failed",
           color="#c62828")
    ax.set_xticks(list(positions), days, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("tracks")
    ax.set_title("Tracks synced and failures per day")
    ax.legend()
    return _png(fig)


def stage_times(rows: list[dict]) -> bytes:
    """Median seconds per stage ({asset, median_s})."""
    fig, ax = _pyplot().subplots(figsize=(7, max(2.0, 0.4 * len(rows) + 1)))
    ax.barh([row["asset"] for row in rows][::-1], [row["median_s"] for row in rows][::-1], color="#1565c0")
    ax.set_xlabel("median seconds per run")
    ax.set_title("Time per stage")
    return _png(fig)


def library_spread(bpms: list[float], keys: list[str]) -> bytes:
    """The library's BPM histogram and how its tracks spread over the Camelot wheel."""
    fig, (left, right) = _pyplot().subplots(1, 2, figsize=(9, 3))
    left.hist(bpms, bins=range(60, 200, 5), color="#6a1b9a")
    left.set_xlabel("BPM")
    left.set_ylabel("tracks")
    left.set_title("BPM")
    wheel = [f"{n}{letter}" for letter in "AB" for n in range(1, 13)]
    counts = {code: 0 for code in wheel}
    for key in keys:
        counts[parse_key(key).camelot] += 1
    right.bar(wheel, [counts[code] for code in wheel], color=["#00838f"] * 12 + ["#ef6c00"] * 12)
    right.tick_params(axis="x", labelsize=6, rotation=90)
    right.set_title("Key (Camelot: A minor, B major)")
    return _png(fig)
