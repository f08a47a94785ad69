"""Provider webhooks and delivery receipts: signed requests update deliveries, anything
else is refused with 403 and changes nothing."""

import json
import logging
import time
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.delivery import simulator
from buurtnet.delivery.channels import Envelope, get_transport
from buurtnet.delivery.channels.sms import TwilioSmsTransport
from buurtnet.delivery.channels.voice import TwilioVoiceTransport
from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.delivery.receipts import record_receipt
from buurtnet.delivery.simulator import SimulatorServer, sign
from buurtnet.delivery.tests.fake_twilio import AUTH_TOKEN, FakeTwilio, twilio_signature
from buurtnet.messaging.models import Message, MessageNetwork, Recipient
from buurtnet.networks.tests.factories import NetworkFactory
from buurtnet.people.tests.factories import PersonFactory

SECRET = "hook-secret"
SITE = "https://buurtnet.example"


def make_delivery(
    channel: str = "sms",
    state: str = DeliveryState.SENT,
    provider_ref: str = "sim-1",
    person=None,
) -> Delivery:
    """A Delivery with the smallest message, network link and recipient behind it."""
    network = NetworkFactory()
    person = person or PersonFactory()
    message = Message.objects.create(
        zone=network.municipality.zone,
        sender=PersonFactory(),
        sender_role="officer",
        kind="alert",
        status="sent",
        sent_at=timezone.now(),
    )
    link = MessageNetwork.objects.create(message=message, network=network, stage="members")
    recipient = Recipient.objects.create(
        message=message, person=person, link=link, language=person.language
    )
    return Delivery.objects.create(
        message=message,
        recipient=recipient,
        channel=channel,
        state=state,
        provider_ref=provider_ref,
        sent_at=timezone.now(),
    )


@pytest.fixture(autouse=True)
def _hook_settings(settings):
    settings.SMS_TRANSPORT = "simulator"
    settings.SMS_WEBHOOK_SECRET = SECRET
    settings.SITE_URL = SITE
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN


def post_simulator(client, name: str, payload: dict, signature: str | None = None):
    body = json.dumps(payload).encode()
    headers = {"X-Simulator-Signature": sign(SECRET, body) if signature is None else signature}
    return client.post(
        reverse(f"hooks:{name}"), body, content_type="application/json", headers=headers
    )


def post_twilio(client, name: str, params: dict, url: str | None = None):
    path = reverse(f"hooks:{name}")
    signature = twilio_signature(AUTH_TOKEN, url or SITE + path, params)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


# --- record_receipt ------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivered_receipt_marks_the_delivery_delivered():
    delivery = make_delivery()
    assert record_receipt("sim-1", "delivered")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.delivered_at is not None


@pytest.mark.django_db
def test_failed_receipt_for_an_unknown_subscriber_blames_the_number():
    delivery = make_delivery()
    record_receipt("sim-1", "failed", "unknown subscriber")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, Reason.PHONE_INVALID)
    assert delivery.error == "unknown subscriber"


@pytest.mark.django_db
def test_undelivered_receipt_with_another_error_blames_the_provider():
    delivery = make_delivery()
    record_receipt("sim-1", "undelivered", "Twilio error 30008")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, Reason.PROVIDER)


@pytest.mark.django_db
def test_late_sent_receipt_does_not_move_a_delivered_delivery_back():
    delivery = make_delivery(state=DeliveryState.DELIVERED)
    assert record_receipt("sim-1", "sent")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_failed_receipt_does_not_undo_a_delivered_delivery():
    delivery = make_delivery(state=DeliveryState.DELIVERED)
    assert record_receipt("sim-1", "failed", "late")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.error) == (DeliveryState.DELIVERED, "")


@pytest.mark.django_db
def test_receipt_for_an_unknown_reference_matches_nothing():
    make_delivery()
    assert not record_receipt("sim-other", "delivered")


@pytest.mark.django_db
def test_delivered_receipt_ends_a_pending_retry():
    delivery = make_delivery(state=DeliveryState.AWAITING_RETRY)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    record_receipt("sim-1", "delivered")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == (DeliveryState.DELIVERED, None)


# --- Simulator hooks -----------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_simulator_receipt_updates_the_delivery(client):
    delivery = make_delivery()
    answer = post_simulator(client, "sms_simulator_status", {"id": "sim-1", "status": "delivered"})
    assert answer.status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_simulator_receipt_with_a_bad_signature_is_refused_and_changes_nothing(client, caplog):
    delivery = make_delivery()
    payload = {"id": "sim-1", "status": "delivered", "error": "secret-content"}
    with caplog.at_level(logging.WARNING, logger="buurtnet.delivery.hooks"):
        answer = post_simulator(client, "sms_simulator_status", payload, signature="0" * 64)
    assert answer.status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    [record] = [r for r in caplog.records if r.name == "buurtnet.delivery.hooks"]
    assert "127.0.0.1" in record.getMessage()
    assert "secret-content" not in record.getMessage()


