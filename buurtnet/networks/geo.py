"""Areas of networks as GeoJSON polygons (WGS 84, [longitude, latitude]).

shapely does the geometry, so no GDAL is needed. Coordinates are kept as the
GeoJSON the user gave (after validation), plus a bounding box so the database
can pre-filter which areas may contain a point before shapely decides.
"""

import math
from dataclasses import dataclass
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, Polygon, shape
from shapely.validation import explain_validity

# Belgium's bounding box, slightly padded: a BIN near the border may reach over it a little.
BELGIUM_BBOX = (2.5, 49.45, 6.45, 51.55)  # min lon, min lat, max lon, max lat


@dataclass(frozen=True)
class BoundingBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def _ring_is_closed(ring: list) -> bool:
    return len(ring) >= 4 and list(ring[0]) == list(ring[-1])


def validate_area(value: Any) -> Polygon:
    """Check that value is a GeoJSON Polygon a BIN can cover; return it as a shapely polygon.

    Raises ValidationError with a message a coordinator or officer can act on.
    """
    if not isinstance(value, dict) or value.get("type") != "Polygon":
        raise ValidationError(_("The area must be a GeoJSON polygon."), code="not_polygon")
    rings = value.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("The polygon has no coordinates."), code="no_coordinates")
    for ring in rings:
        if not isinstance(ring, list) or not all(
            isinstance(pt, list | tuple)
            and len(pt) in (2, 3)
            and all(isinstance(c, int | float) for c in pt)
            for pt in ring
        ):
            raise ValidationError(
                _("Every corner of the polygon must be a [longitude, latitude] pair."),
                code="bad_coordinates",
            )
        if not _ring_is_closed(ring):
            raise ValidationError(
                _(
                    "The polygon is not closed: it needs at least four corners and "
                    "its last corner must be its first."
                ),
                code="not_closed",
            )
    polygon = shape(value)
    if polygon.convex_hull.area == 0:  # all corners on one line (or one point)
        raise ValidationError(_("The polygon has no surface."), code="empty")
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            raise ValidationError(
                _("The polygon crosses itself; draw the border without crossing lines."),
                code="self_intersecting",
            )
        raise ValidationError(
            _("The polygon is not valid: %(reason)s"), code="invalid", params={"reason": reason}
        )
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    b_min_lon, b_min_lat, b_max_lon, b_max_lat = BELGIUM_BBOX
    if min_lon < b_min_lon or max_lon > b_max_lon or min_lat < b_min_lat or max_lat > b_max_lat:
        raise ValidationError(
            _("The polygon lies (partly) outside Belgium."), code="outside_belgium"
        )
    return polygon


def bounding_box(area: dict) -> BoundingBox:
    min_lon, min_lat, max_lon, max_lat = shape(area).bounds
    return BoundingBox(min_lon, min_lat, max_lon, max_lat)


def contains(area: dict, longitude: float, latitude: float) -> bool:
    """Whether the point lies inside the area or on its border."""
    return shape(area).covers(Point(longitude, latitude))


def point_in_belgium(longitude: float, latitude: float) -> bool:
    b_min_lon, b_min_lat, b_max_lon, b_max_lat = BELGIUM_BBOX
    return b_min_lon <= longitude <= b_max_lon and b_min_lat <= latitude <= b_max_lat


def overlaps(area: dict, other: dict) -> bool:
    """Whether two areas share surface (touching borders do not count)."""
    a, b = shape(area), shape(other)
    return a.intersects(b) and a.intersection(b).area > 0


def distance_outside_m(area: dict, longitude: float, latitude: float) -> float:
    """How far (in metres) the point lies outside the area; 0 inside or on its border.
    Degrees are scaled to metres at the point's latitude, fine at the size of a BIN."""
    kx = 111_320 * math.cos(math.radians(latitude))
    ky = 111_320.0
    polygon = shape(area)
    scaled = shapely.transform(polygon, lambda xy: (xy - (longitude, latitude)) * (kx, ky))
    return scaled.distance(Point(0, 0))
