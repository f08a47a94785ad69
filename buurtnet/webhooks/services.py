"""Registering endpoints, emitting events, and sending them signed, with retries.

`emit()` is called by messaging and reports inside their own transaction: it writes the
event and one delivery per listening endpoint, and enqueues the sending after the commit.
A zone without an active endpoint costs one indexed query. Payloads carry ids, kinds,
statuses and times only: never a reporter, a description or contact details.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend

from buurtnet.common.reconnect import after_commit
from buurtnet.networks.models import PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person

from . import addresses
from .models import (
    TEST_EVENT,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookState,
    new_secret,
)

SIGNATURE_HEADER = "Buurtnet-Signature"
EVENT_ID_HEADER = "Buurtnet-Event-Id"
EVENT_TYPE_HEADER = "Buurtnet-Event"
DELIVERY_HEADER = "Buurtnet-Delivery"
USER_AGENT = "Buurtnet-Webhooks/1"
# How long the old secret still signs after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
# A queued delivery nobody sent this long after it was written was lost with its task.
LOST_AFTER = timedelta(minutes=2)
RETRY_BATCH = 1000
# How much of a receiver's refusal is kept for the log (its first bytes).
ANSWER_BYTES = 2048


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOKS_MAX_ATTEMPTS", 8))


def retry_base_seconds() -> float:
    return float(getattr(settings, "WEBHOOKS_RETRY_BASE_SECONDS", 30))


def lease_seconds() -> float:
    return float(getattr(settings, "WEBHOOKS_LEASE_SECONDS", 60))


def timeout() -> httpx.Timeout:
    # A receiver that is slow must not hold a worker: answer first, work afterwards.
    return httpx.Timeout(float(getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", 5)), connect=3.0)


def api_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + "/api/v1/" + path


# --- Who manages a zone's endpoints --------------------------------------------------------


def may_manage(person: Person, zone_id: int) -> bool:
    return Standing.of(person).can_view_zone(zone_id)


def endpoints_of(zone: PoliceZone):
    return WebhookEndpoint.objects.filter(zone=zone).order_by("id")


@dataclass
class EndpointInput:
    url: str
    events: list[str]
    is_active: bool = True
    description: str = ""


def _validated(data: EndpointInput) -> EndpointInput:
    errors: dict[str, list[str]] = {}
    try:
        addresses.check_url(data.url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    events = [e for e in data.events if e in EventType.values]
    if not events or len(events) != len(set(data.events)):
        errors["events"] = [_("Choose at least one event to receive.")]
    if errors:
        raise ValidationError(errors)
    return EndpointInput(
        url=data.url.strip(),
        events=sorted(set(events)),
        is_active=bool(data.is_active),
        description=data.description.strip()[:120],
    )


def create_endpoint(by: Person, zone: PoliceZone, data: EndpointInput) -> WebhookEndpoint:
    """The zone's staff register a URL; the platform makes the secret."""
    if not may_manage(by, zone.pk):
        raise PermissionDenied
    clean = _validated(data)
    return WebhookEndpoint.objects.create(
        zone=zone,
        url=clean.url,
        events=clean.events,
        is_active=clean.is_active,
        description=clean.description,
        created_by=by,
    )


def update_endpoint(endpoint: WebhookEndpoint, by: Person, data: EndpointInput) -> WebhookEndpoint:
    if not may_manage(by, endpoint.zone_id):
        raise PermissionDenied
    clean = _validated(data)
    endpoint.url, endpoint.events = clean.url, clean.events
    endpoint.is_active, endpoint.description = clean.is_active, clean.description
    endpoint.save(update_fields=["url", "events", "is_active", "description"])
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, by: Person) -> WebhookEndpoint:
    """A new secret at once; the old one still signs (as a second v1) for a day, so the
    receiver can switch without losing events."""
    if not may_manage(by, endpoint.zone_id):
        raise PermissionDenied
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint, by: Person) -> None:
    if not may_manage(by, endpoint.zone_id):
        raise PermissionDenied
    endpoint.delete()


def delivery_log(endpoint: WebhookEndpoint):
    return endpoint.deliveries.select_related("event").order_by("-created_at", "-id")


# --- Emitting -----------------------------------------------------------------------------


def emit(zone_id: int, event: str, payload: dict | Callable[[], dict]) -> WebhookEvent | None:
    """Record an event for every active endpoint of the zone that listens to it and send
    it after the commit. Call it inside the transaction that made the change: a rollback
    takes the event with it. One indexed query when the zone has no endpoint; a callable
    payload is only built when someone listens."""
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(zone_id=zone_id, is_active=True).only(
            "id", "events"
        )
        if e.listens_to(event)
    ]
    if not endpoints:
        return None
    return _record(zone_id, event, payload() if callable(payload) else payload, endpoints)


