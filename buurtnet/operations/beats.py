"""Worker beats: each worker process says "alive" in the database every few seconds.

`/readyz` and the `buurtnet_workers_seen` metric count the workers with a recent beat; this
is the same for every task backend (the database backend keeps no registry of its own).

    with worker_beating("worker", ["alerts", "notices"]):
        run_the_worker()

The beat runs in a daemon thread on its own database connection, so a long task never
delays it and the worker's own connection is never shared between threads. A database
outage is logged once and outlived: the thread keeps trying and says when it recovers.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import WorkerBeat

logger = logging.getLogger(__name__)

# How often a worker renews its beat; READY_WORKER_SECONDS must be several times longer.
BEAT_SECONDS = 10.0
# Rows of workers that vanished without removing their own (killed, host lost) go after this.
FORGET_AFTER = timedelta(days=1)
# Forgetting is one indexed DELETE: once at start, then every this many beats (about an hour).
FORGET_EVERY_BEATS = 360
# How long entering the block waits for the first beat: long enough for a healthy database,
# short enough that a worker starts during an outage.
FIRST_BEAT_WAIT_SECONDS = 5.0
# How long leaving the block waits for the beat thread to remove its row: a database that
# does not answer must not keep a stopping worker from exiting (the thread is a daemon; the
# row it leaves behind stops counting once it is no longer renewed).
STOP_WAIT_SECONDS = 5.0


def process_name(process: str) -> str:
    """Unique per process start: host and pid repeat across container restarts."""
    return f"{process}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Beat(threading.Thread):
    """Records a beat at once, then every `every` seconds until stopped; then removes it."""

    def __init__(self, process: str, queues: list[str], every: float) -> None:
        super().__init__(name="worker-beat", daemon=True)
        self.name_in_table = process_name(process)
        self.queues = ",".join(queues)[:200]
        self.every = every
        self.stopped = threading.Event()
        self.first = threading.Event()
        self.failing = False
        self.beats = 0

    def run(self) -> None:
        try:
            while True:
                self.attempt(self.beat)
                self.first.set()
                if self.stopped.wait(self.every):
                    break
            self.attempt(self.remove)
        finally:
            connection.close()

    def attempt(self, action) -> None:
        """Run one database action; an outage is logged when it starts and when it ends."""
        try:
            action()
        except Exception:  # noqa: BLE001 - any failure here must not end the beat
            if not self.failing:
                logger.warning("Worker beat not recorded: will keep trying", exc_info=True)
                self.failing = True
            # A broken connection is not reused: the next attempt opens a new one.
            connection.close()
        else:
            if self.failing:
                logger.info("Worker beat recorded again")
                self.failing = False

    def beat(self) -> None:
        now = timezone.now()
        if self.beats % FORGET_EVERY_BEATS == 0:
            WorkerBeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
        updated = WorkerBeat.objects.filter(name=self.name_in_table).update(seen_at=now)
        if not updated:
            WorkerBeat.objects.create(
                name=self.name_in_table,
                queues=self.queues,
                host=socket.gethostname()[:100],
                pid=os.getpid(),
                started_at=now,
                seen_at=now,
            )
        self.beats += 1

    def remove(self) -> None:
        WorkerBeat.objects.filter(name=self.name_in_table).delete()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=STOP_WAIT_SECONDS)
        if self.is_alive():
            logger.warning(
                "Worker beat did not stop within %s s: leaving its row to expire",
                STOP_WAIT_SECONDS,
            )


@contextmanager
def worker_beating(process: str, queues: list[str], every: float = BEAT_SECONDS) -> Iterator[str]:
    """Keep a beat for this worker process while the block runs; yields the row's name."""
    beat = Beat(process, queues, every)
    beat.start()
    beat.first.wait(FIRST_BEAT_WAIT_SECONDS)
    try:
        yield beat.name_in_table
    finally:
        beat.stop()
