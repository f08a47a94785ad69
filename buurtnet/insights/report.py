"""The yearly report as a PDF: a title page, a summary in words, then every figure as a
chart and a table, and the BIN's governance facts.

It takes plain data (`ReportContent`), gathered by report_services.py, and is rendered
by the caller inside the report's language. The layout and fonts are governance's
documents' (DejaVu where installed, reportlab's invariant mode).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Spacer, Table, TableStyle

from buurtnet.governance.documents import (
    TEXT_WIDTH,
    Styles,
    facts_table,
    local_date,
    paragraph,
    render_story,
)

from .figures import Series
from .report_charts import chart

CHART_HEIGHT = 190  # points
SHORT_TABLE = 15  # rows


@dataclass
class ReportContent:
    title: str  # "Yearly report 2025"
    subject: str  # the BIN's or the municipality's name
    identification: list[tuple[str, str]]  # the title page's facts
    summary: list[str]  # paragraphs in words
    series: list[Series]
    governance: list[tuple[str, str]] = field(default_factory=list)  # a BIN's facts
    networks: Series | None = None  # a municipality's BINs one by one
    footer: str = ""


def render_pdf(content: ReportContent) -> bytes:
    styles = Styles()
    story: list = [
        paragraph(content.title, styles.title),
        paragraph(content.subject, styles.subtitle),
        facts_table(content.identification, styles),
        PageBreak(),
        paragraph(_("Summary"), styles.heading),
        *[paragraph(text, styles.body) for text in content.summary],
    ]
    if content.governance:
        story += [
            paragraph(_("Governance"), styles.subheading),
            facts_table(content.governance, styles, label_width=80 * mm),
        ]
    if content.networks is not None:
        story += [Spacer(1, 6), *_series_story(content.networks, styles)]
    if content.series:
        story += [PageBreak(), paragraph(_("Figures"), styles.heading)]
    for series in content.series:
        story += _series_story(series, styles)
    return render_story(story, f"{content.title} — {content.subject}", content.footer)


def _series_story(series: Series, styles: Styles) -> list:
    head = [paragraph(series.title, styles.subheading)]
    if series.note:
        head.append(paragraph(series.note, styles.small))
    drawing = chart(series, TEXT_WIDTH, CHART_HEIGHT)
    if drawing is not None:
        head += [Spacer(1, 4), drawing, Spacer(1, 6)]
    table = series_table(series, styles)
    if len(series.rows) <= SHORT_TABLE:  # a short table stays with its chart
        return [KeepTogether([*head, table]), Spacer(1, 10)]
    return [KeepTogether(head), table, Spacer(1, 10)]


def series_table(series: Series, styles: Styles) -> Table:
    """The series' columns and rows; numbers right-aligned and written the language's way."""
    columns = max(len(series.columns), 1)
    # Many columns: a smaller header, so that no word is broken in two.
    label = styles.cell_label if columns <= 4 else _small_label(styles)
    header = [paragraph(str(name), label) for name in series.columns] or [""]
    rows = [
        [_cell_paragraph(row[i] if i < len(row) else None, styles) for i in range(columns)]
        for row in series.rows
    ]
    if not rows:
        rows = [[paragraph(_("No figures for this period."), styles.cell)] + [""] * (columns - 1)]
    share = 0.6 if columns == 2 else 0.4 if columns <= 4 else 0.22
    first = TEXT_WIDTH * share if columns > 1 else TEXT_WIDTH
    rest = (TEXT_WIDTH - first) / (columns - 1) if columns > 1 else 0
    table = Table(
        [header, *rows], colWidths=[first] + [rest] * (columns - 1), hAlign="LEFT", repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _cell_paragraph(value, styles: Styles):
    text = cell_text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return paragraph(text, _right(styles))
    return paragraph(text, styles.cell)


def _right(styles: Styles) -> ParagraphStyle:
    if not hasattr(styles, "cell_number"):
        styles.cell_number = ParagraphStyle("cell_number", parent=styles.cell, alignment=TA_RIGHT)
    return styles.cell_number


def _small_label(styles: Styles) -> ParagraphStyle:
    if not hasattr(styles, "cell_label_small"):
        styles.cell_label_small = ParagraphStyle(
            "cell_label_small", parent=styles.cell_label, fontSize=8, leading=10
        )
    return styles.cell_label_small


def cell_text(value) -> str:
    """One value as the report's language writes it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, float | Decimal):
        if value != value:  # NaN
            return "—"
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    if isinstance(value, datetime | date):
        return local_date(value)
    return str(value)
