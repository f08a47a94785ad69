"""The maps of messaging as the server writes them: on compose, the BINs a drawn area can
reach; on a message's page, its BINs and the area it was for (drawn, or a CAP alert's)."""

import json
import re

import pytest

from buurtnet.cap import services as cap
from buurtnet.cap.tests.conftest import cap_alert
from buurtnet.messaging import services
from buurtnet.messaging.services import Draft
from buurtnet.networks.models import NetworkStatus
from buurtnet.networks.tests.factories import NetworkFactory, square

pytestmark = pytest.mark.django_db


def map_of(response) -> dict:
    found = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>', response.text
    )
    assert found, "the page has no map"
    return json.loads(found.group(1))


def names(data: dict) -> list[str]:
    return sorted(f["properties"]["name"] for f in data["areas"]["features"])


@pytest.fixture
def staff(client, world):
    client.force_login(world.zone_staff)
    session = client.session
    session["buurtnet_second_factor_ok"] = True
    session.save()
    return client


def notice(target: dict) -> Draft:
    return Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": "Bike thefts", "body": "Lock your bike.", "sms_text": ""}},
        target=target,
    )


def test_compose_map_shows_the_running_bins_of_the_zone_only(staff, world):
    NetworkFactory(
        name="BIN Founding",
        municipality=world.municipality,
        area=square(3.34, 50.82),
        status=NetworkStatus.FOUNDING,
    )

    data = map_of(staff.get("/messages/new/"))

    assert names(data) == ["BIN Ours", "BIN Theirs"]


def test_compose_map_shows_a_coordinator_no_area_kept_off_public_maps(client, world):
    world.other_network.area_public = False
    world.other_network.save()
    client.force_login(world.coordinator)

    data = map_of(client.get("/messages/new/"))

    assert names(data) == ["BIN Ours"]


def test_compose_map_draws_into_the_area_field_and_counts_the_bins_touched(staff):
    response = staff.get("/messages/new/")

    assert 'data-mode="draw"' in response.text
    assert 'data-field="id_area"' in response.text
    assert 'data-shapes="polygon circle"' in response.text
    assert 'data-touching="count"' in response.text


def test_compose_map_names_no_link_that_would_leave_the_form(staff):
    data = map_of(staff.get("/messages/new/"))

    assert all(f["properties"]["url"] is None for f in data["areas"]["features"])


def test_page_of_a_message_to_a_drawn_circle_shows_the_circle_and_its_bins(staff, world, now_sends):
    circle = {"type": "Circle", "lon": 3.27, "lat": 50.83, "radius_m": 500}
    message = now_sends(
        services.submit, world.zone_staff, notice({"type": "area", "circle": circle})
    )

    data = map_of(staff.get(f"/messages/{message.pk}/"))

    assert data["shape"] == circle
    assert names(data) == ["BIN Ours"]


def test_page_of_a_message_to_a_drawn_polygon_shows_the_polygon(staff, world, now_sends):
    polygon = {
        "type": "Polygon",
        "coordinates": [[[3.25, 50.81], [3.29, 50.81], [3.29, 50.85], [3.25, 50.81]]],
    }
    message = now_sends(
        services.submit, world.zone_staff, notice({"type": "area", "polygon": polygon})
    )

    assert map_of(staff.get(f"/messages/{message.pk}/"))["shape"] == polygon


def test_page_of_a_message_to_chosen_bins_shows_those_bins_without_a_shape(staff, world, now_sends):
    message = now_sends(
        services.submit,
        world.zone_staff,
        notice({"type": "networks", "networks": [world.other_network.pk]}),
    )

    data = map_of(staff.get(f"/messages/{message.pk}/"))

    assert names(data) == ["BIN Theirs"]
    assert data["shape"] is None


def test_page_of_an_imported_cap_alert_shows_the_bins_in_its_area(staff, world):
    NetworkFactory(
        name="BIN Inside", municipality=world.municipality, area=square(4.00, 50.50, 0.01)
    )
    NetworkFactory(
        name="BIN Outside", municipality=world.municipality, area=square(4.10, 50.50, 0.01)
    )
    record = cap.import_alert(world.zone, cap_alert(), by=world.zone_staff)

    data = map_of(staff.get(f"/messages/{record.message.pk}/"))

    assert names(data) == ["BIN Inside"]


def test_page_of_an_imported_cap_alert_shows_the_alerts_area(staff, world):
    NetworkFactory(
        name="BIN Inside", municipality=world.municipality, area=square(4.00, 50.50, 0.01)
    )
    record = cap.import_alert(world.zone, cap_alert(), by=world.zone_staff)

    shape = map_of(staff.get(f"/messages/{record.message.pk}/"))["shape"]

    # The alert's box, lat,lon 50.49,3.99 – 50.53,4.05.
    corners = {(round(lon, 2), round(lat, 2)) for lon, lat in shape["coordinates"][0]}
    assert corners == {(3.99, 50.49), (4.05, 50.49), (4.05, 50.53), (3.99, 50.53)}
