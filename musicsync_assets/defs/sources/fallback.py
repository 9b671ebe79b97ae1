"""Given no URL, sync the next thing the user most likely wants: the Spotify track playing now, else
the newest SoundCloud like not yet synced, else the newest Spotify like not yet synced, else the
oldest entry of the Notion queue."""

import dagster as dg

from musicsync_assets.defs.insights.run_history import TRACK_KEYS_TAG
from musicsync_assets.defs.resources import MusicLibrary, NotionWorkspace, SoundCloudAccount, SpotifyAccount
from musicsync_assets.defs.sources.likes import SOURCE_TAG, find_new
from musicsync_assets.defs.tracks.jobs import sync_tracks
from musicsync_assets.lib.pipeline.discovery import (
    NOTION_QUEUE,
    SOUNDCLOUD_LIKES,
    SOURCES,
    SPOTIFY_LIKES,
    SPOTIFY_PLAYING,
)

_KIND = {SOUNDCLOUD_LIKES: "soundcloud", SPOTIFY_LIKES: "spotify"}


def next_track(music_library: MusicLibrary, soundcloud: SoundCloudAccount, spotify: SpotifyAccount,
               notion: NotionWorkspace) -> tuple[str | None, str | None, list[str]]:
    """(track key, the source that supplied it, why each earlier source did not)."""
    reasons = []
    for source in SOURCES:
        found = find_new(source, music_library, soundcloud, spotify, notion)
        if found.paused:
            reasons.append(f"{source}: {found.paused}")
            continue
        if found.to_sync:
            # to_sync runs oldest first: the newest like, but the oldest Notion queue entry
            return found.to_sync[0 if source == NOTION_QUEUE else -1], source, reasons
        waiting = [t for t in music_library.store.tracks("pending") if t.source_kind == _KIND.get(source)]
        if waiting:
            return waiting[-1].track_key, source, reasons
        reasons.append(f"{source}: nothing new" + (" playing" if source == SPOTIFY_PLAYING else ""))
    return None, None, reasons


@dg.op(description="Picks the next track from the fallback chain (Spotify playing now, SoundCloud likes, "
                   "Spotify likes, the Notion queue) and syncs it, logging which source supplied it and why the earlier ones did not.")
def sync_next_track(context: dg.OpExecutionContext, music_library: MusicLibrary, notion: NotionWorkspace,
                    soundcloud: SoundCloudAccount, spotify: SpotifyAccount) -> dg.Output:
    key, source, reasons = next_track(music_library, soundcloud, spotify, notion)
    for reason in reasons:
        context.log.info(f"skipped {reason}")
    if key is None:
        return dg.Output(None, metadata={"picked": "nothing", "why": "; ".join(reasons)})
    context.log.info(f"{source} supplied {key}")
    context.instance.add_run_tags(context.run_id, {TRACK_KEYS_TAG: key, SOURCE_TAG: source})
    resources = {"music_library": music_library, "notion": notion, "soundcloud": soundcloud, "spotify": spotify}
    [result] = sync_tracks(context.instance, resources, [key], log=context.log)
    if not result.ok:
        raise dg.Failure(description=f"{key} from {source}: {result.reason}",
                         metadata={"error_class": "track_failures", "track": key, "source": source})
    return dg.Output(key, metadata={"picked": key, "source": source, "why_not_earlier": "; ".join(reasons) or "-"})


@dg.job(executor_def=dg.in_process_executor, description="Given no URL, syncs the first of: the Spotify track playing now, the newest SoundCloud like "
                    "not yet synced, the newest Spotify like not yet synced, the oldest Notion queue entry.")
def sync_next():
    sync_next_track()
