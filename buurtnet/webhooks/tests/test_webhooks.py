"""Outgoing webhooks: registering, signing, retrying, the log, and what never leaves."""

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.messaging import services as messaging
from buurtnet.networks.tests.factories import ZoneStaffFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.reports import services as reports
from buurtnet.reports.models import ReportStatus
from buurtnet.webhooks import services
from buurtnet.webhooks.models import (
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookState,
)

ALL_EVENTS = list(EventType.values)


class Receiver(ThreadingHTTPServer):
    """A zone's system on a free local port: records every POST and answers with the
    next status of `answers` (the last one repeats)."""

    daemon_threads = True

    def __init__(self, answers=(200,)) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.answers = list(answers)
        self.received: list[dict] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"

    def next_status(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(
            {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        )
        self.send_response(self.server.next_status())
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def start(answers=(200,)) -> Receiver:
    server = Receiver(answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    servers = []

    def make(answers=(200,)) -> Receiver:
        servers.append(start(answers))
        return servers[-1]

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def endpoint_for(world, url: str, events=None, **fields) -> WebhookEndpoint:
    return services.create_endpoint(
        world.zone_staff,
        world.zone,
        services.EndpointInput(url=url, events=events or ALL_EVENTS, **fields),
    )


def notice(world, title="Straatfeest", body="De straat is zondag afgesloten."):
    return messaging.Draft(
        kind="notice",
        language="nl",
        texts={"nl": {"title": title, "body": body, "sms_text": ""}},
        target={"type": "networks", "networks": [world.network.pk]},
    )


def report_input(world, description: str) -> reports.ReportInput:
    return reports.ReportInput(
        network_id=world.network.pk,
        category_id=reports.categories_for(world.zone).first().pk,
        occurred_at=timezone.now() - timedelta(minutes=10),
        longitude=3.265,
        latitude=50.825,
        description=description,
        vehicle_plate="1-ABC-123",
    )


def verify_like_a_receiver(secret: str, headers: dict, body: bytes) -> bool:
    """What docs/webhooks.md tells a receiver to do, written independently of the code."""
    fields = dict(item.split("=", 1) for item in headers["buurtnet-signature"].split(",")[:1])
    signatures = [
        item.split("=", 1)[1]
        for item in headers["buurtnet-signature"].split(",")
        if item.startswith("v1=")
    ]
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


# --- Signing -------------------------------------------------------------------------------


def test_a_receiver_can_verify_the_signature_and_the_event_id(world, receiver, now_sends):
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    event = now_sends(services.send_test, endpoint, world.zone_staff)
    (request,) = server.received
    assert verify_like_a_receiver(endpoint.secret, request["headers"], request["body"])
    assert services.verify(
        endpoint.secret, request["headers"]["buurtnet-signature"], request["body"]
    )
    assert not verify_like_a_receiver("whsec_wrong", request["headers"], request["body"])
    assert request["headers"]["buurtnet-event-id"] == str(event.event_id)
    assert json.loads(request["body"])["id"] == str(event.event_id)
    assert request["headers"]["content-type"] == "application/json"


def test_a_tampered_body_or_an_old_timestamp_does_not_verify(world):
    body = b'{"id":"x"}'
    header = services.signature_header(["whsec_s"], 1_700_000_000, body)
    assert services.verify("whsec_s", header, body, now=1_700_000_010)
    assert not services.verify("whsec_s", header, body + b" ", now=1_700_000_010)
    assert not services.verify("whsec_s", header, body, now=1_700_000_000 + 3600)


def test_after_a_rotation_both_secrets_sign_for_a_while(world, receiver, now_sends):
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    old = endpoint.secret
    services.rotate_secret(endpoint, world.zone_staff)
    assert endpoint.secret != old
    now_sends(services.send_test, endpoint, world.zone_staff)
    (request,) = server.received
    assert verify_like_a_receiver(endpoint.secret, request["headers"], request["body"])
    assert verify_like_a_receiver(old, request["headers"], request["body"])
    endpoint.previous_secret_until = timezone.now() - timedelta(seconds=1)
    assert endpoint.signing_secrets() == [endpoint.secret]


# --- Retries -------------------------------------------------------------------------------


def test_a_failing_receiver_is_retried_with_back_off_until_it_answers(
    world, receiver, now_sends, settings
):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 60
    server = receiver(answers=(500, 503, 200))
    endpoint = endpoint_for(world, server.url)
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("retry", 1, 500)
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=59) < first_wait <= timedelta(seconds=61)

    # Not due yet: nothing happens.
    assert services.retry_due(now=timezone.now()) == 0
    assert services.retry_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("retry", 2, 503)
    second_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=119) < second_wait <= timedelta(seconds=121)

    assert services.retry_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)
    assert delivery.delivered_at is not None
    # Every attempt carried the same event id, so the receiver can drop a duplicate.
    assert len({r["headers"]["buurtnet-event-id"] for r in server.received}) == 1
    assert len(server.received) == 3


