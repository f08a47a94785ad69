from collections import Counter
from datetime import timedelta

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.audit import services as audit
from buurtnet.common.form_errors import apply_errors
from buurtnet.networks import mapping
from buurtnet.networks.models import Network, PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.people.phones import display_phone

from . import services
from .forms import AbsenceForm, PassForm, SettingsForm
from .models import Absence

# --- Residents ------------------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    absences = list(services.own_absences(request.user)[:100])
    for absence in absences:
        absence.cancellable = absence.is_cancellable_on(today)
    return render(
        request,
        "absences/mine.html",
        {
            "absences": absences,
            "may_announce": services.may_announce(request.user),
            "today": today,
        },
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    networks = services.announce_map_networks(request.user)
    if not networks:
        return render(request, "absences/not_allowed.html", status=403)
    person = request.user
    form = AbsenceForm(request.POST or None, today=timezone.localdate())
    location_errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                absence = services.announce(person, form.absence_input())
            except ValidationError as exc:
                errors = exc.message_dict
                # The home has no field of its own: its error goes with the address.
                location_errors = errors.pop("location", [])
                apply_errors(form, ValidationError(errors))
            except PermissionDenied as exc:
                # Whether this home may be announced depends on where it is: the form
                # comes back with what was typed, and the reason next to the address.
                status = 403
                location_errors = [str(exc) or _("You cannot announce an absence for this home.")]
            else:
                flash.success(
                    request,
                    _(
                        "Thank you. The police know your home is empty from %(from)s to "
                        "%(to)s. Have a good time away."
                    )
                    % {
                        "from": formats.date_format(absence.starts_on, "j F Y"),
                        "to": formats.date_format(absence.ends_on, "j F Y"),
                    },
                )
                return redirect("absences:mine")
    zones = {n.municipality.zone_id for n in networks}
    rules = [services.settings_for(z) for z in sorted(zones)]
    home = (
        [mapping.point(person.longitude, person.latitude, label=_("Your home"))]
        if person.has_point
        else []
    )
    return render(
        request,
        "absences/new.html",
        {
            "form": form,
            "home": person.address_line,
            "networks": networks,
            "home_map": mapping.map_data(
                areas=[mapping.area_feature(n) for n in networks], points=home
            ),
            "map_zone": networks[0].municipality.zone,
            "location_errors": location_errors,
            "retention_days": max(r.retention_days for r in rules),
            "max_days": max(r.max_days for r in rules),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's absence is not found, whether it exists or not.
    absence = get_object_or_404(Absence, pk=pk, person=request.user)
    try:
        services.cancel(absence, request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("Your absence is cancelled. The police will not pass by."))
    return redirect("absences:mine")


# --- The police --------------------------------------------------------------------------------


def _require_watcher(request: HttpRequest) -> None:
    if not services.is_watcher(request.user):
        raise PermissionDenied


def _watch_page(request: HttpRequest, forms: dict | None = None, status: int = 200):
    today = timezone.localdate()
    absences = list(services.watch_list(request.user, today))
    for zone_id, homes in Counter(a.zone_id for a in absences).items():
        audit.record(
            request.user,
            audit.Action.VIEW_ABSENCES,
            request=request,
            zone=zone_id,
            detail={"homes": homes},
        )
    forms = forms or {}
    days = []
    shown: set[int] = set()
    for offset in range(services.watch_days(request.user, today) + 1):
        day = today + timedelta(days=offset)
        rows = []
        for absence in absences:
            if absence.starts_on <= day <= absence.ends_on:
                rows.append({"absence": absence, "first": absence.pk not in shown})
                shown.add(absence.pk)
        days.append({"day": day, "is_today": offset == 0, "rows": rows})
    # A refused pass on a home no longer on the list still says why.
    listed = {a.pk for a in absences}
    unlisted_errors = [
        error for pk, form in forms.items() if pk not in listed for error in form.non_field_errors()
    ]
    for number, absence in enumerate(absences, start=1):
        absence.number = number
        absence.pass_form = forms.get(absence.pk) or PassForm(auto_id=f"id_pass{absence.pk}_%s")
        absence.active = absence.is_active_on(today)
        absence.resident_phone = display_phone(absence.person.phone)
    officer_of, zone_ids = services.watcher_scope(request.user)
    networks = {
        n.pk: n
        for n in Network.objects.filter(pk__in=officer_of).select_related("municipality__zone")
    }
    networks.update({a.network_id: a.network for a in absences if a.network_id})
    bins = sorted(networks.values(), key=lambda n: n.name)
    # Every home is on the map with its number in the list, those outside the BINs too.
    route_map = mapping.map_data(
        areas=[mapping.area_feature(n) for n in bins],
        points=[
            mapping.point(a.longitude, a.latitude, label=a.address_line, number=a.number)
            for a in absences
        ],
    )
    zones = PoliceZone.objects.filter(pk__in=zone_ids)
    return render(
        request,
        "absences/watch.html",
        {
            "days": days,
            "absences": absences,
            "route_map": route_map,
            "map_zone": bins[0].municipality.zone if bins else zones.first(),
            "zones": zones,
            "unlisted_errors": unlisted_errors,
            "today": today,
        },
        status=status,
    )


@login_required
def watch(request: HttpRequest) -> HttpResponse:
    _require_watcher(request)
    return _watch_page(request)


@login_required
@require_POST
def record_pass(request: HttpRequest, pk: int) -> HttpResponse:
    _require_watcher(request)
    absence = get_object_or_404(Absence, pk=pk)
    if not services.may_watch(request.user, absence):
        # The same answer whether the absence exists or not: addresses cannot be probed.
        raise Http404
    form = PassForm(request.POST, auto_id=f"id_pass{absence.pk}_%s")
    if form.is_valid():
        try:
            services.record_pass(absence, request.user, form.cleaned_data["note"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(
                request,
                _("Pass recorded at %(address)s.") % {"address": absence.address_line},
            )
            return redirect(f"{reverse('absences:watch')}#absence-{absence.pk}")
    return _watch_page(request, forms={absence.pk: form}, status=400)


@login_required
def zone_settings(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    if not Standing.of(request.user).can_view_zone(zone.pk):
        raise Http404
    current = services.settings_for(zone)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_settings(zone, request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The absence watch settings are saved."))
            return redirect("absences:zone_settings", zone.pk)
    return render(
        request,
        "absences/settings.html",
        {"zone": zone, "form": form},
        status=400 if request.method == "POST" else 200,
    )
