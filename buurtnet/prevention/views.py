from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.common import markdown, private_files
from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import PoliceZone

from . import services
from .forms import CampaignForm, SearchForm, TipForm
from .models import Campaign, Theme, Tip, TipStatus

# --- Public: no log-in needed -------------------------------------------------------------


def public(request: HttpRequest, code: str) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, code=code)
    form = SearchForm(request.GET or None)
    # Each filter on its own: a damaged theme in a shared link keeps the search words.
    query = request.GET.get("q", "")[:100].strip()
    theme = request.GET.get("theme", "")
    theme = theme if theme in Theme.values else ""
    tips = services.public_tips(zone, query, theme)
    page = Paginator(tips, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "prevention/public.html",
        {"zone": zone, "form": form, "page": page, "query": query, "theme": theme},
    )


def tip(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, code=code)
    item = get_object_or_404(
        Tip.objects.prefetch_related("texts"), pk=pk, zone=zone, status=TipStatus.PUBLISHED
    )
    language = request.GET.get("lang") or translation.get_language() or "nl"
    text = item.text_in(language)
    return render(
        request,
        "prevention/tip.html",
        {"zone": zone, "tip": item, "text": text, "body": markdown.to_html(text.body)},
    )


def tip_image(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Tip, pk=pk)
    if not item.image:
        raise Http404
    if item.status != TipStatus.PUBLISHED and not (
        request.user.is_authenticated and services.can_edit_tip(request.user, item)
    ):
        raise Http404
    return private_files.stream(request, item.image, "image/jpeg", cache_control=None)


# --- Writing tips -------------------------------------------------------------------------------


def _zone_for(request: HttpRequest, zones: list[PoliceZone]) -> PoliceZone:
    if not zones:
        raise PermissionDenied
    wanted = request.POST.get("zone") or request.GET.get("zone")
    return next((z for z in zones if str(z.pk) == wanted), zones[0])


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    zones = services.tip_zones(request.user)
    if not zones:
        raise PermissionDenied
    tips = [
        t
        for t in Tip.objects.filter(zone__in=zones)
        .prefetch_related("texts")
        .select_related("zone", "municipality")
        .order_by("status", "-updated_at")
        if services.can_edit_tip(request.user, t)
    ]
    campaign_zones = services.campaign_zones(request.user)
    campaigns = Campaign.objects.filter(zone__in=campaign_zones)
    return render(
        request,
        "prevention/manage.html",
        {
            "zones": zones,
            "tips": tips,
            "campaigns": campaigns[:50],
            "can_campaign": bool(campaign_zones),
        },
    )


@login_required
def edit_tip(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    zones = services.tip_zones(request.user)
    item = None
    if pk is not None:
        item = get_object_or_404(Tip.objects.prefetch_related("texts"), pk=pk)
        if not services.can_edit_tip(request.user, item):
            raise Http404
        zone = item.zone
    else:
        zone = _zone_for(request, zones)
    initial = TipForm.initial_for(item) if item else {}
    form = TipForm(request.POST or None, request.FILES or None, zone=zone, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.save_tip(request.user, zone, form.tip_input(), item)
            if request.POST.get("publish"):
                services.set_status(item, request.user, TipStatus.PUBLISHED)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The tip is saved."))
            return redirect("prevention:manage")
    return render(
        request,
        "prevention/edit_tip.html",
        {"form": form, "tip": item, "zone": zone},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def tip_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Tip, pk=pk)
    if not services.can_edit_tip(request.user, item):
        raise Http404
    try:
        services.set_status(item, request.user, request.POST.get("status", ""))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The tip's status was changed."))
    return redirect("prevention:manage")


# --- Campaigns -----------------------------------------------------------------------------------


@login_required
def new_campaign(request: HttpRequest) -> HttpResponse:
    zone = _zone_for(request, services.campaign_zones(request.user))
    form = CampaignForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(request.user, zone, form.campaign_input())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The campaign is scheduled."))
            return redirect("prevention:campaign", campaign.pk)
    return render(
        request,
        "prevention/new_campaign.html",
        {"form": form, "zone": zone},
        status=400 if request.method == "POST" else 200,
    )


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = get_object_or_404(
        Campaign.objects.prefetch_related("items__tip__texts", "municipalities"), pk=pk
    )
    if campaign.zone not in services.campaign_zones(request.user):
        raise Http404
    return campaign


@login_required
def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    item = _campaign(request, pk)
    return render(
        request,
        "prevention/campaign.html",
        {
            "campaign": item,
            "reach": services.reach(item),
            "upcoming": services.upcoming(item) if item.is_active else [],
            "sends": item.sends.select_related("tip", "message").prefetch_related("tip__texts"),
        },
    )


@login_required
@require_POST
def stop_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    item = _campaign(request, pk)
    services.stop(item, request.user)
    flash.success(request, _("The campaign is stopped; nothing more goes out."))
    return redirect("prevention:campaign", item.pk)
