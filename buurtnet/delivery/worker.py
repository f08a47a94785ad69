"""What a delivery worker does with a batch: claim, hold back, send, record, retry, fall back.

Ownership. Each claim writes a fresh token (`claimed_by`) and a short lease
(`DELIVERY_LEASE_SECONDS`, 20 s) on its rows. While the batch runs, a heartbeat thread renews
the lease every quarter of it, and before each send the worker checks that its lease still
has at least half its length to run (renewing it itself if the heartbeat fell behind). A
lease lapses only when the worker is gone (or cannot reach the database), so no other worker
claims a row that is being sent. Every outcome is written `WHERE id … AND claimed_by = token
AND state = 'inflight'`: a row another worker took over is never overwritten, never sent
again by this worker, and not counted as sent by it.

Crashes. A "sent" outcome is written right after its send, one short UPDATE (on PostgreSQL
with `synchronous_commit = off`: a killed worker loses nothing the server has acknowledged,
only a crash of the database server itself may forget the last fraction of a second), so a
killed worker re-sends at most the one message in flight on its connection: SMTP relays do
not drop a repeated Message-ID. Outcomes that sent nothing (held back, refused, retry later,
skipped) stay batched, every `FLUSH_EVERY`: re-doing them after a crash sends nothing twice.
The rest of a killed worker's batch is free again when its lease lapses (at most
`DELIVERY_LEASE_SECONDS` after the kill) and `tick`'s `recover()` re-enqueues it.

The trade-off: one UPDATE per sent message instead of one per 50. It is a single indexed
statement without a flush to disk; the transport's round trip costs several times more.

An unexpected exception while rendering or sending one delivery (a bug, data no template
or transport expected) fails that delivery at once with the error's class and message,
falls back like a permanent provider failure and lets the rest of the batch go on: raised
out of the batch, it would leave every claimed row in flight, to crash again on every later
claim. A message whose renderer cannot even be made fails each of its deliveries in the
batch that way, without trying again for each.

A batch may hold deliveries of a message (rendered by the renderer messaging registers,
`registry.renderer_for`) and of notices (already rendered: `notices.envelope`). Both go
through the same claim, hold, send, record, retry and fallback.
"""

import logging
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db import Error as AnyDatabaseError
from django.db.backends.utils import CursorWrapper
from django.db.models import F, Q
from django.utils import timezone

from . import notices, outbox, reach, registry
from .channels import Envelope, Outcome, TransportError, get_transport
from .models import DONE_STATES, PENDING_STATES, Delivery, DeliveryState, Reason
from .plan_rule import BatchRules, message_rule

