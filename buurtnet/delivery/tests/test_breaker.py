"""The provider breaker's states: closed, paused (open), one probe (half-open), shared by
every worker through the database."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from buurtnet.delivery import breaker
from buurtnet.delivery.breaker import Breaker, GuardedTransport, paused_channels
from buurtnet.delivery.channels import Outcome, TransportError
from buurtnet.delivery.channels.sms import retry_after
from buurtnet.delivery.models import ProviderHealth, ProviderState

pytestmark = pytest.mark.django_db

PROVIDER = "sms:simulator"


@pytest.fixture(autouse=True)
def _breaker_settings(settings, monkeypatch):
    settings.SMS_TRANSPORT = "simulator"
    settings.PROVIDER_FAILURES_BEFORE_PAUSE = 3
    settings.PROVIDER_PAUSE_SECONDS = 30
    settings.PROVIDER_PAUSE_MAX_SECONDS = 100
    # Every check reads the shared state: the tests play several workers in one process.
    monkeypatch.setattr(breaker, "REFRESH_SECONDS", 0)


def down(message: str = "Simulator answered 500: gateway unavailable", **kwargs) -> TransportError:
    return TransportError(message, reason="provider", **kwargs)


def health() -> ProviderHealth:
    return ProviderHealth.objects.get(provider=PROVIDER)


def paused_error(worker: Breaker, now=None) -> TransportError:
    with pytest.raises(TransportError) as caught:
        worker.check(now)
    return caught.value


def test_provider_stays_closed_below_the_failure_threshold():
    worker = Breaker(PROVIDER, "sms")
    errors = [worker.failed(down()) for _ in range(2)]
    assert [e.outage for e in errors] == [False, False]
    worker.check()
    assert health().state == ProviderState.CLOSED


def test_consecutive_failures_pause_the_provider():
    worker = Breaker(PROVIDER, "sms")
    now = timezone.now()
    for _ in range(2):
        worker.failed(down(), now)
    third = worker.failed(down(), now)
    assert third.outage
    row = health()
    assert (row.state, row.next_try_at) == (ProviderState.OPEN, now + timedelta(seconds=30))
    assert third.retry_at >= row.next_try_at


def test_paused_provider_is_not_sent_to_by_another_worker():
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down())
    error = paused_error(Breaker(PROVIDER, "sms"))
    assert error.outage and not error.permanent
    assert error.retry_at >= health().next_try_at


def test_a_success_resets_the_count_of_failures():
    worker = Breaker(PROVIDER, "sms")
    worker.failed(down())
    worker.failed(down())
    worker.succeeded()
    assert not worker.failed(down()).outage
    assert health().failures == 1


def test_retry_after_pauses_the_provider_at_once_for_that_long():
    now = timezone.now()
    error = Breaker(PROVIDER, "sms").failed(down("429", retry_after=120), now)
    assert error.outage
    assert health().next_try_at == now + timedelta(seconds=120)


def test_when_the_pause_ends_one_worker_probes_and_the_others_wait():
    now = timezone.now()
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down(), now)
    later = now + timedelta(seconds=31)
    first, second = Breaker(PROVIDER, "sms"), Breaker(PROVIDER, "sms")
    first.check(later)
    assert first.probing and health().state == ProviderState.PROBING
    error = paused_error(second, later)
    assert error.outage
    assert error.retry_at <= later + timedelta(seconds=breaker.PROBE_WAIT_SECONDS)


def test_a_successful_probe_closes_the_breaker_for_every_worker():
    now = timezone.now()
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down(), now)
    prober = Breaker(PROVIDER, "sms")
    prober.check(now + timedelta(seconds=31))
    prober.succeeded()
    row = health()
    assert (row.state, row.failures, row.down_since, row.next_try_at) == (
        ProviderState.CLOSED,
        0,
        None,
        None,
    )
    Breaker(PROVIDER, "sms").check()


def test_a_failed_probe_pauses_again_for_twice_as_long():
    now = timezone.now()
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down(), now)
    later = now + timedelta(seconds=31)
    prober = Breaker(PROVIDER, "sms")
    prober.check(later)
    assert prober.failed(down(), later).outage
    row = health()
    assert (row.state, row.next_try_at) == (ProviderState.OPEN, later + timedelta(seconds=60))
    assert row.down_since == now


def test_pauses_grow_no_longer_than_the_maximum():
    now = timezone.now()
    worker = Breaker(PROVIDER, "sms")
    for _ in range(3):
        worker.failed(down(), now)
    for _ in range(4):
        now = health().next_try_at
        worker.check(now)
        worker.failed(down(), now)
    assert health().next_try_at == now + timedelta(seconds=100)


def test_a_probe_whose_worker_died_is_taken_over_after_its_lease():
    now = timezone.now()
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down(), now)
    Breaker(PROVIDER, "sms").check(now + timedelta(seconds=31))  # probes, then dies
    still = now + timedelta(seconds=31 + breaker.PROBE_LEASE_SECONDS - 1)
    assert paused_error(Breaker(PROVIDER, "sms"), still).outage
    successor = Breaker(PROVIDER, "sms")
    successor.check(now + timedelta(seconds=32 + breaker.PROBE_LEASE_SECONDS))
    assert successor.probing


def test_paused_channels_say_since_when_and_the_next_try():
    now = timezone.now()
    for _ in range(3):
        Breaker(PROVIDER, "sms").failed(down("Connection failed: refused"), now)
    state = paused_channels()
    assert list(state) == ["sms"]
    assert state["sms"]["since"] == now
    assert state["sms"]["next_try"] == now + timedelta(seconds=30)
    assert state["sms"]["last_error"] == "Connection failed: refused"


def test_paused_channels_leave_out_working_providers():
    worker = Breaker(PROVIDER, "sms")
    worker.failed(down())
    assert paused_channels() == {}


# --- Behind a transport ------------------------------------------------------------------


class ScriptedTransport:
    """Answers each send with the next scripted result: an Outcome or a TransportError."""

    channel = "sms"

    def __init__(self, *script) -> None:
        self.script = list(script)
        self.sends = 0

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, envelope) -> Outcome:
        self.sends += 1
        result = self.script.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def test_guarded_transport_stops_sending_to_a_paused_provider():
    inner = ScriptedTransport(*[down() for _ in range(3)], Outcome())
    transport = GuardedTransport(inner, PROVIDER)
    for _ in range(5):
        with pytest.raises(TransportError):
            transport.send(None)
    assert inner.sends == 3


def test_one_recipients_refusal_does_not_pause_the_provider():
    refusals = [down("452 mailbox full", recipient_only=True) for _ in range(5)]
    inner = ScriptedTransport(*refusals, Outcome())
    transport = GuardedTransport(inner, PROVIDER)
    for _ in range(5):
        with pytest.raises(TransportError):
            transport.send(None)
    transport.send(None)
    assert inner.sends == 6
    assert not ProviderHealth.objects.exists()


def test_a_permanent_refusal_shows_the_provider_is_up():
    invalid = TransportError("invalid number", permanent=True, reason="phone_invalid")
    inner = ScriptedTransport(down(), down(), invalid, down(), Outcome())
    transport = GuardedTransport(inner, PROVIDER)
    for _ in range(4):
        with pytest.raises(TransportError):
            transport.send(None)
    assert health().failures == 1
    transport.send(None)


# --- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0", 0.0), ("soon", None), ("", None), ("99999999", 86400.0)],
)
def test_retry_after_is_read_in_seconds(header, seconds):
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after(response) == seconds


def test_retry_after_as_an_http_date_is_read():
    when = timezone.now() + timedelta(seconds=90)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = retry_after(httpx.Response(503, headers={"Retry-After": header}))
    assert 85 <= seconds <= 90
