"""What a real RQ worker (`manage.py worker`, Redis database 13) writes to its log while it
sends a log-in code: which job ran, never to whom or what (docs/operations.md, privacy)."""

import os

import pytest

from buurtnet.delivery.queues import ALERTS, QUEUES
from buurtnet.delivery.services import send_code
from buurtnet.delivery.simulator import SimulatorServer

from .smtp_sink import SmtpSink
from .test_fanout_workers import FAILING, manage, worker_env

REDIS_URL = "redis://127.0.0.1:6379/13"  # this file's own Redis database
PHONE = "+32470123456"
EMAIL = "ann.peeters@example.be"
CODE = "482913"


@pytest.fixture
def rq_database_13(settings):
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running")
    client.flushdb()  # database 13 only
    settings.RQ_QUEUES = {queue: {"URL": REDIS_URL} for queue in QUEUES}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": QUEUES}}
    yield client
    client.flushdb()


def test_rq_worker_logs_no_phone_number_address_or_code_of_what_it_sends(
    transactional_db, rq_database_13
):
    with SmtpSink() as smtp, SimulatorServer(fail_prefix=FAILING) as simulator:
        send_code(None, channel="sms", to=PHONE, text=f"Your Buurtnet code is {CODE}")
        send_code(
            None,
            channel="email",
            to=EMAIL,
            subject=f"Your code {CODE}",
            text=f"Your Buurtnet code is {CODE}",
        )
        env = worker_env(smtp, simulator, TASKS_REDIS_URL=REDIS_URL)
        worker = manage("worker", "--burst", "--queue", ALERTS, env=env)
        out, err = worker.communicate(timeout=120)
        sent_sms = [m["to"] for m in simulator.messages]
        sent_email = smtp.handler.recipients()
    assert worker.returncode == 0, err[-3000:]
    assert (sent_sms, sent_email) == ([PHONE], [EMAIL])  # both jobs ran and were logged
    log = out + err
    assert "Successfully completed" in log
    for secret in (PHONE, PHONE[3:], EMAIL, CODE):
        assert secret not in log
