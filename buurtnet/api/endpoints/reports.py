"""Reports: a member files one; the officer (and the coordinator and zone, as the site
lets them) reads the queue and one report; the officer triages and answers."""

import uuid
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from buurtnet.audit import services as audit
from buurtnet.networks.permissions import Standing
from buurtnet.reports import services as reports
from buurtnet.reports.models import OPEN_STATUSES, Report, ReportStatus

from ..auth import require_scope
from ..models import Scope
from ..pagination import paginate
from ..problems import forbidden, not_found
from ..schemas import FeedbackIn, FeedbackOut, ReportIn, ReportOut, ReportPage, StatusIn
from .common import PageParams, PageQuery, PathId, idempotency_key, responses

router = Router(tags=["reports"])
# The namespace of the client tokens made from an Idempotency-Key (uuid5 of person and key).
REPORT_KEYS = uuid.UUID("5f0c3a52-8e4b-4d0e-9a43-2b6f1d7c9e11")


class QueueParams(PageParams):
    show: Literal["open", "closed", "overdue"] = "open"


def report_out(report: Report, allowed: reports.ReportAccess, viewer) -> dict:
    reporter = report.reporter
    named = allowed.contact and reporter is not None and report.reporter_id != viewer.pk
    return {
        "id": report.pk,
        "network_id": report.network_id,
        "category": report.category.name,
        "status": report.status,
        "outcome": report.outcome,
        "occurred_at": report.occurred_at,
        "created_at": report.created_at,
        "due_at": report.due_at,
        "description": report.description,
        # Plates stay with the police and the reporter, as on the site.
        "vehicle_plate": report.vehicle_plate if allowed.photos else "",
        "vehicle_make": report.vehicle_make,
        "vehicle_colour": report.vehicle_colour,
        "vehicle_direction": report.vehicle_direction,
        "location": (
            {"longitude": report.longitude, "latitude": report.latitude}
            if allowed.location
            else None
        ),
        "reporter": (
            {"name": reporter.full_name, "email": reporter.email, "phone": reporter.phone}
            if named
            else None
        ),
        "allowed_moves": report.allowed_moves() if allowed.triage else [],
    }


def visible(request: HttpRequest, report_id: PathId) -> tuple[Report, reports.ReportAccess]:
    report = (
        Report.objects.select_related("network__municipality", "category", "reporter")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise not_found()
    allowed = reports.access(request.user, report)
    if not allowed.view:
        raise not_found()
    return report, allowed


@router.get(
    "",
    response=responses({200: ReportPage}),
    summary="The report queue (officer, coordinator, zone staff)",
)
def list_reports(request: HttpRequest, params: Query[QueueParams]):
    require_scope(request, Scope.REPORTS_READ)
    standing = Standing.of(request.user)
    # The same gate as the queue page.
    if not standing.zone_ids and not any(
        role in ("officer", "coordinator") for role in standing.network_roles.values()
    ):
        raise forbidden()
    queryset = reports.visible_reports(request.user)
    if params.show == "closed":
        queryset = queryset.filter(status=ReportStatus.CLOSED)
    elif params.show == "overdue":
        queryset = queryset.filter(status=ReportStatus.NEW, overdue_flagged_at__isnull=False)
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    rows, next_url = paginate(
        request,
        queryset,
        ["-created_at", "-id"],
        cursor=params.cursor,
        limit=params.limit,
        list_key=f"reports:{params.show}",
    )
    items = []
    for report in rows:
        allowed = reports.access(request.user, report)
        if allowed.view:
            # A list names nobody, as the queue page.
            items.append({**report_out(report, allowed, request.user), "reporter": None})
    return {"items": items, "next": next_url}


@router.get("/mine", response=responses({200: ReportPage}), summary="Reports you filed")
def my_reports(request: HttpRequest, page: PageQuery):
    require_scope(request, Scope.REPORTS_READ)
    rows, next_url = paginate(
        request,
        reports.own_reports(request.user).select_related("reporter", "network__municipality"),
        ["-created_at", "-id"],
        cursor=page.cursor,
        limit=page.limit,
        list_key="reports:mine",
    )
    items = [report_out(r, reports.access(request.user, r), request.user) for r in rows]
    return {"items": items, "next": next_url}


@router.post(
    "",
    response=responses({201: ReportOut}, 422),
    summary="File a report (approved members of the BIN)",
    description=(
        "Emergencies go to 101 or 112, never through Buurtnet. An `Idempotency-Key` header "
        "works as `client_token`: the same key again returns the first report."
    ),
)
def file_report(request: HttpRequest, payload: ReportIn):
    require_scope(request, Scope.REPORTS_WRITE)
    key = idempotency_key(request)
    client_token = payload.client_token
    if client_token is None and key:
        # Reports are de-duplicated by their client token; the person's key names one.
        client_token = uuid.uuid5(REPORT_KEYS, f"{request.user.pk}:{key}")
    report = reports.file_report(
        request.user,
        reports.ReportInput(
            network_id=payload.network_id,
            category_id=payload.category_id,
            occurred_at=payload.occurred_at,
            longitude=payload.longitude,
            latitude=payload.latitude,
            description=payload.description,
            vehicle_plate=payload.vehicle_plate,
            vehicle_plate_foreign=payload.vehicle_plate_foreign,
            vehicle_make=payload.vehicle_make,
            vehicle_colour=payload.vehicle_colour,
            vehicle_direction=payload.vehicle_direction,
            client_token=client_token,
        ),
    )
    report = Report.objects.select_related("category", "reporter", "network__municipality").get(
        pk=report.pk
    )
    return Status(201, report_out(report, reports.access(request.user, report), request.user))


@router.get("/{report_id}", response=responses({200: ReportOut}, 404), summary="One report")
def get_report(request: HttpRequest, report_id: PathId):
    require_scope(request, Scope.REPORTS_READ)
    report, allowed = visible(request, report_id)
    if report.reporter_id != request.user.pk:  # as the report page: staff reads are logged
        audit.record(
            request.user,
            audit.Action.VIEW_REPORT,
            report,
            request=request,
            network=report.network,
            detail={"contact": allowed.contact, "api": True},
        )
    return report_out(report, allowed, request.user)


@router.post(
    "/{report_id}/status",
    response=responses({200: ReportOut}, 404, 422),
    summary="Move a report along its statuses (the officer)",
)
def change_status(request: HttpRequest, report_id: PathId, payload: StatusIn):
    require_scope(request, Scope.REPORTS_WRITE)
    report, allowed = visible(request, report_id)
    report = reports.change_status(
        report, request.user, payload.status, note=payload.note, outcome=payload.outcome
    )
    report, allowed = visible(request, report.pk)
    return report_out(report, allowed, request.user)


@router.post(
    "/{report_id}/feedback",
    response=responses({201: FeedbackOut}, 404, 422),
    summary="Answer the reporter (the officer)",
)
def send_feedback(request: HttpRequest, report_id: PathId, payload: FeedbackIn):
    require_scope(request, Scope.REPORTS_WRITE)
    report, _allowed = visible(request, report_id)
    message = reports.send_feedback(report, request.user, payload.body, payload.sms_text)
    return Status(201, {"message_id": message.pk})
