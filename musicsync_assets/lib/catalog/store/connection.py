"""One short-lived connection per call (or per session), with lock retries: the door every
query of the catalog goes through."""

import hashlib
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from musicsync_assets.lib.catalog.store.records import _record
from musicsync_assets.lib.catalog.store.schema import SCHEMA
from musicsync_assets.lib.errors import LibraryNotWritable

TRACK_STATUSES = ("pending", "synced", "needs_review", "unavailable", "failed")
# Databases this process has already brought up to the current schema.
_SCHEMA_READY: set[Path] = set()
# Which SCHEMA a catalog was last brought up to, kept in the catalog itself.
SCHEMA_DIGEST = hashlib.sha256(SCHEMA.encode()).hexdigest()[:16]


def _bring_up_to_date(connection: duckdb.DuckDBPyConnection) -> None:
    """Applies SCHEMA unless the catalog already has this very version of it. Every process (each
    run worker, each command) opens the catalog: applying it each time costs 30 ms and a write."""
    try:
        applied = connection.execute("SELECT digest FROM schema_version").fetchall()
    except duckdb.CatalogException:  # a catalog from before the digest was kept
        applied = []
    if applied != [(SCHEMA_DIGEST,)]:
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(SCHEMA)
            connection.execute("CREATE OR REPLACE TABLE schema_version AS SELECT ? AS digest", [SCHEMA_DIGEST])
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def utcnow() -> datetime:
    """Naive UTC: DuckDB's TIMESTAMP round-trips it without a timezone library."""
    return datetime.now(UTC).replace(tzinfo=None)


def _is_lock_error(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


class Connection:
    """The catalog at `path`. Cheap to construct; holds no connection between calls."""

    def __init__(self, path: Path, lock_timeout_s: float = 60.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._session: duckdb.DuckDBPyConnection | None = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        is_new = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryNotWritable(f"cannot create the catalog in {self.path.parent}: {error.strerror}") from error
        while True:
            try:
                connection = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as error:
                if _is_lock_error(error) and time.monotonic() <= deadline:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 1.0)
                    continue
                if "permission" in str(error).lower() or "read-only" in str(error).lower():
                    raise LibraryNotWritable(f"cannot open the catalog {self.path}: permission denied") from error
                raise
            except duckdb.Error as error:
                if not _is_lock_error(error) or time.monotonic() > deadline:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 1.0)
        if is_new or self.path not in _SCHEMA_READY:
            _bring_up_to_date(connection)
            _SCHEMA_READY.add(self.path)
        return connection

    @contextmanager
    def session(self) -> Iterator["Connection"]:
        """Several calls on one connection and one transaction, for a stage's handful of queries.

        Keep sessions short: while one is open, other processes wait for the file.
        """
        if self._session is not None:
            yield self
            return
        self._session = self._open()
        try:
            self._session.execute("BEGIN TRANSACTION")
            yield self
            self._session.execute("COMMIT")
        except BaseException:
            self._session.execute("ROLLBACK")
            raise
        finally:
            self._session.close()
            self._session = None

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._session is not None:
            yield self._session
            return
        connection = self._open()
        try:
            connection.execute("BEGIN TRANSACTION")
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        with self._connect() as db:
            cursor = db.execute(sql, params)
            columns = [d[0] for d in cursor.description]
            return columns, cursor.fetchall()

    def _fetch_one(self, cls, sql: str, params: Sequence[Any] = ()):
        columns, rows = self._fetch(sql, params)
        return _record(cls, columns, rows[0] if rows else None)

    def _fetch_dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        columns, rows = self._fetch(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _fetch_all(self, cls, sql: str, params: Sequence[Any] = ()) -> list:
        columns, rows = self._fetch(sql, params)
        return [_record(cls, columns, row) for row in rows]

    def ping(self) -> int:
        """Opens the catalog (creating it if new) and returns how many tracks it holds."""
        return self._fetch("SELECT count(*) FROM tracks")[1][0][0]


    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Read-only access for reports and tests: returns column names and rows."""
        return self._fetch(sql, params)


