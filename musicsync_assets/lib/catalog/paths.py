"""Where musicsync keeps things: every runtime path sits under one data directory."""

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "MUSICSYNC_DATA_DIR"


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data").expanduser().resolve()


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def library(self) -> Path:
        return self.root / "library"

    @property
    def originals(self) -> Path:
        return self.root / "originals"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def artwork(self) -> Path:
        return self.root / "artwork"

    @property
    def match_overrides(self) -> Path:
        """Your own choice of upload for Spotify tracks: {"<spotify id>": "<URL>", ...}."""
        return self.root / "match_overrides.json"

    @property
    def scratch(self) -> Path:
        """Half-finished downloads and encodes; only complete files leave it, by rename."""
        return self.root / ".incoming"

    @property
    def trash(self) -> Path:
        """What a duplicate replaced, kept until its purge date (lib/catalog/trash.py)."""
        return self.root / "trash"

    @property
    def playlists(self) -> Path:
        """The .m3u8 playlists, rewritten after each sync (lib/pipeline/playlists.py)."""
        return self.root / "playlists"

    @property
    def database(self) -> Path:
        return self.root / "musicsync.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def ensure(self) -> "DataPaths":
        for folder in (self.library, self.originals, self.inbox, self.artwork, self.scratch):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def replace_atomically(tmp: Path, final: Path) -> None:
    """Move a finished temporary file into place so readers never see half a file."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
