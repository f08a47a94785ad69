"""The audit-log page (/audit/). Its entries name the statuses of networks, memberships and
reports, and are shown by zone (Standing): it lives above those apps, here."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buurtnet.audit import services as audit
from buurtnet.audit.forms import AuditSearchForm, object_type_label
from buurtnet.networks.models import MembershipStatus, NetworkStatus
from buurtnet.reports.models import ReportStatus

from . import audit_services

EVENTS_PER_PAGE = 50

# What the keys of an entry's detail mean, as the search page shows them.
DETAIL_LABELS = {
    "results": gettext_lazy("results"),
    "page": gettext_lazy("page"),
    "contact": gettext_lazy("contact details shown"),
    "homes": gettext_lazy("homes listed"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "outcome": gettext_lazy("outcome"),
    "step": gettext_lazy("step"),
    "version": gettext_lazy("version"),
    "activated": gettext_lazy("made active"),
    "feedback": gettext_lazy("feedback sent"),
    "previous_area": gettext_lazy("previous area"),
    "do": gettext_lazy("what was done"),
}

STEPS = {
    "draft": gettext_lazy("new draft"),
    "approve": gettext_lazy("approval"),
    "template": gettext_lazy("zone template"),
    "change_area": gettext_lazy("area of the BIN changed"),
}


def _value_labels() -> dict:
    return {
        **dict(NetworkStatus.choices),
        **dict(MembershipStatus.choices),
        **dict(ReportStatus.choices),
        **STEPS,
    }


def _detail_text(detail: dict, labels: dict) -> str:
    parts = []
    for key, value in (detail or {}).items():
        if isinstance(value, dict | list):
            # Kept for the record (a BIN's previous area), not for reading in a table.
            value = _("kept")
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif isinstance(value, str):
            value = str(labels.get(value, value)).lower()
        parts.append(f"{DETAIL_LABELS.get(key, key)}: {value}")
    return " · ".join(parts)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The audit log for zone staff (their zones) and the platform admin (everything).
    Read only: the log has no edit or delete, here or anywhere."""
    if not audit_services.may_search(request.user):
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    events = audit_services.visible_events(request.user)
    status = 200
    if form.is_bound:
        if form.is_valid():
            events = audit.search(events, **form.filters())
        else:
            events, status = events.none(), 400
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    labels = _value_labels()
    for event in page:
        event.object_label = object_type_label(event.object_type) if event.object_type else ""
        event.detail_text = _detail_text(event.detail, labels)
    return render(request, "audit/search.html", {"form": form, "page": page}, status=status)
