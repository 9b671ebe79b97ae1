"""The run history: runs, each run's track values, check results."""




from musicsync_assets.lib.catalog.store.connection import utcnow
from musicsync_assets.lib.catalog.store.records import (
    CheckRecord,
    RunRecord,
)


class HistoryRows:
    """The run history: runs, each run's track values, check results."""

    def record_run(self, run: RunRecord) -> None:
        """Writes a run's row, and each of its tracks' estimated and overridden BPM and key as they
        stood when it ended; recording the same run again updates both."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO run_track_values SELECT ?, t.track_key, a.bpm, t.bpm_override, a.key_name,"
                " t.key_override FROM tracks t LEFT JOIN analysis a USING (track_key)"
                " WHERE list_contains(?::VARCHAR[], t.track_key)"
                " ON CONFLICT DO UPDATE SET bpm_estimate = excluded.bpm_estimate,"
                " bpm_override = excluded.bpm_override, key_estimate = excluded.key_estimate,"
                " key_override = excluded.key_override",
                [run.run_id, run.track_keys],
            )
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " status = excluded.status, started_at = excluded.started_at,"
                " ended_at = excluded.ended_at, duration_s = excluded.duration_s,"
                " track_keys = excluded.track_keys, failed_step = excluded.failed_step,"
                " error_class = excluded.error_class, error_message = excluded.error_message,"
                " recorded_at = excluded.recorded_at",
                [run.run_id, run.job, run.status, run.started_at, run.ended_at, run.duration_s,
                 run.track_keys, run.failed_step, run.error_class, run.error_message, utcnow()],
            )

    def record_check(self, check: CheckRecord) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET passed = excluded.passed, description = excluded.description,"
                " evaluated_at = excluded.evaluated_at",
                [check.run_id, check.track_key, check.check_name, check.passed, check.description, utcnow()],
            )

    def runs(self, limit: int = 50) -> list[RunRecord]:
        return self._fetch_all(
            RunRecord, "SELECT * FROM runs ORDER BY started_at DESC NULLS LAST LIMIT ?", [limit]
        )

    def run_track_values(self, run_id: str) -> list[dict]:
        return self._fetch_dicts("SELECT * FROM run_track_values WHERE run_id = ? ORDER BY track_key", [run_id])

    def check_results(self, run_id: str) -> list[CheckRecord]:
        return self._fetch_all(
            CheckRecord, "SELECT * FROM check_results WHERE run_id = ? ORDER BY check_name", [run_id]
        )
