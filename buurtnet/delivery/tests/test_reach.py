"""One rule for "can this person be reached on this channel": the SQL the deliveries of a
message are written with and the Python the worker checks with give the same reason for
the same people, on every channel."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from buurtnet.delivery import reach
from buurtnet.delivery.models import PushSubscription, Reason
from buurtnet.people.tests.factories import PersonFactory

BELGIAN_MOBILE = "+32471234567"
BELGIAN_LANDLINE = "+3292345678"
FRENCH_MOBILE = "+33612345678"
DUTCH_MOBILE = "+31612345678"  # the Netherlands are not allowed below
PREMIUM_RATE = "+3290012345"


@pytest.fixture
def people(db, settings):
    """People in every state a channel can find them in."""
    settings.SMS_ALLOWED_COUNTRIES = "BE,FR"
    made = [
        PersonFactory(phone=BELGIAN_MOBILE),
        PersonFactory(phone=BELGIAN_LANDLINE),
        PersonFactory(phone=FRENCH_MOBILE),
        PersonFactory(phone=DUTCH_MOBILE),
        PersonFactory(phone=PREMIUM_RATE),
        PersonFactory(phone=BELGIAN_MOBILE, phone_verified_at=None),
        PersonFactory(phone="", phone_verified_at=None),
        PersonFactory(confirmed_email=False),
    ]
    PushSubscription.objects.create(
        person=made[0], endpoint="https://push.example.org/1", p256dh="k", auth="a"
    )
    return made


def sql_answers(channel: str, ids: list[int]) -> dict[int, tuple[str, bool]]:
    table = get_user_model()._meta.db_table
    marks = ",".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, {reach.reason_sql(channel)}, "  # noqa: S608 - the module's fragments
            f"CASE WHEN {reach.usable_sql(channel)} THEN 1 ELSE 0 END "
            f"FROM {table} p {reach.CONFIRMED_EMAIL_JOIN} WHERE p.id IN ({marks})",
            ids,
        )
        return {pk: (reason, bool(usable)) for pk, reason, usable in cursor.fetchall()}


@pytest.mark.parametrize("channel", sorted(reach.OBSTACLES))
def test_sql_and_python_give_the_same_reason_for_the_same_people(people, channel):
    answers = sql_answers(channel, [person.pk for person in people])
    for person in people:
        expected = reach.unusable_reason(person, channel)
        assert answers[person.pk] == (expected, expected == ""), (person.phone, channel)


def test_the_people_cover_every_reason_the_table_can_give(people):
    given = {reach.unusable_reason(p, channel) for p in people for channel in reach.OBSTACLES}
    every = {obstacle.reason for rules in reach.OBSTACLES.values() for obstacle in rules}
    assert every <= given
    assert "" in given


def test_a_number_being_verified_is_judged_by_the_number_alone(settings):
    settings.SMS_ALLOWED_COUNTRIES = "BE,FR"
    assert reach.number_reason(BELGIAN_MOBILE, "sms") == ""
    assert reach.number_reason(BELGIAN_LANDLINE, "sms") == Reason.PHONE_NOT_MOBILE
    assert reach.number_reason(BELGIAN_LANDLINE, "voice") == ""
    assert reach.number_reason(DUTCH_MOBILE, "voice") == Reason.PHONE_COUNTRY
    assert reach.number_reason(PREMIUM_RATE, "voice") == Reason.PHONE_SPECIAL
