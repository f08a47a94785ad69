"""The checks behind `/healthz` (liveness) and `/readyz` (readiness).

Every check is one cheap query or one round trip, and answers with small JSON-able dicts
that name a check, a queue or an age: never a person or an address.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from buurtnet.delivery import notices
from buurtnet.delivery.models import Delivery
from buurtnet.delivery.queues import QUEUES
from buurtnet.delivery.worker import claimable

from . import health
from .models import PeriodicRun, WorkerBeat


def database_answers() -> None:
    """Raises when the database cannot be reached."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def uses_redis_cache() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def cache_answers() -> None:
    """Raises when a Redis cache is configured and does not answer (the per-process
    memory cache of the embedded default always answers)."""
    if uses_redis_cache():
        cache.get("readyz:probe")


def task_backend_name() -> str:
    return type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__


def broker_answers() -> None:
    """Raises when the task backend's store (the database, or Redis for RQ) does not answer."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    kind = type(backend).__name__
    if kind == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()
    elif kind == "RQBackend":
        import django_rq

        for queue in backend.queues:
            django_rq.get_connection(queue).ping()


def oldest_waiting_alert(now: datetime) -> datetime | None:
    """When the longest-waiting alert delivery became ready to send (the pending index). A
    log-in or verification code counts as an alert: someone is waiting to type it in. Two
    queries, each down its own partial index, rather than an OR across two joins."""
    found = [
        next(iter(rows), None)
        for rows in (
            Delivery.objects.filter(claimable(now), message__kind="alert")
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)[:1],
            Delivery.objects.filter(claimable(now), notice__kind__in=notices.urgent_kinds())
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)[:1],
        )
    ]
    return min((when for when in found if when is not None), default=None)


def live_workers(now: datetime) -> QuerySet[WorkerBeat]:
    """The worker processes that beat within READY_WORKER_SECONDS."""
    cutoff = now - timedelta(seconds=settings.READY_WORKER_SECONDS)
    return WorkerBeat.objects.filter(seen_at__gte=cutoff)


def workers_seen(now: datetime) -> int:
    return live_workers(now).count()


def worker_problems(now: datetime) -> list[dict]:
    """No live worker at all, and each work queue no live worker serves, in priority order.

    Which queues are served comes from the beats (each names its worker's queues), for both
    task backends: a lone bulk worker must not make the installation look ready while alerts
    wait. RQ's own worker registrations are not asked: a Redis that restarts empty loses
    them, and a running worker never registers again, while its beat goes on."""
    beats = list(live_workers(now).values_list("queues", flat=True))
    problems = []
    if not beats:
        last = WorkerBeat.objects.aggregate(last=Max("seen_at"))["last"]
        problems.append({"check": "no_worker_beat", "last_seen_seconds": _age(now, last)})
    served = {queue.strip() for queues in beats for queue in queues.split(",")}
    problems += [
        {"check": "queue_unserved", "queue": queue} for queue in QUEUES if queue not in served
    ]
    return problems


def tick_problems(now: datetime) -> list[dict]:
    """The tick finished no step for READY_TICK_SECONDS. A tick that never ran counts too,
    except in the first READY_TICK_SECONDS after the first worker of a fresh installation
    beat (the two usually start together)."""
    limit = timedelta(seconds=settings.READY_TICK_SECONDS)
    last = PeriodicRun.objects.aggregate(last=Max("last_finished"))["last"]
    if last is not None and now - last <= limit:
        return []
    if last is None:
        first_beat = WorkerBeat.objects.aggregate(first=Min("started_at"))["first"]
        if first_beat is not None and now - first_beat <= limit:
            return []
    return [{"check": "tick_stopped", "last_finished_seconds": _age(now, last)}]


def alert_problems(now: datetime) -> list[dict]:
    oldest = oldest_waiting_alert(now)
    waited = _age(now, oldest)
    if waited is None or waited <= settings.READY_ALERT_WAIT_SECONDS:
        return []
    return [{"check": "alert_waiting", "waiting_seconds": waited}]


def _age(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds()))


def _failed(check: str, error: BaseException) -> dict:
    # The exception's class only: its message may hold a host name, a DSN or worse.
    return {"check": check, "error": type(error).__name__}


def readiness_problems(now: datetime | None = None) -> list[dict]:
    """Everything that keeps this installation from doing its work now (empty: ready)."""
    now = now or timezone.now()
    problems = []
    for check, probe in (("database", database_answers), ("cache", cache_answers)):
        try:
            probe()
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            problems.append(_failed(check, error))
    database_down = any(p["check"] == "database" for p in problems)
    try:
        broker_answers()
    except Exception as error:  # noqa: BLE001
        if not (database_down and task_backend_name() == "DatabaseBackend"):
            problems.append(_failed("task_broker", error) | {"backend": task_backend_name()})
    if database_down:
        return problems  # every other check asks the database
    for check, probe in (
        ("worker_beat", worker_problems),
        ("tick", tick_problems),
        ("alert_wait", alert_problems),
        ("delivery", health.delivery_problems),
    ):
        try:
            problems += probe(now)
        except Exception as error:  # noqa: BLE001 - a failing check is itself a problem
            problems.append(_failed(f"{check}_check_failed", error))
    return problems
