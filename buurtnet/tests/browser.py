"""Steps the headless-browser tests share: logging in (with the second factor) and
checking that a page fits a phone's screen."""

import re

import pyotp

from buurtnet.networks import geo

PASSWORD = "a-long-test-password"  # PersonFactory's


def log_in(page, person, totp_secret: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out")
    ).wait_for()


def fits_the_screen(page) -> bool:
    """No sideways scrolling: wide tables scroll inside their own box."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def map_ready(page, map_id: str = "map") -> None:
    """Wait until the map's scripts have built it (and its picker or drawing tools)."""
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            const api = el && el.buurtnetMap;
            if (!api || !api.ready) return false;
            if (el.dataset.mode === "pick" && !api.pickReady) return false;
            if (el.dataset.mode === "draw" && !api.drawReady) return false;
            return true;
        }""",
        arg=map_id,
    )


def map_point(page, lon: float, lat: float, map_id: str = "map") -> tuple[float, float]:
    """Where (lon, lat) is on the screen, panning the map first if it lies outside the view."""
    map_ready(page, map_id)
    return tuple(
        page.evaluate(
            """([id, lon, lat]) => {
                const el = document.getElementById(id);
                const map = el.buurtnetMap.map;
                const here = L.latLng(lat, lon);
                if (!map.getBounds().pad(-0.1).contains(here)) map.panTo(here, {animate: false});
                const p = map.latLngToContainerPoint(here);
                const box = el.getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [map_id, lon, lat],
        )
    )


def click_map(page, lon: float, lat: float, map_id: str = "map") -> None:
    """Tap the map at (lon, lat)."""
    x, y = map_point(page, lon, lat, map_id)
    page.mouse.click(x, y)


def drag_on_map(
    page, start: tuple[float, float], end: tuple[float, float], map_id: str = "map", grab: int = 0
) -> None:
    """Drag what lies at start (lon, lat) to end, as a finger would, in small steps. Both
    points are brought into view first: the map must not move while the finger is down.
    grab: how many pixels above the point to take hold (a pin is held by its head)."""
    map_ready(page, map_id)
    (x0, y0), (x1, y1) = page.evaluate(
        """([id, start, end]) => {
            const el = document.getElementById(id);
            const map = el.buurtnetMap.map;
            const a = L.latLng(start[1], start[0]), b = L.latLng(end[1], end[0]);
            const view = map.getBounds().pad(-0.1);
            if (!view.contains(a) || !view.contains(b)) {
                map.fitBounds(L.latLngBounds([a, b]).pad(1), {animate: false});
            }
            const box = el.getBoundingClientRect();
            return [a, b].map(ll => {
                const p = map.latLngToContainerPoint(ll);
                return [box.left + p.x, box.top + p.y];
            });
        }""",
        [map_id, list(start), list(end)],
    )
    page.mouse.move(x0, y0 - grab)
    page.mouse.down()
    page.mouse.move(x1, y1 - grab, steps=12)
    page.mouse.up()


def drag_marker(page, lon: float, lat: float, map_id: str = "map") -> None:
    """Drag the picker's pin to (lon, lat), holding it by its head above the tip."""
    map_ready(page, map_id)
    here = page.evaluate(
        """id => {
            const ll = document.getElementById(id).buurtnetMap.marker.getLatLng();
            return [ll.lng, ll.lat];
        }""",
        map_id,
    )
    drag_on_map(page, tuple(here), (lon, lat), map_id, grab=18)


def draw_polygon(page, corners: list[tuple[float, float]], map_id: str = "map") -> None:
    """Draw a polygon with the drawing tools: its corners, then the first corner again."""
    map_ready(page, map_id)
    page.locator(f".map-figure:has(#{map_id}) button[data-draw=polygon]").click()
    for lon, lat in [*corners, corners[0]]:
        click_map(page, lon, lat, map_id)
        page.wait_for_timeout(80)


def draw_circle(page, centre: tuple[float, float], radius_m: float, map_id: str = "map") -> None:
    """Draw a circle: tap the centre, then a point radius_m east of it."""
    map_ready(page, map_id)
    page.locator(f".map-figure:has(#{map_id}) button[data-draw=circle]").click()
    lon, lat = centre
    east = lon + radius_m / geo.metres_per_degree(lat)[0]
    click_map(page, lon, lat, map_id)
    page.wait_for_timeout(80)
    click_map(page, east, lat, map_id)


def axe_violations(page, **kwargs) -> list[dict]:
    """The accessibility violations axe-core finds on the page (buurtnet/tests/axe.py)."""
    from buurtnet.tests.axe import axe_violations as run

    return run(page, **kwargs)
