"""A loopback web server for audio the tests synthesise: what yt-dlp downloads from in the tests."""

import functools
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".m4a": "audio/mp4", ".flac": "audio/flac",
                      ".opus": "audio/ogg", ".ogg": "audio/ogg", ".wav": "audio/x-wav", ".mp3": "audio/mpeg",
                      ".png": "image/png", ".html": "text/html"}

    def log_message(self, format, *args):
        pass


@contextmanager
def serve_folder(folder: Path):
    """Serves `folder` on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
