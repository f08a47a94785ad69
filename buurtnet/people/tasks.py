"""Background work of the people app: the verification call to a landline."""

import logging
import uuid

from django_tasks import task

from buurtnet.delivery.channels import Envelope, get_transport
from buurtnet.delivery.queues import ALERTS

from .phones import can_receive_calls

logger = logging.getLogger(__name__)


@task(queue_name=ALERTS)
def call_phone_code(phone: str, text: str, language: str) -> None:
    """Read the verification code out in a voice call (a landline cannot take a text).

    `text` is already in the person's language. The number is checked again here, at the door
    to the provider, as `delivery.tasks.send_sms` does: a call queued before its country left
    SMS_ALLOWED_COUNTRIES is never made."""
    if not can_receive_calls(phone):
        logger.warning("Not calling %s: not a number of an allowed country", phone[:6])
        return
    transport = get_transport("voice")
    transport.open()
    try:
        transport.send(
            Envelope(
                delivery_id=0,
                idempotency_key=f"bn-once-{uuid.uuid4().hex}",
                channel="voice",
                to=phone,
                person_id=0,
                language=language,
                subject="",
                text=text,
            )
        )
    finally:
        transport.close()
