"""Text the API accepts has a maximum length and, on one line, no control characters
(issue 19, finding 11). A refusal is a 400 problem naming the field; nothing is made."""

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.api.models import ApiToken
from buurtnet.messaging.models import Message
from buurtnet.networks.tests.test_views import log_in
from buurtnet.reports.models import Report

from .test_endpoints import alert, report_body

PROBLEM = "application/problem+json"


def texts(title: str = "Burglars", body: str = "Doors forced.", sms_text: str = "") -> dict:
    return {"en": {"title": title, "body": body, "sms_text": sms_text}}


@pytest.mark.parametrize(
    "title", ["Burglars\nBcc: x@example.org", "Burglars\r", "Bur\u2028glars", "Bur\u200eglars"]
)
def test_a_control_character_in_a_message_title_is_refused(api, world, title):
    response = api.post(world.officer, "/messages", alert(world, texts=texts(title=title)))
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "one line" in response.json()["errors"]["texts.en.title"][0]
    assert not Message.objects.exists()


def test_a_message_body_over_the_limit_is_refused(api, world):
    response = api.post(world.officer, "/messages", alert(world, texts=texts(body="x" * 10_001)))
    assert response.status_code == 400
    assert "texts.en.body" in response.json()["errors"]
    assert not Message.objects.exists()


def test_a_control_character_in_a_message_body_is_refused(api, world):
    response = api.post(world.officer, "/messages", alert(world, texts=texts(body="a\x1b[2Jb")))
    assert response.status_code == 400
    assert "texts.en.body" in response.json()["errors"]


def test_line_breaks_in_a_message_body_are_kept(api, world):
    body = "First line.\nSecond line.\r\n\tIndented."
    response = api.post(world.officer, "/messages", alert(world, texts=texts(body=body)))
    assert response.status_code == 201
    assert response.json()["texts"][0]["body"] == body


@pytest.mark.parametrize(
    "field", ["vehicle_plate", "vehicle_make", "vehicle_colour", "vehicle_direction"]
)
def test_a_line_break_in_a_one_line_report_field_is_refused(api, world, field):
    response = api.post(world.member, "/reports", report_body(world, **{field: "a\nb"}))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Report.objects.exists()


def test_a_report_outcome_longer_than_the_model_holds_is_refused(api, world):
    filed = api.post(world.member, "/reports", report_body(world)).json()
    response = api.post(
        world.officer,
        f"/reports/{filed['id']}/status",
        {"status": "closed", "outcome": "x" * 17},
    )
    assert response.status_code == 400
    assert "outcome" in response.json()["errors"]


def test_a_field_called_body_is_named_in_the_errors(api, world):
    filed = api.post(world.member, "/reports", report_body(world)).json()
    response = api.post(world.officer, f"/reports/{filed['id']}/feedback", {"body": "a\x1bb"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


def test_a_control_character_in_a_query_is_refused(api, world):
    response = api.get(world.member, "/tips", zone="5401", q="doors\x07")
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


def test_a_control_character_in_a_token_name_is_refused(client, world):
    log_in(client, world.member)
    expires = (timezone.localdate() + timezone.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("api_tokens:list"),
        {"name": "Dispatch\u202e", "scopes": ["networks:read"], "expires_on": expires},
    )
    assert response.status_code == 400
    assert "one line" in response.content.decode()
    assert not ApiToken.objects.exists()
