"""The periodic pass: scheduled messages whose time came, overdue forwards and reports,
lost work.

Run it every few seconds next to the workers (`manage.py tick --every 10`, as
`scripts/serve-with-worker` does) or from cron (`manage.py tick`). Every step is safe to
run twice or from two machines at once.
"""

import time

from django.core.management.base import BaseCommand

from buurtnet.delivery.outbox import recover
from buurtnet.messaging.services import dispatch_due, flag_overdue_forwards
from buurtnet.reports.services import flag_overdue_reports


class Command(BaseCommand):
    help = (
        "Send due scheduled messages, flag overdue forwards and reports, recover lost deliveries."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds.")

    def handle(self, *args, every: float = 0, **options) -> None:
        while True:
            sent, flagged, recovered = dispatch_due(), flag_overdue_forwards(), recover()
            reports = flag_overdue_reports()
            if options["verbosity"] > 1 or (sent or flagged or recovered or reports):
                self.stdout.write(
                    f"tick: {sent} sent, {flagged} forwards overdue, {reports} reports overdue, "
                    f"{recovered} tasks recovered"
                )
            if not every:
                return
            time.sleep(every)
