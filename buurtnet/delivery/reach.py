"""Can this person be reached on this channel, and if not, why: one definition.

Two places ask. The set-based writer of a message's deliveries (`outbox.write_deliveries`)
asks in SQL, for every recipient at once, over the person row `p` with their confirmed
e-mail address joined as `e` (`CONFIRMED_EMAIL_JOIN`). The worker asks in Python, for one
person, just before a text or a call leaves (a number confirmed before a rule changed, or a
country dropped from SMS_ALLOWED_COUNTRIES since, must not cost a text or a call), and when
it falls back to another channel.

Both are built from `OBSTACLES`: per channel, an ordered list of what can stand in the way,
each with its reason (the reach report's word), its SQL condition and its Python condition.
The first obstacle that holds gives the reason; a person none holds for is reachable. The
phone obstacles read the facts Person stores beside the number (`phone_region`,
`phone_kind`, see `phones.number_facts`) in SQL, and the same facts computed from the number
in Python. `test_reach.py` runs both on the same people.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress

from .models import PushSubscription, Reason
from .phones import LANDLINE, MOBILE, allowed_countries, allowed_region_sql, number_facts

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

PHONE_CHANNELS = ("sms", "voice")
# The person's confirmed address, for the e-mail obstacle's SQL.
CONFIRMED_EMAIL_JOIN = (
    f"LEFT JOIN {EmailAddress._meta.db_table} e ON e.user_id = p.id AND e.email = p.email "
    "AND e.verified = TRUE"
)


class Facts:
    """What the Python conditions read of one person, or of one bare number (a number
    being verified, which no person has confirmed yet). Each fact is looked up once, and
    only when a condition needs it."""

    def __init__(self, person: "AbstractBaseUser | None", phone: str | None = None) -> None:
        self.person = person
        self.phone = person.phone if phone is None else phone
        # A bare number is being verified by sending to it: it counts as confirmed here.
        self.phone_confirmed = person is None or person.phone_verified_at is not None

    @cached_property
    def number(self) -> tuple[str, str]:
        return number_facts(self.phone)

    @property
    def region(self) -> str:
        return self.number[0]

    @property
    def kind(self) -> str:
        return self.number[1]

    @cached_property
    def email_confirmed(self) -> bool:
        person = self.person
        return EmailAddress.objects.filter(user=person, email=person.email, verified=True).exists()

    @cached_property
    def has_push(self) -> bool:
        return PushSubscription.objects.filter(person=self.person).exists()


@dataclass(frozen=True)
class Obstacle:
    """One thing that keeps a channel from reaching a person. `sql` is called when a
    statement is built (the allowed countries come from the settings)."""

    reason: str
    sql: Callable[[], str]
    holds: Callable[[Facts], bool]


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _phone_obstacles(kinds: tuple[str, ...], landline_is_a_reason: bool) -> tuple[Obstacle, ...]:
    """A text goes to a mobile number, a call to a mobile or a landline, and only to a
    number of an allowed country (`phones.reachable`)."""
    obstacles = [
        Obstacle(Reason.PHONE_MISSING, lambda: "p.phone = ''", lambda f: not f.phone),
        Obstacle(
            Reason.PHONE_UNVERIFIED,
            lambda: "p.phone_verified_at IS NULL",
            lambda f: not f.phone_confirmed,
        ),
        Obstacle(
            Reason.PHONE_COUNTRY,
            lambda: f"NOT {allowed_region_sql('p')}",
            lambda f: f.region not in allowed_countries(),
        ),
    ]
    if landline_is_a_reason:
        obstacles.append(
            Obstacle(
                Reason.PHONE_NOT_MOBILE,
                lambda: f"p.phone_kind = '{LANDLINE}'",
                lambda f: f.kind == LANDLINE,
            )
        )
    obstacles.append(
        Obstacle(
            Reason.PHONE_SPECIAL,
            lambda: f"p.phone_kind NOT IN ({_quoted(kinds)})",
            lambda f: f.kind not in kinds,
        )
    )
    return tuple(obstacles)


OBSTACLES: dict[str, tuple[Obstacle, ...]] = {
    "email": (
        Obstacle(Reason.EMAIL_UNVERIFIED, lambda: "e.id IS NULL", lambda f: not f.email_confirmed),
    ),
    "sms": _phone_obstacles((MOBILE,), landline_is_a_reason=True),
    "voice": _phone_obstacles((MOBILE, LANDLINE), landline_is_a_reason=False),
    "push": (
        Obstacle(
            Reason.NO_PUSH,
            lambda: (
                f"NOT EXISTS (SELECT 1 FROM {PushSubscription._meta.db_table} s "  # noqa: S608 - a table name
                "WHERE s.person_id = p.id)"
            ),
            lambda f: not f.has_push,
        ),
    ),
    "inapp": (),
}


# --- SQL --------------------------------------------------------------------------------


def usable_sql(channel: str) -> str:
    """SQL true when person `p` can be reached on channel."""
    obstacles = OBSTACLES.get(channel, ())
    if not obstacles:
        return "(1=1)"
    return "(NOT (" + " OR ".join(f"({o.sql()})" for o in obstacles) + "))"


def reason_sql(channel: str) -> str:
    """SQL giving why person `p` cannot be reached on channel ('' when they can)."""
    obstacles = OBSTACLES.get(channel, ())
    if not obstacles:
        return "''"
    cases = " ".join(f"WHEN {o.sql()} THEN '{o.reason}'" for o in obstacles)
    return f"(CASE {cases} ELSE '' END)"


def chosen_sql(column: str, channel: str) -> str:
    """SQL true when a JSON list column (a person's `channels`) holds channel. Channel
    names are fixed words, so a textual match on the quoted name is exact and works the
    same on SQLite and PostgreSQL."""
    if not channel.isalpha():
        raise ValueError(f"Not a channel name: {channel!r}")
    return f"CAST({column} AS TEXT) LIKE '%%\"{channel}\"%%'"


# --- Python -----------------------------------------------------------------------------


def unusable_reason(person: "AbstractBaseUser", channel: str) -> str:
    """Why the person cannot be reached on channel now ("" when they can)."""
    return _first(OBSTACLES.get(channel, ()), Facts(person))


def number_reason(phone: str, channel: str) -> str:
    """Why a text or call may not go to this number ("" when it may): the phone obstacles
    on the number alone, for a code sent to a number that is being verified."""
    if channel not in PHONE_CHANNELS:
        raise ValueError(f"Not a phone channel: {channel!r}")
    return _first(OBSTACLES.get(channel, ()), Facts(None, phone))


def _first(obstacles: tuple[Obstacle, ...], facts: Facts) -> str:
    for obstacle in obstacles:
        if obstacle.holds(facts):
            return obstacle.reason
    return ""
