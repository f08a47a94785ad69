"""With the Redis task backend (TASKS_REDIS_URL), the result of an enqueued task can be read
back: django_tasks_rq's get_result() fetches the job through django_rq's "default"
connection, which the settings must therefore define next to the four work queues."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database no other test uses

# Run as `python -c CHILD` with TASKS_REDIS_URL set, so that the settings are read as a
# production process reads them.
CHILD = """
import django

django.setup()
from buurtnet.messaging import tasks

result = tasks.dispatch_message.enqueue(0)
print(tasks.dispatch_message.get_result(result.id).status)
"""


def redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")


@pytest.fixture
def empty_redis_db():
    redis = pytest.importorskip("redis")
    redis_or_skip()
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield
    connection.flushdb()


def test_get_result_of_a_task_enqueued_on_rq_works(empty_redis_db):
    pytest.importorskip("django_tasks_rq")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "buurtnet.settings",
        "TASKS_REDIS_URL": REDIS_URL,
        "DEBUG": "1",
    }
    env.pop("TASKS_BACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "READY"
