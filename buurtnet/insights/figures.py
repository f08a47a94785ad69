"""The communication-quality figures of one or more BINs over a period, aggregated in the
database. The dashboard, its CSV downloads and the yearly report all read them from here.

Each chart is a `Series`: a small table (columns and rows) with a title; the dashboard
draws it, the CSV is the same table, the PDF report prints and draws it.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included, in the zone's local dates."""

    start: date
    end: date


@dataclass
class Series:
    key: str  # stable identifier, used in URLs (?chart=<key>) and CSV file names
    title: str  # translated
    columns: list[str]  # translated column headers; the first column is the label/x value
    rows: list[tuple] = field(default_factory=list)
    kind: str = "bar"  # how to draw it: "bar", "stacked", "line" or "table"
    note: str = ""  # a translated remark, e.g. "not enough answers" or how a share is computed


def dashboard(network_ids: list[int], period: Period) -> list[Series]:
    """Every chart of the dashboard for these BINs over the period, in display order."""
    raise NotImplementedError
