"""SoundCloud likes become library tracks by themselves: `soundcloud_likes_sensor`, and
`musicsync sync --from soundcloud-likes`, which reads from the same stored cursor."""

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from musicsync_assets.defs.resources import MusicLibrary, SoundCloudAccount
from musicsync_assets.defs.tracks.jobs import sync
from musicsync_assets.lib.discovery import FirstSync, LikesCursor, walk_likes
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.recordings import Recording, RecordingIndex
from musicsync_assets.lib.soundcloud import SoundCloudRateLimited, SoundCloudTrack
from musicsync_assets.lib.store import Store

CURSOR = "soundcloud-likes"
SOURCE_TAG = "musicsync/source"


@dataclass
class LikesFound:
    """What one look at the likes found, and what became of each."""

    to_sync: list[str] = field(default_factory=list)  # track keys, oldest like first
    lines: list[str] = field(default_factory=list)  # one per like, for people
    skipped: list[str] = field(default_factory=list)
    pages: int = 0
    backfill_left: int = 0
    paused: str | None = None  # why nothing was read (rate limited, not configured, refused)

    @property
    def summary(self) -> str:
        return (f"{len(self.lines)} new likes in {self.pages} pages, {len(self.to_sync)} to sync, "
                f"{len(self.skipped)} skipped; {self.backfill_left} older stretches still to read")


def discover_likes(music_library: MusicLibrary, soundcloud: SoundCloudAccount, budget: int | None = None,
                   dry_run: bool = False) -> LikesFound:
    """Reads the likes newer than the stored cursor (and, budget permitting, older ones a first
    sync has not reached yet), adds them to the catalog and moves the cursor past them. A dry run
    reads the same likes and says what would happen, changing nothing."""
    if not soundcloud.configured:
        return LikesFound(paused="SoundCloud is not configured: set SOUNDCLOUD_CLIENT_ID, SOUNDCLOUD_OAUTH_TOKEN "
                                 "and SOUNDCLOUD_USER (in the environment or .env)")
    store = music_library.store
    cursor = LikesCursor.load(store.cursor(CURSOR))
    if cursor.rate_limited_until and time.time() < cursor.rate_limited_until:
        until = datetime.fromtimestamp(cursor.rate_limited_until, UTC).strftime("%H:%M:%S UTC")
        return LikesFound(paused=f"SoundCloud rate limited until {until}")
    client = soundcloud.client()
    known = store.source_ids("soundcloud")
    try:
        user_id = client.user_id(soundcloud.user)
        walked = walk_likes(
            lambda href: client.likes(user_id, start_href=href), cursor, is_known=lambda like: str(like.id) in known,
            budget=budget or soundcloud.likes_per_tick, first_sync=FirstSync.parse(soundcloud.first_sync),
            is_like=lambda item: isinstance(item, SoundCloudTrack),
        )
    except SoundCloudRateLimited as error:
        if not dry_run:
            cursor.rate_limited_until = time.time() + error.retry_after_s
            store.save_cursor(CURSOR, cursor.dump())
        return LikesFound(paused=f"{error.reason}; nothing was lost, a later look carries on")
    except MusicsyncError as error:
        return LikesFound(paused=str(error))

    found = LikesFound(skipped=walked.skipped, pages=walked.pages, backfill_left=len(walked.cursor.backfill))
    with store.session():  # one connection for the batch, opened only after the network walk
        recordings = RecordingIndex(store.tracks())
        for like in reversed(walked.new):  # oldest first, so the library fills in the order they were liked
            key, line = _take_like(store, like, recordings, dry_run)
            found.lines.append(f"{like.track_key}  {like.artist} - {like.title} ({like.duration_s:.0f} s): {line}")
            if key and key not in found.to_sync:
                found.to_sync.append(key)
        if not dry_run:
            store.save_cursor(CURSOR, walked.cursor.dump())
    return found


def _take_like(store: Store, like: SoundCloudTrack, recordings: RecordingIndex, dry_run: bool
               ) -> tuple[str | None, str]:
    """Catalogues one like; returns the key to sync (None: nothing to sync) and what happened."""
    recording = Recording(like.isrc, like.artist, like.title, like.duration_s)
    same = recordings.find(recording)
    if same:
        # The same recording from another source: one more source for that entry, not a second download.
        if not dry_run:
            store.add_source(same, "soundcloud", str(like.id), like.permalink_url)
        synced = store.track(same).status == "synced"
        return (None if synced else same), f"same recording as {same}" + (" (already synced)" if synced else "")
    reason = like.unavailable_reason
    recordings.add(like.track_key, recording)
    if not dry_run:
        store.register_track(like.track_key, "soundcloud", like.permalink_url, str(like.id))
        store.update_track(like.track_key, title=like.title, artists=[like.artist], duration_s=like.duration_s,
                           artwork_url=like.artwork_url, isrc=like.isrc)
        if reason:  # recorded once with its reason, never retried
            store.mark_failed(like.track_key, "unavailable", f"{like.permalink_url} offers {reason}")
    return (None, f"unavailable, {reason}") if reason else (like.track_key, "to sync")


@dg.sensor(
    job=sync, minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING if os.environ.get("SOUNDCLOUD_CLIENT_ID")
    else dg.DefaultSensorStatus.STOPPED,
    description="Reads your SoundCloud likes, newest first, down to the first one already known, and syncs "
                "the new ones in runs of `tracks_per_run`. A first sync of many likes is spread over ticks.",
)
def soundcloud_likes_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary,
                            soundcloud: SoundCloudAccount) -> dg.SensorResult | dg.SkipReason:
    found = discover_likes(music_library, soundcloud)
    if found.paused:
        return dg.SkipReason(found.paused)
    for reason in found.skipped:
        context.log.info(f"SoundCloud like skipped: {reason}")
    size = soundcloud.tracks_per_run
    batches = [found.to_sync[i:i + size] for i in range(0, len(found.to_sync), size)]
    context.log.info(f"SoundCloud: {found.summary}; {len(batches)} runs requested")
    return dg.SensorResult(run_requests=[
        dg.RunRequest(run_key=f"soundcloud-likes:{batch[0]}:{batch[-1]}",
                      run_config={"ops": {"sync_sources": {"config": {"sources": batch}}}},
                      tags={SOURCE_TAG: "soundcloud-likes"})
        for batch in batches
    ])