@pytest.mark.django_db
def test_simulator_receipt_without_a_signature_is_refused(client):
    make_delivery()
    answer = client.post(
        reverse("hooks:sms_simulator_status"),
        {"id": "sim-1", "status": "delivered"},
        content_type="application/json",
    )
    assert answer.status_code == 403


@pytest.mark.django_db
def test_simulator_receipt_for_an_unknown_id_answers_404_so_it_is_retried(client):
    answer = post_simulator(client, "sms_simulator_status", {"id": "sim-x", "status": "delivered"})
    assert answer.status_code == 404


@pytest.mark.django_db
def test_simulator_hooks_are_closed_when_another_sms_transport_is_configured(client, settings):
    settings.SMS_TRANSPORT = "twilio"
    delivery = make_delivery()
    answer = post_simulator(client, "sms_simulator_status", {"id": "sim-1", "status": "delivered"})
    assert answer.status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.django_db
def test_hooks_refuse_get(client):
    assert client.get(reverse("hooks:sms_simulator_status")).status_code == 405


@pytest.mark.django_db
def test_simulator_inbound_with_a_bad_signature_is_refused(client):
    answer = post_simulator(
        client, "sms_simulator_inbound", {"from": "+32471234567", "text": "OK"}, signature="x"
    )
    assert answer.status_code == 403


@pytest.mark.django_db
def test_simulator_inbound_from_a_number_nobody_has_answers_200_and_changes_nothing(client):
    delivery = make_delivery()
    answer = post_simulator(client, "sms_simulator_inbound", {"from": "+32479999999", "text": "OK"})
    assert answer.status_code == 200
    assert answer.json() == {"result": "unknown"}
    delivery.refresh_from_db()
    assert delivery.recipient.acknowledged_at is None
    assert not delivery.message.replies.exists()


@pytest.mark.django_db
def test_simulator_inbound_ok_acknowledges_the_newest_sms_message(client):
    person = PersonFactory(phone="+32471112233")
    delivery = make_delivery(person=person)
    answer = post_simulator(client, "sms_simulator_inbound", {"from": "+32471112233", "text": "OK"})
    assert answer.json() == {"result": "acknowledged"}
    delivery.recipient.refresh_from_db()
    assert delivery.recipient.acknowledged_at is not None


@pytest.mark.django_db(transaction=True)
def test_simulator_receipt_reaches_the_app_over_http(live_server, settings, monkeypatch):
    monkeypatch.setattr(simulator, "RECEIPT_RETRY_DELAYS", (0.1,) * 50)
    delivery = make_delivery(provider_ref="")
    callback = live_server.url + reverse("hooks:sms_simulator_status")
    with SimulatorServer(callback=callback, secret=SECRET, receipt_delay=0) as gateway:
        settings.SMS_TRANSPORT, settings.SMS_SIMULATOR_URL = "simulator", gateway.url
        transport = get_transport("sms")
        outcome = transport.send(envelope(delivery))
        transport.close()
        # What the worker does after the send; the simulator retries the receipt until then.
        Delivery.objects.filter(pk=delivery.pk).update(provider_ref=outcome.provider_ref)
        wait_until(lambda: gateway.stats["receipts_sent"] == 1)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


