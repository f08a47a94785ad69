"""SMS transports against the local simulator and the fake Twilio, over real HTTP."""

import time

import pytest
from django.urls import reverse

from buurtnet.delivery.channels import Envelope, TransportError, get_transport
from buurtnet.delivery.channels.sms import (
    OutboxSmsTransport,
    SimulatorSmsTransport,
    TwilioSmsTransport,
)
from buurtnet.delivery.models import OutboxMessage, Reason
from buurtnet.delivery.services import send_code
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.delivery.tests.fake_twilio import FakeTwilio
from buurtnet.delivery.tests.test_sinks import free_port


def envelope(to: str = "+32471234567", key: str = "bn-1-1-sms", text: str = "Inbraak") -> Envelope:
    return Envelope(
        delivery_id=1,
        idempotency_key=key,
        channel="sms",
        to=to,
        person_id=1,
        language="nl",
        subject="",
        text=text,
    )


@pytest.fixture
def gateway(settings):
    with SimulatorServer() as server:
        settings.SMS_SIMULATOR_URL = server.url
        yield server


@pytest.fixture
def simulator_transport(gateway):
    transport = SimulatorSmsTransport(timeout=0.5)
    transport.open()
    yield transport
    transport.close()


@pytest.fixture
def twilio(settings):
    with FakeTwilio() as fake:
        settings.TWILIO_BASE_URL = fake.url
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.TWILIO_FROM = "+3225550000"
        settings.SITE_URL = "https://buurtnet.example"
        yield fake


@pytest.fixture
def twilio_transport(twilio):
    transport = TwilioSmsTransport(timeout=0.5)
    transport.open()
    yield transport
    transport.close()


def permanent_error(transport, env: Envelope) -> TransportError:
    with pytest.raises(TransportError) as caught:
        transport.send(env)
    return caught.value


# --- Outbox --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outbox_transport_keeps_the_sms_in_the_outbox():
    outcome = OutboxSmsTransport().send(envelope(text="Uw code is 123456"))
    stored = OutboxMessage.objects.get(channel="sms")
    assert (stored.recipient, stored.body) == ("+32471234567", "Uw code is 123456")
    assert outcome.provider_ref == f"outbox-{stored.pk}"


def test_configured_transport_is_the_simulator(settings):
    settings.SMS_TRANSPORT = "simulator"
    transport = get_transport("sms")
    assert isinstance(transport.inner, SimulatorSmsTransport)  # behind its provider's breaker


# --- Simulator -----------------------------------------------------------------------------


def test_simulator_transport_sends_the_text_and_returns_the_gateway_id(
    simulator_transport, gateway
):
    outcome = simulator_transport.send(envelope(text="Verdachte wagen"))
    [message] = gateway.messages
    assert (outcome.state, outcome.provider_ref) == ("sent", message["id"])
    assert (message["to"], message["text"], message["from"]) == (
        "+32471234567",
        "Verdachte wagen",
        "Buurtnet",
    )


def test_simulator_transport_passes_the_idempotency_key(simulator_transport, gateway):
    simulator_transport.send(envelope(key="bn-7-9-sms"))
    assert gateway.messages[0]["idempotency_key"] == "bn-7-9-sms"


def test_resend_after_a_crash_is_dropped_by_the_simulator(simulator_transport, gateway):
    first = simulator_transport.send(envelope(key="bn-7-9-sms"))
    # A new worker, as after a crash, sends the same delivery again.
    again_transport = SimulatorSmsTransport()
    again = again_transport.send(envelope(key="bn-7-9-sms"))
    again_transport.close()
    assert again.provider_ref == first.provider_ref
    assert len(gateway.messages) == 1
    assert gateway.stats["duplicates"] == 1


def test_simulator_transport_reuses_one_connection(simulator_transport, gateway):
    for n in range(25):
        simulator_transport.send(envelope(key=f"bn-{n}-1-sms"))
    assert gateway.stats["connections"] == 1


def test_invalid_number_is_a_permanent_phone_error(simulator_transport):
    error = permanent_error(simulator_transport, envelope(to="+32470000000" + "3"))
    assert (error.permanent, error.reason) == (True, Reason.PHONE_INVALID)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_simulator_is_a_transient_error(simulator_transport, gateway, status):
    gateway.fail_next(1, status=status)
    error = permanent_error(simulator_transport, envelope())
    assert not error.permanent


