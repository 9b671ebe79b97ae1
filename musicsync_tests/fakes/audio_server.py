"""A loopback web server for audio the tests synthesise: what yt-dlp downloads from in the tests."""

import functools
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from musicsync_tests.fakes.loopback import serve


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".m4a": "audio/mp4", ".flac": "audio/flac",
                      ".opus": "audio/ogg", ".ogg": "audio/ogg", ".wav": "audio/x-wav", ".mp3": "audio/mpeg",
                      ".png": "image/png", ".html": "text/html"}

    def log_message(self, format, *args):
        pass


@contextmanager
def serve_folder(folder: Path):
    """Serves `folder` on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    with serve(functools.partial(_Handler, directory=str(folder))) as base:
        yield base
