"""Every map of Buurtnet when the tile server cannot be reached, in headless Chromium on a
phone: the areas and points are drawn on a plain background, the map says that the street
map cannot be loaded, and the page's way to do the same job without the map is there.
And each map page, and only a map page, lets the browser fetch tiles from the base map's
host (the Content-Security-Policy's img-src)."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, Response, expect

from buurtnet.absences.tests.test_absences import away
from buurtnet.conftest import World
from buurtnet.messaging import services as messaging
from buurtnet.networks.tests.factories import StreetFactory, square
from buurtnet.networks.tests.test_maps_browser import enter_as
from buurtnet.reports import services as reports
from buurtnet.tests.browser import map_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNAVAILABLE = "The street map cannot be loaded"
INSIDE_OURS = (3.265, 50.825)  # in BIN Ours, the square 3.26–3.28 × 50.82–50.84


@dataclass(frozen=True)
class MapPage:
    who: str  # the person of the world who opens it
    open: Callable[[Page, World], Response]  # makes what the page shows and opens it
    drawn: tuple[str, ...]  # what the map draws (CSS inside #map), each at least once
    alternative: Callable[[Page, World], Locator]  # the job done without the map


# --- Opening each map page --------------------------------------------------------------


def submitting(page: Page, button: str) -> Response:
    """Press the form's button and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    return navigation.value


def join_by_address(page: Page, world: World) -> Response:
    StreetFactory(municipality=world.municipality)
    page.goto("/join/location/")
    page.get_by_label("Street").fill("Kerkstraat")
    page.get_by_label("House number").fill("12")
    page.get_by_label("Postcode").fill("8500")
    return submitting(page, "Find my BIN")


def a_report(world: World):
    StreetFactory(municipality=world.municipality)
    return reports.file_report(
        world.member,
        reports.ReportInput(
            network_id=world.network.pk,
            category_id=reports.categories_for(world.zone).get(code="suspicious_vehicle").pk,
            occurred_at=timezone.now() - timedelta(minutes=20),
            longitude=INSIDE_OURS[0],
            latitude=INSIDE_OURS[1],
            description="A grey van drove slowly past every house, twice.",
        ),
    )


def report_detail(page: Page, world: World) -> Response:
    return page.goto(f"/reports/{a_report(world).pk}/")


def report_queue(page: Page, world: World) -> Response:
    a_report(world)
    return page.goto("/reports/")


def absence_watch(page: Page, world: World) -> Response:
    away(world)
    return page.goto("/absences/watch/")


def message_to_a_drawn_circle(page: Page, world: World) -> Response:
    circle = {"type": "Circle", "lon": 3.27, "lat": 50.83, "radius_m": 500}
    message = messaging.submit(
        world.zone_staff,
        messaging.Draft(
            kind="notice",
            language="en",
            texts={"en": {"title": "Bike thefts", "body": "Lock your bike.", "sms_text": ""}},
            target={"type": "area", "circle": circle},
        ),
    )
    return page.goto(f"/messages/{message.pk}/")


def area_check(page: Page, world: World) -> Response:
    """The zone's staff type a new area that reaches into BIN Theirs, and check it."""
    page.goto(f"/governance/networks/{world.network.pk}/area/")
    map_ready(page)
    wider = square(3.27, 50.82, 0.035)
    page.get_by_text("Or give the area as coordinates (GeoJSON)").click()
    page.get_by_label("The area (GeoJSON polygon)").fill(json.dumps(wider))
    return submitting(page, "Check the new area")


def go(path: Callable[[World], str]) -> Callable[[Page, World], Response]:
    return lambda page, world: page.goto(path(world))


# --- Every map of the product -------------------------------------------------------------