def test_simulator_timeout_is_a_transient_error(simulator_transport, gateway):
    gateway.delay_next(1, seconds=1.5)
    assert not permanent_error(simulator_transport, envelope()).permanent


def test_retry_while_the_timed_out_send_is_still_handled_is_transient(simulator_transport, gateway):
    gateway.delay_next(1, seconds=1.0)
    with pytest.raises(TransportError):
        simulator_transport.send(envelope(key="bn-3-3-sms"))
    error = permanent_error(simulator_transport, envelope(key="bn-3-3-sms"))
    assert not error.permanent
    assert "409" in error.message


def test_retry_after_a_timeout_does_not_send_twice(simulator_transport, gateway):
    gateway.delay_next(1, seconds=0.8)
    with pytest.raises(TransportError):
        simulator_transport.send(envelope(key="bn-3-3-sms"))
    time.sleep(0.5)  # the gateway accepts the first try after all
    retried = simulator_transport.send(envelope(key="bn-3-3-sms"))
    assert len(gateway.messages) == 1
    assert retried.provider_ref == gateway.messages[0]["id"]


def test_unreachable_simulator_is_a_transient_error(settings):
    settings.SMS_SIMULATOR_URL = f"http://127.0.0.1:{free_port()}"
    transport = SimulatorSmsTransport(timeout=0.5)
    error = permanent_error(transport, envelope())
    transport.close()
    assert not error.permanent


@pytest.mark.django_db
def test_a_verification_code_goes_through_the_configured_simulator(settings, gateway, now_sends):
    settings.SMS_TRANSPORT = "simulator"
    now_sends(send_code, None, channel="sms", to="+32471234567", text="Uw code is 123456")
    [message] = gateway.messages
    assert (message["to"], message["text"]) == ("+32471234567", "Uw code is 123456")
    assert not OutboxMessage.objects.exists()


# --- Twilio --------------------------------------------------------------------------------


def test_twilio_transport_creates_the_message_with_a_status_callback(twilio_transport, twilio):
    outcome = twilio_transport.send(envelope(text="Verdachte wagen"))
    [message] = twilio.messages
    assert outcome.provider_ref == message["sid"]
    assert message["sid"].startswith("SM")
    assert (message["to"], message["from"], message["body"]) == (
        "+32471234567",
        "+3225550000",
        "Verdachte wagen",
    )
    status_url = "https://buurtnet.example" + reverse("hooks:sms_twilio_status")
    assert message["status_callback"] == status_url


def test_twilio_transport_reuses_one_connection(twilio_transport, twilio):
    for n in range(10):
        twilio_transport.send(envelope(key=f"bn-{n}-1-sms"))
    assert twilio.connections == 1


@pytest.mark.parametrize("to", ["+32470000000" + "1", "0471", "+3256123456"])
def test_number_twilio_rejects_is_a_permanent_phone_error(twilio_transport, to):
    error = permanent_error(twilio_transport, envelope(to=to))
    assert (error.permanent, error.reason) == (True, Reason.PHONE_INVALID)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_twilio_is_a_transient_error(twilio_transport, twilio, status):
    twilio.fail_next(1, status=status)
    assert not permanent_error(twilio_transport, envelope()).permanent


def test_wrong_twilio_credentials_are_a_permanent_provider_error(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    transport = TwilioSmsTransport()
    error = permanent_error(transport, envelope())
    transport.close()
    assert (error.permanent, error.reason) == (True, Reason.PROVIDER)
    assert "20003" in error.message


def test_unconfigured_twilio_is_a_permanent_error(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    assert permanent_error(TwilioSmsTransport(), envelope()).permanent


def test_twilio_retry_after_is_passed_on_with_the_transient_error(twilio_transport, twilio):
    twilio.fail_next(1, status=429, retry_after=42)
    error = permanent_error(twilio_transport, envelope())
    assert (error.permanent, error.retry_after) == (False, 42.0)


def test_simulator_retry_after_is_passed_on_with_the_transient_error(simulator_transport, gateway):
    gateway.go_down(503, 60, retry_after=15)
    error = permanent_error(simulator_transport, envelope())
    assert (error.permanent, error.retry_after) == (False, 15.0)
