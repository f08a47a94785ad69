"""The communication-quality dashboard: for the officer (their BINs) and zone staff (their
zone's BINs, and the zone as a whole), with every chart also as CSV.

Who may not know a BIN or zone exists gets 404; who sees a BIN but does not oversee it
(a member, the coordinator, the municipal partner) gets 403. The permission check comes
before the period is read.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from buurtnet.common.csv_export import csv_response
from buurtnet.governance.services import can_oversee, overseen_networks
from buurtnet.networks.models import Network, PoliceZone
from buurtnet.networks.permissions import Action, Standing

from . import charts, figures
from .forms import PeriodForm


class Scope:
    """What a dashboard is about: a name, its BINs, and the URLs of its page and CSV."""

    def __init__(self, name: str, network_ids: list[int], page: str, csv: str) -> None:
        self.name, self.network_ids, self.page, self.csv = name, network_ids, page, csv


def _own_scope(request: HttpRequest) -> Scope:
    ids = list(overseen_networks(request.user).values_list("pk", flat=True))
    if not ids:
        raise PermissionDenied
    return Scope(
        _("The BINs you oversee"), ids, reverse("insights:dashboard"), reverse("insights:csv")
    )


def _network_scope(request: HttpRequest, network_id: int) -> Scope:
    network = get_object_or_404(Network.objects.select_related("municipality"), pk=network_id)
    if not Standing.of(request.user).can(Action.VIEW_NETWORK, network):
        raise Http404
    if not can_oversee(request.user, network):
        raise PermissionDenied
    return Scope(
        network.name,
        [network.pk],
        reverse("insights:network", args=[network.pk]),
        reverse("insights:network_csv", args=[network.pk]),
    )


def _zone_scope(request: HttpRequest, zone_id: int) -> Scope:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    if not Standing.of(request.user).can_view_zone(zone.pk):
        raise Http404
    ids = list(Network.objects.filter(municipality__zone=zone).values_list("pk", flat=True))
    return Scope(
        zone.name,
        ids,
        reverse("insights:zone", args=[zone.pk]),
        reverse("insights:zone_csv", args=[zone.pk]),
    )


def _page(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = PeriodForm(request.GET)
    period = form.period
    sections = []
    if period is not None:
        query = f"from={period.start.isoformat()}&to={period.end.isoformat()}"
        for series in figures.dashboard(scope.network_ids, period):
            sections.append(
                {
                    "series": series,
                    "svg": charts.draw(series),
                    "legend": charts.legend(series),
                    "csv": f"{scope.csv}?chart={series.key}&{query}",
                }
            )
    standing = Standing.of(request.user)
    networks = overseen_networks(request.user).order_by("name")
    zones = PoliceZone.objects.filter(
        pk__in=standing.zone_ids if not standing.is_superuser else PoliceZone.objects.values("pk")
    ).order_by("name")
    return render(
        request,
        "insights/dashboard.html",
        {
            "scope": scope,
            "form": form,
            "period": period,
            "sections": sections,
            "networks": networks,
            "zones": zones,
        },
        status=200 if period is not None else 400,
    )


def _csv(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = PeriodForm(request.GET)
    period = form.period
    if period is None:
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    series = figures.chart(request.GET.get("chart", ""), scope.network_ids, period)
    if series is None:
        return HttpResponse(
            _("There is no such chart."), status=400, content_type="text/plain; charset=utf-8"
        )
    filename = (
        f"buurtnet-{slugify(scope.name) or 'dashboard'}-{series.key}-"
        f"{period.start.isoformat()}-{period.end.isoformat()}.csv"
    )
    return csv_response(series.columns, series.rows, filename)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, _own_scope(request))


@require_GET
@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    return _csv(request, _own_scope(request))


@require_GET
@login_required
def network(request: HttpRequest, network_id: int) -> HttpResponse:
    return _page(request, _network_scope(request, network_id))


@require_GET
@login_required
def network_csv(request: HttpRequest, network_id: int) -> HttpResponse:
    return _csv(request, _network_scope(request, network_id))


@require_GET
@login_required
def zone(request: HttpRequest, zone_id: int) -> HttpResponse:
    return _page(request, _zone_scope(request, zone_id))


@require_GET
@login_required
def zone_csv(request: HttpRequest, zone_id: int) -> HttpResponse:
    return _csv(request, _zone_scope(request, zone_id))
