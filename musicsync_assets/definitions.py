"""The musicsync code location: everything under `defs/`, one folder per domain."""

import logging
import os
from pathlib import Path

import dagster as dg

from musicsync_assets.launch import home_settings


@dg.definitions
def defs() -> dg.Definitions:
    # `dagster dev` with a DAGSTER_HOME that no musicsync command has used yet reads no run queue
    # limits (two runs at once, one per track) and no render pool: they are written there now,
    # and a restart takes them up.
    home = os.environ.get("DAGSTER_HOME")
    if home and home_settings(Path(home).expanduser().resolve()):
        logging.getLogger("musicsync").warning(
            "DAGSTER_HOME %s had no dagster.yaml: musicsync wrote the checkout's run queue limits and pools "
            "there; restart `dagster dev` to use them (until then runs are not limited to two at a time)", home)
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
