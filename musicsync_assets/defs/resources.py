"""Every resource musicsync uses, bound in one place from the environment (or `.env`)."""

import json
import os
from pathlib import Path

import dagster as dg
import dotenv

from musicsync_assets.lib.audio.analysis import DEFAULT_BPM_RANGE
from musicsync_assets.lib.audio.codec import FORMATS
from musicsync_assets.lib.catalog.duplicates import parse_policy
from musicsync_assets.lib.catalog.paths import DataPaths, default_data_dir
from musicsync_assets.lib.catalog.store import Store
from musicsync_assets.lib.pipeline.naming import DEFAULT_TEMPLATE
from musicsync_assets.lib.pipeline.notion_sync import NotionSettings, NotionSync
from musicsync_assets.lib.pipeline.stages import LibrarySettings
from musicsync_assets.lib.services.download import DownloadOptions
from musicsync_assets.lib.services.eagle import DEFAULT_FOLDER as EAGLE_DEFAULT_FOLDER
from musicsync_assets.lib.services.eagle import DEFAULT_URL as EAGLE_DEFAULT_URL
from musicsync_assets.lib.services.eagle import EagleClient, EagleSettings
from musicsync_assets.lib.services.soundcloud import DEFAULT_API_URL as DEFAULT_SOUNDCLOUD_API
from musicsync_assets.lib.services.soundcloud import SoundCloudClient
from musicsync_assets.lib.services.spotify import DEFAULT_API_URL as DEFAULT_SPOTIFY_API
from musicsync_assets.lib.services.spotify import DEFAULT_TOKEN_URL as DEFAULT_SPOTIFY_TOKEN_URL
from musicsync_assets.lib.services.spotify import SpotifyClient


class MusicLibrary(dg.ConfigurableResource):
    """The local library: where it lives, which formats it keeps, how files are named and analysed."""

    data_dir: str = ""  # empty: MUSICSYNC_DATA_DIR, else ./data
    formats: list[str] = ["m4a", "wav", "aiff"]
    sample_rate: int = 44100
    channels: int = 2
    aac_kbps: int = 256
    filename_template: str = DEFAULT_TEMPLATE
    bpm_min: float = DEFAULT_BPM_RANGE[0]
    bpm_max: float = DEFAULT_BPM_RANGE[1]
    min_duration_s: float = 5.0
    download_rate_limit_bytes_per_s: int | None = None
    download_retries: int = 3
    in_run_retry_wait_s: float = 15.0  # before a step that failed on a passing fault runs again in the same run
    youtube_search: str = "ytmusic"  # where Spotify tracks are matched: ytmusic, or none (overrides file only)
    duplicate_policy: str = "keep_better"  # keep_better | keep_existing | keep_new | flag_only

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
            youtube_search=self.youtube_search, duplicate_policy=parse_policy(self.duplicate_policy),
        )


class NotionWorkspace(dg.ConfigurableResource):
    """The user's Notion: the Tracks database musicsync keeps true, and Agent-Tasks for failures.

    Unset token or Tracks database: the Notion assets say "not configured" and nothing else changes.
    """

    token: str | None = None
    tracks_database: str | None = None  # an ID or the database's full URL
    tasks_database: str | None = None
    issues_database: str | None = None
    api_url: str = "https://api.notion.com"
    property_names: dict[str, str] = {}  # musicsync's property name → the user's, e.g. {"BPM": "Tempo"}
    assignee_id: str | None = None  # a Notion user (person or agent) to assign failure tasks to
    task_priority: str | None = None
    dagster_url: str = "http://127.0.0.1:3000"  # for links from tasks to runs
    requests_per_s: float = 3.0
    retry_backoff_s: float = 1.0

    def settings(self, formats: list[str]) -> NotionSettings:
        return NotionSettings(
            token=_secret_value(self.token), tracks_database=self.tracks_database, tasks_database=self.tasks_database,
            issues_database=self.issues_database,
            api_url=self.api_url, property_names=dict(self.property_names), formats=tuple(formats),
            assignee_id=self.assignee_id, task_priority=self.task_priority, dagster_url=self.dagster_url,
            requests_per_s=self.requests_per_s, retry_backoff_s=self.retry_backoff_s,
        )

    @property
    def configured(self) -> bool:
        return bool(_secret_value(self.token) and self.tracks_database)

    def sync(self, music: MusicLibrary) -> NotionSync | None:
        """A Notion session over the library's catalog, or None when Notion is not configured."""
        settings = self.settings(music.formats)
        return NotionSync(settings, music.store) if settings.configured else None


class EagleApp(dg.ConfigurableResource):
    """The Eagle app on this machine, through its local API, and the folder tracks are imported
    into. Unset (no MUSICSYNC_EAGLE_URL, EAGLE_API_TOKEN or MUSICSYNC_EAGLE_FOLDER): nothing is
    imported and nothing says it was."""

    url: str | None = None
    token: str | None = None
    folder: str = EAGLE_DEFAULT_FOLDER

    @property
    def configured(self) -> bool:
        return bool(self.url or _secret_value(self.token))

    def client(self) -> EagleClient:
        return EagleClient(EagleSettings(url=self.url or EAGLE_DEFAULT_URL, token=_secret_value(self.token),
                                         folder=self.folder))


