"""Only a mobile number of an allowed country gets a text, on every sending path: the
alert's recipients (SQL), the worker just before the provider, notices and codes
(notify_person, send_code). A landline that was confirmed before the rule gets no text."""

import pytest

from buurtnet.delivery import services as delivery
from buurtnet.delivery import worker
from buurtnet.delivery.models import Delivery, DeliveryState, Notice, OutboxMessage, Reason
from buurtnet.delivery.worker import phone_unusable_reason
from buurtnet.messaging import services
from buurtnet.messaging.services import Draft
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory

BELGIAN_LANDLINE = "+3292345678"  # Ghent
BELGIAN_MOBILE = "+32471234567"
DUTCH_MOBILE = "+31612345678"
PREMIUM_RATE = "+3290012345"


def message(kind: str, network) -> Draft:
    return Draft(
        kind=kind,
        language="en",
        texts={
            "en": {
                "title": "Burglars",
                "body": "Doors forced in Kerkstraat.",
                "sms_text": "Burglars in Kerkstraat",
            }
        },
        target={"type": "networks", "networks": [network.pk]},
    )


def confirmed(person, phone: str, channels: list[str]):
    """The person with phone confirmed (as before the rule: no check on its kind)."""
    person.phone = phone
    person.channels = channels
    person.save()
    assert person.phone_verified
    return person


def texts_to(phone: str) -> int:
    return OutboxMessage.objects.filter(channel="sms", recipient=phone).count()


def test_alert_is_not_texted_to_a_confirmed_landline(world, now_sends):
    member = confirmed(world.member, BELGIAN_LANDLINE, ["email", "sms", "inapp"])

    sent = now_sends(services.submit, world.officer, message("alert", world.network))

    assert texts_to(BELGIAN_LANDLINE) == 0
    sms = Delivery.objects.get(message=sent, recipient__person=member, channel="sms")
    assert (sms.state, sms.reason) == (DeliveryState.SKIPPED, Reason.PHONE_NOT_MOBILE)
    email = Delivery.objects.get(message=sent, recipient__person=member, channel="email")
    assert email.state == DeliveryState.SENT


def test_alert_is_texted_to_a_belgian_mobile(world, now_sends):
    member = confirmed(world.member, BELGIAN_MOBILE, ["email", "sms", "inapp"])

    sent = now_sends(services.submit, world.officer, message("alert", world.network))

    assert texts_to(BELGIAN_MOBILE) == 1
    sms = Delivery.objects.get(message=sent, recipient__person=member, channel="sms")
    assert sms.state == DeliveryState.SENT


def test_alert_is_not_texted_to_a_country_no_longer_allowed(world, now_sends, settings):
    member = confirmed(world.member, DUTCH_MOBILE, ["email", "sms", "inapp"])
    settings.SMS_ALLOWED_COUNTRIES = "BE"

    sent = now_sends(services.submit, world.officer, message("alert", world.network))

    assert texts_to(DUTCH_MOBILE) == 0
    sms = Delivery.objects.get(message=sent, recipient__person=member, channel="sms")
    assert (sms.state, sms.reason) == (DeliveryState.SKIPPED, Reason.PHONE_COUNTRY)


def test_alert_calls_a_landline_but_never_a_premium_rate_number(world, now_sends):
    landline = confirmed(world.member, BELGIAN_LANDLINE, ["voice", "inapp"])
    premium = confirmed(world.steering, PREMIUM_RATE, ["voice", "inapp"])

    sent = now_sends(services.submit, world.officer, message("alert", world.network))

    calls = Delivery.objects.filter(message=sent, channel="voice")
    assert calls.get(recipient__person=landline).state == DeliveryState.SENT
    call = calls.get(recipient__person=premium)
    assert (call.state, call.reason) == (DeliveryState.SKIPPED, Reason.PHONE_SPECIAL)
    assert not OutboxMessage.objects.filter(recipient=PREMIUM_RATE).exists()


