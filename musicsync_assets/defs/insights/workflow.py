"""What the workflow around the sync used to do by hand, as assets over the run history: the plans'
deliverables, the automation gaps, and a report of the last sync, its verification and the trends.
`insights_refresh_sensor` keeps them fresh after runs; when nothing changed, nothing is rewritten.

Without Notion (or without its Agent-Tasks / Issues+Questions database) nothing is filed and the
metadata says so: a gap is never reported as filed when it was not."""

import hashlib
import os
import re
from datetime import UTC, datetime

import dagster as dg
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType
from dagster_shared.check import CheckError

from musicsync_assets.defs.jobs import refresh_insights_job, refresh_library_job
from musicsync_assets.defs.resources import (
    MusicLibrary,
    NotionWorkspace,
    SoundCloudAccount,
    SpotifyAccount,
    Workspace,
)
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.doctor import SERVICES
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.insights import filing, gaps, plans, report
from musicsync_assets.lib.insights.files import OutsideWorkspace, inside, write_if_changed
from musicsync_assets.lib.pipeline.notion_sync import SCHEMAS, NotionSync
from musicsync_assets.lib.pipeline.sources import SOURCES

INSIGHTS_GROUP = "insights"
RELATED_CACHE = "insights:related_tasks"
NOT_FILED = "not filed: Notion is not configured (set NOTION_TOKEN, NOTION_TRACKS_DATABASE and {})"


def _table(rows: list[dict], columns: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.table([dg.TableRecord({c: "" if row.get(c) is None else str(row[c]) for c in columns})
                                   for row in rows], schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in columns]))


def _problems(problems: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")


def _session(notion: NotionWorkspace, music: MusicLibrary, needs: str) -> NotionSync | None:
    session = notion.sync(music)
    return session if session and getattr(session.settings, needs) else None


def _file(session: NotionSync | None, store: Store, kind: str, items: list[dict], variable: str) -> dict:
    """Queues the pages and sends what Notion takes now; without Notion, says it filed nothing."""
    if session is None:
        return {"filing": NOT_FILED.format(variable)}
    queued = filing.queue(store, kind, items)
    result = session.drain()
    outcome = {"filing": f"{queued['queued']} queued, {queued['closing']} to close; {result['sent']} sent, "
                         f"{result['waiting']} waiting"}
    if result["blocked"]:
        outcome["waiting_because"] = str(result["blocked"])
    return outcome


@dg.asset(group_name=INSIGHTS_GROUP, kinds={"duckdb"})
def plan_deliverables(context: dg.AssetExecutionContext, music_library: MusicLibrary, workspace: Workspace,
                      notion: NotionWorkspace) -> dg.MaterializeResult:
    """The plan files in the workspace (`MUSICSYNC_PLANS_DIRS` under `MUSICSYNC_WORKSPACE`): each
    deliverable and whether it exists, the unfinished tasks and the success criteria. Missing
    deliverables and open tasks become Issues+Questions pages when that database is configured."""
    root = workspace.path
    found, problems = plans.scan(root, workspace.plans_dirs)
    created = plans.scaffold(root, found) if workspace.scaffold_missing else []
    store = music_library.store
    rows = [{"plan_file": p.file, "kind": "deliverable", "name": d.name, "plan": p.plan, "path": d.path,
             "status": d.status} for p in found for d in p.deliverables]
    rows += [{"plan_file": p.file, "kind": "task", "name": t, "plan": p.plan, "path": None, "status": "open"}
             for p in found for t in p.incomplete_tasks]
    rows += [{"plan_file": p.file, "kind": "criterion", "name": c["text"], "plan": p.plan, "path": None,
              "status": "met" if c["done"] else "open"} for p in found for c in p.success_criteria]
    changed = store.save_plan_items(rows)
    items = [{"id": i.item_id, "title": f"{i.plan}: {i.text}", "plan": f"{i.plan} ({i.file})", "kind": i.kind}
             for i in plans.open_items(found)]
    filed = _file(_session(notion, music_library, "issues_database"), store, filing.PLAN_ITEM, items,
                  "NOTION_ISSUES_DATABASE")
    for problem in problems:
        context.log.warning(problem)
    return dg.MaterializeResult(metadata={
        "plans": _table(report.plan_rows(found), ["plan", "file", "deliverables", "missing", "incomplete_tasks",
                                                  "criteria_met", "error"]),
        "deliverables": _table([r for r in rows if r["kind"] == "deliverable"], ["plan", "name", "path", "status"]),
        "incomplete tasks": _table([r for r in rows if r["kind"] == "task"], ["plan", "name"]),
        "changed since the last scan": _table(changed, ["plan", "kind", "name", "previous_status", "status"]),
        "problems": _problems(problems),
        "scaffolded": dg.MetadataValue.json(created),
        "open items": len(items),
        **filed,
        "dagster/row_count": len(rows),
    })


def gap_inputs(instance: dg.DagsterInstance, sensor_defs: list | None, resources: dict) -> gaps.GapInputs:
    """What the gap rules look at beyond the catalog: which sources are configured, whether their
    sensors run (a sensor never switched keeps its default), credentials half set, and the Notion
    properties missing from the schema musicsync last read."""
    states = {state.instigator_name: state.status
              for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)}
    sensors = {sensor.name: sensor for sensor in sensor_defs or ()}
    configured = {"soundcloud-likes": resources["soundcloud"].configured,
                  "spotify-likes": resources["spotify"].configured,
                  "spotify-playing": resources["spotify"].configured,
                  "notion-queue": resources["notion"].configured}
    sources = []
    for source in SOURCES if sensor_defs is not None else ():
        name = f"{source.replace('-', '_')}_sensor"
        sensor = sensors.get(name)
        status = states.get(name)
        if sensor is None:
            running = None
        elif status in (InstigatorStatus.RUNNING, InstigatorStatus.AUTOMATICALLY_RUNNING):
            running = True
        elif status == InstigatorStatus.STOPPED:
            running = False
        else:
            running = sensor.default_status == dg.DefaultSensorStatus.RUNNING
        sources.append(gaps.SourceState(source, configured.get(source, False), name if sensor else None, running))
    partial = {service: [v for v in names if not os.environ.get(v)] for service, names in SERVICES.items()}
    partial = {service: unset for service, unset in partial.items() if 0 < len(unset) < len(SERVICES[service])}
    missing = {}
    session = resources["notion"].sync(resources["music_library"])
    if session is not None:
        store = resources["music_library"].store
        databases = ["Tracks", *(["Agent-Tasks", "Gaps"] if session.settings.tasks_database else []),
                     *(["Issues"] if session.settings.issues_database else [])]
        for which in databases:
            seen = store.cached(f"notion:schema:{which}", float("inf"))
            if seen is not None:
                missing[which] = [n for n in SCHEMAS[which](session.settings) if n not in seen]
    workspace = resources["workspace"]
    return gaps.GapInputs(workspace.path, list(workspace.scan_paths), sources, partial, missing)


