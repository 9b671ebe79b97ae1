"""The DuckDB catalog and run history: one door, `Store`, split by concern behind it. Every read
and write of the database goes through here.

DuckDB lets one process hold a file at a time, and `dagster dev` runs the webserver, the daemon,
the code server and each run in separate processes. So every call opens a connection, does its
work in one transaction and closes it, and a call that meets another process's lock waits with
backoff instead of failing the run. Processes take turns on a lock file beside the catalog before
DuckDB reads it (`connection._turn` says why).
"""

from musicsync_assets.lib.catalog.store.connection import TRACK_STATUSES, Connection, utcnow
from musicsync_assets.lib.catalog.store.eagle import EagleRows
from musicsync_assets.lib.catalog.store.files import FileRows
from musicsync_assets.lib.catalog.store.history import HistoryRows
from musicsync_assets.lib.catalog.store.insights import InsightRows
from musicsync_assets.lib.catalog.store.likes import LikeRows
from musicsync_assets.lib.catalog.store.listing import ListingRows
from musicsync_assets.lib.catalog.store.notion import NotionRows
from musicsync_assets.lib.catalog.store.recordings import RecordingRows
from musicsync_assets.lib.catalog.store.records import (
    AnalysisRecord,
    CheckRecord,
    FileRecord,
    OriginalRecord,
    RunRecord,
    TrackRecord,
)
from musicsync_assets.lib.catalog.store.tracks import TrackRows


class Store(Connection, TrackRows, FileRows, HistoryRows, NotionRows, RecordingRows, ListingRows, EagleRows,
            LikeRows, InsightRows):
    """The catalog at `path`. Cheap to construct; holds no connection between calls."""


__all__ = ["TRACK_STATUSES", "AnalysisRecord", "CheckRecord", "FileRecord", "OriginalRecord", "RunRecord", "Store",
           "TrackRecord", "utcnow"]