def test_a_delivery_fails_for_good_after_the_last_attempt(world, receiver, now_sends, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    server = receiver(answers=(500,))
    endpoint = endpoint_for(world, server.url)
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    while delivery.state == WebhookState.AWAITING_RETRY:
        services.retry_due(now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at is None
    assert services.retry_due(now=timezone.now() + timedelta(days=1)) == 0
    assert len(server.received) == 3


def test_an_unreachable_receiver_is_retried(world, receiver, now_sends):
    server = receiver()
    url = server.url
    server.shutdown()
    server.server_close()
    endpoint = endpoint_for(world, url)
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == WebhookState.AWAITING_RETRY
    assert delivery.last_status_code is None
    assert "Connect" in delivery.last_error


def test_a_delivery_whose_task_was_lost_is_sent_by_the_periodic_pass(world, receiver):
    """The worker (or its queue) went away between the commit and the send: the row
    remembers, the tick finds it."""
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    services.send_test(endpoint, world.zone_staff)  # its on_commit never runs here
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == WebhookState.QUEUED
    assert services.retry_due() == 0
    assert services.retry_due(now=timezone.now() + services.LOST_AFTER) == 1
    delivery.refresh_from_db()
    assert delivery.state == WebhookState.DELIVERED
    assert len(server.received) == 1


def test_an_attempt_whose_worker_died_is_taken_over(world, receiver):
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    services.send_test(endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    past = timezone.now() - timedelta(minutes=5)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookState.SENDING, attempts=1, lease_until=past, next_attempt_at=past
    )
    assert services.retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)


def test_a_task_enqueued_twice_sends_once(world, receiver, now_sends):
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert services.deliver(delivery.pk, 1) == ""
    assert len(server.received) == 1


# --- Which events, to whom -----------------------------------------------------------------


def test_a_sent_message_reaches_the_zones_endpoints_that_listen(world, receiver, now_sends):
    server = receiver()
    listening = endpoint_for(world, server.url, events=["message.sent"])
    endpoint_for(world, server.url + "/reports", events=["report.created"])
    endpoint_for(world, server.url + "/off", is_active=False)
    message = now_sends(messaging.submit, world.officer, notice(world))
    (request,) = server.received
    payload = json.loads(request["body"])
    assert payload["type"] == "message.sent"
    assert payload["data"]["message"]["id"] == message.pk
    assert payload["data"]["message"]["networks"] == [world.network.pk]
    assert payload["data"]["message"]["url"].endswith(f"/api/v1/messages/{message.pk}")
    assert WebhookDelivery.objects.get().endpoint == listening


def test_another_zones_events_do_not_reach_our_endpoint(world, receiver, now_sends):
    server = receiver()
    endpoint_for(world, server.url)
    far_officer = world.far_network.memberships.model.objects.create(
        network=world.far_network, person=world.outsider, role="officer", status="approved"
    ).person
    draft = notice(world)
    draft.target = {"type": "networks", "networks": [world.far_network.pk]}
    now_sends(messaging.submit, far_officer, draft)
    assert server.received == []
    assert not WebhookEvent.objects.exists()


def test_a_zone_without_an_endpoint_costs_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.emit(world.zone.pk, "message.sent", lambda: 1 / 0) is None


def test_reports_send_no_personal_data(world, receiver, now_sends):
    server = receiver()
    endpoint_for(world, server.url)
    report = now_sends(
        reports.file_report, world.member, report_input(world, "Grijze bestelwagen Qsecret")
    )
    now_sends(reports.change_status, report, world.officer, ReportStatus.ACKNOWLEDGED)
    bodies = [r["body"].decode() for r in server.received]
    assert [json.loads(b)["type"] for b in bodies] == ["report.created", "report.status_changed"]
    changed = json.loads(bodies[1])["data"]["report"]
    assert (changed["previous_status"], changed["status"]) == ("new", "acknowledged")
    assert changed["network"] == world.network.pk
    personal = [
        "Qsecret",
        "1-ABC-123",
        "1ABC123",
        world.member.full_name,
        world.member.email,
        world.member.phone,
        world.officer.full_name,
        "50.825",
        "3.265",
    ]
    for body in bodies:
        for value in personal:
            assert value not in body
        assert set(json.loads(body)["data"]["report"]) <= {
            "id",
            "network",
            "category",
            "status",
            "previous_status",
            "outcome",
            "created_at",
            "changed_at",
            "due_at",
            "url",
        }


def test_a_message_event_carries_no_text_and_no_sender(world, receiver, now_sends):
    server = receiver()
    endpoint_for(world, server.url)
    now_sends(messaging.submit, world.officer, notice(world, "Titel Qtitle", "Tekst Qbody"))
    (request,) = server.received
    body = request["body"].decode()
    for value in ("Qtitle", "Qbody", world.officer.full_name, world.officer.email):
        assert value not in body


# --- Addresses (SSRF) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/in",
        "https://10.1.2.3/in",
        "https://192.168.0.10/in",
        "https://172.16.5.4/in",
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/in",
        "https://2130706433/in",
        "https://0x7f.1/in",
        "https://[::1]/in",
        "https://[fd00::1]/in",
        "https://[::ffff:10.0.0.1]/in",
        "https://[2002:7f00:1::1]/in",  # 6to4 wrapping 127.0.0.1
        "https://[2002:a9fe:a9fe::1]/in",  # 6to4 wrapping 169.254.169.254
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in",  # Teredo
        "https://[64:ff9b::a00:1]/in",  # NAT64 wrapping 10.0.0.1
        "https://localhost/in",
        "https://printer.local/in",
        "https://0.0.0.0/in",
        "ftp://hooks.example.org/in",
        "https://user:pass@hooks.example.org/in",
    ],
)
def test_private_local_and_unencrypted_addresses_are_refused(world, client, settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    log_in(client, world.zone_staff)
    answer = client.post(
        reverse("webhooks:zone", args=[world.zone.code]),
        {"url": url, "events": ["message.sent"], "is_active": "on"},
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_the_refusal_says_why(world, client, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    log_in(client, world.zone_staff)
    url = reverse("webhooks:zone", args=[world.zone.code])
    answer = client.post(url, {"url": "https://192.168.1.1/x", "events": ["message.sent"]})
    assert b"private or local network" in answer.content
    answer = client.post(url, {"url": "http://hooks.example.org/", "events": ["message.sent"]})
    assert b"Only https:// URLs" in answer.content


def test_a_name_that_resolves_inside_is_refused_when_sending(
    world, settings, now_sends, monkeypatch
):
    """The name looked public when it was saved; before each attempt the addresses it
    resolves to are checked again (a DNS record changed to point inside)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    endpoint = endpoint_for(world, "https://hooks.example.org/x")
    monkeypatch.setattr(
        "socket.getaddrinfo",
        lambda host, port, **kw: [(2, 1, 6, "", ("10.0.0.5", port))],
    )
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert "private or local address" in delivery.last_error


def test_the_address_that_was_checked_is_the_one_connected_to(
    world, receiver, now_sends, monkeypatch
):
    """DNS rebinding: the name resolves to an allowed address for the check and elsewhere
    right after. The request goes to the checked address, with the name as Host."""
    server = receiver()
    port = server.server_address[1]
    endpoint = endpoint_for(world, f"http://localhost:{port}/hook")
    real, answers = socket.getaddrinfo, iter(["127.0.0.1"])

    def rebinding(host, p, *args, **kw):
        if host != "localhost":
            return real(host, p, *args, **kw)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "10.0.0.5"), p))]

    monkeypatch.setattr("socket.getaddrinfo", rebinding)
    now_sends(services.send_test, endpoint, world.zone_staff)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.last_error) == (WebhookState.DELIVERED, "")
    (request,) = server.received
    assert request["headers"]["host"] == f"localhost:{port}"


class SlowHandler(BaseHTTPRequestHandler):
    """Answers at once, then sends its body a few bytes at a time for a long while."""

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(10_000_000))
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"busy " * 20)
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass  # the platform hung up, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    servers = []

    def make(status: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
        server.daemon_threads = True
        server.status = status
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_slow_body_after_a_success_does_not_hold_the_worker(world, slow_receiver, now_sends):
    server = slow_receiver(200)
    endpoint = endpoint_for(world, f"http://127.0.0.1:{server.server_address[1]}/hook")
    started = time.monotonic()
    now_sends(services.send_test, endpoint, world.zone_staff)
    assert time.monotonic() - started < 3
    assert WebhookDelivery.objects.get(endpoint=endpoint).state == WebhookState.DELIVERED


def test_a_refusal_is_logged_with_the_start_of_its_body_within_the_timeout(
    world, slow_receiver, now_sends, settings
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    server = slow_receiver(500)
    endpoint = endpoint_for(world, f"http://127.0.0.1:{server.server_address[1]}/hook")
    started = time.monotonic()
    now_sends(services.send_test, endpoint, world.zone_staff)
    assert time.monotonic() - started < 4
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.state, delivery.last_status_code) == (WebhookState.AWAITING_RETRY, 500)
    assert "HTTP 500" in delivery.last_error
    assert "busy" in delivery.last_error


def test_loopback_over_http_is_allowed_only_when_the_setting_says_so(world, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert endpoint_for(world, "http://127.0.0.1:8123/hook").pk
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(Exception, match="https"):
        endpoint_for(world, "http://127.0.0.1:8123/hook")


# --- Pages ---------------------------------------------------------------------------------


def test_zone_staff_register_an_endpoint_and_see_its_secret(world, client, settings):
    log_in(client, world.zone_staff)
    answer = client.post(
        reverse("webhooks:zone", args=[world.zone.code]),
        {
            "url": "https://dispatch.pz-ours.example/buurtnet",
            "description": "Dispatching",
            "events": ["message.sent", "report.created"],
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("webhooks:endpoint", args=[endpoint.pk])
    assert endpoint.events == ["message.sent", "report.created"]
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 30
    page = client.get(answer["Location"])
    assert endpoint.secret.encode() in page.content
    listing = client.get(reverse("webhooks:zone", args=[world.zone.code]))
    assert b"dispatch.pz-ours.example" in listing.content


def test_an_endpoint_needs_an_event(world, client):
    log_in(client, world.zone_staff)
    answer = client.post(
        reverse("webhooks:zone", args=[world.zone.code]),
        {"url": "https://dispatch.example/x", "events": []},
    )
    assert answer.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_status_attempts_code_and_error(world, client, receiver, now_sends):
    server = receiver(answers=(502,))
    endpoint = endpoint_for(world, server.url)
    now_sends(services.send_test, endpoint, world.zone_staff)
    log_in(client, world.zone_staff)
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk]))
    assert page.status_code == 200
    (row,) = page.context["page"].object_list
    assert (row.state, row.attempts, row.last_status_code) == ("retry", 1, 502)
    content = page.content.decode()
    assert "502" in content and "Waiting to retry" in content and "webhook.test" in content


def test_the_test_button_sends_a_test_event(
    world, client, receiver, django_capture_on_commit_callbacks
):
    server = receiver()
    endpoint = endpoint_for(world, server.url)
    log_in(client, world.zone_staff)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("webhooks:test", args=[endpoint.pk]))
    assert answer.status_code == 302
    (request,) = server.received
    assert json.loads(request["body"])["type"] == "webhook.test"


def test_rotating_and_deleting_through_the_pages(world, client):
    endpoint = endpoint_for(world, "https://dispatch.example/x")
    old = endpoint.secret
    log_in(client, world.zone_staff)
    client.post(reverse("webhooks:rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    client.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


def test_another_zones_staff_cannot_see_or_change_our_endpoints(world, client):
    endpoint = endpoint_for(world, "https://dispatch.example/x")
    secret = endpoint.secret
    far_staff = ZoneStaffFactory(zone=world.other_zone).person
    log_in(client, far_staff)
    assert client.get(reverse("webhooks:zone", args=[world.zone.code])).status_code == 404
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk]))
    assert page.status_code == 404
    assert secret.encode() not in page.content
    for name in ("endpoint", "rotate", "test", "delete"):
        answer = client.post(
            reverse(f"webhooks:{name}", args=[endpoint.pk]),
            {"url": "https://evil.example/x", "events": ["message.sent"]},
        )
        assert answer.status_code == 404
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.secret) == ("https://dispatch.example/x", secret)
    assert not WebhookEvent.objects.exists()
    # Their own zone's page is theirs.
    assert client.get(reverse("webhooks:zone", args=[world.other_zone.code])).status_code == 200


@pytest.mark.parametrize("role", ["member", "coordinator", "officer", "municipal"])
def test_people_of_a_bin_cannot_manage_the_zones_endpoints(world, client, role):
    endpoint = endpoint_for(world, "https://dispatch.example/x")
    log_in(client, getattr(world, role))
    assert client.get(reverse("webhooks:zone", args=[world.zone.code])).status_code == 404
    assert client.get(reverse("webhooks:endpoint", args=[endpoint.pk])).status_code == 404


def test_old_finished_events_are_purged_and_pending_ones_kept(world, receiver, now_sends):
    server = receiver(answers=(200, 500))
    endpoint = endpoint_for(world, server.url)
    now_sends(services.send_test, endpoint, world.zone_staff)  # delivered
    now_sends(services.send_test, endpoint, world.zone_staff)  # waiting to retry
    later = timezone.now() + timedelta(days=31)
    assert services.purge_log(now=later) == 1
    assert WebhookDelivery.objects.get().state == WebhookState.AWAITING_RETRY
    assert services.purge_log(now=timezone.now()) == 0