def _record(
    zone_id: int, event_type: str, data: dict, endpoints: list[WebhookEndpoint]
) -> WebhookEvent:
    now = timezone.now()
    event = WebhookEvent(zone_id=zone_id, event_type=event_type, created_at=now, payload={})
    event.payload = {
        "id": str(event.event_id),
        "type": event_type,
        "created_at": _iso(now),
        "data": data,
    }
    event.save()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            event=event, endpoint=endpoint, created_at=now, next_attempt_at=now + LOST_AFTER
        )
        for endpoint in endpoints
    )
    ids = [d.pk for d in deliveries]
    if None in ids:  # a backend that does not return ids from bulk_create
        ids = list(event.deliveries.values_list("pk", flat=True))
    after_commit(lambda: _enqueue([(pk, 1) for pk in ids]), "webhook deliveries")
    return event


def send_test(endpoint: WebhookEndpoint, by: Person) -> WebhookEvent:
    """The "send a test event" button: one event to this endpoint only, active or not."""
    if not may_manage(by, endpoint.zone_id):
        raise PermissionDenied
    data = {"endpoint": endpoint.pk, "zone": endpoint.zone.code}
    with transaction.atomic():
        return _record(endpoint.zone_id, TEST_EVENT, data, [endpoint])


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def message_sent(message, network_ids: list[int]) -> None:
    """A message to BINs was sent. Messages to named people (a member's report to the
    officer, the officer's feedback to that member) are not events: they concern one
    person, and report.created / report.status_changed already say what happened."""
    if message.target.get("type") == "people":
        return
    emit(message.zone_id, EventType.MESSAGE_SENT, lambda: message_payload(message, network_ids))


def message_payload(message, network_ids: list[int]) -> dict:
    """What a receiver learns about a sent message: no text, no sender, no recipients."""
    return {
        "message": {
            "id": message.pk,
            "kind": message.kind,
            "status": message.status,
            "is_exercise": message.is_exercise,
            "networks": sorted(network_ids),
            "recipient_count": message.recipient_count,
            "sent_at": _iso(message.sent_at),
            "url": api_url(f"messages/{message.pk}"),
        }
    }


def report_payload(report, previous_status: str | None = None) -> dict:
    """What a receiver learns about a report: never the reporter, the description, the
    place or the vehicle. The officer reads those in Buurtnet or through the API."""
    data = {
        "id": report.pk,
        "network": report.network_id,
        "category": getattr(report.category, "code", None),
        "status": report.status,
        "created_at": _iso(report.created_at),
        "due_at": _iso(report.due_at),
        "url": api_url(f"reports/{report.pk}"),
    }
    if previous_status is not None:
        data["previous_status"] = previous_status
        data["outcome"] = report.outcome or None
        data["changed_at"] = _iso(timezone.now())
    return {"report": data}


# --- Signing ------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex. See docs/webhooks.md."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets])


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None):
    """What a receiver does (also shown in docs/webhooks.md); True when one v1 matches and
    the timestamp is recent."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


def body_of(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()


# --- Sending (the task workers) -----------------------------------------------------------


def _enqueue(items: list[tuple[int, int]], run_after: datetime | None = None) -> None:
    from buurtnet.delivery.queues import route

    from . import tasks

    if run_after is not None and not default_task_backend.supports_defer:
        return  # retry_due() picks it up when it is due
    task = route(tasks.deliver, run_after=run_after)
    for pk, attempt in items:
        task.enqueue(pk, attempt)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: base × 2^(n-1), at most six hours."""
    return timedelta(seconds=min(retry_base_seconds() * 2 ** (attempts - 1), 6 * 3600))


