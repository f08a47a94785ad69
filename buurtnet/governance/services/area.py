"""A BIN's area: which BINs lie around a place (to draw a new area among them), which of
them a drawn area overlaps, and the zone's staff changing a BIN's area."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.networks import geo
from buurtnet.networks.mapping import outside_zone
from buurtnet.networks.models import Network, NetworkStatus
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from .access import _require, can_act_as_zone_staff
from .common import _notify, _url, coordinators_of, officers_of

# How far around an area its neighbours are looked for, in degrees (a kilometre and a half).
MARGIN = 0.02
# A map of BINs to draw among stays readable with this many.
MAX_SHOWN = 200


def outside_zone_message() -> str:
    """The error shown next to the map for an area drawn outside the BIN's zone."""
    return _("The area lies (partly) outside the police zone; draw it inside the zone.")


def visible_areas(person: Person) -> QuerySet[Network]:
    """The living or proposed BINs whose area this person may see on a map: those whose area
    is public, and every BIN of a zone the person is staff of (all of them for a superuser)."""
    networks = Network.objects.exclude(status=NetworkStatus.DISSOLVED).select_related(
        "municipality"
    )
    standing = Standing.of(person)
    if not standing.is_superuser:
        networks = networks.filter(
            Q(area_public=True) | Q(municipality__zone_id__in=standing.zone_ids)
        )
    return networks.order_by("name", "pk")


def around(networks: QuerySet[Network], box: geo.BoundingBox) -> list[Network]:
    """The networks whose bounding box reaches into the box widened by MARGIN."""
    return list(
        networks.filter(
            min_lon__lte=box.max_lon + MARGIN,
            max_lon__gte=box.min_lon - MARGIN,
            min_lat__lte=box.max_lat + MARGIN,
            max_lat__gte=box.min_lat - MARGIN,
        )[:MAX_SHOWN]
    )


def zone_areas(person: Person) -> list[Network]:
    """Every BIN of the zones the person is staff of: what zone staff draw among."""
    zone_ids = Standing.of(person).zone_ids
    if not zone_ids:
        return []
    return list(visible_areas(person).filter(municipality__zone_id__in=zone_ids)[:MAX_SHOWN])


def neighbours(network: Network, person: Person) -> list[Network]:
    """The BINs around this one that the person may see (itself left out)."""
    return [
        other
        for other in around(visible_areas(person), geo.bounding_box(network.area))
        if other.pk != network.pk
    ]


def overlapping(area: dict, among: list[Network]) -> list[Network]:
    """The networks among these whose area shares surface with this area."""
    return [other for other in among if geo.overlaps(area, other.area)]


def check_area(network: Network, area: dict) -> None:
    """Refuse an area a BIN cannot have: not a polygon, crossing itself, outside Belgium, or
    (when the zone has an outline) outside the BIN's zone. Errors are keyed "area"."""
    try:
        geo.validate_area(area)
    except ValidationError as exc:
        raise ValidationError({"area": exc.messages}) from exc
    if outside_zone(area, network.municipality.zone):
        raise ValidationError({"area": [outside_zone_message()]}, code="outside_zone")


def change_area(network: Network, by: Person, area: dict) -> Network:
    """The zone's staff give a BIN a new area. The change is audited with the area it had
    before (so that a wrong change can be put back by hand) and the BIN's coordinators and
    officers are told. Returns the BIN as saved."""
    _require(can_act_as_zone_staff(by, network))
    check_area(network, area)
    with transaction.atomic():
        # Locked, so that two changes at once cannot both record the same area as previous.
        locked = (
            Network.objects.select_for_update()
            .select_related("municipality__zone")
            .get(pk=network.pk)
        )
        previous = locked.area
        locked.area = area
        locked.full_clean()
        locked.save(update_fields=["area", "min_lon", "min_lat", "max_lon", "max_lat"])
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked,
            detail={"do": "change_area", "previous_area": previous},
        )
        _notify(
            [*coordinators_of(locked), *officers_of(locked)],
            "area_changed",
            {"network": locked, "url": _url("networks:detail", locked.pk)},
        )
    return locked
