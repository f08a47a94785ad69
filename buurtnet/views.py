"""Project-level pages: the home of each role, the health probe and the 400 handler."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from buurtnet import health
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
    """Is the database reachable, and the task backend; and does delivery work?

    503 when the database or the broker cannot be reached, or when delivery is degraded:
    deliveries nobody has taken for `HEALTH_DELIVERY_STALL_SECONDS`, a provider paused by
    the workers' circuit breaker, no RQ worker (`buurtnet/health.py`). `?live` answers only
    the database and broker checks (liveness, for a load balancer that must not take the
    web servers out because the mail server is down)."""
    database = {"vendor": connection.vendor, "ok": True}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        database.update(ok=False, error=exc.__class__.__name__)
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    tasks = {"backend": type(backend).__name__, "ok": True}
    try:
        _check_task_backend(backend)
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        tasks.update(ok=False, error=exc.__class__.__name__)
    body = {"ok": database["ok"] and tasks["ok"], "database": database, "tasks": tasks}
    if "live" not in request.GET and body["ok"]:
        delivery = {"ok": True}
        try:
            problems = health.delivery_problems()
        except Exception as exc:  # noqa: BLE001 - a failing check is itself a problem
            problems = [{"check": "delivery_check_failed", "error": exc.__class__.__name__}]
        if problems:
            delivery.update(ok=False, problems=problems)
        body.update(ok=delivery["ok"], delivery=delivery)
    return JsonResponse(body, status=200 if body["ok"] else 503)


def _check_task_backend(backend) -> None:
    kind = type(backend).__name__
    if kind == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
    elif kind == "RQBackend":
        import django_rq

        for queue in backend.queues:
            django_rq.get_connection(queue).ping()


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400, except for a body over the upload limits that a view read before
    `RequestTooLargeMiddleware` could (a CSRF-exempt multipart view): that is a 413."""
    if isinstance(exception, TOO_LARGE):
        return too_large_response(request, exception)
    return defaults.bad_request(request, exception)
