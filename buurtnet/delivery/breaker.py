"""Pausing a provider that is down: one circuit breaker per provider, shared by every worker.

Without it, every delivery of every batch is tried against a gateway known to be down, each
failure uses one of the delivery's attempts, and an outage longer than the back-off of
`DELIVERY_MAX_ATTEMPTS` fails the whole alert for good. With it:

- closed (working): sends go through; consecutive transient failures are counted, and a
  success (or an answer that refuses one message, like an invalid number: the provider is
  up) resets the count.
- open (paused): after `PROVIDER_FAILURES_BEFORE_PAUSE` consecutive failures, or at once when
  the provider asks us to wait (HTTP 429/503 with `Retry-After`), nothing is sent until
  `next_try_at`. A delivery that would have been sent waits until then instead, keeping its
  attempts. The pause lasts `PROVIDER_PAUSE_SECONDS`, doubled after every failed probe up to
  `PROVIDER_PAUSE_MAX_SECONDS`, or exactly as long as `Retry-After` says.
- probing (half-open): when the pause ends, the first worker to claim the probe sends one
  delivery. Success closes the breaker; failure opens it again. The other workers keep
  their deliveries waiting meanwhile; a probe whose worker died is taken over after
  `PROBE_LEASE_SECONDS`.

The state is one `ProviderHealth` row per provider, so every worker process on every machine
sees the same pause (a cache per process would let each of them hammer the gateway in turn).
A worker reads it at most once a second while it sends and writes it only on failures and on
the first success after them: a provider that works costs no query per send.

A delivery keeps waiting for its provider as long as its message is valid
(`valid_until`: `DELIVERY_VALID_MINUTES` after the message was sent, or the plan rule's
response time if longer); then it fails with the reason and falls back to the member's next
channel. `paused_channels()` tells the sender's progress page why deliveries wait.
"""

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notices
from .channels.base import Envelope, Outcome, Transport, TransportError
from .models import Delivery, ProviderHealth, ProviderState
from .plan_rule import message_rule

# How often a sending worker looks at the shared state while the breaker is closed.
REFRESH_SECONDS = 1.0
# A probe not reported within this time (its worker died) may be taken over.
PROBE_LEASE_SECONDS = 60.0
# While another worker probes, deliveries wait at most this long before looking again.
PROBE_WAIT_SECONDS = 5.0
# Channels reached through one provider; push goes to each browser's own push service.
GUARDED_CHANNELS = ("email", "sms", "voice")


def provider_name(channel: str) -> str:
    """The provider a channel uses with the current settings, e.g. "sms:twilio"."""
    if channel == "sms":
        return f"sms:{settings.SMS_TRANSPORT}"
    if channel == "voice":
        return f"voice:{settings.VOICE_TRANSPORT}"
    if channel == "email":
        backend = settings.EMAIL_BACKEND.rsplit(".", 2)
        return f"email:{backend[-2] if len(backend) > 1 else backend[0]}"[:40]
    return channel


@dataclass(frozen=True)
class Snapshot:
    state: str
    failures: int
    down_since: datetime | None
    next_try_at: datetime | None

    @classmethod
    def of(cls, row: ProviderHealth | None) -> "Snapshot":
        if row is None:
            return CLOSED
        return cls(row.state, row.failures, row.down_since, row.next_try_at)


CLOSED = Snapshot(ProviderState.CLOSED, 0, None, None)


