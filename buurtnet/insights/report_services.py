"""Yearly reports: who may ask for and read them, asking, and making one in the background.

A BIN's report is for its officer and its zone's staff; the BIN's coordinator may read a
finished one (for the members' meeting). A municipality's report is for the zone's staff
and the municipality's partners. The platform administrator may do all of it. Anybody
else is not told a report exists (the views answer 404).
"""

import contextlib
import logging
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from buurtnet.common.private_files import StorageUnavailable, delete_files, reaching_storage
from buurtnet.common.reconnect import after_commit
from buurtnet.governance.documents import local_date
from buurtnet.governance.models import (
    Consultation,
    Evaluation,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Municipality,
    Network,
    NetworkStatus,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from . import figures
from .figures import Period, Series
from .models import ReportStatus, YearlyReport
from .report import ReportContent, render_pdf

log = logging.getLogger(__name__)

FIRST_YEAR = 2010  # the first ministerial circular on BINs
YEARS_BACK = 5
# A report still queued or running after this long was lost with its worker: it may be
# asked for again.
STALE_AFTER = timedelta(hours=1)
ERROR_LENGTH = 2000
MEMBERS = (Role.MEMBER, Role.STEERING, Role.COORDINATOR)


# --- Who may do what ----------------------------------------------------------------------


def may_request_network(person: Person, network: Network) -> bool:
    """The BIN's officer, its zone's staff and the platform administrator."""
    standing = Standing.of(person)
    return (
        standing.is_superuser
        or standing.role_in(network) == Role.OFFICER
        or network.municipality_id in standing.zone_municipality_ids
    )


def may_request_municipality(person: Person, municipality: Municipality) -> bool:
    """The zone's staff, the municipality's partners and the platform administrator."""
    standing = Standing.of(person)
    return (
        standing.is_superuser
        or municipality.pk in standing.zone_municipality_ids
        or municipality.pk in standing.partner_municipality_ids
    )


def may_read_finished(person: Person, network: Network) -> bool:
    """Who may read a BIN's finished reports without asking for them: its coordinator."""
    return Standing.of(person).role_in(network) == Role.COORDINATOR


def may_see_reports_of(person: Person, network: Network) -> bool:
    return may_request_network(person, network) or may_read_finished(person, network)


def may_see(person: Person, report: YearlyReport) -> bool:
    if report.network_id:
        return may_request_network(person, report.network) or (
            report.is_done and may_read_finished(person, report.network)
        )
    return may_request_municipality(person, report.municipality)


def reports_for(person: Person, *, network=None, municipality=None):
    """The reports kept for this scope that the person may see."""
    if network is not None:
        found = YearlyReport.objects.filter(network=network)
        if not may_request_network(person, network):
            found = found.filter(status=ReportStatus.DONE).exclude(pdf="")
    else:
        found = YearlyReport.objects.filter(municipality=municipality)
    return found.select_related("requested_by").order_by("-year", "language")


def years_for(network: Network | None = None, municipality: Municipality | None = None) -> list:
    """The years one may ask a report for, newest first: this year and the five before,
    or back to the year the BIN (or the municipality's oldest BIN) was created here if
    that is longer ago (a BIN often ran before it came onto the platform)."""
    this_year = timezone.localdate().year
    if network is not None:
        first = timezone.localtime(network.created_at).year
    else:
        oldest = municipality.networks.order_by("created_at").values_list("created_at", flat=True)
        first = timezone.localtime(oldest[0]).year if oldest else this_year
    first = max(min(first, this_year - YEARS_BACK), FIRST_YEAR)
    return list(range(this_year, first - 1, -1))


# --- Asking -------------------------------------------------------------------------------


def request_report(
    by: Person,
    *,
    year: int,
    language: str,
    network: Network | None = None,
    municipality: Municipality | None = None,
) -> YearlyReport:
    """Queue the report of this scope, year and language; one that exists is made again
    (the same row, its version raised). Refused while it is being made."""
    if (network is None) == (municipality is None):
        raise ValueError("a report is about a network or a municipality")
    allowed = (
        may_request_network(by, network)
        if network is not None
        else may_request_municipality(by, municipality)
    )
    if not allowed:
        raise ValidationError(_("You may not ask for this report."))
    if year not in years_for(network, municipality):
        raise ValidationError({"year": [_("There is no report for this year.")]})
    scope = {"network": network} if network is not None else {"municipality": municipality}
    now = timezone.now()
    try:
        with transaction.atomic():
            report = (
                YearlyReport.objects.select_for_update()
                .filter(**scope, year=year, language=language)
                .first()
            )
            if report is None:
                report = YearlyReport.objects.create(
                    **scope, year=year, language=language, requested_by=by, requested_at=now
                )
            else:
                if report.is_busy and now - report.requested_at < STALE_AFTER:
                    raise ValidationError(
                        _("This report is being made; it will be ready in a few minutes.")
                    )
                report.version += 1
                report.status = ReportStatus.QUEUED
                report.progress = 0
                report.error = ""
                report.requested_by = by
                report.requested_at = now
                report.started_at = report.finished_at = None
                report.save()
    except IntegrityError as exc:  # the same report asked for twice at the same moment
        raise ValidationError(
            _("This report is being made; it will be ready in a few minutes.")
        ) from exc
    pk, version = report.pk, report.version
    after_commit(lambda: _enqueue(pk, version), "a yearly report")
    return report


def _enqueue(report_id: int, version: int) -> None:
    from buurtnet.delivery.queues import route

    from .tasks import generate_yearly_report

    route(generate_yearly_report).enqueue(report_id, version)


# --- Making it ----------------------------------------------------------------------------


def generate(report_id: int, version: int) -> bool:
    """Make the PDF of one version of a report; False when another worker has it or a
    newer version was asked for. Any failure is recorded on the report."""
    claimed = YearlyReport.objects.filter(
        pk=report_id, version=version, status=ReportStatus.QUEUED
    ).update(status=ReportStatus.RUNNING, progress=5, started_at=timezone.now())
    if not claimed:
        return False
    report = YearlyReport.objects.select_related("network__municipality__zone").get(pk=report_id)
    if report.municipality_id:
        report = YearlyReport.objects.select_related("municipality__zone").get(pk=report_id)
    old_file = report.pdf.name
    try:
        with translation.override(report.language):
            content = _content(report, lambda percent: _progress(report, percent))
            _progress(report, 75)
            pdf = render_pdf(content)
        _progress(report, 95)
        scope = f"bin{report.network_id}" if report.network_id else f"nis{report.municipality_id}"
        name = f"yearly-{scope}-{report.year}-{report.language}-v{report.version}.pdf"
        # Unreachable storage is recorded as StorageUnavailable; asking again makes it anew.
        with reaching_storage("write", name):
            report.pdf.save(name, ContentFile(pdf), save=False)
    except Exception as exc:
        log.exception("yearly report %s (version %s) failed", report_id, version)
        YearlyReport.objects.filter(pk=report_id, version=version).update(
            status=ReportStatus.FAILED,
            # The details stay in the log: an exception's text can hold SQL or paths.
            error=type(exc).__name__[:ERROR_LENGTH],
            finished_at=timezone.now(),
        )
        return False
    finished = YearlyReport.objects.filter(pk=report_id, version=version).update(
        status=ReportStatus.DONE, progress=100, pdf=report.pdf.name, finished_at=timezone.now()
    )
    if not finished:  # asked for again meanwhile: this file is nobody's
        _delete_file(report, report.pdf.name)
        return False
    if old_file and old_file != report.pdf.name:
        _delete_file(report, old_file)
    return True


def _delete_file(report: YearlyReport, name: str) -> None:
    """Remove a PDF nobody points to any more. The report row is already right: a storage
    that does not answer leaves an unused file behind (logged), never a failed report."""
    with contextlib.suppress(StorageUnavailable):
        delete_files(report.pdf.storage, [name])


def _progress(report: YearlyReport, percent: int) -> None:
    YearlyReport.objects.filter(pk=report.pk, version=report.version).update(progress=percent)


def period_of(year: int) -> Period:
    """The calendar year; this year's report runs to today."""
    end = min(date(year, 12, 31), timezone.localdate())
    return Period(date(year, 1, 1), end)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        timezone.make_aware(datetime(year, 1, 1)),
        timezone.make_aware(datetime(year + 1, 1, 1)),
    )


