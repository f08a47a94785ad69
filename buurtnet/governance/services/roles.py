"""Role changes: applied now (removal, appeal, hand-over) or when their date comes (a
meeting's decision), with the officer's review and objection."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.networks.models import Membership, MembershipStatus, Network, Role
from buurtnet.people.models import Person

from ..models import RoleChange, Screening
from .access import _require, can_oversee
from .common import _notify, _url, _zone_staff, coordinators_of, officers_of
from .lifecycle import sync_dormancy


def _change_role(
    membership: Membership, to_role: str, by: Person | None, change: RoleChange, now: datetime
) -> RoleChange:
    """Apply a role change now, with its ground. Must run in a transaction."""
    change.network_id = membership.network_id
    change.person_id = membership.person_id
    change.from_role = membership.role
    change.to_role = to_role
    change.effective_at = change.effective_at or now
    change.applied_at = now
    change.by = change.by or by
    change.save()
    audit.record(
        by,
        audit.Action.CHANGE_ROLE,
        membership,
        network=membership.network,
        detail={"from": membership.role, "to": to_role, "role_change": change.pk},
    )
    membership.role = to_role
    membership.save(update_fields=["role"])
    network = Network.objects.get(pk=membership.network_id)
    sync_dormancy(network, by)
    _tell_officers(network, change, by)
    return change


def _reviewers(network: Network) -> list[Person]:
    """Who is told of a function change and may object: the BIN's officer, or, in a BIN
    without one, the zone's staff."""
    return officers_of(network) or _zone_staff(network)


def _tell_officers(network: Network, change: RoleChange, by: Person | None) -> None:
    """The officer hears of every function change someone else made."""
    people = [p for p in _reviewers(network) if by is None or p.pk != by.pk]
    _notify(
        people,
        "role_changed",
        {"network": network, "change": change, "url": _url("governance:network", network.pk)},
    )


def apply_due_role_changes(now: datetime | None = None) -> int:
    """Apply every accepted role change whose moment has come. Run by `tick`; each change is
    claimed under a row lock, so two ticks never apply one twice."""
    now = now or timezone.now()
    due = (
        RoleChange.objects.filter(
            effective_at__lte=now, applied_at__isnull=True, dropped_at__isnull=True
        )
        .filter(_reviewed(now))
        .values_list("pk", flat=True)
    )
    return sum(_apply_role_change(pk, now) for pk in list(due))


def _apply_role_change(pk: int, now: datetime) -> bool:
    """Apply one role change if its moment has come and nothing holds it back; False if it
    is not due, already applied or dropped, or dropped now because it no longer fits."""
    with transaction.atomic():
        change = (
            RoleChange.objects.select_for_update()
            .filter(pk=pk, effective_at__lte=now, applied_at__isnull=True, dropped_at__isnull=True)
            .filter(_reviewed(now))
            .first()
        )
        if change is None:
            return False
        membership = (
            Membership.objects.select_for_update()
            .filter(
                network_id=change.network_id,
                person_id=change.person_id,
                status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
            )
            .first()
        )
        problem = _why_not(change, membership)
        if problem:
            change.dropped_at = now
            change.drop_reason = problem
            change.save(update_fields=["dropped_at", "drop_reason"])
            return False
        change.from_role = membership.role
        change.applied_at = now
        change.save(update_fields=["from_role", "applied_at"])
        audit.record(
            change.by,
            audit.Action.CHANGE_ROLE,
            membership,
            network=membership.network,
            detail={"from": membership.role, "to": change.to_role, "role_change": change.pk},
        )
        membership.role = change.to_role
        membership.save(update_fields=["role"])
        sync_dormancy(Network.objects.get(pk=change.network_id), change.by)
        return True


def _reviewed(now: datetime) -> Q:
    """Changes the officer no longer holds back: none to review, approved, or the
    objection period over."""
    return Q(review_until__isnull=True) | Q(reviewed_at__isnull=False) | Q(review_until__lte=now)


def _pending_review(change: RoleChange, by: Person) -> RoleChange:
    """The change, locked, if `by` may still review it; refuses otherwise."""
    _require(can_oversee(by, change.network))
    locked = RoleChange.objects.select_for_update().select_related("network").get(pk=change.pk)
    if not locked.awaiting_review or locked.review_until <= timezone.now():
        raise ValidationError(
            _("This function change is no longer waiting for the officer."), code="reviewed"
        )
    return locked


def approve_role_change(change: RoleChange, by: Person) -> RoleChange:
    """The officer agrees with a function a meeting gave: it takes effect on its date (at
    once if that has come) without waiting for the end of the objection period."""
    with transaction.atomic():
        locked = _pending_review(change, by)
        locked.reviewed_at, locked.reviewed_by = timezone.now(), by
        locked.save(update_fields=["reviewed_at", "reviewed_by"])
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.network,
            detail={"do": "role_change_approved"},
        )
    _apply_role_change(locked.pk, timezone.now())
    locked.refresh_from_db()
    return locked


def object_to_role_change(change: RoleChange, by: Person, reason: str) -> RoleChange:
    """The officer objects, with a reason, within the period: the function is not given,
    and the coordinators and the person are told why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you object.")]})
    now = timezone.now()
    with transaction.atomic():
        locked = _pending_review(change, by)
        locked.reviewed_at, locked.reviewed_by = now, by
        locked.objection = reason
        locked.dropped_at, locked.drop_reason = now, "objection by the officer"
        locked.save(
            update_fields=["reviewed_at", "reviewed_by", "objection", "dropped_at", "drop_reason"]
        )
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.network,
            detail={"do": "role_change_objected"},
        )
        _notify(
            [*coordinators_of(locked.network), locked.person],
            "role_change_objected",
            {
                "network": locked.network,
                "change": locked,
                "reason": reason,
                "url": _url("governance:network", locked.network_id),
            },
        )
    return locked


def _why_not(change: RoleChange, membership: Membership | None) -> str:
    if membership is None:
        return "no longer a member"
    if membership.role == Role.OFFICER:
        return "is the officer"
    if (
        change.to_role == Role.COORDINATOR
        and not Screening.objects.filter(
            network_id=change.network_id, person_id=change.person_id
        ).exists()
    ):
        return "not screened"
    return ""


def role_history(network: Network) -> QuerySet[RoleChange]:
    return network.role_changes.select_related(
        "person", "decision__meeting", "handover", "case_step"
    ).order_by("-effective_at", "-pk")
