from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST
from shapely.geometry import mapping as shapely_mapping
from shapely.geometry.polygon import orient

from buurtnet.audit import services as audit
from buurtnet.people import services as people_services

from . import geo, mapping, services
from .forms import (
    ApplyForm,
    DecisionForm,
    LocationForm,
    MapAreaForm,
    SearchForm,
    ZoneMapFilterForm,
)
from .models import JOINABLE_STATUSES, Membership, Network, NetworkStatus, PoliceZone
from .permissions import Action, Standing, require

MEMBERS_PER_PAGE = 50


def _form_error(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


# --- Joining --------------------------------------------------------------------------


@login_required
def join(request: HttpRequest) -> HttpResponse:
    """Step by step: who you are, your phone, where you live; then the BINs that cover it."""
    person = request.user
    if not person.full_name:
        return redirect(f"{reverse('people:profile')}?next={reverse('networks:join')}")
    if not person.phone_verified:
        return redirect(f"{reverse('people:phone')}?next={reverse('networks:join')}")
    return redirect("networks:location")


@login_required
def location(request: HttpRequest) -> HttpResponse:
    person = request.user
    area_form = MapAreaForm(request.GET or None)
    municipality = area_form.cleaned_data["municipality"] if area_form.is_valid() else None
    map_networks = Network.objects.filter(status__in=JOINABLE_STATUSES, area_public=True)
    if municipality:
        map_networks = map_networks.filter(municipality=municipality)
    elif person.city:
        same_city = map_networks.filter(municipality__name__iexact=person.city)
        map_networks = same_city if same_city.exists() else map_networks
    initial = {
        "street": person.street,
        "house_number": person.house_number,
        "postcode": person.postcode,
        "city": person.city,
    }
    form = LocationForm(request.POST or None, initial=initial)
    found = None
    if request.method == "POST" and form.is_valid():
        found = _locate(form)
        if found is not None:
            lon, lat, networks = found
            people_services.set_home(
                person,
                street=form.cleaned_data["street"],
                house_number=form.cleaned_data["house_number"],
                postcode=form.cleaned_data["postcode"],
                city=form.cleaned_data["city"],
                longitude=lon,
                latitude=lat,
            )
            # The same address with the point found: dragging the marker corrects the
            # point and sends this form again.
            correction = LocationForm(
                initial={**form.cleaned_data, "longitude": round(lon, 6), "latitude": round(lat, 6)}
            )
            return render(
                request,
                "networks/join_choose.html",
                {
                    "networks": networks,
                    "form": correction,
                    "map_zone": networks[0].municipality.zone,
                    "map_data": _found_map(lon, lat, networks),
                },
            )
    return render(
        request,
        "networks/join_location.html",
        {
            "form": form,
            "area_form": area_form,
            "map_zone": municipality.zone if municipality else None,
            "map_data": mapping.map_data(
                areas=[mapping.area_feature(n) for n in map_networks.select_related("municipality")]
            ),
        },
    )


def _found_map(lon: float, lat: float, networks: list[Network]) -> dict:
    """The found point among the BINs covering it: only areas shown on public maps are
    drawn (the list names every BIN); without one, the map frames the point."""
    public = [mapping.area_feature(n) for n in networks if n.area_public]
    if public:
        return mapping.map_data(areas=public)
    around = [[lat - 0.003, lon - 0.005], [lat + 0.003, lon + 0.005]]
    return mapping.map_data(fit=around)


def _locate(form: LocationForm) -> tuple[float, float, list[Network]] | None:
    """Turn the form into a point and the BINs covering it; add an error and return None
    when the address is unknown or no BIN covers it (nothing is saved then)."""
    data = form.cleaned_data
    if data.get("longitude") is not None and data.get("latitude") is not None:
        lon, lat = data["longitude"], data["latitude"]
        if not geo.point_in_belgium(lon, lat):
            form.add_error(None, _("This point lies outside Belgium."))
            return None
    else:
        point = services.geocode(data["street"], data["house_number"], data["postcode"])
        if point is None:
            form.add_error(
                None,
                _(
                    "We could not find this address. Check the street name and postcode, "
                    "or tap your home on the map."
                ),
            )
            return None
        lon, lat = point
    networks = services.networks_covering(lon, lat)
    if not networks:
        form.add_error(
            None,
            _(
                "No neighbourhood information network covers this address yet. "
                "Your local police can tell you how to start one."
            ),
        )
        return None
    return lon, lat, networks


@login_required
def apply(request: HttpRequest, network_id: int) -> HttpResponse:
    network = get_object_or_404(
        Network.objects.select_related("municipality"),
        pk=network_id,
        status__in=JOINABLE_STATUSES,
    )
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply(
                request.user,
                network,
                consented=form.cleaned_data["accept_charter"]
                and form.cleaned_data["accept_privacy"],
                motivation=form.cleaned_data["motivation"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Your application to %(network)s has been sent to its coordinator.")
                % {"network": network.name},
            )
            return redirect("home")
    return render(request, "networks/join_apply.html", {"network": network, "form": form})


# --- A network's own pages ------------------------------------------------------------


@login_required
def detail(request: HttpRequest, network_id: int) -> HttpResponse:
    network = get_object_or_404(Network.objects.select_related("municipality__zone"), pk=network_id)
    standing = require(request.user, Action.VIEW_NETWORK, network)
    return render(
        request,
        "networks/detail.html",
        {
            "network": network,
            "actions": standing.actions_on(network),
            "can_edit_area": standing.can_act_as_zone_staff(network),
            "map_data": mapping.map_data(areas=[mapping.area_feature(network, this=True)]),
        },
    )


@login_required
def members(request: HttpRequest, network_id: int) -> HttpResponse:
    network = get_object_or_404(Network.objects.select_related("municipality"), pk=network_id)
    standing = require(request.user, Action.VIEW_MEMBERS, network)
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(services.member_list(network, search=query), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    show_contact = standing.can(Action.VIEW_MEMBER_CONTACT, network)
    if query or show_contact:
        # What was searched may be a name: only that a search happened, and its yield.
        action = audit.Action.SEARCH_PEOPLE if query else audit.Action.VIEW_MEMBER_CONTACT
        found = {"results": page.paginator.count, "page": page.number, "contact": show_contact}
        audit.record(request.user, action, network, request=request, network=network, detail=found)
    return render(
        request,
        "networks/members.html",
        {
            "network": network,
            "page": page,
            "search": search,
            "query": query,
            "show_contact": show_contact,
        },
    )


@login_required
def applications(request: HttpRequest, network_id: int) -> HttpResponse:
    network = get_object_or_404(Network.objects.select_related("municipality"), pk=network_id)
    standing = require(request.user, Action.VIEW_APPLICATIONS, network)
    page = Paginator(services.pending_applications(network), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "networks/applications.html",
        {
            "network": network,
            "page": page,
            "can_decide": standing.can(Action.DECIDE_APPLICATION, network),
            "form": DecisionForm(),
        },
    )


@login_required
@require_POST
def decide(request: HttpRequest, network_id: int, membership_id: int) -> HttpResponse:
    network = get_object_or_404(Network, pk=network_id)
    # Check the permission on the network before looking the application up, so that
    # someone who is not this BIN's coordinator gets 403 whether or not it exists.
    require(request.user, Action.DECIDE_APPLICATION, network)
    membership = get_object_or_404(
        Membership.objects.select_related("person", "network"), pk=membership_id, network=network
    )
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide(
                membership, request.user, approve=approve, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                (
                    _("%(name)s is now a member. They have been told.")
                    if approve
                    else _("The application of %(name)s was declined. They have been told.")
                )
                % {"name": membership.person.full_name},
            )
            return redirect("networks:applications", network_id=network.pk)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    page = Paginator(services.pending_applications(network), MEMBERS_PER_PAGE).get_page(1)
    return render(
        request,
        "networks/applications.html",
        {
            "network": network,
            "page": page,
            "can_decide": True,
            "form": form,
            "failed_id": membership.pk,
        },
        status=400,
    )


# --- The member's own membership ------------------------------------------------------

OWN_ACTIONS = {"pause": services.pause, "resume": services.resume, "leave": services.leave}
OWN_ACTION_MESSAGES = {
    "pause": gettext_lazy("You will receive no messages from %(network)s until you resume."),
    "resume": gettext_lazy("Welcome back: you receive the messages of %(network)s again."),
    "leave": gettext_lazy("You have left %(network)s."),
}


@login_required
@require_POST
def membership_action(request: HttpRequest, membership_id: int, action: str) -> HttpResponse:
    if action not in OWN_ACTIONS:
        raise PermissionDenied
    # One's own membership only: another's answers as one that does not exist.
    membership = get_object_or_404(
        Membership.objects.select_related("network"), pk=membership_id, person=request.user
    )
    try:
        OWN_ACTIONS[action](membership, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, OWN_ACTION_MESSAGES[action] % {"network": membership.network.name}
        )
    return redirect("home")


# --- Zone staff -----------------------------------------------------------------------


@login_required
def zone_map(request: HttpRequest, code: str) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, code=code)
    if not Standing.of(request.user).can_view_zone(zone.pk):
        raise PermissionDenied
    filters = ZoneMapFilterForm(request.GET or None, zone=zone)
    networks = services.with_member_counts(
        Network.objects.filter(municipality__zone=zone, **filters.filters())
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )
    return render(
        request,
        "networks/zone_map.html",
        {
            "zone": zone,
            "networks": networks,
            "filters": filters,
            "statuses": NetworkStatus.choices,
            "map_data": mapping.map_data(
                areas=[mapping.area_feature(n, link=True) for n in networks], labels=True
            ),
        },
    )


# --- Public maps ------------------------------------------------------------------------

# A municipal map may refresh every quarter of an hour; areas change a few times a year.
AREAS_CACHE_SECONDS = 900


@cache_control(public=True, max_age=AREAS_CACHE_SECONDS)
def zone_areas(request: HttpRequest, code: str) -> HttpResponse:
    """All public BIN areas of a zone as an RFC 7946 FeatureCollection, for municipal maps:
    no login, nothing about the members."""
    zone = get_object_or_404(PoliceZone, code=code)
    networks = (
        Network.objects.filter(
            municipality__zone=zone, area_public=True, status__in=JOINABLE_STATUSES
        )
        .select_related("municipality")
        .order_by("municipality__name", "name")
    )
    collection = {"type": "FeatureCollection", "features": [_feature(n) for n in networks]}
    response = JsonResponse(collection, content_type="application/geo+json")
    # Public data meant for other sites' maps.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _feature(network: Network) -> dict:
    # RFC 7946 (3.1.6): exterior rings counterclockwise, holes clockwise.
    polygon = orient(geo.shape(network.area), sign=1.0)
    return {
        "type": "Feature",
        "id": network.pk,
        "geometry": shapely_mapping(polygon),
        "properties": {
            "name": network.name,
            "type": network.kind,
            "municipality": network.municipality.name,
            "status": network.status,
        },
    }


# --- Places -----------------------------------------------------------------------------


@login_required
@cache_control(private=True)
def nearest_address(request: HttpRequest) -> JsonResponse:
    """The nearest address of a point in words, for a map's picked point:
    {"label": "Near Kerkstraat 12, 8500 Kortrijk"} or {"label": null}; 400 for bad input.
    Coordinates are plain decimals (no exponent, nan or inf)."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": _("Only GET is allowed here.")}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    coordinates = []
    for name in ("lon", "lat"):
        raw = request.GET.get(name, "")
        try:
            if not raw or len(raw) > 20 or raw.strip("0123456789.-"):
                raise ValueError(raw)
            coordinates.append(float(raw))
        except ValueError:
            return JsonResponse(
                {"error": _("Give the place as a longitude and latitude in degrees.")}, status=400
            )
    lon, lat = coordinates
    if not geo.point_in_belgium(lon, lat):
        return JsonResponse({"error": _("This place lies outside Belgium.")}, status=400)
    address = services.nearest_address(lon, lat)
    return JsonResponse(
        {"label": _("Near %(address)s") % {"address": address} if address else None}
    )
