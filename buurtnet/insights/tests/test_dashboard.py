"""The dashboard pages and their CSV downloads, through HTTP."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from buurtnet.insights import figures
from buurtnet.networks.tests.test_views import log_in

from . import fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(world):
    fixtures.build(world)
    return world


def period_query() -> str:
    period = fixtures.period()
    return f"from={period.start.isoformat()}&to={period.end.isoformat()}"


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_officer_sees_charts_and_tables_of_their_bin(client, built):
    log_in(client, built.officer)
    response = client.get(f"/insights/networks/{built.network.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 5
    assert '<title id="chart-delivery_times-title">' in html
    assert "<table>" in html
    assert "?chart=delivery_times&amp;from=" in html
    assert "style=" not in html and "<script" not in html.split("</main>")[0].split("<main")[-1]


def test_the_default_period_is_the_last_twelve_months(client, built):
    log_in(client, built.officer)
    response = client.get("/insights/")
    default = figures.Period.last_twelve_months()
    assert response.context["period"] == default
    assert f'value="{default.start.isoformat()}"' in response.content.decode()


def test_zone_staff_see_the_zone_with_every_bin_of_it(client, built):
    log_in(client, built.zone_staff)
    response = client.get(f"/insights/zones/{built.zone.pk}/")
    assert response.status_code == 200
    names = [row[0] for row in response.context["sections"][6]["series"].rows]
    assert names == sorted([built.network.name, built.other_network.name])


@pytest.mark.parametrize("role", ["member", "coordinator", "municipal"])
def test_who_sees_the_bin_but_does_not_oversee_it_is_refused(client, built, role):
    log_in(client, getattr(built, role))
    assert client.get(f"/insights/networks/{built.network.pk}/").status_code == 403
    assert client.get("/insights/").status_code == 403


def test_another_zone_is_not_found(client, built):
    log_in(client, built.zone_staff)
    assert client.get(f"/insights/zones/{built.other_zone.pk}/").status_code == 404
    assert client.get(f"/insights/networks/{built.far_network.pk}/").status_code == 404
    response = client.get(
        f"/insights/zones/{built.other_zone.pk}/dashboard.csv?chart=members&{period_query()}"
    )
    assert response.status_code == 404


def test_the_officer_dashboard_leaves_out_other_bins(client, built):
    log_in(client, built.officer)
    response = client.get(f"/insights/?{period_query()}")
    rows = response.context["sections"][6]["series"].rows
    assert [row[0] for row in rows] == [built.network.name]
    assert "BIN Theirs" not in response.content.decode()


def test_a_period_that_ends_before_it_starts_is_refused_with_a_message(client, built):
    log_in(client, built.officer)
    today = timezone.localdate()
    query = f"from={today.isoformat()}&to={(today - timedelta(days=3)).isoformat()}"
    response = client.get(f"/insights/networks/{built.network.pk}/?{query}")
    assert response.status_code == 400
    assert "The period ends before it starts." in response.content.decode()
    assert response.context["sections"] == []
    csv_response = client.get(f"/insights/dashboard.csv?chart=members&{query}")
    assert csv_response.status_code == 400
    assert "ends before it starts" in csv_response.content.decode()


def test_a_period_of_more_than_three_years_is_refused(client, built):
    log_in(client, built.officer)
    response = client.get("/insights/?from=2019-01-01&to=2024-01-01")
    assert response.status_code == 400
    assert "at most three years" in response.content.decode()


def test_a_malformed_date_is_refused(client, built):
    log_in(client, built.officer)
    assert client.get("/insights/?from=yesterday&to=2024-01-01").status_code == 400


def test_csv_of_a_chart_equals_its_table(client, built):
    log_in(client, built.officer)
    url = f"/insights/networks/{built.network.pk}/dashboard.csv?chart=delivery_times&"
    response = client.get(url + period_query())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="buurtnet-bin-ours-delivery_times-\d{4}-\d\d-\d\d-'
        r'\d{4}-\d\d-\d\d\.csv"',
        disposition,
    )
    series = figures.delivery_times([built.network.pk], fixtures.period())
    rows = read_csv(response)
    assert rows[0] == series.columns
    assert rows[1:] == [[str(v) for v in row] for row in series.rows]
    assert rows[1:] == [["E-mail", "10", "19", "20"], ["Text message (SMS)", "5", "60", "4"]]


def test_csv_writes_an_empty_cell_for_a_missing_share(client, built):
    log_in(client, built.officer)
    response = client.get(f"/insights/dashboard.csv?chart=alerts_seen&{period_query()}")
    rows = read_csv(response)
    assert rows[0] == ["Month", "Seen (%)", "Seen", "Alerts received"]
    assert all(len(row) == 4 for row in rows[1:])
    assert any(row[1] == "" for row in rows[1:])  # the months without alerts


def test_csv_of_an_unknown_chart_is_refused(client, built):
    log_in(client, built.officer)
    response = client.get(f"/insights/dashboard.csv?chart=nope&{period_query()}")
    assert response.status_code == 400
    assert "no such chart" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, built):
    response = client.get("/insights/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
