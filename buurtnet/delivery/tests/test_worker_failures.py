"""A delivery that cannot be sent never holds up its batch: line breaks in a title are
folded out of the mail headers, and an unexpected error fails that one delivery (with
the error and a fallback), so nothing stays in flight."""

import pytest

from buurtnet.delivery.channels import FIXED_TRANSPORTS, Outcome
from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.delivery.tests.smtp_sink import SmtpSink
from buurtnet.messaging import services
from buurtnet.messaging.services import Draft


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
