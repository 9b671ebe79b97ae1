"""`musicsync export rekordbox PATH` and `musicsync duplicates [--json]`, for `cli.py` to register:

    from musicsync_assets import cli_library
    cli_library.add_commands(commands)     # `commands`: the parser's add_subparsers()

Both read the catalog in MUSICSYNC_DATA_DIR directly and start no Dagster run.
"""

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK = 0


def _library():
    from musicsync_assets.lib.catalog.paths import DataPaths, default_data_dir
    from musicsync_assets.lib.catalog.store import Store

    paths = DataPaths(default_data_dir())
    return paths, Store(paths.database)


def _default_format() -> str:
    """The first format the library keeps (MUSICSYNC_FORMATS), which DJ software will play."""
    listed = [f.strip().lower() for f in os.environ.get("MUSICSYNC_FORMATS", "").split(",") if f.strip()]
    return listed[0] if listed else "m4a"


def export_rekordbox(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.pipeline import rekordbox

    paths, store = _library()
    report = rekordbox.export_rekordbox(store, paths, Path(args.path).expanduser(), args.format or _default_format())
    print(report.describe())
    for missing in report.missing:
        print(f"  missing: {missing.track_key}  {missing.recorded_path}", file=sys.stderr)
    return EXIT_OK


def duplicates(args: argparse.Namespace) -> int:
    from musicsync_assets.lib.audio.fingerprint import FINGERPRINT_VERSION
    from musicsync_assets.lib.catalog.duplicates import duplicate_groups

    _, store = _library()
    with store.session():
        groups = [[_entry(store, key) for key in group] for group in duplicate_groups(store)]
        merged = store.duplicates()
        unheard = sorted({t.track_key for t in store.tracks("synced")} - store.fingerprinted(FINGERPRINT_VERSION))
    if args.json:
        print(json.dumps({"groups": groups, "merged": merged, "not_fingerprinted": unheard}, indent=2,
                         ensure_ascii=False, default=str))
        return EXIT_OK
    if not groups:
        print("No two library entries are the same recording.")
    for number, group in enumerate(groups, start=1):
        print(f"{number}. the same recording:")
        for entry in group:
            print(f"   {entry['track_key']:<24} {entry['name']}  ({', '.join(entry['sources'])})")
    if merged:
        print(f"{len(merged)} duplicates were already folded into the entries they repeat (--json lists them).")
    if unheard:
        print(f"{len(unheard)} synced tracks have no fingerprint yet, so only their ISRC and name were compared.")
    return EXIT_OK


def _entry(store, track_key: str) -> dict:
    track = store.track(track_key)
    return {"track_key": track_key, "name": f"{track.display_artist} - {track.display_title}",
            "sources": [source["url"] or source["source_id"] for source in store.sources_of(track_key)],
            "files": {f.format: f.path for f in store.files(track_key)}}


def add_commands(commands) -> None:
    """Adds `export rekordbox` and `duplicates` to the `musicsync` parser's subcommands."""
    export = commands.add_parser("export", help="the library for DJ software")
    targets = export.add_subparsers(dest="export_target", required=True)
    rekordbox = targets.add_parser("rekordbox", help="a rekordbox XML collection with beat grids, cues and playlists")
    rekordbox.add_argument("path", help="where to write the XML, e.g. ~/Music/musicsync.xml")
    rekordbox.add_argument("--format", help="which of the library's formats to point at (default: the first kept)")
    rekordbox.set_defaults(run=export_rekordbox)
    listing = commands.add_parser("duplicates", help="library entries that are the same recording")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=duplicates)
