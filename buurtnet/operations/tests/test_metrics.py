from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from prometheus_client.parser import text_string_to_metric_families

from buurtnet.delivery.models import Delivery
from buurtnet.operations.models import PeriodicRun, WorkerBeat
from buurtnet.tests.test_health import SENT_AT, alert_waiting

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.7"


def samples(response) -> dict[tuple, float]:
    """{(name, ((label, value), ...)): value} of a Prometheus text answer."""
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_answer_the_local_network(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_metrics_are_404_outside_the_allowed_networks(client):
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404


def test_metrics_answer_the_token_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert response.status_code == 200


def test_metrics_are_404_for_a_wrong_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer guess")
    assert response.status_code == 404


def test_metrics_are_404_for_an_empty_token_when_none_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_metrics_distrust_a_local_address_behind_an_undeclared_proxy(client, settings):
    """A reverse proxy on the same host makes every visitor 127.0.0.1."""
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert response.status_code == 404


def test_metrics_take_the_client_address_from_a_trusted_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    inside = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")
    outside = client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=OUTSIDE)
    assert (inside.status_code, outside.status_code) == (200, 404)


def test_metrics_show_deliveries_by_channel_state_and_queue_by_kind(client, world):
    alert_waiting(world)
    with freeze_time(SENT_AT + timedelta(seconds=75)):
        found = samples(client.get("/metrics"))
    queued = found[("buurtnet_deliveries", (("channel", "email"), ("state", "queued")))]
    assert queued >= 1
    assert found[("buurtnet_delivery_queue_length", (("kind", "alert"),))] >= queued
    assert found[("buurtnet_delivery_oldest_waiting_seconds", (("kind", "alert"),))] == 75
    assert found[("buurtnet_delivery_queue_length", (("kind", "notice"),))] == 0
    assert found[("buurtnet_database_up", ())] == 1


def test_metrics_name_no_person(client, world):
    alert_waiting(world)
    text = client.get("/metrics").content.decode()
    for person in world.people.values():
        assert person.email not in text
        assert person.full_name not in text
        if person.phone:
            assert str(person.phone) not in text


def test_metrics_show_workers_periodic_steps_and_version(client):
    now = timezone.now()
    WorkerBeat.objects.create(name="w1", host="h", pid=1, started_at=now, seen_at=now)
    WorkerBeat.objects.create(
        name="gone", host="h", pid=2, started_at=now, seen_at=now - timedelta(hours=1)
    )
    PeriodicRun.objects.create(name="messages_dispatched", last_started=now, last_finished=now)
    PeriodicRun.objects.create(name="cap_imported", last_started=now, last_error="OSError: x")
    found = samples(client.get("/metrics"))
    assert found[("buurtnet_workers_seen", ())] == 1
    finished = (
        "buurtnet_periodic_last_finished_timestamp_seconds",
        (("step", "messages_dispatched"),),
    )
    assert found[finished] == pytest.approx(now.timestamp())
    assert found[("buurtnet_periodic_last_error", (("step", "cap_imported"),))] == 1
    assert found[("buurtnet_periodic_last_error", (("step", "messages_dispatched"),))] == 0
    assert any(name == "buurtnet_build_info" for name, _labels in found)


def test_request_metrics_are_labelled_by_url_name_not_path(client, world):
    client.get(f"/networks/{world.network.pk}/")
    client.get("/healthz")
    found = samples(client.get("/metrics"))
    views = {
        dict(labels).get("view")
        for name, labels in found
        if name.startswith("buurtnet_http_request_duration")
    }
    assert {"healthz", "networks:detail"} <= views
    assert not any("/" in view for view in views)
    assert found[("buurtnet_http_requests_total", (("method", "GET"), ("status", "200")))] >= 1


def deliveries(found: dict, state: str) -> float:
    return found.get(("buurtnet_deliveries", (("channel", "email"), ("state", state))), 0)


def test_metrics_count_final_deliveries_of_recent_messages(client, world):
    message = alert_waiting(world)
    sent = Delivery.objects.filter(message=message, channel="email").update(state="sent")
    with freeze_time(SENT_AT + timedelta(hours=1)):
        assert deliveries(samples(client.get("/metrics")), "sent") == sent


def test_metrics_leave_out_final_deliveries_of_old_messages(client, world):
    message = alert_waiting(world)
    assert Delivery.objects.filter(message=message, channel="email").update(state="sent")
    with freeze_time(SENT_AT + timedelta(days=2)):
        assert deliveries(samples(client.get("/metrics")), "sent") == 0


def test_metrics_count_pending_deliveries_of_old_messages(client, world):
    message = alert_waiting(world)
    queued = Delivery.objects.filter(message=message, channel="email", state="queued").count()
    with freeze_time(SENT_AT + timedelta(days=2)):
        assert deliveries(samples(client.get("/metrics")), "queued") == queued


def test_metrics_show_codes_waiting_apart_from_messages(client, world):
    from buurtnet.delivery.services import send_code

    with freeze_time(SENT_AT):
        send_code(world.member, channel="email", to=world.member.email, text="Code 123456")
    with freeze_time(SENT_AT + timedelta(seconds=40)):
        found = samples(client.get("/metrics"))
    assert found[("buurtnet_delivery_queue_length", (("kind", "notice_code"),))] == 1
    assert found[("buurtnet_delivery_oldest_waiting_seconds", (("kind", "notice_code"),))] == 40