class Breaker:
    """One worker's view of one provider's breaker, for the length of a batch."""

    def __init__(self, provider: str, channel: str) -> None:
        self.provider = provider
        self.channel = channel
        self.probing = False
        self._snapshot = CLOSED
        self._read_at = float("-inf")
        # Deliveries parked by one batch for one pause share one time, so the one follow-up
        # task the worker enqueues finds them all due.
        self._parked: tuple[Snapshot, datetime] | None = None

    # --- Before a send ----------------------------------------------------------------

    def check(self, now: datetime | None = None) -> None:
        """Return if a send may go out now; raise an outage TransportError if not."""
        if self.probing:
            return
        now = now or timezone.now()
        snapshot = self._current()
        if snapshot.state == ProviderState.CLOSED:
            return
        if snapshot.next_try_at is None or snapshot.next_try_at <= now:
            if self._claim_probe(snapshot, now):
                return
            snapshot = self._read()
            if snapshot.state == ProviderState.CLOSED:
                return
        raise self._paused(snapshot, now)

    def _current(self) -> Snapshot:
        if time.monotonic() - self._read_at >= REFRESH_SECONDS:
            return self._read()
        return self._snapshot

    def _read(self) -> Snapshot:
        self._snapshot = Snapshot.of(ProviderHealth.objects.filter(provider=self.provider).first())
        self._read_at = time.monotonic()
        return self._snapshot

    def _claim_probe(self, snapshot: Snapshot, now: datetime) -> bool:
        """Become the one worker that tries the provider again (atomic across workers)."""
        claimed = ProviderHealth.objects.filter(
            provider=self.provider,
            state__in=(ProviderState.OPEN, ProviderState.PROBING),
            next_try_at=snapshot.next_try_at,
        ).update(
            state=ProviderState.PROBING,
            next_try_at=now + timedelta(seconds=PROBE_LEASE_SECONDS),
            updated_at=now,
        )
        self.probing = claimed == 1
        return self.probing

    def _paused(self, snapshot: Snapshot, now: datetime) -> TransportError:
        if self._parked is None or self._parked[0] != snapshot:
            self._parked = (snapshot, self._wake_up(snapshot, now))
        error = TransportError(
            _("Provider paused after repeated failures: not tried"), reason="provider"
        )
        error.outage = True
        error.retry_at = self._parked[1]
        return error

    def _wake_up(self, snapshot: Snapshot, now: datetime) -> datetime:
        """When a delivery parked now looks again: a little after the pause ends (spread so
        the workers do not all come back in the same instant), or soon while another
        worker probes (its probe usually answers within a second)."""
        until = snapshot.next_try_at or now
        if snapshot.state == ProviderState.PROBING:
            wait = min(PROBE_WAIT_SECONDS, settings.PROVIDER_PAUSE_SECONDS)
            return min(until, now + timedelta(seconds=wait))
        pause = settings.PROVIDER_PAUSE_SECONDS
        return max(until, now) + timedelta(seconds=random.uniform(0, min(pause / 5, 5.0)))

    # --- After a send ------------------------------------------------------------------

    def succeeded(self, now: datetime | None = None) -> None:
        """The provider answered: close the breaker if it was not closed already."""
        if not self.probing and self._snapshot == CLOSED:
            return
        now = now or timezone.now()
        ProviderHealth.objects.filter(provider=self.provider).exclude(
            state=ProviderState.CLOSED, failures=0
        ).update(
            state=ProviderState.CLOSED,
            failures=0,
            pauses=0,
            down_since=None,
            next_try_at=None,
            updated_at=now,
        )
        self.probing = False
        self._snapshot = CLOSED
        self._read_at = time.monotonic()

    def failed(self, exc: TransportError, now: datetime | None = None) -> TransportError:
        """Count a transient failure of the provider; pause it when this failure is one too
        many, was the probe, or the provider asked us to wait. Returns exc, marked as an
        outage (the delivery waits without using an attempt) when the provider is paused."""
        now = now or timezone.now()
        ProviderHealth.objects.get_or_create(
            provider=self.provider, defaults={"channel": self.channel}
        )
        with transaction.atomic():
            row = ProviderHealth.objects.select_for_update().get(provider=self.provider)
            row.failures += 1
            row.last_error = exc.message[:500]
            row.last_error_at = now
            row.down_since = row.down_since or now
            asked = timedelta(seconds=exc.retry_after) if exc.retry_after else None
            paused_now = row.state == ProviderState.OPEN and row.next_try_at > now
            if paused_now:
                # Sent before this worker saw the pause: the outage goes on.
                if asked and now + asked > row.next_try_at:
                    row.next_try_at = now + asked
            elif (
                asked
                or self.probing
                or row.state != ProviderState.CLOSED
                or row.failures >= settings.PROVIDER_FAILURES_BEFORE_PAUSE
            ):
                row.state = ProviderState.OPEN
                row.next_try_at = now + (asked or self._pause_length(row.pauses))
                row.pauses = min(row.pauses + 1, 1000)
            row.updated_at = now
            row.save()
        self.probing = False
        self._snapshot = Snapshot.of(row)
        self._read_at = time.monotonic()
        if row.state == ProviderState.OPEN:
            self._parked = (self._snapshot, self._wake_up(self._snapshot, now))
            exc.outage = True
            exc.retry_at = self._parked[1]
        return exc

    @staticmethod
    def _pause_length(pauses: int) -> timedelta:
        seconds = settings.PROVIDER_PAUSE_SECONDS * 2 ** min(pauses, 16)
        return timedelta(seconds=min(seconds, settings.PROVIDER_PAUSE_MAX_SECONDS))


