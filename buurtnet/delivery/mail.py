from django.core.mail.backends.base import BaseEmailBackend

from .models import OutboxChannel, OutboxMessage


class OutboxEmailBackend(BaseEmailBackend):
    """Django e-mail backend that keeps every message in the local outbox table."""

    def send_messages(self, email_messages) -> int:
        rows = [
            OutboxMessage(
                channel=OutboxChannel.EMAIL,
                recipient=recipient,
                subject=message.subject,
                body=message.body,
            )
            for message in email_messages
            for recipient in message.recipients()
        ]
        OutboxMessage.objects.bulk_create(rows)
        return len(email_messages)
