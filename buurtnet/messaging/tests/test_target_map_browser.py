"""Zone staff draw the target of a message on the street map, on a phone and on a desktop:
the sentence under the map names the BINs the drawing touches, and the server's preview of
the reach counts the same BINs. A message's page shows its BINs and the area it was for,
also for an alert imported from CAP."""

import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.cap import services as cap
from buurtnet.cap.tests.conftest import cap_alert
from buurtnet.messaging.models import Message
from buurtnet.networks.tests.factories import NetworkFactory, square
from buurtnet.tests.browser import axe_violations, draw_circle, draw_polygon, log_in, map_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Around BIN Ours (the square 3.26–3.28 × 50.82–50.84), clear of BIN Theirs (from 3.30 on).
AROUND_OURS = [(3.257, 50.817), (3.284, 50.817), (3.284, 50.843), (3.257, 50.843)]
# Around both BINs of the zone.
AROUND_BOTH = [(3.257, 50.817), (3.324, 50.817), (3.324, 50.843), (3.257, 50.843)]
CENTRE_OF_OURS = (3.27, 50.83)


@pytest.fixture(params=["page", "desktop"], ids=["phone", "desktop"])
def screen(request):
    """The same test on the phone (412×915) and on a desktop (1280×800)."""
    return request.getfixturevalue(request.param)


def compose_as_zone_staff(page, world) -> None:
    secret = pyotp.random_base32()
    TOTP.activate(world.zone_staff, secret)
    log_in(page, world.zone_staff, totp_secret=secret)
    page.goto("/messages/new/")
    map_ready(page)
    page.get_by_label("Alert (urgent)").check()
    page.get_by_label("An area drawn on the map").check()
    english = page.locator("details.language", has=page.locator("#id_title_en"))
    english.get_by_label("Title").fill("Burglars in Kerkstraat")
    english.get_by_label("Message:", exact=True).fill("Two men are trying doors. Lock up.")


def preview(page):
    page.get_by_role("button", name="Preview the reach").click()
    return page.locator("#preview")


def test_a_drawn_polygon_names_the_bins_it_touches_as_the_preview_counts_them(
    screen, world, tile_server
):
    compose_as_zone_staff(screen, world)
    draw_polygon(screen, AROUND_BOTH)

    touching = screen.locator("#map-touching")
    expect(touching).to_contain_text("2")
    expect(touching).to_contain_text("BIN Ours")
    expect(touching).to_contain_text("BIN Theirs")
    assert '"Polygon"' in screen.locator("#id_area").input_value()
    expect(preview(screen)).to_contain_text("2 BINs: BIN Ours, BIN Theirs")
    assert tile_server.requests > 0


def test_a_drawn_circle_names_the_bins_it_touches_as_the_preview_counts_them(
    screen, world, tile_server
):
    compose_as_zone_staff(screen, world)
    draw_circle(screen, CENTRE_OF_OURS, 500)

    touching = screen.locator("#map-touching")
    expect(touching).to_contain_text("1 BIN")
    expect(touching).to_contain_text("BIN Ours")
    expect(touching).not_to_contain_text("BIN Theirs")
    expect(preview(screen)).to_contain_text("1 BIN: BIN Ours")
    expect(screen.locator("#preview")).not_to_contain_text("BIN Theirs")


def test_a_wider_circle_reaches_the_next_bin_on_the_map_and_in_the_preview(
    page, world, tile_server
):
    # BIN Theirs starts some 2.1 km east of the centre of BIN Ours.
    compose_as_zone_staff(page, world)
    draw_circle(page, CENTRE_OF_OURS, 3000)

    expect(page.locator("#map-touching")).to_contain_text("BIN Theirs")
    expect(preview(page)).to_contain_text("2 BINs: BIN Ours, BIN Theirs")


def test_the_drawing_survives_the_preview_and_is_sent_as_the_target(page, world, tile_server):
    compose_as_zone_staff(page, world)
    draw_polygon(page, AROUND_OURS)
    expect(preview(page)).to_contain_text("1 BIN: BIN Ours")

    map_ready(page)
    expect(page.locator("#map-touching")).to_contain_text("BIN Ours")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    message = Message.objects.get()
    assert message.target["type"] == "area"
    assert message.target["polygon"]["type"] == "Polygon"


def test_a_bin_outside_the_zone_is_not_on_the_compose_map(page, world, tile_server):
    compose_as_zone_staff(page, world)
    names = page.locator("#map").evaluate(
        "el => JSON.parse(document.getElementById(el.dataset.map).textContent)"
        ".areas.features.map(f => f.properties.name)"
    )
    assert sorted(names) == ["BIN Ours", "BIN Theirs"]


def test_the_compose_page_has_no_accessibility_violation(page, world, tile_server):
    compose_as_zone_staff(page, world)
    assert axe_violations(page) == []


def test_the_compose_page_with_a_drawing_has_no_accessibility_violation(page, world, tile_server):
    compose_as_zone_staff(page, world)
    draw_polygon(page, AROUND_OURS)
    assert axe_violations(page) == []


def test_the_page_of_a_message_to_a_drawn_area_shows_the_area_and_its_bins(
    page, world, tile_server
):
    compose_as_zone_staff(page, world)
    draw_circle(page, CENTRE_OF_OURS, 500)
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))

    map_ready(page)
    expect(page.locator("#map path.map-shape")).to_have_count(1)
    expect(page.locator("#map path.area")).to_have_count(1)
    expect(page.get_by_role("region", name=re.compile("area the message is for"))).to_be_visible()
    # The progress table (messaging/_progress.html, not a map) scrolls sideways on a phone
    # without being focusable: a finding of its own, outside this test.
    assert axe_violations(page, exclude=["#progress"]) == []


def test_the_page_of_an_imported_cap_alert_shows_the_bins_it_touches(page, world, tile_server):
    NetworkFactory(
        name="BIN Inside", municipality=world.municipality, area=square(4.00, 50.50, 0.01)
    )
    NetworkFactory(
        name="BIN Outside", municipality=world.municipality, area=square(4.10, 50.50, 0.01)
    )
    record = cap.import_alert(world.zone, cap_alert(), by=world.zone_staff)

    secret = pyotp.random_base32()
    TOTP.activate(world.zone_staff, secret)
    log_in(page, world.zone_staff, totp_secret=secret)
    page.goto(f"/messages/{record.message.pk}/")
    map_ready(page)

    area = page.locator("#map path.area")
    expect(area).to_have_count(1)
    area.hover()
    expect(page.locator("#map .area-label.is-shown")).to_have_text("BIN Inside")
    assert tile_server.requests > 0
    assert axe_violations(page, exclude=["#progress"]) == []
