"""Zone staff register their endpoints, read the delivery log and send a test event."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import PoliceZone

from . import services
from .forms import EndpointForm
from .models import WebhookEndpoint

LOG_PER_PAGE = 50


def _zone(request: HttpRequest, code: str) -> PoliceZone:
    zone = get_object_or_404(PoliceZone, code=code)
    # The same answer whether the zone exists or not for anyone not on its staff.
    if not services.may_manage(request.user, zone.pk):
        raise Http404
    return zone


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    endpoint = get_object_or_404(WebhookEndpoint.objects.select_related("zone"), pk=pk)
    if not services.may_manage(request.user, endpoint.zone_id):
        raise Http404
    return endpoint


@login_required
def zone(request: HttpRequest, code: str) -> HttpResponse:
    zone = _zone(request, code)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(request.user, zone, form.endpoint_input())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(
                request,
                _(
                    "The endpoint is registered. Copy its secret into your system to check "
                    "the signatures."
                ),
            )
            return redirect("webhooks:endpoint", endpoint.pk)
    return render(
        request,
        "webhooks/zone.html",
        {"zone": zone, "form": form, "endpoints": services.endpoints_of(zone)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def endpoint(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(endpoint, request.user, form.endpoint_input())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The endpoint is saved."))
            return redirect("webhooks:endpoint", endpoint.pk)
    page = Paginator(services.delivery_log(endpoint), LOG_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "webhooks/endpoint.html",
        {"zone": endpoint.zone, "endpoint": endpoint, "form": form, "page": page},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    services.rotate_secret(endpoint, request.user)
    flash.success(
        request,
        _("A new secret is made. The old one keeps signing for 24 hours next to it."),
    )
    return redirect("webhooks:endpoint", endpoint.pk)


@login_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    services.send_test(endpoint, request.user)
    flash.success(request, _("A test event is on its way. Its result appears in the log below."))
    return redirect("webhooks:endpoint", endpoint.pk)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    code = endpoint.zone.code
    services.delete_endpoint(endpoint, request.user)
    flash.success(request, _("The endpoint is deleted."))
    return redirect("webhooks:zone", code)