def _content(report: YearlyReport, progress) -> ReportContent:
    year, period = report.year, period_of(report.year)
    if report.network_id:
        networks = [report.network]
    else:
        networks = list(
            report.municipality.networks.exclude(status=NetworkStatus.PROPOSED).order_by("name")
        )
    progress(15)
    series = figures.dashboard([n.pk for n in networks], period) if networks else []
    progress(55)
    counts = _governance_counts(networks, year)
    progress(65)
    made_on = local_date(timezone.localdate())
    period_text = _("%(start)s to %(end)s") % {
        "start": local_date(period.start),
        "end": local_date(period.end),
    }
    title = _("Yearly report %(year)s") % {"year": year}
    if report.network_id:
        network = report.network
        municipality = network.municipality
        identification = [
            (_("Network (BIN)"), network.name),
            (_("Municipality"), municipality.name),
            (_("Police zone"), f"{municipality.zone.name} ({municipality.zone.code})"),
            (_("Period"), period_text),
            (_("Made on"), made_on),
        ]
        facts = counts[network.pk]
        summary = _network_summary(network, year, period_text, facts, series)
        return ReportContent(
            title=title,
            subject=network.name,
            identification=identification,
            summary=summary,
            series=series,
            governance=_governance_rows(network, year, facts),
            footer=_("%(name)s — yearly report %(year)s") % {"name": network.name, "year": year},
        )
    municipality = report.municipality
    identification = [
        (_("Municipality"), f"{municipality.name} ({municipality.nis_code})"),
        (_("Police zone"), f"{municipality.zone.name} ({municipality.zone.code})"),
        (_("Networks (BIN)"), str(len(networks))),
        (_("Period"), period_text),
        (_("Made on"), made_on),
    ]
    return ReportContent(
        title=title,
        subject=municipality.name,
        identification=identification,
        summary=_municipality_summary(municipality, year, period_text, networks, counts, series),
        series=series,
        networks=_networks_table(networks, counts),
        footer=_("%(name)s — yearly report %(year)s") % {"name": municipality.name, "year": year},
    )


