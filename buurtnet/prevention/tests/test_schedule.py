"""When campaigns send: once, yearly, over the new year, across daylight saving."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from buurtnet.prevention.schedule import Schedule


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def local_days(moments) -> list[str]:
    return [timezone.localtime(m).strftime("%Y-%m-%d %H:%M") for m, _i in moments]


@pytest.fixture(autouse=True)
def brussels(settings):
    settings.TIME_ZONE = "Europe/Brussels"


def test_a_one_off_campaign_sends_each_tip_once_every_n_days():
    schedule = Schedule("once", at(2026, 12, 1, 10, 0), every_days=7, tip_count=3)
    moments = schedule.moments(at(2026, 1, 1), at(2028, 1, 1))
    assert local_days(moments) == ["2026-12-01 10:00", "2026-12-08 10:00", "2026-12-15 10:00"]
    assert [i for _m, i in moments] == [0, 1, 2]


def test_a_yearly_period_over_the_new_year_continues_in_january():
    """The dark months: 1 October to 31 March, one tip every 30 days, two tips."""
    schedule = Schedule(
        "yearly",
        at(2026, 10, 1, 9, 30),
        every_days=30,
        tip_count=2,
        period_ends_on=date(2027, 3, 31),
    )
    moments = schedule.moments(at(2026, 9, 1), at(2027, 4, 30))
    assert local_days(moments) == [
        "2026-10-01 09:30",
        "2026-10-31 09:30",
        "2026-11-30 09:30",
        "2026-12-30 09:30",
        "2027-01-29 09:30",
        "2027-02-28 09:30",
        "2027-03-30 09:30",
    ]
    # Two tips take turns.
    assert [i for _m, i in moments] == [0, 1, 0, 1, 0, 1, 0]


def test_a_yearly_campaign_comes_back_the_next_year_and_not_between():
    schedule = Schedule(
        "yearly",
        at(2026, 10, 1, 9, 30),
        every_days=30,
        tip_count=2,
        period_ends_on=date(2027, 3, 31),
    )
    summer = schedule.moments(at(2027, 4, 1), at(2027, 9, 30, 23, 59))
    assert summer == []
    autumn = schedule.moments(at(2027, 10, 1), at(2027, 10, 2))
    assert local_days(autumn) == ["2027-10-01 09:30"]


def test_the_hour_stays_the_same_across_daylight_saving():
    # Summer time ends on 25 October 2026: 10:00 stays 10:00 on the wall clock.
    schedule = Schedule("once", at(2026, 10, 20, 10, 0), every_days=7, tip_count=2)
    moments = schedule.moments(at(2026, 1, 1), at(2027, 1, 1))
    assert local_days(moments) == ["2026-10-20 10:00", "2026-10-27 10:00"]
    first, second = (m.astimezone(UTC) for m, _i in moments)
    assert second - first == timedelta(days=7, hours=1)


def test_the_summer_holidays_every_year():
    schedule = Schedule(
        "yearly", at(2026, 7, 1, 8, 0), every_days=14, tip_count=5, period_ends_on=date(2026, 8, 31)
    )
    moments = schedule.moments(at(2027, 1, 1), at(2027, 12, 31))
    assert local_days(moments)[0] == "2027-07-01 08:00"
    assert local_days(moments)[-1] == "2027-08-26 08:00"
    assert len(moments) == 5


def test_only_the_current_moment_is_due_after_a_pause():
    schedule = Schedule("once", at(2026, 12, 1, 10, 0), every_days=7, tip_count=4)
    # The periodic pass was down for nine days: it sends the tip of 8 December, once.
    moment, index = schedule.latest_due(at(2026, 12, 10, 12, 0))
    assert (timezone.localtime(moment).day, index) == (8, 1)
    assert schedule.latest_due(at(2026, 11, 30)) is None


def test_the_next_moment_is_announced():
    schedule = Schedule("once", at(2026, 12, 1, 10, 0), every_days=7, tip_count=2)
    assert schedule.next_after(at(2026, 12, 1, 10, 0)) == at(2026, 12, 8, 10, 0)
    assert schedule.next_after(at(2026, 12, 8, 10, 0)) is None


def test_29_february_falls_on_28_february_in_other_years():
    schedule = Schedule(
        "yearly", at(2028, 2, 29, 9, 0), every_days=1, tip_count=1, period_ends_on=date(2028, 3, 1)
    )
    moments = schedule.moments(at(2029, 1, 1), at(2029, 12, 31))
    assert local_days(moments) == ["2029-02-28 09:00", "2029-03-01 09:00"]


def test_a_period_keeps_its_calendar_days_in_a_leap_year():
    schedule = Schedule(
        "yearly",
        at(2026, 10, 1, 9, 0),
        every_days=1,
        tip_count=1,
        period_ends_on=date(2027, 3, 31),
    )
    assert schedule.period_in(2027) == (date(2027, 10, 1), date(2028, 3, 31))
