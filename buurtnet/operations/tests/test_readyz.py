from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from buurtnet.delivery.models import Delivery
from buurtnet.delivery.queues import QUEUES
from buurtnet.operations.models import PeriodicRun, WorkerBeat
from buurtnet.tests.test_health import (  # noqa: F401 - database_gone is a fixture
    SENT_AT,
    alert_waiting,
    database_gone,
    free_port,
)

pytestmark = pytest.mark.django_db


def beat(seconds_ago: float = 0, started_seconds_ago: float | None = None, queues=QUEUES) -> None:
    """A worker serving queues (all four unless told) that beat seconds_ago."""
    now = timezone.now()
    started = now - timedelta(seconds=started_seconds_ago or seconds_ago)
    WorkerBeat.objects.create(
        name=f"worker-{WorkerBeat.objects.count()}",
        queues=",".join(queues),
        host="h",
        pid=1,
        started_at=started,
        seen_at=now - timedelta(seconds=seconds_ago),
    )


def tick_finished(seconds_ago: float = 0) -> None:
    when = timezone.now() - timedelta(seconds=seconds_ago)
    PeriodicRun.objects.create(name="messages_dispatched", last_started=when, last_finished=when)


def checks(response) -> set[str]:
    return {problem["check"] for problem in response.json()["problems"]}


def test_readyz_is_200_with_a_live_worker_and_tick(client):
    beat()
    tick_finished()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "problems": []}


def unserved(*queues: str) -> list[dict]:
    return [{"check": "queue_unserved", "queue": queue} for queue in queues]


def test_readyz_is_503_without_any_worker_beat(client):
    tick_finished()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [
        {"check": "no_worker_beat", "last_seen_seconds": None},
        *unserved(*QUEUES),
    ]


def test_readyz_is_503_when_the_last_beat_is_older_than_the_setting(client, settings):
    settings.READY_WORKER_SECONDS = 60
    beat(seconds_ago=90)
    tick_finished()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [
        {"check": "no_worker_beat", "last_seen_seconds": 90},
        *unserved(*QUEUES),
    ]


def test_readyz_names_each_queue_no_live_worker_serves(client):
    """With the database task backend, a lone bulk worker does not make alerts served."""
    beat(queues=["bulk"])
    tick_finished()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == unserved("alerts", "notices", "background")


def test_readyz_ignores_the_queues_of_a_worker_whose_beat_is_too_old(client, settings):
    settings.READY_WORKER_SECONDS = 60
    beat(seconds_ago=90, queues=["alerts"])
    beat(queues=["notices", "background", "bulk"])
    tick_finished()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == unserved("alerts")


def test_readyz_is_200_when_workers_together_serve_every_queue(client):
    beat(queues=["alerts"])
    beat(queues=["notices", "background"])
    beat(queues=["bulk"])
    tick_finished()
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_tick_stopped(client, settings):
    settings.READY_TICK_SECONDS = 120
    beat(started_seconds_ago=3600)
    tick_finished(seconds_ago=300)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [{"check": "tick_stopped", "last_finished_seconds": 300}]


def test_readyz_gives_a_fresh_installation_grace_before_its_first_tick(client, settings):
    settings.READY_TICK_SECONDS = 120
    beat(started_seconds_ago=30)
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_a_tick_never_ran_after_the_grace(client, settings):
    settings.READY_TICK_SECONDS = 120
    beat(started_seconds_ago=180)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks(response) == {"tick_stopped"}


def test_readyz_is_503_when_an_alert_delivery_waits_too_long(client, world, settings):
    settings.READY_ALERT_WAIT_SECONDS = 60
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(seconds=90)):
        beat()
        tick_finished()
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"] == [{"check": "alert_waiting", "waiting_seconds": 90}]


def test_readyz_ignores_an_alert_delivery_within_the_wait(client, world, settings):
    settings.READY_ALERT_WAIT_SECONDS = 60
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(seconds=45)):
        beat()
        tick_finished()
        assert client.get("/readyz").status_code == 200


def test_readyz_ignores_waiting_deliveries_of_other_kinds(client, world, settings):
    message = alert_waiting(world)
    type(message).objects.filter(pk=message.pk).update(kind="notice")
    with freeze_time(SENT_AT + timedelta(seconds=90)):
        beat()
        tick_finished()
        assert "alert_waiting" not in checks(client.get("/readyz"))
    assert Delivery.objects.filter(message=message, state="queued").exists()


def test_readyz_is_503_when_the_redis_cache_does_not_answer(client, settings):
    beat()
    tick_finished()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks(response) == {"cache"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable(client, database_gone):  # noqa: F811
    response = database_gone(client, "/readyz")
    assert response.status_code == 503
    assert checks(response) == {"database"}


def test_readyz_and_metrics_need_no_log_in_or_second_factor(client, world):
    """An officer without a second factor is sent to set one up on every other page."""
    client.force_login(world.officer)
    assert client.get("/").status_code == 302  # the second-factor redirect
    assert client.get("/readyz").status_code == 503  # answered, not redirected
    assert client.get("/metrics").status_code == 200
