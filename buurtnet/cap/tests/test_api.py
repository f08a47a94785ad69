import pytest
from lxml import etree

from buurtnet.cap import services
from buurtnet.cap.models import CapImport
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.messaging.services import Draft
from buurtnet.networks.tests.factories import ZoneStaffFactory

from .conftest import cap_alert, token_for

CAP = "application/cap+xml"


def post_alert(client, secret: str, document: bytes, zone: str = ""):
    url = "/api/v1/cap/alerts" + (f"?zone={zone}" if zone else "")
    return client.post(url, document, content_type=CAP, HTTP_AUTHORIZATION=f"Bearer {secret}")


def get(client, url: str, secret: str):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")


def alert(world) -> Message:
    return messaging.submit(
        world.officer,
        Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglary", "body": "Door forced.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )


def test_officer_reads_an_alert_as_valid_cap(client, world):
    message = alert(world)

    response = get(
        client, f"/api/v1/cap/messages/{message.pk}", token_for(world.officer, "cap:read")
    )

    assert response.status_code == 200
    assert response["Content-Type"] == CAP
    services.schema().assertValid(etree.fromstring(response.content))


def test_staff_of_another_zone_cannot_read_the_alert(client, world):
    message = alert(world)
    stranger = ZoneStaffFactory(zone=world.other_zone).person

    response = get(client, f"/api/v1/cap/messages/{message.pk}", token_for(stranger, "cap:read"))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_member_cannot_read_the_alert_as_cap(client, world):
    message = alert(world)

    response = get(
        client, f"/api/v1/cap/messages/{message.pk}", token_for(world.member, "cap:read")
    )

    assert response.status_code == 404


def test_reading_cap_needs_the_cap_read_scope(client, world):
    message = alert(world)

    response = get(
        client, f"/api/v1/cap/messages/{message.pk}", token_for(world.officer, "messages:read")
    )

    assert response.status_code == 403
    assert response.json()["scope"] == "cap:read"


def test_zone_staff_imports_an_alert(client, world, places):
    response = post_alert(client, token_for(world.zone_staff, "cap:write"), cap_alert())

    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "drafted"
    assert body["zone"] == world.zone.code
    assert set(
        Message.objects.get(pk=body["message"]).networks.values_list("network", flat=True)
    ) == {
        places.inside.pk,
        places.partly.pk,
    }


def test_document_that_does_not_validate_gets_422_with_the_schema_error(client, world, places):
    document = cap_alert().replace(b"<msgType>Alert</msgType>", b"<msgType>Shout</msgType>")

    response = post_alert(client, token_for(world.zone_staff, "cap:write"), document)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "msgType" in response.json()["detail"]
    assert not CapImport.objects.exists()


def test_body_that_is_not_xml_gets_400(client, world, places):
    response = post_alert(client, token_for(world.zone_staff, "cap:write"), b"hello")

    assert response.status_code == 400
    assert not CapImport.objects.exists()


def test_polygon_that_is_not_one_gets_422_and_stores_nothing(client, world, places):
    document = cap_alert(polygons=("50.49,3.99 50.49,4.05 50.53,4.05",))

    response = post_alert(client, token_for(world.zone_staff, "cap:write"), document)

    assert response.status_code == 422
    assert "four points" in response.json()["detail"]
    assert not Message.objects.exists()


def test_duplicate_gets_409(client, world, places):
    secret = token_for(world.zone_staff, "cap:write")
    post_alert(client, secret, cap_alert())

    response = post_alert(client, secret, cap_alert())

    assert response.status_code == 409
    assert CapImport.objects.count() == 1


def test_staff_of_another_zone_cannot_import_into_this_zone(client, world, places):
    stranger = ZoneStaffFactory(zone=world.other_zone).person

    response = post_alert(client, token_for(stranger, "cap:write"), cap_alert(), zone="5401")

    assert response.status_code == 403
    assert not CapImport.objects.exists()


def test_importing_needs_the_cap_write_scope(client, world, places):
    response = post_alert(client, token_for(world.zone_staff, "cap:read"), cap_alert())

    assert response.status_code == 403
    assert not CapImport.objects.exists()


def test_import_log_shows_the_zones_imports_to_its_staff_only(client, world, places):
    post_alert(client, token_for(world.zone_staff, "cap:write"), cap_alert())
    stranger = ZoneStaffFactory(zone=world.other_zone).person

    ours = get(client, "/api/v1/cap/imports", token_for(world.zone_staff, "cap:read"))
    theirs = get(client, "/api/v1/cap/imports?zone=5401", token_for(stranger, "cap:read"))

    assert [r["identifier"] for r in ours.json()] == ["BE-CRISIS-2026-0001"]
    assert theirs.status_code == 403


@pytest.mark.parametrize(
    "sent",
    [
        "2026-01-01T24:00:00+01:00",  # the schema's end-of-day, which Python does not read
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "1999-12-31T23:59:59+00:00",
        "2099-01-01T00:00:00+01:00",
    ],
)
def test_sent_time_that_is_no_plausible_moment_gets_422(client, world, places, sent):
    document = cap_alert(sent=sent)

    response = post_alert(client, token_for(world.zone_staff, "cap:write"), document)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("cap-refused")
    assert "<sent>" in response.json()["detail"]
    assert not CapImport.objects.exists()


def test_update_from_another_sender_is_refused_and_changes_nothing(client, world, places):
    secret = token_for(world.zone_staff, "cap:write")
    first = post_alert(client, secret, cap_alert()).json()
    references = "alerts@crisis.example.be,BE-CRISIS-2026-0001,2026-11-29T10:00:00+01:00"
    forged = cap_alert(
        "U1",
        msg_type="Update",
        references=references,
        sender="someone@else.example",
        infos=(("nl-BE", "Alles veilig", "Niets aan de hand.", ""),),
    )

    response = post_alert(client, secret, forged)

    assert response.status_code == 422
    assert "original sender" in response.json()["detail"]
    assert CapImport.objects.count() == 1
    message = Message.objects.get(pk=first["message"])
    assert message.texts.get(language="nl").title == "Inbraakgolf in de wijk"


def test_cancel_from_another_sender_is_refused_and_cancels_nothing(client, world, places):
    secret = token_for(world.zone_staff, "cap:write")
    first = post_alert(client, secret, cap_alert()).json()
    references = "alerts@crisis.example.be,BE-CRISIS-2026-0001,2026-11-29T10:00:00+01:00"
    forged = cap_alert(
        "C1", msg_type="Cancel", references=references, sender="someone@else.example"
    )

    response = post_alert(client, secret, forged)

    assert response.status_code == 422
    assert Message.objects.get(pk=first["message"]).status == MessageStatus.AWAITING_APPROVAL