@dg.asset(group_name=INSIGHTS_GROUP, kinds={"duckdb"})
def automation_gaps(context: dg.AssetExecutionContext, music_library: MusicLibrary, workspace: Workspace,
                    notion: NotionWorkspace, soundcloud: SoundCloudAccount, spotify: SpotifyAccount
                    ) -> dg.MaterializeResult:
    """What keeps musicsync from running by itself: stopped or missing sensors, missing or expired
    credentials, tracks failing the same way again and again, failing checks, tracks waiting for
    review, sink backlogs, missing Notion properties, and TODO/FIXME/BUG markers and error lines in
    the configured code and log paths. Each gap is one Agent-Tasks page (when configured), closed
    when the gap goes; open Agent-Tasks about musicsync are listed beside them."""
    resources = {"music_library": music_library, "workspace": workspace, "notion": notion,
                 "soundcloud": soundcloud, "spotify": spotify}
    try:
        sensor_defs = context.repository_def.sensor_defs
    except CheckError:  # materialised outside a code location: there are no sensors to look at
        sensor_defs = None
    found, problems = gaps.find_gaps(music_library.store, gap_inputs(context.instance, sensor_defs, resources))
    if sensor_defs is None:
        problems.insert(0, "no code location: the sources' sensors were not checked")
    store = music_library.store
    resolved = store.save_gaps([gap.as_row() for gap in found])
    session = _session(notion, music_library, "tasks_database")
    related: list[dict] | str = "Notion is not configured: nothing to compare with."
    if session is not None:
        try:
            related = session.open_tasks(*filing.parse_filter(workspace.related_tasks))
        except MusicsyncError as error:
            related = f"Agent-Tasks not read: {error}"
    store.cache(RELATED_CACHE, related)
    listed = [gap.as_json() for gap in found]
    covered = {gap["id"]: task["title"] for gap in listed
               if isinstance(related, list) and (task := filing.tracked_by(gap, related))}
    filed = _file(session, store, filing.GAP, [gap for gap in listed if gap["id"] not in covered],
                  "NOTION_TASKS_DATABASE")
    rows = [{**gap, "tracked by": covered.get(gap["id"])} for gap in listed]
    return dg.MaterializeResult(metadata={
        "gaps": _table(rows, ["priority", "id", "title", "evidence", "action", "acceptance", "tracked by"]),
        "related work": _table(related, ["title", "status", "url"]) if isinstance(related, list)
        else dg.MetadataValue.text(related),
        "resolved since the last look": dg.MetadataValue.json([gap["gap_id"] for gap in resolved]),
        "problems": _problems(problems),
        **{f"priority: {p}": sum(1 for gap in found if gap.priority == p) for p in gaps.PRIORITIES},
        **filed,
        "dagster/row_count": len(found),
    })


