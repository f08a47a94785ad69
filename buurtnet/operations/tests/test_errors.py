import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client

from buurtnet.operations.errors import before_send, before_send_span, init_sentry, scrub_text

from .sentry_urls import EMAIL, PHONE

pytestmark = pytest.mark.django_db


class FakeSentry(ThreadingHTTPServer):
    """Sentry's ingestion endpoint as the SDK speaks to it: POST /api/<project>/envelope/."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), EnvelopeHandler)
        self.envelopes: list[bytes] = []

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/42"


class EnvelopeHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        if self.path == "/api/42/envelope/":
            self.server.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the SDK sends nothing for the rest of the session
    server.shutdown()
    server.server_close()


def events(server: FakeSentry) -> list[dict]:
    """The event items of every envelope received (an envelope: header line, then items)."""
    found = []
    for envelope in server.envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_error_in_a_view_reaches_sentry_without_personal_data(fake_sentry, settings):
    settings.ROOT_URLCONF = "buurtnet.operations.tests.sentry_urls"
    init_sentry(fake_sentry.dsn, environment="test", traces_sample_rate=0, release="0.1.0")
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session-of-" + EMAIL
    response = client.post(
        f"/fail/?email={EMAIL}", {"phone": PHONE, "email": EMAIL}, HTTP_X_MEMBER=EMAIL
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    received = events(fake_sentry)
    assert received, "no event reached the fake Sentry"
    assert received[0]["exception"]["values"][-1]["type"] == "ValueError"
    raw = b"".join(fake_sentry.envelopes).decode()
    assert EMAIL not in raw
    assert "470" not in raw
    assert "a-session-of" not in raw
    assert "member_email" not in raw or '"vars"' not in raw


def test_scrubbing_replaces_addresses_and_phone_numbers():
    text = scrub_text(f"mail {EMAIL}, call {PHONE} or 0470123456, line 1234, 2026-12-07")
    assert text == "mail [Filtered], call [Filtered] or [Filtered], line 1234, 2026-12-07"


def test_before_send_keeps_only_the_pattern_of_the_request(settings):
    settings.ROOT_URLCONF = "buurtnet.operations.tests.sentry_urls"
    event = {
        "request": {
            "url": "https://buurtnet.example/fail/?email=x",
            "method": "POST",
            "query_string": "email=x",
            "cookies": {"sessionid": "s"},
            "data": {"email": "x"},
            "headers": {"Cookie": "sessionid=s", "User-Agent": "probe"},
        },
        "user": {"id": 7, "email": EMAIL, "ip_address": "203.0.113.7"},
        "extra": {"phone": PHONE},
    }
    scrubbed = before_send(event)
    assert scrubbed["request"] == {
        "method": "POST",
        "url": "https://buurtnet.example/fail/",
        "headers": {"User-Agent": "probe"},
    }
    assert scrubbed["user"] == {"id": 7}
    assert "extra" not in scrubbed


TOKEN = "a1b2c3d4e5f6SecretSeenToken"


def wsgi_get(path: str, query: str = "") -> int:
    """A request through Django's WSGI handler, as gunicorn makes it: Sentry's tracing and
    request data come from there (the test client bypasses it)."""
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "buurtnet.example"}
    setup_testing_defaults(environ)
    answered = []
    body = WSGIHandler()(environ, lambda status, headers: answered.append(status))
    b"".join(body)
    return int(answered[0].split()[0])


def test_error_on_a_link_with_a_secret_token_reaches_sentry_without_the_token(
    fake_sentry, settings
):
    settings.ROOT_URLCONF = "buurtnet.operations.tests.sentry_urls"
    settings.ALLOWED_HOSTS = ["buurtnet.example"]
    init_sentry(fake_sentry.dsn, environment="test", traces_sample_rate=1.0, release="0.1.0")
    assert wsgi_get(f"/seen/{TOKEN}/", query=f"key={TOKEN}") == 500
    sentry_sdk.flush(timeout=5)
    [event] = events(fake_sentry)
    assert event["request"]["url"] == "http://buurtnet.example/seen/<str:token>/"
    raw = b"".join(fake_sentry.envelopes).decode()
    assert '"type":"span"' in raw, "the traced request sent no spans"
    assert TOKEN not in raw


def test_a_span_of_a_request_no_pattern_matched_keeps_no_part_of_its_path(settings):
    settings.ROOT_URLCONF = "buurtnet.operations.tests.sentry_urls"
    span = {
        "name": f"/seen-typo/{TOKEN}/",
        "attributes": {
            "sentry.op": "http.server",
            "url.full": f"https://buurtnet.example/seen-typo/{TOKEN}/?key={TOKEN}",
            "url.path": f"/seen-typo/{TOKEN}/",
            "url.query": f"key={TOKEN}",
            "sentry.segment.name": f"/seen-typo/{TOKEN}/",
        },
    }
    sent = before_send_span(span)
    assert sent["name"] == "/*/*/"
    assert sent["attributes"] == {
        "sentry.op": "http.server",
        "url.full": "https://buurtnet.example/*/*/",
        "url.path": "/*/*/",
        "sentry.segment.name": "/*/*/",
    }
