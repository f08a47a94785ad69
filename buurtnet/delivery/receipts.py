"""Delivery receipts: a provider's later word on whether a delivery reached the phone.

Receipts arrive out of order and more than once, so a receipt only ever moves a delivery
forward (to delivered or failed) and a finished delivery stays as it is. The update is one
conditional UPDATE, safe against a worker or another receipt touching the same row.
"""

import re

from django.utils import timezone

from .models import PENDING_STATES, Delivery, DeliveryState, Reason

DELIVERED = {"delivered"}
FAILED = {"failed", "undelivered"}
# States a receipt may still change: not yet finished, or handed to the provider.
MOVABLE_STATES = (*PENDING_STATES, DeliveryState.SENT)
# Provider error codes (Twilio) and phrases meaning the number cannot be reached: the
# member's number is the problem, not the provider.
PHONE_INVALID_CODES = {"21211", "21614", "21612", "30005", "30006", "13224"}
PHONE_INVALID_PHRASES = ("invalid number", "unknown number", "unknown subscriber")
ERROR_CODE = re.compile(r"\b\d{5}\b")


def failure_reason(error: str) -> str:
    lowered = error.lower()
    if set(ERROR_CODE.findall(error)) & PHONE_INVALID_CODES or any(
        phrase in lowered for phrase in PHONE_INVALID_PHRASES
    ):
        return Reason.PHONE_INVALID
    return Reason.PROVIDER


def record_receipt(provider_ref: str, status: str, error: str = "") -> bool:
    """Apply a provider's receipt to the delivery it sent as `provider_ref`.

    delivered → delivered; failed/undelivered → failed with a reason and the error detail;
    any other status ("queued", "sent", …) tells nothing the worker did not record.
    Returns whether a delivery has that provider reference.
    """
    if not provider_ref:
        return False
    found = Delivery.objects.filter(provider_ref=provider_ref)
    changes = receipt_changes(status.lower(), error)
    if changes and found.filter(state__in=MOVABLE_STATES).update(**changes):
        if changes["state"] == DeliveryState.FAILED:
            _fall_back(found)
        return True
    return found.exists()


def _fall_back(found) -> None:
    """A provider that could not deliver: try the person's next channel, as the worker
    does for a send that failed outright."""
    from . import outbox
    from .worker import fall_back

    related = ("recipient__person", "recipient__link", "notice__person")
    for delivery in found.select_related(*related):
        created = fall_back(delivery)
        if created is not None:
            outbox.enqueue_ids([created.pk], created.channel)


def receipt_changes(status: str, error: str) -> dict | None:
    # Leave no lease or retry time behind: the delivery is finished.
    done = {"lease_until": None, "next_attempt_at": None}
    if status in DELIVERED:
        return {**done, "state": DeliveryState.DELIVERED, "delivered_at": timezone.now()}
    if status in FAILED:
        return {
            **done,
            "state": DeliveryState.FAILED,
            "reason": failure_reason(error),
            "error": (error or status)[:500],
        }
    return None
