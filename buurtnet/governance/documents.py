"""The BIN's documents as PDF: the agreement with its annexes, and the file its signed
charter is registered with at the federal ministry (FPS Home Affairs).

Both are rendered in the network's language and are deterministic: the same input gives
the same bytes (reportlab's invariant mode: no creation date, no random ids), so the
SHA-256 the signatures are recorded against can be recomputed and checked.
"""

import hashlib
import io
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from buurtnet.common.rule import Rule
from buurtnet.networks.models import MembershipStatus, Network, Role
from buurtnet.people.models import Channel
from buurtnet.plans.models import (
    Approver,
    CommunicationPlan,
    MessageKind,
    PlanRule,
    PoliceRoute,
    SenderRole,
)

from .models import Agreement, Party

# Debian's DejaVu covers every Latin letter and the typographic quotes; without it the
# PDF standard fonts do (their WinAnsi encoding has é, ë, €, ‘ and ’), just less widely.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
FALLBACK = {"regular": "Helvetica", "bold": "Helvetica-Bold"}
_fonts: dict[str, str] = {}

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BLANK = "_" * 40


def fonts() -> dict[str, str]:
    """The registered font names, registering DejaVu once per process if it is there."""
    if _fonts:
        return _fonts
    chosen = dict(FALLBACK)
    for directory in FONT_DIRS:
        paths = {style: Path(directory) / name for style, name in FONT_FILES.items()}
        if not all(path.is_file() for path in paths.values()):
            continue
        try:
            for style, path in paths.items():
                name = f"Buurtnet-{style}"
                if name not in pdfmetrics.getRegisteredFontNames():
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                chosen[style] = name
        except (TTFError, OSError):
            chosen = dict(FALLBACK)
            continue
        break
    _fonts.update(chosen)
    return _fonts


class Styles:
    def __init__(self) -> None:
        regular, bold = fonts()["regular"], fonts()["bold"]
        self.body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=14, spaceAfter=6)
        self.cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=12)
        self.cell_label = ParagraphStyle("cell_label", parent=self.cell, fontName=bold)
        self.small = ParagraphStyle("small", fontName=regular, fontSize=8, leading=10)
        # A SHA-256 in hex must fit on one line to be copied and compared.
        self.fingerprint = ParagraphStyle("fingerprint", parent=self.cell, fontSize=7.5)
        self.title = ParagraphStyle(
            "title", fontName=bold, fontSize=20, leading=26, spaceAfter=12, spaceBefore=40
        )
        self.subtitle = ParagraphStyle(
            "subtitle", fontName=regular, fontSize=13, leading=18, spaceAfter=24
        )
        self.heading = ParagraphStyle(
            "heading", fontName=bold, fontSize=14, leading=18, spaceBefore=6, spaceAfter=10
        )
        self.subheading = ParagraphStyle(
            "subheading", fontName=bold, fontSize=11, leading=15, spaceBefore=10, spaceAfter=4
        )
        self.regular, self.bold = regular, bold


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """One paragraph of plain text: markup characters escaped, line breaks kept."""
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _long_text(text: str, style: ParagraphStyle) -> list:
    """A text written by people: one flowable per paragraph (blank-line separated), so
    a long text flows over as many pages as it needs."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [block.strip() for block in text.split("\n\n")]
    return [_para(block, style) for block in blocks if block] or [_para("—", style)]


def _facts(rows: list[tuple], styles: Styles, label_width: float = 55 * mm) -> Table:
    """A two-column table of labelled values; both columns wrap. A value may come as
    (text, style)."""
    data = [
        [
            _para(label, styles.cell_label),
            _para(*value) if isinstance(value, tuple) else _para(value, styles.cell),
        ]
        for label, value in rows
    ]
    table = Table(data, colWidths=[label_width, TEXT_WIDTH - label_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _date(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def _render(story: list, title: str, footer: str) -> bytes:
    styles = Styles()

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(styles.regular, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, footer)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, 10 * mm, _("Page %(number)s") % {"number": doc.page}
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Buurtnet",
        creator="Buurtnet",
        producer="Buurtnet",
        subject="",
        keywords="",
        # No creation date and no random document id: same input, same bytes.
        invariant=1,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


# The building blocks other documents reuse (the insights app's yearly report).
paragraph = _para
facts_table = _facts
local_date = _date
render_story = _render


def _label(choices, value) -> str:
    """The translated label of a choice; an unknown value is shown as it is."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _labels(choices, values) -> str:
    return ", ".join(_label(choices, v) for v in values or []) or "—"


