"""The periodic pass: scheduled messages and campaign tips whose time came, overdue
forwards and reports, lost work, ended and expired holiday absences.

Run it every few seconds next to the workers (`manage.py tick --every 10`, as
`scripts/serve-with-worker` does) or from cron (`manage.py tick`). Every step is safe to
run twice or from two machines at once.

A lost database, broker or cache (a restart) does not stop the loop: it logs it once,
reconnects with back-off, logs when it is back and goes on (`buurtnet.reconnect`). Run once
(from cron), it exits with an error instead.
"""

import logging
import time

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from buurtnet.absences.services import purge as purge_absences
from buurtnet.absences.services import tell_residents
from buurtnet.audit.services import purge as purge_audit
from buurtnet.cap.services import poll_sources as import_cap_feeds
from buurtnet.delivery.outbox import recover
from buurtnet.governance.services import apply_due_role_changes, remind_overdue, sync_all_dormancy
from buurtnet.insights.figures import settle as settle_figures
from buurtnet.messaging.services import dispatch_due, flag_overdue_forwards
from buurtnet.prevention.services import send_due as send_due_campaigns
from buurtnet.reconnect import Outage, ServiceUnavailable, close_stale_connections
from buurtnet.reports.services import flag_overdue_reports
from buurtnet.retention.services import purge_if_due as purge_by_retention
from buurtnet.surveys.services import send_due as send_due_surveys
from buurtnet.webhooks.services import purge_log as purge_webhook_log
from buurtnet.webhooks.services import retry_due as retry_webhooks

logger = logging.getLogger(__name__)

# Steps whose work changes slowly run at most once per this many seconds (per process;
# every step is idempotent, so two processes running one twice do no harm): they scan
# whole tables, and every 10 seconds would be wasted work.
EVERY = {
    "messages settled into the dashboard's figures": 300,
    "BINs gone dormant": 600,
    "governance reminders": 900,
    "webhook events purged": 3600,
}

# In this order: residents are told their absence ended before its data is purged.
STEPS = [
    ("messages sent", dispatch_due),
    ("CAP alerts imported", import_cap_feeds),
    ("campaign tips sent", send_due_campaigns),
    ("survey rounds opened", send_due_surveys),
    ("forwards overdue", flag_overdue_forwards),
    ("reports overdue", flag_overdue_reports),
    ("tasks recovered", recover),
    ("webhooks retried", retry_webhooks),
    ("messages settled into the dashboard's figures", settle_figures),
    ("roles changed", apply_due_role_changes),
    ("BINs gone dormant", sync_all_dormancy),
    ("governance reminders", remind_overdue),
    ("residents told", tell_residents),
    ("absences deleted", purge_absences),
    ("audit entries purged", purge_audit),
    ("webhook events purged", purge_webhook_log),
    ("records purged by retention", purge_by_retention),
]


class Command(BaseCommand):
    help = (
        "Send due messages and campaign tips, flag overdue forwards and reports, recover lost "
        "deliveries, tell residents their absence ended and delete expired absences."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds.")

    def handle(self, *args, every: float = 0, **options) -> None:
        self.outage = Outage("tick")
        self.wait = bool(every)
        while True:
            # As between two requests: a connection past its age, or one that failed, is
            # closed here and opened again by the next query.
            close_stale_connections()
            try:
                done = {name: self._run(name, step) for name, step in STEPS}
            except ServiceUnavailable as error:
                raise CommandError(f"tick: {error}") from error
            if options["verbosity"] > 1 or any(done.values()):
                self.stdout.write("tick: " + ", ".join(f"{n} {name}" for name, n in done.items()))
            if not every:
                return
            time.sleep(every)

    def _run(self, name: str, step) -> int:
        """One step's failure never keeps the others from running: the deletion of expired
        absences in particular is a promise to the residents. A lost connection is waited
        out (logged once) before the next step; the step itself runs again next pass."""
        every = EVERY.get(name)
        try:
            if every and not cache.add(f"tick:{name}", True, timeout=every):
                return 0
            return step()
        except Exception as error:
            if not self.outage.ride_out(error, wait=self.wait):
                logger.exception("tick: %s failed", name)
            return 0
