"""Project-level pages: the home of each role, the liveness probe and the 400 handler."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

from buurtnet.networks.models import (
    OPEN_STATUSES,
    Membership,
    Municipality,
    Network,
    PoliceZone,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.networks.services import with_member_counts
from buurtnet.operations import probes
from buurtnet.security import TOO_LARGE, too_large_response
from buurtnet.surveys.services import rounds_for


def home(request: HttpRequest) -> HttpResponse:
    """One home for everyone: a section for every role the person holds somewhere."""
    if not request.user.is_authenticated:
        return render(request, "home_public.html")
    standing = Standing.of(request.user)
    memberships = list(
        Membership.objects.filter(
            person=request.user,
            status__in=OPEN_STATUSES,
        )
        .select_related("network__municipality")
        .order_by("network__name")
    )
    led = {
        network_id
        for network_id, role in standing.network_roles.items()
        if role in (Role.COORDINATOR, Role.STEERING, Role.OFFICER)
    }
    led_networks = (
        with_member_counts(
            Network.objects.filter(pk__in=led)
            .select_related("municipality")
            .defer("area", "charter")
        )
        if led
        else []
    )
    zones = list(PoliceZone.objects.filter(pk__in=standing.zone_ids)) if standing.zone_ids else []
    municipalities = (
        list(Municipality.objects.filter(pk__in=standing.partner_municipality_ids))
        if standing.partner_municipality_ids
        else []
    )
    context = {
        "memberships": memberships,
        "coordinated": [
            n
            for n in led_networks
            if standing.network_roles[n.pk] in (Role.COORDINATOR, Role.STEERING)
        ],
        "supervised": [n for n in led_networks if standing.network_roles[n.pk] == Role.OFFICER],
        "zones": zones,
        "municipalities": municipalities,
        "surveys": list(rounds_for(request.user).select_related("survey")[:5]),
    }
    return render(request, "home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers and reaches its database (200), or not (503).

    For a load balancer or an orchestrator deciding whether to restart this web process: it
    does not look at workers, the broker or delivery, which a restart would not mend. Those
    are in `/readyz` (buurtnet/operations/views.py). `?live` is still accepted (it was the
    liveness half of this probe) and answers the same."""
    database = {"vendor": connection.vendor, "ok": True}
    try:
        probes.database_answers()
    except DatabaseError as exc:
        database.update(ok=False, error=exc.__class__.__name__)
    return JsonResponse(
        {"ok": database["ok"], "database": database}, status=200 if database["ok"] else 503
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400, except for a body over the upload limits that a view read before
    `RequestTooLargeMiddleware` could (a CSRF-exempt multipart view): that is a 413."""
    if isinstance(exception, TOO_LARGE):
        return too_large_response(request, exception)
    return defaults.bad_request(request, exception)