class SoundCloudAccount(dg.ConfigurableResource):
    """The user's SoundCloud, read through api-v2: whose likes to follow and the keys to do it.

    Unset `client_id` or `user`: the SoundCloud sensor skips, saying what to set."""

    client_id: str | None = None
    oauth_token: str | None = None
    user: str | None = None  # a numeric user ID or a profile permalink
    api_url: str = DEFAULT_SOUNDCLOUD_API
    likes_per_tick: int = 200
    first_sync: str = "all"  # all | newest:N | since:YYYY-MM-DD

    @property
    def configured(self) -> bool:
        return bool(_secret_value(self.client_id) and self.user)

    def client(self) -> SoundCloudClient | None:
        if not _secret_value(self.client_id):
            return None
        return SoundCloudClient(_secret_value(self.client_id), _secret_value(self.oauth_token), self.api_url)


class SpotifyAccount(dg.ConfigurableResource):
    """The user's Spotify: liked tracks and what is playing now. Spotify serves no audio, so each
    track is downloaded from its YouTube match. Unset credentials: the Spotify sensors skip, saying
    what to set."""

    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    api_url: str = DEFAULT_SPOTIFY_API
    token_url: str = DEFAULT_SPOTIFY_TOKEN_URL
    likes_per_tick: int = 200
    first_sync: str = "all"  # all | newest:N | since:YYYY-MM-DD
    max_wait_s: float = 30.0  # a longer Retry-After stops the tick instead of sleeping
    env_file: str = ".env"  # where a refresh token Spotify replaces is kept for the next start

    @property
    def configured(self) -> bool:
        return all(_secret_value(v) for v in (self.client_id, self.client_secret, self.refresh_token))

    def client(self) -> SpotifyClient:
        return SpotifyClient(_secret_value(self.client_id), _secret_value(self.client_secret),
                             self._refresh_token_now(), self.api_url, self.token_url, self.max_wait_s,
                             keep_refresh_token=self._keep_refresh_token)

    def _refresh_token_now(self) -> str | None:
        """The configured refresh token, or the one kept in `env_file` since when the configured one
        is this process's environment: a process started before Spotify replaced the token (a run
        forked from a launcher started earlier) would otherwise send the revoked one."""
        token = _secret_value(self.refresh_token)
        if token and token == os.environ.get("SPOTIFY_REFRESH_TOKEN") and os.path.isfile(self.env_file):
            return dotenv.dotenv_values(self.env_file).get("SPOTIFY_REFRESH_TOKEN") or token
        return token

    def _keep_refresh_token(self, token: str) -> None:
        """Spotify replaced the refresh token and refuses the old one from now on: this process's
        next client reads the new one from the environment, the next process from `env_file`."""
        os.environ["SPOTIFY_REFRESH_TOKEN"] = token
        # Through a symlinked .env to the file it points at, not over the link.
        dotenv.set_key(os.path.realpath(self.env_file), "SPOTIFY_REFRESH_TOKEN", token, quote_mode="never")


class Workspace(dg.ConfigurableResource):
    """The project musicsync reports on: plan files, code and logs to scan for gaps, status documents
    to keep an execution summary in, all relative to `root`, and nothing outside it read or written."""

    root: str = ""  # empty: MUSICSYNC_WORKSPACE, else the current directory
    plans_dirs: list[str] = ["plans", ".cursor/plans"]
    scan_paths: list[str] = []  # code and log files or folders for TODO/FIXME/BUG and error lines
    status_docs: list[str] = []  # Markdown files that get an execution summary between markers
    scaffold_missing: bool = False  # create missing documentation/config deliverables as marked stubs
    related_tasks: str = "prefix:musicsync"  # open Agent-Tasks to list: prefix:TEXT or PROPERTY=VALUE

    @property
    def path(self) -> Path:
        return Path(self.root or ".").expanduser().resolve()


def _secret_value(value):
    # Outside a run (the `musicsync` command) an EnvVar field is still a reference: read it here.
    return value.get_value() if isinstance(value, dg.EnvVar) else value


