"""The task worker that outlives a database or broker restart.

`manage.py worker` runs the worker of the configured task backend in this process:
django_tasks_db's `db_worker` loop on the database backend, an RQ worker (`rqworker`, with
django_tasks_rq's job class) when TASKS_REDIS_URL is set. Both exit when their database or
Redis connection goes away; this command catches that, closes the broken connections, waits
with back-off until the services answer again (one log line when the connection is lost,
one when it is back) and starts the loop again. Any other error still ends the process, for
the supervisor to restart (docs/operations.md).

Queues (docs/queues.md). Without `--queue` the worker serves the four work queues, alerts
first; `--queue alerts --queue notices` serves those only. Either way it takes the most
urgent waiting work first: RQ looks at its queues in the order given, django_tasks_db's
worker takes the task of the highest priority (queues.route gives each queue its own). The
RQ worker also runs RQ's scheduler, which moves deferred jobs (`run_after`: a scheduled
message, a retry after back-off) into their queue when they are due; without it they stay
in Redis for ever. While it runs, the worker keeps a beat in the database
(operations.beats), which `/readyz` and the metrics count.
"""

import logging
import signal
import time
from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from buurtnet.common.reconnect import CONNECTION_ERRORS, Outage
from buurtnet.delivery.queues import QUEUES
from buurtnet.operations.beats import worker_beating

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the task worker of the configured backend (database or RQ) and keep it running "
        "through database and broker restarts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=0.2,
            help="Database backend: seconds between polls when the queue is empty.",
        )
        parser.add_argument(
            "--queue",
            action="append",
            choices=QUEUES,
            dest="queues",
            help=(
                "A work queue to serve; repeat for several. Default: all of them, "
                f"most urgent first ({', '.join(QUEUES)})."
            ),
        )
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Exit once the queues are empty (tests, scripts).",
        )
        parser.add_argument(
            "--reconnect-max",
            type=float,
            default=30.0,
            help="Longest wait in seconds between two tries to reconnect.",
        )

    def handle(self, *args: object, **options: object) -> None:
        queues = serving_order(options["queues"])
        outage = Outage(f"worker {get_random_string(6)}", longest=options["reconnect_max"])
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_rq."):
            run = self._rq_loop(queues, options)
        elif backend.startswith("django_tasks_db."):
            run = self._database_loop(queues, options)
        else:
            raise CommandError(f"No worker runs tasks for the backend {backend}.")
        logger.info("%s serves the queues %s", outage.process, ", ".join(queues))
        with worker_beating("worker", queues):
            self._keep_running(run, outage)

    def _keep_running(self, run, outage: Outage) -> None:
        while True:
            try:
                if run():
                    return
            except CONNECTION_ERRORS as error:
                if not outage.ride_out(error):
                    raise
            else:
                # RQ logged an error of its own and returned; start it again, not in a spin.
                logger.warning(
                    "%s: the worker stopped on an error; starting it again", outage.process
                )
                time.sleep(1)

    def _database_loop(self, queues: list[str], options: dict):
        from django_tasks_db.management.commands.db_worker import Worker

        # Its query takes the ready task of the highest priority first, whatever the order
        # of queue_names: an alert's task (priority 30) before a campaign's (0).
        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["burst"],
            backend_name="default",
            startup_delay=not options["burst"],
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()

        def run() -> bool:
            worker.run()
            return True

        return run

    def _rq_loop(self, queues: list[str], options: dict):
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker
        from rq.logutils import setup_loghandlers

        level = "DEBUG" if options["verbosity"] > 1 else "INFO"
        setup_loghandlers(level)

        def run() -> bool:
            """One RQ worker's life. RQ itself retries a lost connection only while it waits
            for a job; anywhere else it logs the error and returns, or raises from its own
            clean-up. Returns whether the process should end."""
            # RQ takes a job from the first of these queues that has one. Its log names each
            # job by id only: the description holds the arguments, a phone number and its
            # log-in code, an e-mail address.
            worker = get_worker(*queues, job_class="django_tasks_rq.Job", log_job_description=False)
            # Reconnecting to Redis: RQ's own waits grow to at most this.
            worker.max_connection_wait_time = options["reconnect_max"]
            reset_db_connections()  # the work horse is a fork: no shared connection
            try:
                # The scheduler moves jobs deferred with run_after into their queue when
                # due; one worker per queue holds its lock, the others stand by.
                worker.work(burst=options["burst"], logging_level=level, with_scheduler=True)
            finally:
                # RQ's handlers belong to the worker that just ended: Ctrl-C or SIGTERM while
                # waiting to reconnect end the process.
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # SIGTERM or Ctrl-C: RQ 3 records the moment, and sets _stop_requested only when
            # the signal came during a job (an idle worker just leaves its loop).
            if options["burst"] or worker._stop_requested or worker._shutdown_requested_date:
                return True
            # RQ gave up on an error it logged: find out whether the broker went away.
            worker.connection.ping()
            return False

        return run


def serving_order(queues: list[str] | None) -> list[str]:
    """The queues to serve, most urgent first (all four when none are named)."""
    chosen = set(queues or QUEUES)
    return [queue for queue in QUEUES if queue in chosen]