def _claim(delivery_id: int, attempt: int, now: datetime) -> bool:
    """Take the delivery for this attempt. A task enqueued twice (by its own deferral and
    by retry_due) finds the attempt already taken and does nothing."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            attempts=attempt - 1,
            state__in=[WebhookState.QUEUED, WebhookState.AWAITING_RETRY],
        ).update(
            state=WebhookState.SENDING,
            attempts=attempt,
            last_attempt_at=now,
            lease_until=now + timedelta(seconds=lease_seconds()),
            next_attempt_at=now + timedelta(seconds=lease_seconds()),
        )
    )


def deliver(delivery_id: int, attempt: int) -> str:
    """One attempt to post one delivery. Returns the state it ends in ("" when another
    worker had it)."""
    now = timezone.now()
    if not _claim(delivery_id, attempt, now):
        return ""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    status_code, error, permanent = _post(delivery)
    delivery.last_status_code = status_code
    delivery.last_error = error[:300]
    done = timezone.now()
    if status_code is not None and 200 <= status_code < 300:
        delivery.state, delivery.delivered_at = WebhookState.DELIVERED, done
        delivery.next_attempt_at = None
    elif delivery.attempts >= max_attempts() or permanent:
        delivery.state, delivery.next_attempt_at = WebhookState.FAILED, None
    else:
        delivery.state = WebhookState.AWAITING_RETRY
        delivery.next_attempt_at = done + backoff(delivery.attempts)
    delivery.lease_until = None
    delivery.save(
        update_fields=[
            "state",
            "last_status_code",
            "last_error",
            "delivered_at",
            "next_attempt_at",
            "lease_until",
        ]
    )
    if delivery.state == WebhookState.AWAITING_RETRY:
        _enqueue([(delivery.pk, delivery.attempts + 1)], run_after=delivery.next_attempt_at)
    return delivery.state


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """Post once: (response code, error, whether retrying is pointless)."""
    endpoint, event = delivery.endpoint, delivery.event
    body = body_of(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(endpoint.signing_secrets(), timestamp, body),
        EVENT_ID_HEADER: str(event.event_id),
        EVENT_TYPE_HEADER: event.event_type,
        DELIVERY_HEADER: str(delivery.pk),
    }
    limit = timeout()
    deadline = time.monotonic() + limit.read
    # The transport checks the addresses the name resolves to and connects to the one it
    # checked (no second lookup). No redirects: a redirect is not a delivery.
    client = httpx.Client(
        transport=addresses.PinnedTransport(),
        timeout=limit,
        follow_redirects=False,
        trust_env=False,
    )
    try:
        with client, client.stream("POST", endpoint.url, content=body, headers=headers) as answer:
            status_code = answer.status_code
            start = b"" if 200 <= status_code < 300 else _some_of(answer, deadline)
    except ValidationError as exc:  # the address was refused: nothing was sent
        return None, " ".join(exc.messages), True
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}", False
    if 200 <= status_code < 300:
        return status_code, "", False
    error = _("The receiver answered HTTP %(code)d.") % {"code": status_code}
    snippet = start.decode("utf-8", "replace").strip()
    return status_code, f"{error} {snippet}".strip(), False


def _some_of(response: httpx.Response, deadline: float) -> bytes:
    """The start of a refusal's body, for the log: at most ANSWER_BYTES, and no longer
    than the timeout. A receiver that keeps sending must not hold the worker."""
    answer = b""
    try:
        for chunk in response.iter_raw(1024):
            answer += chunk
            if len(answer) >= ANSWER_BYTES or time.monotonic() > deadline:
                break
    except httpx.HTTPError:
        pass  # the code is what matters; the body was only for the log
    return answer[:ANSWER_BYTES]


def retry_due(now: datetime | None = None) -> int:
    """The periodic pass (manage.py tick): retries whose time came, deliveries whose task
    was lost, and attempts whose worker died (lease expired). Returns tasks enqueued."""
    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        state=WebhookState.SENDING, lease_until__lt=now, next_attempt_at__lte=now
    )
    for delivery in stale.only("pk", "attempts")[:RETRY_BATCH]:
        # The worker stopped while sending: that attempt counts, the next one may follow.
        state = (
            WebhookState.FAILED
            if delivery.attempts >= max_attempts()
            else WebhookState.AWAITING_RETRY
        )
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookState.SENDING).update(
            state=state,
            lease_until=None,
            next_attempt_at=None if state == WebhookState.FAILED else now,
            last_error=_("The worker stopped while sending."),
        )
    waiting = Q(state__in=[WebhookState.QUEUED, WebhookState.AWAITING_RETRY])
    due = list(
        WebhookDelivery.objects.filter(waiting, next_attempt_at__lte=now).values_list(
            "pk", "attempts"
        )[:RETRY_BATCH]
    )
    # Not due again for a lease: the next tick must not queue the same work while the
    # workers are behind. If the queued task is lost, the row comes due again after it.
    WebhookDelivery.objects.filter(
        waiting, pk__in=[pk for pk, _attempts in due], next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=lease_seconds()))
    items = [(pk, attempts + 1) for pk, attempts in due]
    _enqueue(items)
    return len(items)


def purge_log(now: datetime | None = None) -> int:
    """Delete events (and their deliveries) older than WEBHOOKS_LOG_DAYS once nothing about
    them is pending: the log is for following up, not an archive. Returns events deleted."""
    now = now or timezone.now()
    days = int(getattr(settings, "WEBHOOKS_LOG_DAYS", 30))
    pending = WebhookDelivery.objects.filter(
        event=OuterRef("pk"),
        state__in=[WebhookState.QUEUED, WebhookState.SENDING, WebhookState.AWAITING_RETRY],
    )
    old = WebhookEvent.objects.filter(created_at__lt=now - timedelta(days=days)).exclude(
        Exists(pending)
    )
    deleted, per_model = old.delete()
    return per_model.get(WebhookEvent._meta.label, 0)
