"""The outbox: writing a message's deliveries, handing deliveries to the task workers, and
taking back what a crash left.

Writing. Messaging writes a message's audience (its `Recipient` rows); `write_deliveries`
then writes one delivery per recipient and channel in one INSERT … SELECT, whatever the
audience size, keeping a channel where the plan's rule for the recipient's BIN and the
person's own choice both name it, and marking "skipped" (with the reason) whoever that
channel cannot reach (`reach`: the same rule the worker applies).

Enqueueing. Work is enqueued only after the transaction that wrote the deliveries commits.
A task covers a range of delivery ids of one message and channel; the first range of each
channel is small so the first deliveries leave at once while the rest is still being
enqueued. A notice's deliveries (a few) go as one task per channel. Workers claim rows
atomically, so a range enqueued twice is harmless.

Every task goes to the work queue of its message's kind (queues.queue_for_kind): an alert's
ranges to `alerts`, a tip's to `bulk`, so an alert never waits behind a campaign; a
notice's to the queue of its kind (`notices.KINDS`: a code with the alerts).
"""

from datetime import datetime, timedelta
from itertools import zip_longest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django_tasks import default_task_backend

from buurtnet.common.reconnect import after_commit

from . import notices, reach
from .models import Delivery, DeliveryState
from .queues import QUEUES, queue_for_kind, route

SENT_BY_WORKERS = ("email", "sms", "push", "voice")
# Ids per task when stale notice deliveries are enqueued again.
NOTICE_IDS_PER_TASK = 200


# --- Writing a message's deliveries ---------------------------------------------------------


def write_deliveries(message_id: int, per_channel: list[tuple[str, list[int]]], now) -> None:
    """Write the deliveries of the message's recipients (already written): per channel the
    workers send, for the recipients of the listed message-network links (`Recipient.link`)
    whose own choice names that channel; and the in-app delivery of every recipient. Must
    run inside the transaction that wrote the recipients."""
    with connection.cursor() as cursor:
        _insert_deliveries(cursor, message_id, per_channel, now)
        _insert_inapp(cursor, message_id, now)


def _tables() -> tuple[str, str]:
    """The recipients' and the people's tables, through the delivery's own relations."""
    recipient = Delivery._meta.get_field("recipient").related_model
    return recipient._meta.db_table, get_user_model()._meta.db_table


def _insert_deliveries(cursor, message_id: int, per_channel: list[tuple[str, list[int]]], now):
    """One INSERT … SELECT for every channel the workers send: each recipient is read once,
    crossed with the channels, and kept where the plan's rule for their BIN and their own
    choice both name the channel. Rows come out ordered by channel, so each channel's
    deliveries form one id range for the workers."""
    wanted = [(channel, ids) for channel, ids in per_channel if ids]
    if not wanted:
        return
    recipients, people = _tables()
    channels_sql = " UNION ALL ".join(f"SELECT '{channel}' AS channel" for channel, _ids in wanted)
    matches, params = [], []
    for channel, ids in wanted:
        matches.append(
            f"(c.channel = '{channel}' AND r.link_id IN ({','.join(['%s'] * len(ids))}) "
            f"AND {reach.chosen_sql('p.channels', channel)})"
        )
        params += ids
    usable = (
        "CASE c.channel "
        + " ".join(f"WHEN '{channel}' THEN {reach.usable_sql(channel)}" for channel, _ids in wanted)
        + " END"
    )
    reason = (
        "CASE c.channel "
        + " ".join(f"WHEN '{channel}' THEN {reach.reason_sql(channel)}" for channel, _ids in wanted)
        + " END"
    )
    when = connection.ops.adapt_datetimefield_value(now)
    cursor.execute(
        "INSERT INTO delivery_delivery (message_id, recipient_id, channel, state, reason, "  # noqa: S608 - fixed fragments only; values are parameters
        "error, attempts, next_attempt_at, provider_ref, queued_at) "
        f"SELECT r.message_id, r.id, c.channel, CASE WHEN {usable} THEN 'queued' "
        f"ELSE 'skipped' END, CASE WHEN {usable} THEN '' ELSE {reason} END, '', 0, %s, '', %s "
        f"FROM {recipients} r JOIN {people} p ON p.id = r.person_id "
        f"{reach.CONFIRMED_EMAIL_JOIN} "
        f"CROSS JOIN ({channels_sql}) c "
        f"WHERE r.message_id = %s AND ({' OR '.join(matches)}) "
        "ORDER BY c.channel, r.id",
        [when, when, message_id, *params],
    )


