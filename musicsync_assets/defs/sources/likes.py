"""Likes become library tracks by themselves: a sensor per source (SoundCloud likes, Spotify likes,
the Spotify track playing now, the Notion queue) adds each new track as a partition and asks for
its `sync_track` run, the same shape as the inbox sensor."""

import dagster as dg

from musicsync_assets.defs.jobs import sync_track_job, track_run_request
from musicsync_assets.defs.partitions import track_partitions
from musicsync_assets.defs.resources import (
    RESOURCES,
    MusicLibrary,
    NotionWorkspace,
    SoundCloudAccount,
    SpotifyAccount,
    sensor_status,
)
from musicsync_assets.defs.sources.finders import find_new
from musicsync_assets.lib.pipeline.discovery import (
    NOTION_QUEUE,
    SOUNDCLOUD_LIKES,
    SPOTIFY_LIKES,
    SPOTIFY_PLAYING,
)


def _likes_sensor(source: str, interval_s: int, configured: bool, description: str):
    @dg.sensor(
        name=f"{source.replace('-', '_')}_sensor", job_name=sync_track_job.name, minimum_interval_seconds=interval_s,
        default_status=sensor_status(configured), description=description,
    )
    def likes_sensor(context: dg.SensorEvaluationContext, music_library: MusicLibrary, soundcloud: SoundCloudAccount,
                     spotify: SpotifyAccount, notion: NotionWorkspace) -> dg.SensorResult | dg.SkipReason:
        # find_new reads at most one budget of likes (likes_per_tick), which caps the runs of a tick.
        found = find_new(source, music_library, soundcloud, spotify, notion)
        if found.paused:
            return dg.SkipReason(found.paused)
        for reason in found.skipped:
            context.log.info(f"{source}: skipped {reason}")
        context.log.info(f"{source}: {found.summary}")
        keys = list(dict.fromkeys(found.to_sync))
        store = music_library.store
        return dg.SensorResult(
            run_requests=[track_run_request(store, key, f"{source}:{key}", source) for key in keys],
            dynamic_partitions_requests=[track_partitions.build_add_request(keys)] if keys else [],
        )

    return likes_sensor


soundcloud_likes_sensor = _likes_sensor(
    SOUNDCLOUD_LIKES, 300, RESOURCES["soundcloud"].configured,
    "Reads your SoundCloud likes, newest first, down to the first one already known, and starts a run for each "
    "new one. A first sync of many likes is spread over ticks. Needs SOUNDCLOUD_CLIENT_ID and SOUNDCLOUD_USER.")
spotify_likes_sensor = _likes_sensor(
    SPOTIFY_LIKES, 300, RESOURCES["spotify"].configured,
    "Reads your Spotify liked songs, newest first, down to the first one already known, and starts a run for "
    "each new one (downloaded from its YouTube match). Needs the Spotify app's ID and secret, and the refresh "
    "token `musicsync auth spotify` prints.")
spotify_playing_sensor = _likes_sensor(
    SPOTIFY_PLAYING, 60, RESOURCES["spotify"].configured,
    "The Spotify track playing now becomes a library track (once). Needs what the likes sensor needs.")
notion_queue_sensor = _likes_sensor(
    NOTION_QUEUE, 120, RESOURCES["notion"].configured,
    "Pages you add to the Notion Tracks database with a Source URL (and nothing downloaded yet) become tracks; "
    "each page is then filled in by the sync.")
