"""Take the README's screenshots from the demo database.

Run after `make demo` has seeded var/buurtnet.sqlite3:
    .venv/bin/python scripts/screenshots.py
or against another demo database with BUURTNET_VAR_DIR and SQLITE_PATH set, as for manage.py.

It serves the site on a free port with the base map from scripts/demo_tiles.py (this machine
may have no internet, so the real base map's tiles cannot be fetched), logs the demo people in
by creating their sessions directly, and saves PNGs under docs/screenshots/. For the joining
step it creates a throwaway citizen and deletes it afterwards.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
os.environ.setdefault("DEBUG", "1")  # the development key is refused without DEBUG
# Playwright's sync API runs an event loop in this thread; our ORM calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

import demo_tiles  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from buurtnet.networks.middleware import SESSION_KEY as SECOND_FACTOR_OK  # noqa: E402
from buurtnet.networks.models import Membership, PoliceZone  # noqa: E402
from buurtnet.people.models import Person  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PHONE = {"width": 412, "height": 915}
CITIZEN = "screenshot.citizen@demo.buurtnet.be"
# An address of the demo, inside a BIN's area.
JOIN_ADDRESS = {"street": "Kerkstraat", "house_number": "10", "postcode": "8520", "city": "Kuurne"}


@dataclass
class Shot:
    email: str
    path: str
    name: str
    viewport: dict
    prepare: Callable[[Page], None] | None = None  # after loading: fill in a form
    has_map: bool = True
    # Zoom the map in as a visitor would, so the streets and labels show: to this level,
    # around `centre` (lon, lat), or around the picked point when there is none.
    zoom: int | None = None
    centre: tuple[float, float] | None = None
    scroll_to: str = ""  # then bring this element to the top of the window


def session_for(email: str) -> str:
    person = Person.objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store[SECOND_FACTOR_OK] = True
    store["_language"] = "nl"
    store.create()
    return store.session_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_map(page: Page, shot: Shot, map_id: str = "map") -> None:
    """The map built (with its picker), zoomed as the shot says, every visible tile loaded
    and faded in, and for a picker the nearest address written under it.

    A map fitted at a half zoom level draws its tiles scaled, and Chromium leaves hairline
    seams between them; such a map is zoomed out to the whole level below."""
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            const api = el && el.buurtnetMap;
            return api && api.ready && (el.dataset.mode !== "pick" || api.pickReady);
        }""",
        arg=map_id,
    )
    page.evaluate(
        """([id, zoom, centre]) => {
            const el = document.getElementById(id);
            const map = el.buurtnetMap.map;
            const lon = el.dataset.lon && document.getElementById(el.dataset.lon);
            const lat = el.dataset.lat && document.getElementById(el.dataset.lat);
            if (zoom === null) {
                map.setZoom(Math.floor(map.getZoom()), {animate: false});
                return;
            }
            if (!centre && lon && lat && lon.value && lat.value) centre = [+lon.value, +lat.value];
            map.setView(centre ? L.latLng(centre[1], centre[0]) : map.getCenter(), zoom, {
                animate: false,
            });
        }""",
        [map_id, shot.zoom, list(shot.centre) if shot.centre else None],
    )
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            const tiles = el.querySelectorAll("img.leaflet-tile");
            if (!tiles.length || el.querySelector("img.leaflet-tile:not(.leaflet-tile-loaded)"))
                return false;
            const place = document.getElementById(id + "-place");
            return !place || place.textContent.trim() !== "";
        }""",
        arg=map_id,
        timeout=20_000,
    )
    page.wait_for_timeout(500)  # Leaflet's tile fade-in


def find_address(page: Page) -> None:
    """The joining step: type the address, find it; the BINs covering it and the marker."""
    for field, value in JOIN_ADDRESS.items():
        page.fill(f"#id_{field}", value)
    page.click("#location-form button[type=submit]")
    page.wait_for_load_state()
    if not page.locator("#correct-title").count():
        raise SystemExit(f"The demo does not find {JOIN_ADDRESS} in a BIN: {page.url}")


def make_citizen() -> Person:
    Person.objects.filter(email=CITIZEN).delete()
    return Person.objects.create(
        email=CITIZEN,
        full_name="Sam Peeters",
        language="nl",
        phone="+32470123456",
        phone_verified_at=timezone.now(),
    )


def main() -> None:
    tiles = demo_tiles.serve(demo_tiles.load_geography())
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={
            **os.environ,
            "MAP_TILES": demo_tiles.template(tiles),
            "MAP_TILES_ATTRIBUTION": "Demo streets, Buurtnet",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    citizen = make_citizen()
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        zone = PoliceZone.objects.get(code="5999")
        coordinated = Membership.objects.get(
            person__email="coordinator@demo.buurtnet.be", role="coordinator"
        ).network_id
        shots = [
            Shot(
                "zone@demo.buurtnet.be",
                f"/zones/{zone.code}/",
                "zone-map.png",
                {"width": 1100, "height": 900},
                zoom=14,  # the BINs' names show from zoom 14
                centre=(3.268, 50.826),  # Kortrijk's centre
            ),
            Shot(
                "coordinator@demo.buurtnet.be",
                f"/networks/{coordinated}/applications/",
                "applications.png",
                {"width": 420, "height": 900},
                has_map=False,
            ),
            Shot(
                citizen.email,
                "/join/location/",
                "join.png",
                PHONE,
                find_address,
                scroll_to=".steps",
            ),
            Shot(
                "member@demo.buurtnet.be",
                "/reports/new/",
                "report-form.png",
                PHONE,
                zoom=17,  # the street names show from zoom 16, the longer ones at 17
                scroll_to="fieldset:has(#map)",
            ),
        ]
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            for shot in shots:
                take(browser, shot, f"http://127.0.0.1:{port}")
            browser.close()
    finally:
        server.terminate()
        server.wait()
        tiles.shutdown()
        citizen.delete()


def take(browser, shot: Shot, base: str) -> None:
    context = browser.new_context(viewport=shot.viewport)
    context.add_cookies(
        [
            {"name": "sessionid", "value": session_for(shot.email), "url": base},
            {"name": "django_language", "value": "nl", "url": base},
        ]
    )
    page = context.new_page()
    page.goto(base + shot.path)
    if shot.prepare:
        shot.prepare(page)
    if shot.has_map:
        wait_for_map(page, shot)
    if shot.scroll_to:
        page.locator(shot.scroll_to).first.evaluate(
            "el => { el.scrollIntoView({block: 'start'}); window.scrollBy(0, -16); }"
        )
    page.screenshot(path=str(OUT / shot.name), full_page=False)
    context.close()
    print(f"saved {OUT / shot.name}")


if __name__ == "__main__":
    main()
