"""The periodic pass: every step an app registered (`buurtnet/<app>/periodic.py`, through
`buurtnet.common.periodic`) whose minimum interval has passed: scheduled messages and campaign
tips whose time came, overdue forwards and reports, lost work, ended and expired holiday
absences, purges. `tick --list` prints the steps, their intervals and their last runs.

Run it every few seconds next to the workers (`manage.py tick --every 10`, as
`scripts/serve-with-worker` does) or from cron (`manage.py tick`). Every step is safe to
run twice or from two machines at once.

A lost database, broker or cache (a restart) does not stop the loop: it logs it once,
reconnects with back-off, logs when it is back and goes on (`buurtnet.common.reconnect`). Run once
(from cron), it exits with an error instead.

Each step that ran leaves one row in `operations.PeriodicRun` (one upsert per step and pass):
when it last started and finished, and how it last failed. `/readyz` and `/metrics` read them.
A step with a minimum interval runs when that long has passed since the start recorded there;
it claims its run with one conditional UPDATE, so ticks on several machines run it once.
"""

import logging
import time
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from buurtnet.common import periodic
from buurtnet.common.reconnect import Outage, ServiceUnavailable, close_stale_connections
from buurtnet.operations.errors import short_error
from buurtnet.operations.models import PeriodicRun

logger = logging.getLogger(__name__)


def record_run(key: str, started: datetime, error: BaseException | None = None) -> None:
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


def claim(step: periodic.Step, now: datetime) -> bool:
    """Whether the step runs in this pass. One with a minimum interval runs when that long
    has passed since its last recorded start, and marks its start at once: of two ticks
    asking together, one gets the row (a failed run also waits out its interval)."""
    if not step.every:
        return True
    due = Q(last_started__isnull=True) | Q(last_started__lte=now - step.every)
    if PeriodicRun.objects.filter(due, name=step.key).update(last_started=now):
        return True
    _run, created = PeriodicRun.objects.get_or_create(name=step.key, defaults={"last_started": now})
    return created


def interval_words(step: periodic.Step, now: datetime) -> str:
    if not step.every:
        return _("every pass")
    return _("at most every %(interval)s") % {"interval": timesince(now - step.every, now)}


def last_run_words(run: PeriodicRun | None) -> str:
    """When the step last started, in local time and in words, and how it last failed."""
    if run is None or run.last_started is None:
        return _("never")
    local = timezone.localtime(run.last_started)
    moment = f"{formats.date_format(local)} {formats.time_format(local, 'H:i')}"
    words = f"{moment} ({naturaltime(run.last_started)})"
    if run.last_error:
        words += " — " + _("failed: %(error)s") % {"error": run.last_error}
    return words


class Command(BaseCommand):
    help = (
        "Run the periodic steps of every app that are due: send due messages and campaign "
        "tips, flag overdue forwards and reports, recover lost deliveries, purge what expired. "
        "--list prints the steps."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds.")
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_steps",
            help="Print every step with its interval and its last run, and run nothing.",
        )

    def handle(self, *args, every: float = 0, list_steps: bool = False, **options) -> None:
        steps = periodic.steps()
        if list_steps:
            self._list(steps)
            return
        self.outage = Outage("tick")
        self.wait = bool(every)
        while True:
            # As between two requests: a connection past its age, or one that failed, is
            # closed here and opened again by the next query.
            close_stale_connections()
            try:
                done = {step.description: self._run(step) for step in steps}
            except ServiceUnavailable as error:
                raise CommandError(f"tick: {error}") from error
            if options["verbosity"] > 1 or any(done.values()):
                self.stdout.write("tick: " + ", ".join(f"{n} {name}" for name, n in done.items()))
            if not every:
                return
            time.sleep(every)

    def _run(self, step: periodic.Step) -> int:
        """One step's failure never keeps the others from running: the deletion of expired
        absences in particular is a promise to the residents. A lost connection is waited
        out (logged once) before the next step; the step itself runs again next pass."""
        try:
            started = timezone.now()
            if not claim(step, started):
                return 0
            try:
                done = step.function()
            except Exception as error:
                self._record_failure(step.key, started, error)
                raise
            record_run(step.key, started)
            return done
        except Exception as error:
            if not self.outage.ride_out(error, wait=self.wait):
                logger.exception("tick: %s failed", step.key)
            return 0

    def _record_failure(self, key: str, started: datetime, error: BaseException) -> None:
        """Best effort: with the database gone, the failure cannot be written either (the
        outage itself is logged by the caller)."""
        try:
            record_run(key, started, error)
        except Exception:  # noqa: BLE001 - the step's own error is what gets reported
            logger.debug("tick: failure of %s not recorded", key, exc_info=True)

    def _list(self, steps: list[periodic.Step]) -> None:
        now = timezone.now()
        runs = {run.name: run for run in PeriodicRun.objects.all()}
        rows = [
            (
                step.key,
                str(step.description),
                interval_words(step, now),
                last_run_words(runs.get(step.key)),
            )
            for step in steps
        ]
        header = (_("Step"), _("What it counts"), _("Interval"), _("Last run"))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
        self.stdout.write(_("Periodic steps, in the order each pass runs them:"))
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
            self.stdout.write("  ".join([*cells, row[3]]))
