"""Shared fixtures: named people per access level (as healthcheck's hc/test.py does)."""

import pytest
from django.core.cache import cache

from buurtnet.delivery.queues import QUEUES
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import (
    MembershipFactory,
    MunicipalityFactory,
    MunicipalPartnerFactory,
    NetworkFactory,
    PoliceZoneFactory,
    ZoneStaffFactory,
    square,
)
from buurtnet.people.tests.factories import PersonFactory

IMMEDIATE_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}
}
PLAIN_STATIC_STORAGE = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# The settings give these names only with DEBUG on; in-process servers some tests run
# (schemathesis over WSGI) send them. pytest-django adds testserver and the live server's.
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


@pytest.fixture(autouse=True, scope="session")
def _production_settings_without_deploy_steps():
    """The suite runs with DEBUG off, as production does, without what a deploy adds.

    Static files: the settings pick the manifest storage, which needs `collectstatic` to
    have run; the suite links them by their plain names instead (test_static_files checks
    the manifest storage on its own collected copy). Hosts: the local names, which a
    production server without ALLOWED_HOSTS refuses to start without (buurtnet/startup.py)."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": PLAIN_STATIC_STORAGE},
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, *LOCAL_HOSTS],
    ):
        yield


@pytest.fixture(autouse=True)
def _immediate_tasks_and_english(settings, tmp_path):
    """Tasks run at once (after commit) unless a test asks for the real worker; UI in English."""
    settings.TASKS = IMMEDIATE_TASKS
    settings.LANGUAGE_CODE = "en"
    # The embedded default sink, not Django's test-time locmem backend.
    settings.EMAIL_BACKEND = "buurtnet.delivery.mail.OutboxEmailBackend"
    # PBKDF2 at production strength costs a second per person on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits (failed log-ins per address) live in the cache: no test inherits another's.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def now_sends(django_capture_on_commit_callbacks):
    """Call a service and run what it queued for after the commit (the task enqueues), as
    a request would: `now_sends(services.submit, sender, draft)`."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


class World:
    """Two BINs in one zone (ours and theirs) and a third BIN in another zone, with a
    person for every access level on "ours"."""

    def __init__(self) -> None:
        self.zone = PoliceZoneFactory(name="PZ Ours", code="5401")
        self.other_zone = PoliceZoneFactory(name="PZ Elsewhere", code="5402")
        self.municipality = MunicipalityFactory(zone=self.zone, name="Ourtown", nis_code="34022")
        self.other_municipality = MunicipalityFactory(
            zone=self.zone, name="Theirtown", nis_code="34023"
        )
        self.far_municipality = MunicipalityFactory(
            zone=self.other_zone, name="Fartown", nis_code="44021"
        )
        self.network = NetworkFactory(
            name="BIN Ours", municipality=self.municipality, area=square(3.26, 50.82)
        )
        self.other_network = NetworkFactory(
            name="BIN Theirs", municipality=self.other_municipality, area=square(3.30, 50.82)
        )
        self.far_network = NetworkFactory(
            name="BIN Far", municipality=self.far_municipality, area=square(3.70, 51.05)
        )
        self.people = {}
        for role in (Role.MEMBER, Role.STEERING, Role.COORDINATOR, Role.OFFICER):
            person = PersonFactory(full_name=f"Our {role}", at=(3.265, 50.825))
            MembershipFactory(network=self.network, person=person, role=role)
            self.people[role] = person
        self.people["zone_staff"] = ZoneStaffFactory(zone=self.zone).person
        self.people["municipal"] = MunicipalPartnerFactory(municipality=self.municipality).person
        self.people["admin"] = PersonFactory(
            full_name="Platform Admin", is_staff=True, is_superuser=True
        )
        self.people["outsider"] = PersonFactory(full_name="Nobody Here")
        self.their_member = PersonFactory(full_name="Their Member", at=(3.305, 50.825))
        MembershipFactory(network=self.other_network, person=self.their_member)
        self.their_coordinator = PersonFactory(full_name="Their Coordinator", at=(3.305, 50.825))
        MembershipFactory(
            network=self.other_network, person=self.their_coordinator, role=Role.COORDINATOR
        )

    def __getattr__(self, name):
        try:
            return self.__dict__["people"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture
def world(db) -> World:
    return World()


# --- A real headless browser ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    import os
    import shutil

    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # are still synchronous, so Django's async-safety check must not trip on them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


PHONE = {"width": 412, "height": 915}
DESKTOP = {"width": 1280, "height": 800}


def _watched_page(browser, live_server, viewport: dict):
    """A page of a fresh browser context on the live server, failing the test afterwards if
    the Content-Security-Policy blocked anything on it."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
    blocked = watch_content_security_policy(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not blocked, f"The Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def page(browser, live_server):
    """The browser on a phone (412×915)."""
    yield from _watched_page(browser, live_server, PHONE)


@pytest.fixture
def desktop(browser, live_server):
    """The browser on a desktop (1280×800)."""
    yield from _watched_page(browser, live_server, DESKTOP)


def watch_content_security_policy(context) -> list[str]:
    """Collect what the browser refused under our Content-Security-Policy on any page of
    the context: an inline script or style that slipped into a template fails the test."""
    blocked: list[str] = []

    def on_page(page) -> None:
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

    context.on("page", on_page)
    return blocked


# --- Map tiles ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _tile_server_process():
    from buurtnet.tests.tiles import TileServer

    server = TileServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_tiles_from_the_internet(settings):
    """No test fetches tiles from the real tile servers: without `tile_server` (or
    `tiles_unreachable`) the maps have no base map at all."""
    settings.MAP_TILES = "none"


@pytest.fixture
def tile_server(_tile_server_process, settings):
    """The maps' base map comes from a local tile server (buurtnet/tests/tiles.py); its
    `requests` counts the tiles served during this test."""
    from buurtnet.tests.tiles import ATTRIBUTION

    _tile_server_process.reset()
    settings.MAP_TILES = _tile_server_process.template
    settings.MAP_TILES_ATTRIBUTION = ATTRIBUTION
    settings.MAP_TILES_ATTRIBUTION_URL = ""
    settings.MAP_TILES_MAX_ZOOM = ""
    return _tile_server_process


@pytest.fixture
def tiles_unreachable(settings) -> str:
    """The base map points at a port nothing listens on: maps must work without tiles."""
    from buurtnet.tests.tiles import ATTRIBUTION, unreachable_template

    settings.MAP_TILES = unreachable_template()
    settings.MAP_TILES_ATTRIBUTION = ATTRIBUTION
    settings.MAP_TILES_ATTRIBUTION_URL = ""
    settings.MAP_TILES_MAX_ZOOM = ""
    return settings.MAP_TILES
