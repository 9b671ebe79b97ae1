"""Plans, automation gaps and the workflow report: plan fixtures of every form, gap rules over a
seeded run history and a test instance, the report's numbers against the history, and filing into
the loopback fake Notion (Agent-Tasks and Issues+Questions), including a Notion that goes away."""

import argparse
import json
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from musicsync_assets import cli_insights
from musicsync_assets.defs.insights.workflow import (
    automation_gaps,
    gap_inputs,
    insights_refresh_sensor,
    plan_deliverables,
    workflow_report,
)
from musicsync_assets.defs.jobs import refresh_insights_job
from musicsync_assets.defs.notion.assets import notion_backlog_sensor
from musicsync_assets.defs.resources import Workspace
from musicsync_assets.defs.sources.likes import soundcloud_likes_sensor
from musicsync_assets.lib.catalog.store import AnalysisRecord, CheckRecord, RunRecord, Store, utcnow
from musicsync_assets.lib.insights import gaps as gap_rules
from musicsync_assets.lib.insights import plans, report
from musicsync_tests.conftest import library_resources
from musicsync_tests.fakes.notion_server import (
    FakeNotion,
    serve,
    task_schema_properties,
    track_schema_properties,
)

GOOD_PLAN = """---
name: Release 1.0
overview: Ship the first release
todos:
  - id: docs
    content: Write the user guide
    status: pending
  - id: ci
    content: Set up CI
    status: completed
---
# Release 1.0

## Deliverables
- `docs/guide.md` the user guide
- `README.md`
- `config/settings.yaml`
- `src/engine.py`
- `../../etc/passwd`
- [x] Announcement sent
- [ ] Changelog reviewed
- Migration guide
- Rollout

## Migration guide
- [x] write it
- [x] review it

## Tasks
- [x] tag the release
- [ ] record the demo video

```sh
# not a heading
- [ ] not a task either
```

## Success criteria
- [x] tests pass
- [ ] a user syncs 100 likes unattended
"""


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.fixture
def workspace(tmp_path) -> Path:
    root = tmp_path / "project"
    write(root, "README.md", "# project\n")
    write(root, "plans/release.md", GOOD_PLAN)
    write(root, "plans/broken.md", "---\nname: [unclosed\n---\n# Broken\n\n## Files\n- `notes/missing.md`\n"
                                   "\n## Next\n- [ ] fix the front matter\n")
    write(root, ".cursor/plans/empty.md", "Just some words, no headings or boxes.\n")
    write(root, "plans/diagram.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    return root


def refresh(resources: dict, instance, sensors=()) -> dg.ExecuteInProcessResult:
    """The `refresh_insights` job in a code location of the test's own, as the sensor starts it."""
    definitions = dg.Definitions(assets=[plan_deliverables, automation_gaps, workflow_report],
                                 jobs=[refresh_insights_job], sensors=list(sensors), resources=resources)
    return definitions.resolve_job_def(refresh_insights_job.name).execute_in_process(instance=instance)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="musicsync")
    cli_insights.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_plans_of_every_form(workspace, tmp_path, monkeypatch, capsys):
    outside = tmp_path / "secret.md"
    outside.write_text("---\nname: Secret\n---\n## Deliverables\n- `x.md`\n")
    (workspace / "plans" / "link.md").symlink_to(outside)
    monkeypatch.setenv("MUSICSYNC_WORKSPACE", str(workspace))
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MUSICSYNC_PLANS_DIRS", raising=False)
    assert run_cli("plans", "--json") == 0
    listed = {plan["plan"]: plan for plan in json.loads(capsys.readouterr().out)}
    assert set(listed) == {"Release 1.0", "Broken", "empty", "diagram"}, "the link out of the workspace is not read"

    release = listed["Release 1.0"]
    assert release["error"] is None
    assert [(d["path"], d["status"]) for d in release["deliverables"]] == [
        ("docs/guide.md", "missing"), ("README.md", "exists"), ("config/settings.yaml", "missing"),
        ("src/engine.py", "missing"), ("../../etc/passwd", "outside_workspace"),
        (None, "exists"), (None, "missing"), (None, "exists"), (None, "missing")]
    assert [d["name"] for d in release["deliverables"][-2:]] == ["Migration guide", "Rollout"]
    assert release["incomplete_tasks"] == ["Write the user guide", "record the demo video"]
    assert release["success_criteria"] == [{"text": "tests pass", "done": True},
                                           {"text": "a user syncs 100 likes unattended", "done": False}]
    broken = listed["Broken"]
    assert "front matter is not valid YAML" in broken["error"]
    assert broken["deliverables"] == [{"name": "notes/missing.md", "path": "notes/missing.md", "status": "missing"}]
    assert broken["incomplete_tasks"] == ["fix the front matter"], "the body is still read"
    assert "no sections" in listed["empty"]["error"]
    assert "binary" in listed["diagram"]["error"] and listed["diagram"]["deliverables"] == []

    assert run_cli("plans") == 0
    text = capsys.readouterr().out
    assert "✘ docs/guide.md  [missing]" in text and "! ../../etc/passwd  [outside_workspace]" in text
    assert "links outside the workspace" in text


