"""The trash: what a duplicate replaced waits here until its purge date instead of being deleted.

Only files musicsync made itself (the library's encodes and the originals it downloaded or copied,
all under the data directory) are ever moved here, and purging deletes only what a manifest says
musicsync moved in: a file you put in the trash yourself, or anywhere else, is never deleted.

Layout: `trash/purge-after-YYYY-MM-DD/<path under the data directory>`, with `manifest.json` in
each dated folder listing every file moved in, where from, and why.
"""

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

from musicsync_assets.lib.catalog.paths import DataPaths, replace_atomically

KEEP_DAYS = 30
_PREFIX = "purge-after-"
_MANIFEST = "manifest.json"


def made_by_musicsync(paths: DataPaths, path: Path) -> bool:
    """Library encodes and originals are musicsync's own copies; anything else is the user's."""
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(folder.resolve()) for folder in (paths.library, paths.originals))


def move_to_trash(paths: DataPaths, files: list[Path], reason: str, today: date | None = None,
                  keep_days: int = KEEP_DAYS) -> list[Path]:
    """Moves musicsync's own files into the trash; returns where they went. Files musicsync did not
    make and files already gone are left alone (and not returned)."""
    purge_after = (today or date.today()) + timedelta(days=keep_days)
    folder = paths.trash / f"{_PREFIX}{purge_after.isoformat()}"
    moved, entries = [], []
    for source in files:
        source = Path(source)
        if not source.is_file() or not made_by_musicsync(paths, source):
            continue
        target = folder / source.resolve().relative_to(paths.root.resolve())
        attempt = 1
        while target.exists():  # the same name trashed twice in one day: keep both
            attempt += 1
            target = target.with_name(f"{source.stem} ({attempt}){source.suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)  # a rename on the same disk
        moved.append(target)
        entries.append({"file": target.relative_to(folder).as_posix(), "from": str(source), "reason": reason})
    if entries:
        _add_to_manifest(folder, entries, purge_after)
    return moved


def _add_to_manifest(folder: Path, entries: list[dict], purge_after: date) -> None:
    manifest = folder / _MANIFEST
    known = json.loads(manifest.read_text()) if manifest.exists() else {"purge_after": purge_after.isoformat(),
                                                                         "files": []}
    known["files"] += entries
    scratch = folder / f".{_MANIFEST}.tmp"
    scratch.write_text(json.dumps(known, indent=2, ensure_ascii=False))
    replace_atomically(scratch, manifest)


def purge_trash(paths: DataPaths, today: date | None = None) -> list[Path]:
    """Deletes the files musicsync trashed whose purge date has passed; returns what it deleted."""
    today = today or date.today()
    deleted = []
    for folder in sorted(paths.trash.glob(f"{_PREFIX}*")) if paths.trash.is_dir() else []:
        try:
            purge_after = date.fromisoformat(folder.name.removeprefix(_PREFIX))
        except ValueError:
            continue  # not a folder musicsync named
        manifest = folder / _MANIFEST
        if purge_after >= today or not manifest.is_file():
            continue
        for entry in json.loads(manifest.read_text())["files"]:
            target = folder / entry["file"]
            if target.is_file():
                target.unlink()
                deleted.append(target)
        manifest.unlink()
        for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
            if not any(directory.iterdir()):
                directory.rmdir()
        if not any(folder.iterdir()):
            os.rmdir(folder)
    return deleted
