from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buurtnet.common.rule import Rule
from buurtnet.networks.models import Network, PoliceZone
from buurtnet.networks.permissions import Action, Standing

from . import services
from .forms import PlanForm
from .models import CommunicationPlan, PlanStatus


def _network(request: HttpRequest, network_id: int) -> Network:
    network = get_object_or_404(Network.objects.select_related("municipality"), pk=network_id)
    if not Standing.of(request.user).can(Action.VIEW_MEMBERS, network):
        raise Http404
    return network


@login_required
def plan(request: HttpRequest, network_id: int, version: int | None = None) -> HttpResponse:
    network = _network(request, network_id)
    versions = list(network.plans.prefetch_related("rules", "approvals__person"))
    shown = next((p for p in versions if p.version == version), None) if version else None
    if version and shown is None:
        raise Http404
    effective = services.effective_plan(network)
    if shown is None:
        shown = next((p for p in versions if p.status == PlanStatus.ACTIVE), None)
    draft = next((p for p in versions if p.status == PlanStatus.DRAFT), None)
    return render(
        request,
        "plans/plan.html",
        {
            "network": network,
            "versions": versions,
            "shown": shown,
            "effective": effective,
            "rules": _rules(shown) if shown else list(effective.rule_by_kind.values()),
            "draft": draft,
            "can_edit": services.can_edit_plan(request.user, network),
        },
    )


def _rules(plan: CommunicationPlan) -> list[Rule]:
    return [rule.as_rule() for rule in plan.rules.all()]


@login_required
def edit(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    if not services.can_edit_plan(request.user, network):
        raise PermissionDenied
    latest = network.plans.exclude(status=PlanStatus.WITHDRAWN).first()
    base = services.plan_content(latest or services.effective_plan(network))
    form = PlanForm(request.POST or None, initial=PlanForm.initial_from(base))
    if request.method == "POST" and form.is_valid():
        try:
            created = services.write_draft(
                network, request.user, form.content(), form.cleaned_data["note"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            flash.success(
                request,
                _(
                    "Version %(v)d is saved as a draft. It applies once the coordinator and the "
                    "officer have both approved it."
                )
                % {"v": created.version},
            )
            return redirect("plans:plan", network.pk)
    return render(request, "plans/edit.html", {"network": network, "form": form})


@login_required
@require_POST
def approve(request: HttpRequest, network_id: int, version: int) -> HttpResponse:
    network = _network(request, network_id)
    target = get_object_or_404(CommunicationPlan, network=network, version=version)
    try:
        result = services.approve(target, request.user)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        if result.status == PlanStatus.ACTIVE:
            flash.success(request, _("Both have approved: this version is now the active plan."))
        else:
            flash.success(
                request,
                _("Your approval is recorded. The plan applies once the other side approves too."),
            )
    return redirect("plans:plan", network.pk)


@login_required
def zone_template(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    if not Standing.of(request.user).can_view_zone(zone.pk):
        raise Http404
    form = PlanForm(
        request.POST or None, initial=PlanForm.initial_from(services.zone_template(zone.pk))
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_zone_template(zone, request.user, form.content())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            flash.success(request, _("The template for new BINs is saved."))
            return redirect("plans:zone_template", zone.pk)
    return render(request, "plans/edit.html", {"zone": zone, "form": form})
