"""Leases under faults, with real `db_worker` processes and sinks that count every message
they receive, duplicates included (issue 24, findings 1 and 3).

- A batch that takes longer than the lease keeps its rows: the heartbeat renews the lease,
  so no second worker sends them.
- A worker whose lease did lapse (stopped longer than the lease) sends none of the rows
  another worker took over, and writes no outcome on them.
- A worker killed mid-batch costs at most the message in flight on its one connection, and
  the rest of its batch is delivered within 60 s.

These tests commit (transactional_db) so that the worker processes see the data.
"""

import os
import signal
import time
from collections import Counter

import pytest

from buurtnet.delivery.models import Delivery
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square
from buurtnet.people.tests.factories import PersonFactory

from .smtp_sink import SmtpSink
from .test_fanout_workers import FAILING, manage, pending, send_alert, wait_until, worker_env

MEMBERS = 24


@pytest.fixture
def bin_on_email_and_sms(transactional_db):
    """A BIN with an officer and 24 members who chose e-mail, SMS and the inbox."""
    network = NetworkFactory(name="BIN Leases", area=square(3.3, 50.85))
    officer = PersonFactory(email="officer@workers.test")
    MembershipFactory(network=network, person=officer, role=Role.OFFICER)
    members = []
    for _ in range(MEMBERS):
        person = PersonFactory(channels=["email", "sms", "inapp"])
        MembershipFactory(network=network, person=person)
        members.append(person)
    return network, officer, members


def expected_mail(members) -> Counter:
    return Counter([m.email for m in members] + ["officer@workers.test"])


def emails_sent(message_id: int) -> int:
    return Delivery.objects.filter(message_id=message_id, channel="email", state="sent").count()


def stop(*processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGCONT)
            process.terminate()
        process.communicate(timeout=30)


def start(*args: str, env: dict[str, str]):
    # Its own process group, so that a signal reaches the worker and nothing else.
    return manage(*args, env=env, start_new_session=True)


def test_a_batch_longer_than_its_lease_is_sent_by_one_worker_only(bin_on_email_and_sms):
    network, officer, members = bin_on_email_and_sms
    # Each e-mail takes 0.2 s: the 25 of the batch take 5 s, the lease is 2 s, and the tick
    # re-enqueues expired leases every half second for the second worker to claim.
    with SmtpSink(delay=0.2) as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(
            smtp,
            simulator,
            DELIVERY_LEASE_SECONDS="2",
            DELIVERY_FIRST_BATCH_SIZE="50",
            DELIVERY_BATCH_SIZE="50",
        )
        message_id = send_alert(network, officer, env)
        workers = [
            start("db_worker", "--queue-name", "*", "--interval", "0.1", env=env) for _ in range(2)
        ]
        tick = start("tick", "--every", "0.5", env=env)
        try:
            wait_until(lambda: pending(message_id) == 0, timeout=120)
        finally:
            stop(*workers, tick)
        assert Counter(smtp.handler.recipients()) == expected_mail(members)
        assert smtp.handler.duplicates == []
        assert simulator.stats["duplicates"] == 0
        assert simulator.stats["accepted"] == MEMBERS
        assert emails_sent(message_id) == MEMBERS + 1


def test_a_worker_whose_lease_lapsed_sends_none_of_the_rows_taken_over(bin_on_email_and_sms):
    network, officer, members = bin_on_email_and_sms
    with SmtpSink(delay=0.2) as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(
            smtp,
            simulator,
            DELIVERY_LEASE_SECONDS="2",
            DELIVERY_FIRST_BATCH_SIZE="50",
            DELIVERY_BATCH_SIZE="50",
        )
        message_id = send_alert(network, officer, env)
        first = start("db_worker", "--queue-name", "*", "--interval", "0.1", env=env)
        processes = [first]
        try:
            wait_until(lambda: len(smtp.handler.recipients()) >= 3, timeout=60)
            # Frozen mid-batch (a stalled machine, a long pause): its heartbeat stops too,
            # its lease lapses and a second worker takes the rest of its batch.
            os.killpg(first.pid, signal.SIGSTOP)
            handed_before_stop = len(smtp.handler.recipients())
            processes.append(start("db_worker", "--queue-name", "*", "--interval", "0.1", env=env))
            processes.append(start("tick", "--every", "0.5", env=env))
            wait_until(lambda: pending(message_id) == 0, timeout=120)
            assert handed_before_stop < MEMBERS + 1, "the first worker finished before the stop"
            # Woken up, the first worker finds its lease gone: it sends nothing more.
            os.killpg(first.pid, signal.SIGCONT)
            time.sleep(3)
        finally:
            stop(*processes)
        assert Counter(set(smtp.handler.recipients())) == expected_mail(members)
        # At most the one e-mail that was on the first worker's connection when it froze.
        assert len(smtp.handler.duplicates) <= 1
        assert len(smtp.handler.recipients()) <= MEMBERS + 2
        assert simulator.stats["duplicates"] == 0
        assert emails_sent(message_id) == MEMBERS + 1


def test_a_killed_worker_resends_at_most_its_message_in_flight_and_the_rest_within_a_minute(
    bin_on_email_and_sms,
):
    network, officer, members = bin_on_email_and_sms
    # The default lease; the tick every 10 s as scripts/serve-with-worker runs it.
    with SmtpSink(delay=0.1) as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        env = worker_env(smtp, simulator, DELIVERY_FIRST_BATCH_SIZE="50", DELIVERY_BATCH_SIZE="50")
        env.pop("DELIVERY_LEASE_SECONDS", None)
        message_id = send_alert(network, officer, env)
        victim = start("db_worker", "--queue-name", "*", "--interval", "0.1", env=env)
        processes = [victim]
        try:
            wait_until(lambda: len(smtp.handler.recipients()) >= 5, timeout=60)
            os.killpg(victim.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            victim.communicate(timeout=30)
            assert len(smtp.handler.recipients()) < MEMBERS + 1, "the worker finished first"
            assert pending(message_id) > 0
            processes.append(start("db_worker", "--queue-name", "*", "--interval", "0.1", env=env))
            processes.append(start("tick", "--every", "10", env=env))
            wait_until(lambda: pending(message_id) == 0, timeout=90)
            recovered_in = time.monotonic() - killed_at
        finally:
            stop(*processes)
        assert recovered_in < 60
        assert Counter(set(smtp.handler.recipients())) == expected_mail(members)
        # One worker has one connection open at a time: one message may be sent twice.
        assert len(smtp.handler.duplicates) + simulator.stats["duplicates"] <= 1
        assert simulator.stats["accepted"] == MEMBERS
        assert emails_sent(message_id) == MEMBERS + 1
