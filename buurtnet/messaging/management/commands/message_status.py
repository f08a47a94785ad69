"""Print a message's delivery counts per channel and outcome as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from buurtnet.messaging.models import Message
from buurtnet.messaging.services import progress


class Command(BaseCommand):
    help = "Print a message's delivery counts per channel and state as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("message_id", type=int)

    def handle(self, *args, message_id: int, **options) -> None:
        message = Message.objects.filter(pk=message_id).first()
        if message is None:
            raise CommandError(f"No message {message_id}")
        self.stdout.write(json.dumps(progress(message), default=str, sort_keys=True))
