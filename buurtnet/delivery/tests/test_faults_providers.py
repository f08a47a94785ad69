"""Provider outages (issue 24, finding 5): a gateway that is down or asks us to wait is
paused for every worker, not tried for each row; its deliveries wait without using their
attempts, for as long as their message is valid, then fail with the reason and fall back.

The first test runs real worker processes against the SMS simulator over HTTP, which
counts every request it receives, whatever it answers."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from buurtnet.delivery import worker
from buurtnet.delivery.models import Delivery, DeliveryState, ProviderHealth, Reason
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.messaging import services
from buurtnet.messaging.models import Message
from buurtnet.messaging.tests.test_send import draft

from .fake_twilio import FakeTwilio
from .smtp_sink import SmtpSink
from .test_fanout_workers import (  # noqa: F401 - audience is a fixture
    FAILING,
    audience,
    manage,
    pending,
    send_alert,
    wait_until,
    worker_env,
)

OUTAGE_500_SECONDS = 4
OUTAGE_429_SECONDS = 4
# Answers the workers may get from the gateway while it is down: a few failures before the
# pause and one probe per pause, per worker. Without the pause it is at least one per SMS.
MAX_REQUESTS_DURING_OUTAGE = 12


def test_sms_outage_then_recovery_delivers_each_sms_once_without_hammering_the_gateway(
    audience,  # noqa: F811 - the fixture imported above
):
    network, officer, members = audience
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(
            smtp,
            simulator,
            PROVIDER_FAILURES_BEFORE_PAUSE="3",
            PROVIDER_PAUSE_SECONDS="1",
            PROVIDER_PAUSE_MAX_SECONDS="2",
            DELIVERY_RETRY_BASE_SECONDS="0.5",
            # Without the pause, an outage this long would use up every attempt.
            DELIVERY_MAX_ATTEMPTS="2",
        )
        # "500 for a while, then 429 with Retry-After", compressed from minutes to seconds,
        # from the first SMS the workers try on.
        simulator.go_down(500, OUTAGE_500_SECONDS)
        simulator.go_down(429, OUTAGE_429_SECONDS, retry_after=1)
        message_id = send_alert(network, officer, env)
        processes = [
            manage("db_worker", "--queue-name", "*", "--interval", "0.1", env=env) for _ in range(2)
        ]
        processes.append(manage("tick", "--every", "1", env=env))
        try:
            wait_until(lambda: pending(message_id) == 0, timeout=120)
        finally:
            for process in processes:
                process.terminate()
                process.communicate(timeout=30)

        requests = simulator.requests
        # Every request until the gateway came back was answered with an error.
        during = [status for _when, status in requests if status in (500, 429)]
        assert 500 in during and 429 in during
        assert len(during) <= MAX_REQUESTS_DURING_OUTAGE, Counter(during)
        assert requests[-1][0] - requests[0][0] >= OUTAGE_500_SECONDS + OUTAGE_429_SECONDS
        assert Counter(m["to"] for m in simulator.messages) == Counter(m.phone for m in members)
        assert simulator.stats["accepted"] == len(members)
    sms = Delivery.objects.filter(message_id=message_id, channel="sms")
    assert sms.filter(state=DeliveryState.SENT).count() == len(members)
    assert not ProviderHealth.objects.exclude(state="closed").exists()


# --- In one process, against the simulator and the fake Twilio ---------------------------


@pytest.fixture
def texting(world, settings):
    """Every person of our BIN is reached by SMS (and the inbox)."""
    for person in people(world):
        person.channels = ["sms", "inapp"]
        person.save()
    settings.PROVIDER_FAILURES_BEFORE_PAUSE = 2
    settings.PROVIDER_PAUSE_SECONDS = 60
    settings.DELIVERY_MAX_ATTEMPTS = 2
    return world


@pytest.fixture
def gateway(settings):
    with SimulatorServer(fail_prefix=FAILING) as server:
        settings.SMS_TRANSPORT = "simulator"
        settings.SMS_SIMULATOR_URL = server.url
        yield server


def people(world) -> list:
    return [world.member, world.steering, world.coordinator, world.officer]


def send(world, now_sends) -> Message:
    return now_sends(
        services.submit,
        world.officer,
        draft(target={"type": "networks", "networks": [world.network.pk]}),
    )


def texts(message: Message):
    return Delivery.objects.filter(message=message, channel="sms").order_by("id")


def test_sms_to_a_paused_gateway_waits_without_being_sent(texting, gateway, now_sends):
    gateway.go_down(500, 60)
    before = timezone.now()
    message = send(texting, now_sends)
    assert len(gateway.requests) == 2  # the failures that paused it, not one per SMS
    rows = list(texts(message))
    assert {row.state for row in rows} == {DeliveryState.AWAITING_RETRY}
    # The first failure was before the pause (one attempt); the rest were not tried.
    assert [row.attempts for row in rows] == [1, 0, 0, 0]
    for row in rows[1:]:
        assert row.next_attempt_at >= before + timedelta(seconds=60)


def test_an_outage_longer_than_the_attempts_does_not_fail_the_sms(
    texting, gateway, now_sends, settings
):
    settings.PROVIDER_PAUSE_SECONDS = 0.05
    settings.PROVIDER_PAUSE_MAX_SECONDS = 0.05
    gateway.go_down(503, 1.5)
    message = send(texting, now_sends)
    ids = list(texts(message).values_list("id", flat=True))
    tries = 0
    while texts(message).exclude(state=DeliveryState.SENT).exists() and tries < 100:
        time.sleep(0.06)
        texts(message).filter(state=DeliveryState.AWAITING_RETRY).update(
            next_attempt_at=timezone.now()
        )
        worker.deliver_ids(ids, "sms")
        tries += 1
    failures = sum(1 for _when, status in gateway.requests if status == 503)
    assert failures > settings.DELIVERY_MAX_ATTEMPTS * len(ids)  # the outage was long
    assert {row.state for row in texts(message)} == {DeliveryState.SENT}
    assert gateway.stats["accepted"] == len(ids)


def test_sms_that_outlives_its_message_fails_with_the_reason_and_falls_back(
    texting, gateway, now_sends, settings
):
    settings.DELIVERY_VALID_MINUTES = 60
    gateway.go_down(500, 60)
    message = send(texting, now_sends)
    # Two hours later the gateway is still down: the alert's 60 minutes are over.
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    texts(message).update(next_attempt_at=timezone.now())
    for person in people(texting):  # a voice call is their second way, chosen since
        person.channels = ["sms", "voice", "inapp"]
        person.save()
    worker.deliver_ids(list(texts(message).values_list("id", flat=True)), "sms")
    rows = list(texts(message))
    assert {(row.state, row.reason) for row in rows} == {(DeliveryState.FAILED, Reason.PROVIDER)}
    assert "expired" in rows[-1].error and "gateway unavailable" in rows[-1].error
    calls = Delivery.objects.filter(message=message, channel="voice")
    assert {call.fallback_from_id for call in calls} == {row.pk for row in rows}
    assert len(gateway.requests) == 2  # the probe time had not come: nothing more was sent


def test_the_rule_response_time_keeps_the_sms_waiting_when_longer_than_the_setting(
    texting, gateway, now_sends, settings
):
    settings.DELIVERY_VALID_MINUTES = 60
    gateway.go_down(500, 60)
    message = send(texting, now_sends)
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(hours=2))
    [link] = message.networks.all()
    link.rule = link.applied_rule.replace(response_minutes=24 * 60).to_json()
    link.save()
    texts(message).update(next_attempt_at=timezone.now())
    worker.deliver_ids(list(texts(message).values_list("id", flat=True)), "sms")
    assert {row.state for row in texts(message)} == {DeliveryState.AWAITING_RETRY}


def test_retry_after_from_twilio_makes_every_sms_wait_that_long(texting, now_sends, settings):
    with FakeTwilio() as twilio:
        settings.SMS_TRANSPORT = "twilio"
        settings.TWILIO_BASE_URL = twilio.url
        settings.TWILIO_ACCOUNT_SID = twilio.account_sid
        settings.TWILIO_AUTH_TOKEN = twilio.auth_token
        settings.TWILIO_FROM = "+3225550000"
        twilio.fail_next(1, status=429, retry_after=120)
        before = timezone.now()
        message = send(texting, now_sends)
        assert twilio.requests == 1
    rows = list(texts(message))
    assert {row.state for row in rows} == {DeliveryState.AWAITING_RETRY}
    assert all(row.attempts == 0 for row in rows)
    assert min(row.next_attempt_at for row in rows) >= before + timedelta(seconds=120)
    pause = ProviderHealth.objects.get(provider="sms:twilio")
    assert pause.next_try_at >= before + timedelta(seconds=120)
    assert "429" in pause.last_error
