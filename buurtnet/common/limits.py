"""How much one person (or one BIN) may create in a while: reports, replies, relays.

A limit counts the rows the person already made in the window, in the database: the count
holds across web processes, worker machines and restarts, and needs no shared cache. Call
`check_rate` inside the transaction that will create the new row, after `serialize_for`
has locked the person's row, so that two requests at the same moment cannot both pass.

Limits are settings (`RATE_LIMITS`: a name and a list of (count, seconds)), so that an
installation can loosen or tighten them; the defaults are what an honest member never
reaches. A refusal is a `RateLimited` error: a ValidationError (a form shows it on top and
keeps what was typed; the API answers 429 with Retry-After) that changes nothing.
"""

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext


class RateLimited(ValidationError):
    """Too many in too short a time. `retry_after` is the number of seconds until one more
    would be accepted."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, code="rate_limited")
        self.retry_after = max(1, int(retry_after))


def limits(name: str) -> list[tuple[int, int]]:
    """The (count, seconds) pairs of one limit; none when the installation switched it off."""
    return [(int(count), int(seconds)) for count, seconds in settings.RATE_LIMITS.get(name, ())]


def serialize_for(person_id: int) -> None:
    """Lock the person's row until the end of the transaction: their next request waits
    until this one has stored its row (and counts it)."""
    list(
        get_user_model()
        .objects.select_for_update()
        .filter(pk=person_id)
        .values_list("pk", flat=True)
    )


def check_rate(
    recent: QuerySet,
    name: str,
    message: str,
    *,
    field: str = "created_at",
    values: Mapping[str, object] | None = None,
    now: datetime | None = None,
) -> None:
    """Raise RateLimited when `recent` (the rows that count, e.g. this person's reports)
    already holds a limit's count within its window.

    `message` may use %(count)d (the limit), %(period)s ("10 minutes") and %(wait)s ("in 7
    minutes", "at 14:05"): it should say when the person can try again. `values` fill
    the message's other placeholders."""
    now = now or timezone.now()
    for count, seconds in limits(name):
        window = timedelta(seconds=seconds)
        in_window = recent.filter(**{f"{field}__gte": now - window})
        made = in_window.count()
        if made < count:
            continue
        # One more fits once the row at this place has left the window.
        freed_by = in_window.order_by(field).values_list(field, flat=True)[made - count]
        retry_after = math.ceil((freed_by + window - now).total_seconds())
        raise RateLimited(
            message
            % {
                **(values or {}),
                "count": count,
                "period": describe_period(seconds),
                "wait": describe_wait(retry_after, now),
            },
            retry_after,
        )


def describe_period(seconds: int) -> str:
    """A window in words, to follow "in the last": "day", "10 minutes"."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return npgettext("in the last", "day", "%(n)d days", days) % {"n": days}
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return npgettext("in the last", "hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(1, seconds // 60)
    return npgettext("in the last", "minute", "%(n)d minutes", minutes) % {"n": minutes}


def describe_wait(seconds: int, now: datetime | None = None) -> str:
    """When the person can try again, in words: "in 3 minutes", or a clock time when it is
    further away (a count of minutes above an hour means little)."""
    seconds = max(1, seconds)
    if seconds < 60:
        return ngettext("in %(n)d second", "in %(n)d seconds", seconds) % {"n": seconds}
    if seconds <= 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    now = now or timezone.now()
    at = timezone.localtime(now + timedelta(seconds=seconds))
    if at.date() == timezone.localtime(now).date():
        return _("at %(time)s") % {"time": formats.time_format(at, "H:i")}
    return _("on %(day)s at %(time)s") % {
        "day": formats.date_format(at, "j F"),
        "time": formats.time_format(at, "H:i"),
    }
