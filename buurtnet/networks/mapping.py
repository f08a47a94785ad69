"""What a map shows, as plain data for the `{% map %}` tag and static/js/map/map.js.

Views build it with `map_data(areas=[area_feature(n) ...], points=[point(...)], ...)`; the
tag writes it into the page with json_script. Coordinates are WGS 84 [longitude, latitude]
as in GeoJSON, except `fit`, which is Leaflet's [[south, west], [north, east]].

Also the zone's outline (the union of its municipalities' approximate outlines), to refuse
a BIN area drawn outside the zone.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from django.urls import reverse
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from . import geo
from .models import Municipality, Network, NetworkStatus, PoliceZone

# A map of one point shows this much around it (metres from the point to the box's edge).
SINGLE_POINT_HALF_SIDE_M = 150.0
# A drawn area may reach this share of its surface over the zone's approximate outline.
OUTSIDE_ZONE_TOLERANCE = 0.1


def area_feature(network: Network, *, link: bool = False, this: bool = False) -> dict:
    """A BIN's area as a GeoJSON Feature; url only when the map links to the BIN's page."""
    return {
        "type": "Feature",
        "id": network.pk,
        "geometry": network.area,
        "properties": {
            "id": network.pk,
            "name": network.name,
            "status": network.status,
            "status_label": str(NetworkStatus(network.status).label),
            "url": reverse("networks:detail", args=[network.pk]) if link else None,
            "this": this,
        },
    }


def point(
    lon: float, lat: float, label: str = "", number: int | None = None, kind: str = "home"
) -> dict:
    """A marker: a home, a report, a picked place; numbered markers match an ordered list."""
    return {
        "lon": float(lon),
        "lat": float(lat),
        "label": str(label),
        "number": number,
        "kind": kind,
    }


def map_data(
    *,
    areas: Iterable[dict] = (),
    points: Iterable[dict] = (),
    shape: dict | None = None,
    labels: bool = False,
    fit: str | Sequence | None = None,
) -> dict:
    """The data of one map. fit: None frames everything, "points" the points (and the shape)
    only, or explicit [[min_lat, min_lon], [max_lat, max_lon]]."""
    areas = list(areas)
    points = list(points)
    if fit is None:
        bounds = _bounds(areas, points, shape)
    elif fit == "points":
        bounds = _bounds((), points, shape)
    else:
        (min_lat, min_lon), (max_lat, max_lon) = fit
        bounds = [[float(min_lat), float(min_lon)], [float(max_lat), float(max_lon)]]
    return {
        "areas": {"type": "FeatureCollection", "features": areas},
        "points": points,
        "shape": shape,
        "labels": bool(labels),
        "fit": bounds,
    }


def frame(*shapes: dict | None, margin: float = 0.5) -> list:
    """Bounds for map_data(fit=…) around these shapes (GeoJSON or circles), widened by
    `margin` of their size on each side: close on what is being edited, with its
    surroundings in view."""
    geometries = [shape_geometry(s) for s in shapes if s]
    min_lon, min_lat, max_lon, max_lat = shapely.union_all(geometries).bounds
    dx = max(max_lon - min_lon, 0.002) * margin
    dy = max(max_lat - min_lat, 0.001) * margin
    return [[min_lat - dy, min_lon - dx], [max_lat + dy, max_lon + dx]]


def shape_geometry(value: dict) -> BaseGeometry:
    """A GeoJSON geometry or our {"type": "Circle", "lon", "lat", "radius_m"} as shapely
    (a circle as the polygon geo.circle_polygon makes of it, as for a message's target)."""
    if value.get("type") == "Circle":
        lon, lat, radius = float(value["lon"]), float(value["lat"]), float(value["radius_m"])
        return shape(geo.circle_polygon(lon, lat, radius))
    return shape(value)


def _bounds(areas: Iterable[dict], points: list[dict], shape_: dict | None) -> list | None:
    boxes = [shape(feature["geometry"]).bounds for feature in areas]
    if shape_:
        boxes.append(shape_geometry(shape_).bounds)
    boxes.extend((p["lon"], p["lat"], p["lon"], p["lat"]) for p in points)
    if not boxes:
        return None
    min_lon = min(b[0] for b in boxes)
    min_lat = min(b[1] for b in boxes)
    max_lon = max(b[2] for b in boxes)
    max_lat = max(b[3] for b in boxes)
    if min_lon == max_lon and min_lat == max_lat:
        kx, ky = geo.metres_per_degree(min_lat)
        dlon, dlat = SINGLE_POINT_HALF_SIDE_M / kx, SINGLE_POINT_HALF_SIDE_M / ky
        return [[min_lat - dlat, min_lon - dlon], [max_lat + dlat, max_lon + dlon]]
    return [[min_lat, min_lon], [max_lat, max_lon]]


# --- The zone's outline ---------------------------------------------------------------------


def zone_outline(zone: PoliceZone) -> BaseGeometry | None:
    """The union of the zone's municipalities' outlines; None when none has one."""
    outlines = [
        shape(area)
        for area in Municipality.objects.filter(zone=zone, area__isnull=False).values_list(
            "area", flat=True
        )
        if area
    ]
    return shapely.union_all(outlines) if outlines else None


def outside_zone(area: dict[str, Any], zone: PoliceZone) -> bool:
    """Whether a drawn area (Polygon or Circle) lies outside the zone: more than a tenth of
    its surface beyond the outline, which is approximate. False when the zone has none."""
    outline = zone_outline(zone)
    if outline is None:
        return False
    drawn = shape_geometry(area)
    if drawn.area == 0:
        return not outline.covers(drawn)
    return drawn.difference(outline).area > OUTSIDE_ZONE_TOLERANCE * drawn.area
