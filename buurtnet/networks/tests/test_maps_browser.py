"""The zone map, the joining map and the BIN page on the real base map, in headless Chromium:
tiles from a local tile server, filters, a click or Enter on an area, and every map still
usable when the tile server cannot be reached."""

import re

import pytest
from playwright.sync_api import expect

from buurtnet.networks.middleware import SESSION_KEY
from buurtnet.networks.models import NetworkStatus
from buurtnet.tests.browser import axe_violations, click_map, fits_the_screen, map_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter_as(page, client, live_server, person) -> None:
    """Log the person in; staff count as having passed their second factor."""
    client.force_login(person)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def zone_map_url(world) -> str:
    return f"/zones/{world.zone.code}/"


def areas(page):
    return page.locator("#map path.area")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_zone_map_shows_every_bin_on_the_base_map(
    request, viewport, world, client, live_server, tile_server
):
    page = request.getfixturevalue("page" if viewport == "phone" else "desktop")
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    map_ready(page)
    expect(areas(page)).to_have_count(2)
    page.locator("#map .leaflet-tile-loaded").first.wait_for()
    assert tile_server.requests > 0
    assert page.locator("#map-note").is_hidden()
    assert page.locator(".leaflet-control-attribution").is_visible()
    legend = page.locator(".legend")
    expect(legend).to_contain_text("Active")
    expect(legend).to_contain_text("Founding")
    assert fits_the_screen(page)
    assert axe_violations(page) == []


def test_names_on_the_map_are_text_never_markup(page, world, client, live_server, tile_server):
    # A resident names the BIN they ask to found: the name reaches other people's maps.
    world.other_network.name = '<b id="injected">BIN Theirs</b>'
    world.other_network.save()
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    map_ready(page)
    page.locator("#map path.area[aria-label*='injected']").hover()
    expect(page.locator("#map .area-label.is-shown")).to_have_text(
        '<b id="injected">BIN Theirs</b>'
    )
    assert page.locator("#injected").count() == 0


def test_zone_map_filters_apply_to_the_map_and_the_list(
    page, world, client, live_server, tile_server
):
    world.other_network.status = NetworkStatus.FOUNDING
    world.other_network.save()
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    page.get_by_label("Municipality").select_option(label="Theirtown")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"municipality="))
    map_ready(page)
    expect(areas(page)).to_have_count(1)
    table = page.locator("table")
    expect(table).to_contain_text("BIN Theirs")
    expect(table).not_to_contain_text("BIN Ours")

    page.get_by_label("Municipality").select_option(label="All municipalities")
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"status=active"))
    map_ready(page)
    expect(areas(page)).to_have_count(1)
    expect(table).to_contain_text("BIN Ours")
    expect(table).not_to_contain_text("BIN Theirs")


def test_a_tap_on_an_area_of_the_zone_map_opens_the_bin(
    page, world, client, live_server, tile_server
):
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    map_ready(page)
    click_map(page, 3.27, 50.83)  # inside BIN Ours
    page.wait_for_url(re.compile(rf"/networks/{world.network.pk}/$"))
    expect(page.get_by_role("heading", name="BIN Ours")).to_be_visible()


def test_an_area_of_the_zone_map_opens_the_bin_by_keyboard(
    desktop, world, client, live_server, tile_server
):
    page = desktop
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    map_ready(page)
    area = page.locator("#map").get_by_role("link", name="BIN Theirs (Active)")
    area.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/networks/{world.other_network.pk}/$"))


def test_bin_page_shows_its_area_and_zone_staff_the_edit_link(
    page, world, client, live_server, tile_server
):
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(f"/networks/{world.network.pk}/")
    map_ready(page)
    expect(page.locator("#map path.area-this")).to_have_count(1)
    link = page.get_by_role("link", name="Edit the area on the map")
    expect(link).to_have_attribute("href", re.compile(rf"/{world.network.pk}/"))
    assert axe_violations(page) == []


def test_joining_maps_have_no_accessibility_violation(
    page, world, client, live_server, tile_server
):
    enter_as(page, client, live_server, world.outsider)
    page.goto("/join/location/")
    map_ready(page)
    assert axe_violations(page) == []
    click_map(page, 3.27, 50.83)
    page.get_by_role("button", name="Use this point").click()
    page.get_by_role("heading", name="BIN Ours").wait_for()
    map_ready(page)
    assert axe_violations(page) == []


def test_every_map_works_without_the_tile_server(
    page, world, client, live_server, tiles_unreachable
):
    unavailable = "The street map cannot be loaded"
    enter_as(page, client, live_server, world.zone_staff)
    page.goto(zone_map_url(world))
    map_ready(page)
    expect(areas(page)).to_have_count(2)
    expect(page.locator("#map-note")).to_contain_text(unavailable)
    click_map(page, 3.27, 50.83)
    page.wait_for_url(re.compile(rf"/networks/{world.network.pk}/$"))

    # The BIN page.
    map_ready(page)
    expect(page.locator("#map path.area-this")).to_have_count(1)
    expect(page.locator("#map-note")).to_contain_text(unavailable)

    # Joining: tapping the map still finds the BIN.
    page.context.clear_cookies()
    enter_as(page, client, live_server, world.outsider)
    page.goto("/join/location/")
    map_ready(page)
    expect(areas(page)).to_have_count(3)  # every public BIN: no municipality chosen
    expect(page.locator("#map-note")).to_contain_text(unavailable)
    click_map(page, 3.27, 50.83)
    page.get_by_role("button", name="Use this point").click()
    page.get_by_role("heading", name="BIN Ours").wait_for()
