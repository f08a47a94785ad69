"""How a BIN comes to be and ends: the request, the zone's refusal, the information session,
and dissolution."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.networks import geo, mapping
from buurtnet.networks.models import Network
from buurtnet.people.models import Person

from .. import services
from ..forms import DissolveForm, FoundingForm, ReasonForm
from ..services import area as areas
from .base import allow, form_action, form_page, get_meeting, get_network, meeting_url, network_url


@login_required
def request_founding(request: HttpRequest) -> HttpResponse:
    form = FoundingForm(request.POST or None)
    around = _areas_around(request.user)

    def call() -> Network:
        data = form.cleaned_data
        network = services.request_founding(
            request.user,
            services.FoundingInput(
                name=data["name"],
                municipality_id=data["municipality_id"].pk,
                kind=data["kind"],
                area=data["area"],
                motivation=data["motivation"],
            ),
        )
        _warn_of_overlap(request, network, around)
        return network

    return form_action(
        request,
        call,
        form=form,
        success=_("Your request is sent to the police zone. They will contact you."),
        to=network_url,
    ) or render(
        request,
        "governance/request.html",
        {
            "form": form,
            "map_data": _map_data(request.user, around),
            # The base map of the zone around (a zone may have its own); else the installation's.
            "map_zone": around[0].municipality.zone if around else None,
        },
        status=400 if request.method == "POST" else 200,
    )


# Around a home: about a kilometre each way.
HOME_BOX = 0.006
# How much of the neighbourhood around the home the drawing map first shows, each way.
HOME_VIEW_METRES = 700


def _areas_around(person: Person) -> list[Network]:
    """The BINs to draw a proposed area among: those near the person's home whose area they
    may see, and for the zone's staff every BIN of their zone."""
    visible = areas.visible_areas(person)
    found = {n.pk: n for n in areas.zone_areas(person)}
    if person.has_point:
        lon, lat = person.longitude, person.latitude
        box = geo.BoundingBox(
            lon - HOME_BOX * 1.6, lat - HOME_BOX, lon + HOME_BOX * 1.6, lat + HOME_BOX
        )
        found.update((n.pk, n) for n in areas.around(visible, box))
    return list(found.values())


def _map_data(person: Person, around: list[Network]) -> dict:
    """The BINs around and the person's home (which a residents' area must include), framed
    on them, or on Belgium when there is nothing to show."""
    home = (
        [mapping.point(person.longitude, person.latitude, label=_("Your home"))]
        if person.has_point
        else []
    )
    if home:
        # A neighbourhood around the home, close enough to see its streets while drawing.
        near = {"type": "Circle", "lon": person.longitude, "lat": person.latitude}
        fit = mapping.frame({**near, "radius_m": HOME_VIEW_METRES}, margin=0)
    elif around:
        fit = None
    else:
        b_min_lon, b_min_lat, b_max_lon, b_max_lat = geo.BELGIUM_BBOX
        fit = [[b_min_lat, b_min_lon], [b_max_lat, b_max_lon]]
    return mapping.map_data(
        areas=[mapping.area_feature(n) for n in around], points=home, labels=True, fit=fit
    )


def _warn_of_overlap(request: HttpRequest, network: Network, around: list[Network]) -> None:
    """A proposed area may overlap a BIN the person sees: the request is sent all the same
    (the zone decides), and the person is warned."""
    overlap = areas.overlapping(network.area, [n for n in around if n.pk != network.pk])
    if overlap:
        names = ", ".join(n.name for n in overlap)
        flash.warning(
            request,
            _("The proposed area overlaps %(names)s; the police zone will discuss this with you.")
            % {"names": names},
        )


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
