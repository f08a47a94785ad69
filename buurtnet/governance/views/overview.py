"""The overview of the BINs a person oversees, a zone's BINs, and one BIN's governance page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Network,
    NetworkStatus,
    PoliceZone,
)
from buurtnet.networks.permissions import Standing

from .. import services
from ..models import FoundingRequest, Meeting, MeetingStatus
from .base import calendar_link, get_network


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The overview of the BINs a person oversees; for everyone, their BINs' next meetings."""
    overseen = services.overseen_networks(request.user)
    rows = services.overview(overseen.order_by("name")) if overseen.exists() else []
    own = Membership.objects.filter(
        person=request.user,
        status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
    ).values("network_id")
    upcoming = (
        Meeting.objects.filter(
            network_id__in=own, status=MeetingStatus.SCHEDULED, ends_at__gt=timezone.now()
        )
        .select_related("network")
        .order_by("starts_at")[:20]
    )
    return render(
        request,
        "governance/index.html",
        {"rows": rows, "upcoming": upcoming, "calendar_link": calendar_link()},
    )


@login_required
def zone(request: HttpRequest, code: str) -> HttpResponse:
    found = get_object_or_404(PoliceZone, code=code)
    if not Standing.of(request.user).can_view_zone(found.pk):
        raise Http404
    networks = Network.objects.filter(municipality__zone=found).order_by("name")
    return render(
        request, "governance/zone.html", {"zone": found, "rows": services.overview(networks)}
    )


@login_required
def network(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    person = request.user
    sees = services.can_see_meetings(person, found)
    oversee = services.can_oversee(person, found)
    may = {
        "oversee": oversee,
        "see_meetings": sees,
        "run_meetings": services.can_run_meetings(person, found),
        "see_agreement": services.can_see_agreement(person, found),
        "see_consultations": services.can_see_consultations(person, found),
        "see_cases": services.can_see_cases(person, found),
        "consult": services.is_officer(person, found) or services.is_coordinator(person, found),
        "hand_over": services.is_officer(person, found),
        "decline": services.can_act_as_zone_staff(person, found),
        "sign_as": services.may_sign_as(person, found),
    }
    context: dict = {
        "network": found,
        "may": may,
        "statuses": found.status_changes.select_related("changed_by").order_by("changed_at"),
        "founding": FoundingRequest.objects.filter(network=found)
        .select_related("requested_by")
        .first(),
        "living": found.status != NetworkStatus.DISSOLVED,
    }
    if sees:
        context["meetings"] = services.meetings_of(found)[:30]
        context["roles"] = services.role_history(found)[:50]
        context["rules"] = services.rules_for(found)
        context["calendar_link"] = calendar_link()
    if may["see_agreement"]:
        context["agreements"] = found.agreements.prefetch_related(
            "signatures__person"
        ).select_related("registration")
        context["evaluations"] = found.evaluations.all()
        context["evaluation_due"] = services.evaluation_due(found)
    if oversee:
        context["screenings"] = found.screenings.select_related("person")
    if may["see_consultations"]:
        context["consultations"] = found.consultations.prefetch_related("actions__owner")[:20]
    if may["see_cases"]:
        context["cases"] = found.cases.select_related("coordinator").prefetch_related("steps")
    return render(request, "governance/network.html", context)
