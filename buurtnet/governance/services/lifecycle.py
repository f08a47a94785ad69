"""The life of a founded BIN: its status moves, the yearly evaluation, dormancy without a
coordinator, and dissolution."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.absences.models import Absence
from buurtnet.messaging.models import Message, MessageNetwork, MessageStatus
from buurtnet.networks.models import (
    Membership,
    MembershipChange,
    MembershipStatus,
    Network,
    NetworkStatus,
    Role,
)
from buurtnet.networks.services import move_network
from buurtnet.people.models import Person

from ..models import Evaluation, MeetingStatus, RoleChange
from .access import _require, can_act_as_zone_staff, can_oversee, is_officer
from .common import _notify


def _move(network: Network, status: str, by: Person | None, note: str) -> Network:
    return move_network(network, status, by, note)


def record_evaluation(
    network: Network, by: Person, *, year: int, held_on: date, summary: str
) -> Evaluation:
    _require(is_officer(by, network) or can_act_as_zone_staff(by, network))
    errors = {}
    today = timezone.localdate()
    if held_on > today:
        errors["held_on"] = [_("This date lies in the future.")]
    if not (2000 <= year <= today.year):
        errors["year"] = [_("Choose a year up to this one.")]
    if not summary.strip():
        errors["summary"] = [_("Summarise the evaluation.")]
    if network.status not in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT):
        errors["year"] = [_("Only a founded BIN is evaluated.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Evaluation.objects.create(
                network=network, year=year, held_on=held_on, summary=summary.strip(), recorded_by=by
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"year": [_("This year's evaluation is already recorded.")]}, code="duplicate"
        ) from exc


def evaluation_due(network: Network, today: date | None = None) -> bool:
    """A founded BIN is evaluated every year: due when the last evaluation (or, before the
    first, the agreement) is more than a year old."""
    today = today or timezone.localdate()
    if network.status not in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT):
        return False
    last = network.evaluations.aggregate(d=Max("held_on"))["d"] or network.agreement_signed_on
    return last is not None and (today - last).days > 365


def sync_dormancy(network: Network, by: Person | None = None) -> Network:
    """An active BIN without a coordinator is dormant; a dormant one (which was active
    before: only an active BIN falls dormant) is active again with a coordinator."""
    has_coordinator = Membership.objects.filter(
        network=network, role=Role.COORDINATOR, status=MembershipStatus.APPROVED
    ).exists()
    if network.status == NetworkStatus.ACTIVE and not has_coordinator:
        _move(network, NetworkStatus.DORMANT, by, "no coordinator")
    elif network.status == NetworkStatus.DORMANT and has_coordinator:
        _move(network, NetworkStatus.ACTIVE, by, "coordinator in office")
    return network


def sync_all_dormancy() -> int:
    """For `tick`: a coordinator who left through their own settings leaves the BIN
    without one, and nothing else would notice."""
    coordinator = Membership.objects.filter(
        network=OuterRef("pk"), role=Role.COORDINATOR, status=MembershipStatus.APPROVED
    )
    without = Network.objects.filter(status=NetworkStatus.ACTIVE).filter(~Exists(coordinator))
    changed = 0
    for network in without:
        with transaction.atomic():
            sync_dormancy(network)
        changed += 1
    return changed


def dissolve(network: Network, by: Person, reason: str) -> Network:
    """End a BIN: members are told, memberships end, what is planned is cancelled and the
    homes on the absence watch are deleted at once; the rest follows the retention rules."""
    _require(can_oversee(by, network))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason; the members will read it.")]})
    if network.status == NetworkStatus.DISSOLVED:
        raise ValidationError(_("This BIN is already dissolved."), code="dissolved")
    with transaction.atomic():
        members = list(
            Person.objects.filter(
                memberships__network=network,
                memberships__status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
                is_active=True,
            ).distinct()
        )
        _move(network, NetworkStatus.DISSOLVED, by, reason.strip())
        now = timezone.now()
        open_memberships = list(
            Membership.objects.filter(
                network=network,
                status__in=[
                    MembershipStatus.APPLIED,
                    MembershipStatus.APPROVED,
                    MembershipStatus.PAUSED,
                ],
            )
        )
        MembershipChange.objects.bulk_create(
            MembershipChange(
                membership=m,
                from_status=m.status,
                to_status=MembershipStatus.LEFT,
                changed_at=now,
                changed_by=by,
                reason="dissolved",
            )
            for m in open_memberships
        )
        _end_memberships(open_memberships, now)
        # Only what was meant for this BIN alone: a message to several BINs still goes to
        # the others (this BIN's members have left, so it reaches none of them).
        elsewhere = MessageNetwork.objects.filter(message=OuterRef("pk")).exclude(network=network)
        Message.objects.filter(
            networks__network=network,
            status__in=[MessageStatus.SCHEDULED, MessageStatus.AWAITING_APPROVAL],
            sent_at__isnull=True,
        ).exclude(Exists(elsewhere)).update(status=MessageStatus.CANCELLED)
        network.meetings.filter(status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED
        )
        RoleChange.objects.filter(
            network=network, applied_at__isnull=True, dropped_at__isnull=True
        ).update(dropped_at=now, drop_reason="dissolved")
        Absence.objects.filter(network=network).delete()
        _notify(members, "dissolved", {"network": network, "reason": reason.strip()})
    return network


def _end_memberships(memberships: list[Membership], now: datetime) -> None:
    """Mark the memberships left. Those with a function (coordinator, steering group,
    officer) are saved one by one: the model signals that end what the function gave, such
    as its API tokens, fire on save() and not on a bulk update."""
    plain = [m.pk for m in memberships if m.role == Role.MEMBER]
    Membership.objects.filter(pk__in=plain).update(
        status=MembershipStatus.LEFT, status_changed_at=now
    )
    for membership in memberships:
        if membership.role != Role.MEMBER:
            membership.status, membership.status_changed_at = MembershipStatus.LEFT, now
            membership.save(update_fields=["status", "status_changed_at"])
