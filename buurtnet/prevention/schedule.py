"""When a campaign sends its tips: pure date arithmetic, no database.

A round sends the campaign's tips one at a time, every `every_days` days, at the wall-clock
time of the first send (Brussels time, so a tip at 10:00 stays at 10:00 across daylight
saving). A one-off campaign is one round. A yearly campaign has a round every year within
its period; the period keeps its days from year to year, so 1 October – 31 March runs over
the new year each time. When the period holds more moments than tips, the tips repeat.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

# A period may not be longer than a year: the rounds of two years would overlap.
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Schedule:
    recurrence: str  # "once" or "yearly"
    starts_at: datetime
    every_days: int
    tip_count: int
    period_ends_on: date | None = None

    @property
    def _local_start(self) -> datetime:
        return timezone.localtime(self.starts_at)

    @property
    def _clock(self) -> time:
        return self._local_start.time().replace(tzinfo=None)

    def _at(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, self._clock))

    def _round(self, first: date, last: date) -> list[tuple[datetime, int]]:
        """Moments from first to last (both days included), with the tip index of each."""
        if self.recurrence == "once":
            return [
                (self._at(first + timedelta(days=k * self.every_days)), k)
                for k in range(self.tip_count)
            ]
        moments, k = [], 0
        while (day := first + timedelta(days=k * self.every_days)) <= last:
            moments.append((self._at(day), k % self.tip_count))
            k += 1
        return moments

    def period_in(self, year: int) -> tuple[date, date]:
        """The yearly period that starts in this year: the same days of the calendar, so 1
        October – 31 March stays that in a leap year."""
        start = self._local_start.date()
        spans = self.period_ends_on.year - start.year
        return same_day_in(start, year), same_day_in(self.period_ends_on, year + spans)

    def moments(self, since: datetime, until: datetime) -> list[tuple[datetime, int]]:
        """Every (moment, tip index) with since <= moment <= until."""
        if self.tip_count == 0:
            return []
        start = self._local_start.date()
        if self.recurrence == "once":
            rounds = [self._round(start, start)]
        else:
            first_year = max(start.year, timezone.localtime(since).year - 1)
            last_year = timezone.localtime(until).year
            rounds = [
                self._round(*self.period_in(year)) for year in range(first_year, last_year + 1)
            ]
        return [(m, i) for moments in rounds for m, i in moments if since <= m <= until]

    def next_after(self, moment: datetime, horizon_days: int = 2 * 366) -> datetime | None:
        upcoming = self.moments(
            moment + timedelta(seconds=1), moment + timedelta(days=horizon_days)
        )
        return upcoming[0][0] if upcoming else None

    def latest_due(self, now: datetime) -> tuple[datetime, int] | None:
        """The last moment at or before now that is still current: one that a later moment
        has not yet replaced. A pass that was down for a week sends the current tip once,
        not every tip it missed."""
        window = timedelta(days=self.every_days)
        due = self.moments(now - window, now)
        return due[-1] if due else None


def same_day_in(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without it
        return day.replace(year=year, day=28)
