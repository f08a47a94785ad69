from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from buurtnet.absences.services import settings_for as absence_settings_for
from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import PoliceZone

from . import services
from .forms import PolicyForm


@login_required
def zone_policy(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = get_object_or_404(PoliceZone, pk=zone_id)
    # The same answer whether the zone exists or not for anyone not on its staff.
    if not services.may_manage(request.user, zone.pk):
        raise Http404
    policy = services.policy_for(zone)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_policy(zone, request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("The retention periods are saved."))
            return redirect("retention:zone_policy", zone.pk)
    policy.refresh_from_db(fields=["last_run_at", "last_counts"])
    return render(
        request,
        "retention/zone_policy.html",
        {
            "zone": zone,
            "form": form,
            "policy": policy,
            "audit_days": services.audit_days(),
            "absence_days": absence_settings_for(zone).retention_days,
            "last_counts": [
                (label, policy.last_counts.get(kind, 0)) for kind, label in _count_labels()
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


def _count_labels() -> list[tuple[str, str]]:
    return [
        ("left_members", _("memberships deleted")),
        ("closed_reports", _("reports anonymised")),
        ("deliveries", _("delivery records deleted")),
        ("recipients", _("recipient records deleted")),
    ]
