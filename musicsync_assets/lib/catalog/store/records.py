"""The catalog's rows as Python values."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class TrackRecord:
    track_key: str
    source_kind: str
    source_url: str
    title: str | None = None
    artists: list[str] = field(default_factory=list)
    album: str | None = None
    year: int | None = None
    isrc: str | None = None
    artwork_path: str | None = None
    artwork_url: str | None = None
    duration_s: float | None = None
    status: str = "pending"
    error_class: str | None = None
    error_message: str | None = None
    bpm_override: float | None = None
    key_override: str | None = None
    attempts: int | None = 0  # failed tries in a row that may heal
    retry_at: datetime | None = None  # when the healing sensor tries again (UTC); None: not by itself

    def __post_init__(self) -> None:
        self.artists = self.artists or []  # NULL in the catalog until the metadata stage runs

    @property
    def display_artist(self) -> str:
        return ", ".join(self.artists) if self.artists else "Unknown Artist"

    @property
    def display_title(self) -> str:
        return self.title or self.track_key

    @property
    def label(self) -> str:
        """How a person names the track: "Artist - Title", or until it is described, the file's name
        or the link they gave."""
        if self.title:
            return f"{self.display_artist} - {self.title}" if self.artists else self.title
        return Path(self.source_url).name if self.source_kind == "file" else self.source_url


@dataclass
class OriginalRecord:
    track_key: str
    path: str
    sha256: str
    size_bytes: int
    container: str | None
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration_s: float | None


@dataclass
class AnalysisRecord:
    track_key: str
    bpm: float | None
    bpm_confidence: float
    key_name: str | None
    key_confidence: float
    camelot: str | None
    open_key: str | None
    duration_s: float
    loudness_lufs: float | None
    peak_dbfs: float | None
    analyzer_version: str
    original_sha256: str
    beat_offset_s: float | None = None
    intro_s: float | None = None
    outro_s: float | None = None
    energy: int | None = None


@dataclass
class FileRecord:
    track_key: str
    format: str
    path: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    size_bytes: int
    encoding: str
    tags_digest: str


@dataclass
class RunRecord:
    run_id: str
    job: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    track_keys: list[str]
    failed_step: str | None = None
    error_class: str | None = None
    error_message: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


@dataclass
class CheckRecord:
    run_id: str
    track_key: str
    check_name: str
    passed: bool
    description: str | None


def _record(cls, columns: Sequence[str], row: tuple | None):
    if row is None:
        return None
    values = dict(zip(columns, row, strict=True))
    return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})
