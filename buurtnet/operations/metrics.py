"""Prometheus metrics: request counters kept by each process, and the installation's state
read from the database at scrape time.

With several gunicorn workers, PROMETHEUS_MULTIPROC_DIR makes prometheus_client keep the
request counters in files shared by the workers; a scrape (answered by any one worker) adds
them up with MultiProcessCollector, and adds the database collector once. Without it, one
process answers for itself.

No label holds a path, an id or anything a person typed: requests are labelled by method,
status and the URL pattern's name.
"""

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

import buurtnet
from buurtnet.common.client_ip import client_ip
from buurtnet.delivery.models import PENDING_STATES, Delivery
from buurtnet.delivery.worker import claimable
from buurtnet.messaging.models import Message
from buurtnet.plans.models import MessageKind

from . import probes
from .models import PeriodicRun

# The registry of this process's own metrics (the request counters).
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Deliveries in a final state (sent, failed, skipped…) are counted for the messages of this
# last stretch of time only: the table keeps millions of them until the retention purge, and
# a scrape must not read them all.
FINAL_STATES_WINDOW = timedelta(hours=24)

http_requests = Counter(
    "buurtnet_http_requests",
    "HTTP requests answered, by method and status code.",
    ["method", "status"],
    registry=PROCESS_REGISTRY,
)
http_duration = Histogram(
    "buurtnet_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern name.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=PROCESS_REGISTRY,
)


class MetricsMiddleware:
    """Counts and times every request. First in MIDDLEWARE, so the time includes the rest."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in HTTP_METHODS else "other"
        http_requests.labels(method, str(response.status_code)).inc()
        http_duration.labels(view_label(request)).observe(time.perf_counter() - started)
        return response


def view_label(request) -> str:
    """The URL pattern's name ("networks:detail"); never the path, which holds ids."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or "unnamed"