def _field(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def _identification(network: Network) -> list[tuple[str, str]]:
    municipality = network.municipality
    zone = municipality.zone
    return [
        (_("Network (BIN)"), network.name),
        (_("Type"), network.get_kind_display()),
        (
            _("Municipality"),
            _("%(name)s (NIS code %(nis)s)")
            % {"name": municipality.name, "nis": municipality.nis_code},
        ),
        (
            _("Police zone"),
            _("%(name)s (zone %(code)s)") % {"name": zone.name, "code": zone.code},
        ),
    ]


# --- The agreement ----------------------------------------------------------------------


def agreement_pdf(agreement: Agreement) -> bytes:
    """The agreement with its annexes (1: the charter, 2: the communication plan) and an
    empty signatures page: frozen before anyone signs, in the network's language."""
    network = agreement.network
    with translation.override(network.language):
        styles = Styles()
        title = _("Agreement of %(network)s") % {"network": network.name}
        story: list = [
            _para(title, styles.title),
            _para(
                _("Neighbourhood information network — version %(version)s")
                % {"version": agreement.version},
                styles.subtitle,
            ),
            _facts(
                [
                    *_identification(network),
                    (_("Agreement version"), str(agreement.version)),
                    (_("Drafted on"), _date(agreement.created_at)),
                    (_("Charter version"), str(agreement.charter_version)),
                    (_("Communication plan"), _plan_version(agreement)),
                ],
                styles,
            ),
            Spacer(1, 12),
            _para(
                _(
                    "This document is frozen before it is signed: every party signs exactly "
                    "this text and its annexes. The signatures are recorded against its "
                    "SHA-256 fingerprint."
                ),
                styles.small,
            ),
            PageBreak(),
            _para(_("The agreement"), styles.heading),
            *_long_text(agreement.text, styles.body),
            PageBreak(),
            _para(
                _("Annex 1: the charter (version %(version)s)")
                % {"version": agreement.charter_version},
                styles.heading,
            ),
            *_long_text(agreement.charter, styles.body),
            PageBreak(),
            _para(_("Annex 2: the communication plan"), styles.heading),
            *_plan_story(agreement, styles),
            PageBreak(),
            *_signature_page(network, styles),
        ]
        footer = _("%(network)s — agreement version %(version)s") % {
            "network": network.name,
            "version": agreement.version,
        }
        return _render(story, title, footer)


def _plan_version(agreement: Agreement) -> str:
    if agreement.plan_version is None:
        return _("The police zone's template (no version agreed yet)")
    return _("Version %(version)s") % {"version": agreement.plan_version}


def _plan_story(agreement: Agreement, styles: Styles) -> list:
    plan = agreement.plan_content or {}
    story: list = [_para(_plan_version(agreement), styles.body)]
    general = [
        (
            _field(CommunicationPlan, "police_route"),
            _label(PoliceRoute, plan.get("police_route", "")) if plan.get("police_route") else "—",
        ),
        (
            _field(CommunicationPlan, "forward_within_minutes"),
            _plain(plan.get("forward_within_minutes")),
        ),
        (_field(CommunicationPlan, "sms_segment_limit"), _plain(plan.get("sms_segment_limit"))),
        (_field(CommunicationPlan, "consult_every_days"), _plain(plan.get("consult_every_days"))),
    ]
    story.append(_facts(general, styles, label_width=80 * mm))
    # The annex holds the rules as JSON, as they were when the agreement was written.
    for rule in (Rule.from_json(data) for data in plan.get("rules") or []):
        kind = _label(MessageKind, rule.kind)
        story.append(
            KeepTogether(
                [_para(kind, styles.subheading), _facts(_rule_rows(rule), styles, 70 * mm)]
            )
        )
    return story


def _plain(value) -> str:
    return "—" if value in (None, "") else str(value)


def _hours(rule: Rule) -> str:
    if rule.sending_hours is None:
        return _("At any time")
    start, end = rule.sending_hours
    return _("From %(start)s to %(end)s") % {
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def _rule_rows(rule: Rule) -> list[tuple[str, str]]:
    rows = [
        (_field(PlanRule, "senders"), _labels(SenderRole, rule.senders)),
        (_field(PlanRule, "approval_needed_for"), _labels(SenderRole, rule.approval_needed_for)),
        (_field(PlanRule, "approver"), _label(Approver, rule.approver)),
        (_field(PlanRule, "channels"), _labels(Channel, rule.channels)),
        (_("Sending hours"), _hours(rule)),
        (_field(PlanRule, "quiet_hours_apply"), _yes_no(rule.quiet_hours_apply)),
        (_field(PlanRule, "response_minutes"), _plain(rule.response_minutes)),
        (_field(PlanRule, "fallback"), _yes_no(rule.fallback)),
        (_field(PlanRule, "plates_allowed"), _yes_no(rule.plates_allowed)),
    ]
    if rule.kind == MessageKind.REPORT:
        rows += [
            (_field(PlanRule, "report_to"), _labels(Approver, rule.report_to)),
            (_field(PlanRule, "reporter_contact_shared"), _yes_no(rule.reporter_contact_shared)),
        ]
    return rows


def _signature_page(network: Network, styles: Styles) -> list:
    municipality = network.municipality
    parties = [
        (Party.COORDINATOR, network.name),
        (Party.MUNICIPALITY, municipality.name),
        (Party.ZONE, f"{municipality.zone.name} ({municipality.zone.code})"),
    ]
    story: list = [
        _para(_("Signatures"), styles.heading),
        _para(
            _("Signed for agreement in the name of the parties below."),
            styles.body,
        ),
    ]
    for party, on_behalf_of in parties:
        story.append(
            KeepTogether(
                [
                    _para(f"{_label(Party, party)} — {on_behalf_of}", styles.subheading),
                    _facts(
                        [
                            (_("Name"), BLANK),
                            (_("Function"), BLANK),
                            (_("Date"), BLANK),
                            (_("Signature"), "\n\n" + BLANK),
                        ],
                        styles,
                        label_width=40 * mm,
                    ),
                    Spacer(1, 10),
                ]
            )
        )
    return story


# --- The registration file --------------------------------------------------------------


def registration_pdf(agreement: Agreement) -> bytes:
    """The file the signed charter is registered with at FPS Home Affairs: who the BIN is,
    who leads it (names only), who signed and when, then the charter. No member data: the
    area is described by its bounding box and its number of corners."""
    network = agreement.network
    with translation.override(network.language):
        styles = Styles()
        title = _("Registration of the charter of %(network)s") % {"network": network.name}
        signatures = list(agreement.signatures.select_related("person").order_by("signed_at"))
        story: list = [
            _para(title, styles.title),
            _para(_("To the Federal Public Service Home Affairs"), styles.subtitle),
            _para(_("Identification"), styles.subheading),
            _facts(
                [
                    *_identification(network),
                    (_("Area"), _area_description(network)),
                    (_("Coordinator"), _names(network, Role.COORDINATOR, signatures)),
                    (_("Mandated officer"), _names(network, Role.OFFICER, signatures)),
                ],
                styles,
            ),
            _para(_("Agreement"), styles.subheading),
            _facts(
                [
                    (_("Agreement version"), str(agreement.version)),
                    (_("Charter version"), str(agreement.charter_version)),
                    (_("Fully signed on"), _date(agreement.signed_at)),
                    (
                        _("SHA-256 of the agreement document"),
                        (_fingerprint(agreement), styles.fingerprint),
                    ),
                ],
                styles,
            ),
            _para(_("Signatures"), styles.subheading),
            _signature_table(signatures, styles),
            PageBreak(),
            _para(
                _("The charter (version %(version)s)") % {"version": agreement.charter_version},
                styles.heading,
            ),
            *_long_text(agreement.charter, styles.body),
        ]
        footer = _("%(network)s — registration of the charter, agreement version %(version)s") % {
            "network": network.name,
            "version": agreement.version,
        }
        return _render(story, title, footer)


def _fingerprint(agreement: Agreement) -> str:
    if agreement.document_sha256:
        return agreement.document_sha256
    # Not stored yet: the agreement PDF is deterministic, so its hash can be recomputed.
    return hashlib.sha256(agreement_pdf(agreement)).hexdigest()


def _area_description(network: Network) -> str:
    rings = (network.area or {}).get("coordinates") or []
    # A GeoJSON ring repeats its first corner at the end.
    corners = sum(max(len(ring) - 1, 0) for ring in rings)
    return _(
        "A polygon of %(corners)s corners within longitude %(min_lon).5f–%(max_lon).5f "
        "and latitude %(min_lat).5f–%(max_lat).5f (WGS 84)"
    ) % {
        "corners": corners,
        "min_lon": network.min_lon,
        "max_lon": network.max_lon,
        "min_lat": network.min_lat,
        "max_lat": network.max_lat,
    }


def _names(network: Network, role: str, signatures: list) -> str:
    """The names of the people holding a role now (no contact details); for the
    coordinator, the one who signed if the BIN has none at the moment."""
    names = list(
        network.memberships.filter(role=role, status=MembershipStatus.APPROVED)
        .order_by("person__full_name", "person_id")
        .values_list("person__full_name", flat=True)
    )
    if not names and role == Role.COORDINATOR:
        names = [s.person.full_name for s in signatures if s.party == Party.COORDINATOR]
    return ", ".join(name for name in names if name) or "—"


def _signature_table(signatures: list, styles: Styles) -> Table:
    header = [
        _para(_("Signs for"), styles.cell_label),
        _para(_("Name"), styles.cell_label),
        _para(_("Date"), styles.cell_label),
    ]
    rows = [
        [
            _para(_label(Party, s.party), styles.cell),
            _para(s.person.full_name or "—", styles.cell),
            _para(_date(s.signed_at), styles.cell),
        ]
        for s in signatures
    ] or [[_para(_("No signatures yet."), styles.cell), "", ""]]
    widths = [50 * mm, TEXT_WIDTH - 90 * mm, 40 * mm]
    table = Table([header, *rows], colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    return table
