"""SMS transports: the local outbox (embedded default), the local gateway simulator and Twilio.

The HTTP transports open one keep-alive client in open() and reuse it for every send of the
batch, so a send costs one request on a warm connection and nothing else.
"""

import abc
import email.utils
import functools
import ssl
from datetime import UTC, datetime

import certifi
import httpx
from django.conf import settings
from django.urls import reverse

from ..models import OutboxChannel, OutboxMessage, Reason
from .base import Envelope, Outcome, TransportError

TIMEOUT_SECONDS = 10.0
# Answers worth retrying: the provider is busy, throttling or down, not refusing the message.
TRANSIENT_STATUSES = {408, 409, 425, 429}
MAX_RETRY_AFTER_SECONDS = 86400.0
# Twilio error codes that mean the number itself cannot be reached this way.
TWILIO_PHONE_INVALID = {21211, 21214, 21217, 21401, 21612, 21614, 13223, 13224}
# The member texted STOP to the sending number: Twilio refuses until they text START.
TWILIO_UNSUBSCRIBED = {21610}


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle takes longer than a batch of sends."""
    return ssl.create_default_context(cafile=certifi.where())


class OutboxSmsTransport:
    """Keeps the SMS in the local outbox instead of sending it."""

    channel = "sms"

    def open(self) -> None:
        pass

    def send(self, envelope: Envelope) -> Outcome:
        message = OutboxMessage.objects.create(
            channel=OutboxChannel.SMS, recipient=envelope.to, body=envelope.text
        )
        return Outcome(state="sent", provider_ref=f"outbox-{message.pk}")

    def close(self) -> None:
        pass


def public_url(url_name: str) -> str:
    """The address a provider calls back on: SITE_URL plus the hook's path."""
    return settings.SITE_URL.rstrip("/") + reverse(url_name)


def is_transient(status_code: int) -> bool:
    return status_code in TRANSIENT_STATUSES or status_code >= 500


def retry_after(response: httpx.Response) -> float | None:
    """The wait a provider asked for (`Retry-After`: seconds or an HTTP date), capped at a
    day so a broken header cannot park deliveries for ever; None without a usable one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def error_detail(response: httpx.Response, field: str) -> tuple[object, str]:
    """(code, message) from a provider's JSON error body; (None, raw text) if it is not JSON."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if not isinstance(body, dict):
        return None, str(body)[:200]
    return body.get("code"), str(body.get(field, ""))[:200]


class HttpTransport(abc.ABC):
    """A provider reached over HTTP through one keep-alive client per batch."""

    channel = "sms"

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout or TIMEOUT_SECONDS
        self.client: httpx.Client | None = None

    @abc.abstractmethod
    def make_client(self) -> httpx.Client:
        """The provider's client, built once per batch."""

    def open(self) -> None:
        if self.client is None:
            self.client = self.make_client()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        """POST, turning network trouble into a transient TransportError.

        A timeout may hide an SMS the provider did accept; the retry carries the same
        idempotency key, so a provider that honours one drops it.
        """
        if self.client is None:
            self.open()
        assert self.client is not None
        try:
            return self.client.post(path, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransportError(f"Timed out: {exc!r}", reason=Reason.PROVIDER) from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"Connection failed: {exc!r}", reason=Reason.PROVIDER) from exc


class SimulatorSmsTransport(HttpTransport):
    """The local gateway simulator (buurtnet.delivery.simulator) at SMS_SIMULATOR_URL."""

    def make_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=settings.SMS_SIMULATOR_URL, timeout=self.timeout, verify=tls_context()
        )

    def send(self, envelope: Envelope) -> Outcome:
        response = self.post(
            "/messages",
            json={"to": envelope.to, "from": settings.SMS_SENDER_ID, "text": envelope.text},
            headers={"Idempotency-Key": envelope.idempotency_key},
        )
        if response.is_success:
            return Outcome(state="sent", provider_ref=accepted_id(response, "id"))
        raise simulator_error(response)


def accepted_id(response: httpx.Response, field: str) -> str:
    """The provider's id for an accepted message; an answer without one is retried (the
    idempotency key makes the retry safe)."""
    try:
        return str(response.json()[field])
    except (ValueError, KeyError, TypeError) as exc:
        raise TransportError(
            f"Accepted without an id: {response.text[:200]}", reason=Reason.PROVIDER
        ) from exc


def simulator_error(response: httpx.Response) -> TransportError:
    status = response.status_code
    _code, detail = error_detail(response, "error")
    message = f"Simulator answered {status}: {detail}"
    if status in (400, 422) and "number" in detail:
        return TransportError(message, permanent=True, reason=Reason.PHONE_INVALID)
    return TransportError(
        message,
        permanent=not is_transient(status),
        reason=Reason.PROVIDER,
        retry_after=retry_after(response),
    )


class TwilioTransport(HttpTransport):
    """Twilio's REST API with HTTP basic auth (account SID and auth token)."""

    resource = "Messages.json"
    status_hook = "hooks:sms_twilio_status"

    def make_client(self) -> httpx.Client:
        # Read once per batch, not per send.
        self.status_callback = public_url(self.status_hook)
        self.path = f"/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/{self.resource}"
        return httpx.Client(
            base_url=settings.TWILIO_BASE_URL,
            auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
            timeout=self.timeout,
            verify=tls_context(),
        )

    def create(self, fields: dict[str, str]) -> Outcome:
        # Permanent, so the delivery falls back to the member's next channel at once.
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise TransportError("Twilio is not configured", permanent=True, reason=Reason.PROVIDER)
        if self.client is None:
            self.open()
        response = self.post(self.path, data={**fields, "StatusCallback": self.status_callback})
        if response.status_code in (200, 201):
            return Outcome(state="sent", provider_ref=accepted_id(response, "sid"))
        raise twilio_error(response)


def twilio_error(response: httpx.Response) -> TransportError:
    status = response.status_code
    code, detail = error_detail(response, "message")
    message = f"Twilio answered {status} (error {code}): {detail}"
    if code in TWILIO_PHONE_INVALID:
        return TransportError(message, permanent=True, reason=Reason.PHONE_INVALID)
    if code in TWILIO_UNSUBSCRIBED:
        return TransportError(message, permanent=True, reason=Reason.CHANNEL_WITHDRAWN)
    return TransportError(
        message,
        permanent=not is_transient(status),
        reason=Reason.PROVIDER,
        retry_after=retry_after(response),
    )


class TwilioSmsTransport(TwilioTransport):
    """Twilio's Messages API. It takes no idempotency key: a re-send after a worker crash
    between Twilio's answer and the worker's record of it reaches the member twice."""

    def send(self, envelope: Envelope) -> Outcome:
        sender = settings.TWILIO_FROM or settings.SMS_SENDER_ID
        return self.create({"To": envelope.to, "From": sender, "Body": envelope.text})
