"""Every endpoint, per role: it shows and does exactly what the site allows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buurtnet.audit.models import AuditEvent
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.prevention.tests.test_prevention import published_tip
from buurtnet.reports import services as reports
from buurtnet.reports.models import Report, ReportStatus

INSIDE = (3.265, 50.825)


@pytest.fixture
def officer_b(world):
    person = PersonFactory(full_name="Officer B")
    MembershipFactory(network=world.other_network, person=person, role="officer")
    return person


@pytest.fixture
def officer_far(world):
    person = PersonFactory(full_name="Officer Far")
    MembershipFactory(network=world.far_network, person=person, role="officer")
    return person


def who(world, role, officer_b=None, officer_far=None):
    return {"officer_b": officer_b, "officer_far": officer_far}.get(role) or getattr(world, role)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# --- Networks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,expected",
    [
        ("member", {"network"}),
        ("coordinator", {"network"}),
        ("officer", {"network"}),
        ("zone_staff", {"network", "other_network"}),
        ("municipal", {"network"}),
        ("outsider", set()),
    ],
)
def test_networks_are_those_the_person_can_see(api, world, role, expected):
    shown = ids(api.get(getattr(world, role), "/networks"))
    assert shown == {getattr(world, name).pk for name in expected}


def test_a_network_comes_with_its_area_as_geojson(api, world):
    body = api.get(world.member, f"/networks/{world.network.pk}").json()
    assert body["area"]["type"] == "Polygon"
    assert body["area"] == world.network.area
    assert body["your_role"] == "member"
    assert body["zone"]["code"] == world.zone.code


def test_another_bins_network_is_not_found(api, world, officer_far):
    response = api.get(officer_far, f"/networks/{world.network.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "role,status,contact",
    [
        ("member", 403, None),
        ("municipal", 403, None),
        ("coordinator", 200, False),
        ("steering", 200, False),
        ("zone_staff", 200, False),
        ("officer", 200, True),
        ("outsider", 404, None),
        ("officer_far", 404, None),
    ],
)
def test_members_as_the_site_shows_them(api, world, officer_far, role, status, contact):
    person = who(world, role, officer_far=officer_far)
    response = api.get(person, f"/networks/{world.network.pk}/members")
    assert response.status_code == status
    if status != 200:
        return
    items = response.json()["items"]
    assert {i["name"] for i in items} >= {world.member.full_name, world.officer.full_name}
    assert all((i["contact"] is not None) == contact for i in items)
    if contact:
        member = next(i for i in items if i["name"] == world.member.full_name)
        assert member["contact"]["email"] == world.member.email
        assert AuditEvent.objects.filter(action="view_member_contact").exists()


# --- Messages ------------------------------------------------------------------------------


def alert(world, **overrides) -> dict:
    values = {
        "kind": "alert",
        "language": "en",
        "texts": {"en": {"title": "Burglars", "body": "Doors forced in Kerkstraat."}},
        "target": {"type": "networks", "networks": [world.network.pk]},
    }
    values.update(overrides)
    return values


def test_the_officer_sends_an_alert(api, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(world.officer, "/messages", alert(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == MessageStatus.SENT
    assert body["networks"] == [world.network.pk]
    progress = api.get(world.officer, f"/messages/{body['id']}/progress").json()
    assert progress["total"] == body["recipient_count"] > 0
    assert "inapp" in progress["channels"]


def test_a_scheduled_alert_can_be_cancelled(api, world):
    later = (timezone.now() + timedelta(hours=2)).isoformat()
    created = api.post(world.officer, "/messages", alert(world, scheduled_for=later)).json()
    assert created["status"] == MessageStatus.SCHEDULED
    response = api.post(world.officer, f"/messages/{created['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == MessageStatus.CANCELLED


def test_a_sent_message_cannot_be_cancelled(api, world):
    created = api.post(world.officer, "/messages", alert(world)).json()
    response = api.post(world.officer, f"/messages/{created['id']}/cancel")
    assert response.status_code == 422
    assert Message.objects.get(pk=created["id"]).status == MessageStatus.SENT


def test_a_member_may_not_send_an_alert(api, world):
    response = api.post(world.member, "/messages", alert(world))
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_an_officer_cannot_target_another_zones_bin(api, world):
    response = api.post(
        world.officer,
        "/messages",
        alert(world, target={"type": "networks", "networks": [world.far_network.pk]}),
    )
    assert response.status_code == 422
    assert "target" in response.json()["errors"]
    assert not Message.objects.exists()


def test_a_message_without_body_gives_the_field_errors(api, world):
    response = api.post(
        world.officer, "/messages", alert(world, texts={"en": {"title": "x", "body": " "}})
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "body_en" in response.json()["errors"]


def test_a_malformed_message_is_a_400_problem(api, world):
    response = api.post(world.officer, "/messages", {"kind": "poem"})
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize(
    "role,sees",
    [
        ("officer", True),
        ("zone_staff", True),
        ("coordinator", False),
        ("member", False),
        ("municipal", False),
        ("officer_b", False),
        ("officer_far", False),
    ],
)
def test_messages_are_followed_up_by_the_sender_and_the_police(
    api, world, officer_b, officer_far, role, sees
):
    sent = messaging.submit(
        world.officer,
        messaging.Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglars", "body": "Doors forced.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )
    person = who(world, role, officer_b, officer_far)
    assert (sent.pk in ids(api.get(person, "/messages"))) is sees
    assert api.get(person, f"/messages/{sent.pk}").status_code == (200 if sees else 404)
    assert api.get(person, f"/messages/{sent.pk}/progress").status_code == (200 if sees else 404)


# --- Reports -------------------------------------------------------------------------------


def report_body(world, **overrides) -> dict:
    values = {
        "network_id": world.network.pk,
        "category_id": reports.categories_for(world.zone).get(code="suspicious_vehicle").pk,
        "occurred_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
        "longitude": INSIDE[0],
        "latitude": INSIDE[1],
        "description": "A grey van drove slowly past every house, twice.",
    }
    values.update(overrides)
    return values


def test_a_member_files_a_report(api, world):
    response = api.post(world.member, "/reports", report_body(world))
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert report.reporter == world.member
    assert response.json()["location"] == {"longitude": INSIDE[0], "latitude": INSIDE[1]}
    assert report.pk in ids(api.get(world.member, "/reports/mine"))


def test_filing_twice_with_one_client_token_makes_one_report(api, world):
    body = report_body(world, client_token="8a7c5a0e-5f5e-4b8e-9a52-3f0c7d1b9a10")
    first = api.post(world.member, "/reports", body).json()
    second = api.post(world.member, "/reports", body).json()
    assert first["id"] == second["id"]
    assert Report.objects.count() == 1


def test_a_report_in_a_bin_one_is_not_in_is_refused(api, world):
    response = api.post(world.their_member, "/reports", report_body(world))
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_report_far_outside_the_area_gives_the_field_error(api, world):
    response = api.post(world.member, "/reports", report_body(world, longitude=4.5))
    assert response.status_code == 422
    assert "location" in response.json()["errors"]


@pytest.fixture
def report(api, world):
    return Report.objects.get(
        pk=api.post(world.member, "/reports", report_body(world)).json()["id"]
    )


@pytest.mark.parametrize(
    "role,queue,detail,location",
    [
        ("officer", 200, 200, True),
        ("zone_staff", 200, 200, True),
        ("coordinator", 200, 200, False),
        ("member", 403, 200, True),  # world.member filed it
        ("steering", 403, 404, None),
        ("municipal", 403, 404, None),
        ("officer_b", 200, 404, None),
        ("officer_far", 200, 404, None),
    ],
)
def test_reports_as_the_site_shows_them(
    api, world, report, officer_b, officer_far, role, queue, detail, location
):
    person = who(world, role, officer_b, officer_far)
    listed = api.get(person, "/reports")
    assert listed.status_code == queue
    if queue == 200:
        assert (report.pk in ids(listed)) is (detail == 200)
        assert all(item["reporter"] is None for item in listed.json()["items"])
    one = api.get(person, f"/reports/{report.pk}")
    assert one.status_code == detail
    if detail == 200:
        assert (one.json()["location"] is not None) is location


def test_the_officer_sees_who_reported_and_the_read_is_logged(api, world, report):
    body = api.get(world.officer, f"/reports/{report.pk}").json()
    assert body["reporter"]["name"] == world.member.full_name
    assert AuditEvent.objects.filter(action="view_report", object_id=str(report.pk)).exists()


def test_the_coordinator_does_not_see_who_reported(api, world, report):
    assert api.get(world.coordinator, f"/reports/{report.pk}").json()["reporter"] is None


def test_the_officer_triages_a_report(api, world, report):
    response = api.post(world.officer, f"/reports/{report.pk}/status", {"status": "acknowledged"})
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED


def test_closing_without_outcome_gives_the_field_error(api, world, report):
    response = api.post(world.officer, f"/reports/{report.pk}/status", {"status": "closed"})
    assert response.status_code == 422
    assert "outcome" in response.json()["errors"]
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


@pytest.mark.parametrize("role,status", [("coordinator", 403), ("zone_staff", 403)])
def test_only_the_bins_officer_triages(api, world, report, role, status):
    response = api.post(getattr(world, role), f"/reports/{report.pk}/status", {"status": "closed"})
    assert response.status_code == status
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


def test_another_bins_officer_cannot_even_find_the_report(api, world, report, officer_b):
    response = api.post(officer_b, f"/reports/{report.pk}/status", {"status": "acknowledged"})
    assert response.status_code == 404


def test_the_officer_answers_the_reporter(api, world, report):
    response = api.post(world.officer, f"/reports/{report.pk}/feedback", {"body": "We checked."})
    assert response.status_code == 201, response.content
    assert Message.objects.filter(pk=response.json()["message_id"], kind="feedback").exists()


# --- Tips ----------------------------------------------------------------------------------


def test_published_tips_of_a_zone(api, world):
    tip = published_tip(world)
    body = api.get(world.member, "/tips", zone=world.zone.code).json()
    assert [t["id"] for t in body["items"]] == [tip.pk]
    text = body["items"][0]["texts"][0]
    assert "<li>" in text["body_html"]
    assert ids(api.get(world.member, "/tips", zone=world.other_zone.code)) == set()


def test_tips_of_an_unknown_zone_are_not_found(api, world):
    assert api.get(world.member, "/tips", zone="0000").status_code == 404


# --- Pagination ----------------------------------------------------------------------------


def test_a_list_is_paged_with_a_next_link(api, world, client):
    token = api.token(world.officer)
    for i in range(5):
        person = PersonFactory(full_name=f"Member {i:02d}")
        MembershipFactory(network=world.network, person=person)
    seen, url, pages = [], f"/api/v1/networks/{world.network.pk}/members?limit=3", 0
    while url:
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) <= 3
        seen += [i["id"] for i in body["items"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 9


def test_a_tampered_cursor_is_a_400_problem(api, world):
    for _i in range(3):
        MembershipFactory(network=world.network, person=PersonFactory())
    first = api.get(world.officer, f"/networks/{world.network.pk}/members", limit=2).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    response = api.get(
        world.officer, f"/networks/{world.network.pk}/members", cursor=tampered, limit=2
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "cursor" in response.json()["errors"]


def test_a_cursor_from_another_list_is_refused(api, world):
    for _i in range(3):
        MembershipFactory(network=world.network, person=PersonFactory())
    first = api.get(world.officer, f"/networks/{world.network.pk}/members", limit=2).json()
    from urllib.parse import parse_qs, urlparse

    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    assert api.get(world.officer, "/networks", cursor=cursor).status_code == 400


def test_the_page_size_is_limited(api, world):
    assert api.get(world.officer, "/networks", limit=1000).status_code == 400


@pytest.mark.parametrize("zone", ["\x00", "54\x0001"])
def test_text_no_database_stores_is_a_400_problem(api, world, zone):
    response = api.get(world.member, "/tips", zone=zone)
    assert response.status_code == 400


def test_a_nul_character_in_a_report_is_refused(api, world):
    response = api.post(world.member, "/reports", report_body(world, description="van\x00"))
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_the_coordinator_does_not_see_the_number_plate(api, world):
    filed = api.post(world.member, "/reports", report_body(world, vehicle_plate="1-ABC-234"))
    assert filed.status_code == 201, filed.content
    report_id = filed.json()["id"]
    assert api.get(world.coordinator, f"/reports/{report_id}").json()["vehicle_plate"] == ""
    assert api.get(world.officer, f"/reports/{report_id}").json()["vehicle_plate"] == "1-ABC-234"
