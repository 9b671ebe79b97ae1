"""A library track into Eagle, once: what the `eagle_item` asset does for each track.

The item gets the track's name (`Artist - Title`), tags (BPM, key, Camelot, source; the catalog
keeps no genre yet, so none is sent), the source URL as its website, an annotation, and the
configured folder (created when missing). An item Eagle already has for the track (same website
or name) is adopted, never imported twice, and its ID goes into the catalog (`eagle_items`, and
`eagle_item` in `musicsync library --json`).

Eagle runs only while its app is open: when it does not answer, the import is queued (the
`eagle_queue` table), not failed, and `drain_queue` imports the queue once the app is back. An
error envelope fails that one track with Eagle's message and keeps it queued too, so nothing is
lost; the rest of a batch carries on.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.errors import MusicsyncError, UnknownTrack
from musicsync_assets.lib.pipeline.stages import library_row
from musicsync_assets.lib.services.eagle import EagleClient, EagleError, EagleUnavailable

IMPORT_WAIT_S = 120.0  # for another process importing into Eagle; then the tracks wait in the queue
SOURCE_NAMES = {"soundcloud": "SoundCloud", "spotify": "Spotify", "youtube": "YouTube", "file": "Inbox", "url": "Web"}


@dataclass(frozen=True)
class EagleOutcome:
    track_key: str
    status: str  # imported | existing | cached | queued | failed
    item_id: str | None = None
    message: str | None = None


def item_fields(store: Store, track_key: str, fmt: str) -> dict:
    """What the Eagle item carries: file, name, website, tags and annotation."""
    row = library_row(store, track_key)
    track = store.track(track_key)
    path = row["files"].get(fmt)
    if not path or not Path(path).is_file():
        raise UnknownTrack(f"track {track_key} has no {fmt} file in the library yet",
                           "sync the track first; Eagle imports the library's files")
    sources = sorted({s["kind"] for s in row["sources"]} | {track.source_kind})
    tags = [f"{row['bpm_int']} BPM" if row["bpm_int"] else None, row["key"], row["camelot"],
            *(SOURCE_NAMES.get(kind, kind) for kind in sources)]
    website = track.source_url if track.source_url.startswith(("http://", "https://")) else None
    details = [f"{row['bpm']} BPM" if row["bpm"] else None,
               f"{row['key']} ({row['camelot']})" if row["key"] else None,
               f"energy {row['energy']}" if row["energy"] else None]
    return {"path": Path(path), "name": f"{track.display_artist} - {track.display_title}", "website": website,
            "tags": [tag for tag in tags if tag],
            "annotation": " · ".join(d for d in details if d) + f"\nmusicsync {track_key}"}


def import_track(store: Store, client: EagleClient, track_key: str, fmt: str, folder_id: str) -> EagleOutcome:
    """Imports one track, or adopts Eagle's existing item for it. Raises EagleUnavailable/EagleError.
    An item musicsync imported for another track (another recording of the same name) is not adopted."""
    fields = item_fields(store, track_key, fmt)

    def anothers(item: dict) -> bool:
        """Whether the catalog, or else the item's annotation ("musicsync KEY"), ties it to another track."""
        owner = store.eagle_track_of(item["id"])
        if owner is None:
            named = re.search(r"musicsync (\S+)$", item.get("annotation") or "")
            owner = named[1] if named else None
        return owner not in (None, track_key)

    existing = client.find_item(fields["website"], fields["name"], folder_id, skip=anothers)
    if existing:
        store.save_eagle_item(track_key, existing["id"])
        return EagleOutcome(track_key, "existing", existing["id"])
    item_id = client.add_from_path(fields["path"], fields["name"], fields["website"], fields["tags"],
                                   fields["annotation"], folder_id)
    store.save_eagle_item(track_key, item_id)
    return EagleOutcome(track_key, "imported", item_id)


def import_tracks(store: Store, client: EagleClient, track_keys: list[str], fmt: str, folder: str
                  ) -> list[EagleOutcome]:
    """Imports a batch, one outcome per track. Once Eagle stops answering, the rest are queued
    without calling it again; a track Eagle refuses stays queued; a track with no file fails alone.
    One process imports at a time: two track runs starting on an empty library would each create
    the folder, and a run and the queue sensor could import one track twice."""
    with store.alone("eagle", IMPORT_WAIT_S) as alone:
        if not alone:
            for track_key in track_keys:
                store.queue_eagle(track_key, "another import held Eagle")
            return [EagleOutcome(track_key, "queued", message="another import held Eagle") for track_key in track_keys]
        return _import_alone(store, client, track_keys, fmt, folder)


def _import_alone(store: Store, client: EagleClient, track_keys: list[str], fmt: str, folder: str
                  ) -> list[EagleOutcome]:
    outcomes: list[EagleOutcome] = []
    folder_id = None
    for index, track_key in enumerate(track_keys):
        known = store.eagle_item(track_key)
        if known:  # imported before: nothing to ask Eagle, and nothing left waiting in the queue
            store.save_eagle_item(track_key, known)
            outcomes.append(EagleOutcome(track_key, "cached", known))
            continue
        try:
            folder_id = folder_id or client.folder_id(folder)
            outcomes.append(import_track(store, client, track_key, fmt, folder_id))
        except EagleUnavailable as error:
            for waiting in track_keys[index:]:
                store.queue_eagle(waiting, error.reason)
                outcomes.append(EagleOutcome(waiting, "queued", message=error.reason))
            break
        except EagleError as error:
            store.queue_eagle(track_key, error.reason)
            outcomes.append(EagleOutcome(track_key, "failed", message=str(error)))
        except MusicsyncError as error:  # no file to send: waiting for Eagle would not help
            outcomes.append(EagleOutcome(track_key, "failed", message=str(error)))
    return outcomes


def drain_queue(store: Store, client: EagleClient, fmt: str, folder: str) -> list[EagleOutcome]:
    """Imports what waited for Eagle; nothing (and no error) while the app is still closed."""
    waiting = [entry["track_key"] for entry in store.eagle_queue()]
    if not waiting:
        return []
    try:
        client.info()
    except EagleUnavailable:
        return []
    return import_tracks(store, client, waiting, fmt, folder)
