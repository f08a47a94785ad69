"""Plain-text copies (e-mail text parts, subjects, SMS) carry text as written; only the
HTML part of an e-mail escapes it."""

from types import SimpleNamespace

import pytest

from buurtnet.delivery.models import OutboxMessage
from buurtnet.delivery.services import notify_person
from buurtnet.delivery.tests.smtp_sink import SmtpSink
from buurtnet.messaging import services
from buurtnet.messaging.services import Draft

AWKWARD = "L'Espinette & Co <Noord>"


@pytest.fixture
def texting_member(world):
    member = world.member
    member.channels, member.language = ["email", "sms", "inapp"], "en"
    member.save()
    return member


def test_notification_subject_body_and_sms_are_not_html_escaped(world, texting_member, now_sends):
    network = SimpleNamespace(name=AWKWARD)
    message = SimpleNamespace(title=AWKWARD, pk=7)
    now_sends(
        notify_person,
        texting_member,
        "messaging/email/forward_overdue",
        {"message": message, "network": network},
    )
    mail = OutboxMessage.objects.get(channel="email", recipient=texting_member.email)
    assert mail.subject == f"Not forwarded in time in {AWKWARD}"
    assert f'your message "{AWKWARD}"' in mail.body
    sms = OutboxMessage.objects.get(channel="sms", recipient=texting_member.phone)
    assert sms.body.startswith(f"Not forwarded in time in {AWKWARD}.")


def test_message_title_reaches_subject_text_and_sms_as_written(
    world, texting_member, now_sends, settings
):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        now_sends(
            services.submit,
            world.officer,
            Draft(
                kind="notice",
                language="en",
                texts={"en": {"title": AWKWARD, "body": "Tom & Jerry's <b>", "sms_text": ""}},
                target={"type": "networks", "networks": [world.network.pk]},
            ),
        )
    [mail] = [m for m in sink.handler.messages if m["To"] == texting_member.email]
    assert mail["Subject"] == AWKWARD
    plain = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    assert "Tom & Jerry's <b>" in plain.get_payload(decode=True).decode()
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;" in html.get_payload(decode=True).decode()
    sms = OutboxMessage.objects.get(channel="sms", recipient=texting_member.phone)
    assert sms.body == AWKWARD
