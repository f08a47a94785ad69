"""/healthz (liveness: the process and its database) and the delivery half of /readyz
(buurtnet/operations/health.py). The rest of /readyz: buurtnet/operations/tests/test_readyz.py."""

import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import resolve
from django.utils import timezone
from freezegun import freeze_time

from buurtnet.delivery.models import Delivery, DeliveryState, Reason
from buurtnet.delivery.queues import QUEUES
from buurtnet.messaging import services
from buurtnet.messaging.tests.test_send import draft
from buurtnet.operations.models import PeriodicRun, WorkerBeat

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_tasks(settings, url):
    settings.RQ_QUEUES = {queue: {"URL": url} for queue in QUEUES}
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.backend.RQBackend", "QUEUES": list(QUEUES)}
    }


@pytest.fixture
def database_gone():
    """A request whose database stops answering: a SQLite file that cannot be opened, or a
    PostgreSQL port nobody listens on. The request runs in a thread of its own, which opens
    its own connection from the changed settings; this thread's connection (the test
    database) is never closed and reopened. Returns a function that makes the request."""
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-directory/gone.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))

    def get(client, path: str):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(client.get, path).result()

    yield get
    settings_dict.clear()
    settings_dict.update(saved)


def test_healthz_names_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["database"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_when_the_database_is_unreachable(client, database_gone):
    response = database_gone(client, "/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_healthz_is_200_when_the_task_broker_is_unreachable(client, settings):
    """Liveness: restarting the web process would not bring Redis back."""
    redis_tasks(settings, f"redis://127.0.0.1:{free_port()}/0")
    assert client.get("/healthz").status_code == 200


def test_healthz_still_accepts_live(client):
    assert client.get("/healthz?live").status_code == 200


def test_readyz_is_503_when_task_broker_is_unreachable(client, settings):
    redis_tasks(settings, f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "task_broker" in checks(response)


def test_readyz_with_reachable_redis_broker_has_no_broker_problem(client, settings):
    pytest.importorskip("django_rq")
    redis_or_skip()
    redis_tasks(settings, "redis://127.0.0.1:6379/14")
    assert "task_broker" not in checks(client.get("/readyz"))


def checks(response) -> set[str]:
    return {problem["check"] for problem in response.json()["problems"]}


def delivery_problems(response) -> list[dict]:
    """The problems operations/health.py found (not the beat, tick or alert-wait checks)."""
    own = {"no_worker_beat", "queue_unserved", "tick_stopped", "alert_waiting"}
    return [p for p in response.json()["problems"] if p["check"] not in own]


# --- Delivery degraded (issue 24) ----------------------------------------------------------


def beats_for(*queue_sets) -> None:
    """Live workers, one per set of queues, as running `manage.py worker` processes keep
    their beats."""
    now = timezone.now()
    for number, queues in enumerate(queue_sets):
        WorkerBeat.objects.create(
            name=f"w{number}", queues=",".join(queues), host="h", pid=1, started_at=now, seen_at=now
        )


def queue_problems(response) -> list[dict]:
    return [p for p in response.json()["problems"] if p["check"] == "queue_unserved"]


@pytest.fixture
def empty_redis(settings):
    """The Redis task backend on a database no other test uses, emptied as by a restart of a
    Redis without persistence: no RQ worker registration is left."""
    pytest.importorskip("django_rq")
    redis_or_skip()
    redis_tasks(settings, "redis://127.0.0.1:6379/14")
    import django_rq

    django_rq.get_connection(QUEUES[0]).flushdb()
    yield
    django_rq.get_connection(QUEUES[0]).flushdb()


def test_readyz_is_503_for_every_queue_without_a_live_rq_worker(client, empty_redis):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert queue_problems(response) == [
        {"check": "queue_unserved", "queue": queue} for queue in QUEUES
    ]


def test_readyz_names_the_queue_no_live_rq_worker_serves(client, empty_redis):
    beats_for(("alerts", "notices", "background"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert queue_problems(response) == [{"check": "queue_unserved", "queue": "bulk"}]


def test_readyz_is_ready_after_redis_restarts_empty_while_workers_beat(client, empty_redis):
    """RQ registers a worker only when it starts: after an empty Redis restart the running
    workers have no registration, yet they serve their queues again."""
    beats_for(QUEUES)
    PeriodicRun.objects.create(
        name="messages_dispatched", last_started=timezone.now(), last_finished=timezone.now()
    )
    response = client.get("/readyz")
    assert response.json()["problems"] == []
    assert response.status_code == 200


def redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")


SENT_AT = datetime(2026, 1, 13, 13, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Import the URLconf (and the API's pydantic schemas) before a test freezes the clock:
    pydantic cannot build a schema for freezegun's fake datetime class."""
    resolve("/")


def alive() -> None:
    """A worker beat and a tick pass just now: the checks of /readyz other than delivery."""
    now = timezone.now()
    WorkerBeat.objects.create(
        name="w", queues=",".join(QUEUES), host="h", pid=1, started_at=now, seen_at=now
    )
    PeriodicRun.objects.create(name="messages_dispatched", last_started=now, last_finished=now)


def alert_waiting(world):
    """An alert whose deliveries were written but whose tasks never ran (no worker)."""
    with freeze_time(SENT_AT):
        message = services.submit(
            world.officer, draft(target={"type": "networks", "networks": [world.network.pk]})
        )
    assert Delivery.objects.filter(message=message, state="queued").exists()
    return message


def test_readyz_is_ok_just_after_an_alert_is_queued(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(seconds=30)):
        alive()
        response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"ok": True, "problems": []}


def test_readyz_is_503_when_alert_deliveries_wait_and_no_worker_takes_them(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["ok"] is False
    problem = delivery_problems(response)[0]
    assert {"check": "deliveries_stalled", "channel": "email", "alert": True}.items() <= (
        problem.items()
    )
    assert problem["waiting_seconds"] == 180


def test_readyz_degraded_answer_names_no_person(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        text = client.get("/readyz").content.decode()
    for person in world.people.values():
        assert person.email not in text
        assert person.full_name not in text


def test_readyz_delivery_is_ok_while_a_worker_holds_deliveries_of_the_message(client, world):
    """A big alert whose later rows wait their turn while a live worker (its lease renewed)
    sends the earlier ones is busy, not stuck."""
    message = alert_waiting(world)
    now = SENT_AT + timedelta(minutes=3)
    first = Delivery.objects.filter(message=message, state="queued").order_by("id").first()
    Delivery.objects.filter(pk=first.pk).update(
        state=DeliveryState.INFLIGHT, lease_until=now + timedelta(seconds=10)
    )
    with freeze_time(now):
        assert delivery_problems(client.get("/readyz")) == []


def test_readyz_is_503_when_a_dead_workers_lease_ran_out_long_ago(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.INFLIGHT, lease_until=SENT_AT + timedelta(seconds=20)
    )
    with freeze_time(SENT_AT + timedelta(minutes=1)):
        # not yet: recovery takes a moment
        assert delivery_problems(client.get("/readyz")) == []
    with freeze_time(SENT_AT + timedelta(minutes=5)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert delivery_problems(response)[0]["waiting_seconds"] == 280


def test_readyz_is_ok_for_deliveries_held_for_quiet_hours(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.QUIET_HOURS,
        next_attempt_at=SENT_AT + timedelta(hours=8),
    )
    with freeze_time(SENT_AT + timedelta(hours=1)):
        alive()
        response = client.get("/readyz")
    assert response.status_code == 200, response.json()


def test_readyz_is_503_for_a_due_retry_nobody_takes(client, world):
    message = alert_waiting(world)
    Delivery.objects.filter(message=message, state="queued").update(
        state=DeliveryState.AWAITING_RETRY,
        reason=Reason.PROVIDER,
        next_attempt_at=SENT_AT + timedelta(minutes=1),
    )
    with freeze_time(SENT_AT + timedelta(minutes=4)):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "deliveries_stalled" in checks(response)


def test_healthz_ignores_stalled_deliveries(client, world):
    """Liveness: no restart of the web process sends waiting deliveries."""
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        assert client.get("/healthz").status_code == 200


def test_readyz_stall_threshold_is_a_setting(client, world, settings):
    settings.HEALTH_DELIVERY_STALL_SECONDS = 600
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(minutes=3)):
        assert delivery_problems(client.get("/readyz")) == []


def test_readyz_asks_few_queries(client, world, django_assert_max_num_queries):
    alert_waiting(world)
    # A fixed number, whatever the backlog: each check one or two indexed queries (the alert
    # checks one more each for log-in codes).
    with freeze_time(SENT_AT + timedelta(minutes=3)), django_assert_max_num_queries(14):
        client.get("/readyz")


def test_readyz_is_503_while_a_provider_is_paused(client, world):
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
    response = client.get("/readyz")
    assert response.status_code == 503
    problem = delivery_problems(response)[0]
    assert problem["check"] == "provider_paused"
    assert problem["channel"] == "email"


def test_readyz_counts_a_log_in_code_nobody_sends_as_a_waiting_alert(client, world):
    from buurtnet.delivery.services import send_code

    with freeze_time(SENT_AT):
        send_code(world.member, channel="email", to=world.member.email, text="Code 123456")
    with freeze_time(SENT_AT + timedelta(seconds=90)):
        alive()
        response = client.get("/readyz")
    assert response.status_code == 503
    assert {"check": "alert_waiting", "waiting_seconds": 90} in response.json()["problems"]