def _insert_inapp(cursor, message_id: int, now) -> None:
    """The inbox is the database itself: the in-app delivery is done once written."""
    recipients, _people = _tables()
    when = connection.ops.adapt_datetimefield_value(now)
    cursor.execute(
        "INSERT INTO delivery_delivery (message_id, recipient_id, channel, state, reason, "  # noqa: S608 - fixed fragments only; values are parameters
        "error, attempts, provider_ref, queued_at, sent_at, delivered_at) "
        "SELECT r.message_id, r.id, 'inapp', 'delivered', '', '', 0, '', %s, %s, %s "
        f"FROM {recipients} r WHERE r.message_id = %s",
        [when, when, when, message_id],
    )


# --- Handing deliveries to the workers ------------------------------------------------------


def enqueue_message(message_id: int) -> None:
    """Hand the message's deliveries to the workers once the transaction commits. A broker
    that does not answer then is logged, never raised (the message is saved and its rows
    stay queued): `recover()`, run by the tick, enqueues them again."""
    # after_commit runs it in this context: a `queues.sending_on` block has ended by then.
    after_commit(lambda: enqueue_ranges(message_id), f"the deliveries of message {message_id}")


def queue_of_message(message_id: int) -> str:
    """The queue of the message's deliveries, read through their own relation."""
    # No ORDER BY: any row of the message tells, found through its index.
    kinds = (
        Delivery.objects.filter(message_id=message_id)
        .order_by()
        .values_list("message__kind", flat=True)[:1]
    )
    return queue_for_kind(next(iter(kinds), None) or "")


def queue_of_deliveries(ids: list[int]) -> str:
    """The most urgent queue among these deliveries' messages and notices (in practice:
    they are of one message or one notice)."""
    kinds = set(
        Delivery.objects.filter(id__in=ids).values_list("message__kind", "notice__kind").distinct()
    )
    queues = {
        queue_for_kind(message_kind) if notice_kind is None else notices.queue_of(notice_kind)
        for message_kind, notice_kind in kinds
    }
    return min(queues, key=QUEUES.index, default=queue_for_kind(""))


def ranges(lo: int, hi: int, first: int, size: int) -> list[tuple[int, int]]:
    out, start, step = [], lo, first
    while start <= hi:
        end = min(start + step - 1, hi)
        out.append((start, end))
        start, step = end + 1, size
    return out


def enqueue_ranges(message_id: int, state_filter: Q | None = None) -> int:
    """Enqueue one task per id range and channel, channels interleaved, on the queue of the
    message's kind. Returns tasks."""
    from . import tasks

    pending = Delivery.objects.filter(message_id=message_id, channel__in=SENT_BY_WORKERS)
    pending = pending.filter(state_filter or Q(state=DeliveryState.QUEUED))
    spans = pending.values("channel").annotate(lo=Min("id"), hi=Max("id"), n=Count("id"))
    per_channel = [
        [
            (span["channel"], lo, hi)
            for lo, hi in ranges(
                span["lo"],
                span["hi"],
                settings.DELIVERY_FIRST_BATCH_SIZE,
                settings.DELIVERY_BATCH_SIZE,
            )
        ]
        for span in spans.order_by()
    ]
    rounds = [[item for item in round_ if item] for round_ in zip_longest(*per_channel)]
    if not rounds:
        return 0
    task = route(tasks.deliver_range, queue_of_message(message_id))
    # The first range of each channel goes at once, so workers start sending; the rest is
    # enqueued in one transaction (with the database backend: one commit, not hundreds).
    for item in rounds[0]:
        task.enqueue(message_id, *item)
    with transaction.atomic():
        for round_ in rounds[1:]:
            for item in round_:
                task.enqueue(message_id, *item)
    return sum(len(round_) for round_ in rounds)


