"""Charts as server-rendered SVG: bar, stacked bar and line, drawn from a Series.

No JavaScript and no inline style (the Content-Security-Policy forbids both): colours come
from classes (`series-0` … `series-5`) in static/insights/dashboard.css. Each chart is an
image with a title and a description for screen readers; the dashboard prints the same
numbers as a table under it.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .figures import Series

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 84
PALETTE = 6

# The columns a chart draws, where not all of them fit one scale (seconds beside counts).
PLOTTED: dict[str, list[int]] = {
    "delivery_times": [1, 2],
    "alerts_seen": [1],
    "reports": [1, 2],
    "surveys": [3],
}


def plotted_columns(series: Series) -> list[int]:
    return PLOTTED.get(series.key, list(range(1, len(series.columns))))


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _nice_max(value: float) -> float:
    """A round top for the axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _format(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:.3g}"


def _frame(series: Series, top: float) -> list[str]:
    """Horizontal grid lines with their values."""
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y + 6:.1f}" text-anchor="end">'
            f"{_format(value)}</text>"
        )
    return parts


def _x_labels(labels: list[str], centres: list[float]) -> list[str]:
    """Every label when they fit, else every n-th one, turned to read upwards."""
    every = max(1, len(labels) // 12 + (1 if len(labels) % 12 else 0)) if len(labels) > 12 else 1
    parts = []
    for i, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if i % every:
            continue
        y = HEIGHT - BOTTOM + 22
        if len(labels) <= 4:  # few and wide: level and centred
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{y}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
            continue
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{y}" text-anchor="end" '
            f'transform="rotate(-40 {x:.1f} {y})">{escape(label)}</text>'
        )
    return parts


def _wrap(series: Series, body: list[str], how: str) -> SafeString:
    key = escape(series.key)
    title = escape(series.title)
    shown = ", ".join(series.columns[i] for i in plotted_columns(series))
    desc = escape(
        _("%(how)s of %(what)s per %(x)s. The numbers are in the table below.")
        % {"how": how, "what": shown, "x": series.columns[0].lower()}
    )
    return mark_safe(  # noqa: S308 - every text above is escaped
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{key}-title">{title}</title>'
        f'<desc id="chart-{key}-desc">{desc}</desc>' + "".join(body) + "</svg>"
    )


def _slots(count: int) -> tuple[list[float], float]:
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(count, 1)
    return [LEFT + slot * (i + 0.5) for i in range(count)], slot


def bar(series: Series) -> SafeString:
    """Bars side by side per row, one per plotted column."""
    columns = plotted_columns(series)
    values = [[_number(row[c]) for c in columns] for row in series.rows]
    top = _nice_max(max((v for row in values for v in row if v is not None), default=0))
    centres, slot = _slots(len(series.rows))
    width = slot * 0.8 / max(len(columns), 1)
    plot_h = HEIGHT - TOP - BOTTOM
    body = _frame(series, top)
    for row, centre, label in zip(values, centres, series.rows, strict=True):
        for i, value in enumerate(row):
            if not value:
                continue
            h = plot_h * value / top
            x = centre - slot * 0.4 + width * i
            body.append(
                f'<rect class="series-{i % PALETTE}" x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" '
                f'width="{width:.1f}" height="{h:.1f}"><title>{escape(label[0])}, '
                f"{escape(series.columns[columns[i]])}: {_format(value)}</title></rect>"
            )
    body += _x_labels([str(row[0]) for row in series.rows], centres)
    return _wrap(series, body, _("Bar chart"))


def stacked(series: Series) -> SafeString:
    """One bar per row, its plotted columns stacked."""
    columns = plotted_columns(series)
    values = [[_number(row[c]) or 0 for c in columns] for row in series.rows]
    top = _nice_max(max((sum(row) for row in values), default=0))
    centres, slot = _slots(len(series.rows))
    plot_h = HEIGHT - TOP - BOTTOM
    body = _frame(series, top)
    for row, centre, label in zip(values, centres, series.rows, strict=True):
        base = HEIGHT - BOTTOM
        for i, value in enumerate(row):
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            body.append(
                f'<rect class="series-{i % PALETTE}" x="{centre - slot * 0.35:.1f}" '
                f'y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}"><title>'
                f"{escape(label[0])}, {escape(series.columns[columns[i]])}: "
                f"{_format(value)}</title></rect>"
            )
    body += _x_labels([str(row[0]) for row in series.rows], centres)
    return _wrap(series, body, _("Stacked bar chart"))


def line(series: Series) -> SafeString:
    """One line per plotted column; a missing value (no data that month) breaks the line."""
    columns = plotted_columns(series)
    values = [[_number(row[c]) for c in columns] for row in series.rows]
    top = _nice_max(max((v for row in values for v in row if v is not None), default=0))
    centres, _slot = _slots(len(series.rows))
    plot_h = HEIGHT - TOP - BOTTOM
    body = _frame(series, top)
    for i in range(len(columns)):
        segment: list[str] = []
        segments = []
        for row, centre in zip(values, centres, strict=True):
            value = row[i]
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            y = HEIGHT - BOTTOM - plot_h * value / top
            segment.append(f"{centre:.1f},{y:.1f}")
            body.append(
                f'<circle class="series-{i % PALETTE}" cx="{centre:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{_format(value)}</title></circle>"
            )
        if segment:
            segments.append(segment)
        for points in segments:
            body.append(
                f'<polyline class="line series-{i % PALETTE}" points="{" ".join(points)}"/>'
            )
    body += _x_labels([str(row[0]) for row in series.rows], centres)
    return _wrap(series, body, _("Line chart"))


def draw(series: Series) -> SafeString:
    """The chart for a series, or nothing for tables and empty series."""
    if not series.rows or series.kind == "table":
        return mark_safe("")
    return {"bar": bar, "stacked": stacked, "line": line}.get(series.kind, bar)(series)


def legend(series: Series) -> list[tuple[int, str]]:
    """(colour index, column name) of what a chart draws."""
    if series.kind == "table" or not series.rows:
        return []
    return [(i % PALETTE, series.columns[c]) for i, c in enumerate(plotted_columns(series))]
