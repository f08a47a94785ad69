"""Feedback reaches the reporter through the real sinks: SMTP on loopback and the SMS
gateway simulator over HTTP, sent by the delivery workers' code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buurtnet.delivery.models import Delivery
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.delivery.tests.smtp_sink import SmtpSink
from buurtnet.reports import services
from buurtnet.reports.services import ReportInput


@pytest.fixture
def sinks(settings):
    with SmtpSink() as smtp, SimulatorServer(fail_prefix="+3249999") as simulator:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.SMS_TRANSPORT = "simulator"
        settings.SMS_SIMULATOR_URL = simulator.url
        yield smtp, simulator


def test_feedback_reaches_the_reporter_by_email_and_sms(
    world, sinks, django_capture_on_commit_callbacks
):
    smtp, simulator = sinks
    member = world.member
    member.channels = ["email", "sms", "inapp"]
    member.language = "nl"
    member.save()
    category = services.categories_for(world.zone).get(code="burglary")
    with django_capture_on_commit_callbacks(execute=True):
        report = services.file_report(
            member,
            ReportInput(
                network_id=world.network.pk,
                category_id=category.pk,
                occurred_at=timezone.now() - timedelta(hours=1),
                longitude=3.265,
                latitude=50.825,
                description="Achterdeur van nummer 8 stond open, slot beschadigd.",
            ),
        )
    # The officer hears of the report by e-mail, the plan's channel for reports.
    assert world.officer.email in smtp.handler.recipients()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_feedback(
            report,
            world.officer,
            "Een patrouille heeft het pand gecontroleerd. Bedankt voor uw melding.",
            sms_text="Politie: patrouille ter plaatse geweest. Bedankt voor uw melding.",
        )
    mails = [m for m in smtp.handler.messages if m["To"] == member.email]
    assert len(mails) == 1
    plain = next(p for p in mails[0].walk() if p.get_content_type() == "text/plain")
    assert "Een patrouille heeft het pand gecontroleerd" in plain.get_payload(decode=True).decode()
    texts = [m for m in simulator.messages if m["to"] == member.phone]
    assert [m["text"] for m in texts] == [
        "Politie: patrouille ter plaatse geweest. Bedankt voor uw melding."
    ]
    states = dict(Delivery.objects.filter(message=message).values_list("channel", "state"))
    assert states == {"email": "sent", "sms": "sent", "inapp": "delivered"}