def _governance_counts(networks: list[Network], year: int) -> dict[int, dict]:
    """Per BIN: members today, meetings held, consultations and evaluations in the year."""
    ids = [n.pk for n in networks]
    start, end = _year_bounds(year)
    found: dict[int, dict] = {
        pk: {"members": 0, "meetings": 0, "sessions": 0, "consultations": 0, "evaluation": None}
        for pk in ids
    }
    for row in (
        Membership.objects.filter(
            network_id__in=ids, status=MembershipStatus.APPROVED, role__in=MEMBERS
        )
        .values("network_id")
        .annotate(n=Count("id"))
    ):
        found[row["network_id"]]["members"] = row["n"]
    for row in (
        Meeting.objects.filter(
            network_id__in=ids,
            status=MeetingStatus.HELD,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("network_id")
        .annotate(
            meetings=Count("id", filter=Q(kind=MeetingKind.MEMBERS)),
            sessions=Count("id", filter=Q(kind=MeetingKind.INFORMATION)),
        )
    ):
        found[row["network_id"]]["meetings"] = row["meetings"]
        found[row["network_id"]]["sessions"] = row["sessions"]
    for row in (
        Consultation.objects.filter(network_id__in=ids, held_on__year=year)
        .values("network_id")
        .annotate(n=Count("id"))
    ):
        found[row["network_id"]]["consultations"] = row["n"]
    for network_id, held_on in Evaluation.objects.filter(network_id__in=ids, year=year).values_list(
        "network_id", "held_on"
    ):
        found[network_id]["evaluation"] = held_on
    return found


def _governance_rows(network: Network, year: int, facts: dict) -> list[tuple[str, str]]:
    agreement = network.agreement_signed_on
    return [
        (_("Status"), network.get_status_display()),
        (_("Members today"), str(facts["members"])),
        (_("Members' meetings held in %(year)s") % {"year": year}, str(facts["meetings"])),
        (_("Information sessions held in %(year)s") % {"year": year}, str(facts["sessions"])),
        (
            _("Consultations between officer and coordinator in %(year)s") % {"year": year},
            str(facts["consultations"]),
        ),
        (
            _("Yearly evaluation"),
            local_date(facts["evaluation"]) if facts["evaluation"] else _("not recorded"),
        ),
        (_("Agreement signed on"), local_date(agreement) if agreement else _("not signed yet")),
    ]


def _figures_sentence(series: list[Series]) -> str:
    if not series:
        return _("There are no figures for this period.")
    titles = ", ".join(s.title for s in series)
    return ngettext(
        "The following pages show %(count)s figure: %(titles)s.",
        "The following pages show %(count)s figures: %(titles)s.",
        len(series),
    ) % {"count": len(series), "titles": titles}


def _meetings_sentence(year: int, meetings: int, consultations: int) -> str:
    held = ngettext(
        "In %(year)s, %(count)s members' meeting was held",
        "In %(year)s, %(count)s members' meetings were held",
        meetings,
    ) % {"year": year, "count": meetings}
    consulted = ngettext(
        "%(count)s consultation between the officer and the coordinator was recorded.",
        "%(count)s consultations between the officer and the coordinator were recorded.",
        consultations,
    ) % {"count": consultations}
    return _("%(held)s and %(consulted)s") % {"held": held, "consulted": consulted}


def _network_summary(
    network: Network, year: int, period: str, facts: dict, series: list[Series]
) -> list[str]:
    municipality = network.municipality
    text = [
        _(
            "This report describes the neighbourhood information network %(name)s in "
            "%(municipality)s (police zone %(zone)s) over %(period)s. It is meant for the "
            "municipal council and the members' meeting."
        )
        % {
            "name": network.name,
            "municipality": municipality.name,
            "zone": municipality.zone.name,
            "period": period,
        },
        ngettext(
            "Today the network has %(count)s approved member.",
            "Today the network has %(count)s approved members.",
            facts["members"],
        )
        % {"count": facts["members"]},
        _meetings_sentence(year, facts["meetings"], facts["consultations"]),
    ]
    if network.agreement_signed_on:
        text.append(
            _("The agreement was signed on %(date)s.")
            % {"date": local_date(network.agreement_signed_on)}
        )
    else:
        text.append(_("No agreement has been signed yet."))
    text.append(_figures_sentence(series))
    return text


def _municipality_summary(
    municipality: Municipality,
    year: int,
    period: str,
    networks: list[Network],
    counts: dict[int, dict],
    series: list[Series],
) -> list[str]:
    # A person in two of the municipality's BINs is one member of its networks.
    members = (
        Membership.objects.filter(
            network__in=networks,
            status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
        )
        .values("person_id")
        .distinct()
        .count()
    )
    meetings = sum(c["meetings"] for c in counts.values())
    consultations = sum(c["consultations"] for c in counts.values())
    return [
        ngettext(
            "This report describes the %(count)s neighbourhood information network of "
            "%(municipality)s over %(period)s, for the municipal council.",
            "This report describes the %(count)s neighbourhood information networks of "
            "%(municipality)s together over %(period)s, for the municipal council.",
            len(networks),
        )
        % {"count": len(networks), "municipality": municipality.name, "period": period},
        ngettext(
            "Today they have %(count)s approved member.",
            "Today they have %(count)s approved members.",
            members,
        )
        % {"count": members},
        _meetings_sentence(year, meetings, consultations),
        _(
            "A table gives the figures of each network; the figures that follow are of all "
            "networks together."
        )
        if networks
        else _("The municipality has no networks."),
        _figures_sentence(series),
    ]


def _networks_table(networks: list[Network], counts: dict[int, dict]) -> Series:
    return Series(
        key="networks",
        title=_("The networks one by one"),
        columns=[
            _("Network (BIN)"),
            _("Status"),
            _("Members"),
            _("Members' meetings"),
            _("Consultations"),
            _("Agreement signed on"),
        ],
        rows=[
            (
                n.name,
                n.get_status_display(),
                counts[n.pk]["members"],
                counts[n.pk]["meetings"],
                counts[n.pk]["consultations"],
                n.agreement_signed_on,
            )
            for n in networks
        ],
        kind="table",
    )
