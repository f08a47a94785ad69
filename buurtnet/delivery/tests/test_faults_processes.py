"""Outages with real processes (issue 24, findings 2 and 4): PostgreSQL restarted and Redis
restarted empty in the middle of a fan-out, and Redis down when the alert is sent.

Each scenario runs `manage.py worker` and `manage.py tick --every 1` as real processes
against a server of the test's own (tests/throwaway.py), restarts that server, and counts
what the SMTP sink and the SMS simulator received, every copy. Nothing may be lost, and
nothing sent twice beyond what was in flight: one message per worker (one connection each).
The workers and the tick must still run at the end and say in their log that they lost the
connection and got it back.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from buurtnet.delivery.simulator import SimulatorServer

from .smtp_sink import SmtpSink
from .test_fanout_workers import (  # noqa: F401 - audience is a fixture
    FAILING,
    ROOT,
    assert_once_each,
    audience,
    pending,
    run,
    send_alert,
    wait_until,
    worker_env,
)
from .throwaway import ThrowawayPostgres, ThrowawayRedis, free_port, postgres_bin

WORKERS = 2
FAST = {
    "DELIVERY_FIRST_BATCH_SIZE": "3",
    "DELIVERY_BATCH_SIZE": "5",
    "DELIVERY_LEASE_SECONDS": "6",
    "DELIVERY_REQUEUE_AFTER_SECONDS": "2",
}
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)
needs_postgres_server = pytest.mark.skipif(
    postgres_bin() is None, reason="the PostgreSQL server programs are not installed"
)


class Processes:
    """Long-running manage.py processes whose output goes to files (a pipe nobody reads
    would fill up and block them)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.dir = Path(tempfile.mkdtemp(prefix="buurtnet-procs-"))
        self.running: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str) -> None:
        log = self.dir / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), *args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process, log))

    def alive(self) -> list[str]:
        return [name for name, process, _log in self.running if process.poll() is None]

    def log(self, name: str) -> str:
        return next(log.read_text() for n, _p, log in self.running if n == name)

    def stop(self) -> None:
        for _name, process, _log in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process, _log in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_workers_and_tick(processes: Processes) -> None:
    for n in range(WORKERS):
        processes.start(f"worker{n}", "worker", "--interval", "0.1", "--reconnect-max", "2")
    processes.start("tick", "tick", "--every", "1")


def assert_recovered_by_themselves(processes: Processes, service: str) -> None:
    assert processes.alive() == [name for name, _p, _l in processes.running]
    logs = {name: processes.log(name) for name, _p, _l in processes.running}
    assert any(f"lost the connection to {service}" in text for text in logs.values()), logs
    assert any(f"{service} back after" in text for text in logs.values()), logs
    # The tick says it twice, not with a traceback per pass.
    assert "Traceback" not in logs["tick"], logs["tick"]


def sent_twice(smtp: SmtpSink, simulator: SimulatorServer) -> int:
    return len(smtp.handler.duplicates) + simulator.stats["duplicates"]


@needs_redis_server
def test_a_broker_down_at_send_saves_one_alert_delivered_once_when_it_is_back(audience):  # noqa: F811
    network, officer, members = audience
    redis = ThrowawayRedis(free_port())  # not started: nothing listens on its port
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(smtp, simulator, TASKS_REDIS_URL=redis.url, **FAST)
        started = time.monotonic()
        message_id = send_alert(network, officer, env)  # exits 0: the alert is saved
        assert pending(message_id) == 2 * len(members) + 1
        with redis, Processes(env) as processes:
            start_workers_and_tick(processes)
            wait_until(lambda: pending(message_id) == 0, timeout=90)
            waited = time.monotonic() - started
        assert_once_each(members, smtp, simulator)
        assert sent_twice(smtp, simulator) == 0
        assert waited < 60


@needs_redis_server
def test_a_redis_restart_that_loses_the_waiting_jobs_loses_no_delivery(audience):  # noqa: F811
    network, officer, members = audience
    with (
        ThrowawayRedis() as redis,
        SmtpSink(delay=0.15) as smtp,
        SimulatorServer(fail_prefix=FAILING) as simulator,
    ):
        env = worker_env(smtp, simulator, TASKS_REDIS_URL=redis.url, **FAST)
        with Processes(env) as processes:
            start_workers_and_tick(processes)
            message_id = send_alert(network, officer, env)
            wait_until(lambda: len(smtp.handler.recipients()) >= 3, timeout=60)
            redis.stop()
            time.sleep(1.5)
            redis.start()  # empty: the jobs that waited are gone
            assert pending(message_id) > 0, "the fan-out ended before the restart"
            wait_until(lambda: pending(message_id) == 0, timeout=120)
            assert_recovered_by_themselves(processes, "task broker")
        assert Counter(smtp.handler.recipients()).keys() == {m.email for m in members} | {
            "officer@workers.test"
        }
        assert {m["to"] for m in simulator.messages} == {m.phone for m in members}
        assert sent_twice(smtp, simulator) <= WORKERS