def envelope(delivery: Delivery, to: str = "+32471234567") -> Envelope:
    return Envelope(
        delivery_id=delivery.pk,
        idempotency_key=delivery.idempotency_key,
        channel=delivery.channel,
        to=to,
        person_id=delivery.recipient.person_id,
        language="nl",
        subject="Inbraak",
        text="Inbraak in de Kerkstraat. Sluit ramen en deuren.",
    )


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- Twilio hooks --------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_twilio_status_marks_the_message_delivered(client):
    delivery = make_delivery(provider_ref="SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "delivered", "AccountSid": "AC1"}
    assert post_twilio(client, "sms_twilio_status", params).status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_twilio_undelivered_to_an_unknown_handset_blames_the_number(client):
    delivery = make_delivery(provider_ref="SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "undelivered", "ErrorCode": "30005"}
    post_twilio(client, "sms_twilio_status", params)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, Reason.PHONE_INVALID)
    assert delivery.error == "Twilio error 30005"


@pytest.mark.django_db
def test_twilio_status_signed_for_another_url_is_refused(client):
    delivery = make_delivery(provider_ref="SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    answer = post_twilio(client, "sms_twilio_status", params, url="https://evil.example/x")
    assert answer.status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.django_db
def test_twilio_status_with_a_tampered_parameter_is_refused(client):
    delivery = make_delivery(provider_ref="SM123")
    path = reverse("hooks:sms_twilio_status")
    signed = {"MessageSid": "SM123", "MessageStatus": "sent"}
    signature = twilio_signature(AUTH_TOKEN, SITE + path, signed)
    sent = {**signed, "MessageStatus": "failed"}
    answer = client.post(path, sent, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.django_db
def test_twilio_hooks_refuse_everything_without_an_auth_token(client, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    make_delivery(provider_ref="SM123")
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    path = reverse("hooks:sms_twilio_status")
    signature = twilio_signature("", SITE + path, params)
    assert client.post(path, params, headers={"X-Twilio-Signature": signature}).status_code == 403


@pytest.mark.django_db
def test_completed_call_marks_the_voice_delivery_delivered(client):
    delivery = make_delivery(channel="voice", provider_ref="CA123")
    params = {"CallSid": "CA123", "CallStatus": "completed", "CallDuration": "31"}
    assert post_twilio(client, "voice_twilio_status", params).status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.mark.django_db
def test_unanswered_call_fails_the_voice_delivery(client):
    delivery = make_delivery(channel="voice", provider_ref="CA123")
    post_twilio(client, "voice_twilio_status", {"CallSid": "CA123", "CallStatus": "no-answer"})
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (DeliveryState.FAILED, Reason.PROVIDER)
    assert delivery.error == "Call no-answer"


@pytest.mark.django_db
def test_ringing_call_changes_nothing(client):
    delivery = make_delivery(channel="voice", provider_ref="CA123")
    answer = post_twilio(
        client, "voice_twilio_status", {"CallSid": "CA123", "CallStatus": "ringing"}
    )
    assert answer.status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT


@pytest.mark.django_db
def test_twilio_inbound_with_a_bad_signature_is_refused(client):
    path = reverse("hooks:sms_twilio_inbound")
    answer = client.post(
        path, {"From": "+32471234567", "Body": "OK"}, headers={"X-Twilio-Signature": "bad"}
    )
    assert answer.status_code == 403


@pytest.mark.django_db
def test_twilio_inbound_answers_empty_twiml(client):
    answer = post_twilio(client, "sms_twilio_inbound", {"From": "+32479999999", "Body": "OK"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/xml")
    root = ET.fromstring(answer.content)  # noqa: S314 - our own answer
    assert (root.tag, list(root)) == ("Response", [])


@pytest.fixture
def twilio(settings):
    with FakeTwilio() as fake:
        settings.TWILIO_BASE_URL = fake.url
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_FROM = "+3225550000"
        yield fake


@pytest.mark.django_db(transaction=True)
def test_twilio_status_callback_reaches_the_app_over_http(live_server, settings, twilio):
    settings.SITE_URL = live_server.url
    delivery = make_delivery(provider_ref="")
    transport = TwilioSmsTransport()
    outcome = transport.send(envelope(delivery))
    transport.close()
    Delivery.objects.filter(pk=delivery.pk).update(provider_ref=outcome.provider_ref)
    assert twilio.send_status(outcome.provider_ref, "delivered").status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_twilio_call_status_callback_reaches_the_app_over_http(live_server, settings, twilio):
    settings.SITE_URL = live_server.url
    delivery = make_delivery(channel="voice", provider_ref="")
    transport = TwilioVoiceTransport()
    outcome = transport.send(envelope(delivery))
    transport.close()
    Delivery.objects.filter(pk=delivery.pk).update(provider_ref=outcome.provider_ref)
    assert twilio.send_status(outcome.provider_ref, "busy").status_code == 200
    delivery.refresh_from_db()
    assert (delivery.state, delivery.error) == (DeliveryState.FAILED, "Call busy")


@pytest.mark.django_db(transaction=True)
def test_twilio_inbound_reply_is_threaded_to_the_message_over_http(live_server, settings, twilio):
    settings.SITE_URL = live_server.url
    delivery = make_delivery(person=PersonFactory(phone="+32471112233"))
    url = live_server.url + reverse("hooks:sms_twilio_inbound")
    answer = twilio.send_inbound(url, sender="+32471112233", body="Ik zag een witte bestelwagen")
    assert answer.status_code == 200
    [reply] = delivery.message.replies.all()
    assert (reply.body, reply.channel) == ("Ik zag een witte bestelwagen", "sms")
