"""One-off SMS (phone verification codes, decisions): a thin layer over the configured SMS
channel transport (buurtnet.delivery.channels), so they leave the way alerts do."""

import secrets

from django.conf import settings
from django.utils import translation

from .channels import Envelope, Transport, TransportError
from .channels import get_transport as channel_transport

__all__ = ["OneOffSms", "TransportError", "get_transport", "send_sms"]


class OneOffSms:
    """Sends single SMS outside any message's deliveries, opening the transport for each."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def send(self, phone: str, text: str) -> str:
        """Send and return the provider's reference; TransportError if it did not go."""
        envelope = Envelope(
            delivery_id=0,
            # No Delivery row to derive a key from; a fresh key per send.
            idempotency_key=f"bn-once-{secrets.token_hex(12)}",
            channel="sms",
            to=phone,
            person_id=0,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            subject="",
            text=text,
        )
        self.transport.open()
        try:
            return self.transport.send(envelope).provider_ref
        finally:
            self.transport.close()


def get_transport() -> OneOffSms:
    return OneOffSms(channel_transport("sms"))


def send_sms(phone: str, text: str) -> str:
    return get_transport().send(phone, text)
