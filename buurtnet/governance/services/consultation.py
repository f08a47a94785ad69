"""The officer–coordinator consultation: its log, the actions agreed, and the reminders
when one is overdue."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.networks.models import Membership, MembershipStatus, Network, NetworkStatus, Role
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plan, effective_plans

from ..models import Consultation, ConsultationAction, ConsultationReminder
from .access import _require, is_coordinator, is_officer
from .common import _notify, _url, coordinators_of, officers_of


@dataclass
class ActionInput:
    description: str
    owner_id: int | None
    due_on: date | None


@dataclass
class ConsultationInput:
    held_on: date | None
    topics: str
    agreements: str = ""
    next_on: date | None = None
    actions: list[ActionInput] = field(default_factory=list)


def _action_owners(network: Network) -> set[int]:
    return set(
        Membership.objects.filter(
            network=network,
            status=MembershipStatus.APPROVED,
            role__in=[Role.OFFICER, Role.COORDINATOR, Role.STEERING],
        ).values_list("person_id", flat=True)
    )


def record_consultation(network: Network, by: Person, data: ConsultationInput) -> Consultation:
    """Log a consultation between the officer and the coordinator. Without a next date,
    the plan's rhythm gives one."""
    _require(is_officer(by, network) or is_coordinator(by, network))
    today = timezone.localdate()
    every = effective_plan(network).consult_every_days
    errors: dict[str, list[str]] = {}
    held_on = data.held_on
    if held_on is None:
        errors["held_on"] = [_("Give the date of the consultation.")]
    elif held_on > today:
        errors["held_on"] = [_("This date lies in the future.")]
        held_on = None  # nothing else is computed from a date that is refused
    if not data.topics.strip():
        errors["topics"] = [_("Note the topics discussed.")]
    next_on = data.next_on
    if held_on and next_on is None:
        next_on = held_on + timedelta(days=every)
    if held_on and next_on and next_on <= held_on:
        errors["next_on"] = [_("The next consultation comes after this one.")]
    elif held_on and next_on and (next_on - held_on).days > every:
        errors["next_on"] = [
            _("The plan says to consult at least every %(days)s days.") % {"days": every}
        ]
    owners = _action_owners(network)
    for index, action in enumerate(data.actions):
        problems = []
        if not action.description.strip():
            problems.append(_("Describe the action."))
        if action.owner_id not in owners:
            problems.append(
                _("An action belongs to the officer, a coordinator or the steering group.")
            )
        if action.due_on is None or (held_on and action.due_on < held_on):
            problems.append(_("Give a due date on or after the consultation."))
        if problems:
            errors[f"action_{index}"] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consultation = Consultation.objects.create(
            network=network,
            held_on=data.held_on,
            topics=data.topics.strip(),
            agreements=data.agreements.strip(),
            next_on=next_on,
            recorded_by=by,
        )
        ConsultationAction.objects.bulk_create(
            ConsultationAction(
                consultation=consultation,
                network=network,
                description=action.description.strip()[:500],
                owner_id=action.owner_id,
                due_on=action.due_on,
            )
            for action in data.actions
        )
        audit.record(
            by, audit.Action.GOVERNANCE, consultation, network=network, detail={"do": "consult"}
        )
    return consultation


def complete_action(action: ConsultationAction, by: Person) -> ConsultationAction:
    _require(
        is_officer(by, action.network)
        or is_coordinator(by, action.network)
        or (action.owner_id == by.pk)
    )
    if action.done_at:
        raise ValidationError(_("This action is already done."), code="done")
    action.done_at = timezone.now()
    action.done_by = by
    action.save(update_fields=["done_at", "done_by"])
    audit.record(
        by, audit.Action.GOVERNANCE, action, network=action.network, detail={"do": "action_done"}
    )
    return action


def consultation_due_on(
    network: Network, every: int, last: Consultation | None, today: date | None = None
) -> date | None:
    """When the next consultation is due: the date agreed last time, or sooner if the plan's
    rhythm says so; before the first one, that rhythm counted from the agreement."""
    if network.status != NetworkStatus.ACTIVE:
        return None
    if last is not None:
        return min(last.next_on, last.held_on + timedelta(days=every))
    start = network.agreement_signed_on or timezone.localdate(network.status_changed_at)
    return start + timedelta(days=every)


def remind_overdue(now: datetime | None = None) -> int:
    """Remind the officer and the coordinator of a missed consultation (once per due date)
    and an action's owner of an overdue action (once). Returns the reminders sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    networks = list(
        Network.objects.filter(status=NetworkStatus.ACTIVE).select_related("municipality")
    )
    plans = effective_plans(networks)
    latest = latest_consultations([n.pk for n in networks])
    for network in networks:
        due = consultation_due_on(
            network, plans[network.pk].consult_every_days, latest.get(network.pk)
        )
        if due is None or due >= today:
            continue
        with transaction.atomic():
            _reminder, created = ConsultationReminder.objects.get_or_create(
                network=network, due_on=due, defaults={"sent_at": now}
            )
            if created:
                _notify(
                    officers_of(network) + coordinators_of(network),
                    "consultation_overdue",
                    {"network": network, "due": due, "url": _url("governance:network", network.pk)},
                )
                sent += 1
    overdue = ConsultationAction.objects.filter(
        done_at__isnull=True, reminded_at__isnull=True, due_on__lt=today
    ).select_related("network", "owner")
    for action in overdue:
        # The claim and the notices in one transaction: a notice that cannot be made leaves
        # the action unclaimed for the next tick, never marked reminded without a reminder.
        with transaction.atomic():
            claimed = ConsultationAction.objects.filter(
                pk=action.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            people = [action.owner, *officers_of(action.network), *coordinators_of(action.network)]
            _notify(
                people,
                "action_overdue",
                {
                    "network": action.network,
                    "action": action,
                    "url": _url("governance:network", action.network_id),
                },
            )
        sent += 1
    return sent


def latest_consultations(network_ids: list[int]) -> dict[int, Consultation]:
    """Each network's latest consultation, in two queries however long the history."""
    latest_ids = (
        Network.objects.filter(pk__in=network_ids)
        .annotate(
            latest=Subquery(
                Consultation.objects.filter(network=OuterRef("pk"))
                .order_by("-held_on", "-pk")
                .values("pk")[:1]
            )
        )
        .exclude(latest=None)
        .values_list("latest", flat=True)
    )
    return {c.network_id: c for c in Consultation.objects.filter(pk__in=list(latest_ids))}
