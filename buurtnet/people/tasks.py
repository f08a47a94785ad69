"""Background work of the people app: the verification call to a landline."""

import uuid

from django_tasks import task

from buurtnet.delivery.channels import Envelope, get_transport


@task()
def call_phone_code(phone: str, text: str, language: str) -> None:
    """Read the verification code out in a voice call (a landline cannot take a text)."""
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
