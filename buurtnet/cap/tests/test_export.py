import pytest
from lxml import etree

from buurtnet.cap import services
from buurtnet.messaging import services as messaging
from buurtnet.messaging.services import Draft
from buurtnet.networks.tests.factories import square

NS = {"cap": services.CAP_NS}
TEXTS = {
    "nl": {
        "title": "Inbraak Kerkstraat",
        "body": "Deur geforceerd in de Kerkstraat.",
        "sms_text": "",
    },
    "fr": {"title": "Cambriolage rue de l'Église", "body": "Porte forcée.", "sms_text": ""},
    "en": {"title": "Burglary in Kerkstraat", "body": "A door was forced.", "sms_text": ""},
}


def send(world, target: dict, kind: str = "alert", **extra):
    return messaging.submit(
        world.officer, Draft(kind=kind, texts=TEXTS, target=target, language="nl", **extra)
    )


def validated(document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    services.schema().assertValid(root)
    return root


def test_alert_to_bins_is_valid_cap_with_their_polygons_and_every_language(world):
    message = send(world, {"type": "networks", "networks": [world.network.pk]})

    root = validated(services.to_cap(message))

    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:status", namespaces=NS) == "Actual"
    assert root.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert root.findtext("cap:restriction", namespaces=NS)
    languages = [e.text for e in root.findall("cap:info/cap:language", NS)]
    assert languages == ["nl-BE", "en-GB", "fr-BE"]
    polygon = root.findtext("cap:info/cap:area/cap:polygon", namespaces=NS).split()
    assert polygon[0] == polygon[-1] == "50.82,3.26"
    assert len(polygon) == 5
    assert root.findtext("cap:info/cap:category", namespaces=NS) == "Security"
    assert root.findtext("cap:info/cap:instruction", namespaces=NS)


def test_alert_to_a_drawn_circle_is_valid_cap_with_a_circle(world):
    message = send(world, {"type": "area", "circle": {"lat": 50.83, "lon": 3.27, "radius_m": 800}})

    root = validated(services.to_cap(message))

    assert root.findtext("cap:info/cap:area/cap:circle", namespaces=NS) == "50.83,3.27 0.8"
    assert root.find("cap:info/cap:area/cap:polygon", NS) is None


def test_alert_to_a_drawn_polygon_is_valid_cap_with_that_polygon(world):
    message = send(world, {"type": "area", "polygon": square(3.265, 50.825, 0.005)})

    root = validated(services.to_cap(message))

    polygons = root.findall("cap:info/cap:area/cap:polygon", NS)
    assert [p.text.split()[0] for p in polygons] == ["50.825,3.265"] * 3


def test_exercise_notice_is_valid_cap_marked_exercise_in_the_safety_category(world):
    message = send(
        world, {"type": "networks", "networks": [world.network.pk]}, kind="notice", is_exercise=True
    )

    root = validated(services.to_cap(message))

    assert root.findtext("cap:status", namespaces=NS) == "Exercise"
    assert root.findtext("cap:info/cap:category", namespaces=NS) == "Safety"


def test_identifier_is_stable_and_the_sender_is_the_zone_not_the_officer(world):
    message = send(world, {"type": "networks", "networks": [world.network.pk]})

    first, second = services.to_cap(message), services.to_cap(message)

    assert first == second
    root = etree.fromstring(first)
    assert root.findtext("cap:identifier", namespaces=NS).endswith(f":message:{message.pk}")
    assert root.findtext("cap:sender", namespaces=NS).startswith("zone-5401@")
    assert world.officer.email.encode() not in first
    assert world.officer.full_name.encode() not in first


def test_public_notice_has_public_scope_without_restriction(world):
    from buurtnet.messaging.models import Message

    if not hasattr(Message, "public"):
        pytest.skip("messages have no public flag in this tree")
    message = send(world, {"type": "networks", "networks": [world.network.pk]}, kind="notice")
    Message.objects.filter(pk=message.pk).update(public=True)
    message.refresh_from_db()

    root = validated(services.to_cap(message))

    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    assert root.find("cap:restriction", NS) is None
