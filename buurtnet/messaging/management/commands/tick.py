"""The periodic pass: scheduled messages and campaign tips whose time came, overdue
forwards and reports, lost work, ended and expired holiday absences.

Run it every few seconds next to the workers (`manage.py tick --every 10`, as
`scripts/serve-with-worker` does) or from cron (`manage.py tick`). Every step is safe to
run twice or from two machines at once.

A lost database, broker or cache (a restart) does not stop the loop: it logs it once,
reconnects with back-off, logs when it is back and goes on (`buurtnet.common.reconnect`). Run once
(from cron), it exits with an error instead.

Each step that ran leaves one row in `operations.PeriodicRun` (one upsert per step and pass):
when it last started and finished, and how it last failed. `/readyz` and `/metrics` read them.
"""

import logging
import time
from importlib import import_module

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from buurtnet.absences.services import purge as purge_absences
from buurtnet.absences.services import tell_residents
from buurtnet.audit.services import purge as purge_audit
from buurtnet.cap.services import poll_sources as import_cap_feeds
from buurtnet.common.reconnect import Outage, ServiceUnavailable, close_stale_connections
from buurtnet.delivery.outbox import recover
from buurtnet.governance.services import apply_due_role_changes, remind_overdue, sync_all_dormancy
from buurtnet.insights.figures import settle as settle_figures
from buurtnet.messaging.services import dispatch_due, flag_overdue_forwards
from buurtnet.operations.errors import short_error
from buurtnet.operations.models import PeriodicRun
from buurtnet.prevention.services import send_due as send_due_campaigns
from buurtnet.reports.services import flag_overdue_reports
from buurtnet.retention.services import purge_if_due as purge_by_retention
from buurtnet.surveys.services import send_due as send_due_surveys
from buurtnet.webhooks.services import purge_log as purge_webhook_log
from buurtnet.webhooks.services import retry_due as retry_webhooks

logger = logging.getLogger(__name__)


def clear_expired_sessions() -> int:
    """Expired log-in sessions hold who was logged in from where: Django never deletes them by
    itself (its `clearsessions` command is meant for cron), and every "seen" link opened in a
    new browser adds one."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return 0


# Steps whose work changes slowly run at most once per this many seconds (per process;
# every step is idempotent, so two processes running one twice do no harm): they scan
# whole tables, and every 10 seconds would be wasted work.
EVERY = {
    "figures_settled": 300,
    "dormancy_synced": 600,
    "governance_reminded": 900,
    "webhook_log_purged": 3600,
    "sessions_cleared": 3600,
}

# In this order: residents are told their absence ended before its data is purged.
# (key, what the output says, the step). The key names the step in the cache, in
# PeriodicRun and in the metrics: a stable identifier, no spaces (memcached refuses them).
STEPS = [
    ("messages_dispatched", "messages sent", dispatch_due),
    ("cap_imported", "CAP alerts imported", import_cap_feeds),
    ("campaign_tips_sent", "campaign tips sent", send_due_campaigns),
    ("survey_rounds_opened", "survey rounds opened", send_due_surveys),
    ("forwards_flagged", "forwards overdue", flag_overdue_forwards),
    ("reports_flagged", "reports overdue", flag_overdue_reports),
    ("tasks_recovered", "tasks recovered", recover),
    ("webhooks_retried", "webhooks retried", retry_webhooks),
    ("figures_settled", "messages settled into the dashboard's figures", settle_figures),
    ("roles_changed", "roles changed", apply_due_role_changes),
    ("dormancy_synced", "BINs gone dormant", sync_all_dormancy),
    ("governance_reminded", "governance reminders", remind_overdue),
    ("residents_told", "residents told", tell_residents),
    ("absences_purged", "absences deleted", purge_absences),
    ("audit_purged", "audit entries purged", purge_audit),
    ("webhook_log_purged", "webhook events purged", purge_webhook_log),
    ("retention_purged", "records purged by retention", purge_by_retention),
    ("sessions_cleared", "expired sessions deleted", clear_expired_sessions),
]


def record_run(key: str, started, error: BaseException | None = None) -> None:
    """One upsert: the step started at `started` and finished now, or failed with error
    (then its last finish stays as it was). The error is its class and a scrubbed message."""
    run = PeriodicRun(name=key, last_started=started, last_error="")
    fields = ["last_started", "last_error"]
    if error is None:
        run.last_finished = timezone.now()
        fields.append("last_finished")
    else:
        run.last_error = short_error(error, limit=300)
    PeriodicRun.objects.bulk_create(
        [run], update_conflicts=True, unique_fields=["name"], update_fields=fields
    )


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
                done = {label: self._run(key, step) for key, label, step in STEPS}
            except ServiceUnavailable as error:
                raise CommandError(f"tick: {error}") from error
            if options["verbosity"] > 1 or any(done.values()):
                self.stdout.write("tick: " + ", ".join(f"{n} {name}" for name, n in done.items()))
            if not every:
                return
            time.sleep(every)

    def _run(self, key: str, step) -> int:
        """One step's failure never keeps the others from running: the deletion of expired
        absences in particular is a promise to the residents. A lost connection is waited
        out (logged once) before the next step; the step itself runs again next pass."""
        every = EVERY.get(key)
        try:
            if every and not cache.add(f"tick:{key}", True, timeout=every):
                return 0
            started = timezone.now()
            try:
                done = step()
            except Exception as error:
                self._record_failure(key, started, error)
                raise
            record_run(key, started)
            return done
        except Exception as error:
            if not self.outage.ride_out(error, wait=self.wait):
                logger.exception("tick: %s failed", key)
            return 0

    def _record_failure(self, key: str, started, error: BaseException) -> None:
        """Best effort: with the database gone, the failure cannot be written either (the
        outage itself is logged by the caller)."""
        try:
            record_run(key, started, error)
        except Exception:  # noqa: BLE001 - the step's own error is what gets reported
            logger.debug("tick: failure of %s not recorded", key, exc_info=True)
