"""CAP 1.2 (OASIS Common Alerting Protocol): alerts and notices out, other systems' alerts in.

Export: `to_cap(message)` writes an alert or notice as a CAP 1.2 document, one <info> per
language, its area as the polygons of its BINs or the circle or polygon drawn for it. It
carries no personal data: the sender is the zone, never the officer.

Import: `import_alert(zone, data, by=...)` reads a CAP document safely (no DTD, no
entities, no network), validates it against the official schema in schema/CAP-v1.2.xsd,
intersects its area with the zone's BINs and drafts a message to exactly those BINs
through `messaging.services.submit`, held for an officer's approval unless the zone
sends imported alerts at once. Update and Cancel (with references) change or withdraw
what an earlier import produced. `poll_sources()` reads the zones' configured feeds.
One-line elements (headline, event, sender, identifier…) are folded onto one line and
multi-line ones lose control characters other than line breaks (see `_line` and `_text`):
another system's alert is not refused for a stray line break in its headline.
Mapping tables: docs/cap.md.
"""

import functools
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree
from shapely.geometry import Polygon, shape
from shapely.geometry import mapping as geojson_of
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

from buurtnet.common.form_fields import fold_to_line, without_control_characters
from buurtnet.messaging import services as messaging
from buurtnet.messaging import targets
from buurtnet.messaging.models import Message, MessageStatus, MessageText, TargetKind
from buurtnet.networks import geo
from buurtnet.networks.models import Network, PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.plans.models import MessageKind
from buurtnet.webhooks import addresses

from .models import CapFeed, CapImport, CapSettings, ImportOrigin, ImportOutcome

logger = logging.getLogger(__name__)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).parent / "schema" / "CAP-v1.2.xsd"
CONTENT_TYPE = "application/cap+xml"
EXPORTABLE_KINDS = (MessageKind.ALERT, MessageKind.NOTICE)
# Buurtnet's languages as CAP (RFC 3066) language tags: the Belgian variants.
CAP_LANGUAGES = {"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB"}
MAX_DOCUMENT_BYTES = 1_000_000
MAX_LINKED_DOCUMENTS = 50
FETCH_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_CIRCLE_KM = 1000.0
# No CAP alert Buurtnet would act on was sent before this, or more than a day ahead.
EARLIEST_SENT = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
TITLE_LENGTH = 150  # MessageText.title

# What each kind of Buurtnet message says in CAP terms (see docs/cap.md for the reasoning).
KIND_TERMS = {
    # An alarm: a crime in progress or just committed, a suspect or vehicle sought.
    MessageKind.ALERT: {
        "category": "Security",
        "urgency": "Immediate",
        "severity": "Moderate",
        "certainty": "Observed",
        "responseType": "Monitor",
    },
    # An infoflash: a trend, a modus operandi, a prevention advice; no immediate action.
    MessageKind.NOTICE: {
        "category": "Safety",
        "urgency": "Future",
        "severity": "Minor",
        "certainty": "Likely",
        "responseType": "Monitor",
    },
}
# Which imported alerts become an urgent Buurtnet alert; the rest become notices.
URGENT_URGENCIES = {"Immediate", "Expected"}
URGENT_SEVERITIES = {"Extreme", "Severe"}
ACTIONABLE_STATUSES = {"Actual", "Exercise"}
UNSENT = (MessageStatus.AWAITING_APPROVAL, MessageStatus.SCHEDULED)


def _q(name: str) -> str:
    return f"{{{CAP_NS}}}{name}"


@functools.cache
def schema() -> etree.XMLSchema:
    """The official OASIS CAP 1.2 schema (read from this app's own copy, never fetched)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


# --- Export ----------------------------------------------------------------------------------


def installation_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def identifier_of(message: Message) -> str:
    """Stable and unique per installation; no spaces, commas, < or & (CAP 1.2 §3.2.1)."""
    return f"urn:buurtnet:{installation_host()}:message:{message.pk}"


def sender_of(zone: PoliceZone) -> str:
    """The zone as originator, never the person who wrote the message."""
    return f"zone-{zone.code}@{installation_host()}"


def cap_time(moment: datetime) -> str:
    """CAP's date-time: seconds and an explicit offset (no "Z", no fractions)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _polygon_text(ring: list) -> str:
    """A GeoJSON ring ([lon, lat], …) as CAP's "lat,lon lat,lon …" (closed, as both are)."""
    return " ".join(f"{point[1]},{point[0]}" for point in ring)


