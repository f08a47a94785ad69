"""Is delivery working? The degraded half of `/healthz`.

The probe is polled often, so every check is a bounded, indexed query:

- stalled work: deliveries that could be claimed (queued, a retry that is due, or in flight
  with a lease that ran out) for longer than `HEALTH_DELIVERY_STALL_SECONDS`, of a message
  no worker holds any delivery of right now. A live worker renews the lease of what it sends
  (its heartbeat), so "nobody holds anything of this message, and its work has waited for two
  minutes" means the workers are dead, stuck, or all busy with something else while an alert
  waits. The oldest claimable rows come from the partial index on pending deliveries
  (`delivery_pending_idx`), the held rows from the (message, channel, state) index.
- paused providers: a channel whose provider the workers' circuit breaker paused.

Which work queues a live worker serves is told by the workers' beats
(`operations.probes.worker_problems`), for both task backends.

The answer names checks, channels, message kinds and ages: never a person or an address.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from buurtnet.delivery import notices
from buurtnet.delivery.models import PENDING_STATES, Delivery, DeliveryState

# How many of the oldest claimable deliveries are looked at: enough to see past one big
# message that workers are busy with, few enough to stay cheap.
OLDEST_SAMPLE = 50


def delivery_problems(now: datetime | None = None) -> list[dict]:
    """What is wrong with delivery now, as small JSON-able dicts (empty when all is well)."""
    now = now or timezone.now()
    return [*stalled_deliveries(now), *paused_providers()]


def _claimable_before(cutoff: datetime) -> Q:
    """Claimable since before cutoff (a queued row's next_attempt_at is when it was queued)."""
    return Q(state__in=PENDING_STATES, next_attempt_at__lt=cutoff) & (
        Q(state=DeliveryState.QUEUED)
        | Q(state=DeliveryState.AWAITING_RETRY)
        | Q(state=DeliveryState.INFLIGHT, lease_until__lt=cutoff)
    )


FIELDS = (
    "message_id",
    "notice_id",
    "notice__kind",
    "channel",
    "state",
    "next_attempt_at",
    "lease_until",
)


def stalled_deliveries(now: datetime) -> list[dict]:
    cutoff = now - timedelta(seconds=settings.HEALTH_DELIVERY_STALL_SECONDS)
    oldest = list(
        Delivery.objects.filter(_claimable_before(cutoff))
        .order_by("next_attempt_at")
        .values(*FIELDS)[:OLDEST_SAMPLE]
    )
    # An alert (or a log-in code) stuck behind older bulk work must not hide behind it.
    for urgent in (Q(message__kind="alert"), Q(notice__kind__in=notices.urgent_kinds())):
        oldest += list(
            Delivery.objects.filter(_claimable_before(cutoff), urgent)
            .order_by("next_attempt_at")
            .values(*FIELDS)[:1]
        )
    problems: dict[tuple[tuple, str], dict] = {}
    held: dict[tuple, bool] = {}
    for row in oldest:
        # A message's deliveries, or a notice's: a live worker on one of them is busy on
        # it, not stuck; a notice in flight says nothing about another notice.
        owner = (row["message_id"], row["notice_id"])
        if owner not in held:
            held[owner] = Delivery.objects.filter(
                message_id=row["message_id"],
                notice_id=row["notice_id"],
                state=DeliveryState.INFLIGHT,
                lease_until__gte=now,
            ).exists()
        if held[owner]:
            continue
        since = row["next_attempt_at"]
        if row["state"] == DeliveryState.INFLIGHT and row["lease_until"]:
            since = max(since, row["lease_until"])
        key = (owner, row["channel"])
        if key not in problems:
            problems[key] = {
                "check": "deliveries_stalled",
                "channel": row["channel"],
                "waiting_seconds": int((now - since).total_seconds()),
                "urgent": row["notice__kind"] in notices.urgent_kinds(),
            }
    if not problems:
        return []
    alerts = set(_alert_ids({message_id for (message_id, _n), _c in problems if message_id}))
    for ((message_id, _notice_id), _channel), problem in problems.items():
        urgent = problem.pop("urgent")
        problem["alert"] = urgent or message_id in alerts
    return sorted(problems.values(), key=lambda p: (-p["alert"], -p["waiting_seconds"]))


def _alert_ids(message_ids: set[int]) -> list[int]:
    from buurtnet.messaging.models import Message

    return list(
        Message.objects.filter(pk__in=message_ids, kind="alert").values_list("pk", flat=True)
    )


def paused_providers() -> list[dict]:
    from buurtnet.delivery import breaker

    return [
        {
            "check": "provider_paused",
            "channel": channel,
            "provider": state["provider"],
            "since": state["since"].isoformat() if state.get("since") else None,
            "next_try": state["next_try"].isoformat() if state.get("next_try") else None,
        }
        for channel, state in sorted(breaker.paused_channels().items())
    ]
