"""The worker's fallback for notices, and what a batch costs: a bounced notice never
becomes a phone call and its fallback still keeps the person's quiet hours; a fallback
that raises loses neither its own outcome nor the rest of the batch; a message's range
reads its rows in one query, as before notices shared the worker."""

import logging
from datetime import time as clock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from buurtnet.delivery import notices, reach, worker
from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.delivery.services import notify_person
from buurtnet.messaging import services as messaging
from buurtnet.messaging.tests.test_rules import draft

from .test_notices import DECIDED, mail_refused  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("mail_refused")


def reply_to(person, channels: list) -> object:
    """A reply notice, made while the person chose e-mail only (it goes by e-mail alone);
    they chose `channels` since."""
    person.channels = ["email", "inapp"]
    person.save()
    notice = notify_person(person, DECIDED, {"network": None}, kind=notices.REPLY)
    person.channels = channels
    person.save()
    return notice


def send_mail_of(*made) -> list[int]:
    ids = [n.deliveries.get(channel="email").pk for n in made]
    worker.deliver_ids(ids, "email")
    return ids


def test_a_bounced_reply_notice_falls_back_to_a_text_never_to_a_call(world):
    notice = reply_to(world.member, ["email", "voice", "sms", "inapp"])
    send_mail_of(notice)
    mail = notice.deliveries.get(channel="email")
    assert (mail.state, mail.reason) == (DeliveryState.FAILED, Reason.BOUNCED)
    assert not notice.deliveries.filter(channel="voice").exists()
    text = notice.deliveries.get(channel="sms")
    assert (text.state, text.fallback_from_id) == (DeliveryState.QUEUED, mail.pk)


def test_a_bounced_notice_to_someone_who_chose_only_calls_does_not_fall_back(world):
    notice = reply_to(world.member, ["email", "voice", "inapp"])
    send_mail_of(notice)
    assert list(notice.deliveries.values_list("channel", "state")) == [
        ("email", DeliveryState.FAILED)
    ]


def test_the_fallback_of_news_waits_for_the_end_of_quiet_hours(world):
    member = world.member
    member.channels = ["email", "inapp"]
    member.save()
    news = notify_person(member, DECIDED, {"network": world.network})  # not sent yet
    member.channels = ["email", "sms", "inapp"]
    member.save()
    send_mail_of(news)  # bounces outside quiet hours
    text = news.deliveries.get(channel="sms")
    assert text.state == DeliveryState.QUEUED
    member.quiet_hours_start, member.quiet_hours_end = clock(0, 0), clock(23, 59)
    member.save()
    worker.deliver_ids([text.pk], "sms")
    text.refresh_from_db()
    assert (text.state, text.reason) == (DeliveryState.AWAITING_RETRY, Reason.QUIET_HOURS)


def test_a_fallback_that_raises_keeps_the_batchs_outcomes_and_is_logged(world, caplog):
    made = [
        reply_to(world.member, ["email", ["sms"], "inapp"]),  # bad data: no channel name
        reply_to(world.steering, ["email", "sms", "inapp"]),
    ]
    with caplog.at_level(logging.ERROR, logger="buurtnet.delivery.worker"):
        ids = send_mail_of(*made)

    mails = Delivery.objects.filter(pk__in=ids)
    assert set(mails.values_list("state", flat=True)) == {DeliveryState.FAILED}
    assert not made[0].deliveries.exclude(channel="email").exists()
    assert made[1].deliveries.get(channel="sms").fallback_from_id == ids[1]
    assert f"Fallback of delivery {ids[0]} failed" in caplog.text


def test_a_database_error_in_a_fallback_does_not_undo_the_batch(world, monkeypatch):
    victim = world.member
    made = [reply_to(person, ["email", "sms", "inapp"]) for person in (victim, world.steering)]
    real = reach.unusable_reason

    def broken(person, channel):
        if person.pk == victim.pk:
            with connection.cursor() as cursor:
                cursor.execute("SELECT no_such_column FROM delivery_delivery")
        return real(person, channel)

    monkeypatch.setattr(reach, "unusable_reason", broken)
    ids = send_mail_of(*made)

    mails = Delivery.objects.filter(pk__in=ids)
    assert set(mails.values_list("state", flat=True)) == {DeliveryState.FAILED}
    assert not made[0].deliveries.exclude(channel="email").exists()
    assert made[1].deliveries.get(channel="sms").state == DeliveryState.QUEUED


def test_a_messages_range_reads_its_rows_in_one_query(world):
    for person in (world.member, world.steering, world.coordinator, world.officer):
        person.channels = ["email", "inapp"]
        person.save()
    message = messaging.submit(world.officer, draft(world.network, kind="alert"))  # not sent
    ids = list(
        Delivery.objects.filter(message=message, channel="email").values_list("id", flat=True)
    )
    with CaptureQueriesContext(connection) as captured:
        worker.deliver_range(message.pk, "email", min(ids), max(ids))
    # On PostgreSQL the read is a server-side cursor: DECLARE ... FOR SELECT.
    reads = [
        q
        for q in captured
        if not q["sql"].startswith("UPDATE") and "SELECT" in q["sql"] and "claimed_by" in q["sql"]
    ]
    assert len(reads) == 1