FLUSH_EVERY = 50
# What sending needs, and no more: a network's area and charter or a person's password
# hash would cost more to load than the send itself.
LOADED_FIELDS = (
    "message_id",
    "recipient_id",
    "notice_id",
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
# A notice is rendered already: its row and its person's reachability.
NOTICE_FIELDS = (
    "message_id",
    "recipient_id",
    "notice_id",
    "channel",
    "state",
    "attempts",
    "fallback_from_id",
    "queued_at",
    "notice__kind",
    "notice__language",
    "notice__email",
    "notice__phone",
    "notice__subject",
    "notice__text",
    "notice__html",
    "notice__short_text",
    "notice__created_at",
    "notice__person_id",
    "notice__person__email",
    "notice__person__phone",
    "notice__person__phone_verified_at",
    "notice__person__channels",
    "notice__person__quiet_hours_start",
    "notice__person__quiet_hours_end",
)
LOCAL = ZoneInfo("Europe/Brussels")
PHONE_CHANNELS = reach.PHONE_CHANNELS

logger = logging.getLogger(__name__)


def claimable(now: datetime) -> Q:
    return (
        Q(state=DeliveryState.QUEUED)
        | Q(state=DeliveryState.AWAITING_RETRY, next_attempt_at__lte=now)
        | Q(state=DeliveryState.INFLIGHT, lease_until__lt=now)
    )


def lease_length() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


class Lease:
    """The rows one claim holds, under its owner token, and until when.

    `held` are the claimed rows whose outcome is not written yet; `lock` serialises this
    claim's writes between the batch and its heartbeat thread (no two transactions of one
    worker wait for each other's rows)."""

    def __init__(self, token: str, ids: list[int], until: datetime) -> None:
        self.token = token
        self.ids = ids
        self.held = set(ids)
        self.until = until
        self.lock = threading.Lock()

    def renew(self) -> None:
        """Extend the lease of every row still held; drop the rows another worker took."""
        with self.lock:
            if not self.held:
                return
            until = timezone.now() + lease_length()
            mine = Delivery.objects.filter(
                id__in=list(self.held), claimed_by=self.token, state=DeliveryState.INFLIGHT
            )
            renewed = mine.update(lease_until=until)
            if renewed != len(self.held):
                still = set(mine.values_list("id", flat=True))
                lost = self.held - still
                if lost:
                    logger.warning("Lease lost on %d deliveries: taken over", len(lost))
                self.held = still
            self.until = until

    def confirmed(self) -> bool:
        """True when the lease runs at least half its length longer: nobody else can claim
        the rows before a send started now has ended. Renews here if the heartbeat fell
        behind; False when the lease cannot be renewed (the database is unreachable)."""
        margin = lease_length() / 2
        if timezone.now() + margin < self.until:
            return True
        try:
            self.renew()
        except DatabaseError:
            logger.exception("Lease could not be renewed: stopping the batch")
            return False
        return timezone.now() + margin < self.until

    def holds(self, delivery_id: int) -> bool:
        return delivery_id in self.held

    def release(self, delivery_id: int) -> None:
        """The row's outcome is written (call with `lock` held)."""
        self.held.discard(delivery_id)


class Heartbeat(threading.Thread):
    """Renews a lease every quarter of its length, on a database connection of its own,
    until stopped. A send that waits for a slow server does not let the lease lapse."""

    def __init__(self, lease: Lease) -> None:
        super().__init__(name="delivery-heartbeat", daemon=True)
        self.lease = lease
        self.stopped = threading.Event()

    def run(self) -> None:
        every = settings.DELIVERY_LEASE_SECONDS / 4
        try:
            while not self.stopped.wait(every):
                try:
                    self.lease.renew()
                except AnyDatabaseError:
                    logger.warning("Heartbeat: lease not renewed", exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def claim(selection: Q) -> Lease:
    """Atomically take the claimable deliveries in selection, under a new owner token."""
    now = timezone.now()
    token = uuid.uuid4().hex
    until = now + lease_length()
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(selection)
            .filter(claimable(now))
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ids:
            taken = (
                Delivery.objects.filter(id__in=ids)
                .filter(claimable(now))
                .update(state=DeliveryState.INFLIGHT, lease_until=until, claimed_by=token)
            )
            if taken != len(ids):
                ids = list(
                    Delivery.objects.filter(id__in=ids, claimed_by=token)
                    .order_by("id")
                    .values_list("id", flat=True)
                )
    return Lease(token, ids, until)


def deliver_range(message_id: int, channel: str, lo: int, hi: int) -> int:
    lease = claim(Q(message_id=message_id, channel=channel, id__gte=lo, id__lte=hi))
    return process(lease, channel, with_notices=False)


def deliver_ids(ids: list[int], channel: str) -> int:
    return process(claim(Q(id__in=ids, channel=channel)), channel)


def hold_until(
    person,
    now: datetime,
    *,
    quiet_hours: bool,
    sending_hours: tuple[time, time] | None = None,
) -> tuple[datetime, str] | None:
    """When a delivery must wait: the member's quiet hours (where `quiet_hours` says they
    apply: the message's rule, not for alerts, or the notice's kind) or the plan's
    `sending_hours` (from, until; a notice has none)."""
    local = now.astimezone(LOCAL)
    if quiet_hours and person.quiet_hours_start and person.quiet_hours_end:
        end = _window_end(local, person.quiet_hours_start, person.quiet_hours_end)
        if end:
            return end, Reason.QUIET_HOURS
    if sending_hours is not None:
        start, until = (t.replace(second=0, microsecond=0) for t in sending_hours)
        # Outside the sending window is the same as inside the window until → from.
        end = _window_end(local, until, start)
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


SENT_SQL = (
    "UPDATE delivery_delivery SET state = %s, sent_at = %s, lease_until = NULL, reason = '', "
    "error = '', attempts = attempts + 1, provider_ref = COALESCE(NULLIF(%s, ''), provider_ref) "
    "WHERE id = %s AND claimed_by = %s AND state = %s"
)


@dataclass
class Book:
    """Outcomes of one claim. A send is recorded at once (`record_sent`); outcomes that
    sent nothing are collected and written in a few statements. Every write names the
    claim's token: a row another worker took over is left alone."""

    channel: str
    lease: Lease
    later: list[tuple[Delivery, datetime, str, str]] = field(default_factory=list)
    failed: list[tuple[Delivery, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    follow_up: list[tuple[int, datetime]] = field(default_factory=list)
    fallbacks: dict[str, list[int]] = field(default_factory=dict)
    # The plan rule of each message link, read once for the batch (hold and fall back).
    rules: BatchRules = field(default_factory=BatchRules)
    _cursor: CursorWrapper | None = None

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    def pending(self) -> int:
        return len(self.later) + len(self.failed) + len(self.skipped)

    def record_sent(self, delivery_id: int, provider_ref: str) -> bool:
        """Write "sent" right after the send. False when another worker holds the row now
        (this worker's lease lapsed): the send is not counted as this worker's."""
        if self._cursor is None:
            self._cursor = connection.cursor()  # one for the batch: this runs per message
        with self.lease.lock:
            self._cursor.execute(
                SENT_SQL,
                (
                    DeliveryState.SENT,
                    timezone.now(),
                    provider_ref or "",
                    delivery_id,
                    self.lease.token,
                    DeliveryState.INFLIGHT,
                ),
            )
            written = self._cursor.rowcount == 1
            self.lease.release(delivery_id)
        if not written:
            logger.warning("Delivery %s was taken over by another worker while sent", delivery_id)
        return written

    def flush(self) -> None:
        if not self.pending():
            return
        mine = {"claimed_by": self.lease.token, "state": DeliveryState.INFLIGHT}
        with self.lease.lock:
            self._write(mine)
            for delivery_id, _reason in self.skipped:
                self.lease.release(delivery_id)
            for delivery, *_rest in (*self.later, *self.failed):
                self.lease.release(delivery.pk)
        self.later, self.failed, self.skipped = [], [], []

    @transaction.atomic
    def _write(self, mine: dict) -> None:
        """The batched outcomes, each only where this claim still holds the row."""
        for delivery_id, reason in self.skipped:
            Delivery.objects.filter(pk=delivery_id, **mine).update(
                state=DeliveryState.SKIPPED, reason=reason, lease_until=None
            )
        for delivery, when, reason, error in self.later:
            written = Delivery.objects.filter(pk=delivery.pk, **mine).update(
                state=DeliveryState.AWAITING_RETRY,
                next_attempt_at=when,
                reason=reason,
                error=error[:500],
                lease_until=None,
                attempts=F("attempts") + (1 if error else 0),
            )
            if written:
                self.follow_up.append((delivery.pk, when))
        for delivery, reason, error in self.failed:
            written = Delivery.objects.filter(pk=delivery.pk, **mine).update(
                state=DeliveryState.FAILED,
                reason=reason,
                error=error[:500],
                lease_until=None,
                attempts=F("attempts") + 1,
            )
            if written:
                self._fall_back(delivery)

    def _fall_back(self, delivery: Delivery) -> None:
        """Fall back in a savepoint of the batch's write: an error here (a bug, bad data in
        the person's channels, a failed query) costs this delivery its fallback only. Raised,
        it would undo every outcome of the batch, which would stay in flight and fail the
        same way after each lease."""
        try:
            with transaction.atomic():
                created = fall_back(delivery, self.rules)
        except Exception:  # noqa: BLE001 - the failed outcome stays written
            logger.exception("Fallback of delivery %s failed", delivery.pk)
            return
        if created is not None:
            self.fallbacks.setdefault(created.channel, []).append(created.pk)


def fall_back(delivery: Delivery, rules: BatchRules | None = None) -> Delivery | None:
    """When the plan's rule (or the notice's kind) allows it and no other channel reached
    (or is still trying to reach) the person, queue the next channel they chose that this
    message or notice has not used, even one the rule does not list: the person's own
    choice of a second way to reach them. Returns the queued delivery (to be enqueued by
    the caller). `rules`: the batch's, when a worker calls."""
    if delivery.notice_id is not None:
        notice = delivery.notice
        person = notice.person
        # A code goes only where it was asked for; a notice to an address or number
        # named for it (being confirmed) has no other way to go.
        if person is None or notice.email or notice.phone:
            return None
        if not notices.kind(notice.kind).fallback:
            return None
        siblings = Delivery.objects.filter(notice_id=delivery.notice_id)
        owner = {"notice_id": delivery.notice_id}
        # A call is for alerts and for codes the person asked for: never a bounced notice
        # read out at night (most kinds are not held for quiet hours).
        barred = {"inapp", "voice"}
    else:
        rule = rules.of(delivery) if rules is not None else message_rule(delivery)
        if not rule.fallback:
            return None
        person = delivery.recipient.person
        siblings = Delivery.objects.filter(recipient_id=delivery.recipient_id)
        owner = {"message_id": delivery.message_id, "recipient_id": delivery.recipient_id}
        barred = {"inapp"}
    others = siblings.exclude(pk=delivery.pk)
    live = (*PENDING_STATES, *DONE_STATES)
    if others.exclude(channel="inapp").filter(state__in=live).exists():
        return None
    used = set(others.values_list("channel", flat=True)) | {delivery.channel}
    for channel in person.channels or []:
        if channel in used or channel in barred:
            continue
        reason = reach.unusable_reason(person, channel)
        created = Delivery.objects.create(
            **owner,
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
    from SMS_ALLOWED_COUNTRIES since) must not cost a text or a call (`reach`: the same
    rule the deliveries of a message were written with)."""
    return reach.unusable_reason(person, channel)


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter, so a provider outage is not hammered in step."""
    base = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


@contextmanager
def synchronous_commit_off():
    """On PostgreSQL, commit the batch's outcomes without waiting for the disk: a killed
    worker loses none of them (the server has them), one UPDATE per send stays cheap."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            logger.warning("synchronous_commit not reset: the connection is gone", exc_info=True)


def process(lease: Lease, channel: str, *, with_notices: bool = True) -> int:
    """Send the claimed deliveries on one transport connection while a heartbeat keeps
    the lease. Returns how many were handed to the provider and recorded by this worker.
    `with_notices=False`: the claim holds a message's deliveries only (a range of it)."""
    if not lease.ids:
        return 0
    book = Book(channel=channel, lease=lease)
    renderers: dict[int, object] = {}
    handed = 0
    # The transport first: a heartbeat started before a failure here would renew the
    # lease for ever, and the rows would never be taken over.
    transport = get_transport(channel)
    heartbeat = Heartbeat(lease)
    heartbeat.start()
    try:
        transport.open()
        with synchronous_commit_off():
            for delivery in _claimed_rows(lease, with_notices):
                if not lease.confirmed():
                    break
                if not lease.holds(delivery.pk):
                    continue  # taken over by another worker
                handed += _one(delivery, channel, transport, renderers, book)
                if book.pending() >= FLUSH_EVERY:
                    book.flush()
    finally:
        try:
            book.flush()
        finally:
            book.close()
            heartbeat.stop()
            transport.close()
    _follow_up(book)
    return handed


def _claimed_rows(lease: Lease, with_notices: bool) -> Iterator[Delivery]:
    """The claim's rows still held, a message's and then a notice's, each with what sending
    needs and no more (a network's area or a person's password hash would cost more to load
    than the send itself). A range of a message holds no notice: no query for them (one
    per batch, some 600 for an alert to 300,000 people)."""
    mine = Delivery.objects.filter(
        id__in=lease.ids, claimed_by=lease.token, state=DeliveryState.INFLIGHT
    ).order_by("id")
    messages = (
        mine.filter(notice_id__isnull=True)
        .select_related("recipient__person", "recipient__link__network", "message")
        .only(*LOADED_FIELDS)
    )
    yield from messages.iterator(chunk_size=200)
    if not with_notices:
        return
    yield from (
        mine.filter(notice_id__isnull=False).select_related("notice__person").only(*NOTICE_FIELDS)
    )


def _one(delivery: Delivery, channel: str, transport, renderers: dict, book: Book) -> int:
    """Prepare and send one delivery. An unexpected error fails it (and falls back), the
    batch goes on; a database error stops the batch (not this delivery's fault: its lease
    lapses and another worker takes the rows)."""
    try:
        if delivery.notice_id is not None:
            envelope = _notice_envelope(delivery, channel, book)
        else:
            envelope = _message_envelope(delivery, channel, renderers, book)
    except AnyDatabaseError:
        raise
    except Unrenderable as exc:
        book.failed.append((delivery, Reason.SENDING_ERROR, describe(exc.error)))
        return 0
    except Exception as exc:  # noqa: BLE001 - one delivery's failure is recorded
        _unexpected(delivery, exc, book)
        return 0
    if envelope is None:
        return 0
    try:
        return _send(delivery, envelope, transport, book)
    except AnyDatabaseError:
        # InterfaceError too, once a connection has failed.
        raise
    except Exception as exc:  # noqa: BLE001 - one delivery's failure is recorded
        _unexpected(delivery, exc, book)
        _restart(transport, book)
        return 0


def _message_envelope(
    delivery: Delivery, channel: str, renderers: dict, book: Book
) -> Envelope | None:
    """The envelope of a message's delivery, or None when it is not sent now (recorded in
    the book: skipped, failed or held)."""
    person = delivery.recipient.person
    if channel not in (person.channels or []) and delivery.fallback_from_id is None:
        book.skipped.append((delivery.pk, Reason.CHANNEL_WITHDRAWN))
        return None
    if channel in PHONE_CHANNELS:
        reason = phone_unusable_reason(person, channel)
        if reason:
            # Never handed to the provider; failed (not skipped) so the plan's fallback runs.
            book.failed.append((delivery, reason, ""))
            return None
    rule = book.rules.of(delivery)
    hold = hold_until(
        person,
        timezone.now(),
        quiet_hours=rule.quiet_hours_apply,
        sending_hours=rule.sending_hours,
    )
    if hold:
        book.later.append((delivery, hold[0], hold[1], ""))
        return None
    return _renderer(delivery, renderers).envelope(delivery, person)


class Unrenderable(Exception):
    """The renderer of a delivery's message could not be made (`error` says why)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _renderer(delivery: Delivery, renderers: dict):
    """The message's renderer, made once per batch. One that cannot be made is tried and
    logged once; every delivery of its message in the batch fails with that error."""
    found = renderers.get(delivery.message_id)
    if found is None:
        try:
            found = registry.renderer_for(delivery.message)
        except AnyDatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001 - each of its deliveries records it
            logger.exception("Message %s cannot be rendered", delivery.message_id)
            found = exc
        renderers[delivery.message_id] = found
    if isinstance(found, Exception):
        raise Unrenderable(found)
    return found


def _notice_envelope(delivery: Delivery, channel: str, book: Book) -> Envelope | None:
    """The envelope of a notice's delivery, or None when it is not sent now."""
    notice = delivery.notice
    person = notice.person
    if channel in PHONE_CHANNELS:
        if notice.phone:
            reason = reach.number_reason(notice.phone, channel)
        elif person is None:
            reason = Reason.PHONE_MISSING
        elif channel not in (person.channels or []) and delivery.fallback_from_id is None:
            book.skipped.append((delivery.pk, Reason.CHANNEL_WITHDRAWN))
            return None
        else:
            reason = phone_unusable_reason(person, channel)
        if reason:
            book.failed.append((delivery, reason, ""))
            return None
    if person is not None:
        quiet_hours = notices.kind(notice.kind).quiet_hours
        hold = hold_until(person, timezone.now(), quiet_hours=quiet_hours)
        if hold:
            book.later.append((delivery, hold[0], hold[1], ""))
            return None
    return notices.envelope(delivery, notice)


def _send(delivery: Delivery, envelope: Envelope, transport, book: Book) -> int:
    """Hand the envelope to the provider and book the outcome. Returns 1 when it was
    handed over and recorded by this worker."""
    now = timezone.now()
    try:
        outcome: Outcome = transport.send(envelope)
    except TransportError as exc:
        from .breaker import outage_wait

        reason = exc.reason or Reason.PROVIDER
        if exc.outage:
            # The provider is paused (breaker.py): the delivery waits for it without using
            # an attempt, for as long as its message is valid, then fails and falls back.
            when, expired = outage_wait(delivery, exc, transport)
            if when is None:
                book.failed.append((delivery, reason, expired))
            else:
                book.later.append((delivery, when, reason, ""))
        elif exc.permanent or delivery.attempts + 1 >= settings.DELIVERY_MAX_ATTEMPTS:
            book.failed.append((delivery, reason, exc.message))
        else:
            wait = max(retry_delay(delivery.attempts + 1), timedelta(seconds=exc.retry_after or 0))
            book.later.append((delivery, now + wait, reason, exc.message))
        return 0
    return 1 if book.record_sent(delivery.pk, outcome.provider_ref) else 0


def _unexpected(delivery: Delivery, exc: Exception, book: Book) -> None:
    """Fail the delivery with the error (retrying the same code on the same data fails the
    same way, and an alert's fallback must not wait for back-off)."""
    logger.exception("Delivery %s failed unexpectedly", delivery.pk)
    book.failed.append((delivery, Reason.SENDING_ERROR, describe(exc)))


def describe(exc: Exception) -> str:
    """The error as the reach report shows it: its class and message."""
    return f"{type(exc).__name__}: {exc}"


def _restart(transport, book: Book) -> None:
    """Start the transport afresh after an unexpected error while sending: it may have
    left its connection half-way through a message."""
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
