"""The overview of the BINs a person oversees, one row per BIN."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from buurtnet.networks.models import (
    Membership,
    MembershipChange,
    MembershipStatus,
    Network,
    NetworkStatus,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plans

from ..models import ConsultationAction, Evaluation, Meeting, MeetingStatus
from .consultation import consultation_due_on, latest_consultations

TREND_DAYS = 90


@dataclass
class NetworkOverview:
    network: Network
    agreement_age_days: int | None
    last_meeting: datetime | None
    next_meeting: datetime | None
    last_consultation: date | None
    consultation_due: date | None
    consultation_overdue: bool
    open_actions: int
    overdue_actions: int
    plan_version: int | None
    members: int
    joined: int
    left: int
    evaluation_due: bool

    @property
    def trend(self) -> int:
        """Members gained (or lost) over the last TREND_DAYS days."""
        return self.joined - self.left


def overseen_networks(person: Person) -> QuerySet[Network]:
    """The BINs a person oversees: as their officer, or as staff of their zone."""
    standing = Standing.of(person)
    if standing.is_superuser:
        return Network.objects.all()
    officer_of = [pk for pk, role in standing.network_roles.items() if role == Role.OFFICER]
    return Network.objects.filter(
        Q(pk__in=officer_of) | Q(municipality_id__in=standing.zone_municipality_ids)
    )


def overview(networks, today: date | None = None) -> list[NetworkOverview]:
    """One row per BIN, in a fixed number of grouped queries whatever the number of BINs."""
    today = today or timezone.localdate()
    networks = list(
        networks.select_related("municipality") if hasattr(networks, "select_related") else networks
    )
    ids = [n.pk for n in networks]
    now = timezone.now()
    plans = effective_plans(networks)
    latest = latest_consultations(ids)
    meetings = {
        row["network_id"]: row
        for row in Meeting.objects.filter(network_id__in=ids)
        .exclude(status=MeetingStatus.CANCELLED)
        .values("network_id")
        .annotate(
            last=Max("starts_at", filter=Q(starts_at__lte=now)),
            next=Min("starts_at", filter=Q(starts_at__gt=now)),
        )
        .order_by()
    }
    actions = {
        row["network_id"]: row
        for row in ConsultationAction.objects.filter(network_id__in=ids, done_at__isnull=True)
        .values("network_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .order_by()
    }
    members = dict(
        Membership.objects.filter(
            network_id__in=ids,
            status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
        )
        .values_list("network_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    since = now - timedelta(days=TREND_DAYS)
    changes = {
        row["membership__network_id"]: row
        for row in MembershipChange.objects.filter(
            membership__network_id__in=ids, changed_at__gte=since
        )
        .values("membership__network_id")
        .annotate(
            joined=Count(
                "pk",
                filter=Q(to_status=MembershipStatus.APPROVED, from_status=MembershipStatus.APPLIED),
            ),
            left=Count(
                "pk",
                filter=Q(
                    to_status=MembershipStatus.LEFT,
                    from_status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
                ),
            ),
        )
        .order_by()
    }
    evaluations = dict(
        Evaluation.objects.filter(network_id__in=ids)
        .values_list("network_id")
        .annotate(d=Max("held_on"))
        .order_by()
    )
    rows = []
    for network in networks:
        plan = plans[network.pk]
        last = latest.get(network.pk)
        due = consultation_due_on(network, plan.consult_every_days, last, today)
        last_evaluation = evaluations.get(network.pk) or network.agreement_signed_on
        rows.append(
            NetworkOverview(
                network=network,
                agreement_age_days=(today - network.agreement_signed_on).days
                if network.agreement_signed_on
                else None,
                last_meeting=meetings.get(network.pk, {}).get("last"),
                next_meeting=meetings.get(network.pk, {}).get("next"),
                last_consultation=last.held_on if last else None,
                consultation_due=due,
                consultation_overdue=due is not None and due < today,
                open_actions=actions.get(network.pk, {}).get("open", 0),
                overdue_actions=actions.get(network.pk, {}).get("overdue", 0),
                plan_version=plan.version,
                members=members.get(network.pk, 0),
                joined=changes.get(network.pk, {}).get("joined", 0),
                left=changes.get(network.pk, {}).get("left", 0),
                evaluation_due=network.status in (NetworkStatus.ACTIVE, NetworkStatus.DORMANT)
                and last_evaluation is not None
                and (today - last_evaluation).days > 365,
            )
        )
    return rows
