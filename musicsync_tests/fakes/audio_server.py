"""A loopback web server for audio the tests synthesise: what yt-dlp downloads from in the tests."""

import functools
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from musicsync_tests.fakes.loopback import serve


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".m4a": "audio/mp4", ".flac": "audio/flac",
                      ".opus": "audio/ogg", ".ogg": "audio/ogg", ".wav": "audio/x-wav", ".mp3": "audio/mpeg",
                      ".png": "image/png", ".html": "text/html"}

    def __init__(self, *args, outage: threading.Event | None = None, **kwargs):
        self.outage = outage
        super().__init__(*args, **kwargs)

    def send_head(self):
        if self.outage is not None and self.outage.is_set():
            self.send_error(503, "Service Unavailable")
            return None
        if self.path.startswith("/private/"):
            self.send_error(401, "Unauthorized")
            return None
        return super().send_head()

    def log_message(self, format, *args):
        pass


@contextmanager
def serve_folder(folder: Path, outage: threading.Event | None = None):
    """Serves `folder` on 127.0.0.1 at a free port; yields the base URL (no trailing slash).
    While `outage` is set, every request is answered 503 Service Unavailable; anything under
    /private/ is answered 401 Unauthorized."""
    with serve(functools.partial(_Handler, directory=str(folder), outage=outage)) as base:
        yield base
