"""The zone's staff change a BIN's area: draw it on the map, check it, confirm and save."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from buurtnet.networks import geo, mapping
from buurtnet.networks.models import Network

from .. import services
from ..forms import AreaForm
from ..services import area as areas
from .base import _errors_on, form_action


@login_required
def network_area(request: HttpRequest, network_id: int) -> HttpResponse:
    """Only the staff of the BIN's zone know this page exists (404 for everyone else)."""
    network = get_object_or_404(Network.objects.select_related("municipality__zone"), pk=network_id)
    if not services.can_act_as_zone_staff(request.user, network):
        raise Http404
    form = AreaForm(request.POST or None, initial={"area": json.dumps(network.area)})
    around = areas.neighbours(network, request.user)
    if request.method != "POST" or not form.is_valid():
        return _page(request, network, form, around)
    area, step = form.cleaned_data["area"], form.cleaned_data["step"] or AreaForm.CHECK
    if step == AreaForm.EDIT:
        return _page(request, network, form, around, status=200)
    if step == AreaForm.SAVE and form.cleaned_data["confirm"]:
        return form_action(
            request,
            lambda: areas.change_area(network, request.user, area),
            form=form,
            success=_("The new area is saved. The BIN's coordinators and officers are told."),
            to=reverse("networks:detail", args=[network.pk]),
        ) or _page(request, network, form, around)
    try:
        areas.check_area(network, area)
    except ValidationError as exc:
        _errors_on(form, exc)
        return _page(request, network, form, around)
    if step == AreaForm.SAVE:
        form.add_error("confirm", _("Tick the box to confirm the new area."))
        return _page(request, network, form, around, new_area=area)
    return _page(request, network, form, around, new_area=area, status=200)


def _page(
    request: HttpRequest,
    network: Network,
    form: AreaForm,
    around: list[Network],
    *,
    new_area: dict | None = None,
    status: int | None = None,
) -> HttpResponse:
    """The drawing step, or with `new_area` the confirming step (the new area over the
    current one, and the BINs it overlaps)."""
    features = [
        mapping.area_feature(network, this=True),
        *(mapping.area_feature(other) for other in around),
    ]
    context = {
        "network": network,
        "form": form,
        "map_data": mapping.map_data(
            areas=features,
            shape=new_area,
            labels=True,
            fit=mapping.frame(network.area, new_area, margin=0.15),
        ),
        "confirming": new_area is not None,
        "overlaps": areas.overlapping(new_area, around) if new_area is not None else [],
        "unchanged": new_area is not None and geo.same_area(new_area, network.area),
    }
    if status is None:
        status = 400 if request.method == "POST" else 200
    return render(request, "governance/network_area.html", context, status=status)