def enqueue_ids(
    ids: list[int], channel: str, run_after: datetime | None = None, queue: str | None = None
) -> None:
    """Hand these deliveries of one channel to the workers after the commit, on queue
    (default: the most urgent of their messages' and notices' queues)."""
    from . import tasks

    if not ids:
        return
    if run_after is not None and not default_task_backend.supports_defer:
        return  # the tick picks them up when they are due

    def enqueue() -> None:
        # Inside a delivery task, a message that is not an alert stays on the queue its
        # batch came from (tasks.deliver_range sets it).
        chosen = queue or queue_of_deliveries(ids)
        route(tasks.deliver_ids, chosen, run_after).enqueue(ids, channel)

    after_commit(enqueue, f"{len(ids)} {channel} deliveries")


def enqueue_notice(notice_id: int, kind: str) -> None:
    """Hand a new notice's deliveries to the workers once the transaction commits, one task
    per channel on the queue of its kind. A broker that does not answer is logged; the
    tick's `recover()` enqueues the rows again."""
    from . import tasks

    def enqueue() -> None:
        task = route(tasks.deliver_ids, notices.queue_of(kind))
        rows = Delivery.objects.filter(notice_id=notice_id, state=DeliveryState.QUEUED)
        per_channel: dict[str, list[int]] = {}
        for pk, channel in rows.order_by("id").values_list("id", "channel"):
            per_channel.setdefault(channel, []).append(pk)
        for channel, ids in per_channel.items():
            task.enqueue(ids, channel)

    after_commit(enqueue, f"the deliveries of notice {notice_id}")


def recover(now: datetime | None = None) -> int:
    """Re-enqueue deliveries whose worker died (lease expired), retries that are due and
    queued rows nobody picked up for DELIVERY_REQUEUE_AFTER_SECONDS. Returns tasks enqueued."""
    now = now or timezone.now()
    # A queued row whose task was lost (a broker that did not answer at send, a Redis
    # restart that dropped its waiting jobs) waits at most this long plus one tick.
    requeue_after = timedelta(seconds=settings.DELIVERY_REQUEUE_AFTER_SECONDS)
    stale = (
        Q(state=DeliveryState.INFLIGHT, lease_until__lt=now)
        | Q(state=DeliveryState.AWAITING_RETRY, next_attempt_at__lte=now)
        | Q(state=DeliveryState.QUEUED, next_attempt_at__lt=now - requeue_after)
    )
    message_ids = (
        Delivery.objects.filter(stale, channel__in=SENT_BY_WORKERS, message_id__isnull=False)
        .values_list("message_id", flat=True)
        .distinct()
    )
    tasks = sum(enqueue_ranges(mid, stale) for mid in list(message_ids))
    return tasks + _recover_notices(stale)


def _recover_notices(stale: Q) -> int:
    """Stale deliveries of notices (message_id NULL), as tasks of ids per channel and queue.
    Returns tasks enqueued."""
    from . import tasks

    rows = (
        Delivery.objects.filter(stale, channel__in=SENT_BY_WORKERS, notice_id__isnull=False)
        .order_by("id")
        .values_list("id", "channel", "notice__kind")
    )
    groups: dict[tuple[str, str], list[int]] = {}
    for pk, channel, kind in rows:
        groups.setdefault((channel, notices.queue_of(kind)), []).append(pk)
    enqueued = 0
    for (channel, queue), ids in groups.items():
        task = route(tasks.deliver_ids, queue)
        for start in range(0, len(ids), NOTICE_IDS_PER_TASK):
            task.enqueue(ids[start : start + NOTICE_IDS_PER_TASK], channel)
            enqueued += 1
    return enqueued
