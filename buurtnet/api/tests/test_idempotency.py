"""`Idempotency-Key` on message and report creation (issue 24, finding 6;
draft-ietf-httpapi-idempotency-key-header): the same request again answers the first
result and sends nothing; the same key with another body is a 422 problem."""

import pytest

from buurtnet.delivery.models import Delivery, OutboxMessage
from buurtnet.messaging.models import Message
from buurtnet.reports.models import Report

from .test_endpoints import alert, report_body

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    """POST as a person with an Idempotency-Key, running what the commit queued."""

    def run(person, path, body, key=KEY):
        with django_capture_on_commit_callbacks(execute=True):
            return api.client.post(
                f"/api/v1{path}",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {api.token(person)}",
                HTTP_IDEMPOTENCY_KEY=key,
            )

    return run


def test_the_same_idempotency_key_twice_makes_one_message_and_the_same_answer(world, send):
    world.member.channels = ["email", "inapp"]
    world.member.save()
    first = send(world.officer, "/messages", alert(world))
    deliveries, mails = Delivery.objects.count(), OutboxMessage.objects.count()
    second = send(world.officer, "/messages", alert(world))
    assert first.status_code == second.status_code == 201, second.content
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Message.objects.count() == 1
    assert (Delivery.objects.count(), OutboxMessage.objects.count()) == (deliveries, mails)


def test_the_key_as_a_structured_field_string_is_the_same_key(world, send):
    first = send(world.officer, "/messages", alert(world)).json()
    second = send(world.officer, "/messages", alert(world), key=f'"{KEY}"').json()
    assert second["id"] == first["id"]


def test_the_same_key_with_another_body_is_a_422_problem_and_sends_nothing(world, send):
    send(world.officer, "/messages", alert(world))
    other = alert(world, texts={"en": {"title": "Burglars", "body": "Doors forced again."}})
    response = send(world.officer, "/messages", other)
    assert response.status_code == 422, response.content
    assert response.json()["type"] == "urn:buurtnet:problem:idempotency-key-reused"
    assert Message.objects.count() == 1


def test_another_key_makes_another_message(world, send):
    send(world.officer, "/messages", alert(world))
    assert send(world.officer, "/messages", alert(world), key="another").status_code == 201
    assert Message.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "sleutel-é"])
def test_a_malformed_idempotency_key_is_a_400_problem(world, send, key):
    response = send(world.officer, "/messages", alert(world), key=key)
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "urn:buurtnet:problem:invalid-idempotency-key"
    assert not Message.objects.exists()


def test_a_report_filed_twice_with_one_idempotency_key_is_one_report(world, send):
    first = send(world.member, "/reports", report_body(world))
    second = send(world.member, "/reports", report_body(world))
    assert first.status_code == second.status_code == 201, second.content
    assert second.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1


def test_one_idempotency_key_of_two_members_files_two_reports(world, send):
    send(world.member, "/reports", report_body(world))
    assert send(world.coordinator, "/reports", report_body(world)).status_code == 201
    assert Report.objects.count() == 2
