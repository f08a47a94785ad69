from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.audit import services as audit
from buurtnet.common import private_files
from buurtnet.common.form_errors import apply_errors
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Reply
from buurtnet.networks import mapping
from buurtnet.networks import services as networks_services
from buurtnet.networks.models import PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.plans.models import MessageKind

from . import services
from .forms import (
    CategoryFormSet,
    FeedbackForm,
    MessageFromReportForm,
    RelayForm,
    ReportForm,
    StatusForm,
)
from .models import OPEN_STATUSES, Report, ReportPhoto, ReportStatus

# --- Members ------------------------------------------------------------------------------


@login_required
def new(request: HttpRequest) -> HttpResponse:
    networks = services.reporting_networks(request.user)
    if not networks:
        return render(request, "reports/not_member.html", status=403)
    wanted = request.POST.get("network")
    if wanted and wanted not in {str(n.pk) for n in networks}:
        raise PermissionDenied(_("Only approved members of this BIN can report here."))
    network = _chosen(networks, wanted or request.GET.get("network"))
    categories = services.categories_for(network.municipality.zone).filter(is_active=True)
    initial = {"network": network.pk, "message": request.GET.get("message")}
    if request.user.has_point:
        initial.update(longitude=request.user.longitude, latitude=request.user.latitude)
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        person=request.user,
        networks=networks,
        categories=categories,
        initial=initial,
    )
    location_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            report = services.file_report(request.user, form.report_input())
        except ValidationError as exc:
            # The place has no field of its own: its error goes with the map. A limit
            # reached is an error of the whole form.
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            location_errors = errors.pop("location", [])
            for name, messages in errors.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            flash.success(request, _("Thank you. Your report went to the police of your BIN."))
            return redirect(f"{report.get_absolute_url()}?filed=1")
    # Reaching this point after a POST means the form comes back: a browser cannot refill
    # a file input, so the member must choose the photos again.
    photos_lost = request.method == "POST" and bool(request.FILES)
    lon, lat = form["longitude"].value(), form["latitude"].value()
    home = (
        [mapping.point(request.user.longitude, request.user.latitude, label=_("Your home"))]
        if request.user.has_point
        else []
    )
    return render(
        request,
        "reports/new.html",
        {
            "form": form,
            "network": network,
            "photos_lost": photos_lost,
            # Framed on the home, close enough to read the streets around it.
            "area_map": mapping.map_data(
                areas=[mapping.area_feature(network, this=True)],
                points=home,
                fit="points" if home else None,
            ),
            "pin": _pin(request.user, lon, lat),
            "location_errors": location_errors,
        },
        status=400 if request.method == "POST" else 200,
    )


def _pin(person, lon, lat) -> str:
    """Where the pin on the form stands, said in words: a coordinate means nothing to most."""
    if not (lon and lat):
        return ""
    try:
        home = person.has_point and (float(lon), float(lat)) == (person.longitude, person.latitude)
    except (TypeError, ValueError):
        return ""
    return "home" if home else "tapped"


def _chosen(networks, wanted):
    for network in networks:
        if str(network.pk) == str(wanted):
            return network
    return networks[0]


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    reports = services.own_reports(request.user)[:100]
    return render(request, "reports/mine.html", {"reports": reports})


# --- One report -----------------------------------------------------------------------------


def _visible(request: HttpRequest, pk: int) -> tuple[Report, services.ReportAccess]:
    """The report if this person may see it; 404 otherwise, so that nobody learns that
    another BIN's report exists."""
    report = get_object_or_404(
        Report.objects.select_related("network__municipality", "category", "reporter"), pk=pk
    )
    allowed = services.access(request.user, report)
    if not allowed.view:
        raise Http404
    return report, allowed


