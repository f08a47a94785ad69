"""Server-rendered SVG maps of network areas.

No tile server is needed (the police network may have none, and a cheap phone pays
for every map tile): the areas are projected to SVG paths here, and a few lines of
JavaScript turn a tap on the map back into a longitude and latitude.
"""

import math
from dataclasses import dataclass

WIDTH = 1000  # SVG user units; the map scales to the screen


@dataclass(frozen=True)
class MapShape:
    network: object
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class AreaMap:
    shapes: list[MapShape]
    width: int
    height: int
    min_lon: float
    max_lat: float
    scale_x: float  # SVG units per degree of longitude
    scale_y: float  # SVG units per degree of latitude
    points: list[tuple[float, float]]


def build_map(networks, points: list[tuple[float, float]] = (), margin: float = 0.004) -> AreaMap:
    """Project the networks' areas (and optional (lon, lat) points) onto one SVG canvas."""
    networks = list(networks)
    if not networks:
        return AreaMap([], WIDTH, WIDTH // 2, 0, 0, 1, 1, [])
    min_lon = min(n.min_lon for n in networks) - margin
    max_lon = max(n.max_lon for n in networks) + margin
    min_lat = min(n.min_lat for n in networks) - margin
    max_lat = max(n.max_lat for n in networks) + margin
    # Equirectangular projection corrected for Belgium's latitude: good enough at this size.
    aspect = math.cos(math.radians((min_lat + max_lat) / 2))
    scale_x = WIDTH / (max_lon - min_lon)
    scale_y = scale_x / aspect
    height = round((max_lat - min_lat) * scale_y)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - min_lon) * scale_x, 1), round((max_lat - lat) * scale_y, 1)

    shapes = []
    for network in networks:
        rings = network.area["coordinates"]
        path = " ".join(
            "M" + " L".join("{},{}".format(*project(pt[0], pt[1])) for pt in ring[:-1]) + " Z"
            for ring in rings
        )
        outer = rings[0][:-1]
        cx = sum(pt[0] for pt in outer) / len(outer)
        cy = sum(pt[1] for pt in outer) / len(outer)
        lx, ly = project(cx, cy)
        shapes.append(MapShape(network, path, lx, ly))
    return AreaMap(
        shapes=shapes,
        width=WIDTH,
        height=height,
        min_lon=min_lon,
        max_lat=max_lat,
        scale_x=scale_x,
        scale_y=scale_y,
        points=[project(lon, lat) for lon, lat in points],
    )