def test_scaffolding_makes_marked_stubs_of_docs_and_config_only(workspace):
    found, _ = plans.scan(workspace, ["plans"])
    (workspace / "config").mkdir()
    created = plans.scaffold(workspace, found)
    assert created == ["notes/missing.md", "docs/guide.md", "config/settings.yaml"], \
        "never code, never outside the workspace"
    assert plans.STUB_MARK in (workspace / "docs/guide.md").read_text()
    assert (workspace / "config/settings.yaml").read_text().startswith(f"# {plans.STUB_MARK}")
    assert not (workspace / "src/engine.py").exists()
    (workspace / "docs/guide.md").write_text("my own guide\n")
    again, _ = plans.scan(workspace, ["plans"])
    assert plans.scaffold(workspace, again) == []
    assert (workspace / "docs/guide.md").read_text() == "my own guide\n", "an existing file is never replaced"


# --- a seeded run history -----------------------------------------------------------------------

T0 = datetime(2026, 11, 28, 9, 0)


def seed(store: Store) -> None:
    """Two days of runs: day one 2 synced (file, spotify) and 1 failed; day two the same failing
    track twice more, 1 synced (soundcloud); checks, step timings and analyses alongside."""
    for key, kind in (("file-a", "file"), ("sp-b", "spotify"), ("url-c", "url"), ("sc-d", "soundcloud")):
        store.register_track(key, kind, f"https://example.com/{key}")
    store.update_track("file-a", title="Harbour Lights", artists=["Tidal State"], status="synced")
    store.update_track("sp-b", title="Copper Sun", artists=["Lumen Drive"], status="synced")
    store.update_track("sc-d", title="Glass", artists=["Åsa"], status="synced")
    store.update_track("url-c", status="failed", error_class="download_failed",
                       error_message="the URL answered 404 — check that the link opens in a browser")
    runs = [("r1", "file-a", T0, 20, None), ("r2", "sp-b", T0 + timedelta(minutes=2), 40, None),
            ("r3", "url-c", T0 + timedelta(minutes=3), 3, "download_failed"),
            ("r4", "url-c", T0 + timedelta(days=1), 2, "download_failed"),
            ("r5", "url-c", T0 + timedelta(days=1, minutes=1), 2, "download_failed"),
            ("r6", "sc-d", T0 + timedelta(days=1, minutes=5), 30, None)]
    for run_id, key, start, seconds, error in runs:
        store.record_run(RunRecord(run_id, "sync_track", "FAILURE" if error else "SUCCESS", start,
                                   start + timedelta(seconds=seconds), [key], "track_audio" if error else None,
                                   error, "the URL answered 404" if error else None))
        steps = [("track_metadata", 1)] + ([] if error else [("track_audio", 2), ("analyze_and_render", seconds - 3)])
        offset, timed = start, []
        for step, length in steps:
            timed.append({"step_key": step, "status": "SUCCESS", "started_at": offset,
                          "ended_at": offset + timedelta(seconds=length)})
            offset += timedelta(seconds=length)
        store.record_run_steps(run_id, timed)
    store.record_check(CheckRecord("r6", "sc-d", "tags_complete", False, "TKEY missing"))
    store.record_check(CheckRecord("r6", "sc-d", "audio_formats_valid", True, "ok"))
    for key, bpm, key_name, camelot in (("file-a", 124.0, "A minor", "8A"), ("sp-b", 128.0, "F major", "7B"),
                                        ("sc-d", 174.0, "A minor", "8A")):
        store.save_analysis(AnalysisRecord(key, bpm, 0.9, key_name, 0.8, camelot, "1m", 30.0, -9.0, -1.0, "v", "s"))


