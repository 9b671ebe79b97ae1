"""Run steps, plans, gaps and the pages filed for them."""

from collections.abc import Sequence

from musicsync_assets.lib.catalog.store.connection import utcnow


class InsightRows:
    """Run steps, plans, gaps and the pages filed for them."""

    def record_run_steps(self, run_id: str, steps: list[dict]) -> None:
        """Each step of a run with its timing ({step_key, status, started_at, ended_at}); again replaces."""
        with self._connect() as db:
            db.execute("DELETE FROM run_steps WHERE run_id = ?", [run_id])
            for step in steps:
                start, end = step.get("started_at"), step.get("ended_at")
                db.execute("INSERT INTO run_steps VALUES (?, ?, ?, ?, ?, ?)",
                           [run_id, step["step_key"], step.get("status"), start, end,
                            (end - start).total_seconds() if start and end else None])

    def history_version(self, ignore_jobs: Sequence[str] = ()) -> str:
        """Changes whenever a run (of a job not ignored), a check result or the catalog changes:
        what reports refresh on. A report's own runs are ignored, or each would start the next."""
        _, rows = self._fetch(
            "SELECT (SELECT count(*) FROM runs WHERE NOT list_contains(?, job)),"
            " (SELECT max(recorded_at) FROM runs WHERE NOT list_contains(?, job)),"
            " (SELECT count(*) FROM check_results), (SELECT max(evaluated_at) FROM check_results),"
            " (SELECT count(*) FROM notion_outbox), (SELECT count(*) FROM eagle_queue)",
            [list(ignore_jobs), list(ignore_jobs)])
        return ":".join(str(v) for v in rows[0]) + "|" + self.catalog_version()

    def save_plan_items(self, items: list[dict]) -> list[dict]:
        """Replaces the scanned plan items ({plan_file, kind, name, plan, path, status}); returns
        those whose status changed since the last scan (new ones included, previous_status None)."""
        now = utcnow()
        with self._connect() as db:
            before = {(r[0], r[1], r[2]): r[3] for r in db.execute(
                "SELECT plan_file, kind, name, status FROM plan_items").fetchall()}
            changed = []
            for item in items:
                key = (item["plan_file"], item["kind"], item["name"])
                old = before.pop(key, None)
                if old != item["status"]:
                    changed.append({**item, "previous_status": old})
                db.execute(
                    "INSERT INTO plan_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                    " plan = excluded.plan, path = excluded.path, status = excluded.status,"
                    " previous_status = CASE WHEN plan_items.status <> excluded.status THEN plan_items.status"
                    " ELSE plan_items.previous_status END,"
                    " changed_at = CASE WHEN plan_items.status <> excluded.status THEN excluded.changed_at"
                    " ELSE plan_items.changed_at END, seen_at = excluded.seen_at",
                    [*key, item["plan"], item.get("path"), item["status"], old, now, now])
            for key in before:
                db.execute("DELETE FROM plan_items WHERE plan_file = ? AND kind = ? AND name = ?", list(key))
        return changed

    def save_gaps(self, gaps: list[dict]) -> list[dict]:
        """Records the gaps found now ({gap_id, priority, title, evidence, action, acceptance}) and
        resolves the open ones no longer found; returns those resolved by this call."""
        now = utcnow()
        found = {gap["gap_id"] for gap in gaps}
        with self._connect() as db:
            for gap in gaps:
                db.execute(
                    "INSERT INTO gaps VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO UPDATE SET"
                    " priority = excluded.priority, title = excluded.title, evidence = excluded.evidence,"
                    " action = excluded.action, acceptance = excluded.acceptance, last_seen = excluded.last_seen,"
                    " first_seen = CASE WHEN gaps.resolved_at IS NULL THEN gaps.first_seen ELSE excluded.first_seen"
                    " END, resolved_at = NULL",
                    [gap["gap_id"], gap["priority"], gap["title"], gap["evidence"], gap["action"],
                     gap["acceptance"], now, now])
            cursor = db.execute("SELECT * FROM gaps WHERE resolved_at IS NULL")
            columns = [d[0] for d in cursor.description]
            resolved = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()
                        if row[0] not in found]
            for gap in resolved:
                db.execute("UPDATE gaps SET resolved_at = ? WHERE gap_id = ?", [now, gap["gap_id"]])
        return resolved

    def gaps(self) -> list[dict]:
        """The open gaps; resolved ones stay in the table with their `resolved_at`."""
        return self._fetch_dicts("SELECT * FROM gaps WHERE resolved_at IS NULL ORDER BY gap_id")

    def insight_page(self, kind: str, item_id: str) -> dict | None:
        rows = self._fetch_dicts("SELECT * FROM insight_pages WHERE kind = ? AND item_id = ?", [kind, item_id])
        return rows[0] if rows else None

    def insight_pages(self, kind: str) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM insight_pages WHERE kind = ? ORDER BY item_id", [kind])

    def save_insight_page(self, kind: str, item_id: str, page_id: str, status: str, digest: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO insight_pages VALUES (?, ?, ?, ?, ?, ?)",
                       [kind, item_id, page_id, status, digest, utcnow()])