def test_text_queued_before_the_number_became_a_landline_fails_and_falls_back_to_a_call(
    world, django_capture_on_commit_callbacks
):
    member = confirmed(world.member, BELGIAN_MOBILE, ["sms", "voice", "inapp"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        sent = services.submit(world.officer, message("notice", world.network))
    sms = Delivery.objects.get(message=sent, recipient__person=member, channel="sms")
    assert sms.state == DeliveryState.QUEUED
    # Changed (as before the rule, still confirmed) while the workers had not yet run.
    confirmed(member, BELGIAN_LANDLINE, ["sms", "voice", "inapp"])

    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()

    sms.refresh_from_db()
    assert (sms.state, sms.reason) == (DeliveryState.FAILED, Reason.PHONE_NOT_MOBILE)
    assert texts_to(BELGIAN_LANDLINE) == 0
    call = Delivery.objects.get(message=sent, recipient__person=member, channel="voice")
    assert (call.fallback_from_id, call.state) == (sms.pk, DeliveryState.SENT)


def test_notify_person_does_not_text_a_confirmed_landline(world, now_sends):
    member = confirmed(world.member, BELGIAN_LANDLINE, ["email", "sms", "inapp"])

    now_sends(
        delivery.notify_person,
        member,
        "networks/email/application_approved",
        {"network": world.network, "reason": ""},
    )

    assert texts_to(BELGIAN_LANDLINE) == 0


def test_notify_person_texts_a_belgian_mobile(world, now_sends):
    member = confirmed(world.member, BELGIAN_MOBILE, ["email", "sms", "inapp"])

    now_sends(
        delivery.notify_person,
        member,
        "networks/email/application_approved",
        {"network": world.network, "reason": ""},
    )

    assert texts_to(BELGIAN_MOBILE) == 1


def test_a_code_texted_to_a_landline_is_not_queued(db, now_sends):
    notice = now_sends(
        delivery.send_code, None, channel="sms", to=BELGIAN_LANDLINE, text="Your code is 1."
    )

    assert notice is None
    assert not Notice.objects.exists()
    assert texts_to(BELGIAN_LANDLINE) == 0


def test_a_code_text_written_for_a_landline_fails_at_the_worker_without_being_sent(db):
    # Written before the rule (or before the country was dropped): the worker checks again.
    notice = Notice.objects.create(
        kind="code", language="en", phone=BELGIAN_LANDLINE, short_text="Your code is 1."
    )
    row = Delivery.objects.create(notice=notice, channel="sms", state=DeliveryState.QUEUED)

    worker.deliver_ids([row.pk], "sms")

    assert texts_to(BELGIAN_LANDLINE) == 0
    row.refresh_from_db()
    assert (row.state, row.reason) == (DeliveryState.FAILED, Reason.PHONE_NOT_MOBILE)


@pytest.mark.parametrize(
    ("phone", "verified"),
    [
        (BELGIAN_MOBILE, True),
        (BELGIAN_LANDLINE, True),
        (DUTCH_MOBILE, True),
        ("+14155550123", True),
        (PREMIUM_RATE, True),
        (BELGIAN_MOBILE, False),
        ("", False),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_recipients_sql_and_worker_agree_on_who_can_be_texted_or_called(
    world, now_sends, settings, phone, verified, channel
):
    settings.SMS_ALLOWED_COUNTRIES = "BE,FR"
    person = PersonFactory(phone=phone, channels=[channel, "inapp"], at=(3.265, 50.825))
    if not verified:
        person.phone_verified_at = None
        person.save()
    MembershipFactory(network=world.network, person=person)

    sent = now_sends(services.submit, world.officer, message("alert", world.network))

    row = Delivery.objects.get(message=sent, recipient__person=person, channel=channel)
    expected = phone_unusable_reason(person, channel)
    assert row.reason == expected
    assert (row.state == DeliveryState.SKIPPED) == bool(expected)
