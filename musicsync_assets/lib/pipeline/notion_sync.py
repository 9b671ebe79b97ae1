"""Keeping the user's Notion "Tracks" and "Agent-Tasks" databases true to the catalog.

Every write goes through the catalog's `notion_outbox` first and leaves it only once Notion has
taken it, so a Notion outage loses nothing: the backlog drains in order on the next run or tick.
A page is written only where it differs from what Notion last showed (`notion_pages.snapshot`), so
an unchanged track costs one read on a re-sync.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from musicsync_assets.lib.audio.musickeys import parse_key
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.errors import MusicsyncError, UnknownTrack
from musicsync_assets.lib.services.notion import (
    NotionGateway,
    NotionRejected,
    NotionSchemaError,
    database_id_from,
    decode_value,
    encode_value,
)

SCHEMA_CACHE_S = 900
NO_PAGE_CACHE_S = 120  # about one track's sync: from reading edits to writing its page
SEND_WAIT_S = 120.0  # for another process sending the backlog, which then sends what waits here too
LAST_SYNCED = "Last Synced"
TITLE_WRITTEN = "musicsync: title written"  # kept in a page's snapshot, never a property
STATUS_LABELS = {"synced": "synced", "pending": "pending", "needs_review": "needs review",
                 "unavailable": "unavailable", "failed": "failed"}
TASK_OPEN, TASK_DONE = "Open", "Done"
SEVERITY = {  # by error class: what a person should look at first
    "auth_expired": "critical", "disk": "critical", "setup": "critical", "notion_schema": "critical",
    "rate_limited": "high", "download_failed": "high", "internal": "high", "notion_unavailable": "high",
}

# Property name → (type, select options). The title property is found by its type instead.
TRACK_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Track Key": ("rich_text", ()), "Artists": ("rich_text", ()), "Album": ("rich_text", ()),
    "Source": ("select", ("file", "url", "youtube", "soundcloud", "spotify")), "Source URL": ("url", ()),
    "Spotify ID": ("rich_text", ()), "SoundCloud URL": ("url", ()), "ISRC": ("rich_text", ()),
    "Downloaded": ("checkbox", ()), "BPM": ("number", ()), "Key": ("rich_text", ()), "Camelot": ("rich_text", ()),
    "BPM Confidence": ("number", ()), "Key Confidence": ("number", ()), "Duration (s)": ("number", ()),
    "Artwork": ("files", ()), "Match Score": ("number", ()), "Eagle ID": ("rich_text", ()),
    "Status": ("select", tuple(STATUS_LABELS.values())), LAST_SYNCED: ("date", ()),
    "BPM Override": ("number", ()), "Key Override": ("rich_text", ()),
}
TASK_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Track Key": ("rich_text", ()), "Error Class": ("select", ()), "Severity": ("select", ("critical", "high", "medium")),
    "Step": ("rich_text", ()), "First Seen": ("date", ()), "Last Seen": ("date", ()), "Count": ("number", ()),
    "Source URL": ("url", ()), "Run URL": ("url", ()), "Next Action": ("rich_text", ()),
    "Status": ("select", (TASK_OPEN, TASK_DONE)),
}
# Automation gaps share Agent-Tasks with failure tasks, told apart by their Gap ID; plan items go to
# the Issues+Questions database. Each is checked only when something of its kind is filed.
GAP_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Gap ID": ("rich_text", ()), "Severity": ("select", ("high", "medium", "low")), "Evidence": ("rich_text", ()),
    "Next Action": ("rich_text", ()), "Acceptance Criteria": ("rich_text", ()),
    "Status": ("select", (TASK_OPEN, TASK_DONE)),
}
ISSUE_PROPERTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Item ID": ("rich_text", ()), "Plan": ("rich_text", ()), "Kind": ("select", ("deliverable", "task")),
    "Status": ("select", (TASK_OPEN, TASK_DONE)),
}
# Properties the user may hold as another compatible type: Notion's own "status" type cannot be
# created through the API, but a task database often has one already.
COMPATIBLE = {"select": {"select", "status"}}


@dataclass(frozen=True)
class NotionSettings:
    token: str | None = None
    tracks_database: str | None = None
    tasks_database: str | None = None
    issues_database: str | None = None
    api_url: str = "https://api.notion.com"
    property_names: dict[str, str] = field(default_factory=dict)
    formats: tuple[str, ...] = ("m4a", "wav", "aiff")
    assignee_id: str | None = None
    task_priority: str | None = None
    dagster_url: str = "http://127.0.0.1:3000"
    requests_per_s: float = 3.0
    max_wait_s: float = 60.0
    retry_backoff_s: float = 1.0

    @property
    def configured(self) -> bool:
        return bool(self.token and self.tracks_database)

    def name(self, default: str) -> str:
        """The user's name for one of musicsync's properties."""
        return self.property_names.get(default, default)


def track_schema(settings: NotionSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
    paths = {f"{fmt.upper()} Path": ("rich_text", ()) for fmt in settings.formats}
    return {settings.name(k): v for k, v in {**TRACK_PROPERTIES, **paths}.items()}


def task_schema(settings: NotionSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
    wanted = {settings.name(k): v for k, v in TASK_PROPERTIES.items()}
    if settings.assignee_id:
        wanted[settings.name("Assignee")] = ("people", ())
    if settings.task_priority:
        wanted[settings.name("Priority")] = ("select", ())
    return wanted


def gap_schema(settings: NotionSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {settings.name(k): v for k, v in GAP_PROPERTIES.items()}


def issue_schema(settings: NotionSettings) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {settings.name(k): v for k, v in ISSUE_PROPERTIES.items()}


SCHEMAS = {"Tracks": track_schema, "Agent-Tasks": task_schema, "Gaps": gap_schema, "Issues": issue_schema}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _comparable(value):
    return round(value, 3) if isinstance(value, float) else value


@dataclass
class SchemaReport:
    database: str
    title_property: str | None
    missing: list[str]
    wrong_type: list[str]
    types: dict[str, str]
    # Notion "status" properties lacking options musicsync writes: the API cannot add them, and a
    # page given one is refused. Read only from a fresh schema; not a reason to stop writing pages.
    lacking_options: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [f"{self.database}: no title property"] if not self.title_property else []
        return found + [f"{self.database}: missing {m}" for m in self.missing] + \
            [f"{self.database}: {w}" for w in self.wrong_type]


class NotionSync:
    def __init__(self, settings: NotionSettings, store: Store, gateway: NotionGateway | None = None):
        self.settings = settings
        self.store = store
        self.gateway = gateway or NotionGateway(settings.token or "", settings.api_url,
                                                requests_per_s=settings.requests_per_s,
                                                max_wait_s=settings.max_wait_s, backoff_s=settings.retry_backoff_s)

    # --- schema ---------------------------------------------------------------------------

    def data_source(self, which: str) -> str:
        database, variable = {"Tracks": (self.settings.tracks_database, "NOTION_TRACKS_DATABASE"),
                              "Issues": (self.settings.issues_database, "NOTION_ISSUES_DATABASE")}.get(
            which, (self.settings.tasks_database, "NOTION_TASKS_DATABASE"))
        if not database:
            raise NotionSchemaError(f"no {which} database configured", f"set {variable}")
        database_id = database_id_from(database)
        name = "Agent-Tasks" if which == "Gaps" else which
        # By name too: one database may hold the Tracks and the Agent-Tasks data sources.
        cache_name = f"notion:data_source:{database_id}:{name}"
        known = self.store.cached(cache_name, max_age_s=float("inf"))
        if known:
            return known
        data_source_id = self.gateway.data_source_id(database_id, name)
        self.store.cache(cache_name, data_source_id)
        return data_source_id

    def schema(self, which: str, fresh: bool = False) -> SchemaReport:
        wanted = SCHEMAS[which](self.settings)
        cache_name = f"notion:schema:{which}"
        properties = None if fresh else self.store.cached(cache_name, SCHEMA_CACHE_S)
        lacking = []
        if properties is None:
            raw = self.gateway.schema(self.data_source(which))
            properties = {name: prop["type"] for name, prop in raw.items()}
            self.store.cache(cache_name, properties)
            for name, (_, options) in wanted.items():
                held = {o.get("name") for o in (raw.get(name, {}).get("status") or {}).get("options", [])}
                absent = [option for option in options if option not in held]
                if properties.get(name) == "status" and absent:
                    lacking.append(f"{name} is a Notion status without the option{'s' * (len(absent) > 1)} "
                                   f"{', '.join(absent)}: add them in Notion (the API cannot); until then a page "
                                   "with that status is refused")
        title = next((name for name, kind in properties.items() if kind == "title"), None)
        missing = [name for name in wanted if name not in properties]
        wrong = [f"{name} is {properties[name]}, musicsync needs {kind}" for name, (kind, _) in wanted.items()
                 if name in properties and properties[name] not in COMPATIBLE.get(kind, {kind})]
        return SchemaReport(which, title, missing, wrong, properties, lacking)

    def require_schema(self, which: str) -> SchemaReport:
        report = self.schema(which)
        if report.problems:
            report = self.schema(which, fresh=True)  # the user may have fixed it since we looked
        if report.problems:
            raise NotionSchemaError("the Notion schema does not fit: " + "; ".join(report.problems))
        return report

    def fix_schema(self, which: str) -> list[str]:
        """Adds the missing properties; never changes or removes the user's own."""
        report = self.schema(which, fresh=True)
        wanted = SCHEMAS[which](self.settings)
        additions = {}
        for name in report.missing:
            kind, options = wanted[name]
            config = {"options": [{"name": option} for option in options]} if kind == "select" else {}
            additions[name] = {"type": kind, kind: config}
        if additions:
            self.gateway.add_properties(self.data_source(which), additions)
            self.store.forget(f"notion:schema:{which}")
        return list(additions)

    # --- the Tracks page ------------------------------------------------------------------

    def track_values(self, track_key: str) -> dict:
        """What the track's page should say, by property name; None clears a property."""
        from musicsync_assets.lib.pipeline.stages import library_row

        store, name = self.store, self.settings.name
        row = library_row(store, track_key)
        with store.session():
            track = store.track(track_key)
            analysis = store.analysis(track_key)
            original = store.original(track_key)
        sources = {s["kind"]: s for s in row["sources"]}
        values = {
            name("Track Key"): track_key,
            name("Artists"): ", ".join(track.artists) or None,
            name("Album"): track.album,
            name("Source"): track.source_kind,
            name("Source URL"): track.source_url if track.source_kind != "file" else None,
            name("Spotify ID"): sources.get("spotify", {}).get("id"),
            name("SoundCloud URL"): sources.get("soundcloud", {}).get("url"),
            name("ISRC"): track.isrc,
            name("Downloaded"): original is not None,
            name("BPM"): row["bpm"],
            name("Key"): row["key"],
            name("Camelot"): row["camelot"],
            name("BPM Confidence"): round(analysis.bpm_confidence, 3) if analysis else None,
            name("Key Confidence"): round(analysis.key_confidence, 3) if analysis else None,
            name("Duration (s)"): round(track.duration_s, 1) if track.duration_s else None,
            name("Artwork"): track.artwork_url if (track.artwork_url or "").startswith("http") else None,
            name("Status"): STATUS_LABELS[track.status],
            name("BPM Override"): track.bpm_override,
            name("Key Override"): track.key_override,
            name("Eagle ID"): row["eagle_item"],
            name("Match Score"): round(match["score"], 3) if (match := row.get("match")) and match["score"] else None,
        }
        for fmt in self.settings.formats:
            values[name(f"{fmt.upper()} Path")] = row["files"].get(fmt)
        return values

    def _find_track_page(self, track_key: str, data_source_id: str) -> dict | None:
        """The page keyed by this track, else a page the user made by hand for the same source."""
        track = self.store.track(track_key)
        name = self.settings.name
        conditions = [{"property": name("Track Key"), "rich_text": {"equals": track_key}}]
        if track.source_kind != "file":
            conditions.append({"property": name("Source URL"), "url": {"equals": track.source_url}})
        for source in self.store.sources_of(track_key):
            if source["kind"] == "spotify":
                conditions.append({"property": name("Spotify ID"), "rich_text": {"equals": source["source_id"]}})
            if source["kind"] == "soundcloud" and source["url"]:
                conditions.append({"property": name("SoundCloud URL"), "url": {"equals": source["url"]}})
        pages = list(self.gateway.query(data_source_id, {"or": conditions}))
        own = [p for p in pages if decode_value(p["properties"].get(name("Track Key"), {})) == track_key]
        adoptable = [p for p in pages if not decode_value(p["properties"].get(name("Track Key"), {}))]
        return (own or adoptable or [None])[0]

    def _remember(self, track_key: str, page: dict, title_written: str | None = None) -> dict:
        """Keeps the page as last seen, and with it the title musicsync last wrote on it ("" when
        the title is the user's), unless `title_written` says what it is now."""
        snapshot = {prop_name: decode_value(prop) for prop_name, prop in page.get("properties", {}).items()}
        if title_written is None:
            known = self.store.notion_page(track_key)
            if known and known["page_id"] == page["id"]:
                title_written = known["snapshot"].get(TITLE_WRITTEN)
        if title_written is not None:
            snapshot[TITLE_WRITTEN] = title_written
        self.store.save_notion_page(track_key, page["id"], page.get("url"), snapshot)
        return snapshot

    def queued_urls(self) -> list[str]:
        """The Source URLs of pages the user added to Tracks by hand and musicsync has not taken
        yet (no Track Key, not downloaded): the queue of "single mode", oldest first."""
        self.require_schema("Tracks")
        name = self.settings.name
        pages = self.gateway.query(self.data_source("Tracks"), {"and": [
            {"property": name("Source URL"), "url": {"is_not_empty": True}},
            {"property": name("Downloaded"), "checkbox": {"equals": False}},
            {"property": name("Track Key"), "rich_text": {"is_empty": True}},
        ]}, sorts=[{"timestamp": "created_time", "direction": "ascending"}])
        return [decode_value(page["properties"][name("Source URL")]) for page in pages]

    def pull_edits(self, track_key: str) -> dict:
        """Reads the track's page and takes the user's overrides and corrected source URL from it.

        An override counts when the user set it on the page since musicsync last saw the page (on
        a page seen for the first time: when it is set at all). So an override given on the
        command line, which the page does not show yet, is not undone by the page's empty field;
        the page upsert writes it there."""
        report = self.require_schema("Tracks")
        track = self.store.track(track_key)
        if track is None:
            raise UnknownTrack(f"track {track_key} is not in the catalog",
                               "see `musicsync library` for track keys")
        known = self.store.notion_page(track_key)
        page = self.gateway.page(known["page_id"]) if known else \
            self._find_track_page(track_key, self.data_source("Tracks"))
        if page is None or page.get("in_trash") or page.get("archived"):
            # Spares the page upsert, minutes from now in the same sync, a second identical search.
            self.store.cache(f"notion:no_page:{track_key}", True)
            return {"page": "none yet"}
        snapshot = self._remember(track_key, page)
        name = self.settings.name

        def set_on_page(prop: str) -> bool:
            value = snapshot.get(name(prop))
            return value != known["snapshot"].get(name(prop)) if known else value not in (None, "")

        changes = {}
        bpm = snapshot.get(name("BPM Override"))
        if set_on_page("BPM Override") and bpm != track.bpm_override:
            changes["bpm_override"] = float(bpm) if bpm else None
        if set_on_page("Key Override"):
            key_text = snapshot.get(name("Key Override"))
            try:
                key = parse_key(key_text).name if key_text else None
            except ValueError:
                key = track.key_override  # not a key: ignored rather than written into tags
            if key != track.key_override:
                changes["key_override"] = key
        corrected = snapshot.get(name("Source URL"))
        if corrected and track.source_kind != "file" and corrected != track.source_url and \
                known and known["snapshot"].get(name("Source URL")) == track.source_url:
            changes["source_url"] = corrected
        if "source_url" in changes:
            self.store.restart_track(track_key, changes.pop("source_url"))
        if changes:
            self.store.update_track(track_key, **changes)
        return {"page": page.get("url") or page["id"], "title": report.title_property,
                "overrides": {k: v for k, v in changes.items()}}

    def push_track(self, track_key: str) -> str:
        """Creates or updates the page; returns created, updated or unchanged."""
        report = self.require_schema("Tracks")
        schema = track_schema(self.settings)
        desired = self.track_values(track_key)
        title = self.store.track(track_key).display_title
        known = self.store.notion_page(track_key)
        if known is None and not self.store.cached(f"notion:no_page:{track_key}", NO_PAGE_CACHE_S):
            found = self._find_track_page(track_key, self.data_source("Tracks"))
            known = {"page_id": found["id"], "snapshot": self._remember(track_key, found)} if found else None
        if known is None:
            properties = {name: encode_value(schema[name][0], value) for name, value in desired.items()
                          if value is not None}
            properties[report.title_property] = encode_value("title", title)
            properties[self.settings.name(LAST_SYNCED)] = encode_value("date", _now())
            # A create whose answer is lost may have made the page: the next attempt searches first.
            self.store.forget(f"notion:no_page:{track_key}")
            page = self._write(lambda: self.gateway.create_page(self.data_source("Tracks"), self._typed(
                properties, report)))
            self._remember(track_key, page, title_written=title)
            return "created"
        changed = {name: value for name, value in desired.items()
                   if _comparable(known["snapshot"].get(name)) != _comparable(value)}
        # The title stays the user's when they typed one: on a page made by hand, or changed since
        # musicsync wrote it. A page from before musicsync kept what it wrote counts as its own.
        page_title = known["snapshot"].get(report.title_property)
        legacy = page_title if known["snapshot"].get(self.settings.name("Track Key")) else None
        written = known["snapshot"].get(TITLE_WRITTEN, legacy)
        ours = not page_title or page_title == written
        if ours and page_title != title:
            changed[report.title_property] = title
        if not changed:
            return "unchanged"
        kinds = {**{n: k for n, (k, _) in schema.items()}, report.title_property: "title"}
        properties = {name: encode_value(kinds[name], value) for name, value in changed.items()}
        properties[self.settings.name(LAST_SYNCED)] = encode_value("date", _now())
        page = self._write(lambda: self.gateway.update_page(known["page_id"], self._typed(properties, report)))
        self._remember(track_key, page, title_written=title if ours else "")
        return "updated"

    def _typed(self, properties: dict, report: SchemaReport) -> dict:
        """Select values written as the user's own type (select or status)."""
        result = {}
        for name, value in properties.items():
            kind = report.types.get(name)
            if kind == "status" and "select" in value:
                value = {"status": value["select"]}
            result[name] = value
        return result

    def _write(self, send):
        try:
            return send()
        except NotionRejected:
            # A property renamed or removed since the schema was cached: look again, and say what fits.
            self.store.forget("notion:schema:Tracks")
            for which in SCHEMAS:
                self.store.forget(f"notion:schema:{which}")
            raise

    # --- Agent-Tasks ----------------------------------------------------------------------

    def queue_failure(self, track_key: str, error_class: str, message: str, step: str | None, run_id: str,
                      occurred: str | None = None) -> None:
        """Queues the track's failure task and its page's new status (failed `occurred`, or now);
        `drain` sends them."""
        track = self.store.track(track_key)
        if track is None:
            return
        self.store.enqueue_notion("task", track_key, {
            "track_key": track_key, "error_class": error_class, "step": step, "message": message,
            "next_action": message.split(" — ", 1)[-1], "title": track.title, "run_id": run_id,
            "source_url": track.source_url if track.source_kind != "file" else None, "occurred": occurred or _now(),
        })
        self.store.enqueue_notion("track", track_key)

    def report_failure(self, detail: dict) -> str:
        """One open task per track and error class: created once, then counted."""
        report = self.require_schema("Agent-Tasks")
        name = self.settings.name
        key, error_class = detail["track_key"], detail["error_class"]
        severity = SEVERITY.get(error_class, "medium")
        common = {
            name("Last Seen"): ("date", detail["occurred"]),
            name("Step"): ("rich_text", detail.get("step")),
            name("Run URL"): ("url", f"{self.settings.dagster_url.rstrip('/')}/runs/{detail['run_id']}"),
            name("Next Action"): ("rich_text", detail.get("next_action")),
            name("Source URL"): ("url", detail.get("source_url")),
        }
        open_tasks = [t for t in self.store.notion_tasks(key, TASK_OPEN) if t["error_class"] == error_class]
        if not open_tasks and (found := self._find_open_task(key, error_class, report)):
            if found["run_url"] == common[name("Run URL")][1]:  # this very report, whose answer was lost
                self.store.save_notion_task(key, error_class, found["page_id"], found["count"], TASK_OPEN)
                return "created"
            open_tasks = [found]
        if open_tasks:
            task = open_tasks[0]
            count = task["count"] + 1
            properties = {n: encode_value(k, v) for n, (k, v) in common.items()}
            properties[name("Count")] = encode_value("number", count)
            self.gateway.update_page(task["page_id"], self._typed(properties, report))
            self.store.save_notion_task(key, error_class, task["page_id"], count, TASK_OPEN)
            return "updated"
        fields = {
            **common,
            name("Track Key"): ("rich_text", key),
            name("Error Class"): ("select", error_class),
            name("Severity"): ("select", severity),
            name("First Seen"): ("date", detail["occurred"]),
            name("Count"): ("number", 1),
            name("Status"): ("select", TASK_OPEN),
        }
        if self.settings.assignee_id:
            fields[name("Assignee")] = ("people", self.settings.assignee_id)
        if self.settings.task_priority:
            fields[name("Priority")] = ("select", self.settings.task_priority)
        properties = {n: encode_value(k, v) for n, (k, v) in fields.items() if v is not None}
        properties[report.title_property] = encode_value(
            "title", f"{severity.upper()}: {error_class.replace('_', ' ')} — {detail.get('title') or key}")
        page = self.gateway.create_page(self.data_source("Agent-Tasks"), self._typed(properties, report))
        self.store.save_notion_task(key, error_class, page["id"], 1, TASK_OPEN)
        return "created"

    def _find_open_task(self, track_key: str, error_class: str, report: SchemaReport) -> dict | None:
        """The open task of this track and error class that Notion has and the catalog does not
        know: made by a create whose answer was lost, or by another copy of the catalog."""
        name = self.settings.name
        by_class = {report.types.get(name("Error Class"), "select"): {"equals": error_class}}
        pages = self.gateway.query(self.data_source("Agent-Tasks"), {"and": [
            {"property": name("Track Key"), "rich_text": {"equals": track_key}},
            {"property": name("Error Class"), **by_class}]})
        for page in pages:
            values = {n: decode_value(p) for n, p in page.get("properties", {}).items()}
            if values.get(name("Status")) != TASK_DONE:
                return {"page_id": page["id"], "count": int(values.get(name("Count")) or 1),
                        "run_url": values.get(name("Run URL"))}
        return None

    def close_tasks(self, track_key: str) -> int:
        """Marks the track's open tasks done once it has synced; Eagle's only once its item is there
        (the track syncs, and is in the library, while Eagle refuses it)."""
        open_tasks = [task for task in self.store.notion_tasks(track_key, TASK_OPEN)
                      if task["error_class"] != "eagle" or self.store.eagle_item(track_key)]
        if not open_tasks:
            return 0
        report = self.require_schema("Agent-Tasks")
        for task in open_tasks:
            done = {self.settings.name("Status"): encode_value("select", TASK_DONE)}
            self.gateway.update_page(task["page_id"], self._typed(done, report))
            self.store.save_notion_task(track_key, task["error_class"], task["page_id"], task["count"], TASK_DONE)
        return len(open_tasks)

    # --- automation gaps and plan items -----------------------------------------------------

    def file_insight(self, which: str, kind: str, detail: dict) -> str:
        """One page per gap (Agent-Tasks) or plan item (Issues+Questions), keyed by its id: created
        once, then updated, marked Done when it is gone. Before creating, the database is searched
        by id, so a page created just before Notion went away is found, not made twice."""
        report = self.require_schema(which)
        name = self.settings.name
        id_property = name("Gap ID" if which == "Gaps" else "Item ID")
        item_id, status = detail["id"], detail.get("status", TASK_OPEN)
        known = self.store.insight_page(kind, item_id)
        if known and known["digest"] == detail["digest"] and known["status"] == status:
            return "unchanged"
        page_id = known["page_id"] if known else next((p["id"] for p in self.gateway.query(
            self.data_source(which), {"property": id_property, "rich_text": {"equals": item_id}})), None)
        if which == "Gaps":
            fields = {id_property: ("rich_text", item_id), name("Severity"): ("select", detail.get("priority")),
                      name("Evidence"): ("rich_text", detail.get("evidence")),
                      name("Next Action"): ("rich_text", detail.get("action")),
                      name("Acceptance Criteria"): ("rich_text", detail.get("acceptance")),
                      name("Status"): ("select", status)}
        else:
            fields = {id_property: ("rich_text", item_id), name("Plan"): ("rich_text", detail.get("plan")),
                      name("Kind"): ("select", detail.get("kind")), name("Status"): ("select", status)}
        if status == TASK_DONE:  # closing says only that: the evidence stays as it was last seen
            fields = {name("Status"): fields[name("Status")]}
        properties = {n: encode_value(k, v) for n, (k, v) in fields.items() if v is not None}
        if detail.get("title") and status != TASK_DONE:
            properties[report.title_property] = encode_value("title", detail["title"])
        if page_id is None:
            if status == TASK_DONE:
                return "unchanged"  # never filed, nothing to close
            page = self._write(lambda: self.gateway.create_page(self.data_source(which),
                                                                self._typed(properties, report)))
            outcome = "created"
        else:
            page = self._write(lambda: self.gateway.update_page(page_id, self._typed(properties, report)))
            outcome = "closed" if status == TASK_DONE else "updated"
        self.store.save_insight_page(kind, item_id, page["id"], status, detail["digest"])
        return outcome

    def open_tasks(self, title_prefix: str | None = None, tag: tuple[str, str] | None = None) -> list[dict]:
        """Open Agent-Tasks pages that concern musicsync, by title prefix or a property's value,
        leaving out musicsync's own gap pages: what people are already working on."""
        schema = self.schema("Agent-Tasks")
        title, name = schema.title_property, self.settings.name
        found = []
        for page in self.gateway.query(self.data_source("Agent-Tasks")):
            values = {n: decode_value(p) for n, p in page.get("properties", {}).items()}
            if values.get(name("Gap ID")) or str(values.get(name("Status")) or "").lower() in ("done", "complete"):
                continue
            text = str(values.get(title) or "")
            value = values.get(tag[0]) if tag else None
            tagged = tag is not None and (value == tag[1] or (isinstance(value, list) and tag[1] in (
                v.get("name") if isinstance(v, dict) else v for v in value)))
            if (title_prefix and text.lower().startswith(title_prefix.lower())) or tagged:
                found.append({"title": text, "url": page.get("url"), "status": values.get(name("Status"))})
        return found

    # --- the backlog ----------------------------------------------------------------------

    def drain(self) -> dict:
        """Sends waiting updates oldest first, including those queued while it sends; stops at the
        first sign Notion is away. One process sends at a time: two would each send an item
        before either deletes it, and make a page or a task twice. Another process still sending
        after SEND_WAIT_S sends what this one queued too."""
        with self.store.alone("notion", SEND_WAIT_S) as alone:
            if not alone:
                return {"sent": 0, "outcomes": {}, "waiting": len(self.store.notion_backlog()), "blocked": None}
            return self._send_backlog()

    def _send_backlog(self) -> dict:
        sent, outcomes, blocked, away, tried = 0, {}, None, False, set()
        while not away and (items := [item for item in self.store.notion_backlog() if item["id"] not in tried]):
            for item in items:
                tried.add(item["id"])
                try:
                    if item["kind"] == "track":
                        outcomes[item["track_key"]] = self.push_track(item["track_key"])
                        if self.store.track(item["track_key"]).status == "synced":
                            self.close_tasks(item["track_key"])
                    elif item["kind"] == "task" and self.settings.tasks_database:
                        self.report_failure(item["detail"])
                    elif item["kind"] == "gap" and self.settings.tasks_database:
                        self.file_insight("Gaps", "gap", item["detail"])
                    elif item["kind"] == "plan_item" and self.settings.issues_database:
                        self.file_insight("Issues", "plan_item", item["detail"])
                except (NotionSchemaError, NotionRejected) as error:
                    # This item cannot go as it is; later ones may, and it is retried next time.
                    self.store.notion_not_sent(item["id"], str(error))
                    blocked = blocked or error
                    continue
                except MusicsyncError as error:
                    self.store.notion_not_sent(item["id"], str(error))
                    blocked, away = error, True
                    break
                self.store.notion_sent(item["id"])
                sent += 1
        return {"sent": sent, "outcomes": outcomes, "waiting": len(self.store.notion_backlog()), "blocked": blocked}
