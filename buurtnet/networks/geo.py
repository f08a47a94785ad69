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
# A degree of latitude (and of longitude at the equator) on the WGS 84 ellipsoid, near enough.
METRES_PER_DEGREE = 111_320.0


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


def same_area(area: dict, other: dict) -> bool:
    """Whether two areas cover the same ground (corners in another order or start count)."""
    return shape(area).equals(shape(other))


def overlaps(area: dict, other: dict) -> bool:
    """Whether two areas share surface (touching borders do not count)."""
    a, b = shape(area), shape(other)
    return a.intersects(b) and a.intersection(b).area > 0


def metres_per_degree(latitude: float) -> tuple[float, float]:
    """(metres per degree of longitude, metres per degree of latitude) at this latitude.

    The equirectangular approximation every distance in Buurtnet uses: at the size of a police
    zone it is off by far less than a street's width. Near the poles the east-west scale is
    kept above 1 km a degree, so that dividing by it stays finite (nothing in Belgium is near)."""
    return METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01), METRES_PER_DEGREE


def circle_polygon(longitude: float, latitude: float, radius_m: float, sides: int = 48) -> dict:
    """A circle as a GeoJSON polygon of `sides` corners (rounded to 7 decimals, about 1 cm),
    metres turned into degrees at the centre's latitude.

    The one conversion of a circle: the networks a message reaches, a CAP alert's <circle>
    and the circles drawn on maps all use it, so they agree on which BIN a circle touches."""
    kx, ky = metres_per_degree(latitude)
    dlon, dlat = radius_m / kx, radius_m / ky
    ring = [
        [
            round(longitude + dlon * math.cos(2 * math.pi * i / sides), 7),
            round(latitude + dlat * math.sin(2 * math.pi * i / sides), 7),
        ]
        for i in range(sides)
    ]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def distance_outside_m(area: dict, longitude: float, latitude: float) -> float:
    """How far (in metres) the point lies outside the area; 0 inside or on its border.
    Degrees are scaled to metres at the point's latitude, fine at the size of a BIN."""
    kx, ky = metres_per_degree(latitude)
    polygon = shape(area)
    scaled = shapely.transform(polygon, lambda xy: (xy - (longitude, latitude)) * (kx, ky))
    return scaled.distance(Point(0, 0))