class StateCollector:
    """The installation's state, read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "buurtnet_build_info", "The running version (always 1).", labels=["version"]
        )
        info.add_metric([getattr(buurtnet, "__version__", "unknown")], 1)
        yield info
        up = GaugeMetricFamily(
            "buurtnet_database_up", "1 when the scrape could read the database, else 0."
        )
        try:
            families = list(database_metrics(timezone.now()))
        except Exception:  # noqa: BLE001 - the scrape still answers, and says so
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def database_metrics(now: datetime) -> Iterator[Metric]:
    yield deliveries_by_channel_and_state(now)
    yield from delivery_queues(now)
    yield from rq_queues()
    yield from periodic_runs()
    workers = GaugeMetricFamily(
        "buurtnet_workers_seen",
        "Worker processes with a beat in the last READY_WORKER_SECONDS.",
    )
    workers.add_metric([], probes.workers_seen(now))
    yield workers


def deliveries_by_channel_and_state(now: datetime) -> Metric:
    """Pending deliveries (all of them: the partial index `delivery_pending_idx` holds only
    those), and deliveries in a final state of the messages created within
    FINAL_STATES_WINDOW (a range of the (message, channel, state) index: message ids grow
    with time)."""
    family = GaugeMetricFamily(
        "buurtnet_deliveries",
        "Deliveries by channel and state: every pending one, and those in a final state of "
        "the messages of the last 24 hours.",
        labels=["channel", "state"],
    )
    counts = _by_channel_and_state(Delivery.objects.filter(state__in=PENDING_STATES))
    first_recent = Message.objects.filter(created_at__gte=now - FINAL_STATES_WINDOW).aggregate(
        first=Min("pk")
    )["first"]
    if first_recent is not None:
        counts += _by_channel_and_state(
            Delivery.objects.filter(message_id__gte=first_recent).exclude(state__in=PENDING_STATES)
        )
    for channel, state, n in counts:
        family.add_metric([channel, state], n)
    return family


def _by_channel_and_state(deliveries) -> list[tuple[str, str, int]]:
    return list(deliveries.order_by().values_list("channel", "state").annotate(n=Count("id")))


def delivery_queues(now: datetime) -> Iterator[Metric]:
    """Per message kind: deliveries not done yet, and how long the oldest a worker could
    take has waited. Grouped by message first (few are in flight at once), then the kinds of
    those messages looked up: no join over every pending row."""
    pending = dict.fromkeys(MessageKind.values, 0)
    oldest: dict[str, datetime] = {}
    by_message = {
        row["message_id"]: row["n"]
        for row in Delivery.objects.filter(state__in=PENDING_STATES)
        .order_by()
        .values("message_id")
        .annotate(n=Count("id"))
    }
    waiting = {
        row["message_id"]: row["since"]
        for row in Delivery.objects.filter(claimable(now))
        .order_by()
        .values("message_id")
        .annotate(since=Min("next_attempt_at"))
    }
    kinds = dict(
        Message.objects.filter(pk__in=by_message.keys() | waiting.keys()).values_list("pk", "kind")
    )
    counts = [(kinds.get(m, "unknown"), n) for m, n in by_message.items() if m is not None]
    sinces = [(kinds.get(m, "unknown"), s) for m, s in waiting.items() if m is not None]
    if None in by_message or None in waiting:
        notice_counts, notice_sinces = _notice_queues(now)
        counts += notice_counts
        sinces += notice_sinces
    for kind, n in counts:
        pending[kind] = pending.get(kind, 0) + n
    for kind, since in sinces:
        if since is not None and (kind not in oldest or since < oldest[kind]):
            oldest[kind] = since
    length = GaugeMetricFamily(
        "buurtnet_delivery_queue_length",
        "Deliveries not sent yet (queued, in flight, awaiting a retry), by message kind.",
        labels=["kind"],
    )
    age = GaugeMetricFamily(
        "buurtnet_delivery_oldest_waiting_seconds",
        "Age of the oldest delivery a worker could take now, by message kind (0: none).",
        labels=["kind"],
    )
    for kind, n in sorted(pending.items()):
        length.add_metric([kind], n)
        since = oldest.get(kind)
        age.add_metric([kind], max(0.0, (now - since).total_seconds()) if since else 0.0)
    yield length
    yield age


def _notice_queues(now: datetime) -> tuple[list, list]:
    """Deliveries of notices to one person (no message), as `notice_<kind>`: how many are
    pending, and since when the oldest a worker could take waits. A log-in code that waits
    is as urgent as an alert."""
    rows = Delivery.objects.filter(message_id__isnull=True).order_by()
    counts = rows.filter(state__in=PENDING_STATES).values("notice__kind").annotate(n=Count("id"))
    sinces = rows.filter(claimable(now)).values("notice__kind").annotate(s=Min("next_attempt_at"))
    return (
        [(f"notice_{row['notice__kind']}", row["n"]) for row in counts],
        [(f"notice_{row['notice__kind']}", row["s"]) for row in sinces],
    )


def rq_queues() -> Iterator[Metric]:
    """With the Redis task backend: the jobs waiting in each RQ queue."""
    if probes.task_backend_name() != "RQBackend":
        return
    import django_rq
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    family = GaugeMetricFamily(
        "buurtnet_rq_queue_length", "Jobs waiting in each RQ queue.", labels=["queue"]
    )
    for queue in task_backends[DEFAULT_TASK_BACKEND_ALIAS].queues:
        family.add_metric([queue], django_rq.get_queue(queue).count)
    yield family


def periodic_runs() -> Iterator[Metric]:
    finished = GaugeMetricFamily(
        "buurtnet_periodic_last_finished_timestamp_seconds",
        "When each tick step last finished (Unix time).",
        labels=["step"],
    )
    failed = GaugeMetricFamily(
        "buurtnet_periodic_last_error",
        "1 when the last run of a tick step failed, else 0.",
        labels=["step"],
    )
    for name, last_finished, last_error in PeriodicRun.objects.values_list(
        "name", "last_finished", "last_error"
    ):
        if last_finished is not None:
            finished.add_metric([name], last_finished.timestamp())
        failed.add_metric([name], 1 if last_error else 0)
    yield finished
    yield failed


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """The text a scrape answers: request metrics (of every gunicorn worker when the
    multiprocess directory is set) and the database state, once."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(StateCollector())
        return generate_latest(registry)
    return generate_latest(PROCESS_REGISTRY) + generate_latest(_state_registry())


_STATE_REGISTRY: CollectorRegistry | None = None


def _state_registry() -> CollectorRegistry:
    global _STATE_REGISTRY  # noqa: PLW0603 - built once per process, on first scrape
    if _STATE_REGISTRY is None:
        _STATE_REGISTRY = CollectorRegistry(auto_describe=False)
        _STATE_REGISTRY.register(StateCollector())
    return _STATE_REGISTRY


def allowed(meta: dict, authorization: str) -> bool:
    """A request may read the metrics with the token, or from an allowed network."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if not _address_believable(meta):
        return False
    address = client_ip(meta)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    for network in settings.METRICS_ALLOWED_NETWORKS:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _address_believable(meta: dict) -> bool:
    """A request that came through a proxy Buurtnet was not told about (X-Forwarded-For with
    TRUSTED_PROXY_COUNT 0, or fewer hops than proxies) shows the proxy's address, often
    127.0.0.1: the network rule would let the whole internet in. Only the token works then."""
    hops = [h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    proxies = settings.TRUSTED_PROXY_COUNT
    if not hops:
        return True
    return bool(proxies) and len(hops) >= proxies
