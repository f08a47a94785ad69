"""Filing, routing, triaging and answering members' reports.

A report goes where the BIN's communication plan says (the officer, the coordinator or
both), on the plan's channels, through the messaging pipeline, never to other members.
The police answer the reporter through the same pipeline (feedback) and may make a
message for the whole BIN of it, without the reporter's name and without the photos.
"""

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.common import limits
from buurtnet.common import photos as photo_files
from buurtnet.common.private_files import StorageUnavailable, delete_files, reaching_storage
from buurtnet.common.rule import Approver, Rule
from buurtnet.delivery import notices
from buurtnet.delivery.services import notify_person
from buurtnet.messaging import content_check, sms_segments
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, Recipient, Reply
from buurtnet.networks import geo
from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Network,
    PoliceZone,
    Role,
)
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.plans.defaults import default_rule
from buurtnet.plans.models import MessageKind, SenderRole
from buurtnet.plans.services import effective_plan, sender_roles
from buurtnet.webhooks import services as webhooks

from .defaults import DEFAULT_CATEGORIES, OTHER
from .models import (
    TRANSITIONS,
    Outcome,
    Report,
    ReportCategory,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
    Source,
)

LANGUAGES = ("nl", "fr", "en")
# A member may report what they saw up to a month ago; the police want it fresh.
OLDEST_REPORT = timedelta(days=31)
# Phones' clocks drift; "now" on a phone may be a few minutes ahead of ours.
CLOCK_SLACK = timedelta(minutes=10)
# Current Belgian plates (1-ABC-234), and the older ABC-123 and 123-ABC.
BELGIAN_PLATE = re.compile(r"^(?:([1-9])([A-Z]{3})(\d{3})|([A-Z]{3})(\d{3})|(\d{3})([A-Z]{3}))$")


# --- Categories ------------------------------------------------------------------------


def categories_for(zone: PoliceZone) -> QuerySet[ReportCategory]:
    """The zone's categories, creating the default list the first time it is needed."""
    categories = ReportCategory.objects.filter(zone=zone)
    if not categories.exists():
        ReportCategory.objects.bulk_create(
            [
                ReportCategory(zone=zone, code=code, names=names, position=i)
                for i, (code, names) in enumerate(DEFAULT_CATEGORIES)
            ],
            ignore_conflicts=True,
        )
    return categories.order_by("position", "id")


