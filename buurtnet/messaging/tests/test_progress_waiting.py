"""The sender's progress page says why deliveries wait, per channel, in words (issue 24)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import resolve
from django.utils import timezone
from freezegun import freeze_time

from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.messaging import services
from buurtnet.messaging.tests.test_send import draft
from buurtnet.messaging.waiting import ChannelPause, why_waiting
from buurtnet.networks.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db

# 14:02 in Brussels (winter time).
NOW = datetime(2026, 1, 13, 13, 2, tzinfo=UTC)
INTERNAL_CODES = ("awaiting_retry", "retry", "quiet_hours", "sending_hours", "provider", "Errno")


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Import the URLconf (and the API's pydantic schemas) before a test freezes the clock:
    pydantic cannot build a schema for freezegun's fake datetime class."""
    resolve("/")


@pytest.fixture
def alert(world):
    """An officer's alert to our BIN whose e-mails (one per member) still wait: the tasks
    that would send them never ran."""
    with freeze_time(NOW):
        message = services.submit(
            world.officer, draft(target={"type": "networks", "networks": [world.network.pk]})
        )
    assert Delivery.objects.filter(message=message, channel="email", state="queued").count() == 4
    return message


def emails(message):
    return Delivery.objects.filter(message=message, channel="email")


def progress_text(client, person, message) -> str:
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = True  # staff count as having passed their second factor
    session.save()
    response = client.get(f"/messages/{message.pk}/progress/")
    assert response.status_code == 200
    return response.content.decode()


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_the_mail_server_cannot_be_reached_and_when_it_is_tried_again(
    client, world, alert
):
    emails(alert).update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        error="Cannot connect to the mail server: [Errno 111] Connection refused",
        next_attempt_at=NOW + timedelta(minutes=3),
        attempts=1,
    )
    html = progress_text(client, world.officer, alert)
    assert "Why deliveries wait" in html
    assert (
        "E-mail: 4 waiting since 14:02 because the mail server cannot be reached; next try at 14:05"
        in html
    )
    for code in INTERNAL_CODES:
        assert code not in html


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_the_sms_provider_answered_with_an_error(client, world, alert):
    emails(alert).update(
        channel="sms",
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        error="Simulator answered 500: gateway down",
        next_attempt_at=NOW + timedelta(minutes=2),
    )
    html = progress_text(client, world.officer, alert)
    assert (
        "Text message (SMS): 4 waiting since 14:02 because the SMS provider answered with an "
        "error; next try at 14:04" in html
    )


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_the_provider_asked_to_slow_down(client, world, alert):
    emails(alert).update(
        channel="sms",
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        error="Simulator answered 429: too many requests",
        next_attempt_at=NOW + timedelta(minutes=2),
    )
    html = progress_text(client, world.officer, alert)
    assert "the SMS provider asked us to slow down; next try at 14:04" in html


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_deliveries_wait_for_the_members_quiet_hours(client, world, alert):
    emails(alert).update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.QUIET_HOURS,
        next_attempt_at=NOW + timedelta(hours=7),
    )
    html = progress_text(client, world.officer, alert)
    assert "E-mail: 4 held back during the members&#x27; quiet hours, until 21:02" in html
    for code in INTERNAL_CODES:
        assert code not in html


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_deliveries_wait_outside_the_plans_sending_hours(client, world, alert):
    emails(alert).update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.SENDING_HOURS,
        next_attempt_at=NOW + timedelta(days=1),
    )
    html = progress_text(client, world.officer, alert)
    assert "held back outside the plan&#x27;s sending hours, until 14 January 14:02" in html


@freeze_time(NOW + timedelta(minutes=4))
def test_progress_says_queued_deliveries_wait_for_a_worker(client, world, alert):
    html = progress_text(client, world.officer, alert)
    assert "E-mail: 4 in the queue since 14:02, waiting for a worker" in html


@freeze_time(NOW + timedelta(minutes=10))
def test_progress_says_a_stopped_workers_deliveries_are_taken_over(client, world, alert):
    emails(alert).update(state=DeliveryState.INFLIGHT, lease_until=NOW + timedelta(minutes=5))
    html = progress_text(client, world.officer, alert)
    assert (
        "E-mail: 4 were being sent by a worker that stopped; another worker takes them over" in html
    )


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_says_deliveries_being_sent(client, world, alert):
    emails(alert).update(state=DeliveryState.INFLIGHT, lease_until=NOW + timedelta(minutes=5))
    assert "E-mail: 4 being sent now" in progress_text(client, world.officer, alert)


@freeze_time(NOW + timedelta(minutes=1))
def test_progress_splits_one_channel_by_cause(client, world, alert):
    first, *others = emails(alert).order_by("id")
    Delivery.objects.filter(pk=first.pk).update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.QUIET_HOURS,
        next_attempt_at=NOW + timedelta(hours=2),
    )
    html = progress_text(client, world.officer, alert)
    assert "E-mail: 1 held back during the member&#x27;s quiet hours, until 16:02" in html
    assert "E-mail: 3 in the queue since 14:02, waiting for a worker" in html


def test_progress_without_waiting_deliveries_gives_no_reasons(client, world, alert):
    Delivery.objects.filter(message=alert).exclude(state="skipped").update(
        state=DeliveryState.SENT, sent_at=timezone.now()
    )
    assert "Why deliveries wait" not in progress_text(client, world.officer, alert)


def test_a_paused_channel_says_since_when_and_the_next_try(world, alert):
    emails(alert).update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        error="Cannot connect to the mail server: [Errno 111] Connection refused",
        next_attempt_at=NOW + timedelta(minutes=1),
    )
    pause = ChannelPause(since=NOW - timedelta(minutes=2), next_try=NOW + timedelta(minutes=3))
    groups = why_waiting(alert, paused={"email": pause}, now=NOW + timedelta(minutes=1))
    assert [g.text for g in groups if g.channel == "email"] == [
        "E-mail: 4 waiting: sending is paused since 14:00 because the mail server kept "
        "failing; next try at 14:05"
    ]


def test_waiting_reasons_are_counted_in_one_query(world, alert, django_assert_num_queries):
    with django_assert_num_queries(1):
        why_waiting(alert, paused={}, now=NOW)


def test_progress_says_the_workers_paused_the_mail_server(client, world, alert):
    from buurtnet.delivery.breaker import provider_name
    from buurtnet.delivery.models import ProviderHealth, ProviderState

    now = timezone.now()
    ProviderHealth.objects.create(
        provider=provider_name("email"),
        channel="email",
        state=ProviderState.OPEN,
        failures=5,
        down_since=now - timedelta(minutes=2),
        next_try_at=now + timedelta(minutes=3),
        last_error="Cannot connect to the mail server: [Errno 111] Connection refused",
        last_error_at=now,
    )
    html = progress_text(client, world.officer, alert)
    assert "E-mail: 4 waiting: sending is paused since" in html
    assert "because the mail server kept failing; next try at" in html