def _areas(message: Message) -> list[tuple[str, list[str], list[str]]]:
    """(areaDesc, polygons, circles) for the message's target."""
    names = [link.network.name for link in message.networks.select_related("network")]
    target = message.target or {}
    if target.get("type") == TargetKind.AREA:
        description = ", ".join(names) or _("An area drawn on the map")
        circle = target.get("circle")
        if circle:
            km = float(circle["radius_m"]) / 1000
            return [(description, [], [f"{float(circle['lat'])},{float(circle['lon'])} {km:g}"])]
        polygon = target.get("polygon") or {}
        return [(description, [_polygon_text(polygon["coordinates"][0])], [])]
    areas = []
    for link in message.networks.select_related("network__municipality").order_by("network__name"):
        network = link.network
        # CAP polygons have no holes: the outer ring is the BIN's border.
        polygons = [_polygon_text(network.area["coordinates"][0])] if network.area else []
        areas.append((f"{network.name} ({network.municipality.name})", polygons, []))
    return areas


def _sub(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    element.text = text
    return element


def to_cap(message: Message) -> bytes:
    """The alert or notice as a CAP 1.2 document (UTF-8 XML bytes)."""
    if message.kind not in EXPORTABLE_KINDS:
        raise ValueError("Only alerts and notices are published as CAP.")
    terms = KIND_TERMS[message.kind]
    root = etree.Element(_q("alert"), nsmap={None: CAP_NS})
    _sub(root, "identifier", identifier_of(message))
    _sub(root, "sender", sender_of(message.zone))
    _sub(root, "sent", cap_time(message.sent_at or message.created_at))
    _sub(root, "status", "Exercise" if message.is_exercise else "Actual")
    _sub(root, "msgType", "Alert")
    _sub(root, "source", "Buurtnet")
    if getattr(message, "public", False):
        # A public police notice: the BIN's public feed shows it to anyone.
        _sub(root, "scope", "Public")
    else:
        # Messages reach the members of the BINs named in the area, and no one else.
        _sub(root, "scope", "Restricted")
        with translation.override(message.language):
            _sub(
                root,
                "restriction",
                _(
                    "For the members of the neighbourhood information networks (BIN) in the "
                    "area only; not for publication."
                ),
            )
    areas = _areas(message)
    texts = sorted(message.texts.all(), key=lambda t: (t.language != message.language, t.language))
    for text in texts:
        info = etree.SubElement(root, _q("info"))
        _sub(info, "language", CAP_LANGUAGES.get(text.language, text.language))
        with translation.override(text.language):
            _sub(info, "category", terms["category"])
            event = _("Police alert") if message.kind == MessageKind.ALERT else _("Police notice")
            _sub(info, "event", event)
            _sub(info, "responseType", terms["responseType"])
            for name in ("urgency", "severity", "certainty"):
                _sub(info, name, terms[name])
            _sub(info, "senderName", message.zone.name)
            _sub(info, "headline", text.title)
            _sub(info, "description", text.body)
            if message.kind == MessageKind.ALERT:
                _sub(
                    info,
                    "instruction",
                    _(
                        "In an emergency call 101 (police) or 112. Do not intervene yourself; "
                        "tell the police what you see."
                    ),
                )
        for description, polygons, circles in areas:
            area = etree.SubElement(info, _q("area"))
            _sub(area, "areaDesc", description)
            for polygon in polygons:
                _sub(area, "polygon", polygon)
            for circle in circles:
                _sub(area, "circle", circle)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def can_export(person: Person, message: Message) -> bool:
    """Who may read a message as CAP: those who may follow it up on the site."""
    return message.kind in EXPORTABLE_KINDS and messaging.can_manage(person, message)


# --- Reading a CAP document ------------------------------------------------------------------


@dataclass
class CapInfo:
    language: str | None  # nl, fr or en; None for a language Buurtnet does not speak
    event: str
    urgency: str
    severity: str
    headline: str = ""
    description: str = ""
    instruction: str = ""


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: list[tuple[str, str]]
    references_text: str
    infos: list[CapInfo] = field(default_factory=list)
    area: BaseGeometry | None = None

    @property
    def is_urgent(self) -> bool:
        return any(
            i.urgency in URGENT_URGENCIES or i.severity in URGENT_SEVERITIES for i in self.infos
        )


def _safe_parser() -> etree.XMLParser:
    # No DTD, no entity expansion, no network: a document can neither read local files
    # nor make us fetch anything nor blow up in memory.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_xml(data: bytes) -> etree._Element:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The document is larger than %(size)d bytes.") % {"size": MAX_DOCUMENT_BYTES},
            code="too_large",
        )
    try:
        tree = etree.fromstring(data, _safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise ValidationError(
            _("The document is not well-formed XML: %(error)s") % {"error": exc}, code="not_xml"
        ) from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ValidationError(_("A CAP document may not contain a DOCTYPE."), code="not_xml")
    return tree.getroot()


def language_of(tag: str) -> str | None:
    """A CAP language tag as one of Buurtnet's languages: nl-BE → nl, fr → fr, en-US → en."""
    base = tag.strip().lower().replace("_", "-").split("-")[0]
    return base if base in dict(settings.LANGUAGES) else None


def _coordinate(pair: str) -> tuple[float, float]:
    """(lon, lat) from CAP's "lat,lon"."""
    parts = pair.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise ValidationError(
            _("“%(pair)s” is not a “latitude,longitude” pair.") % {"pair": pair[:40]},
            code="not_polygon",
        ) from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(
            _(
                "“%(pair)s” is out of range: latitude must lie between -90 and 90, longitude "
                "between -180 and 180."
            )
            % {"pair": pair[:40]},
            code="not_polygon",
        )
    return lon, lat


def polygon_from_cap(text: str) -> Polygon:
    """A CAP <polygon> as a shapely polygon, refused with a clear reason when it is none."""
    pairs = text.split()
    if len(pairs) < 4:
        raise ValidationError(
            _(
                "A polygon needs at least four points, the first repeated as the last; this "
                "one has %(n)d."
            )
            % {"n": len(pairs)},
            code="not_polygon",
        )
    points = [_coordinate(pair) for pair in pairs]
    if points[0] != points[-1]:
        raise ValidationError(
            _("The polygon is not closed: its last point must be its first."), code="not_polygon"
        )
    polygon = Polygon(points)
    if polygon.convex_hull.area == 0:  # all points on one line: a crossing bow tie has area 0 too
        raise ValidationError(_("The polygon has no surface."), code="not_polygon")
    if not polygon.is_valid:
        raise ValidationError(
            _("The polygon crosses itself (%(reason)s).") % {"reason": explain_validity(polygon)},
            code="not_polygon",
        )
    return polygon


def circle_from_cap(text: str) -> Polygon:
    """A CAP <circle> ("lat,lon radius-in-km") as a polygon (geo.circle_polygon: the same
    corners as a circle drawn for a message)."""
    parts = text.split()
    try:
        if len(parts) != 2:
            raise ValueError
        radius_km = float(parts[1])
    except ValueError as exc:
        raise ValidationError(
            _("“%(circle)s” is not a circle: write “latitude,longitude radius-in-km”.")
            % {"circle": text[:60]},
            code="not_circle",
        ) from exc
    lon, lat = _coordinate(parts[0])
    if not (math.isfinite(radius_km) and 0 < radius_km <= MAX_CIRCLE_KM):
        raise ValidationError(
            _("A circle's radius must be more than 0 and at most %(max)d km.")
            % {"max": MAX_CIRCLE_KM},
            code="not_circle",
        )
    return shape(geo.circle_polygon(lon, lat, radius_km * 1000))


def _text(element: etree._Element, name: str) -> str:
    """A multi-line element (description, instruction): control characters other than line
    breaks and tabs, which XML can carry as C1 or format characters, are removed."""
    found = element.find(_q(name))
    return without_control_characters((found.text or "").strip()) if found is not None else ""


def _line(element: etree._Element, name: str) -> str:
    """A one-line element (headline, event, sender, identifier…). Another system's stray
    line break is folded into one space rather than refusing its alert, and other control
    characters are removed: the value becomes a message title, an e-mail subject, a CSV cell."""
    found = element.find(_q(name))
    return fold_to_line(found.text or "") if found is not None else ""


def _moment(text: str, name: str) -> datetime:
    """A CAP date-time the schema accepted (it allows 24:00:00 and years 1 to 9999) as an
    aware datetime between 2000 and tomorrow; ValidationError (code bad_time) otherwise."""
    refused = ValidationError(
        _("The <%(name)s> time “%(value)s” is not a moment between 1 January 2000 and tomorrow.")
        % {"name": name, "value": text[:40]},
        code="bad_time",
    )
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise refused
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise refused from exc
    if not EARLIEST_SENT <= moment <= timezone.now() + FUTURE_SLACK:
        raise refused
    return moment


def parse(data: bytes) -> CapAlert:
    """Read and validate a CAP 1.2 document. Raises ValidationError whose code says what is
    wrong: not_xml, schema (the schema's own message), bad_time, not_polygon, not_circle,
    no_area."""
    root = _parse_xml(data)
    validator = schema()
    if not validator.validate(root):
        error = validator.error_log.last_error
        raise ValidationError(
            _("The document is not valid CAP 1.2: line %(line)s: %(error)s")
            % {"line": error.line, "error": error.message},
            code="schema",
        )
    references_text = _line(root, "references")
    references = []
    for reference in references_text.split():
        parts = reference.split(",")
        if len(parts) >= 2:
            references.append((parts[0], parts[1]))
    alert = CapAlert(
        identifier=_line(root, "identifier"),
        sender=_line(root, "sender"),
        sent=_moment(_line(root, "sent"), "sent"),
        status=_line(root, "status"),
        msg_type=_line(root, "msgType"),
        references=references,
        references_text=references_text,
    )
    shapes: list[BaseGeometry] = []
    for info in root.iterfind(_q("info")):
        language = info.find(_q("language"))
        alert.infos.append(
            CapInfo(
                # The schema's default for a missing <language> is en-US.
                language=language_of((language.text or "") if language is not None else "en-US"),
                event=_line(info, "event"),
                urgency=_line(info, "urgency"),
                severity=_line(info, "severity"),
                headline=_line(info, "headline"),
                description=_text(info, "description"),
                instruction=_text(info, "instruction"),
            )
        )
        for area in info.iterfind(_q("area")):
            shapes += [polygon_from_cap(p.text or "") for p in area.iterfind(_q("polygon"))]
            shapes += [circle_from_cap(c.text or "") for c in area.iterfind(_q("circle"))]
    alert.area = unary_union(shapes) if shapes else None
    return alert


# --- Importing -------------------------------------------------------------------------------


def zone_settings(zone: PoliceZone) -> CapSettings:
    found = CapSettings.objects.filter(zone=zone).first()
    return found or CapSettings(zone=zone)


def networks_in(zone: PoliceZone, area: BaseGeometry) -> list[Network]:
    """The zone's receiving BINs whose area shares surface with the alert's area (a BIN
    that only touches its border is not in it)."""
    min_lon, min_lat, max_lon, max_lat = area.bounds
    candidates = Network.objects.filter(
        municipality__zone=zone,
        status__in=targets.RECEIVING_STATUSES,
        min_lon__lte=max_lon,
        max_lon__gte=min_lon,
        min_lat__lte=max_lat,
        max_lat__gte=min_lat,
    ).order_by("pk")
    return [n for n in candidates if shape(n.area).intersection(area).area > 0]


def _texts(alert: CapAlert) -> dict[str, dict]:
    """One text per language Buurtnet speaks; the first <info> of a language wins."""
    texts: dict[str, dict] = {}
    for info in alert.infos:
        if info.language is None or info.language in texts:
            continue
        title = (info.headline or info.event)[:TITLE_LENGTH]
        body = "\n\n".join(p for p in (info.description, info.instruction) if p) or title
        texts[info.language] = {"title": title, "body": body, "sms_text": ""}
    return texts


def _main_language(texts: dict, networks: list[Network]) -> str:
    """The language most of the BINs speak, when the alert has it; else its first one."""
    spoken = [n.language for n in networks if n.language in texts]
    if spoken:
        return max(set(spoken), key=spoken.count)
    return next(iter(texts))


def _draft(
    zone: PoliceZone,
    kind: str,
    texts: dict,
    networks: list[Network],
    exercise: bool,
    area: BaseGeometry | None = None,
) -> messaging.Draft:
    target = {"type": TargetKind.NETWORKS, "networks": [n.pk for n in networks]}
    if area is not None:
        # The alert's own area, for the page on which an officer reviews the draft: the
        # BINs alone do not show how much of them the warning covers.
        target["area"] = geojson_of(area)
    return messaging.Draft(
        kind=kind,
        texts=texts,
        target=target,
        language=_main_language(texts, networks),
        zone_id=zone.pk,
        is_exercise=exercise,
    )


def _plan_refused(exc: PermissionDenied) -> ValidationError:
    return ValidationError(
        _(
            "The communication plans of the BINs in the alert's area do not let zone "
            "staff send this kind of message."
        ),
        code="plan",
    )


def _submit(
    zone: PoliceZone,
    by: Person,
    kind: str,
    texts: dict,
    networks: list[Network],
    exercise: bool,
    area: BaseGeometry | None = None,
) -> Message:
    draft = _draft(zone, kind, texts, networks, exercise, area)
    try:
        return messaging.submit(by, draft, hold_for_officer=not zone_settings(zone).send_at_once)
    except PermissionDenied as exc:
        raise _plan_refused(exc) from exc


def _check(zone: PoliceZone, by: Person, draft: messaging.Draft) -> None:
    """The checks `messaging.submit` makes (plans, content), for a text that replaces the
    wording of a message already stored."""
    try:
        _zone, preview = messaging.prepare(by, draft)
    except PermissionDenied as exc:
        raise _plan_refused(exc) from exc
    messaging.validate(by, draft, preview)


def _outcome_of(message: Message) -> str:
    return ImportOutcome.SENT if message.status == MessageStatus.SENT else ImportOutcome.DRAFTED


def _chain(zone: PoliceZone, alert: CapAlert) -> list[CapImport]:
    """The earlier imports of this zone the document refers to, with everything that was
    imported as a change of them, oldest first."""
    referred = [
        found
        for sender, identifier in alert.references
        for found in CapImport.objects.filter(zone=zone, sender=sender, identifier=identifier)
    ]
    if any(found.sender != alert.sender for found in referred):
        # Only the sender of an alert may change or withdraw it.
        raise ValidationError(
            _(
                "This %(type)s comes from %(sender)s, but the alert it refers to came from "
                "another sender. Only the original sender can update or cancel it."
            )
            % {"type": alert.msg_type, "sender": alert.sender},
            code="wrong_sender",
        )
    roots = {(r.original_id or r.pk) for r in referred}
    return list(
        CapImport.objects.filter(Q(pk__in=roots) | Q(original_id__in=roots), zone=zone)
        .select_related("message")
        .order_by("received_at", "id")
    )


def import_alert(
    zone: PoliceZone,
    data: bytes,
    *,
    by: Person | None,
    origin: str = ImportOrigin.API,
    feed: CapFeed | None = None,
) -> CapImport:
    """Take in one CAP document for the zone. Raises ValidationError (code: not_xml,
    schema, not_polygon, not_circle, no_area, no_language, duplicate, plan) or
    PermissionDenied, and then stores nothing."""
    # A post, not a permission: the alert is drafted in the importer's name (see Standing).
    if not Standing.of(by).is_zone_staff(zone.pk):
        raise PermissionDenied(_("Only staff of the zone import alerts into it."))
    alert = parse(data)
    if CapImport.objects.filter(
        zone=zone, sender=alert.sender, identifier=alert.identifier
    ).exists():
        raise ValidationError(
            _("This zone already imported the alert “%(identifier)s” from %(sender)s.")
            % {"identifier": alert.identifier, "sender": alert.sender},
            code="duplicate",
        )
    record = CapImport(
        zone=zone,
        origin=origin,
        feed=feed,
        imported_by=by,
        identifier=alert.identifier,
        sender=alert.sender,
        sent=alert.sent,
        msg_type=alert.msg_type,
        references=alert.references_text,
    )
    try:
        with transaction.atomic():
            _apply(zone, alert, by, record)
            record.save()
    except IntegrityError as exc:  # the same document arriving twice at the same moment
        raise ValidationError(
            _("This zone already imported the alert “%(identifier)s” from %(sender)s.")
            % {"identifier": alert.identifier, "sender": alert.sender},
            code="duplicate",
        ) from exc
    return record


def _apply(zone: PoliceZone, alert: CapAlert, by: Person, record: CapImport) -> None:
    if alert.status not in ACTIONABLE_STATUSES or alert.msg_type in ("Ack", "Error"):
        record.outcome = ImportOutcome.IGNORED
        return
    chain = _chain(zone, alert) if alert.msg_type in ("Update", "Cancel") else []
    if chain:
        record.original = next((c for c in chain if c.original_id is None), chain[0])
    if alert.msg_type == "Cancel":
        _cancel(zone, alert, by, record, chain)
        return
    texts = _texts(alert)
    if not texts:
        raise ValidationError(
            _("The alert has no information in Dutch, French or English."), code="no_language"
        )
    if alert.area is None:
        raise ValidationError(
            _("The alert has no polygon or circle, so it cannot be matched to BINs."),
            code="no_area",
        )
    networks = networks_in(zone, alert.area)
    kind = MessageKind.ALERT if alert.is_urgent else MessageKind.NOTICE
    exercise = alert.status == "Exercise"
    messages = [c.message for c in chain if c.message is not None]
    current = messages[-1] if messages else None
    if alert.msg_type == "Update" and current is not None:
        _update(zone, by, record, current, kind, texts, networks, exercise, alert.area)
        return
    # An Alert, or an Update of something this zone never saw: draft it as new.
    record.networks = len(networks)
    if not networks:
        record.outcome = ImportOutcome.OUTSIDE
        return
    record.message = _submit(zone, by, kind, texts, networks, exercise, alert.area)
    record.outcome = _outcome_of(record.message)


def _network_ids(message: Message) -> set[int]:
    return set(message.networks.values_list("network_id", flat=True))


def _update(
    zone: PoliceZone,
    by: Person,
    record: CapImport,
    current: Message,
    kind: str,
    texts: dict,
    networks: list[Network],
    exercise: bool,
    area: BaseGeometry | None = None,
) -> None:
    record.networks = len(networks)
    if current.status in UNSENT:
        if {n.pk for n in networks} == _network_ids(current):
            # Same BINs: the officer approves the new wording of the same message, which
            # must pass the checks any new message passes.
            _check(zone, by, _draft(zone, current.kind, texts, networks, current.is_exercise))
            current.texts.all().delete()
            MessageText.objects.bulk_create(
                MessageText(message=current, language=lang, **text) for lang, text in texts.items()
            )
            current.language = _main_language(texts, networks)
            current.save(update_fields=["language"])
            record.message, record.outcome = current, ImportOutcome.UPDATED
            return
        # Other BINs: the waiting message makes way for one to the new area's BINs.
        messaging.cancel(current, by)
        if not networks:
            record.message, record.outcome = current, ImportOutcome.CANCELLED
            return
        record.message = _submit(zone, by, kind, texts, networks, exercise, area)
        record.outcome = _outcome_of(record.message)
        return
    if current.status != MessageStatus.SENT:
        record.message, record.outcome = current, ImportOutcome.NOTHING_TO_CHANGE
        return
    # Already sent: those who had it hear the update, and so do BINs the area now reaches.
    reached = {n.pk: n for n in networks}
    for network in Network.objects.filter(
        pk__in=_network_ids(current), status__in=targets.RECEIVING_STATUSES
    ).select_related("municipality"):
        reached.setdefault(network.pk, network)
    followed = {}
    for lang, text in texts.items():
        with translation.override(lang):
            title = _("Update: %(title)s") % {"title": text["title"]}
        followed[lang] = {**text, "title": title[:TITLE_LENGTH]}
    record.networks = len(reached)
    record.message = _submit(
        zone, by, current.kind, followed, list(reached.values()), exercise, area
    )
    record.outcome = ImportOutcome.FOLLOWED_UP


def _cancel(
    zone: PoliceZone, alert: CapAlert, by: Person, record: CapImport, chain: list[CapImport]
) -> None:
    messages = {c.message.pk: c.message for c in chain if c.message is not None}
    cancelled = [m for m in messages.values() if m.status in UNSENT]
    for message in cancelled:
        messaging.cancel(message, by)
    sent = [m for m in messages.values() if m.status == MessageStatus.SENT]
    if not sent:
        record.message = cancelled[-1] if cancelled else None
        record.outcome = ImportOutcome.CANCELLED if cancelled else ImportOutcome.NOTHING_TO_CHANGE
        return
    # Sent: the same BINs get a short withdrawal, the same way (kind) the message went.
    latest = sent[-1]
    network_ids = set().union(*(_network_ids(m) for m in sent))
    networks = list(
        Network.objects.filter(
            pk__in=network_ids, status__in=targets.RECEIVING_STATUSES
        ).select_related("municipality")
    )
    notes = {i.language: i.description or i.headline for i in alert.infos if i.language}
    texts = {}
    for text in latest.texts.all():
        with translation.override(text.language):
            title = _("Withdrawn: %(title)s") % {"title": text.title}
            body = _(
                "The police withdrew the message “%(title)s”. You no longer need to act on it."
            ) % {"title": text.title}
        note = notes.get(text.language)
        texts[text.language] = {
            "title": title[:TITLE_LENGTH],
            "body": f"{body}\n\n{note}" if note else body,
            "sms_text": "",
        }
    record.networks = len(networks)
    if not networks:
        record.message, record.outcome = latest, ImportOutcome.NOTHING_TO_CHANGE
        return
    record.message = _submit(zone, by, latest.kind, texts, networks, latest.is_exercise)
    record.outcome = ImportOutcome.WITHDRAWN


# --- Feeds -----------------------------------------------------------------------------------


class FeedError(Exception):
    """The feed could not be read; the message says why (stored on the feed)."""


def loopback_allowed() -> bool:
    """Feeds on the local machine (the tests' local server); never in production."""
    return bool(getattr(settings, "CAP_ALLOW_LOOPBACK", settings.DEBUG))


def feed_seconds() -> float:
    """How long reading one feed (its linked documents included) may take in all."""
    return float(getattr(settings, "CAP_FEED_SECONDS", 20))


def tick_seconds() -> float:
    """How long one `tick` may spend reading feeds; the rest wait for the next tick."""
    return float(getattr(settings, "CAP_POLL_SECONDS_PER_TICK", 60))


def feed_client() -> httpx.Client:
    """A client that checks every address it is sent to (each redirect, each linked
    document) and connects to the address it checked; no proxy from the environment."""
    return httpx.Client(
        transport=addresses.PinnedTransport(allow_http=True, allow_loopback=loopback_allowed()),
        timeout=FETCH_TIMEOUT,
        follow_redirects=True,
        max_redirects=3,
        trust_env=False,
    )


def _stopped() -> FeedError:
    return FeedError(
        _("Reading the feed took too long and was stopped; the rest is read next time.")
    )


def _fetch(client: httpx.Client, url: str, deadline: float) -> bytes:
    if urlsplit(url).scheme not in ("http", "https"):
        raise FeedError(_("Only http and https addresses can be read."))
    left = deadline - time.monotonic()
    if left <= 0:
        raise _stopped()
    limit = httpx.Timeout(min(FETCH_TIMEOUT.read, left), connect=min(FETCH_TIMEOUT.connect, left))
    try:
        with client.stream("GET", url, timeout=limit) as response:
            if response.status_code != 200:
                raise FeedError(
                    _("%(url)s answered HTTP %(status)s.")
                    % {"url": url, "status": response.status_code}
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
                raise FeedError(_("%(url)s is too large.") % {"url": url})
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FeedError(_("%(url)s is too large.") % {"url": url})
                if time.monotonic() > deadline:
                    raise _stopped()
            return bytes(body)
    except ValidationError as exc:  # the address (or one it redirected to) was refused
        raise FeedError(
            _("%(url)s was not read: %(error)s") % {"url": url, "error": " ".join(exc.messages)}
        ) from exc
    except httpx.TimeoutException as exc:
        if left < FETCH_TIMEOUT.read:  # it ran into the poll's deadline, not its own
            raise _stopped() from exc
        raise FeedError(
            _("%(url)s could not be read: %(error)s") % {"url": url, "error": exc}
        ) from exc
    except httpx.HTTPError as exc:
        raise FeedError(
            _("%(url)s could not be read: %(error)s") % {"url": url, "error": exc}
        ) from exc


ATOM = "{http://www.w3.org/2005/Atom}"


def documents_in(client: httpx.Client, url: str, deadline: float | None = None) -> Iterator[bytes]:
    """The CAP documents a feed URL gives, one at a time: itself, or those an Atom or RSS
    feed's entries hold or link to (at most MAX_LINKED_DOCUMENTS). Raises FeedError when
    something cannot be read, or when the deadline (time.monotonic()) has passed."""
    if deadline is None:
        deadline = time.monotonic() + feed_seconds()
    data = _fetch(client, url, deadline)
    try:
        root = _parse_xml(data)
    except ValidationError as exc:
        raise FeedError(" ".join(exc.messages)) from exc
    if root.tag == _q("alert"):
        yield data
        return
    if root.tag == f"{ATOM}feed":
        entries = root.iter(f"{ATOM}entry")
    elif root.tag == "rss":
        entries = root.iter("item")
    else:
        raise FeedError(_("The address gives neither a CAP alert nor an Atom or RSS feed."))
    for count, entry in enumerate(entries):
        if count >= MAX_LINKED_DOCUMENTS:
            break
        embedded = entry.find(f".//{_q('alert')}")
        if embedded is not None:
            yield etree.tostring(embedded)
            continue
        link = _cap_link(entry)
        if link:
            yield _fetch(client, urljoin(url, link), deadline)


def _cap_link(entry: etree._Element) -> str:
    for link in entry.iter(f"{ATOM}link"):
        if "cap" in (link.get("type") or "") or link.get("rel") in (None, "alternate"):
            return link.get("href") or ""
    rss_link = entry.find("link")
    return (rss_link.text or "").strip() if rss_link is not None else ""


def poll_feed(
    feed: CapFeed, client: httpx.Client | None = None, deadline: float | None = None
) -> int:
    """Read one feed; import what is new, until the feed's deadline (CAP_FEED_SECONDS, or
    the earlier `deadline`, a time.monotonic()). Returns the number of documents imported."""
    errors: list[str] = []
    imported = 0
    own_deadline = time.monotonic() + feed_seconds()
    deadline = own_deadline if deadline is None else min(deadline, own_deadline)
    own_client = client is None
    client = client or feed_client()
    try:
        for document in documents_in(client, feed.url, deadline):
            try:
                import_alert(
                    feed.zone, document, by=feed.owner, origin=ImportOrigin.FEED, feed=feed
                )
                imported += 1
            except ValidationError as exc:
                if exc.code != "duplicate":  # feeds repeat what they already gave
                    errors.append(" ".join(exc.messages))
            except PermissionDenied:
                errors.append(
                    _("The person this feed drafts alerts for is no longer staff of the zone.")
                )
                break
    except FeedError as exc:
        errors.append(str(exc))
    finally:
        if own_client:
            client.close()
    feed.last_error = "; ".join(errors)[:500]
    feed.save(update_fields=["last_error"])
    return imported


def poll_sources(now: datetime | None = None) -> int:
    """Read every active feed whose interval has passed (a `tick` step), for at most
    CAP_POLL_SECONDS_PER_TICK in all: feeds not reached wait for the next tick. Each feed is
    claimed by moving its last_polled_at first, so two machines never read it twice."""
    now = now or timezone.now()
    deadline = time.monotonic() + tick_seconds()
    imported = 0
    for feed in CapFeed.objects.filter(is_active=True).select_related("zone", "owner"):
        previous = feed.last_polled_at
        if previous and (now - previous).total_seconds() < feed.poll_every_minutes * 60:
            continue
        if time.monotonic() >= deadline:
            logger.warning("CAP feeds: the tick's time is up; the other feeds wait.")
            break
        claimed = CapFeed.objects.filter(pk=feed.pk, last_polled_at=previous).update(
            last_polled_at=now
        )
        if not claimed:
            continue
        feed.last_polled_at = now
        try:
            imported += poll_feed(feed, deadline=deadline)
        except Exception:  # one broken feed never keeps the others from being read
            logger.exception("CAP feed %s failed", feed.pk)
    return imported


# --- The zone's CAP page -----------------------------------------------------------------------


def save_settings(zone: PoliceZone, by: Person, send_at_once: bool) -> CapSettings:
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    found, _created = CapSettings.objects.update_or_create(
        zone=zone,
        defaults={"send_at_once": send_at_once, "updated_by": by, "updated_at": timezone.now()},
    )
    return found


def add_feed(zone: PoliceZone, by: Person, name: str, url: str, every: int) -> CapFeed:
    """Register a feed; its alerts are drafted in the name of the person who adds it, who
    must therefore be staff of the zone (not only a platform administrator)."""
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    if not Standing.of(by).is_zone_staff(zone.pk):
        raise ValidationError(
            _("Only staff of the zone add feeds: imported alerts are drafted in their name.")
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError({"url": _("Give an http or https address.")})
    try:
        # The platform's servers will fetch this address: never a private or local one.
        addresses.check_url(url, allow_http=True, allow_loopback=loopback_allowed())
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc
    if CapFeed.objects.filter(zone=zone, url=url).exists():
        raise ValidationError({"url": _("The zone already reads this feed.")})
    return CapFeed.objects.create(
        zone=zone, name=name.strip(), url=url, owner=by, poll_every_minutes=every
    )


def remove_feed(zone: PoliceZone, by: Person, feed_id: int) -> None:
    """Stop reading a feed of this zone (what it imported stays in the log)."""
    if not Standing.of(by).can_view_zone(zone.pk):
        raise PermissionDenied
    deleted, _rows = CapFeed.objects.filter(zone=zone, pk=feed_id).delete()
    if not deleted:
        raise ValidationError(_("That feed does not exist (any more)."))
