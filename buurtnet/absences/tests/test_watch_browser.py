"""The absence watch on a real map, in headless Chromium: the homes to pass as numbered
markers with the same numbers in the list beside the map, and the absence form's map."""

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.tests.browser import axe_violations, fits_the_screen, log_in, map_ready

from .test_absences import INSIDE, NOWHERE, THEIRS, away

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def three_homes(world) -> list:
    """Homes in our BIN, in their BIN and outside every BIN, in the order of the list."""
    return [
        away(world, start=0, house_number="1"),
        away(world, start=1, house_number="2", network="theirs", longitude=THEIRS[0]),
        away(world, start=2, house_number="3", network=None, longitude=NOWHERE[0]),
    ]


def open_the_watch(page, person) -> None:
    secret = pyotp.random_base32()
    TOTP.activate(person, secret)
    log_in(page, person, totp_secret=secret)
    page.goto("/absences/watch/")
    map_ready(page)


def markers(page) -> list[dict]:
    """Each numbered marker on the map: its number as shown, its title and its place."""
    return page.evaluate(
        """() => document.getElementById("map").buurtnetMap.points.map(m => ({
            number: m.getElement().textContent.trim(),
            title: m.getElement().getAttribute("title"),
            lon: m.getLatLng().lng,
            lat: m.getLatLng().lat,
        }))"""
    )


def listed(page) -> list[dict]:
    """Each home in the ordered list beside the map: its number as shown, and its address."""
    return page.evaluate(
        """() => [...document.querySelectorAll("ol.route > li")].map(li => ({
            number: String(li.value), address: li.querySelector("a").textContent.trim(),
        }))"""
    )


def test_the_numbers_on_the_map_are_the_numbers_in_the_list(page, world, tile_server):
    homes = three_homes(world)
    open_the_watch(page, world.zone_staff)
    on_map = markers(page)
    in_list = listed(page)
    assert [m["number"] for m in on_map] == [h["number"] for h in in_list] == ["1", "2", "3"]
    assert [m["title"] for m in on_map] == [h["address"] for h in in_list]
    assert [h["address"] for h in in_list] == [h.address_line for h in homes]
    places = [(round(m["lon"], 6), round(m["lat"], 6)) for m in on_map]
    assert places == [INSIDE, (THEIRS[0], INSIDE[1]), (NOWHERE[0], INSIDE[1])]
    # Each number leads to that home's card, with the same number in its heading.
    page.locator("ol.route").get_by_role("link", name=homes[1].address_line).click()
    expect(page.locator(f"#absence-{homes[1].pk} h3")).to_have_text(f"2. {homes[1].address_line}")
    assert tile_server.requests > 0
    assert fits_the_screen(page)


def test_the_list_stands_beside_the_map_on_a_desktop(desktop, world, tile_server):
    three_homes(world)
    open_the_watch(desktop, world.zone_staff)
    the_map = desktop.locator("#map").bounding_box()
    the_list = desktop.locator("ol.route").bounding_box()
    assert the_list["x"] >= the_map["x"] + the_map["width"]
    assert [m["number"] for m in markers(desktop)] == ["1", "2", "3"]


def test_the_officers_watch_page_has_no_accessibility_violation(page, world, tile_server):
    away(world)
    open_the_watch(page, world.officer)
    expect(page.locator("#map .map-number")).to_have_count(1)
    assert axe_violations(page) == []


def test_the_absence_form_shows_the_home_on_the_bin_without_accessibility_violation(
    page, world, tile_server
):
    log_in(page, world.member)
    page.goto("/absences/new/")
    map_ready(page)
    label = "Map of your home and the area of your BIN"
    expect(page.get_by_role("region", name=label)).to_be_visible()
    home = page.evaluate(
        """() => document.getElementById("map").buurtnetMap.points.map(m => {
            const p = m.getLatLng(); return [p.lng, p.lat];
        })"""
    )
    assert [tuple(round(c, 6) for c in p) for p in home] == [INSIDE]
    assert axe_violations(page) == []
