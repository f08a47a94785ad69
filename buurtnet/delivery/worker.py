"""What a delivery worker does with a batch: claim, hold back, send, record, retry, fall back.

The bookkeeping is batched (one UPDATE per few dozen deliveries) so that the transport's
connection stays busy; a crash between a send and its record re-sends at most those few
with the same idempotency key, which the provider drops as a duplicate.

An unexpected exception while preparing or sending one delivery (a bug, data no transport
expected) fails that delivery at once with the error, falls back like a permanent provider
failure and lets the rest of the batch go on: raised out of the batch, it would leave every
claimed row in flight, to crash again on every later claim.
"""

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from buurtnet.people.phones import LANDLINE, allowed_countries, number_facts, reachable

from . import outbox
from .channels import Outcome, TransportError, get_transport
from .models import DONE_STATES, PENDING_STATES, Delivery, DeliveryState, PushSubscription, Reason

FLUSH_EVERY = 50
# What sending needs, and no more: a network's area and charter or a person's password
# hash would cost more to load than the send itself.
LOADED_FIELDS = (
    "message_id",
    "recipient_id",
    "channel",
    "state",
    "attempts",
    "fallback_from_id",
    "recipient__language",
    "recipient__link_id",
    "recipient__person_id",
    "recipient__person__email",
    "recipient__person__phone",
    "recipient__person__phone_verified_at",
    "recipient__person__channels",
    "recipient__person__quiet_hours_start",
    "recipient__person__quiet_hours_end",
    "recipient__link__rule",
    "recipient__link__network_id",
    "recipient__link__network__name",
    "message__kind",
    "message__is_exercise",
    "message__language",
    "message__sender_id",
)
LOCAL = ZoneInfo("Europe/Brussels")
PHONE_CHANNELS = ("sms", "voice")

logger = logging.getLogger(__name__)


def claimable(now: datetime) -> Q:
    return (
        Q(state=DeliveryState.QUEUED)
        | Q(state=DeliveryState.AWAITING_RETRY, next_attempt_at__lte=now)
        | Q(state=DeliveryState.INFLIGHT, lease_until__lt=now)
    )


def claim(selection: Q) -> list[int]:
    """Atomically take the claimable deliveries in selection for this worker."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(selection)
            .filter(claimable(now))
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                state=DeliveryState.INFLIGHT,
                lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
            )
    return ids


def deliver_range(message_id: int, channel: str, lo: int, hi: int) -> int:
    ids = claim(Q(message_id=message_id, channel=channel, id__gte=lo, id__lte=hi))
    return process(ids, channel)


def deliver_ids(ids: list[int], channel: str) -> int:
    return process(claim(Q(id__in=ids, channel=channel)), channel)


def hold_until(rule: dict, person, now: datetime) -> tuple[datetime, str] | None:
    """When a delivery must wait: the member's quiet hours (unless the rule says they do
    not apply, as for alerts) or the plan's sending hours."""
    local = now.astimezone(LOCAL)
    if rule.get("quiet_hours_apply", True) and person.quiet_hours_start and person.quiet_hours_end:
        end = _window_end(local, person.quiet_hours_start, person.quiet_hours_end)
        if end:
            return end, Reason.QUIET_HOURS
    start, until = rule.get("send_from"), rule.get("send_until")
    if start and until:
        start_t = datetime.strptime(start[:5], "%H:%M").time()
        until_t = datetime.strptime(until[:5], "%H:%M").time()
        # Outside the sending window is the same as inside the window until → from.
        end = _window_end(local, until_t, start_t)
        if end:
            return end, Reason.SENDING_HOURS
    return None


def _window_end(local: datetime, start, end) -> datetime | None:
    """If local time lies in [start, end) (which may cross midnight), when it ends."""
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


