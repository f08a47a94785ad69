import socket

import pytest

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
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    redis_tasks(settings, "redis://127.0.0.1:6379/0")
    assert client.get("/healthz").status_code == 200
