"""A demo stand-in for the real base map: street-map tiles drawn from the demo database.

Not a product feature. The README's screenshots are taken on machines without internet, where
the real base map (CartoWeb.be) cannot be fetched; this small tile server draws the demo's
municipality outlines and streets instead, so that the maps in the screenshots have streets
under them. Run it by hand:

    DEBUG=1 .venv/bin/python scripts/demo_tiles.py [--port 8765]

and serve the site with MAP_TILES=http://127.0.0.1:8765/{z}/{x}/{y}.png and
MAP_TILES_ATTRIBUTION="Demo streets, Buurtnet". scripts/screenshots.py does this itself.

Tiles are XYZ Web-Mercator PNGs (256 px), drawn with Pillow at twice the size and scaled down
for smooth lines, and kept in memory once drawn.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

TILE = 256
SCALE = 2  # drawn at 512 px, then scaled down: anti-aliased lines and text
BACKGROUND = (242, 239, 233)
OUTLINE = (150, 150, 155)
CASING = (178, 172, 165)
ROAD = (255, 255, 255)
TEXT = (70, 70, 70)
HALO = (255, 255, 255)
LABEL_ZOOM = 16
FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TILE_PATH = re.compile(r"^/(\d{1,2})/(\d+)/(\d+)\.png$")


@dataclass(frozen=True)
class Street:
    name: str
    start: tuple[float, float]  # (lon, lat)
    end: tuple[float, float]


@dataclass(frozen=True)
class Geography:
    outlines: list[list[tuple[float, float]]]  # rings of (lon, lat)
    streets: list[Street]


def load_geography() -> Geography:
    """The municipalities' outlines and the streets of the database Django is set up with."""
    from buurtnet.networks.models import Municipality
    from buurtnet.networks.models import Street as StreetModel

    outlines = []
    for area in Municipality.objects.exclude(area=None).values_list("area", flat=True):
        polygons = area["coordinates"]
        if area.get("type") != "MultiPolygon":
            polygons = [polygons]
        rings = (ring for polygon in polygons for ring in polygon)
        outlines += [[(lon, lat) for lon, lat, *_ in ring] for ring in rings]
    streets = [
        Street(name, (lon1, lat1), (lon2, lat2))
        for name, lon1, lat1, lon2, lat2 in StreetModel.objects.values_list(
            "name", "start_lon", "start_lat", "end_lon", "end_lat"
        )
    ]
    return Geography(outlines, streets)


# The demo's streets are a few short stretches near each BIN's centre, not a street network:
# zoomed out they would look like scribbles, so they appear only from this zoom.
STREET_ZOOM = 15


def world_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web-Mercator pixel position at `zoom`, in drawing pixels (SCALE per tile pixel)."""
    size = TILE * SCALE * 2**zoom
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return (lon + 180) / 360 * size, y


def road_width(zoom: int) -> float:
    """Casing width in tile pixels: a grey hair below zoom 13, 3 px at 13 and 14 (a white line
    in a grey edge), then doubling with each zoom level: 5.5 px at 15, 11 px at 16."""
    if zoom < 13:
        return 1.0
    return max(3.0, 11 * 2 ** (zoom - 16))


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two boxes (left, top, right, bottom) overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(FONT_FILE), size)
    except OSError:
        return ImageFont.load_default(size)


class Renderer:
    def __init__(self, geography: Geography) -> None:
        self.geography = geography
        self.font = font(11 * SCALE)
        self.tiles: dict[tuple[int, int, int], bytes] = {}
        self.labels: dict[int, list[tuple[Image.Image, float, float]]] = {}
        self.lock = threading.Lock()

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        key = (zoom, x, y)
        with self.lock:
            if key not in self.tiles:
                self.tiles[key] = self.draw(zoom, x, y)
            return self.tiles[key]

    def draw(self, zoom: int, x: int, y: int) -> bytes:
        size = TILE * SCALE
        left, top = x * size, y * size
        image = Image.new("RGB", (size, size), BACKGROUND)
        pen = ImageDraw.Draw(image)

        def px(point: tuple[float, float]) -> tuple[float, float]:
            wx, wy = world_px(point[0], point[1], zoom)
            return wx - left, wy - top

        for ring in self.geography.outlines:
            pen.line([px(p) for p in ring], fill=OUTLINE, width=2 * SCALE, joint="curve")
        casing = road_width(zoom) * SCALE
        for fill, width in ((CASING, casing), (ROAD, casing - 2 * SCALE)):
            if width <= 0 or zoom < STREET_ZOOM:
                continue
            for street in self.geography.streets:
                a, b = px(street.start), px(street.end)
                pen.line([a, b], fill=fill, width=round(width))
                for cx, cy in (a, b):  # round ends
                    r = width / 2
                    pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        if zoom >= LABEL_ZOOM:
            for label, cx, cy in self.street_labels(zoom):
                w, h = label.size
                image.paste(label, (round(cx - left - w / 2), round(cy - top - h / 2)), label)
        image = image.resize((TILE, TILE), Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
        return out.getvalue()

    def street_labels(self, zoom: int) -> list[tuple[Image.Image, float, float]]:
        """Each street's name along its middle, when it fits; longest streets first, none
        overlapping. Computed for the whole map, so a label crossing tiles is drawn whole."""
        if zoom in self.labels:
            return self.labels[zoom]
        placed: list[tuple[Image.Image, float, float]] = []
        boxes: list[tuple[float, float, float, float]] = []
        streets = sorted(
            self.geography.streets,
            key=lambda s: -math.dist(world_px(*s.start, zoom), world_px(*s.end, zoom)),
        )
        for street in streets:
            (x1, y1), (x2, y2) = world_px(*street.start, zoom), world_px(*street.end, zoom)
            left, top, right, bottom = self.font.getbbox(street.name)
            if right - left + 8 * SCALE > math.hypot(x2 - x1, y2 - y1):
                continue
            angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
            if angle > 90:
                angle -= 180
            elif angle < -90:
                angle += 180
            text = Image.new("RGBA", (right + 4 * SCALE, bottom + 4 * SCALE), (0, 0, 0, 0))
            ImageDraw.Draw(text).text(
                (2 * SCALE, 2 * SCALE),
                street.name,
                font=self.font,
                fill=TEXT,
                stroke_width=SCALE + 1,
                stroke_fill=HALO,
            )
            label = text.rotate(-angle, resample=Image.BICUBIC, expand=True)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            w, h = label.size
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if any(overlap(box, other) for other in boxes):
                continue
            boxes.append(box)
            placed.append((label, cx, cy))
        self.labels[zoom] = placed
        return placed


def serve(geography: Geography, port: int = 0) -> ThreadingHTTPServer:
    """Start the tile server on 127.0.0.1 in a daemon thread; its template is template(server)."""
    renderer = Renderer(geography)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            match = TILE_PATH.match(self.path)
            if (
                not match
                or int(match[1]) > 22
                or not all(0 <= int(v) < 2 ** int(match[1]) for v in match.group(2, 3))
            ):
                self.send_error(404)
                return
            body = renderer.tile(*(int(v) for v in match.groups()))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: a map page asks for dozens of tiles."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def template(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="0: any free port")
    port = parser.parse_args().port
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
    import django

    django.setup()
    server = serve(load_geography(), port)
    print(f"MAP_TILES={template(server)}")
    print('MAP_TILES_ATTRIBUTION="Demo streets, Buurtnet"')
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
