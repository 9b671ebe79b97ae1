"""What is new at each source: SoundCloud likes, Spotify likes, the Spotify track playing now, and
links the user adds to the Notion Tracks database (the Notion queue). Each source's sensor and
`musicsync sync --from <source>` read from the same cursor, kept in the catalog, so running either
again reads only what is new; `next_track` walks the sources in the fallback chain's order."""

from musicsync_assets.defs.resources import MusicLibrary, NotionWorkspace, SoundCloudAccount, SpotifyAccount
from musicsync_assets.lib.catalog.recordings import RecordingIndex
from musicsync_assets.lib.errors import MusicsyncError
from musicsync_assets.lib.pipeline import stages
from musicsync_assets.lib.pipeline.discovery import (
    NOTION_QUEUE,
    SOUNDCLOUD_LIKES,
    SOURCES,
    SPOTIFY_LIKES,
    SPOTIFY_PLAYING,
    FirstSync,
    LikesFound,
    SkippedLike,
    discover,
    take_like,
)
from musicsync_assets.lib.pipeline.sources import identify

_NOT_CONFIGURED = {
    SOUNDCLOUD_LIKES: "SoundCloud is not configured: set SOUNDCLOUD_CLIENT_ID, SOUNDCLOUD_OAUTH_TOKEN and "
                      "SOUNDCLOUD_USER (in the environment or .env)",
    SPOTIFY_LIKES: "Spotify is not configured: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET, then run "
                   "`musicsync auth spotify` for SPOTIFY_REFRESH_TOKEN",
}
_NOT_CONFIGURED[SPOTIFY_PLAYING] = _NOT_CONFIGURED[SPOTIFY_LIKES]
_NOT_CONFIGURED[NOTION_QUEUE] = "Notion is not configured: set NOTION_TOKEN and NOTION_TRACKS_DATABASE"


def find_new(source: str, music_library: MusicLibrary, soundcloud: SoundCloudAccount, spotify: SpotifyAccount,
             notion: NotionWorkspace, budget: int | None = None, dry_run: bool = False) -> LikesFound:
    """What is new at one source, catalogued (unless a dry run), with the keys to sync. How the
    look went is kept, so `doctor` and the library table tell a service that answers from one
    that fails (a source that is not configured is not looked at)."""
    found = _find_new(source, music_library, soundcloud, spotify, notion, budget, dry_run)
    if found.paused != _NOT_CONFIGURED[source]:
        music_library.store.record_look(source, found.paused)
    session = notion.sync(music_library) if found.unavailable and not dry_run else None
    if session is not None:  # never run, so no run writes their pages: they show there as unavailable now
        for track_key in found.unavailable:
            music_library.store.enqueue_notion("track", track_key)
        session.drain()  # what Notion does not take now waits in the backlog
    return found


def _find_new(source: str, music_library: MusicLibrary, soundcloud: SoundCloudAccount, spotify: SpotifyAccount,
              notion: NotionWorkspace, budget: int | None, dry_run: bool) -> LikesFound:
    store = music_library.store
    if source == NOTION_QUEUE:
        return _notion_queue(music_library, notion, budget, dry_run)
    if source == SOUNDCLOUD_LIKES:
        if not soundcloud.configured:
            return LikesFound(paused=_NOT_CONFIGURED[source])

        def soundcloud_pages():
            client = soundcloud.client()
            user_id = client.user_id(soundcloud.user)
            return lambda href: client.likes(user_id, start_href=href)

        return discover(store, source, "soundcloud", soundcloud_pages, budget or soundcloud.likes_per_tick,
                        FirstSync.parse(soundcloud.first_sync), dry_run)
    if not spotify.configured:
        return LikesFound(paused=_NOT_CONFIGURED[source])
    if source == SPOTIFY_LIKES:
        return discover(store, source, "spotify", lambda: spotify.client().liked_pages,
                        budget or spotify.likes_per_tick, FirstSync.parse(spotify.first_sync), dry_run)
    return _playing_now(music_library, spotify, dry_run)


def _notion_queue(music_library: MusicLibrary, notion: NotionWorkspace, budget: int | None, dry_run: bool
                  ) -> LikesFound:
    """Links the user put in the Tracks database by hand. Each becomes a track; its page is adopted
    (matched by Source URL) when the track's page is written, so it is taken once."""
    session = notion.sync(music_library)
    if session is None:
        return LikesFound(paused=_NOT_CONFIGURED[NOTION_QUEUE])
    try:
        urls = session.queued_urls()
    except MusicsyncError as error:
        return LikesFound(paused=str(error))
    found, store = LikesFound(pages=1), music_library.store
    for url in urls[: budget or len(urls)]:
        try:
            ref = identify(url)
        except MusicsyncError as error:
            found.skipped.append(f"{url}: {error}")
            continue
        known = store.key_for_source(ref.kind, ref.source_id)
        if known and store.track(known).status != "pending":
            continue  # taken before: synced, or failed with a task that says why
        key = known or (ref.track_key if dry_run else stages.register(store, ref).track_key)
        found.lines.append(f"{key}  {url}: to sync (Notion queue)")
        found.to_sync.append(key)
    return found


def _playing_now(music_library: MusicLibrary, spotify: SpotifyAccount, dry_run: bool) -> LikesFound:
    try:
        playing = spotify.client().currently_playing()
    except MusicsyncError as error:
        return LikesFound(paused=str(error))
    if playing is None:
        return LikesFound(lines=[], pages=1)
    if isinstance(playing, SkippedLike):
        return LikesFound(skipped=[playing.reason], pages=1)
    store = music_library.store
    if str(playing.id) in store.source_ids("spotify"):
        return LikesFound(pages=1)
    with store.session():
        key, outcome = take_like(store, playing, "spotify", RecordingIndex(store.tracks()), dry_run)
    return LikesFound(to_sync=[key] if key else [], pages=1,
                      lines=[f"{playing.track_key}  {playing.artist} - {playing.title}: {outcome} (playing now)"])


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
