"""Channels: one transport per way of reaching a member, behind one small interface.

A transport is opened once per batch of deliveries (so SMTP and HTTP connections are
reused), sends one `Envelope` at a time and returns an `Outcome` or raises
`TransportError(message, permanent)`: transient errors are retried with back-off, permanent
ones fail the delivery at once (and fall back to the member's next channel where the plan
says so). A provider that keeps failing, or asks us to wait (`Retry-After`), is paused for
every worker by its breaker (`delivery/breaker.py`); deliveries wait for it without using
their attempts.

Which class serves a channel is configured from the environment (settings.SMS_TRANSPORT,
settings.VOICE_TRANSPORT); classes are imported only when used, so a provider's library
is needed only where that provider is configured.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Envelope, Outcome, Transport, TransportError

__all__ = ["Envelope", "Outcome", "Transport", "TransportError", "get_transport"]

SMS_TRANSPORTS = {
    "outbox": "buurtnet.delivery.channels.sms.OutboxSmsTransport",
    "simulator": "buurtnet.delivery.channels.sms.SimulatorSmsTransport",
    "twilio": "buurtnet.delivery.channels.sms.TwilioSmsTransport",
}
VOICE_TRANSPORTS = {
    "outbox": "buurtnet.delivery.channels.voice.OutboxVoiceTransport",
    "twilio": "buurtnet.delivery.channels.voice.TwilioVoiceTransport",
}
FIXED_TRANSPORTS = {
    "email": "buurtnet.delivery.channels.email.EmailTransport",
    "push": "buurtnet.delivery.channels.push.WebPushTransport",
}


def transport_path(channel: str) -> str:
    if channel == "sms":
        table, key = SMS_TRANSPORTS, settings.SMS_TRANSPORT
    elif channel == "voice":
        table, key = VOICE_TRANSPORTS, settings.VOICE_TRANSPORT
    else:
        table, key = FIXED_TRANSPORTS, channel
    path = table.get(key)
    if path is None:
        raise TransportError(f"No transport {key!r} for channel {channel!r}", permanent=True)
    return path


def get_transport(channel: str) -> Transport:
    """The channel's transport, behind its provider's breaker (`delivery/breaker.py`): a
    provider that keeps failing is paused for every worker instead of tried for each row."""
    from ..breaker import guard

    return guard(import_string(transport_path(channel))())
