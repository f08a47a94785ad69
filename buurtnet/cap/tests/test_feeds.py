import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from buurtnet.cap import services
from buurtnet.cap.models import CapFeed, CapImport, ImportOrigin, ImportOutcome
from buurtnet.people.tests.factories import PersonFactory

from .conftest import cap_alert


class FakeFeeds:
    """A local HTTP server answering each path with the (status, body) set for it."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.hits: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                fake.hits.append(self.path)
                status, body = fake.pages.get(self.path, (404, b"not here"))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feeds():
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
