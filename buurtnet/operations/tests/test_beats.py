import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from buurtnet.operations import beats
from buurtnet.operations.beats import worker_beating
from buurtnet.operations.models import WorkerBeat

# The beat thread writes on its own connection: the test's rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_entering_the_block_records_a_beat_at_once():
    with worker_beating("worker", ["alerts", "notices"]) as name:
        row = WorkerBeat.objects.get(name=name)
    assert row.queues == "alerts,notices"
    assert row.pid > 0


def test_beat_is_renewed_while_the_block_runs():
    with worker_beating("worker", ["alerts"], every=0.05) as name:
        first = WorkerBeat.objects.get(name=name).seen_at
        assert wait_for(lambda: WorkerBeat.objects.get(name=name).seen_at > first)


def test_leaving_the_block_removes_the_row():
    with worker_beating("worker", ["alerts"]) as name:
        assert WorkerBeat.objects.filter(name=name).exists()
    assert not WorkerBeat.objects.filter(name=name).exists()


def test_rows_of_workers_unseen_for_a_day_are_forgotten():
    gone = timezone.now() - timedelta(days=1, minutes=1)
    WorkerBeat.objects.create(name="dead", host="h", pid=1, started_at=gone, seen_at=gone)
    recent = timezone.now() - timedelta(hours=23)
    WorkerBeat.objects.create(name="quiet", host="h", pid=2, started_at=recent, seen_at=recent)
    with worker_beating("worker", ["alerts"]):
        pass
    assert set(WorkerBeat.objects.values_list("name", flat=True)) == {"quiet"}


def test_beat_outlives_a_database_outage_and_logs_it_once(monkeypatch, caplog):
    """The beat's write fails for a while (as when PostgreSQL restarts), then works again."""
    failures = {"left": 3}
    real_beat = beats.Beat.beat

    def flaky(self):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection")
        real_beat(self)

    monkeypatch.setattr(beats.Beat, "beat", flaky)
    with (
        caplog.at_level(logging.INFO, logger="buurtnet.operations.beats"),
        worker_beating("worker", ["alerts"], every=0.05) as name,
    ):
        assert wait_for(lambda: WorkerBeat.objects.filter(name=name).exists())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Worker beat recorded again" in caplog.text


def test_leaving_the_block_does_not_wait_for_ever_on_a_database_that_hangs(monkeypatch):
    """Removing the row hangs (a database that accepts the connection and never answers):
    the worker must still exit, after STOP_WAIT_SECONDS."""
    release = threading.Event()
    monkeypatch.setattr(beats, "STOP_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(beats.Beat, "remove", lambda self: release.wait(30))

    def run_block() -> None:
        with worker_beating("worker", ["alerts"], every=0.05):
            pass

    leaving = threading.Thread(target=run_block, daemon=True)
    leaving.start()
    leaving.join(timeout=5)
    try:
        assert not leaving.is_alive(), "the block did not exit while the beat thread hung"
    finally:
        release.set()
        leaving.join(timeout=5)