def test_the_history_views_and_report_command(tmp_path, monkeypatch, capsys):
    store = Store(tmp_path / "data" / "musicsync.duckdb")
    seed(store)
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(tmp_path / "data"))
    assert run_cli("report", "--json") == 0
    views = json.loads(capsys.readouterr().out)
    assert views["success_by_source"] == [
        {"source": "file", "runs": 1, "succeeded": 1, "failed": 0, "success_rate": 1.0},
        {"source": "soundcloud", "runs": 1, "succeeded": 1, "failed": 0, "success_rate": 1.0},
        {"source": "spotify", "runs": 1, "succeeded": 1, "failed": 0, "success_rate": 1.0},
        {"source": "url", "runs": 3, "succeeded": 0, "failed": 3, "success_rate": 0.0}]
    assert [(r["error_class"], r["runs"], r["tracks"], r["share_of_runs"]) for r in views["failures_by_error_class"]] \
        == [("download_failed", 3, 1, 0.5)]
    assert [(r["day"], r["runs"], r["tracks_synced"], r["failures"]) for r in views["throughput_per_day"]] == [
        ("2026-11-28", 3, 2, 1), ("2026-11-29", 3, 1, 2)]
    assert views["slowest_tracks"][0]["track_key"] == "sp-b" and views["slowest_tracks"][0]["duration_s"] == 40
    stages = {r["asset"]: r for r in views["duration_by_asset"]}
    assert stages["analyze_and_render"]["runs"] == 3 and stages["analyze_and_render"]["max_s"] == 37
    assert stages["track_metadata"]["runs"] == 6

    assert run_cli("report", "--since", "2026-11-29", "--json") == 0
    since = json.loads(capsys.readouterr().out)
    assert [r["day"] for r in since["throughput_per_day"]] == ["2026-11-29"]
    assert {r["source"]: r["runs"] for r in since["success_by_source"]} == {"soundcloud": 1, "url": 2}
    assert run_cli("report", "--since", "yesterday") == 2


