"""End to end: a message through real worker processes to a real SMTP server and the SMS
simulator over HTTP, with the database task backend and with RQ on Redis.

These tests commit (transactional_db) so that the worker processes see the data.
"""

import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from buurtnet.delivery.models import Delivery
from buurtnet.delivery.queues import QUEUES
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory, NetworkFactory, square
from buurtnet.people.tests.factories import PersonFactory

from .smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[3]
FAILING = "+3249999"  # numbers the simulator rejects; the factories never make them
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def worker_env(smtp: SmtpSink, simulator: SimulatorServer, **extra: str) -> dict[str, str]:
    # Production-like: with DEBUG off manage.py refuses the public development key, an empty
    # ALLOWED_HOSTS and a SITE_URL that is not https (buurtnet/startup.py).
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "buurtnet.example",
        "SITE_URL": "https://buurtnet.example",
    }
    env.pop("DEBUG", None)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    env.update(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        SMS_TRANSPORT="simulator",
        SMS_SIMULATOR_URL=simulator.url,
        DELIVERY_FIRST_BATCH_SIZE="5",
        DELIVERY_BATCH_SIZE="20",
    )
    env.pop("TASKS_REDIS_URL", None)
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run(*args: str, env: dict[str, str]) -> str:
    process = manage(*args, env=env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


def wait_until(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def pending(message_id: int) -> int:
    return (
        Delivery.objects.filter(message_id=message_id)
        .exclude(state__in=["sent", "delivered", "failed", "skipped", "bounced"])
        .count()
    )


@pytest.fixture
def audience(transactional_db):
    """A BIN with an officer and 24 members who chose e-mail, SMS and the inbox."""
    network = NetworkFactory(name="BIN Workers", area=square(3.26, 50.82))
    officer = PersonFactory(email="officer@workers.test")
    MembershipFactory(network=network, person=officer, role=Role.OFFICER)
    members = []
    for _ in range(24):
        person = PersonFactory(channels=["email", "sms", "inapp"])
        MembershipFactory(network=network, person=person)
        members.append(person)
    return network, officer, members


@pytest.fixture
def sinks():
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        yield smtp, simulator


def send_alert(network, officer, env) -> int:
    return int(
        run(
            "send_message",
            "--as",
            officer.email,
            "--network",
            str(network.pk),
            "--kind",
            "alert",
            "--language",
            "en",
            "--title",
            "Burglary wave",
            "--body",
            "Doors were forced in three streets tonight. Lock up.",
            "--sms",
            "Burglaries tonight: lock up",
            env=env,
        )
    )


def assert_once_each(members, smtp: SmtpSink, simulator: SimulatorServer) -> None:
    people = len(members) + 1  # the officer is a member of the BIN too
    assert Counter(smtp.handler.recipients()) == Counter(
        [m.email for m in members] + ["officer@workers.test"]
    )
    assert len(smtp.handler.recipients()) == people
    phones = Counter(m["to"] for m in simulator.messages)
    assert phones == Counter(m.phone for m in members)


def assert_personal_links(smtp: SmtpSink) -> None:
    """Each e-mail carries its own seen link and unsubscribe link, in body and header."""
    seen, unsubscribe = set(), set()
    for mail in smtp.handler.messages:
        assert mail["To"] in smtp.handler.recipients()
        header = mail["List-Unsubscribe"]
        assert "/channels/unsubscribe/" in header
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = mail.get_payload()[0].get_payload(decode=True).decode()
        html = mail.get_payload()[1].get_payload(decode=True).decode()
        link = next(w for w in text.split() if "/messages/seen/" in w)
        assert link in html and "@@" not in text + html
        seen.add(link)
        unsubscribe.add(header)
    assert len(seen) == len(unsubscribe) == len(smtp.handler.messages)


def test_database_workers_deliver_once_per_recipient_and_channel(audience, sinks):
    network, officer, members = audience
    smtp, simulator = sinks
    env = worker_env(smtp, simulator)
    message_id = send_alert(network, officer, env)
    workers = [
        manage("db_worker", "--queue-name", "*", "--interval", "0.1", env=env) for _ in range(2)
    ]
    try:
        wait_until(lambda: pending(message_id) == 0)
    finally:
        for worker in workers:
            worker.terminate()
            worker.communicate(timeout=30)
    assert_once_each(members, smtp, simulator)
    assert smtp.handler.duplicates == []
    assert_personal_links(smtp)
    status = run("message_status", str(message_id), env=env)
    assert '"sent": 25' in status and '"sent": 24' in status


@pytest.mark.skipif(
    not redis_available() and os.environ.get("CI") != "true", reason="Redis is not running"
)
def test_rq_workers_on_redis_deliver_once_per_recipient_and_channel(audience, sinks):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    network, officer, members = audience
    smtp, simulator = sinks
    env = worker_env(smtp, simulator, TASKS_REDIS_URL=REDIS_URL)
    message_id = send_alert(network, officer, env)
    workers = [
        manage("rqworker", *QUEUES, "--burst", "--job-class", "django_tasks_rq.Job", env=env)
        for _ in range(2)
    ]
    try:
        wait_until(lambda: pending(message_id) == 0)
    finally:
        for worker in workers:
            worker.communicate(timeout=60)
    assert_once_each(members, smtp, simulator)
    assert smtp.handler.duplicates == []
