"""Handing written deliveries to the task workers, and taking back what a crash left.

Work is enqueued only after the transaction that wrote the deliveries commits. A task
covers a range of delivery ids of one message and channel; the first range of each channel
is small so the first deliveries leave at once while the rest is still being enqueued.
Workers claim rows atomically, so a range enqueued twice is harmless.

Every task goes to the work queue of its message's kind (queues.queue_for_kind): an alert's
ranges to `alerts`, a tip's to `bulk`, so an alert never waits behind a campaign.
"""

from datetime import datetime, timedelta
from itertools import zip_longest

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django_tasks import default_task_backend

from buurtnet.common.reconnect import after_commit

from .models import Delivery, DeliveryState
from .queues import queue_for_kind, route

SENT_BY_WORKERS = ("email", "sms", "push", "voice")


def enqueue_message(message_id: int) -> None:
    """Hand the message's deliveries to the workers once the transaction commits. A broker
    that does not answer then is logged, never raised (the message is saved and its rows
    stay queued): `recover()`, run by the tick, enqueues them again."""
    # after_commit runs it in this context: a `queues.sending_on` block has ended by then.
    after_commit(lambda: enqueue_ranges(message_id), f"the deliveries of message {message_id}")


def queue_of_message(message_id: int) -> str:
    from buurtnet.messaging.models import Message

    kind = Message.objects.filter(pk=message_id).values_list("kind", flat=True).first()
    return queue_for_kind(kind or "")


def queue_of_deliveries(ids: list[int]) -> str:
    """The queue of the most urgent message among these deliveries (in practice: one)."""
    kinds = set(
        Delivery.objects.filter(id__in=ids).values_list("message__kind", flat=True).distinct()
    )
    return queue_for_kind("alert" if "alert" in kinds else next(iter(kinds), ""))


def schedule_dispatch(message_id: int, when: datetime) -> None:
    """Send a scheduled message at its time. The periodic tick is the safety net for a
    backend that cannot defer, a task that was lost or a broker that did not answer."""
    from . import tasks

    def enqueue() -> None:
        if default_task_backend.supports_defer:
            task = route(tasks.dispatch_message, queue_of_message(message_id), run_after=when)
            task.enqueue(message_id)

    after_commit(enqueue, f"the scheduled dispatch of message {message_id}")


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


def enqueue_ids(ids: list[int], channel: str, run_after: datetime | None = None) -> None:
    from . import tasks

    if not ids:
        return
    if run_after is not None and not default_task_backend.supports_defer:
        return  # the tick picks them up when they are due

    def enqueue() -> None:
        # Inside a delivery task, a message that is not an alert stays on the queue its
        # batch came from (tasks.deliver_range sets it).
        route(tasks.deliver_ids, queue_of_deliveries(ids), run_after).enqueue(ids, channel)

    after_commit(enqueue, f"{len(ids)} {channel} deliveries")


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
        Delivery.objects.filter(stale, channel__in=SENT_BY_WORKERS)
        .values_list("message_id", flat=True)
        .distinct()
    )
    return sum(enqueue_ranges(mid, stale) for mid in list(message_ids))
