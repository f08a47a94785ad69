"""Redis (the task broker) down when the officer presses send (issue 24, finding 4): the
alert is saved, the page answers with the message, and the tick hands the deliveries out
once the broker answers again. The test with real processes and a real Redis is in
buurtnet/delivery/tests/test_faults_processes.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.delivery import outbox
from buurtnet.delivery.models import Delivery
from buurtnet.delivery.queues import QUEUES
from buurtnet.delivery.tests.throwaway import free_port
from buurtnet.messaging.models import Message
from buurtnet.networks.tests.test_views import log_in

from .test_idempotency import alert_form, token_of

IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}
}


@pytest.fixture
def broker_down(settings):
    """The RQ backend, pointed at a port where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0?socket_connect_timeout=1"
    settings.RQ_QUEUES = {queue: {"URL": url} for queue in QUEUES}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": QUEUES}}
    return settings


@pytest.fixture
def officer(world, client):
    for person in (world.member, world.coordinator):
        person.channels = ["email", "sms", "inapp"]
        person.save()
    return log_in(client, world.officer)


def send(officer, world, capture):
    token = token_of(officer.get(reverse("messaging:compose")))
    with capture(execute=True):
        return officer.post(reverse("messaging:compose"), alert_form(world, client_token=token))


def test_send_with_the_broker_down_answers_with_the_saved_message(
    world, officer, broker_down, django_capture_on_commit_callbacks
):
    page = send(officer, world, django_capture_on_commit_callbacks)
    [message] = Message.objects.all()
    assert page.status_code == 302
    assert page.url == reverse("messaging:detail", args=[message.pk])
    shown = officer.get(page.url)
    assert shown.status_code == 200
    assert Delivery.objects.filter(message=message, channel__in=["email", "sms"]).exists()
    assert set(
        Delivery.objects.filter(message=message, channel__in=["email", "sms"]).values_list(
            "state", flat=True
        )
    ) == {"queued"}


def test_send_with_the_broker_down_logs_one_line_instead_of_raising(
    world, officer, broker_down, django_capture_on_commit_callbacks, caplog
):
    send(officer, world, django_capture_on_commit_callbacks)
    warnings = [r for r in caplog.records if "Could not enqueue" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].exc_info is None
    assert "task broker does not answer" in warnings[0].getMessage()


def test_deliveries_queued_while_the_broker_was_down_go_out_once_the_tick_runs(
    world, officer, broker_down, django_capture_on_commit_callbacks, settings
):
    send(officer, world, django_capture_on_commit_callbacks)
    message = Message.objects.get()
    settings.TASKS = IMMEDIATE  # the broker is back
    later = timezone.now() + timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.recover(now=later) > 0
    states = Delivery.objects.filter(message=message, channel__in=["email", "sms"])
    assert set(states.values_list("state", flat=True)) == {"sent"}


def test_queued_deliveries_are_not_enqueued_again_before_their_task_could_be_lost(
    world, officer, broker_down, django_capture_on_commit_callbacks, settings
):
    send(officer, world, django_capture_on_commit_callbacks)
    settings.TASKS = IMMEDIATE
    soon = timezone.now() + timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER_SECONDS - 5)
    assert outbox.recover(now=soon) == 0


def test_deliveries_wait_at_most_thirty_seconds_for_a_lost_task(settings):
    # The tick runs every 10 s (scripts/serve-with-worker, docs/operations.md).
    assert settings.DELIVERY_REQUEUE_AFTER_SECONDS + 10 <= 30
