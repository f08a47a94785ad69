"""A delivery that cannot be sent never holds up its batch: line breaks in a title are
folded out of the mail headers, and an unexpected error while rendering or sending fails
that one delivery (with the error and a fallback), of an alert or of a notice, so nothing
stays in flight and the rest of the batch is sent."""

import pytest

from buurtnet.delivery import notices, registry, worker
from buurtnet.delivery.channels import FIXED_TRANSPORTS, Outcome
from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.delivery.services import notify_person
from buurtnet.delivery.tests.smtp_sink import SmtpSink
from buurtnet.messaging import services
from buurtnet.messaging.rendering import Renderer
from buurtnet.messaging.services import Draft

DECIDED = "networks/email/application_approved"


def notice(network, title: str) -> Draft:
    return Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": title, "body": "Road closed on Sunday.", "sms_text": ""}},
        target={"type": "networks", "networks": [network.pk]},
    )


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = False
        yield sink


class ExplodingTransport:
    """Sends like a healthy e-mail transport, except to one address, where it raises an
    exception no transport is expected to raise."""

    channel = "email"
    victim = ""
    sent: list[str] = []

    def open(self) -> None:
        pass

    def send(self, envelope) -> Outcome:
        if envelope.to == self.victim:
            raise RuntimeError("unexpected state in the transport")
        ExplodingTransport.sent.append(envelope.to)
        return Outcome(state="sent", provider_ref=envelope.idempotency_key)

    def close(self) -> None:
        pass


def test_title_with_line_breaks_goes_out_with_a_one_line_subject(world, now_sends, smtp):
    world.member.channels = ["email", "inapp"]
    world.member.save()
    message = now_sends(
        services.submit,
        world.officer,
        notice(world.network, "Street party\r\nin the\nKerkstraat\r"),
    )
    [mail] = [m for m in smtp.handler.messages if m["To"] == world.member.email]
    assert mail["Subject"] == "Street party in the Kerkstraat"
    delivery = Delivery.objects.get(
        message=message, recipient__person=world.member, channel="email"
    )
    assert delivery.state == DeliveryState.SENT


def test_unexpected_transport_error_fails_the_delivery_and_falls_back(
    world, now_sends, monkeypatch
):
    monkeypatch.setitem(
        FIXED_TRANSPORTS, "email", "buurtnet.delivery.tests.test_worker_failures.ExplodingTransport"
    )
    monkeypatch.setattr(ExplodingTransport, "sent", [])
    victim = world.member
    monkeypatch.setattr(ExplodingTransport, "victim", victim.email)
    victim.channels = ["email", "voice", "inapp"]
    victim.save()
    world.steering.channels = ["email", "inapp"]
    world.steering.save()
    message = now_sends(services.submit, world.officer, notice(world.network, "Street party"))

    failed = Delivery.objects.get(message=message, recipient__person=victim, channel="email")
    assert (failed.state, failed.reason) == (DeliveryState.FAILED, Reason.SENDING_ERROR)
    assert "RuntimeError: unexpected state in the transport" in failed.error
    fallback = Delivery.objects.get(message=message, recipient__person=victim, channel="voice")
    assert (fallback.fallback_from_id, fallback.state) == (failed.pk, DeliveryState.SENT)
    assert world.steering.email in ExplodingTransport.sent
    assert not Delivery.objects.filter(message=message, state=DeliveryState.INFLIGHT).exists()


# --- Rendering that raises ------------------------------------------------------------------


class ExplodingRenderer:
    """messaging's renderer, except for one person's e-mail, where a template breaks."""

    victim = ""

    def __init__(self, message) -> None:
        self.inner = Renderer(message)

    def envelope(self, delivery, person):
        if person.email == self.victim and delivery.channel == "email":
            raise ValueError("a template tag broke")
        return self.inner.envelope(delivery, person)


def test_a_message_whose_rendering_raises_fails_falls_back_and_the_rest_is_sent(
    world, now_sends, monkeypatch
):
    victim = world.member
    monkeypatch.setattr(ExplodingRenderer, "victim", victim.email)
    monkeypatch.setattr(registry, "_renderer", [ExplodingRenderer])
    victim.channels = ["email", "voice", "inapp"]
    victim.save()
    message = now_sends(services.submit, world.officer, notice(world.network, "Street party"))

    failed = Delivery.objects.get(message=message, recipient__person=victim, channel="email")
    assert (failed.state, failed.reason) == (DeliveryState.FAILED, Reason.SENDING_ERROR)
    assert failed.error == "ValueError: a template tag broke"
    fallback = Delivery.objects.get(message=message, recipient__person=victim, channel="voice")
    assert (fallback.fallback_from_id, fallback.state) == (failed.pk, DeliveryState.SENT)
    others = Delivery.objects.filter(message=message, channel="email").exclude(pk=failed.pk)
    assert others.count() == 3
    assert set(others.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_a_message_whose_renderer_cannot_be_made_fails_its_batch_and_falls_back(
    world, now_sends, monkeypatch
):
    made: list[int] = []

    def renderer_failing_once(message):
        made.append(message.pk)
        if len(made) == 1:
            raise KeyError("texts")
        return Renderer(message)

    monkeypatch.setattr(registry, "_renderer", [renderer_failing_once])
    for person in (world.member, world.steering, world.coordinator, world.officer):
        person.channels = ["email", "voice", "inapp"]
        person.save()
    message = now_sends(services.submit, world.officer, notice(world.network, "Street party"))

    mails = Delivery.objects.filter(message=message, channel="email")
    assert set(mails.values_list("state", "reason", "error")) == {
        (DeliveryState.FAILED, Reason.SENDING_ERROR, "KeyError: 'texts'")
    }
    calls = Delivery.objects.filter(message=message, channel="voice")
    assert {call.fallback_from_id for call in calls} == set(mails.values_list("pk", flat=True))
    assert set(calls.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert len(made) == 2  # once for the e-mail batch (failed), once for the calls


def test_a_notice_whose_rendering_raises_fails_falls_back_and_the_rest_is_sent(
    world, now_sends, monkeypatch
):
    victim = world.member
    victim.channels = ["email", "inapp"]
    victim.save()
    made = [
        notify_person(person, DECIDED, {"network": world.network})  # not sent yet
        for person in (world.steering, victim, world.coordinator)
    ]
    victim.channels = ["email", "sms", "inapp"]  # chosen since: the fallback
    victim.save()
    real = notices.envelope

    def exploding(delivery, notice):
        if notice.person_id == victim.pk and delivery.channel == "email":
            raise ValueError("a broken notice")
        return real(delivery, notice)

    monkeypatch.setattr(notices, "envelope", exploding)
    ids = list(
        Delivery.objects.filter(notice__in=made, channel="email").values_list("id", flat=True)
    )
    assert now_sends(worker.deliver_ids, ids, "email") == 2

    failed = Delivery.objects.get(notice__person=victim, channel="email")
    assert (failed.state, failed.reason) == (DeliveryState.FAILED, Reason.SENDING_ERROR)
    assert failed.error == "ValueError: a broken notice"
    text = Delivery.objects.get(notice__person=victim, channel="sms")
    assert (text.fallback_from_id, text.state) == (failed.pk, DeliveryState.SENT)
    sent = Delivery.objects.filter(pk__in=ids).exclude(pk=failed.pk)
    assert set(sent.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert not Delivery.objects.filter(state=DeliveryState.INFLIGHT).exists()