def test_gap_rules_over_the_history_the_instance_and_the_workspace(tmp_path, workspace, instance, monkeypatch):
    resources = library_resources(tmp_path / "data", soundcloud={"client_id": "id", "user": "me"},
                                  spotify={"client_id": "id", "client_secret": "s", "refresh_token": "t"},
                                  token="secret", tracks_database="0123abcd0123abcd01230123456789ab")
    store = resources["music_library"].store
    seed(store)
    store.cache("notion:schema:Tracks", {"Name": "title", "Track Key": "rich_text", "BPM": "number"})
    store.update_track("sp-b", status="needs_review")
    store.enqueue_notion("track", "file-a")
    store.queue_eagle("sc-d", "connection refused")
    store.record_run(RunRecord("r7", "sync_track", "FAILURE", utcnow() - timedelta(hours=1), utcnow(), ["sp-b"],
                               "track_metadata", "auth_expired", "Spotify refused the token"))
    write(workspace, "src/engine.py", "def run():\n    pass  # TODO: retry on 503\n    # FIXME handle empty\n")
    write(workspace, "logs/sync.log", "INFO start\nERROR download failed for url-c\nINFO done\n")
    write(workspace, "logs/huge.log", "INFO fine\n" * 120_000 + "ERROR at the very end\n")
    write(workspace, "logs/core.log", b"\x00\x01binary")
    monkeypatch.setenv("SOUNDCLOUD_CLIENT_ID", "id")
    monkeypatch.delenv("SOUNDCLOUD_OAUTH_TOKEN", raising=False)
    monkeypatch.delenv("SOUNDCLOUD_USER", raising=False)
    for name in ("NOTION_TOKEN", "NOTION_TRACKS_DATABASE", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET",
                 "SPOTIFY_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    resources["workspace"] = Workspace(root=str(workspace), scan_paths=["src", "logs", "../../etc"])

    # SoundCloud is configured but its sensor was declared stopped; Spotify and Notion have none at all.
    inputs = gap_inputs(instance, [soundcloud_likes_sensor], resources)
    inputs.now = utcnow() + timedelta(hours=1)  # the backlogs have waited long enough to count
    found, problems = gap_rules.find_gaps(store, inputs)
    by_id = {gap.gap_id: gap for gap in found}
    assert set(by_id) == {
        "sensor-stopped-soundcloud-likes", "no-sensor-spotify-likes", "no-sensor-spotify-playing",
        "no-sensor-notion-queue", "notion-properties-tracks",
        "credentials-missing-soundcloud", "credentials-expired-spotify", "repeated-failure-url-c-download-failed",
        "check-failing-tags-complete", "needs-review", "sink-backlog-notion", "sink-backlog-eagle",
        "markers-src-engine-py", "log-errors-logs-sync-log", "log-errors-logs-huge-log"}
    assert [gap.priority for gap in found] == sorted((gap.priority for gap in found),
                                                     key=gap_rules.PRIORITIES.index)
    assert "the last 3 runs of url-c failed with download_failed" in by_id[
        "repeated-failure-url-c-download-failed"].evidence
    assert by_id["credentials-missing-soundcloud"].evidence.endswith("SOUNDCLOUD_OAUTH_TOKEN, SOUNDCLOUD_USER unset")
    assert "sc-d" in by_id["check-failing-tags-complete"].evidence
    assert by_id["notion-properties-tracks"].evidence.startswith("Tracks lacks Artists, Album, Source")
    assert by_id["markers-src-engine-py"].priority == "low" and "line 2" in by_id["markers-src-engine-py"].evidence
    assert "line 2: ERROR download failed" in by_id["log-errors-logs-sync-log"].evidence
    assert "ERROR at the very end" in by_id["log-errors-logs-huge-log"].evidence
    assert any(p.startswith("logs/huge.log: larger than") for p in problems)
    assert any(p.startswith("logs/core.log: binary") for p in problems)
    assert any(p.startswith("../../etc:") and "outside the workspace" in p for p in problems)
    assert all(gap.action and gap.acceptance for gap in found)

    # The same gaps once the catalog says otherwise: a synced review, a run that worked.
    store.update_track("sp-b", status="synced")
    again, _ = gap_rules.find_gaps(store, inputs)
    assert "needs-review" not in {gap.gap_id for gap in again}


def test_an_empty_history_gives_a_report_that_says_so(tmp_path, workspace, instance):
    resources = library_resources(tmp_path / "data")
    resources["workspace"] = Workspace(root=str(workspace))
    result = refresh(resources, instance)
    assert result.success
    text = (tmp_path / "data/reports/workflow_report.md").read_text()
    assert "No track has been synced yet: the run history is empty." in text
    shown = result.asset_materializations_for_node("workflow_report")[0].metadata
    assert shown["run history"].value == "empty: no track has been synced yet"
    assert "plans/diagram.png: binary" in shown["problems"].value
    metadata = result.asset_materializations_for_node("plan_deliverables")[0].metadata
    assert "broken.md" in metadata["problems"].value and "diagram.png" in metadata["problems"].value
    assert metadata["filing"].value.startswith("not filed: Notion is not configured")


def test_the_report_holds_the_history_numbers_and_rewrites_nothing_unchanged(tmp_path, workspace, instance):
    resources = library_resources(tmp_path / "data")
    write(workspace, "STATUS.md", "# Status\n\nMy own notes.\n")
    resources["workspace"] = Workspace(root=str(workspace), status_docs=["STATUS.md", "../outside.md"])
    seed(resources["music_library"].store)
    first = refresh(resources, instance)
    target = tmp_path / "data/reports/workflow_report.md"
    text = target.read_text()
    # The last sync is day two: r4, r5 (url-c failed) and r6 (sc-d synced), within 30 minutes.
    assert "3 track runs from 2026-11-29 09:00 to 09:05 UTC: 1 tracks synced, 2 failed." in text
    assert "| soundcloud | 1 |" in text and "| download_failed | 2 |" in text
    assert "| tags_complete | 0 | 1 | sc-d |" in text and "| audio_formats_valid | 1 | 0 | - |" in text
    assert "| 2026-11-28 | 3 | 2 | 1 |" in text and "| url | 3 | 0 | 3 | 0.0 |" in text
    assert "3 synced tracks with a tempo, 124.0–174.0 BPM; most common key 8A." in text
    assert "| Release 1.0 | plans/release.md | 9 | 5 | 2 | 1/2 |" in text
    for chart in ("tracks_per_day", "time_per_stage", "library_spread"):
        assert f"(charts/{chart}.png)" in text
        assert (target.parent / "charts" / f"{chart}.png").read_bytes().startswith(b"\x89PNG")
    metadata = first.asset_materializations_for_node("workflow_report")[0].metadata
    assert metadata["rewritten"].value is True and metadata["last sync: failures"].value == 2
    assert "](charts/" not in metadata["report"].value, "the UI cannot load an image beside the file"
    assert f"*Time per stage: `{target.parent / 'charts' / 'time_per_stage.png'}`*" in metadata["report"].value
    assert metadata["status documents"].value == {"STATUS.md": "updated", "../outside.md": "outside the workspace, "
                                                                                           "left alone"}
    status = (workspace / "STATUS.md").read_text()
    assert status.startswith("# Status\n\nMy own notes.\n") and "- Automation gaps:" in status

    stamps = {p: p.stat().st_mtime_ns for p in [target, *(target.parent / "charts").iterdir()]}
    second = refresh(resources, instance)
    assert second.asset_materializations_for_node("workflow_report")[0].metadata["rewritten"].value is False
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps, "nothing changed, nothing rewritten"
    assert (workspace / "STATUS.md").read_text() == status
    assert status.count(report.START_MARK) == 1

    def changed(result) -> list[dict]:
        table = result.asset_materializations_for_node("plan_deliverables")[0].metadata["changed since the last scan"]
        return [record.data for record in table.value.records]

    assert len(changed(first)) == 9 + 1 + 3 + 2, "the first scan: every deliverable, task and criterion"
    assert changed(second) == []
    write(workspace, "docs/guide.md", "# Guide\n")
    [guide] = changed(refresh(resources, instance))
    assert (guide["name"], guide["previous_status"], guide["status"]) == (
        "docs/guide.md the user guide", "missing", "exists")


def test_the_refresh_sensor_runs_only_after_a_change(tmp_path, workspace, instance):
    resources = library_resources(tmp_path / "data")
    resources["workspace"] = Workspace(root=str(workspace))
    store = resources["music_library"].store

    def tick(cursor):
        return insights_refresh_sensor(dg.build_sensor_context(instance=instance, cursor=cursor,
                                                               resources=resources))

    first = tick(None)
    assert len(first.run_requests) == 1
    assert isinstance(tick(first.cursor), dg.SkipReason)
    seed(store)
    after_runs = tick(first.cursor)
    assert len(after_runs.run_requests) == 1
    now = utcnow()
    store.record_run(RunRecord("refresh", "refresh_insights", "SUCCESS", now, now, []))
    assert isinstance(tick(after_runs.cursor), dg.SkipReason), "its own run is no reason to refresh again"
    write(workspace, "plans/new.md", "# New\n- [ ] something\n")
    assert len(tick(after_runs.cursor).run_requests) == 1


# --- filing into Notion ---------------------------------------------------------------------------

@pytest.fixture
def notion(tmp_path, workspace):
    fake = FakeNotion()
    tracks_db, _ = fake.add_database(track_schema_properties())
    tasks_db, tasks_ds = fake.add_database({**task_schema_properties(), "Gap ID": "rich_text",
                                            "Evidence": "rich_text", "Acceptance Criteria": "rich_text"},
                                           title_name="Task")
    issues_db, issues_ds = fake.add_database({"Item ID": "rich_text", "Plan": "rich_text", "Kind": "select",
                                              "Status": "select"}, title_name="Question")
    with serve(fake) as base:
        resources = library_resources(tmp_path / "data", token=fake.token, api_url=base, requests_per_s=1000.0,
                                      tracks_database=tracks_db, tasks_database=tasks_db,
                                      issues_database=issues_db, retry_backoff_s=0.01)
        resources["workspace"] = Workspace(root=str(workspace), related_tasks="prefix:musicsync")
        yield SimpleNamespace(fake=fake, resources=resources, tasks=tasks_ds, issues=issues_ds,
                              store=resources["music_library"].store)


def ids(fake: FakeNotion, data_source: str, prop: str) -> list[str]:
    return sorted(row[prop] for row in fake.rows(data_source) if row.get(prop))


def test_gaps_and_plan_items_are_filed_once_and_closed_when_gone(notion, instance):
    seed(notion.store)
    notion.store.update_track("sp-b", status="needs_review")
    notion.fake.add_page(notion.tasks, {"Task": "musicsync: look at check-failing-tags-complete", "Status": "Open"})
    first = refresh(notion.resources, instance)
    gap_ids = ids(notion.fake, notion.tasks, "Gap ID")
    assert gap_ids == ["needs-review", "repeated-failure-url-c-download-failed"], \
        "the gap an open task already covers is not filed again"
    metadata = first.asset_materializations_for_node("automation_gaps")[0].metadata
    assert "musicsync: look at check-failing-tags-complete" in str(metadata["related work"].value)
    [review] = [row for row in notion.fake.rows(notion.tasks) if row.get("Gap ID") == "needs-review"]
    assert (review["Severity"], review["Status"]) == ("medium", "Open")
    assert "Copper Sun" in review["Evidence"] and review["Task"] == "1 track(s) wait for match review"
    issues = notion.fake.rows(notion.issues)
    assert len(issues) == 9  # 6 missing deliverables (3 files and 2 named in release, 1 in broken) + 3 open tasks
    assert {row["Kind"] for row in issues} == {"deliverable", "task"}
    assert any(row["Question"] == "Release 1.0: record the demo video" for row in issues)

    created = notion.fake.count("POST", "/v1/pages")
    refresh(notion.resources, instance)
    assert notion.fake.count("POST", "/v1/pages") == created, "nothing filed twice"
    assert notion.fake.count("PATCH", "/v1/pages") == 0, "unchanged pages are not rewritten"

    notion.store.update_track("sp-b", status="synced")
    refresh(notion.resources, instance)
    [review] = [row for row in notion.fake.rows(notion.tasks) if row.get("Gap ID") == "needs-review"]
    assert review["Status"] == "Done"
    assert ids(notion.fake, notion.tasks, "Gap ID") == gap_ids


def test_a_notion_that_goes_away_midway_files_the_rest_later_and_nothing_twice(notion, instance):
    seed(notion.store)
    notion.store.update_track("sp-b", status="needs_review")
    answer = notion.fake.handle
    budget = {"left": 12}

    def flaky(method, path, headers, body):
        if budget["left"] <= 0:
            from musicsync_tests.fakes.notion_server import NotionError
            raise NotionError(503, "service_unavailable", "fake outage")
        budget["left"] -= 1
        return answer(method, path, headers, body)

    notion.fake.handle = flaky
    result = refresh(notion.resources, instance)
    assert result.success, "the assets complete while Notion is away"
    waiting = notion.store.notion_backlog()
    assert waiting and "503" in waiting[0]["last_error"]
    filed_before = len(notion.fake.rows(notion.issues)) + len(notion.fake.rows(notion.tasks))
    assert filed_before < 9 + 3, "Notion went away before everything was filed"

    notion.fake.handle = answer
    notion_backlog_sensor(dg.build_sensor_context(instance=instance, resources=notion.resources))
    assert notion.store.notion_backlog() == []
    refresh(notion.resources, instance)
    issues = [row["Item ID"] for row in notion.fake.rows(notion.issues)]
    assert len(issues) == len(set(issues)) == 9
    assert ids(notion.fake, notion.tasks, "Gap ID") == ["check-failing-tags-complete", "needs-review",
                                                        "repeated-failure-url-c-download-failed"]


def test_a_real_track_run_records_its_stage_times(resources, instance, audio_set, tmp_path, workspace):
    from musicsync_tests.harness import sync_tracks

    [result] = sync_tracks(instance, resources, [str(audio_set["mp3"].path)])
    assert result.ok
    store = resources["music_library"].store
    steps = {row["step_key"]: row for row in report._dicts(*store.query(
        "SELECT * FROM run_steps WHERE run_id = ?", [result.run_id]))}
    assert {"track_metadata", "track_audio", "analyze_and_render", "library_entry"} <= set(steps)
    assert all(row["status"] == "SUCCESS" and row["duration_s"] > 0 for row in steps.values())
    resources["workspace"] = Workspace(root=str(workspace))
    refresh(resources, instance)
    text = (tmp_path / "data/reports/workflow_report.md").read_text()
    assert "1 tracks synced, 0 failed." in text and "| file | 1 |" in text
    median = round(steps["analyze_and_render"]["duration_s"], 3)
    assert f"| analyze_and_render | 1 | {median} | {median} |" in text


def test_gaps_command_reads_the_instance_and_the_catalog(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MUSICSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MUSICSYNC_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "data" / "dagster_home"))  # not the checkout's own
    seed(Store(tmp_path / "data" / "musicsync.duckdb"))
    assert run_cli("gaps", "--json") == 0
    listed = {gap["id"]: gap for gap in json.loads(capsys.readouterr().out)}
    assert {"repeated-failure-url-c-download-failed", "check-failing-tags-complete"} <= set(listed)
    assert set(listed["check-failing-tags-complete"]) == {"id", "priority", "evidence", "action"}


def test_a_page_notion_made_before_its_answer_was_lost_is_found_not_made_again(notion, instance):
    from musicsync_tests.fakes.notion_server import NotionError

    seed(notion.store)
    answer = notion.fake.handle
    lost = {"left": 1}

    def answer_lost(method, path, headers, body):
        reply = answer(method, path, headers, body)
        if method == "POST" and path == "/v1/pages" and lost["left"]:
            lost["left"] -= 1
            raise NotionError(503, "service_unavailable", "the connection dropped after the page was made")
        return reply

    notion.fake.handle = answer_lost
    # The first page's answer is lost; the item stays in the outbox and the next drain (the second
    # asset's, in the same refresh) looks the page up by its id before creating one.
    refresh(notion.resources, instance)
    assert lost["left"] == 0 and notion.store.notion_backlog() == []
    filed = [row.get("Gap ID") or row.get("Item ID") for row in
             notion.fake.rows(notion.tasks) + notion.fake.rows(notion.issues)]
    assert len(filed) == len(set(filed)) == 9 + 2
    assert notion.fake.count("POST", "/v1/pages") == len(filed), "no page was created twice"