@dg.asset(group_name=INSIGHTS_GROUP, kinds={"duckdb"}, deps=[plan_deliverables, automation_gaps])
def workflow_report(context: dg.AssetExecutionContext, music_library: MusicLibrary,
                    workspace: Workspace) -> dg.MaterializeResult:
    """A Markdown report in `data/reports/workflow_report.md`: the last sync (tracks per source,
    failures by class, time per stage), its checks, the gaps and related work, the plans, and the
    trends with charts. With `MUSICSYNC_STATUS_DOCS`, each listed Markdown file keeps an execution
    summary between markers. Unchanged history: nothing is rewritten."""
    store = music_library.store
    root = workspace.path
    found, problems = plans.scan(root, workspace.plans_dirs)
    plan_rows = report.plan_rows(found)
    open_gaps = store.gaps()
    related = store.cached(RELATED_CACHE, float("inf"))
    if related is None:  # an empty list is an answer: nothing is being worked on
        related = "not looked up yet"
    folder = music_library.paths.root / "reports"
    text, charts, figures = report.build(store, open_gaps, related, plan_rows, problems, folder / "charts")
    target = folder / "workflow_report.md"
    rewritten = write_if_changed(target, text.encode("utf-8"))
    docs = {doc: report.update_status_doc(root, doc, report.summary(figures, open_gaps, plan_rows))
            for doc in workspace.status_docs}
    if not rewritten:
        context.log.info("the history has not changed: the report was not rewritten")
    sync = figures["last_sync"] or {}
    return dg.MaterializeResult(metadata={
        # The UI cannot load images beside the report: its charts are named, with where they are.
        "report": dg.MetadataValue.md(re.sub(r"!\[([^\]]*)\]\((charts/[^)]+)\)",
                                             lambda chart: f"*{chart[1]}: `{folder / chart[2]}`*", text)),
        "path": dg.MetadataValue.path(str(target)),
        "rewritten": rewritten,
        **{f"chart: {name}": dg.MetadataValue.path(str(path)) for name, path in charts.items()},
        "status documents": dg.MetadataValue.json(docs) if docs else "none (MUSICSYNC_STATUS_DOCS is unset)",
        "last sync: tracks synced": sum(sync.get("added_by_source", {}).values()),
        "last sync: failures": sum(sync.get("failures_by_class", {}).values()),
        "open gaps": len(open_gaps),
        "run history": "empty: no track has been synced yet" if not sync else
        f"last sync {sync['started_at']:%Y-%m-%d %H:%M} UTC, {sync['runs']} track runs",
        "problems": _problems(problems),
    })


def workspace_signature(workspace: Workspace) -> str:
    """Sizes and times of the plan files, scanned paths and status documents: a change to any of
    them is a reason to look again."""
    root = workspace.path
    entries = []
    for configured in [*workspace.plans_dirs, *workspace.scan_paths, *workspace.status_docs]:
        try:
            base = inside(root, configured)
        except OutsideWorkspace:
            continue
        paths = [base] if base.is_file() else sorted(base.rglob("*"))[:gaps.MAX_SCAN_FILES] if base.is_dir() else []
        for path in paths:
            if path.is_file():
                stat = path.stat()
                entries.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha1("\n".join(entries).encode()).hexdigest()


@dg.sensor(job=refresh_insights_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Refreshes the plans, the automation gaps and the workflow report after a run is recorded, "
                       "a check result arrives, the catalog or a sink backlog changes, a plan or scanned file is "
                       "edited, and at least hourly (a backlog ages into a gap); otherwise it skips.")
def insights_refresh_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary,
                            workspace: Workspace) -> dg.SensorResult | dg.SkipReason:
    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")
    # The refresh jobs' own runs (recorded in the history too) are no reason to refresh again.
    history = music_library.store.history_version(ignore_jobs=[refresh_insights_job.name, refresh_library_job.name])
    version = hashlib.sha1(f"{history}|{workspace_signature(workspace)}|{hour}".encode()).hexdigest()
    if version == context.cursor:
        return dg.SkipReason("nothing changed since the last refresh")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=version)], cursor=version)
