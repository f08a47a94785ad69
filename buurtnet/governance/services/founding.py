"""How a BIN comes to be: the request, the zone's refusal, and the information session
after which it is being founded."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.networks import geo
from buurtnet.networks.mapping import outside_zone
from buurtnet.networks.models import Municipality, Network, NetworkStatus, NetworkStatusChange
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from ..models import FoundingRequest, Meeting, MeetingKind, MeetingStatus, RequesterKind
from .access import _require, can_act_as_zone_staff, can_oversee
from .area import outside_zone_message
from .common import _notify, _url, _zone_staff
from .lifecycle import _move
from .meetings import _started


@dataclass
class FoundingInput:
    name: str
    municipality_id: int
    kind: str
    area: dict
    motivation: str


def request_founding(by: Person, data: FoundingInput) -> Network:
    """Residents, a municipality or the zone ask for a new BIN with a proposed area. The
    zone's staff are told; the BIN is "proposed" until its information session is held."""
    municipality = Municipality.objects.select_related("zone").filter(pk=data.municipality_id)
    municipality = municipality.first()
    errors: dict[str, list[str]] = {}
    if municipality is None:
        errors["municipality_id"] = [_("Choose a municipality.")]
    if not data.name.strip():
        errors["name"] = [_("Give the BIN a name.")]
    if not data.motivation.strip():
        errors["motivation"] = [_("Say why the neighbourhood wants a BIN.")]
    try:
        geo.validate_area(data.area)
    except ValidationError as exc:
        errors["area"] = exc.messages
    else:
        if municipality is not None and outside_zone(data.area, municipality.zone):
            errors["area"] = [outside_zone_message()]
    if errors:
        raise ValidationError(errors)
    standing = Standing.of(by)
    if municipality.zone_id in standing.zone_ids:
        kind = RequesterKind.ZONE
    elif municipality.pk in standing.partner_municipality_ids:
        kind = RequesterKind.MUNICIPALITY
    else:
        kind = RequesterKind.RESIDENTS
        if not by.has_point or not geo.contains(data.area, by.longitude, by.latitude):
            raise ValidationError(
                {"area": [_("The proposed area must include your own address.")]},
                code="outside_area",
            )
    if Network.objects.filter(municipality=municipality, name=data.name.strip()).exists():
        raise ValidationError(
            {"name": [_("This municipality already has a BIN with that name.")]}, code="duplicate"
        )
    with transaction.atomic():
        network = Network(
            name=data.name.strip(),
            municipality=municipality,
            kind=data.kind,
            area=data.area,
            status=NetworkStatus.PROPOSED,
        )
        network.full_clean()
        network.save()
        NetworkStatusChange.objects.create(
            network=network, status=NetworkStatus.PROPOSED, changed_by=by, note="request"
        )
        FoundingRequest.objects.create(
            network=network,
            requester_kind=kind,
            requested_by=by,
            motivation=data.motivation.strip(),
        )
        audit.record(by, audit.Action.GOVERNANCE, network, network=network, detail={"do": "ask"})
        _notify(
            _zone_staff(network),
            "founding_requested",
            {"network": network, "url": _url("governance:network", network.pk)},
        )
    return network


def decline_request(network: Network, by: Person, reason: str) -> Network:
    """The zone says no to a proposed BIN; the requester reads the reason."""
    _require(can_act_as_zone_staff(by, network))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason; the requester will read it.")]})
    if network.status != NetworkStatus.PROPOSED:
        raise ValidationError(_("Only a proposed BIN can be declined."), code="not_proposed")
    with transaction.atomic():
        _move(network, NetworkStatus.DISSOLVED, by, reason.strip())
        founding = FoundingRequest.objects.filter(network=network).first()
        if founding and founding.requested_by:
            _notify(
                [founding.requested_by],
                "founding_declined",
                {"network": network, "reason": reason.strip()},
            )
    return network


def mark_information_session_held(meeting: Meeting, by: Person) -> Meeting:
    """The information session took place: the proposed BIN starts its founding, and
    residents can join it."""
    network = meeting.network
    _require(can_oversee(by, network))
    if meeting.kind != MeetingKind.INFORMATION or meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This is not an information session."), code="not_information")
    if not _started(meeting):
        raise ValidationError(_("The session has not taken place yet."), code="not_started")
    with transaction.atomic():
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["status"])
        if network.status == NetworkStatus.PROPOSED:
            _move(network, NetworkStatus.FOUNDING, by, "information session held")
    return meeting
