import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from buurtnet.cap import services
from buurtnet.cap.models import CapFeed, CapImport, ImportOrigin, ImportOutcome
from buurtnet.people.tests.factories import PersonFactory

from .conftest import cap_alert


class FakeFeeds:
    """A local HTTP server answering each path with the (status, body) set for it, after
    the delay set for it, with the extra headers set for it (a redirect's Location)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.delays: dict[str, float] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.hits: list[str] = []
        self.hosts: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                fake.hits.append(self.path)
                fake.hosts.append(self.headers.get("Host", ""))
                time.sleep(fake.delays.get(self.path, 0))
                status, body = fake.pages.get(self.path, (404, b"not here"))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                for name, value in fake.headers.get(self.path, {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feeds(settings):
    settings.CAP_ALLOW_LOOPBACK = True
    fake = FakeFeeds()
    yield fake
    fake.close()


def feed(world, url: str, owner=None) -> CapFeed:
    return CapFeed.objects.create(
        zone=world.zone, name="Crisis centre", url=url, owner=owner or world.zone_staff
    )


def atom(*entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Alerts</title><id>urn:x</id><updated>2026-11-29T10:00:00Z</updated>"
        + "".join(f"<entry><id>urn:{i}</id>{e}</entry>" for i, e in enumerate(entries))
        + "</feed>"
    ).encode()


def embedded(identifier: str) -> str:
    return (
        "<content type='text/xml'>"
        + cap_alert(identifier).split(b"?>", 1)[1].decode()
        + ("</content>")
    )


def test_feed_giving_one_cap_document_is_imported(world, places, feeds):
    feeds.pages["/alert.xml"] = (200, cap_alert())
    source = feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 1

    record = CapImport.objects.get()
    assert (record.origin, record.feed, record.outcome) == (
        ImportOrigin.FEED,
        source,
        ImportOutcome.DRAFTED,
    )
    assert record.message.sender == world.zone_staff


def test_atom_feed_entries_holding_or_linking_to_alerts_are_imported(world, places, feeds):
    feeds.pages["/feed.atom"] = (
        200,
        atom(embedded("A-1"), '<link rel="alternate" type="application/cap+xml" href="/a2.xml"/>'),
    )
    feeds.pages["/a2.xml"] = (200, cap_alert("A-2"))
    feed(world, feeds.url + "/feed.atom")

    assert services.poll_sources() == 2

    assert set(CapImport.objects.values_list("identifier", flat=True)) == {"A-1", "A-2"}


def test_feed_is_read_again_only_after_its_interval_and_repeats_are_skipped(world, places, feeds):
    feeds.pages["/alert.xml"] = (200, cap_alert())
    source = feed(world, feeds.url + "/alert.xml")
    now = timezone.now()
    services.poll_sources(now)

    assert services.poll_sources(now + timedelta(minutes=1)) == 0
    assert len(feeds.hits) == 1
    assert services.poll_sources(now + timedelta(minutes=6)) == 0
    assert len(feeds.hits) == 2
    source.refresh_from_db()
    assert source.last_error == ""
    assert CapImport.objects.count() == 1


def test_failing_feed_records_the_error_and_imports_nothing(world, places, feeds):
    feeds.pages["/alert.xml"] = (500, b"oops")
    source = feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert "500" in source.last_error
    assert not CapImport.objects.exists()


def test_document_over_the_size_limit_is_not_read(world, places, feeds):
    feeds.pages["/big.xml"] = (200, b"<a>" + b"x" * services.MAX_DOCUMENT_BYTES + b"</a>")
    source = feed(world, feeds.url + "/big.xml")

    services.poll_sources()

    source.refresh_from_db()
    assert "too large" in source.last_error


def test_invalid_document_in_a_feed_records_the_schema_error(world, places, feeds):
    document = cap_alert().replace(b"<scope>Public</scope>", b"<scope>Everyone</scope>")
    feeds.pages["/alert.xml"] = (200, document)
    source = feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert "scope" in source.last_error
    assert not CapImport.objects.exists()


def test_feed_whose_owner_is_no_longer_zone_staff_imports_nothing(world, places, feeds):
    feeds.pages["/alert.xml"] = (200, cap_alert())
    source = feed(world, feeds.url + "/alert.xml", owner=PersonFactory())

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert "no longer staff" in source.last_error


# --- Where the platform may connect to ----------------------------------------------------


def resolving(monkeypatch, name: str, *answers: str) -> None:
    """`name` resolves to the answers in turn (the last repeats); other names as usual."""
    real, queue = socket.getaddrinfo, list(answers)

    def fake(host, port, *args, **kwargs):
        if host != name:
            return real(host, port, *args, **kwargs)
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr("socket.getaddrinfo", fake)


def test_feed_whose_name_resolves_inside_is_not_read(world, places, feeds, monkeypatch):
    resolving(monkeypatch, "cap.example.be", "10.0.0.5")
    source = feed(world, "http://cap.example.be/alert.xml")

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert "private or local address" in source.last_error


def test_redirect_to_a_private_address_is_not_followed(world, places, feeds, settings):
    feeds.pages["/alert.xml"] = (302, b"")
    feeds.headers["/alert.xml"] = {"Location": "http://10.0.0.5/alert.xml"}
    source = feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert "private or local network" in source.last_error
    assert feeds.hits == ["/alert.xml"]


def test_linked_document_on_a_private_address_is_not_read(world, places, feeds):
    feeds.pages["/feed.atom"] = (
        200,
        atom(
            '<link type="application/cap+xml" href="http://169.254.169.254/latest/meta-data"/>',
            '<link type="application/cap+xml" href="/a2.xml"/>',
        ),
    )
    feeds.pages["/a2.xml"] = (200, cap_alert("A-2"))
    source = feed(world, feeds.url + "/feed.atom")

    services.poll_sources()

    source.refresh_from_db()
    assert "private or local network" in source.last_error
    assert feeds.hits == ["/feed.atom"]


def test_local_feeds_are_refused_unless_the_setting_allows_them(world, places, feeds, settings):
    settings.CAP_ALLOW_LOOPBACK = False
    feeds.pages["/alert.xml"] = (200, cap_alert())
    source = feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 0

    source.refresh_from_db()
    assert source.last_error
    assert feeds.hits == []


def test_proxy_settings_in_the_environment_are_ignored(world, places, feeds, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9/")
    feeds.pages["/alert.xml"] = (200, cap_alert())
    feed(world, feeds.url + "/alert.xml")

    assert services.poll_sources() == 1


def test_the_address_that_was_checked_is_the_one_connected_to(world, places, feeds, monkeypatch):
    """DNS rebinding: the name resolves to an allowed address for the check and elsewhere
    right after. The request goes to the checked address, with the name as Host."""
    port = feeds.server.server_port
    resolving(monkeypatch, "localhost", "127.0.0.1", "10.0.0.5")
    feeds.pages["/alert.xml"] = (200, cap_alert())
    source = feed(world, f"http://localhost:{port}/alert.xml")

    assert services.poll_sources() == 1

    source.refresh_from_db()
    assert source.last_error == ""
    assert feeds.hosts == [f"localhost:{port}"]


# --- How long a poll may take -------------------------------------------------------------


def test_a_slow_feed_is_stopped_at_its_deadline_and_says_so(world, places, feeds, settings):
    settings.CAP_FEED_SECONDS = 1
    links = [f'<link type="application/cap+xml" href="/a{i}.xml"/>' for i in range(6)]
    feeds.pages["/feed.atom"] = (200, atom(*links))
    for i in range(6):
        feeds.pages[f"/a{i}.xml"] = (200, cap_alert(f"A-{i}"))
        feeds.delays[f"/a{i}.xml"] = 0.4
    source = feed(world, feeds.url + "/feed.atom")
    started = time.monotonic()

    imported = services.poll_sources()

    assert time.monotonic() - started < 2.5
    assert 1 <= imported < 6
    source.refresh_from_db()
    assert "too long" in source.last_error


def test_feeds_left_when_the_ticks_time_is_up_wait_for_the_next_tick(
    world, places, feeds, settings
):
    settings.CAP_POLL_SECONDS_PER_TICK = 0.5
    feeds.pages["/slow.xml"] = (200, cap_alert("SLOW"))
    feeds.delays["/slow.xml"] = 1.5
    feeds.pages["/other.xml"] = (200, cap_alert("OTHER"))
    slow = feed(world, feeds.url + "/slow.xml")
    other = CapFeed.objects.create(
        zone=world.zone, name="Other", url=feeds.url + "/other.xml", owner=world.zone_staff
    )
    started = time.monotonic()

    services.poll_sources()

    assert time.monotonic() - started < 1.5
    slow.refresh_from_db()
    other.refresh_from_db()
    assert slow.last_error
    assert other.last_polled_at is None
    assert "/other.xml" not in feeds.hits
