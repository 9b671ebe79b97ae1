"""One short-lived connection per call (or per session), with lock retries: the door every
query of the catalog goes through."""

import hashlib
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from musicsync_assets.lib.catalog.store.records import _record
from musicsync_assets.lib.catalog.store.schema import SCHEMA
from musicsync_assets.lib.errors import LibraryBusy, LibraryNotWritable

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

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
        with _transaction(connection):
            connection.execute(SCHEMA)
            connection.execute("CREATE OR REPLACE TABLE schema_version AS SELECT ? AS digest", [SCHEMA_DIGEST])


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
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


def _busy(catalog: Path, waited_s: float) -> LibraryBusy:
    return LibraryBusy(f"another process held the catalog {catalog} for over {waited_s:.0f} s")


def _pause(delay: float) -> float:
    """Sleeps about `delay` (jittered, so waiting processes do not retry in step); returns the next delay."""
    time.sleep(delay * (1 + random.random()))
    return min(delay * 2, 1.0)


@dataclass
class _Turn:
    """This process's turn on one catalog, shared by its connections (DuckDB shares one database
    between them), so a call inside another's session or on another thread never waits for its
    own process."""

    users: int = 0  # connections open or waiting to open
    descriptor: int | None = None  # of the lock file, locked once `taking` is released
    taking: threading.Lock = field(default_factory=threading.Lock)  # one thread asks the other processes


_turns: dict[str, _Turn] = {}  # by the catalog's absolute path
_turns_guard = threading.Lock()


def _forget_turns_in_child() -> None:
    """A forked process shares its parent's lock; it takes a turn of its own when it needs one."""
    global _turns_guard
    for turn in _turns.values():
        if turn.descriptor is not None:
            os.close(turn.descriptor)  # the parent's copy stays open: its lock stands
            turn.descriptor = None
    _turns.clear()
    _turns_guard = threading.Lock()


@contextmanager
def _turn(catalog: Path, deadline: float, waited_s: float) -> Iterator[None]:
    """Holds the catalog exclusively for this process until the block ends, through a lock on a
    file beside it (`musicsync.duckdb.lock`).

    DuckDB 2.0 reads a database's headers before it takes its own lock on the file. A process
    that reads them while another is checkpointing its last transaction opens the catalog as it
    was before that transaction, and its own commit then drops it: a lost write, no error. So each
    process waits its turn here before DuckDB looks at the file at all.
    """
    if fcntl is None:  # Windows: its file locks are mandatory, so DuckDB's early read fails and is retried
        yield
        return
    key = os.path.abspath(catalog)
    with _turns_guard:
        turn = _turns.setdefault(key, _Turn())
        turn.users += 1
    try:
        with turn.taking:
            if turn.descriptor is None:
                _take(turn, catalog, deadline, waited_s)
        yield
    finally:
        with _turns_guard:
            turn.users -= 1
            if not turn.users:
                if _turns.get(key) is turn:
                    del _turns[key]
                if turn.descriptor is not None:
                    os.close(turn.descriptor)  # releases the lock
                    turn.descriptor = None


def _take(turn: _Turn, catalog: Path, deadline: float, waited_s: float) -> None:
    """Waits for the other processes to leave the catalog; `turn.descriptor` holds the lock after."""
    lock_path = catalog.with_name(catalog.name + ".lock")
    try:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        try:  # a lock file someone else made, in a folder this user may only read
            descriptor = os.open(lock_path, os.O_RDONLY)
        except OSError:
            return  # nobody can write a catalog in a folder where no lock file can be made
    turn.descriptor = descriptor  # before it is locked, so a fork now still closes it in the child
    if not _lock_by(descriptor, deadline):
        turn.descriptor = None
        os.close(descriptor)
        raise _busy(catalog, waited_s)


def _lock_by(descriptor: int, deadline: float) -> bool:
    """Locks the file exclusively, waiting for other holders until `deadline` (time.monotonic());
    False when they held it past that."""
    delay = 0.02
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            delay = _pause(delay)


if fcntl is not None:
    os.register_at_fork(after_in_child=_forget_turns_in_child)


class Connection:
    """The catalog at `path`. Cheap to construct; holds no connection between calls."""

    def __init__(self, path: Path, lock_timeout_s: float = 60.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._session: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def _opened(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The catalog, open in this process alone until the block ends; then closed."""
        deadline = time.monotonic() + self.lock_timeout_s
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryNotWritable(f"cannot create the catalog in {self.path.parent}: {error.strerror}") from error
        with _turn(self.path, deadline, self.lock_timeout_s):
            is_new = not self.path.exists()
            connection = self._connect_when_free(deadline)
            try:
                if is_new or self.path not in _SCHEMA_READY:
                    _bring_up_to_date(connection)
                    _SCHEMA_READY.add(self.path)
                yield connection
            finally:
                connection.close()

    def _connect_when_free(self, deadline: float) -> duckdb.DuckDBPyConnection:
        """Connects, waiting out a lock held by a process outside musicsync (a DuckDB shell, say)."""
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.Error as error:
                if _is_lock_error(error) and time.monotonic() <= deadline:
                    delay = _pause(delay)
                    continue
                if "permission" in str(error).lower() or "read-only" in str(error).lower():
                    raise LibraryNotWritable(f"cannot open the catalog {self.path}: permission denied") from error
                if _is_lock_error(error):
                    raise _busy(self.path, self.lock_timeout_s) from error
                raise

    @contextmanager
    def session(self) -> Iterator["Connection"]:
        """Several calls on one connection and one transaction, for a stage's handful of queries.

        Keep sessions short: while one is open, other processes wait for the file.
        """
        if self._session is not None:
            yield self
            return
        with self._opened() as connection:
            self._session = connection
            try:
                with _transaction(connection):
                    yield self
            finally:
                self._session = None

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._session is not None:
            yield self._session
            return
        with self._opened() as connection, _transaction(connection):
            yield connection

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

    @contextmanager
    def alone(self, purpose: str, wait_s: float) -> Iterator[bool]:
        """True while this block is the only one, in any process or thread, doing `purpose` with
        this catalog (a lock on `musicsync.duckdb.<purpose>.lock`); False when another held it
        for over `wait_s`. Unlike a catalog session, it may be held across slow network calls."""
        if fcntl is None:
            yield True
            return
        try:
            descriptor = os.open(self.path.with_name(f"{self.path.name}.{purpose}.lock"), os.O_RDWR | os.O_CREAT,
                                 0o644)
        except OSError:
            yield True  # a folder where no lock file can be made holds no catalog others write
            return
        try:
            yield _lock_by(descriptor, time.monotonic() + wait_s)
        finally:
            os.close(descriptor)  # releases the lock

    def ping(self) -> int:
        """Opens the catalog (creating it if new) and returns how many tracks it holds."""
        return self._fetch("SELECT count(*) FROM tracks")[1][0][0]


    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """Read-only access for reports and tests: returns column names and rows."""
        return self._fetch(sql, params)


