"""The yearly report's charts, drawn with reportlab's own graphics (vector, no image files).

A `Series` is a small table: the first column gives the categories (a month, a channel),
every other column that holds numbers becomes one bar or line. Its `kind` says how:
"bar" (bars side by side), "stacked" (bars on top of each other), "line"; "table" is
never drawn.
"""

from decimal import Decimal

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors

from buurtnet.governance.documents import fonts

from .figures import Series

# Told apart by people with the common colour-vision deficiencies, and in grey print.
PALETTE = [
    colors.HexColor("#1f5fa6"),
    colors.HexColor("#e07b00"),
    colors.HexColor("#2a9d5b"),
    colors.HexColor("#b8336a"),
    colors.HexColor("#6a4c93"),
    colors.HexColor("#8c6d1f"),
]
DRAWN_KINDS = ("bar", "stacked", "line")
MAX_LABEL = 16  # characters of a category shown under the axis
MAX_LABELS_SHOWN = 14  # more categories than this: only every n-th is labelled


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if number == number else None  # NaN is no number to draw
    return None


def plotted(series: Series) -> tuple[list[str], list[str], list[list[float | None]]]:
    """(categories, the names of the drawn columns, one list of values per drawn column).
    A column is drawn when at least one of its cells is a number."""
    categories = [str(row[0]) if row else "" for row in series.rows]
    names, data = [], []
    for index, name in enumerate(series.columns[1:], start=1):
        values = [_number(row[index]) if len(row) > index else None for row in series.rows]
        if any(v is not None for v in values):
            names.append(str(name))
            data.append(values)
    return categories, names, data


def can_draw(series: Series) -> bool:
    return series.kind in DRAWN_KINDS and bool(series.rows) and bool(plotted(series)[1])


def _labels(categories: list[str]) -> list[str]:
    step = max(1, -(-len(categories) // MAX_LABELS_SHOWN))
    shown = []
    for index, label in enumerate(categories):
        label = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        shown.append(label if index % step == 0 else "")
    return shown


def chart(series: Series, width: float, height: float = 200) -> Drawing | None:
    """The series drawn as its kind says, `width` × `height` points; None when there is
    nothing to draw (a "table" series, no rows, no numbers)."""
    if not can_draw(series):
        return None
    categories, names, data = plotted(series)
    regular = fonts()["regular"]
    legend_height = 18 if len(names) > 1 else 0
    drawing = Drawing(width, height)
    if series.kind == "line":
        plot = HorizontalLineChart()
        # A missing value is a gap in the line, not a fall to zero.
        plot.data = [tuple(v for v in values) for values in data]
        for index in range(len(names)):
            plot.lines[index].strokeColor = PALETTE[index % len(PALETTE)]
            plot.lines[index].strokeWidth = 2
    else:
        plot = VerticalBarChart()
        plot.data = [tuple(0 if v is None else v for v in values) for values in data]
        if series.kind == "stacked":
            plot.categoryAxis.style = "stacked"
        plot.barSpacing = 1
        plot.groupSpacing = 6
        plot.bars.strokeWidth = 0
        for index in range(len(names)):
            plot.bars[index].fillColor = PALETTE[index % len(PALETTE)]
    plot.x, plot.y = 40, 40
    plot.width = width - 50
    plot.height = height - 55 - legend_height
    plot.categoryAxis.categoryNames = _labels(categories)
    many = len(categories) > 6
    plot.categoryAxis.labels.fontName = regular
    plot.categoryAxis.labels.fontSize = 7 if many else 8
    plot.categoryAxis.labels.boxAnchor = "ne" if many else "n"
    plot.categoryAxis.labels.angle = 30 if many else 0
    plot.categoryAxis.labels.dy = -2
    plot.valueAxis.labels.fontName = regular
    plot.valueAxis.labels.fontSize = 8
    plot.valueAxis.valueMin = 0 if _all_positive(data) else None
    if not _any_above_zero(data):
        plot.valueAxis.valueMax = 1  # all zero: an axis still needs a range
    plot.valueAxis.visibleGrid = True
    plot.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    drawing.add(plot)
    if legend_height:
        legend = Legend()
        legend.fontName = regular
        legend.fontSize = 8
        legend.x, legend.y = 40, height - 6
        legend.dx, legend.dy = 8, 8
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.deltax = 10
        legend.boxAnchor = "nw"
        legend.colorNamePairs = [
            (PALETTE[index % len(PALETTE)], name[:30]) for index, name in enumerate(names)
        ]
        drawing.add(legend)
    return drawing


def _all_positive(data: list[list[float | None]]) -> bool:
    return all(v is None or v >= 0 for values in data for v in values)


def _any_above_zero(data: list[list[float | None]]) -> bool:
    return any(v is not None and v > 0 for values in data for v in values)