def save_categories(zone: PoliceZone, by: Person, rows: list[dict]) -> None:
    """Rename, reorder, retire or add categories. Each row: id (or None for a new one),
    names per language, position, is_active. Reports keep their category either way."""
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    existing = {c.pk: c for c in categories_for(zone)}
    errors = {}
    for i, row in enumerate(rows):
        names = {lang: (row.get("names", {}).get(lang) or "").strip() for lang in LANGUAGES}
        if not names["nl"] and not names["fr"]:
            errors[f"row{i}"] = _("Give the category a name in Dutch or French.")
        row["names"] = {lang: name for lang, name in names.items() if name}
    if not any(row.get("is_active") for row in rows):
        errors["rows"] = _("Keep at least one category that members can choose.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for row in rows:
            category = existing.get(row.get("id")) if row.get("id") else None
            if row.get("id") and category is None:
                raise PermissionDenied
            if category is None:
                category = ReportCategory(zone=zone, code=f"zone-{uuid.uuid4().hex[:12]}")
            category.names = row["names"]
            category.position = row.get("position") or 0
            category.is_active = bool(row.get("is_active"))
            category.save()


# --- Who may do what with a report ------------------------------------------------------


@dataclass(frozen=True)
class ReportAccess:
    view: bool = False
    triage: bool = False  # change status, give feedback, make a message of it
    contact: bool = False  # see who reported and how to reach them
    photos: bool = False
    relay: bool = False  # propose to relay it to the BIN (the coordinator)
    police: bool = False  # sees the whole history with its notes
    location: bool = False  # sees the exact place on the map


def access(person: Person, report: Report) -> ReportAccess:
    standing = Standing.of(person)
    if standing.person_id is None:
        return ReportAccess()
    role = standing.role_in(report.network)
    officer = role == Role.OFFICER
    zone = report.network.municipality.zone_id in standing.zone_ids
    coordinator = role == Role.COORDINATOR
    reporter = report.reporter_id is not None and report.reporter_id == person.pk
    police = officer or zone
    return ReportAccess(
        view=police or coordinator or reporter,
        triage=officer,
        contact=police or reporter or (coordinator and _contact_shared(report, person)),
        photos=police or reporter,
        relay=coordinator,
        police=police,
        # Where it happened is often the reporter's home: the place is as personal as
        # their name.
        location=police or reporter or (coordinator and _contact_shared(report, person)),
    )


def _contact_shared(report: Report, person: Person) -> bool:
    """Both the plan the report was filed under and the plan agreed now must share the
    reporter with the coordinator: withdrawing it applies at once, also to older reports,
    and a zone template alone (not agreed by this BIN) never grants it."""
    if not (report.plan_version and report.filed_rule.reporter_contact_shared):
        return False
    cache = person.__dict__.setdefault("_reporter_shared", {})
    if report.network_id not in cache:
        plan = effective_plan(report.network)
        rule = plan.rule_of(MessageKind.REPORT)
        cache[report.network_id] = (
            plan.is_agreed and rule is not None and rule.reporter_contact_shared
        )
    return cache[report.network_id]


def visible_reports(person: Person) -> QuerySet[Report]:
    """Reports of the BINs where this person is the officer or the coordinator, and of the
    zones they work for, overdue first, then newest."""
    standing = Standing.of(person)
    own = [
        n for n, role in standing.network_roles.items() if role in (Role.OFFICER, Role.COORDINATOR)
    ]
    now = timezone.now()
    return (
        Report.objects.filter(
            Q(network_id__in=own) | Q(network__municipality__zone_id__in=standing.zone_ids)
        )
        .select_related("network__municipality", "category", "reporter")
        .annotate(
            overdue=Case(
                When(status=ReportStatus.NEW, due_at__lte=now, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("overdue", "-created_at", "-id")
    )


def own_reports(person: Person) -> QuerySet[Report]:
    return (
        Report.objects.filter(reporter=person)
        .select_related("network", "category")
        .order_by("-created_at", "-id")
    )


def reporting_networks(person: Person) -> list[Network]:
    """The BINs this person may report in: those where they are an approved member."""
    ids = Membership.objects.filter(person=person, status=MembershipStatus.APPROVED).values(
        "network_id"
    )
    return list(Network.objects.filter(pk__in=ids).select_related("municipality").order_by("name"))


# --- Filing -----------------------------------------------------------------------------


@dataclass
class ReportInput:
    """What a member typed in the report form."""

    network_id: int
    category_id: int | None
    occurred_at: datetime | None
    longitude: float | None
    latitude: float | None
    description: str
    vehicle_plate: str = ""
    vehicle_plate_foreign: bool = False
    vehicle_make: str = ""
    vehicle_colour: str = ""
    vehicle_direction: str = ""
    photos: list[bytes] = field(default_factory=list)
    client_token: uuid.UUID | None = None
    source_message_id: int | None = None


def rule_for_reports(network: Network) -> tuple[int | None, Rule]:
    """The plan's version and its rule for reports, with the receivers it must have (plans
    written before reports had receivers sent them to the officer)."""
    plan = effective_plan(network)
    rule = plan.rule_of(MessageKind.REPORT) or default_rule(MessageKind.REPORT)
    return plan.version, rule.replace(report_to=rule.report_receivers)


def normalize_plate(plate: str) -> str:
    """ "1abc234", "1 ABC 234" and "1-abc-234" are the same Belgian plate: 1-ABC-234."""
    return re.sub(r"[\s.\-]", "", plate).upper()


def format_plate(plate: str) -> str:
    compact = normalize_plate(plate)
    m = BELGIAN_PLATE.match(compact)
    if not m:
        return compact
    return "-".join(g for g in m.groups() if g)


def file_report(reporter: Person, data: ReportInput) -> Report:
    """File a member's report and route it by the BIN's plan. Raises PermissionDenied
    when the person is not an approved member of that BIN (or the plan does not let them
    report), ValidationError with errors per field for bad input; nothing is stored then."""
    network = Network.objects.select_related("municipality").filter(pk=data.network_id).first()
    if network is None or not _may_report(reporter, network):
        raise PermissionDenied(_("Only approved members of this BIN can report here."))
    if data.client_token:
        earlier = Report.objects.filter(client_token=data.client_token).first()
        if earlier is not None:
            if earlier.reporter_id != reporter.pk:
                raise PermissionDenied
            return earlier
    plan_version, rule = rule_for_reports(network)
    if not any(rule.may_send(role) for role in sender_roles(reporter, network)):
        raise PermissionDenied(_("The communication plan of this BIN does not take reports."))
    category, cleaned = _validated(reporter, network, data)
    try:
        with transaction.atomic():
            _check_report_rate(reporter, network)
            report = _create(reporter, network, category, data, plan_version, rule, cleaned)
            _route(report)
            webhooks.emit(network.municipality.zone_id, "report.created", _webhook(report))
    except IntegrityError:
        # The same form arrived twice at the same moment; the other request stored it.
        if data.client_token is None:
            raise
        earlier = Report.objects.filter(client_token=data.client_token).first()
        if earlier is None or earlier.reporter_id != reporter.pk:
            raise
        return earlier
    return report


def _check_report_rate(reporter: Person, network: Network) -> None:
    """Every report e-mails the police: a member cannot flood their inbox. The ceiling per
    BIN is off unless the installation sets one (settings.RATE_LIMITS says why). Reports the
    officer made of replies do not count."""
    limits.serialize_for(reporter.pk)
    filed = Report.objects.filter(source=Source.FORM)
    limits.check_rate(
        filed.filter(reporter=reporter),
        "report_person",
        _(
            "You sent %(count)d reports in the last %(period)s. You can send another one "
            "%(wait)s. An emergency? Call 112, or the police on 101."
        ),
    )
    limits.check_rate(
        filed.filter(network=network),
        "report_network",
        _(
            "The police of your BIN received %(count)d reports in the last %(period)s. You "
            "can send yours %(wait)s. An emergency? Call 112, or the police on 101."
        ),
    )


def _may_report(person: Person, network: Network) -> bool:
    return Membership.objects.filter(
        person=person, network=network, status=MembershipStatus.APPROVED
    ).exists()


def _validated(
    reporter: Person, network: Network, data: ReportInput
) -> tuple[ReportCategory, list[photo_files.CleanPhoto]]:
    """Check the fields and the photos together, so every problem shows at once."""
    errors: dict[str, list[str]] = {}
    category, cleaned = None, []
    try:
        category = _validate(reporter, network, data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "photos" not in errors:
        try:
            cleaned = _clean_photos(data.photos)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return category, cleaned


def _validate(reporter: Person, network: Network, data: ReportInput) -> ReportCategory:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    category = (
        categories_for(network.municipality.zone)
        .filter(pk=data.category_id, is_active=True)
        .first()
        if data.category_id
        else None
    )
    if category is None:
        add("category", _("Choose what you saw."))
    now = timezone.now()
    if data.occurred_at is None:
        add("occurred_at", _("Say when it happened."))
    elif data.occurred_at > now + CLOCK_SLACK:
        add("occurred_at", _("That moment is in the future. When did it happen?"))
    elif data.occurred_at < now - OLDEST_REPORT:
        add(
            "occurred_at",
            _("That is more than a month ago. Call the police on 101 for older facts."),
        )
    if data.longitude is None or data.latitude is None:
        add("location", _("Tap the map where it happened."))
    else:
        distance = geo.distance_outside_m(network.area, data.longitude, data.latitude)
        if distance > settings.REPORT_MAX_DISTANCE_METRES:
            add(
                "location",
                _(
                    "That place is %(km).1f km outside the area of %(bin)s. Tap the map "
                    "where it happened, in or near the BIN."
                )
                % {"km": distance / 1000, "bin": network.name},
            )
    if not data.description.strip():
        add("description", _("Describe what you saw."))
    plate = normalize_plate(data.vehicle_plate)
    if plate and not data.vehicle_plate_foreign and not BELGIAN_PLATE.match(plate):
        add(
            "vehicle_plate",
            _(
                "“%(plate)s” is not a Belgian number plate (like 1-ABC-234). Check it, or "
                "tick “foreign plate”."
            )
            % {"plate": data.vehicle_plate.strip()},
        )
    if len(data.photos) > settings.REPORT_PHOTOS_PER_REPORT:
        add(
            "photos",
            _("Send at most %(n)d photos.") % {"n": settings.REPORT_PHOTOS_PER_REPORT},
        )
    if errors:
        raise ValidationError(errors)
    return category


def _clean_photos(raw: list[bytes]) -> list[photo_files.CleanPhoto]:
    cleaned, errors = [], []
    for i, data in enumerate(raw, start=1):
        try:
            cleaned.append(photo_files.clean_photo(data))
        except ValidationError as exc:
            errors += [_("Photo %(n)d: %(problem)s") % {"n": i, "problem": m} for m in exc.messages]
    if errors:
        raise ValidationError({"photos": errors})
    return cleaned


def _create(
    reporter: Person,
    network: Network,
    category: ReportCategory,
    data: ReportInput,
    plan_version: int | None,
    rule: Rule,
    cleaned: list,
) -> Report:
    now = timezone.now()
    plate = normalize_plate(data.vehicle_plate)
    report = Report.objects.create(
        network=network,
        reporter=reporter,
        category=category,
        language=reporter.language,
        occurred_at=data.occurred_at,
        longitude=data.longitude,
        latitude=data.latitude,
        description=data.description.strip(),
        vehicle_plate=format_plate(plate) if plate else "",
        vehicle_plate_foreign=bool(plate) and data.vehicle_plate_foreign,
        vehicle_make=data.vehicle_make.strip(),
        vehicle_colour=data.vehicle_colour.strip(),
        vehicle_direction=data.vehicle_direction.strip(),
        source_message=_received(reporter, network, data.source_message_id),
        client_token=data.client_token,
        plan_version=plan_version,
        rule=rule.to_json(),
        created_at=now,
        due_at=_due(now, rule),
    )
    _store_photos(report, cleaned)
    ReportEvent.objects.create(
        report=report, kind=ReportEvent.Kind.FILED, actor=reporter, to_status=ReportStatus.NEW
    )
    return report


def _store_photos(report: Report, cleaned: list) -> None:
    """Write the photos to the private storage. When it does not answer, the ones already
    written are removed and the form comes back with an error: the transaction that was to
    hold the report rolls back, so nothing is half filed."""
    stored: list[str] = []
    try:
        for position, photo in enumerate(cleaned):
            item = ReportPhoto(
                report=report, width=photo.width, height=photo.height, position=position
            )
            name = f"{uuid.uuid4().hex}.{photo.extension}"
            with reaching_storage("write", name):
                item.image.save(name, ContentFile(photo.content), save=False)
            stored.append(item.image.name)
            item.save()
    except StorageUnavailable as exc:
        with contextlib.suppress(StorageUnavailable):
            delete_files(ReportPhoto._meta.get_field("image").storage, stored)
        raise ValidationError(
            {
                "photos": [
                    _(
                        "The photos could not be stored just now, so the report was not "
                        "sent. Try again in a few minutes."
                    )
                ]
            }
        ) from exc


def _due(filed_at: datetime, rule: Rule) -> datetime | None:
    """When the police must have answered, by the plan's promised response time."""
    minutes = rule.response_minutes
    return filed_at + timedelta(minutes=minutes) if minutes else None


def _received(person: Person, network: Network, message_id: int | None) -> Message | None:
    """The message the member answered, if they really received it in this BIN."""
    if not message_id:
        return None
    recipient = (
        Recipient.objects.filter(
            message_id=message_id,
            person=person,
            link__network=network,
            message__kind__in=messaging.REPORTABLE_KINDS,
        )
        .select_related("message")
        .first()
    )
    return recipient.message if recipient else None


def receivers(report: Report) -> list[Person]:
    """Who the plan sends this report to. With nobody in that role (a BIN without a
    coordinator), the officer; without an officer either, the zone's staff: a report is
    never left with no one to read it."""
    roles = [
        Role.OFFICER if receiver == Approver.OFFICER else Role.COORDINATOR
        for receiver in report.filed_rule.report_receivers
    ]
    active = Person.objects.filter(is_active=True).exclude(pk=report.reporter_id)
    for wanted in (roles, [Role.OFFICER]):
        people = list(
            active.filter(
                memberships__network=report.network,
                memberships__role__in=wanted,
                memberships__status=MembershipStatus.APPROVED,
            ).distinct()
        )
        if people:
            return people
    return list(active.filter(zone_staff__zone_id=report.network.municipality.zone_id).distinct())


def _route(report: Report) -> Message | None:
    people = receivers(report)
    if not people:
        return None
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = _notification_text(report)
    message = messaging.send_direct(
        # Buurtnet tells the police; the reporter is named on the report, for whoever may
        # see them (the coordinator only when the plan shares it).
        sender=None,
        sender_role="",
        network=report.network,
        people=people,
        kind=MessageKind.REPORT,
        texts=texts,
        language=report.language,
        rule=report.filed_rule,
        plan_version=report.plan_version,
    )
    ReportEvent.objects.filter(report=report, kind=ReportEvent.Kind.FILED).update(message=message)
    return message


def _notification_text(report: Report) -> dict:
    url = settings.SITE_URL + reverse("reports:detail", args=[report.pk])
    values = {
        "bin": report.network.name,
        "category": report.category.name,
        "when": formats.date_format(timezone.localtime(report.occurred_at), "DATETIME_FORMAT"),
    }
    title = _("New report in %(bin)s: %(category)s") % values
    body = "\n\n".join(
        [
            _("%(category)s, %(when)s.") % values,
            report.description,
            _("Open the report: %(url)s") % {"url": url},
        ]
    )
    sms = _("Buurtnet: new report in %(bin)s (%(category)s). %(url)s") % {**values, "url": url}
    return {"title": title, "body": body, "sms_text": sms}


def report_url_for_message(message_id: int) -> str:
    """The page of the report a police notification message was made for."""
    event = ReportEvent.objects.filter(message_id=message_id, kind=ReportEvent.Kind.FILED).first()
    return reverse("reports:detail", args=[event.report_id]) if event else reverse("reports:queue")


# --- Triage -----------------------------------------------------------------------------


def _require_triage(by: Person, report: Report) -> None:
    if not access(by, report).triage:
        raise PermissionDenied(_("Only the officer of this BIN can handle its reports."))


def change_status(
    report: Report, by: Person, to_status: str, note: str = "", outcome: str = ""
) -> Report:
    """Move a report along TRANSITIONS; forwarding needs a note (to whom), closing an
    outcome. Every move is an event with who and when."""
    _require_triage(by, report)
    note = note.strip()
    errors: dict[str, str] = {}
    if to_status == ReportStatus.FORWARDED and not note:
        errors["note"] = _("Say to whom you forwarded it (dispatch, another service).")
    if to_status == ReportStatus.CLOSED and outcome not in Outcome.values:
        errors["outcome"] = _("Choose the outcome before closing the report.")
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .select_related("network__municipality")
            .get(pk=report.pk)
        )
        if to_status not in TRANSITIONS.get(report.status, ()):
            labels = dict(ReportStatus.choices)
            raise ValidationError(
                {
                    "status": _("A report that is “%(from)s” cannot become “%(to)s”.")
                    % {
                        "from": labels.get(report.status, report.status),
                        "to": labels.get(to_status, to_status),
                    }
                }
            )
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.STATUS,
            actor=by,
            from_status=report.status,
            to_status=to_status,
            note=note,
            at=now,
        )
        audit.record(
            by,
            audit.Action.CHANGE_REPORT,
            report,
            network=report.network,
            detail={"from": report.status, "to": to_status},
        )
        previous, report.status = report.status, to_status
        report.responded_at = report.responded_at or now
        if to_status == ReportStatus.CLOSED:
            report.outcome, report.closed_at = outcome, now
        report.save(update_fields=["status", "responded_at", "outcome", "closed_at"])
        zone_id = report.network.municipality.zone_id
        webhooks.emit(zone_id, "report.status_changed", _webhook(report, previous))
    return report


def _webhook(report: Report, previous: str | None = None):
    """The event's payload, built only when the zone has an endpoint listening."""
    return lambda: webhooks.report_payload(report, previous)


def send_feedback(report: Report, by: Person, body: str, sms_text: str = "") -> Message:
    """Tell the reporter what was done, in their language, on their channels (the plan's
    feedback rule), through the messaging pipeline."""
    _require_triage(by, report)
    body, sms_text = body.strip(), sms_text.strip()
    reporter = report.reporter
    if reporter is None or not reporter.is_active:
        raise ValidationError(
            _("The reporter's account no longer exists; feedback cannot reach them.")
        )
    plan = effective_plan(report.network)
    rule = plan.rule_of(MessageKind.FEEDBACK) or default_rule(MessageKind.FEEDBACK)
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = [_("Write what you want to tell the reporter.")]
    segments = sms_segments.count(sms_text).segments
    if segments > plan.sms_segment_limit:
        errors["sms_text"] = [
            _(
                "The SMS text takes %(segments)d SMS segments; the plan allows at most "
                "%(limit)d. Shorten it."
            )
            % {"segments": segments, "limit": plan.sms_segment_limit}
        ]
    for name, text in (("body", body), ("sms_text", sms_text)):
        for finding in content_check.check_text(text, allow_plates=rule.plates_allowed):
            if finding.kind == content_check.PLATE:
                errors.setdefault(name, []).append(finding.explanation)
    if errors:
        raise ValidationError(errors)
    with translation.override(reporter.language):
        date = formats.date_format(timezone.localtime(report.created_at), "j F")
        title = _("Feedback on your report of %(date)s") % {"date": date}
        if not sms_text:
            # The whole answer may be long; the SMS says where to read it.
            url = settings.SITE_URL + reverse("reports:detail", args=[report.pk])
            sms_text = _("Buurtnet: the police answered your report of %(date)s. %(url)s") % {
                "date": date,
                "url": url,
            }
    with transaction.atomic():
        message = messaging.send_direct(
            sender=by,
            sender_role=SenderRole.OFFICER,
            network=report.network,
            people=[reporter],
            kind=MessageKind.FEEDBACK,
            texts={reporter.language: {"title": title, "body": body, "sms_text": sms_text}},
            language=reporter.language,
            rule=rule,
            plan_version=plan.version,
        )
        ReportEvent.objects.create(
            report=report, kind=ReportEvent.Kind.FEEDBACK, actor=by, note=body, message=message
        )
        audit.record(
            by,
            audit.Action.CHANGE_REPORT,
            report,
            network=report.network,
            detail={"feedback": True},
        )
        Report.objects.filter(pk=report.pk, responded_at__isnull=True).update(
            responded_at=timezone.now()
        )
    return message


def feedback_for(report: Report) -> list[dict]:
    """The feedback the reporter received, oldest first, as they read it."""
    events = (
        report.events.filter(kind=ReportEvent.Kind.FEEDBACK, message__isnull=False)
        .select_related("message")
        .prefetch_related("message__texts")
    )
    return [{"at": e.at, "text": e.message.main_text, "message_id": e.message_id} for e in events]


def message_draft_text(report: Report, language: str) -> dict:
    """A starting text for a message to the BIN made of a report: what happened and where,
    never who reported it; the officer edits it before sending."""
    with translation.override(language):
        category = report.category.name_in(language)
        when = formats.date_format(timezone.localtime(report.occurred_at), "DATETIME_FORMAT")
        vehicle = ", ".join(
            v for v in (report.vehicle_make, report.vehicle_colour, report.vehicle_direction) if v
        )
        lines = [_("%(category)s, %(when)s.") % {"category": category, "when": when}]
        lines.append(_("Seen in %(bin)s.") % {"bin": report.network.name})
        if vehicle:
            lines.append(_("Vehicle: %(vehicle)s.") % {"vehicle": vehicle})
        lines.append(_("Did you see something too? Report it on Buurtnet. Emergency: 112."))
        return {"title": category, "body": "\n".join(lines), "sms_text": ""}


def publish_to_network(
    report: Report, by: Person, kind: str, texts: dict[str, dict], language: str
) -> Message:
    """The officer makes a notice or an alert for the BIN out of a report. It goes through
    the messaging pipeline and its checks (number plates only where the plan allows them);
    the reporter is never named and the report's photos never travel."""
    _require_triage(by, report)
    if kind not in (MessageKind.ALERT, MessageKind.NOTICE):
        raise ValidationError({"kind": _("Choose a notice or an alert.")})
    return _submit_from_report(report, by, kind, texts, language, ReportEvent.Kind.MESSAGE)


def propose_relay(report: Report, by: Person, texts: dict[str, dict], language: str) -> Message:
    """The coordinator proposes to pass a member's information on to the BIN as a relay;
    where the plan asks for the officer's approval, it waits for it."""
    if not access(by, report).relay:
        raise PermissionDenied
    return _submit_from_report(
        report, by, MessageKind.RELAY, texts, language, ReportEvent.Kind.RELAY
    )


def _submit_from_report(
    report: Report, by: Person, kind: str, texts: dict[str, dict], language: str, event: str
) -> Message:
    draft = messaging.Draft(
        kind=kind,
        texts=texts,
        target={"type": "networks", "networks": [report.network_id]},
        language=language,
        zone_id=report.network.municipality.zone_id,
    )
    with transaction.atomic():
        message = messaging.submit(by, draft)
        ReportEvent.objects.create(report=report, kind=event, actor=by, message=message)
    return message


def report_from_reply(reply: Reply, by: Person) -> Report:
    """Turn a member's answer to a message (in-app or SMS) into a report, by the officer
    who read it. One reply makes at most one report."""
    recipient = reply.recipient
    if recipient is None:
        raise PermissionDenied  # not an answer to a BIN message: nothing to report
    network = recipient.link.network
    if Standing.of(by).role_in(network) != Role.OFFICER:
        raise PermissionDenied(_("Only the officer of this BIN can handle its reports."))
    existing = Report.objects.filter(source_reply=reply).first()
    if existing:
        return existing
    author = reply.author
    if reply.message.kind not in messaging.REPORTABLE_KINDS or not _may_report(author, network):
        raise ValidationError(
            _("Only a member's answer to an alert, a notice or a relay can become a report.")
        )
    point = (author.longitude, author.latitude) if author.has_point else None
    if point is None or geo.distance_outside_m(network.area, *point) > 0:
        centre = geo.shape(network.area).representative_point()
        point = (centre.x, centre.y)
    plan_version, rule = rule_for_reports(network)
    category = categories_for(network.municipality.zone).filter(code=OTHER).first() or (
        categories_for(network.municipality.zone).first()
    )
    now = timezone.now()
    try:
        report = _report_of_reply(reply, by, network, category, point, plan_version, rule, now)
    except IntegrityError:
        # The officer clicked twice: the first click made it.
        return Report.objects.get(source_reply=reply)
    return change_status(report, by, ReportStatus.ACKNOWLEDGED)


def _report_of_reply(
    reply: Reply,
    by: Person,
    network: Network,
    category: ReportCategory,
    point: tuple[float, float],
    plan_version: int | None,
    rule: Rule,
    now: datetime,
) -> Report:
    author = reply.author
    with transaction.atomic():
        report = Report.objects.create(
            network=network,
            reporter=author,
            category=category,
            language=author.language,
            occurred_at=reply.received_at,
            longitude=point[0],
            latitude=point[1],
            description=reply.body,
            source=Source.REPLY,
            source_message=reply.message,
            source_reply=reply,
            plan_version=plan_version,
            rule=rule.to_json(),
            created_at=now,
            due_at=_due(now, rule),
        )
        ReportEvent.objects.create(
            report=report,
            kind=ReportEvent.Kind.FILED,
            actor=by,
            to_status=ReportStatus.NEW,
            note=_("Made from a reply to a message."),
        )
        webhooks.emit(network.municipality.zone_id, "report.created", _webhook(report))
    return report


# --- Overdue ----------------------------------------------------------------------------


def flag_overdue_reports(now: datetime | None = None) -> int:
    """Flag reports nobody answered within the plan's response time and tell the BIN's
    officer; the zone's staff see them at the top of their list."""
    now = now or timezone.now()
    due = Report.objects.filter(
        status=ReportStatus.NEW, overdue_flagged_at__isnull=True, due_at__lte=now
    ).select_related("network__municipality", "category")
    flagged = 0
    for report in due:
        with transaction.atomic():
            # Claimed with the same conditions as the listing: the officer may have
            # answered since, or another tick process flagged it.
            claimed = Report.objects.filter(
                pk=report.pk,
                status=ReportStatus.NEW,
                overdue_flagged_at__isnull=True,
                due_at__lte=now,
            ).update(overdue_flagged_at=now)
            if not claimed:
                continue
            ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.OVERDUE, at=now)
            for person in _officers(report.network):
                notify_person(
                    person,
                    "reports/email/overdue",
                    {"report": report},
                    kind=notices.OVERDUE,
                    key=f"report-overdue-{report.pk}",
                )
            flagged += 1
    return flagged


def _officers(network: Network) -> list[Person]:
    return list(
        Person.objects.filter(
            memberships__network=network,
            memberships__role=Role.OFFICER,
            memberships__status=MembershipStatus.APPROVED,
            is_active=True,
        )
    )