@dataclass
class Book:
    """Outcomes collected while sending, written in a few statements."""

    channel: str
    sent: list[tuple[int, str]] = field(default_factory=list)
    later: list[tuple[Delivery, datetime, str, str]] = field(default_factory=list)
    failed: list[tuple[Delivery, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    follow_up: list[tuple[int, datetime]] = field(default_factory=list)
    fallbacks: dict[str, list[int]] = field(default_factory=dict)

    def pending(self) -> int:
        return len(self.sent) + len(self.later) + len(self.failed) + len(self.skipped)

    def flush(self) -> None:
        now = timezone.now()
        with transaction.atomic():
            self._flush_sent(now)
            for delivery_id, reason in self.skipped:
                Delivery.objects.filter(pk=delivery_id).update(
                    state=DeliveryState.SKIPPED, reason=reason, lease_until=None
                )
            for delivery, when, reason, error in self.later:
                Delivery.objects.filter(pk=delivery.pk).update(
                    state=DeliveryState.AWAITING_RETRY,
                    next_attempt_at=when,
                    reason=reason,
                    error=error[:500],
                    lease_until=None,
                    attempts=F("attempts") + (1 if error else 0),
                )
                self.follow_up.append((delivery.pk, when))
            for delivery, reason, error in self.failed:
                Delivery.objects.filter(pk=delivery.pk).update(
                    state=DeliveryState.FAILED,
                    reason=reason,
                    error=error[:500],
                    lease_until=None,
                    attempts=F("attempts") + 1,
                )
                self._fall_back(delivery)
        self.sent, self.later, self.failed, self.skipped = [], [], [], []

    def _flush_sent(self, now: datetime) -> None:
        if not self.sent:
            return
        Delivery.objects.filter(id__in=[pk for pk, _ref in self.sent]).update(
            state=DeliveryState.SENT,
            sent_at=now,
            lease_until=None,
            reason="",
            error="",
            attempts=F("attempts") + 1,
        )
        refs = [(ref, pk) for pk, ref in self.sent if ref]
        if refs:
            # One prepared statement run per row: far cheaper than bulk_update's CASE.
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE delivery_delivery SET provider_ref = %s WHERE id = %s", refs
                )

    def _fall_back(self, delivery: Delivery) -> None:
        created = fall_back(delivery)
        if created is not None:
            self.fallbacks.setdefault(created.channel, []).append(created.pk)


def fall_back(delivery: Delivery) -> Delivery | None:
    """When the plan's rule allows it and no other channel reached (or is still trying to
    reach) the member, queue the next channel they chose that this message has not used,
    even one the rule does not list: the member's own choice of a second way to reach them.
    Returns the queued delivery (to be enqueued by the caller)."""
    rule = delivery.recipient.link.rule
    if not rule.get("fallback"):
        return None
    person = delivery.recipient.person
    others = Delivery.objects.filter(recipient_id=delivery.recipient_id).exclude(pk=delivery.pk)
    live = (*PENDING_STATES, *DONE_STATES)
    if others.exclude(channel="inapp").filter(state__in=live).exists():
        return None
    used = set(others.values_list("channel", flat=True)) | {delivery.channel}
    for channel in person.channels or []:
        if channel in used or channel == "inapp":
            continue
        reason = unusable_reason(person, channel)
        created = Delivery.objects.create(
            message_id=delivery.message_id,
            recipient_id=delivery.recipient_id,
            channel=channel,
            state=DeliveryState.SKIPPED if reason else DeliveryState.QUEUED,
            reason=reason,
            fallback_from=delivery,
            next_attempt_at=timezone.now(),
        )
        if not reason:
            return created
    return None


def phone_unusable_reason(person, channel: str) -> str:
    """Why a text or call may not go to the person's number ("" when it may): checked again
    just before each send, since a number confirmed before the rule (or a country dropped
    from SMS_ALLOWED_COUNTRIES since) must not cost a text or a call. The recipients' SQL
    (`messaging.services._skip_reason_sql`) gives the same reasons in the same order."""
    if not person.phone:
        return Reason.PHONE_MISSING
    if not person.phone_verified:
        return Reason.PHONE_UNVERIFIED
    region, kind = number_facts(person.phone)
    if reachable(region, kind, channel):
        return ""
    if region not in allowed_countries():
        return Reason.PHONE_COUNTRY
    if kind == LANDLINE:
        return Reason.PHONE_NOT_MOBILE
    return Reason.PHONE_SPECIAL


def unusable_reason(person, channel: str) -> str:
    from allauth.account.models import EmailAddress

    if channel in PHONE_CHANNELS:
        return phone_unusable_reason(person, channel)
    if (
        channel == "email"
        and not EmailAddress.objects.filter(user=person, email=person.email, verified=True).exists()
    ):
        return Reason.EMAIL_UNVERIFIED
    if channel == "push" and not PushSubscription.objects.filter(person=person).exists():
        return Reason.NO_PUSH
    return ""


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter, so a provider outage is not hammered in step."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def process(ids: list[int], channel: str) -> int:
    """Send the claimed deliveries on one transport connection. Returns how many were
    handed to the provider."""
    if not ids:
        return 0
    from buurtnet.messaging.rendering import Renderer

    rows = (
        Delivery.objects.filter(id__in=ids, state=DeliveryState.INFLIGHT)
        .select_related("recipient__person", "recipient__link__network", "message")
        .only(*LOADED_FIELDS)
        .order_by("id")
    )
    book = Book(channel=channel)
    renderers: dict[int, Renderer] = {}
    handed = 0
    transport = get_transport(channel)
    transport.open()
    try:
        for delivery in rows.iterator(chunk_size=200):
            try:
                renderer = renderers.get(delivery.message_id)
                if renderer is None:
                    renderer = renderers[delivery.message_id] = Renderer(delivery.message)
                handed += _one(delivery, channel, transport, renderer, book)
            except Exception as exc:  # noqa: BLE001 - one delivery's failure is recorded
                _unexpected(delivery, exc, transport, book)
            if book.pending() >= FLUSH_EVERY:
                book.flush()
    finally:
        book.flush()
        transport.close()
    _follow_up(book)
    return handed


def _one(delivery: Delivery, channel: str, transport, renderer, book: Book) -> int:
    person = delivery.recipient.person
    if channel not in (person.channels or []) and delivery.fallback_from_id is None:
        book.skipped.append((delivery.pk, Reason.CHANNEL_WITHDRAWN))
        return 0
    if channel in PHONE_CHANNELS:
        reason = phone_unusable_reason(person, channel)
        if reason:
            # Never handed to the provider; failed (not skipped) so the plan's fallback runs.
            book.failed.append((delivery, reason, ""))
            return 0
    now = timezone.now()
    hold = hold_until(delivery.recipient.link.rule, person, now)
    if hold:
        book.later.append((delivery, hold[0], hold[1], ""))
        return 0
    envelope = renderer.envelope(delivery, person)
    try:
        outcome: Outcome = transport.send(envelope)
    except TransportError as exc:
        reason = exc.reason or Reason.PROVIDER
        if exc.permanent or delivery.attempts + 1 >= settings.DELIVERY_MAX_ATTEMPTS:
            book.failed.append((delivery, reason, exc.message))
        else:
            when = now + retry_delay(delivery.attempts + 1)
            book.later.append((delivery, when, reason, exc.message))
        return 0
    book.sent.append((delivery.pk, outcome.provider_ref))
    return 1


def _unexpected(delivery: Delivery, exc: Exception, transport, book: Book) -> None:
    """Fail the delivery with the error (retrying the same code on the same data fails the
    same way, and an alert's fallback must not wait for back-off), and start the transport
    afresh: the exception may have left its connection half-way through a message."""
    logger.exception("Delivery %s failed unexpectedly", delivery.pk)
    book.failed.append((delivery, Reason.SENDING_ERROR, f"{type(exc).__name__}: {exc}"))
    try:
        transport.close()
        transport.open()
    except Exception:  # noqa: BLE001 - the next send reports a transport that stays broken
        logger.exception("Transport %s could not be reopened", book.channel)


def _follow_up(book: Book) -> None:
    for channel, ids in book.fallbacks.items():
        outbox.enqueue_ids(ids, channel)
    if book.follow_up:
        when = min(w for _pk, w in book.follow_up)
        outbox.enqueue_ids([pk for pk, _w in book.follow_up], book.channel, run_after=when)
