"""CAP 1.2 over the REST API (mounted at /api/v1/cap by buurtnet.api.api).

GET  /messages/{id}  an alert or notice as a CAP document (scope cap:read; the same people
                     who may follow the message up on the site).
POST /alerts         import a CAP document (scope cap:write; staff of the zone). The zone
                     is `?zone=<code>`, or the caller's only zone.
GET  /imports        the zone's import log (scope cap:read; staff of the zone).
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from buurtnet.api.auth import require_scope
from buurtnet.api.problems import AUTH_PROBLEMS, Problem, ProblemOut, forbidden, not_found
from buurtnet.messaging.models import Message
from buurtnet.networks.models import PoliceZone
from buurtnet.networks.permissions import Standing

from . import services
from .models import CapImport, ImportOrigin

router = Router(tags=["CAP"])

XML_BODY = {"schema": {"type": "string", "description": "A CAP 1.2 <alert> document."}}
# What each refusal of a document answers: a body that is no XML at all is a bad request;
# XML that is not acceptable CAP is unprocessable; an alert seen before is a conflict.
STATUS_BY_CODE = {"not_xml": 400, "too_large": 413, "duplicate": 409}


class ImportOut(Schema):
    id: int
    zone: str
    identifier: str
    sender: str
    sent: datetime
    msg_type: str
    references: str
    outcome: str
    message: int | None
    networks: int
    received_at: datetime


def _import_out(record: CapImport) -> dict:
    return {
        "id": record.pk,
        "zone": record.zone.code,
        "identifier": record.identifier,
        "sender": record.sender,
        "sent": record.sent,
        "msg_type": record.msg_type,
        "references": record.references,
        "outcome": record.outcome,
        "message": record.message_id,
        "networks": record.networks,
        "received_at": record.received_at,
    }


def _zone(request: HttpRequest, code: str | None) -> PoliceZone:
    """The zone the caller names, or their only one; they must be its staff."""
    standing = Standing.of(request.auth.person)
    zones = PoliceZone.objects.filter(pk__in=standing.zone_ids)
    if code:
        zone = zones.filter(code=code).first()
        if zone is None:
            raise forbidden(_("You are not staff of the zone %(code)s.") % {"code": code[:10]})
        return zone
    found = list(zones[:2])
    if not found:
        raise forbidden(_("Only zone staff import CAP alerts."))
    if len(found) > 1:
        raise Problem(
            422,
            _("Which zone?"),
            _("You are staff of more than one zone: say which with ?zone=<code>."),
            type="invalid",
        )
    return found[0]


def _refused(exc: ValidationError) -> Problem:
    status = STATUS_BY_CODE.get(exc.code or "", 422)
    titles = {400: _("Not XML"), 409: _("Already imported"), 413: _("Too large")}
    return Problem(
        status,
        titles.get(status, _("Not an acceptable CAP 1.2 alert")),
        " ".join(exc.messages),
        type="cap-refused",
    )


@router.get(
    "/messages/{message_id}",
    response={404: ProblemOut, **AUTH_PROBLEMS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The message as a CAP 1.2 document.",
                "content": {services.CONTENT_TYPE: XML_BODY},
            }
        }
    },
    summary="An alert or notice as CAP 1.2",
)
def export_message(request: HttpRequest, message_id: int):
    require_scope(request, "cap:read")
    message = Message.objects.select_related("zone").filter(pk=message_id).first()
    if message is None or not services.can_export(request.auth.person, message):
        raise not_found()
    return HttpResponse(services.to_cap(message), content_type=services.CONTENT_TYPE)


@router.post(
    "/alerts",
    response={
        201: ImportOut,
        400: ProblemOut,
        409: ProblemOut,
        413: ProblemOut,
        422: ProblemOut,
        **AUTH_PROBLEMS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {services.CONTENT_TYPE: XML_BODY, "application/xml": XML_BODY},
        }
    },
    summary="Import a CAP 1.2 alert into a zone",
)
def import_alert(request: HttpRequest, zone: str | None = None):
    require_scope(request, "cap:write")
    police_zone = _zone(request, zone)
    try:
        record = services.import_alert(
            police_zone, request.body, by=request.auth.person, origin=ImportOrigin.API
        )
    except ValidationError as exc:
        raise _refused(exc) from exc
    except PermissionDenied as exc:
        raise forbidden(str(exc)) from exc
    return Status(201, _import_out(record))


@router.get(
    "/imports",
    response={200: list[ImportOut], 422: ProblemOut, **AUTH_PROBLEMS},
    summary="The zone's CAP import log (newest first, at most 100)",
)
def import_log(request: HttpRequest, zone: str | None = None):
    require_scope(request, "cap:read")
    police_zone = _zone(request, zone)
    records = CapImport.objects.filter(zone=police_zone).select_related("zone")[:100]
    return [_import_out(r) for r in records]
