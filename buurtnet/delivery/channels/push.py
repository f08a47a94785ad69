"""Web push (RFC 8030) with VAPID (RFC 8292) through pywebpush.

The envelope's `to` is a person id; the message goes to every browser or phone that person
subscribed. Push services answer 404/410 for a subscription that no longer exists (the app
was uninstalled, permission withdrawn); those are deleted so they are not tried again.
"""

import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher

from ..models import PushSubscription
from .base import Envelope, Outcome, TransportError

NO_PUSH = "no_push"
PROVIDER = "provider"
# Long enough to reach a phone that is briefly offline, short enough that an alert about a
# burglary in progress does not pop up the next morning.
TTL_SECONDS = 4 * 60 * 60
TIMEOUT_SECONDS = 10
# Push services accept 4096 bytes of encrypted payload, of which encryption takes 103.
MAX_PAYLOAD_BYTES = 3900
# RFC 8030 topics are at most 32 characters of the base64url alphabet.
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A VAPID token may live 24 hours; renew well before it runs out during a long batch.
VAPID_TOKEN_SECONDS = 12 * 60 * 60
VAPID_RENEW_SECONDS = 60 * 60
GONE_STATUSES = {404, 410}


@dataclass
class DeviceResult:
    accepted: bool = False
    gone: bool = False
    permanent: bool = False
    error: str = ""


def push_configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def payload(envelope: Envelope) -> bytes:
    """The JSON the service worker shows, with the body cut so the whole fits one push
    message. JSON escaping and UTF-8 make bytes and characters differ, so the longest body
    that fits is searched for (only for the rare long text)."""

    def encoded(body: str) -> bytes:
        fields = {
            "title": envelope.subject,
            "body": body,
            "url": envelope.url or "/",
            "urgent": envelope.urgent,
            "tag": envelope.idempotency_key,
        }
        return json.dumps(fields, ensure_ascii=False).encode()

    data = encoded(envelope.text)
    if len(data) <= MAX_PAYLOAD_BYTES:
        return data
    fits, too_long = 0, len(envelope.text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(encoded(envelope.text[:middle] + "…")) <= MAX_PAYLOAD_BYTES:
            fits = middle
        else:
            too_long = middle
    return encoded(envelope.text[:fits] + "…")


def push_headers(envelope: Envelope) -> dict[str, str]:
    headers = {"Urgency": "high" if envelope.urgent else "normal"}
    if TOPIC.fullmatch(envelope.idempotency_key):
        # A re-send after a crash replaces the copy still waiting at the push service
        # instead of showing the member the same message twice.
        headers["Topic"] = envelope.idempotency_key
    return headers


def load_vapid() -> tuple[Vapid | None, str]:
    """The signing key, or why there is none (reported on every send, not raised here, so
    a misconfiguration fails deliveries visibly instead of crashing the worker)."""
    if not push_configured():
        return None, "Web push is not configured (no VAPID keys)"
    try:
        return Vapid.from_string(settings.VAPID_PRIVATE_KEY), ""
    except Exception as exc:
        return None, f"VAPID_PRIVATE_KEY is not a usable key: {type(exc).__name__}"


class WebPushTransport:
    channel = "push"

    def __init__(self) -> None:
        self._session: requests.Session | None = None
        self._vapid: Vapid | None = None
        self._config_error = ""
        self._vapid_headers: dict[str, tuple[float, dict[str, str]]] = {}

    def open(self) -> None:
        self._session = requests.Session()
        self._vapid, self._config_error = load_vapid()
        self._vapid_headers = {}

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    def send(self, envelope: Envelope) -> Outcome:
        if self._session is None:
            self.open()
        if self._vapid is None:
            raise TransportError(self._config_error, permanent=True, reason=PROVIDER)
        person_id = int(envelope.to) if envelope.to else envelope.person_id
        subscriptions = list(PushSubscription.objects.filter(person_id=person_id))
        if not subscriptions:
            raise TransportError("No device subscribed to push", permanent=True, reason=NO_PUSH)
        data, headers = payload(envelope), push_headers(envelope)
        results = [self._send_to(sub, data, headers) for sub in subscriptions]
        gone = [sub.pk for sub, result in zip(subscriptions, results, strict=True) if result.gone]
        if gone:
            PushSubscription.objects.filter(pk__in=gone).delete()
        return outcome(results)

    def _send_to(self, subscription: PushSubscription, data: bytes, headers: dict) -> DeviceResult:
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        headers = {**headers, **self._vapid_for(subscription.endpoint)}
        try:
            pusher = WebPusher(info, requests_session=self._session)
            response = pusher.send(
                data,
                headers,
                ttl=TTL_SECONDS,
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            return DeviceResult(error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            # Keys the browser gave us that do not decode or encrypt: this device never will.
            return DeviceResult(permanent=True, error=f"{type(exc).__name__}: {exc}")
        return device_result(response)

    def _vapid_for(self, endpoint: str) -> dict[str, str]:
        """One signed VAPID token per push service for the batch: signing per send would
        cost an ECDSA signature for every member."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._vapid_headers.get(audience)
        if cached is None or cached[0] - now < VAPID_RENEW_SECONDS:
            expires = int(now) + VAPID_TOKEN_SECONDS
            claims = {"sub": settings.VAPID_SUBJECT, "aud": audience, "exp": expires}
            try:
                cached = (expires, self._vapid.sign(claims))
            except VapidException as exc:
                raise TransportError(f"VAPID: {exc}", permanent=True, reason=PROVIDER) from exc
            self._vapid_headers[audience] = cached
        return cached[1]


def device_result(response: requests.Response) -> DeviceResult:
    status = response.status_code
    if status < 300:
        return DeviceResult(accepted=True)
    error = f"{status} {response.reason}: {response.text[:200]}"
    if status in GONE_STATUSES:
        return DeviceResult(gone=True, error=error)
    # 413 (payload too large) and other 4xx (bad VAPID, bad request) repeat on a retry;
    # 429 (rate limited) and 5xx do not.
    permanent = 400 <= status < 500 and status != 429
    return DeviceResult(permanent=permanent, error=error)


def outcome(results: list[DeviceResult]) -> Outcome:
    """Sent when at least one device accepted; otherwise the most hopeful failure."""
    if any(result.accepted for result in results):
        return Outcome(state="sent")
    errors = "; ".join(result.error for result in results if result.error)[:500]
    if all(result.gone for result in results):
        raise TransportError(errors or "Every device unsubscribed", permanent=True, reason=NO_PUSH)
    if any(not (result.gone or result.permanent) for result in results):
        raise TransportError(errors)
    raise TransportError(errors, permanent=True, reason=PROVIDER)