def _optional_secret(name: str):
    """An env-var reference (the UI shows its name, never its value), or None when it is unset."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def _env_formats() -> list[str]:
    listed = os.environ.get("MUSICSYNC_FORMATS", "")
    return [f.strip().lower() for f in listed.split(",") if f.strip()] or ["m4a", "wav", "aiff"]


def _env_list(name: str, default: list[str]) -> list[str]:
    listed = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return listed or default


def build_resources(notion: dict | None = None, soundcloud: dict | None = None, spotify: dict | None = None,
                    eagle: dict | None = None, workspace: dict | None = None, **library_overrides) -> dict:
    """The resource dict for Definitions; tests pass overrides such as `data_dir` or Notion's URL."""
    settings = {"formats": _env_formats(),
                "filename_template": os.environ.get("MUSICSYNC_FILENAME_TEMPLATE") or DEFAULT_TEMPLATE,
                "duplicate_policy": os.environ.get("MUSICSYNC_DUPLICATE_POLICY") or "keep_better",
                **library_overrides}
    notion_names = json.loads(os.environ.get("MUSICSYNC_NOTION_PROPERTIES") or "{}")
    notion = NotionWorkspace(
        token=_optional_secret("NOTION_TOKEN"),
        tracks_database=os.environ.get("NOTION_TRACKS_DATABASE") or None,
        tasks_database=os.environ.get("NOTION_TASKS_DATABASE") or None,
        issues_database=os.environ.get("NOTION_ISSUES_DATABASE") or None,
        api_url=os.environ.get("MUSICSYNC_NOTION_API_URL") or "https://api.notion.com",
        property_names=notion_names,
        assignee_id=os.environ.get("MUSICSYNC_NOTION_ASSIGNEE") or None,
        task_priority=os.environ.get("MUSICSYNC_NOTION_TASK_PRIORITY") or None,
        dagster_url=os.environ.get("MUSICSYNC_DAGSTER_URL") or "http://127.0.0.1:3000",
    ) if notion is None else NotionWorkspace(**notion)
    soundcloud = SoundCloudAccount(
        client_id=_optional_secret("SOUNDCLOUD_CLIENT_ID"),
        oauth_token=_optional_secret("SOUNDCLOUD_OAUTH_TOKEN"),
        user=os.environ.get("SOUNDCLOUD_USER") or None,
        api_url=os.environ.get("MUSICSYNC_SOUNDCLOUD_API_URL") or DEFAULT_SOUNDCLOUD_API,
        first_sync=os.environ.get("MUSICSYNC_FIRST_SYNC") or "all",
    ) if soundcloud is None else SoundCloudAccount(**soundcloud)
    spotify = SpotifyAccount(
        client_id=os.environ.get("SPOTIFY_CLIENT_ID") or None,
        client_secret=_optional_secret("SPOTIFY_CLIENT_SECRET"),
        refresh_token=_optional_secret("SPOTIFY_REFRESH_TOKEN"),
        api_url=os.environ.get("MUSICSYNC_SPOTIFY_API_URL") or DEFAULT_SPOTIFY_API,
        token_url=os.environ.get("MUSICSYNC_SPOTIFY_TOKEN_URL") or DEFAULT_SPOTIFY_TOKEN_URL,
        first_sync=os.environ.get("MUSICSYNC_FIRST_SYNC") or "all",
    ) if spotify is None else SpotifyAccount(**spotify)
    eagle = EagleApp(
        url=os.environ.get("MUSICSYNC_EAGLE_URL") or (EAGLE_DEFAULT_URL if os.environ.get("MUSICSYNC_EAGLE_FOLDER")
                                                     else None),
        token=_optional_secret("EAGLE_API_TOKEN"),
        folder=os.environ.get("MUSICSYNC_EAGLE_FOLDER") or EAGLE_DEFAULT_FOLDER,
    ) if eagle is None else EagleApp(**eagle)
    workspace = Workspace(
        root=os.environ.get("MUSICSYNC_WORKSPACE") or "",
        plans_dirs=_env_list("MUSICSYNC_PLANS_DIRS", ["plans", ".cursor/plans"]),
        scan_paths=_env_list("MUSICSYNC_SCAN_PATHS", []),
        status_docs=_env_list("MUSICSYNC_STATUS_DOCS", []),
        scaffold_missing=os.environ.get("MUSICSYNC_SCAFFOLD_MISSING", "").lower() in ("1", "true", "yes"),
        related_tasks=os.environ.get("MUSICSYNC_RELATED_TASKS") or "prefix:musicsync",
    ) if workspace is None else Workspace(**workspace)
    return {"music_library": MusicLibrary(**settings), "notion": notion, "soundcloud": soundcloud,
            "spotify": spotify, "eagle": eagle, "workspace": workspace}


def sensor_status(configured: bool) -> dg.DefaultSensorStatus:
    """A service's sensors run by default only when its settings are there as the code loads."""
    return dg.DefaultSensorStatus.RUNNING if configured else dg.DefaultSensorStatus.STOPPED


# The code location's resources, read from the environment once as it loads; sensors and jobs ask
# them whether a service is configured.
RESOURCES = build_resources()


@dg.definitions
def resources() -> dg.Definitions:
    # Bound as they are, not as launch-time config: the launchpad asks for a job's own config (the
    # sources to sync) instead of opening on every setting's default.
    return dg.Definitions(resources={name: dg.ResourceDefinition.hardcoded_resource(resource, resource.__doc__)
                                     for name, resource in RESOURCES.items()})
