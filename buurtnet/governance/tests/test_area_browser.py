"""A BIN's area drawn on the real map, in headless Chromium: the zone's staff move a corner
of a BIN's area or draw it again (phone and desktop), a border that crosses itself is
refused, and a resident draws the area of the BIN they ask for."""

import json
import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from playwright.sync_api import expect

from buurtnet.networks.models import Network, NetworkStatus
from buurtnet.networks.tests.factories import square
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.tests.browser import (
    axe_violations,
    drag_on_map,
    draw_polygon,
    fits_the_screen,
    log_in,
    map_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# BIN Ours is square(3.26, 50.82): its north-east corner, and where it is dragged to.
CORNER = (3.28, 50.84)
MOVED = (3.284, 50.843)


def open_the_area(page, world) -> None:
    secret = pyotp.random_base32()
    TOTP.activate(world.zone_staff, secret)
    log_in(page, world.zone_staff, totp_secret=secret)
    page.goto(f"/governance/networks/{world.network.pk}/area/")
    map_ready(page)


def confirm_and_save(page) -> None:
    page.get_by_role("button", name="Check the new area").click()
    page.get_by_label("Yes, give this BIN the new area.").check()
    page.get_by_role("button", name="Save the new area").click()
    page.wait_for_url(re.compile(r"/networks/\d+/$"))
    expect(page.get_by_text("The new area is saved.")).to_be_visible()


def corners(network: Network) -> list[tuple[float, float]]:
    network.refresh_from_db()
    return [tuple(corner) for corner in network.area["coordinates"][0]]


def test_zone_staff_move_a_corner_of_a_bins_area(page, world, tile_server):
    open_the_area(page, world)
    assert axe_violations(page) == []
    drag_on_map(page, CORNER, MOVED)
    dragged = json.loads(page.get_by_label("The area (GeoJSON polygon)").input_value())
    assert CORNER not in [tuple(c) for c in dragged["coordinates"][0]]
    assert fits_the_screen(page)
    confirm_and_save(page)
    saved = corners(world.network)
    assert CORNER not in saved
    assert any(abs(lon - MOVED[0]) < 2e-4 and abs(lat - MOVED[1]) < 2e-4 for lon, lat in saved)
    assert tile_server.requests > 0


def test_zone_staff_draw_a_bins_area_again_on_a_desktop(desktop, world, tile_server):
    open_the_area(desktop, world)
    desktop.get_by_role("button", name="Clear").click()
    new = [(3.262, 50.822), (3.278, 50.822), (3.278, 50.836), (3.262, 50.836)]
    draw_polygon(desktop, new)
    confirm_and_save(desktop)
    saved = corners(world.network)
    assert len(saved) == 5 and saved[0] == saved[-1]
    for (lon, lat), (want_lon, want_lat) in zip(saved, new, strict=False):
        assert lon == pytest.approx(want_lon, abs=2e-4) and lat == pytest.approx(want_lat, abs=2e-4)


def test_an_area_that_crosses_itself_is_refused_next_to_the_map(page, world, tile_server):
    open_the_area(page, world)
    page.get_by_role("button", name="Clear").click()
    bow_tie = [(3.262, 50.822), (3.278, 50.836), (3.278, 50.822), (3.262, 50.836)]
    draw_polygon(page, bow_tie)
    page.get_by_role("button", name="Check the new area").click()
    expect(page.locator("#area-polygon .error")).to_contain_text("The polygon crosses itself")
    map_ready(page)
    assert axe_violations(page) == []
    assert corners(world.network) == [tuple(c) for c in square(3.26, 50.82)["coordinates"][0]]


def test_a_resident_draws_the_area_of_the_bin_they_ask_for(page, world, tile_server):
    resident = PersonFactory(full_name="Rita Resident", at=(3.275, 50.865))
    log_in(page, resident)
    page.goto("/governance/request/")
    map_ready(page)
    assert axe_violations(page) == []
    page.get_by_label("Name of the BIN").fill("BIN Molenwijk")
    page.get_by_label("Municipality").select_option(label="Ourtown")
    page.get_by_label("Why does the neighbourhood want a BIN?").fill("Break-ins in our street.")
    draw_polygon(page, [(3.27, 50.86), (3.28, 50.86), (3.28, 50.87), (3.27, 50.87)])
    expect(page.locator("#map-touching")).to_have_text("")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request is sent to the police zone.")).to_be_visible()
    network = Network.objects.get(name="BIN Molenwijk")
    assert network.status == NetworkStatus.PROPOSED
    assert network.contains(3.275, 50.865)
    assert tile_server.requests > 0


def test_the_request_map_warns_at_once_of_an_overlap(page, world, tile_server):
    log_in(page, PersonFactory(at=(3.275, 50.835)))
    page.goto("/governance/request/")
    draw_polygon(page, [(3.27, 50.83), (3.29, 50.83), (3.29, 50.845), (3.27, 50.845)])
    expect(page.locator("#map-touching")).to_contain_text("Overlaps BIN Ours")
