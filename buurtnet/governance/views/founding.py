"""How a BIN comes to be and ends: the request, the zone's refusal, the information session,
and dissolution."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.networks.maps import build_map
from buurtnet.networks.models import Network, NetworkStatus
from buurtnet.people.models import Person

from .. import services
from ..forms import DissolveForm, FoundingForm, ReasonForm
from .base import allow, form_action, form_page, get_meeting, get_network, meeting_url, network_url


@login_required
def request_founding(request: HttpRequest) -> HttpResponse:
    form = FoundingForm(request.POST or None)

    def call() -> Network:
        data = form.cleaned_data
        return services.request_founding(
            request.user,
            services.FoundingInput(
                name=data["name"],
                municipality_id=data["municipality_id"].pk,
                kind=data["kind"],
                area=data["area"],
                motivation=data["motivation"],
            ),
        )

    return form_action(
        request,
        call,
        form=form,
        success=_("Your request is sent to the police zone. They will contact you."),
        to=network_url,
    ) or render(
        request,
        "governance/request.html",
        {"form": form, "area_map": _map_around(request.user)},
        status=400 if request.method == "POST" else 200,
    )


class _Box:
    """A stand-in network for build_map: an empty square to draw on."""

    def __init__(self, lon: float, lat: float, half: float) -> None:
        self.min_lon, self.max_lon = lon - half * 1.6, lon + half * 1.6
        self.min_lat, self.max_lat = lat - half, lat + half
        self.area = {"coordinates": [[[lon, lat], [lon, lat], [lon, lat], [lon, lat]]]}
        self.pk = 0
        self.name = ""
        self.status = "canvas"


def _map_around(person: Person | None):
    """A canvas to draw the proposed area on: around the person's home (with the BINs near
    it whose area is public, to find one's way), or all of Belgium."""
    if person is not None and person.has_point:
        home = (person.longitude, person.latitude)
        box = _Box(*home, 0.006)
        nearby = Network.objects.filter(
            area_public=True,
            min_lon__lte=box.max_lon,
            max_lon__gte=box.min_lon,
            min_lat__lte=box.max_lat,
            max_lat__gte=box.min_lat,
        ).exclude(status=NetworkStatus.DISSOLVED)[:20]
        area_map = build_map([box, *nearby], [home], margin=0)
    else:
        area_map = build_map([_Box(4.45, 50.5, 1.05)], margin=0)
    area_map.shapes[:] = [s for s in area_map.shapes if not isinstance(s.network, _Box)]
    return area_map


@login_required
def decline(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_act_as_zone_staff(request.user, found))
    form = ReasonForm(request.POST or None)
    return form_action(
        request,
        lambda: services.decline_request(found, request.user, form.cleaned_data["reason"]),
        form=form,
        success=_("The request is declined."),
        to=network_url(found),
    ) or form_page(
        request,
        form,
        title=_("Decline the request"),
        network=found,
        submit=_("Decline the request"),
        intro=_("The person who asked for this BIN reads your reason."),
        danger=True,
    )


@login_required
@require_POST
def information_held(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    allow(services.can_oversee(request.user, meeting.network))
    return form_action(
        request,
        lambda: services.mark_information_session_held(meeting, request.user),
        success=_("The information session is recorded as held."),
        to=meeting_url(meeting),
    )


@login_required
def dissolve(request: HttpRequest, network_id: int) -> HttpResponse:
    found = get_network(request, network_id)
    allow(services.can_oversee(request.user, found))
    form = DissolveForm(request.POST or None)
    return form_action(
        request,
        lambda: services.dissolve(found, request.user, form.cleaned_data["reason"]),
        form=form,
        success=_("The BIN is dissolved."),
        to=network_url(found),
    ) or form_page(
        request,
        form,
        title=_("Dissolve this BIN"),
        network=found,
        submit=_("Dissolve the BIN"),
        intro=_(
            "All members are told and their membership ends. Planned messages and meetings "
            "are cancelled. This cannot be undone."
        ),
        danger=True,
    )