def _detail(request: HttpRequest, report: Report, allowed, status: int = 200, **forms):
    context = {
        "report": report,
        "access": allowed,
        "photos": list(report.photos.all()) if allowed.photos else [],
        "feedback": services.feedback_for(report),
        "events": report.events.select_related("actor"),
        "zone": report.network.municipality.zone,
        "area_map": mapping.map_data(
            areas=[mapping.area_feature(report.network, this=True)],
            points=[_place_point(report)] if allowed.location else [],
            fit="points" if allowed.location else None,
        ),
        "place": _place(report) if allowed.location else None,
        "filed": request.GET.get("filed"),
    }
    if allowed.triage:
        context["moves"] = [
            (value, label)
            for value, label in ReportStatus.choices
            if value in report.allowed_moves() and value != ReportStatus.CLOSED
        ]
        context["can_close"] = ReportStatus.CLOSED in report.allowed_moves()
        context["status_form"] = forms.get("status_form") or StatusForm()
        context["feedback_form"] = forms.get("feedback_form") or FeedbackForm()
    if allowed.relay and _plan_lets_relay(request.user, report):
        language = report.network.language
        context["relay_form"] = forms.get("relay_form") or RelayForm(
            initial={"language": language, **services.message_draft_text(report, language)}
        )
    return render(request, "reports/detail.html", context, status=status)


def _place_point(report: Report, number: int | None = None) -> dict:
    return mapping.point(
        report.longitude,
        report.latitude,
        label=str(report.category.name),
        number=number,
        kind="report",
    )


def _one_per_place(points: list[dict]) -> list[dict]:
    """One marker per place, numbered with every report made there ("1, 4"): markers on
    the same spot would hide each other."""
    places: dict[tuple[float, float], dict] = {}
    for point in points:
        key = (round(point["lon"], 5), round(point["lat"], 5))
        if key in places:
            places[key]["number"] = f"{places[key]['number']}, {point['number']}"
            places[key]["label"] = f"{places[key]['label']}; {point['label']}"
        else:
            places[key] = {**point, "number": str(point["number"])}
    return list(places.values())


def _place(report: Report) -> dict:
    """Where a report was made, for people who may know it: in words, and as a link that
    opens the phone's own map app (a geo: URI, RFC 5870)."""
    lat, lon = f"{report.latitude:.6f}", f"{report.longitude:.6f}"
    return {
        "address": networks_services.nearest_address(report.longitude, report.latitude),
        "geo": f"geo:{lat},{lon}?q={lat},{lon}",
    }


def _plan_lets_relay(person, report: Report) -> bool:
    routes, _excluded = messaging.plan_routes(person, MessageKind.RELAY, [report.network])
    return bool(routes)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report, allowed = _visible(request, pk)
    if report.reporter_id != request.user.pk:  # the police, the zone or the coordinator
        audit.record(
            request.user,
            audit.Action.VIEW_REPORT,
            report,
            request=request,
            network=report.network,
            detail={"contact": allowed.contact},
        )
    return _detail(request, report, allowed)


