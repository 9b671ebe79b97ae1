"""The workflow report: the last sync, its verification, the gaps, the plans and the trends, as
Markdown with charts, from the DuckDB run history. Everything in it is derived from the catalog, so
the same history gives the same report (and nothing is rewritten)."""

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.insights import charts
from musicsync_assets.lib.insights.files import OutsideWorkspace, inside, write_if_changed

VIEWS = ("success_by_source", "failures_by_error_class", "duration_by_asset", "throughput_per_day", "slowest_tracks")
EPOCH = datetime(1970, 1, 1)
SESSION_GAP = timedelta(minutes=30)  # sync_track runs closer than this belong to one sync
TREND_DAYS = 14
START_MARK = "<!-- musicsync:execution-summary:start -->"
END_MARK = "<!-- musicsync:execution-summary:end -->"


def _dicts(columns: list[str], rows: list[tuple]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def history(store: Store, since: datetime | None = None, slowest: int = 10) -> dict[str, list[dict]]:
    """The run-history views (README: "Asking the run history"), counting runs started from `since`."""
    found = {name: _dicts(*store.query(f"SELECT * FROM {name}_since(?)", [since or EPOCH])) for name in VIEWS}
    found["slowest_tracks"] = found["slowest_tracks"][:slowest]
    return found


def last_sync(store: Store) -> dict | None:
    """The newest burst of `sync_track` runs (each started within SESSION_GAP of the one before):
    tracks added per source, failures by class, time per stage and the checks' verdicts."""
    _, rows = store.query("SELECT run_id, started_at FROM runs WHERE job = 'sync_track' AND started_at IS NOT NULL"
                          " ORDER BY started_at DESC")
    if not rows:
        return None
    run_ids, previous = [], rows[0][1]
    for run_id, started in rows:
        if previous - started > SESSION_GAP:
            break
        run_ids.append(run_id)
        previous = started
    span = store.query("SELECT min(started_at), max(ended_at), count(*) FROM runs WHERE list_contains(?, run_id)",
                       [run_ids])[1][0]
    added = dict(store.query(
        "SELECT source, count(DISTINCT track_key) FROM run_tracks WHERE list_contains(?, run_id)"
        " AND status = 'SUCCESS' GROUP BY source ORDER BY source", [run_ids])[1])
    failures = dict(store.query(
        "SELECT error_class, count(*) FROM run_tracks WHERE list_contains(?, run_id) AND status = 'FAILURE'"
        " GROUP BY error_class ORDER BY error_class", [run_ids])[1])
    stages = _dicts(*store.query(
        "SELECT step_key AS asset, count(*) AS runs, round(sum(duration_s), 3) AS total_s,"
        " round(median(duration_s), 3) AS median_s FROM run_steps WHERE list_contains(?, run_id)"
        " AND duration_s IS NOT NULL GROUP BY step_key ORDER BY total_s DESC, asset", [run_ids]))
    checks = _dicts(*store.query(
        "SELECT check_name, count(*) FILTER (WHERE passed) AS passed, count(*) FILTER (WHERE NOT passed) AS failed,"
        " list(track_key ORDER BY track_key) FILTER (WHERE NOT passed) AS failing"
        " FROM check_results WHERE list_contains(?, run_id) GROUP BY check_name ORDER BY check_name", [run_ids]))
    return {"started_at": span[0], "ended_at": span[1], "runs": span[2], "added_by_source": added,
            "failures_by_class": failures, "stages": stages, "checks": checks}


def library_spread(store: Store) -> tuple[list[float], list[str]]:
    """Synced tracks' BPM and key, the user's override winning over the estimate."""
    _, rows = store.query("SELECT coalesce(t.bpm_override, a.bpm), coalesce(t.key_override, a.key_name)"
                          " FROM tracks t JOIN analysis a USING (track_key) WHERE t.status = 'synced'")
    return [bpm for bpm, _ in rows if bpm], [key for _, key in rows if key]


def _table(rows: list[dict], columns: list[str]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return lines + [""]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return str(value).replace("|", "\\|").replace("\n", " ")


def build(store: Store, gaps: list[dict], related: list[dict] | str, plans: list[dict], plan_problems: list[str],
          charts_dir: Path) -> tuple[str, dict[str, Path], dict]:
    """The report's Markdown, its charts (written beside it, only when changed) and the figures
    behind it, for the asset's metadata."""
    sync = last_sync(store)
    trends = history(store)
    bpms, keys = library_spread(store)
    images: dict[str, bytes] = {}
    recent = trends["throughput_per_day"][-TREND_DAYS:]
    if recent:
        images["tracks_per_day"] = charts.per_day(recent)
    if trends["duration_by_asset"]:
        images["time_per_stage"] = charts.stage_times(trends["duration_by_asset"])
    if bpms or keys:
        images["library_spread"] = charts.library_spread(bpms, keys)
    written = {}
    for name, data in images.items():
        path = charts_dir / f"{name}.png"
        write_if_changed(path, data)
        written[name] = path

    lines = ["# musicsync workflow report", ""]
    lines += ["## Last sync", ""]
    if sync is None:
        lines += ["No track has been synced yet: the run history is empty.", ""]
    else:
        added = sum(sync["added_by_source"].values())
        failed = sum(sync["failures_by_class"].values())
        lines += [f"{sync['runs']} track runs from {sync['started_at']:%Y-%m-%d %H:%M} to "
                  f"{sync['ended_at']:%H:%M} UTC: {added} tracks synced, {failed} failed." if sync["ended_at"] else
                  f"{sync['runs']} track runs from {sync['started_at']:%Y-%m-%d %H:%M} UTC.", ""]
        lines += ["Tracks synced per source:", ""]
        lines += _table([{"source": s, "tracks": n} for s, n in sync["added_by_source"].items()], ["source", "tracks"])
        lines += ["Failures by class:", ""]
        lines += _table([{"error class": c, "runs": n} for c, n in sync["failures_by_class"].items()],
                        ["error class", "runs"])
        lines += ["Time per stage:", ""]
        lines += _table(sync["stages"], ["asset", "runs", "total_s", "median_s"])
        lines += ["## Verification", ""]
        lines += _table(sync["checks"], ["check_name", "passed", "failed", "failing"])
    lines += ["## Automation gaps", ""]
    lines += _table(gaps, ["priority", "gap_id", "title", "action"])
    lines += ["## Already being worked on", ""]
    if isinstance(related, str):
        lines += [related, ""]
    else:
        lines += _table(related, ["title", "status", "url"])
    lines += ["## Plans", ""]
    lines += _table(plans, ["plan", "file", "deliverables", "missing", "incomplete_tasks", "criteria_met"])
    if plan_problems:
        lines += ["Not read as they are:", ""] + [f"- {problem}" for problem in plan_problems] + [""]
    lines += ["## Trends", ""]
    if "tracks_per_day" in written:
        lines += ["![Tracks synced and failures per day](charts/tracks_per_day.png)", ""]
    lines += [f"Per day (the last {TREND_DAYS} with runs):", ""]
    lines += _table(recent, ["day", "runs", "tracks_synced", "failures"])
    lines += ["Success rate per source:", ""]
    lines += _table(trends["success_by_source"], ["source", "runs", "succeeded", "failed", "success_rate"])
    lines += ["Failures by error class:", ""]
    lines += _table(trends["failures_by_error_class"], ["error_class", "runs", "tracks", "share_of_runs"])
    if "time_per_stage" in written:
        lines += ["![Time per stage](charts/time_per_stage.png)", ""]
    lines += ["Time per asset:", ""]
    lines += _table(trends["duration_by_asset"], ["asset", "runs", "mean_s", "median_s", "max_s"])
    lines += ["Slowest tracks:", ""]
    lines += _table(trends["slowest_tracks"][:5], ["title", "source", "duration_s", "track_key"])
    lines += ["## Library", ""]
    if "library_spread" in written:
        lines += ["![BPM and key spread of the library](charts/library_spread.png)", ""]
    camelots = Counter(parse_key(key).camelot for key in keys)
    lines += [f"{len(bpms)} synced tracks with a tempo"
              + (f", {min(bpms):.1f}–{max(bpms):.1f} BPM" if bpms else "")
              + (f"; most common key {camelots.most_common(1)[0][0]}" if camelots else "") + ".", ""]
    figures = {"last_sync": sync, "trends": trends, "bpm_count": len(bpms)}
    return "\n".join(lines), written, figures


def summary(figures: dict, gaps: list[dict], plans: list[dict]) -> str:
    """The few lines a status document gets."""
    sync = figures["last_sync"]
    lines = []
    if sync:
        lines.append(f"- Last sync {sync['started_at']:%Y-%m-%d %H:%M} UTC: "
                     f"{sum(sync['added_by_source'].values())} tracks synced, "
                     f"{sum(sync['failures_by_class'].values())} failed.")
        failing = sum(check["failed"] for check in sync["checks"])
        lines.append(f"- Checks: {sum(check['passed'] for check in sync['checks'])} passed, {failing} failed.")
    else:
        lines.append("- No sync yet.")
    by_priority = Counter(gap["priority"] for gap in gaps)
    lines.append(f"- Automation gaps: {len(gaps)} open"
                 + (" (" + ", ".join(f"{n} {p}" for p, n in sorted(by_priority.items())) + ")" if gaps else "") + ".")
    missing = sum(plan["missing"] for plan in plans)
    tasks = sum(plan["incomplete_tasks"] for plan in plans)
    lines.append(f"- Plans: {len(plans)}, {missing} deliverables missing, {tasks} tasks open.")
    return "\n".join(lines)


def update_status_doc(root: Path, relative: str, text: str) -> str:
    """Puts `text` between the execution-summary markers of a Markdown file in the workspace,
    replacing what was there; a file without markers gets them appended once. The rest of the file
    is never touched. Returns updated, unchanged, or why it was left alone."""
    try:
        path = inside(root, relative)
    except OutsideWorkspace:
        return "outside the workspace, left alone"
    if not path.is_file():
        return "not found, left alone"
    original = path.read_text(encoding="utf-8")
    block = f"{START_MARK}\n## Execution summary (musicsync)\n\n{text}\n{END_MARK}"
    start, end = original.find(START_MARK), original.find(END_MARK)
    if start != -1 and end > start:
        updated = original[:start] + block + original[end + len(END_MARK):]
    elif start == -1 and end == -1:
        updated = original + ("" if original.endswith("\n") or not original else "\n") + "\n" + block + "\n"
    else:
        return "markers out of order, left alone"
    return "updated" if write_if_changed(path, updated.encode("utf-8")) else "unchanged"


def plan_rows(plans) -> list[dict]:
    """One line per plan for the report and the UI table."""
    rows = []
    for plan in plans:
        met = sum(1 for c in plan.success_criteria if c["done"])
        rows.append({"plan": plan.plan, "file": plan.file, "deliverables": len(plan.deliverables),
                     "missing": len(plan.missing), "incomplete_tasks": len(plan.incomplete_tasks),
                     "criteria_met": f"{met}/{len(plan.success_criteria)}", "error": plan.error})
    return rows

