import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import resolve
from django.utils import timezone
from freezegun import freeze_time

from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.messaging import services
from buurtnet.messaging.tests.test_send import draft

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_tasks(settings, url):
    settings.RQ_QUEUES = {"default": {"URL": url}}
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": ["default"]}
    }


def test_healthz_names_database_and_task_backend(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["database"]["ok"] is True
    assert body["tasks"] == {"backend": "DatabaseBackend", "ok": True}


def test_healthz_is_503_when_task_broker_is_unreachable(client, settings):
    redis_tasks(settings, f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["tasks"]["ok"] is False


def test_healthz_with_reachable_redis_broker(client, settings):
    pytest.importorskip("django_rq")
    redis_or_skip()
    redis_tasks(settings, "redis://127.0.0.1:6379/14")
    response = client.get("/healthz?live")
    assert response.status_code == 200
    assert response.json()["tasks"] == {"backend": "RQBackend", "ok": True}


# --- Delivery degraded (issue 24) ----------------------------------------------------------


def registered_worker():
    """An RQ worker registration in Redis, as a running `rqworker` keeps it."""
    import django_rq
    from rq import Worker

    worker = Worker([django_rq.get_queue("default")], connection=django_rq.get_connection())
    worker.register_birth()
    return worker


def test_healthz_is_503_without_an_rq_worker(client, settings):
    pytest.importorskip("django_rq")
    redis_or_skip()
    redis_tasks(settings, "redis://127.0.0.1:6379/14")  # a database no other test uses
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["delivery"]["problems"] == [{"check": "no_worker", "queue": "default"}]


def redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")


def test_healthz_with_a_registered_rq_worker_is_ok(client, settings):
    pytest.importorskip("django_rq")
    redis_or_skip()
    redis_tasks(settings, "redis://127.0.0.1:6379/14")
    worker = registered_worker()
    try:
        response = client.get("/healthz")
    finally:
        worker.register_death()
    assert response.status_code == 200, response.json()


SENT_AT = datetime(2026, 1, 13, 13, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Import the URLconf (and the API's pydantic schemas) before a test freezes the clock:
    pydantic cannot build a schema for freezegun's fake datetime class."""
    resolve("/")


def alert_waiting(world):
    """An alert whose deliveries were written but whose tasks never ran (no worker)."""
    with freeze_time(SENT_AT):
        message = services.submit(
            world.officer, draft(target={"type": "networks", "networks": [world.network.pk]})
        )
    assert Delivery.objects.filter(message=message, state="queued").exists()
    return message


def test_healthz_is_ok_just_after_an_alert_is_queued(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(seconds=30)):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["delivery"] == {"ok": True}


def test_healthz_is_503_when_alert_deliveries_wait_and_no_worker_takes_them(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["database"]["ok"] is True
    assert {"check": "deliveries_stalled", "channel": "email", "alert": True}.items() <= body[
        "delivery"
    ]["problems"][0].items()
    assert body["delivery"]["problems"][0]["waiting_seconds"] == 180


def test_healthz_degraded_answer_names_no_person(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        text = client.get("/healthz").content.decode()
    for person in world.people.values():
        assert person.email not in text
        assert person.full_name not in text


def test_healthz_is_ok_while_a_worker_holds_deliveries_of_the_message(client, world):
    """A big alert whose later rows wait their turn while a live worker (its lease renewed)
    sends the earlier ones is busy, not stuck."""
    message = alert_waiting(world)
    now = SENT_AT + timedelta(minutes=3)
    first = Delivery.objects.filter(message=message, state="queued").order_by("id").first()
    Delivery.objects.filter(pk=first.pk).update(
        state=DeliveryState.INFLIGHT, lease_until=now + timedelta(seconds=10)
    )
    with freeze_time(now):
        assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_a_dead_workers_lease_ran_out_long_ago(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.INFLIGHT, lease_until=SENT_AT + timedelta(seconds=20)
    )
    with freeze_time(SENT_AT + timedelta(minutes=1)):
        assert client.get("/healthz").status_code == 200  # not yet: recovery takes a moment
    with freeze_time(SENT_AT + timedelta(minutes=5)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["delivery"]["problems"][0]["waiting_seconds"] == 280


def test_healthz_is_ok_for_deliveries_held_for_quiet_hours(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.QUIET_HOURS,
        next_attempt_at=SENT_AT + timedelta(hours=8),
    )
    with freeze_time(SENT_AT + timedelta(hours=1)):
        assert client.get("/healthz").status_code == 200


def test_healthz_is_503_for_a_due_retry_nobody_takes(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        next_attempt_at=SENT_AT + timedelta(minutes=1),
    )
    with freeze_time(SENT_AT + timedelta(minutes=4)):
        assert client.get("/healthz").status_code == 503


def test_healthz_live_answers_only_database_and_broker(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        response = client.get("/healthz?live")
    assert response.status_code == 200
    assert "delivery" not in response.json()


def test_healthz_stall_threshold_is_a_setting(client, world, settings):
    settings.HEALTH_DELIVERY_STALL_SECONDS = 600
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        assert client.get("/healthz").status_code == 200


def test_healthz_asks_few_queries(client, world, django_assert_max_num_queries):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)), django_assert_max_num_queries(6):
        client.get("/healthz")


def test_healthz_is_503_while_a_provider_is_paused(client, world):
    from buurtnet.delivery.breaker import provider_name
    from buurtnet.delivery.models import ProviderHealth, ProviderState

    now = timezone.now()
    ProviderHealth.objects.create(
        provider=provider_name("email"),
        channel="email",
        state=ProviderState.OPEN,
        failures=5,
        down_since=now - timedelta(minutes=2),
        next_try_at=now + timedelta(minutes=1),
        last_error="Cannot connect to the mail server: [Errno 111] Connection refused",
        last_error_at=now,
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    problem = response.json()["delivery"]["problems"][0]
    assert problem["check"] == "provider_paused"
    assert problem["channel"] == "email"
