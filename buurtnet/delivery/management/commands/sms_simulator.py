"""Run the local SMS gateway simulator (see buurtnet.delivery.simulator for its HTTP API)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from buurtnet.delivery.simulator import SimulatorServer


class Command(BaseCommand):
    help = (
        "Run the local SMS gateway simulator. Point SMS_SIMULATOR_URL at it and set "
        "SMS_TRANSPORT=simulator; --callback sends delivery receipts to the app. POST "
        '/outage {"status": 503, "seconds": 600, "retry_after": 60} to it plays a provider '
        "outage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--callback",
            default="",
            help="URL receipts are POSTed to, e.g. http://127.0.0.1:8000/hooks/sms/simulator/"
            "status (replies go to the sibling …/inbound). Empty: no receipts.",
        )
        parser.add_argument(
            "--inbound-callback", default="", help="URL replies are POSTed to, if not the sibling."
        )
        parser.add_argument(
            "--secret",
            default=settings.SMS_WEBHOOK_SECRET,
            help="Key of the X-Simulator-Signature HMAC (default: SMS_WEBHOOK_SECRET).",
        )
        parser.add_argument("--receipt-delay", type=float, default=0.5, help="Seconds.")
        parser.add_argument(
            "--fail-prefix", default="+3247000000", help="Numbers refused with 422."
        )
        parser.add_argument(
            "--undeliverable-prefix",
            default="+3247000001",
            help="Numbers accepted and then reported failed by a receipt.",
        )
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="Share of sends answered 503."
        )

    def handle(self, *args: object, **options: object) -> None:
        server = SimulatorServer(
            host=options["host"],
            port=options["port"],
            callback=options["callback"],
            inbound_callback=options["inbound_callback"],
            secret=options["secret"],
            receipt_delay=options["receipt_delay"],
            fail_prefix=options["fail_prefix"],
            undeliverable_prefix=options["undeliverable_prefix"],
            error_rate=options["error_rate"],
            own_number=settings.SMS_SENDER_ID,
        )
        server.serve_forever(on_ready=self.announce)

    def announce(self, url: str) -> None:
        # Flushed, so a script that starts the simulator in the background can wait for it.
        self.stdout.write(f"SMS simulator listening on {url}")
        self.stdout.flush()