POPULATE = """
import json
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square
from buurtnet.people.tests.factories import PersonFactory
network = NetworkFactory(name="BIN Outage", area=square(3.26, 50.82))
officer = PersonFactory(email="officer@workers.test")
MembershipFactory(network=network, person=officer, role=Role.OFFICER)
members = [PersonFactory(channels=["email", "sms", "inapp"]) for _ in range(24)]
for person in members:
    MembershipFactory(network=network, person=person)
print(json.dumps({"network": network.pk, "emails": [p.email for p in members],
                  "phones": [p.phone for p in members]}))
"""


def pending_on(url: str, message_id: int) -> int | None:
    """Deliveries not done yet, read from the throwaway server; None while it is down."""
    import psycopg

    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=2) as db:
            return db.execute(
                "SELECT count(*) FROM delivery_delivery WHERE message_id = %s AND state NOT IN "
                "('sent', 'delivered', 'failed', 'skipped', 'bounced')",
                [message_id],
            ).fetchone()[0]
    except psycopg.OperationalError:
        return None


@needs_postgres_server
def test_a_postgresql_restart_mid_fan_out_loses_nothing_and_the_processes_reconnect(
    transactional_db,
):
    with (
        ThrowawayPostgres() as postgres,
        SmtpSink(delay=0.15) as smtp,
        SimulatorServer(fail_prefix=FAILING) as simulator,
    ):
        env = worker_env(smtp, simulator, **FAST)
        env.pop("SQLITE_PATH", None)
        env["DATABASE_URL"] = postgres.url
        run("migrate", "--no-input", "-v0", env=env)
        world = json.loads(run("shell", "-c", POPULATE, env=env).splitlines()[-1])
        message_id = int(
            run(
                "send_message", "--as", "officer@workers.test", "--network",
                str(world["network"]), "--kind", "alert", "--language", "en", "--title",
                "Burglary wave", "--body", "Doors were forced tonight.", "--sms",
                "Burglaries tonight", env=env,
            )
        )  # fmt: skip
        with Processes(env) as processes:
            start_workers_and_tick(processes)
            wait_until(lambda: len(smtp.handler.recipients()) >= 3, timeout=60)
            postgres.stop()
            time.sleep(2)
            postgres.start()
            assert pending_on(postgres.url, message_id), "the fan-out ended before the restart"
            wait_until(lambda: pending_on(postgres.url, message_id) == 0, timeout=120)
            assert_recovered_by_themselves(processes, "database")
        assert set(smtp.handler.recipients()) == {*world["emails"], "officer@workers.test"}
        assert {m["to"] for m in simulator.messages} == set(world["phones"])
        assert sent_twice(smtp, simulator) <= WORKERS


# --- The reconnect logic on its own ---------------------------------------------------------


def outage_after(answers: list[list[str]]):
    """An Outage whose probe answers from the list and that does not really sleep."""
    from buurtnet.common.reconnect import Outage

    waits: list[float] = []
    probe = iter(answers)
    return Outage("test", probe=lambda: next(probe), sleep=waits.append), waits


def test_an_outage_is_logged_once_when_lost_and_once_when_back(db, caplog):
    from django.db import OperationalError

    outage, waits = outage_after([["database"]] * 6 + [[]])
    assert outage.ride_out(OperationalError("server closed the connection unexpectedly"))
    lines = [r.getMessage() for r in caplog.records if r.name == "buurtnet.common.reconnect"]
    assert len(lines) == 2
    assert "lost the connection to database" in lines[0]
    assert "database back after" in lines[1]
    assert all(r.exc_info is None for r in caplog.records)
    # Back-off: doubling, with jitter, up to the longest wait.
    assert len(waits) == 6 and waits[-1] > waits[0] * 4 and max(waits) <= 30


def test_an_operational_error_with_every_connection_working_is_not_an_outage(db):
    from django.db import OperationalError

    outage, waits = outage_after([[]])
    assert not outage.ride_out(OperationalError("database is locked"))
    assert waits == []


def test_an_error_other_than_a_lost_connection_is_left_to_the_caller(db):
    outage, waits = outage_after([])
    assert not outage.ride_out(ValueError("a bug"))
