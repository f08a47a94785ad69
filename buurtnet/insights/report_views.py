"""Yearly report pages: the reports kept for a BIN or a municipality, asking for one, its
progress and its download. Every rule is in report_services.py.

Who may not read a report is not told it exists: 404 everywhere, also for the forms.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.http import require_GET

from buurtnet.common.form_errors import apply_errors
from buurtnet.common.private_files import pdf_download
from buurtnet.networks.models import Municipality, Network

from . import report_services as services
from .models import YearlyReport


class ReportRequestForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the report"), choices=settings.LANGUAGES
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]


def _network(request: HttpRequest, network_id: int) -> Network:
    network = get_object_or_404(Network.objects.select_related("municipality__zone"), pk=network_id)
    if not services.may_see_reports_of(request.user, network):
        raise Http404
    return network


def _municipality(request: HttpRequest, municipality_id: int) -> Municipality:
    municipality = get_object_or_404(
        Municipality.objects.select_related("zone"), pk=municipality_id
    )
    if not services.may_request_municipality(request.user, municipality):
        raise Http404
    return municipality


def _report(request: HttpRequest, pk: int) -> YearlyReport:
    report = get_object_or_404(
        YearlyReport.objects.select_related(
            "network__municipality", "municipality", "requested_by"
        ),
        pk=pk,
    )
    if not services.may_see(request.user, report):
        raise Http404
    return report


def _scope_context(network: Network | None, municipality: Municipality | None) -> dict:
    if network is not None:
        return {
            "scope_name": network.name,
            "list_url": reverse("insights:network_reports", args=[network.pk]),
            "request_url": reverse("insights:request_network_report", args=[network.pk]),
        }
    return {
        "scope_name": municipality.name,
        "list_url": reverse("insights:municipality_reports", args=[municipality.pk]),
        "request_url": reverse("insights:request_municipality_report", args=[municipality.pk]),
    }


# --- The reports kept ----------------------------------------------------------------------


@login_required
@require_GET
def network_reports(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    return render(
        request,
        "insights/reports.html",
        {
            **_scope_context(network, None),
            "reports": services.reports_for(request.user, network=network),
            "may_request": services.may_request_network(request.user, network),
        },
    )


@login_required
@require_GET
def municipality_reports(request: HttpRequest, municipality_id: int) -> HttpResponse:
    municipality = _municipality(request, municipality_id)
    return render(
        request,
        "insights/reports.html",
        {
            **_scope_context(None, municipality),
            "reports": services.reports_for(request.user, municipality=municipality),
            "may_request": True,
        },
    )


# --- Asking for one ------------------------------------------------------------------------


def _request_page(
    request: HttpRequest, network: Network | None, municipality: Municipality | None
) -> HttpResponse:
    years = services.years_for(network, municipality)
    default_language = network.language if network is not None else get_language()
    if request.method == "POST":
        form = ReportRequestForm(request.POST, years=years)
        if form.is_valid():
            try:
                report = services.request_report(
                    request.user,
                    year=form.cleaned_data["year"],
                    language=form.cleaned_data["language"],
                    network=network,
                    municipality=municipality,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return redirect("insights:report", pk=report.pk)
    else:
        form = ReportRequestForm(
            years=years,
            initial={"year": years[min(1, len(years) - 1)], "language": default_language},
        )
    return render(
        request,
        "insights/report_request.html",
        {**_scope_context(network, municipality), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def request_network_report(request: HttpRequest, network_id: int) -> HttpResponse:
    network = _network(request, network_id)
    if not services.may_request_network(request.user, network):
        raise Http404
    return _request_page(request, network, None)


@login_required
def request_municipality_report(request: HttpRequest, municipality_id: int) -> HttpResponse:
    return _request_page(request, None, _municipality(request, municipality_id))


# --- One report ----------------------------------------------------------------------------


@login_required
@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    found = _report(request, pk)
    return render(
        request,
        "insights/report.html",
        {**_scope_context(found.network, found.municipality), "report": found},
    )


@login_required
@require_GET
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status block alone, which the report page fetches every two seconds."""
    return render(request, "insights/report_status.html", {"report": _report(request, pk)})


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    found = _report(request, pk)
    if not found.is_done:
        raise Http404
    scope = f"bin-{found.network_id}" if found.network_id else f"nis-{found.municipality.nis_code}"
    return pdf_download(
        request, found.pdf, f"yearly-report-{scope}-{found.year}-{found.language}.pdf"
    )
