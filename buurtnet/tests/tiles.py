"""A local tile server for tests: the maps' tile layer is really exercised without a network.

It answers every /{z}/{x}/{y}.png with the same 256x256 light grey PNG and 404 to anything
else, and counts the tile requests. The fixtures `tile_server` and `tiles_unreachable`
(buurtnet/conftest.py) point settings.MAP_TILES at it, or at a port nobody listens on.
"""

import io
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

TILE_PATH = re.compile(r"^/([0-9]{1,2})/([0-9]{1,7})/([0-9]{1,7})\.png$")
ATTRIBUTION = "Test tiles"


def tile_png() -> bytes:
    """A real 256x256 PNG, light grey with a darker border, so tiles are visible in a
    screenshot."""
    image = Image.new("RGB", (256, 256), (232, 232, 228))
    for i in range(256):
        for x, y in ((i, 0), (0, i)):
            image.putpixel((x, y), (210, 210, 205))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class TileServer:
    """A threaded HTTP server on 127.0.0.1 and a free port, serving tiles until stop()."""

    def __init__(self) -> None:
        self.png = tile_png()
        self.paths: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                if not TILE_PATH.match(self.path.split("?", 1)[0]):
                    self.send_error(404)
                    return
                with server._lock:
                    server.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(server.png)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(server.png)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> int:
        """How many tiles were served since the last reset()."""
        with self._lock:
            return len(self.paths)

    def reset(self) -> None:
        with self._lock:
            self.paths.clear()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def closed_port() -> int:
    """A port nothing listens on: bound, read and closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_template() -> str:
    return f"http://127.0.0.1:{closed_port()}/{{z}}/{{x}}/{{y}}.png"