@login_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    report, allowed = _visible(request, pk)
    if not allowed.triage:
        raise PermissionDenied
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(
                report,
                request.user,
                form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The report's status was changed."))
            return redirect(report)
    return _detail(request, report, allowed, status=400, status_form=form)


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    report, allowed = _visible(request, pk)
    if not allowed.triage:
        raise PermissionDenied
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.send_feedback(
                report, request.user, form.cleaned_data["body"], form.cleaned_data["sms_text"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Your feedback is on its way to the reporter."))
            return redirect(report)
    return _detail(request, report, allowed, status=400, feedback_form=form)


@login_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a notice or an alert for the BIN out of a report."""
    report, allowed = _visible(request, pk)
    if not allowed.triage:
        raise PermissionDenied
    language = report.network.language
    form = MessageFromReportForm(
        request.POST or None,
        initial={
            "kind": "notice",
            "language": language,
            **services.message_draft_text(report, language),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            message = services.publish_to_network(
                report,
                request.user,
                form.cleaned_data["kind"],
                form.texts(),
                form.cleaned_data["language"],
            )
        except ValidationError as exc:
            apply_errors(_renamed(form), exc)
        else:
            flash.success(request, _("The message is on its way to the BIN."))
            return redirect("messaging:detail", message.pk)
    return render(
        request,
        "reports/publish.html",
        {"form": form, "report": report},
        status=400 if request.method == "POST" else 200,
    )


class _renamed:
    """The messaging checks name fields per language (body_nl); the form has one body."""

    def __init__(self, form) -> None:
        self.form, self.fields = form, form.fields

    def add_error(self, name, errors) -> None:
        if name:
            base = name.rsplit("_", 1)[0] if name.rsplit("_", 1)[-1] in ("nl", "fr", "en") else name
            name = base if base in self.form.fields else None
        self.form.add_error(name, errors)


@login_required
@require_POST
def relay(request: HttpRequest, pk: int) -> HttpResponse:
    report, allowed = _visible(request, pk)
    if not allowed.relay:
        raise PermissionDenied
    form = RelayForm(request.POST)
    if form.is_valid():
        try:
            message = services.propose_relay(
                report, request.user, form.texts(), form.cleaned_data["language"]
            )
        except ValidationError as exc:
            apply_errors(_renamed(form), exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("The communication plan does not allow this."))
        else:
            flash.success(
                request,
                _("Your proposal waits for the officer's approval.")
                if message.status == "approval"
                else _("The message is on its way to the BIN."),
            )
            return redirect(report)
    return _detail(request, report, allowed, status=400, relay_form=form)


@login_required
def photo(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    report, allowed = _visible(request, pk)
    if not allowed.photos:
        raise Http404
    item = get_object_or_404(ReportPhoto, pk=photo_pk, report=report)
    # Photos of a police report stay in no cache, not even on a shared family computer.
    return private_files.stream(request, item.image, "image/jpeg", cache_control="no-store")


@login_required
@require_POST
def from_reply(request: HttpRequest, reply_pk: int) -> HttpResponse:
    reply = get_object_or_404(
        Reply.objects.select_related("recipient__link__network", "author", "message"),
        pk=reply_pk,
    )
    try:
        report = services.report_from_reply(reply, request.user)
    except PermissionDenied as exc:
        # The same answer whether the reply exists or not: ids cannot be probed.
        raise Http404 from exc
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("messaging:detail", reply.message_id)
    flash.success(request, _("The reply is now a report in your queue."))
    return redirect(report)


# --- The police's queue ------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    standing = Standing.of(request.user)
    if not standing.zone_ids and not any(
        role in ("officer", "coordinator") for role in standing.network_roles.values()
    ):
        raise PermissionDenied
    show = request.GET.get("show", "open")
    reports = services.visible_reports(request.user)
    if show == "closed":
        reports = reports.filter(status=ReportStatus.CLOSED)
    elif show == "overdue":
        reports = reports.filter(status=ReportStatus.NEW, overdue_flagged_at__isnull=False)
    else:
        show = "open"
        reports = reports.filter(status__in=OPEN_STATUSES)
    reports = list(reports.select_related("network__municipality__zone")[:200])
    networks = {r.network_id: r.network for r in reports}.values()
    # The coordinator's list shows no places: where it happened is often where the
    # reporter lives (see services.access). The others are numbered, on the map and in
    # the list alike.
    points, number = [], 0
    for report in reports:
        report.number = report.place = None
        if services.access(request.user, report).location:
            number += 1
            report.number, report.place = number, _place(report)
            points.append(_place_point(report, number))
    zones = {n.municipality.zone_id: n.municipality.zone for n in networks}
    return render(
        request,
        "reports/queue.html",
        {
            "reports": reports,
            "show": show,
            "zone": next(iter(zones.values())) if len(zones) == 1 else None,
            "area_map": mapping.map_data(
                areas=[mapping.area_feature(n) for n in networks], points=_one_per_place(points)
            ),
        },
    )


@login_required
def zone_categories(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    if not Standing.of(request.user).can_view_zone(zone.pk):
        raise Http404
    categories = services.categories_for(zone)
    initial = [
        {
            "id": c.pk,
            "name_nl": c.names.get("nl", ""),
            "name_fr": c.names.get("fr", ""),
            "name_en": c.names.get("en", ""),
            "position": c.position,
            "is_active": c.is_active,
        }
        for c in categories
    ]
    formset = CategoryFormSet(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and formset.is_valid():
        rows = [row for form in formset if (row := form.row()) is not None]
        try:
            services.save_categories(zone, request.user, rows)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            flash.success(request, _("The categories are saved."))
            return redirect("reports:zone_categories", zone.pk)
    return render(
        request,
        "reports/categories.html",
        {"zone": zone, "formset": formset, "error": error},
        status=400 if request.method == "POST" else 200,
    )
