"""The zone's CAP page: whether imported alerts wait for an officer, the feeds it reads,
and the log of what it imported. For the zone's staff (and the platform administrator)."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import PoliceZone
from buurtnet.networks.permissions import Standing

from . import services
from .forms import FeedForm, RemoveFeedForm, SettingsForm
from .models import CapImport

LOG_LENGTH = 50


@login_required
def zone(request: HttpRequest, code: str) -> HttpResponse:
    police_zone = get_object_or_404(PoliceZone, code=code)
    if not Standing.of(request.user).can_view_zone(police_zone.pk):
        raise Http404
    which = request.POST.get("form") if request.method == "POST" else None
    settings_form = SettingsForm(
        request.POST if which == "settings" else None,
        instance=services.zone_settings(police_zone),
    )
    feed_form = FeedForm(request.POST if which == "feed" else None)
    remove_form = RemoveFeedForm(request.POST if which == "remove" else None)
    if request.method == "POST":
        if which == "settings" and settings_form.is_valid():
            services.save_settings(
                police_zone, request.user, settings_form.cleaned_data["send_at_once"]
            )
            flash.success(request, _("The CAP settings are saved."))
            return redirect("cap:zone", police_zone.code)
        if which == "feed" and feed_form.is_valid():
            data = feed_form.cleaned_data
            try:
                services.add_feed(
                    police_zone, request.user, data["name"], data["url"], data["poll_every_minutes"]
                )
            except ValidationError as exc:
                apply_errors(feed_form, exc)
            else:
                flash.success(request, _("The feed is added."))
                return redirect("cap:zone", police_zone.code)
        if which == "remove" and remove_form.is_valid():
            try:
                services.remove_feed(police_zone, request.user, remove_form.cleaned_data["remove"])
            except ValidationError as exc:
                apply_errors(remove_form, exc)
            else:
                flash.success(request, _("The feed is removed."))
                return redirect("cap:zone", police_zone.code)
        if which not in ("settings", "feed", "remove"):
            flash.error(request, _("Use one of the forms on this page."))
    return render(
        request,
        "cap/zone.html",
        {
            "zone": police_zone,
            "settings_form": settings_form,
            "feed_form": feed_form,
            "remove_form": remove_form,
            "feeds": police_zone.cap_feeds.select_related("owner"),
            "imports": CapImport.objects.filter(zone=police_zone).select_related("message")[
                :LOG_LENGTH
            ],
        },
        status=400 if request.method == "POST" else 200,
    )
