"""The e-mail transport against a real SMTP server on loopback (aiosmtpd)."""

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from buurtnet.delivery.channels import Envelope, TransportError
from buurtnet.delivery.channels.email import EmailTransport
from buurtnet.delivery.models import OutboxMessage


class LoopbackController(Controller):
    """aiosmtpd's Controller bound to port 0: the OS picks a free port, no race with other
    tests. The controller's start-up probe needs the real port, so read it first."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Mailbox:
    """Accepts mail, refuses nobody@ (550) and busy@ (450), and hangs up on drop@."""

    def __init__(self) -> None:
        self.messages = []
        self.sessions = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.sessions.add(session.peer)
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try later"
        if address.startswith("drop@"):
            server.transport.abort()
            return "250 OK"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    controller = LoopbackController(box, hostname="127.0.0.1", port=0)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = "https://buurtnet.example.be"
    settings.DEFAULT_FROM_EMAIL = "Buurtnet <noreply@buurtnet.example.be>"
    yield box
    controller.stop()


@pytest.fixture
def transport(mailbox):
    transport = EmailTransport()
    transport.open()
    yield transport
    transport.close()


def envelope(to: str = "ann@example.be", n: int = 1, **fields) -> Envelope:
    values = {
        "delivery_id": n,
        "idempotency_key": f"bn-7-{n}-email",
        "channel": "email",
        "to": to,
        "person_id": n,
        "language": "nl",
        "subject": "Verdachte personen in de Kerkstraat",
        "text": "Wees waakzaam.",
    }
    return Envelope(**(values | fields))


def test_sends_plain_text_with_an_html_alternative(transport, mailbox):
    transport.send(envelope(html="<p>Wees <strong>waakzaam</strong>.</p>"))
    [mail] = mailbox.messages
    assert mail.get_body(("plain",)).get_content().strip() == "Wees waakzaam."
    assert "<strong>waakzaam</strong>" in mail.get_body(("html",)).get_content()


def test_sends_only_plain_text_without_html(transport, mailbox):
    transport.send(envelope())
    [mail] = mailbox.messages
    assert mail.get_content_type() == "text/plain"


def test_addresses_the_recipient_from_the_site_sender(transport, mailbox):
    transport.send(envelope(to="ann@example.be"))
    [mail] = mailbox.messages
    assert mail["To"] == "ann@example.be"
    assert mail["From"] == "Buurtnet <noreply@buurtnet.example.be>"
    assert mail["Subject"] == "Verdachte personen in de Kerkstraat"


def test_message_id_comes_from_the_idempotency_key_and_site_domain(transport, mailbox):
    transport.send(envelope(idempotency_key="bn-7-42-email"))
    [mail] = mailbox.messages
    assert mail["Message-ID"] == "<bn-7-42-email@buurtnet.example.be>"


def test_resending_a_delivery_repeats_its_message_id(transport, mailbox):
    transport.send(envelope(n=3))
    transport.send(envelope(n=3))
    assert mailbox.messages[0]["Message-ID"] == mailbox.messages[1]["Message-ID"]


def test_envelope_headers_are_sent(transport, mailbox):
    headers = {
        "List-Unsubscribe": "<https://buurtnet.example.be/channels/unsubscribe/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Reply-To": "reply+xyz@reply.buurtnet.example.be",
    }
    transport.send(envelope(headers=headers))
    [mail] = mailbox.messages
    for name, value in headers.items():
        assert mail[name] == value


def test_returns_the_message_id_as_provider_reference(transport):
    outcome = transport.send(envelope(idempotency_key="bn-7-5-email"))
    assert (outcome.state, outcome.provider_ref) == ("sent", "bn-7-5-email@buurtnet.example.be")


def test_one_connection_serves_the_whole_batch(transport, mailbox):
    for n in range(5):
        transport.send(envelope(to=f"member{n}@example.be", n=n))
    assert len(mailbox.messages) == 5
    assert len(mailbox.sessions) == 1


def test_refused_recipient_is_a_permanent_bounce(transport):
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(to="nobody@example.be"))
    assert caught.value.permanent
    assert caught.value.reason == "bounced"
    assert "550" in caught.value.message


def test_connection_survives_a_refused_recipient(transport, mailbox):
    with pytest.raises(TransportError):
        transport.send(envelope(to="nobody@example.be", n=1))
    transport.send(envelope(to="ann@example.be", n=2))
    assert len(mailbox.messages) == 1
    assert len(mailbox.sessions) == 1


def test_temporarily_refused_recipient_is_transient(transport):
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(to="busy@example.be"))
    assert not caught.value.permanent


def test_temporarily_refused_recipient_does_not_count_against_the_server(transport):
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(to="busy@example.be"))
    assert caught.value.recipient_only


def test_unreachable_server_counts_against_the_server(settings, mailbox):
    settings.EMAIL_PORT = 1
    transport = EmailTransport()
    with pytest.raises(TransportError) as caught:
        transport.send(envelope())
    transport.close()
    assert not caught.value.recipient_only


def test_dropped_connection_is_transient(transport):
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(to="drop@example.be"))
    assert not caught.value.permanent


def test_send_after_a_dropped_connection_reconnects(transport, mailbox):
    with pytest.raises(TransportError):
        transport.send(envelope(to="drop@example.be", n=1))
    transport.send(envelope(to="ann@example.be", n=2))
    assert [mail["To"] for mail in mailbox.messages] == ["ann@example.be"]
    assert len(mailbox.sessions) == 2


def test_unreachable_server_is_transient(settings, mailbox):
    settings.EMAIL_PORT = 1  # nothing listens on port 1 on loopback
    transport = EmailTransport()
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(envelope())
    transport.close()
    assert not caught.value.permanent


@pytest.mark.django_db
def test_works_with_the_local_outbox_backend():
    transport = EmailTransport()
    transport.open()
    transport.send(envelope(to="ann@example.be"))
    transport.close()
    assert OutboxMessage.objects.get().recipient == "ann@example.be"
