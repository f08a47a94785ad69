"""SMS transports. Providers arrive with the alerts issue; the outbox is the embedded default."""

from django.conf import settings
from django.utils.module_loading import import_string

from .models import OutboxChannel, OutboxMessage


class TransportError(Exception):
    """A send that did not go through. permanent=True means retrying will not help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class OutboxTransport:
    """Keeps the SMS in the local outbox instead of sending it."""

    def send(self, phone: str, text: str) -> None:
        OutboxMessage.objects.create(channel=OutboxChannel.SMS, recipient=phone, body=text)


# kind → dotted path, imported only when used so a provider's library is optional.
TRANSPORTS = {"outbox": "buurtnet.delivery.sms.OutboxTransport"}


def get_transport():
    path = TRANSPORTS.get(settings.SMS_TRANSPORT)
    if path is None:
        raise TransportError(f"Unknown SMS transport {settings.SMS_TRANSPORT!r}", permanent=True)
    return import_string(path)()
