from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class TransportError(Exception):
    """A send that did not go through. permanent=True means retrying will not help
    (an invalid number, an address that does not exist); otherwise it is retried.

    retry_after: seconds the provider asked us to wait (HTTP `Retry-After`), honoured for
    the delivery and, through the provider's pause (`delivery/breaker.py`), for every send.
    recipient_only: a transient refusal of this one recipient (a full mailbox, greylisting),
    which says nothing about the provider's health and does not count towards its pause.
    outage / retry_at: set by the breaker when the provider is paused or this failure
    happened during its outage: the delivery waits until retry_at without using an attempt.
    """

    def __init__(
        self,
        message: str,
        permanent: bool = False,
        reason: str = "",
        retry_after: float | None = None,
        recipient_only: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # A Reason value for the reach report ("phone_invalid", …); "provider" if empty.
        self.reason = reason
        self.retry_after = retry_after
        self.recipient_only = recipient_only
        self.outage = False
        self.retry_at: datetime | None = None


@dataclass
class Envelope:
    """Everything a transport needs to send one delivery, already rendered in the
    recipient's language. `to` is an e-mail address, an E.164 number or a person id (push)."""

    delivery_id: int
    idempotency_key: str
    channel: str
    to: str
    person_id: int
    language: str
    subject: str
    text: str
    html: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    urgent: bool = False
    # Personal values for markers left in text, html and headers (e-mail only): the same
    # rendered message serves every recipient and only these few bytes differ.
    fill: dict[str, str] = field(default_factory=dict)
    # Files sent along (e-mail only): (filename, content, mimetype) each. The same bytes
    # object serves every recipient of a message.
    attachments: tuple[tuple[str, bytes, str], ...] = ()

    def filled(self, value: str) -> str:
        for marker, replacement in self.fill.items():
            value = value.replace(marker, replacement)
        return value


@dataclass
class Outcome:
    """state is "sent" (handed to the provider) or "delivered" (the provider confirmed)."""

    state: str = "sent"
    provider_ref: str = ""


class Transport(Protocol):
    channel: str

    def open(self) -> None: ...

    def send(self, envelope: Envelope) -> Outcome: ...

    def close(self) -> None: ...
