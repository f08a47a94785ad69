"""The dashboard's figures against the hand-built fixture (see fixtures.py)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from buurtnet.insights import figures
from buurtnet.insights.figures import Period
from buurtnet.insights.rollup import DeliveryFigure, SettledMessage

from . import fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(world):
    fixtures.build(world)
    return world


def charts(ids, period=None) -> dict[str, figures.Series]:
    return {s.key: s for s in figures.dashboard(ids, period or fixtures.period())}


def column(series, name: str) -> int:
    return series.columns.index(name)


def test_median_and_95th_percentile_of_delivery_times_per_channel(built):
    times = charts([built.network.pk])["delivery_times"]
    assert times.rows == [("E-mail", 10, 19, 20), ("Text message (SMS)", 5, 60, 4)]


def test_the_settled_message_is_read_from_its_figures_with_the_same_result(built):
    before = figures.delivery_times([built.network.pk], fixtures.period()).rows
    assert figures.settle() == 1  # the alert of 20 days ago; the others are recent
    assert SettledMessage.objects.count() == 1
    assert DeliveryFigure.objects.exists()
    assert figures.delivery_times([built.network.pk], fixtures.period()).rows == before


def test_deliveries_by_channel_and_outcome(built):
    deliveries = charts([built.network.pk])["deliveries"]
    delivered, failed = column(deliveries, "Delivered"), column(deliveries, "Failed or bounced")
    rows = {row[0]: row for row in deliveries.rows}
    assert rows["E-mail"][delivered] == 20 and rows["E-mail"][failed] == 0
    assert rows["Text message (SMS)"][delivered] == 4 and rows["Text message (SMS)"][failed] == 1


def test_share_of_members_who_saw_alerts(built):
    series = charts([built.network.pk])
    seen = series["alerts_seen"]
    assert sum(row[2] for row in seen.rows) == 9
    assert sum(row[3] for row in seen.rows) == 24
    per_bin = series["networks"]
    ours = next(row for row in per_bin.rows if row[0] == built.network.name)
    assert ours[column(per_bin, "Alerts seen (%)")] == 37.5


def test_share_of_reports_answered_within_the_response_time(built):
    series = charts([built.network.pk])
    reports = series["reports"]
    assert sum(row[1] for row in reports.rows) == 5
    assert sum(row[2] for row in reports.rows) == 3
    month = next(row for row in reports.rows if row[0] == fixtures.month_of(5))
    assert month[3] == 75.0
    per_bin = series["networks"]
    assert per_bin.rows[0][column(per_bin, "Answered in time (%)")] == 75.0


def test_members_joined_left_and_paused(built):
    members = charts([built.network.pk])["members"]
    month = next(row for row in members.rows if row[0] == fixtures.month_of(10))
    assert month[1:] == (3, 2, 1)
    assert sum(row[1] for row in members.rows) == 3


def test_messages_by_kind_per_month(built):
    messages = charts([built.network.pk])["messages"]
    alerts, notices = column(messages, "Alert (urgent)"), column(messages, "Notice")
    assert sum(row[alerts] for row in messages.rows) == 2
    assert sum(row[notices] for row in messages.rows) == 1


def test_other_bins_and_zones_are_not_counted(built):
    series = charts([built.network.pk])
    assert all(row[2] < 1000 for row in series["delivery_times"].rows)
    assert [row[0] for row in series["networks"].rows] == [built.network.name]


def test_the_zone_counts_its_bins_together(built):
    both = charts([built.network.pk, built.other_network.pk])
    email = next(row for row in both["delivery_times"].rows if row[0] == "E-mail")
    assert email[1:] == (11, 1000, 22)  # 22 deliveries: the 2 slow ones are the top ones
    assert sum(row[1] for row in both["reports"].rows) == 6
    assert len(both["networks"].rows) == 2


def test_a_period_outside_the_data_counts_nothing(built):
    long_ago = Period(date(2020, 1, 1), date(2020, 12, 31))
    series = charts([built.network.pk], long_ago)
    assert series["delivery_times"].rows == []
    assert sum(row[1] for row in series["members"].rows) == 0
    assert len(series["members"].rows) == 12


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValidationError) as error:
        Period(date(2026, 5, 1), date(2026, 4, 30))
    assert "ends before it starts" in error.value.messages[0]


def test_a_period_of_more_than_three_years_is_refused():
    with pytest.raises(ValidationError):
        Period(date(2020, 1, 1), date(2023, 12, 31))


def test_the_default_period_is_the_last_twelve_months():
    today = timezone.localdate()
    period = Period.last_twelve_months()
    assert period.end == today
    assert period.start == (today + timedelta(days=1)).replace(year=today.year - 1) or (
        period.start.month == today.month and period.start.year == today.year - 1
    )
    assert len(period.months()) in (12, 13)


def test_the_survey_series_is_there_even_without_results(built):
    surveys = charts([built.network.pk])["surveys"]
    assert surveys.key == "surveys"
    assert surveys.rows == []


def test_survey_rounds_give_their_mean_score_and_none_below_the_threshold(monkeypatch):
    from types import SimpleNamespace

    from buurtnet.surveys import services as surveys

    def question(mean):
        return SimpleNamespace(mean=mean)

    rounds = [
        SimpleNamespace(
            closes_on=date(2026, 3, 31),
            title="Safety feeling",
            enough=True,
            respondents=12,
            questions=[question(3.0), question(4.0), question(None)],
        ),
        SimpleNamespace(
            closes_on=date(2026, 9, 30),
            title="Safety feeling",
            enough=False,
            respondents=None,
            questions=[],
        ),
    ]
    asked = []
    monkeypatch.setattr(
        surveys, "results_over_time", lambda ids, start, end: asked.append(ids) or rounds
    )
    series = figures.surveys([7], Period(date(2026, 1, 1), date(2026, 12, 31)))
    assert asked == [[7]]
    assert series.rows == [
        ("2026-03-31", "Safety feeling", 12, 3.5),
        ("2026-09-30", "Safety feeling", None, None),
    ]


def test_overdue_consultation_and_actions_as_of_today(world):
    from buurtnet.governance.models import Consultation, ConsultationAction
    from buurtnet.networks.models import NetworkStatus

    today = timezone.localdate()
    world.network.status = NetworkStatus.ACTIVE
    world.network.save()
    consultation = Consultation.objects.create(
        network=world.network,
        held_on=today - timedelta(days=120),
        topics="Burglaries",
        next_on=today - timedelta(days=30),
    )
    for due, done in ((-5, None), (-1, None), (+10, None), (-20, timezone.now())):
        ConsultationAction.objects.create(
            consultation=consultation,
            network=world.network,
            description="Leaflets",
            owner=world.coordinator,
            due_on=today + timedelta(days=due),
            done_at=done,
        )
    series = figures.governance([world.network.pk, world.other_network.pk])
    rows = {row[0]: row for row in series.rows}
    due_on, overdue, open_actions, overdue_actions = rows[world.network.name][1:]
    assert due_on == (today - timedelta(days=30)).isoformat()
    assert (overdue, open_actions, overdue_actions) == ("yes", 3, 2)
    assert rows[world.other_network.name][3:] == (0, 0)
