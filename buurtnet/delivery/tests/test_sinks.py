"""A code by e-mail and SMS reaches real sinks: the outbox, SMTP on loopback, and the task
worker."""

import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from buurtnet.delivery import services
from buurtnet.delivery.models import Delivery, DeliveryState, OutboxMessage
from buurtnet.delivery.queues import QUEUES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox
    controller.stop()


def code(channel: str, to: str, text: str, subject: str = ""):
    return services.send_code(None, channel=channel, to=to, subject=subject, text=text)


@pytest.mark.django_db
def test_an_emailed_code_goes_through_real_smtp(smtp_server, now_sends):
    notice = now_sends(code, "email", "ann@example.be", "Hallo Ann", "Welkom")
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == ["ann@example.be"]
    assert b"Hallo Ann" in envelope.content
    assert notice.deliveries.get().state == DeliveryState.SENT


@pytest.mark.django_db
def test_a_texted_code_lands_in_the_outbox(now_sends):
    now_sends(code, "sms", "+32470123456", "Uw code is 123456")
    assert OutboxMessage.objects.get(channel="sms").body == "Uw code is 123456"


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        code("email", "ann@example.be", "b", "s")
    assert len(callbacks) == 1  # waits for the commit
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_database_worker_runs_queued_mail(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}
    code("email", "ann@example.be", "From the worker", "Queued")
    assert not OutboxMessage.objects.exists()
    assert Delivery.objects.get().state == DeliveryState.QUEUED
    call_command(
        "db_worker",
        queue_name="alerts",
        max_tasks=1,
        interval=0.1,
        no_startup_delay=True,
        verbosity=0,
    )
    assert OutboxMessage.objects.get().subject == "Queued"
