"""Which networks a message is for: a list, a type, a municipality, the zone or an area."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, shape

from buurtnet.networks import geo
from buurtnet.networks.models import Municipality, Network, NetworkStatus

from .models import TargetKind

# Messages go to running BINs: founding ones have no agreed plan or members yet.
RECEIVING_STATUSES = (NetworkStatus.ACTIVE, NetworkStatus.DORMANT)
MIN_CIRCLE_METRES = 50
MAX_CIRCLE_METRES = 50_000


def circle_polygon(longitude: float, latitude: float, radius_m: float) -> dict:
    """A circle drawn for a message as a GeoJSON polygon (geo.circle_polygon), refused when
    its radius is outside what a message may cover."""
    if not MIN_CIRCLE_METRES <= radius_m <= MAX_CIRCLE_METRES:
        raise ValidationError(_("The circle's radius must be between 50 m and 50 km."))
    return geo.circle_polygon(longitude, latitude, radius_m)


def target_area(target: dict) -> dict | None:
    """The drawn area of an area target as a validated GeoJSON polygon."""
    if target.get("type") != TargetKind.AREA:
        return None
    circle = target.get("circle")
    try:
        if circle:
            area = circle_polygon(
                float(circle["lon"]), float(circle["lat"]), float(circle["radius_m"])
            )
        else:
            area = target.get("polygon")
        geo.validate_area(area)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(_("Draw a circle or a polygon on the map.")) from exc
    return area


def resolve(zone_id: int, target: dict) -> list[Network]:
    """The receiving networks of the zone that the target covers. Raises ValidationError
    for a target that is malformed or reaches outside the zone."""
    kind = target.get("type")
    networks = Network.objects.filter(
        municipality__zone_id=zone_id, status__in=RECEIVING_STATUSES
    ).select_related("municipality")
    if kind == TargetKind.NETWORKS:
        ids = {int(i) for i in target.get("networks") or []}
        if not ids:
            raise ValidationError(_("Choose at least one BIN."))
        found = list(networks.filter(pk__in=ids))
        if len(found) != len(ids):
            raise ValidationError(
                _("One of the chosen BINs is not a running BIN of your zone."), code="outside"
            )
        return found
    if kind == TargetKind.NETWORK_KIND:
        return list(networks.filter(kind=target.get("kind")))
    if kind == TargetKind.MUNICIPALITY:
        municipality = target.get("municipality")
        if not _municipality_in_zone(municipality, zone_id):
            raise ValidationError(_("That municipality is not in your zone."), code="outside")
        return list(networks.filter(municipality_id=municipality))
    if kind == TargetKind.ZONE:
        return list(networks)
    if kind == TargetKind.AREA:
        area = target_area(target)
        drawn: Polygon = shape(area)
        box = drawn.bounds
        candidates = networks.filter(
            min_lon__lte=box[2], max_lon__gte=box[0], min_lat__lte=box[3], max_lat__gte=box[1]
        )
        return [n for n in candidates if shape(n.area).intersects(drawn)]
    raise ValidationError(_("Choose who the message is for."))


def _municipality_in_zone(municipality_id, zone_id: int) -> bool:
    try:
        return Municipality.objects.filter(pk=int(municipality_id), zone_id=zone_id).exists()
    except (TypeError, ValueError):
        return False
