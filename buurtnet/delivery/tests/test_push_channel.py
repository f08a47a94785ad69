"""Web push against a local fake push service, and the member's push settings pages."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.urls import reverse
from py_vapid import Vapid

from buurtnet.delivery.channels import Envelope, TransportError
from buurtnet.delivery.channels.push import WebPushTransport
from buurtnet.delivery.management.commands.vapid_keys import new_vapid_keys
from buurtnet.delivery.models import PushSubscription
from buurtnet.people.tests.factories import PersonFactory


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """The keys a browser makes when it subscribes: a P-256 pair and a 16-byte secret."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.keys = {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


class PushService(ThreadingHTTPServer):
    """Records every POST; answers 410 under /gone/, 500 under /broken/, else 201."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), PushHandler)
        self.received = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class PushHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is visible

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "peer": self.client_address,
            }
        )
        status = 410 if self.path.startswith("/gone/") else 500 if "/broken/" in self.path else 201
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def vapid(settings):
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@buurtnet.example.be"
    settings.PUSH_ALLOW_LOOPBACK_HTTP = True
    return public


@pytest.fixture
def push_service():
    server = PushService()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def transport(vapid):
    transport = WebPushTransport()
    transport.open()
    yield transport
    transport.close()


def subscribe(person, push_service, browser: Browser, path: str = "/push/") -> PushSubscription:
    return PushSubscription.objects.create(
        person=person,
        endpoint=f"{push_service.url}{path}{os.urandom(6).hex()}",
        **browser.keys,
    )


def envelope(person, **fields) -> Envelope:
    values = {
        "delivery_id": 1,
        "idempotency_key": f"bn-9-{person.pk}-push",
        "channel": "push",
        "to": str(person.pk),
        "person_id": person.pk,
        "language": "nl",
        "subject": "Inbraak in de Kerkstraat",
        "text": "Let op verdachte personen.",
        "url": "/messages/9/",
    }
    return Envelope(**(values | fields))


# --- The transport ------------------------------------------------------------------------


@pytest.mark.django_db
def test_payload_decrypts_to_the_message(transport, push_service):
    person, browser = PersonFactory(), Browser()
    subscribe(person, push_service, browser)
    transport.send(envelope(person))
    [request] = push_service.received
    assert browser.decrypt(request["body"]) == {
        "title": "Inbraak in de Kerkstraat",
        "body": "Let op verdachte personen.",
        "url": "/messages/9/",
        "urgent": False,
        "tag": f"bn-9-{person.pk}-push",
    }


@pytest.mark.django_db
def test_long_text_is_cut_to_fit_one_push_message(transport, push_service):
    person, browser = PersonFactory(), Browser()
    subscribe(person, push_service, browser)
    transport.send(envelope(person, text='"Pas op" — ' * 1000))
    [request] = push_service.received
    assert len(request["body"]) <= 4096
    assert browser.decrypt(request["body"])["body"].startswith('"Pas op" — ')


@pytest.mark.django_db
def test_urgent_message_asks_for_high_urgency(transport, push_service):
    person, browser = PersonFactory(), Browser()
    subscribe(person, push_service, browser)
    transport.send(envelope(person, urgent=True))
    [request] = push_service.received
    assert request["headers"]["urgency"] == "high"
    assert browser.decrypt(request["body"])["urgent"] is True


@pytest.mark.django_db
def test_push_topic_is_the_idempotency_key(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser())
    transport.send(envelope(person))
    [request] = push_service.received
    assert request["headers"]["topic"] == f"bn-9-{person.pk}-push"


@pytest.mark.django_db
def test_push_has_a_time_to_live_of_hours(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser())
    transport.send(envelope(person))
    [request] = push_service.received
    assert 3600 <= int(request["headers"]["ttl"]) <= 24 * 3600


@pytest.mark.django_db
def test_push_is_signed_with_the_vapid_key(transport, push_service, vapid):
    person = PersonFactory()
    subscribe(person, push_service, Browser())
    transport.send(envelope(person))
    [request] = push_service.received
    authorization = request["headers"]["authorization"]
    assert Vapid.verify(authorization)
    assert authorization.endswith(f"k={vapid}")


@pytest.mark.django_db
def test_every_device_of_the_person_gets_the_message(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser())
    subscribe(person, push_service, Browser())
    subscribe(PersonFactory(), push_service, Browser())
    transport.send(envelope(person))
    assert len(push_service.received) == 2


@pytest.mark.django_db
def test_one_http_connection_serves_the_batch(transport, push_service):
    people = [PersonFactory() for _ in range(3)]
    for person in people:
        subscribe(person, push_service, Browser())
    for person in people:
        transport.send(envelope(person))
    assert len({request["peer"] for request in push_service.received}) == 1


@pytest.mark.django_db
def test_gone_subscription_is_deleted(transport, push_service):
    person = PersonFactory()
    gone = subscribe(person, push_service, Browser(), path="/gone/")
    kept = subscribe(person, push_service, Browser())
    transport.send(envelope(person))
    assert list(PushSubscription.objects.all()) == [kept]
    assert not PushSubscription.objects.filter(pk=gone.pk).exists()


@pytest.mark.django_db
def test_send_succeeds_when_one_device_accepts(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser(), path="/gone/")
    subscribe(person, push_service, Browser(), path="/broken/")
    subscribe(person, push_service, Browser())
    assert transport.send(envelope(person)).state == "sent"


@pytest.mark.django_db
def test_no_subscription_is_permanent_no_push(transport):
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(PersonFactory()))
    assert (caught.value.permanent, caught.value.reason) == (True, "no_push")


@pytest.mark.django_db
def test_only_gone_subscriptions_is_permanent_no_push(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser(), path="/gone/")
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(person))
    assert (caught.value.permanent, caught.value.reason) == (True, "no_push")


@pytest.mark.django_db
def test_push_service_failure_is_transient(transport, push_service):
    person = PersonFactory()
    subscribe(person, push_service, Browser(), path="/broken/")
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(person))
    assert not caught.value.permanent
    assert PushSubscription.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_unreachable_push_service_is_transient(transport, push_service):
    person = PersonFactory()
    PushSubscription.objects.create(
        person=person, endpoint="http://127.0.0.1:1/x", **Browser().keys
    )
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(person))
    assert not caught.value.permanent


@pytest.mark.django_db
def test_without_vapid_keys_push_fails_permanently(settings, push_service):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    person = PersonFactory()
    subscribe(person, push_service, Browser())
    transport = WebPushTransport()
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(envelope(person))
    assert caught.value.permanent
    assert not push_service.received


def test_vapid_keys_command_prints_a_usable_pair(capsys):
    call_command("vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    public, private = lines["VAPID_PUBLIC_KEY"], lines["VAPID_PRIVATE_KEY"]
    signer = Vapid.from_string(private)
    derived = signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert b64url_decode(public) == derived
    assert len(derived) == 65  # the uncompressed point the browser's applicationServerKey takes


# --- The member's push settings ---------------------------------------------------------------


def subscription_json(endpoint: str = "https://push.example.net/send/abc", **keys) -> str:
    return json.dumps({"endpoint": endpoint, "keys": Browser().keys | keys})


@pytest.fixture
def member(db):
    return PersonFactory()


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def post_subscription(client, body: str):
    return client.post(reverse("channels:push_subscribe"), body, content_type="application/json")


def test_push_page_needs_login(client, db):
    response = client.get(reverse("channels:push"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_push_page_says_not_available_without_vapid(member_client, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    response = member_client.get(reverse("channels:push"))
    assert "not available on this installation" in response.content.decode()
    assert b"push-subscribe.js" not in response.content


def test_push_page_hands_the_public_key_to_the_script(member_client, vapid):
    response = member_client.get(reverse("channels:push"))
    assert f'data-public-key="{vapid}"'.encode() in response.content
    assert b'src="/static/js/push-subscribe.js"' in response.content


def test_push_page_lists_only_own_devices(member_client, member, vapid):
    firefox = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
    PushSubscription.objects.create(
        person=member,
        endpoint="https://push.example.net/mine",
        user_agent=firefox,
        **Browser().keys,
    )
    PushSubscription.objects.create(
        person=PersonFactory(), endpoint="https://push.example.net/theirs", **Browser().keys
    )
    response = member_client.get(reverse("channels:push"))
    assert len(response.context["devices"]) == 1
    assert "Firefox on Android" in response.content.decode()


def test_subscribe_stores_the_device_for_the_member(member_client, member, vapid):
    response = post_subscription(member_client, subscription_json())
    assert response.status_code == 201
    assert PushSubscription.objects.get().person == member


def test_subscribing_the_same_endpoint_twice_keeps_one_device(member_client, vapid):
    post_subscription(member_client, subscription_json())
    response = post_subscription(member_client, subscription_json())
    assert response.status_code == 200
    assert PushSubscription.objects.count() == 1


def test_subscribe_accepts_loopback_http_only_where_allowed(member_client, settings, vapid):
    settings.PUSH_ALLOW_LOOPBACK_HTTP = False
    response = post_subscription(member_client, subscription_json("http://127.0.0.1:9/send/abc"))
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_subscribe_refuses_plain_http_endpoint(member_client, vapid):
    response = post_subscription(member_client, subscription_json("http://push.example.net/x"))
    assert response.status_code == 400
    assert "cannot send to" in response.json()["error"]


def test_subscribe_refuses_ip_address_endpoint(member_client, vapid):
    response = post_subscription(member_client, subscription_json("https://10.0.0.5/x"))
    assert response.status_code == 400


def test_subscribe_refuses_keys_that_are_not_a_p256_point(member_client, vapid):
    body = subscription_json(p256dh=b64url(b"\x04" + b"\x01" * 64))
    response = post_subscription(member_client, body)
    assert response.status_code == 400
    assert "encryption keys" in response.json()["error"]


def test_subscribe_refuses_a_short_auth_secret(member_client, vapid):
    response = post_subscription(member_client, subscription_json(auth=b64url(b"short")))
    assert response.status_code == 400


def test_subscribe_refuses_malformed_json(member_client, vapid):
    response = post_subscription(member_client, "{not json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_subscribe_needs_login(client, db, vapid):
    response = post_subscription(client, subscription_json())
    assert response.status_code == 401


def test_subscribe_when_push_is_not_configured_is_refused(member_client, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    response = post_subscription(member_client, subscription_json())
    assert response.status_code == 409


def test_remove_deletes_own_device(member_client, member):
    device = PushSubscription.objects.create(
        person=member, endpoint="https://push.example.net/mine", **Browser().keys
    )
    response = member_client.post(reverse("channels:push_remove", args=[device.pk]))
    assert response.status_code == 302
    assert not PushSubscription.objects.exists()


def test_remove_another_persons_device_is_404(member_client):
    device = PushSubscription.objects.create(
        person=PersonFactory(), endpoint="https://push.example.net/theirs", **Browser().keys
    )
    response = member_client.post(reverse("channels:push_remove", args=[device.pk]))
    assert response.status_code == 404
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_service_worker_may_control_the_whole_site(client):
    response = client.get(reverse("channels:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in response.content


def test_settings_page_links_to_push(member_client):
    response = member_client.get(reverse("people:preferences"))
    assert reverse("channels:push").encode() in response.content