MAP_PAGES = {
    "zone map": MapPage(
        "zone_staff",
        go(lambda world: f"/zones/{world.zone.code}/"),
        ("path.area",),
        lambda page, world: page.get_by_role("table").get_by_role("link", name="BIN Ours"),
    ),
    "BIN page": MapPage(
        "member",
        go(lambda world: f"/networks/{world.network.pk}/"),
        ("path.area-this",),
        lambda page, world: page.get_by_text(f"{world.municipality.name} ·"),
    ),
    "joining location": MapPage(
        "outsider",
        go(lambda world: "/join/location/"),
        ("path.area",),
        lambda page, world: page.get_by_label("Street"),
    ),
    "joining choice": MapPage(
        "outsider",
        join_by_address,
        ("path.area", ".map-pin"),
        lambda page, world: page.get_by_role("heading", name="BIN Ours"),
    ),
    "report form": MapPage(
        "member",
        go(lambda world: "/reports/new/"),
        ("path.area-this", ".map-pin"),
        lambda page, world: page.get_by_label("Address (street and number)"),
    ),
    "report detail": MapPage(
        "officer",
        report_detail,
        ("path.area-this", "path.map-point-report"),
        lambda page, world: page.locator("#place-address", has_text="Near Kerkstraat"),
    ),
    "report queue": MapPage(
        "officer",
        report_queue,
        ("path.area", ".map-number"),
        lambda page, world: page.locator("#report-queue").get_by_text("Near Kerkstraat"),
    ),
    "absence form": MapPage(
        "member",
        go(lambda world: "/absences/new/"),
        ("path.area", "path.map-point"),
        lambda page, world: page.locator("#location").get_by_text(world.member.address_line),
    ),
    "absence watch": MapPage(
        "officer",
        absence_watch,
        ("path.area", ".map-number"),
        lambda page, world: page.locator("ol.route").get_by_role("link", name="Kerkstraat 7"),
    ),
    "compose": MapPage(
        "zone_staff",
        go(lambda world: "/messages/new/"),
        ("path.area",),
        lambda page, world: page.get_by_role("listbox", name="BINs"),
    ),
    "message to an area": MapPage(
        "zone_staff",
        message_to_a_drawn_circle,
        ("path.area", "path.map-shape"),
        lambda page, world: page.get_by_role("listitem").filter(has_text="BIN Ours"),
    ),
    "founding request": MapPage(
        "member",
        go(lambda world: "/governance/request/"),
        ("path.area", "path.map-point"),
        lambda page, world: page.get_by_text("Or give the area as coordinates (GeoJSON)"),
    ),
    "BIN area editor": MapPage(
        "zone_staff",
        go(lambda world: f"/governance/networks/{world.network.pk}/area/"),
        ("path.area-this",),
        lambda page, world: page.get_by_text("Or give the area as coordinates (GeoJSON)"),
    ),
    "BIN area check": MapPage(
        "zone_staff",
        area_check,
        ("path.area-this", "path.map-shape"),
        lambda page, world: page.locator(".warning").get_by_text("BIN Theirs"),
    ),
}


def open_as(map_page: MapPage, page, world, client, live_server) -> Response:
    enter_as(page, client, live_server, getattr(world, map_page.who))
    return map_page.open(page, world)


def img_src(response: Response) -> list[str]:
    policy = response.header_value("content-security-policy") or ""
    found = re.search(r"(?:^|;)\s*img-src ([^;]*)", policy)
    return found.group(1).split() if found else []


@pytest.mark.parametrize("name", MAP_PAGES)
def test_the_map_works_without_the_tile_server(
    name, page, world, client, live_server, tiles_unreachable
):
    map_page = MAP_PAGES[name]
    open_as(map_page, page, world, client, live_server)
    map_ready(page)
    the_map = page.locator("#map")
    for drawn in map_page.drawn:
        expect(the_map.locator(drawn).first).to_be_attached()
    expect(page.locator("#map-note")).to_contain_text(UNAVAILABLE)
    expect(the_map.locator(".leaflet-tile-loaded")).to_have_count(0)
    expect(map_page.alternative(page, world)).to_be_visible()


@pytest.mark.parametrize("name", MAP_PAGES)
def test_a_map_page_lets_the_browser_load_tiles_from_the_tile_server(
    name, page, world, client, live_server, tile_server
):
    response = open_as(MAP_PAGES[name], page, world, client, live_server)
    assert tile_server.origin in img_src(response)


def test_a_page_without_a_map_does_not_let_the_browser_load_tiles(
    page, world, client, live_server, tile_server
):
    enter_as(page, client, live_server, world.member)
    response = page.goto("/messages/inbox/")
    assert img_src(response)  # the policy is there, without the tile server
    assert tile_server.origin not in img_src(response)