class GuardedTransport:
    """A channel's transport behind its provider's breaker: a paused provider is not sent
    to, and every answer (or its absence) is reported to the breaker."""

    def __init__(self, inner: Transport, provider: str) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.breaker = Breaker(provider, inner.channel)
        self._valid: dict[tuple, datetime] = {}

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send(self, envelope: Envelope) -> Outcome:
        self.breaker.check()
        try:
            outcome = self.inner.send(envelope)
        except TransportError as exc:
            if exc.permanent:
                self.breaker.succeeded()  # it answered: the provider itself is up
            elif not exc.recipient_only:
                self.breaker.failed(exc)
            raise
        self.breaker.succeeded()
        return outcome

    def valid_until(self, delivery) -> datetime:
        """`valid_until`, looked up once per message (or notice) for the batch."""
        owner = ("message", delivery.message_id, "notice", delivery.notice_id)
        found = self._valid.get(owner)
        if found is None:
            found = self._valid[owner] = valid_until(delivery)
        return found


def guard(transport: Transport) -> Transport:
    """The transport behind its provider's breaker (push is left as it is)."""
    if transport.channel not in GUARDED_CHANNELS:
        return transport
    return GuardedTransport(transport, provider_name(transport.channel))


# --- How long a delivery waits --------------------------------------------------------


def valid_until(delivery) -> datetime:
    """Until when a delivery keeps waiting for a provider that is down: the message's
    validity, `DELIVERY_VALID_MINUTES` after it was sent, or its rule's response time if
    that is longer (the rule is the snapshot taken when the message was sent); a notice's,
    the `valid` of its kind after it was made (a code is useless once it expired)."""
    if delivery.notice_id is not None:
        notice = delivery.notice
        return notice.created_at + notices.kind(notice.kind).valid
    response_minutes = message_rule(delivery).response_minutes
    minutes = max(settings.DELIVERY_VALID_MINUTES, response_minutes or 0)
    sent_at = (
        Delivery.objects.filter(pk=delivery.pk).values_list("message__sent_at", flat=True).first()
    )
    return (sent_at or delivery.queued_at) + timedelta(minutes=minutes)


def outage_wait(delivery, exc: TransportError, transport=None) -> tuple[datetime | None, str]:
    """For a delivery whose provider is paused or down: (when to look again, "") while its
    message is valid, or (None, why it failed) once waiting would outlive it."""
    limit = (
        transport.valid_until(delivery)
        if isinstance(transport, GuardedTransport)
        else valid_until(delivery)
    )
    when = exc.retry_at or timezone.now()
    if when <= limit:
        return when, ""
    health = ProviderHealth.objects.filter(provider=provider_name(delivery.channel)).first()
    last = health.last_error if health else exc.message
    since = health.down_since if health else None
    return None, _(
        "The provider was unavailable from %(since)s until the message expired at "
        "%(until)s. Last error: %(error)s"
    ) % {
        "since": timezone.localtime(since).strftime("%H:%M") if since else "?",
        "until": timezone.localtime(limit).strftime("%H:%M"),
        "error": last,
    }


# --- What the progress page shows -------------------------------------------------------


def paused_channels(channels: tuple[str, ...] = GUARDED_CHANNELS) -> dict[str, dict]:
    """Per channel whose provider is paused (or being probed) now: {"provider", "state",
    "since" (when it started failing), "next_try" (when the pause ends), "last_error",
    "last_error_at", "failures"}. Channels that work are left out. One query."""
    names = {provider_name(channel): channel for channel in channels}
    rows = ProviderHealth.objects.filter(provider__in=names).exclude(state=ProviderState.CLOSED)
    return {
        names[row.provider]: {
            "provider": row.provider,
            "state": row.state,
            "since": row.down_since,
            "next_try": row.next_try_at,
            "last_error": row.last_error,
            "last_error_at": row.last_error_at,
            "failures": row.failures,
        }
        for row in rows
    }
