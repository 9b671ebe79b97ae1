"""Every resource musicsync uses, bound in one place from the environment (or `.env`)."""

import os
from pathlib import Path

import dagster as dg

from musicsync_assets.lib.audio import FORMATS
from musicsync_assets.lib.download import DownloadOptions
from musicsync_assets.lib.library import LibrarySettings
from musicsync_assets.lib.naming import DEFAULT_TEMPLATE
from musicsync_assets.lib.paths import DataPaths, default_data_dir
from musicsync_assets.lib.store import Store


class MusicLibrary(dg.ConfigurableResource):
    """The local library: where it lives, which formats it keeps, how files are named and analysed."""

    data_dir: str = ""  # empty: MUSICSYNC_DATA_DIR, else ./data
    formats: list[str] = ["m4a", "wav", "aiff"]
    sample_rate: int = 44100
    channels: int = 2
    aac_kbps: int = 256
    filename_template: str = DEFAULT_TEMPLATE
    bpm_min: float = 70.0
    bpm_max: float = 180.0
    min_duration_s: float = 5.0
    download_rate_limit_bytes_per_s: int | None = None
    download_retries: int = 3

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir).expanduser().resolve() if self.data_dir else default_data_dir())

    @property
    def store(self) -> Store:
        return Store(self.paths.database)

    def settings(self) -> LibrarySettings:
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown:
            raise dg.Failure(f"unknown output format(s) {unknown}; choose from {sorted(FORMATS)}")
        return LibrarySettings(
            paths=self.paths, formats=tuple(self.formats), sample_rate=self.sample_rate,
            channels=self.channels, aac_kbps=self.aac_kbps, filename_template=self.filename_template,
            bpm_range=(self.bpm_min, self.bpm_max), min_duration_s=self.min_duration_s,
            download_options=DownloadOptions(rate_limit_bytes_per_s=self.download_rate_limit_bytes_per_s,
                                     retries=self.download_retries),
        )


def _env_formats() -> list[str]:
    listed = os.environ.get("MUSICSYNC_FORMATS", "")
    return [f.strip().lower() for f in listed.split(",") if f.strip()] or ["m4a", "wav", "aiff"]


def build_resources(**library_overrides) -> dict:
    """The resource dict for Definitions; tests and the CLI pass overrides such as `data_dir`."""
    settings = {"formats": _env_formats(),
                "filename_template": os.environ.get("MUSICSYNC_FILENAME_TEMPLATE") or DEFAULT_TEMPLATE,
                **library_overrides}
    return {"music_library": MusicLibrary(**settings)}


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
