"""The local SMS gateway simulator, over real HTTP on loopback."""

import collections
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from aiohttp import web
from django.conf import settings

from buurtnet.delivery import simulator
from buurtnet.delivery.simulator import BackgroundServer, SimulatorServer, sign

SECRET = "test-secret"


class Receiver(BackgroundServer):
    """Stands in for the app's hooks: records what the simulator POSTs, answers as told."""

    def __init__(self, answers: list[int] | None = None) -> None:
        super().__init__()
        self.received: list[dict] = []
        self.answers = collections.deque(answers or [])

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hooks/{name}", self.hook)
        return app

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(
            {
                "path": request.path,
                "body": body,
                "signature": request.headers.get(simulator.SIGNATURE_HEADER),
            }
        )
        status = self.answers.popleft() if self.answers else 200
        return web.json_response({"result": "acknowledged"}, status=status)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)


@pytest.fixture
def gateway():
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


def send(server: SimulatorServer, to: str = "+32471234567", key: str = "", text: str = "Hi"):
    headers = {"Idempotency-Key": key} if key else {}
    payload = {"to": to, "from": "Buurtnet", "text": text}
    return httpx.post(f"{server.url}/messages", json=payload, headers=headers)


def test_accepted_message_is_listed_for_its_number(gateway):
    answer = send(gateway, text="Inbraak in de Kerkstraat")
    assert answer.status_code == 201
    assert answer.json()["status"] == "accepted"
    listed = httpx.get(f"{gateway.url}/messages", params={"to": "+32471234567"}).json()
    [message] = listed["messages"]
    assert (message["id"], message["text"]) == (answer.json()["id"], "Inbraak in de Kerkstraat")


def test_listing_for_another_number_shows_nothing(gateway):
    send(gateway)
    listed = httpx.get(f"{gateway.url}/messages", params={"to": "+32479999999"}).json()
    assert listed["messages"] == []


def test_repeated_idempotency_key_answers_the_first_id_and_stores_nothing(gateway):
    first = send(gateway, key="bn-1-2-sms")
    again = send(gateway, key="bn-1-2-sms")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert len(gateway.messages) == 1


def test_stats_count_accepted_and_duplicate_sends(gateway):
    send(gateway, key="a")
    send(gateway, key="a")
    send(gateway, key="b")
    stats = httpx.get(f"{gateway.url}/stats").json()
    assert (stats["accepted"], stats["duplicates"]) == (2, 1)


def test_number_with_the_fail_prefix_is_refused_as_invalid(gateway):
    answer = send(gateway, to="+32470000000" + "5")
    assert answer.status_code == 422
    assert answer.json() == {"error": "invalid number"}
    assert gateway.messages == []


def test_malformed_number_is_refused_as_invalid(gateway):
    assert send(gateway, to="0471 23 45 67").status_code == 422


def test_body_that_is_not_json_is_a_bad_request(gateway):
    answer = httpx.post(f"{gateway.url}/messages", content=b"to=+32471234567")
    assert answer.status_code == 400


def test_injected_failure_answers_the_next_send_only(gateway):
    gateway.fail_next(1, status=503)
    assert send(gateway).status_code == 503
    assert send(gateway).status_code == 201


def test_outage_answers_every_send_with_its_status_then_the_next_one(gateway):
    gateway.go_down(500, 0.3)
    gateway.go_down(429, 0.3, retry_after=7)
    assert [send(gateway).status_code for _ in range(3)] == [500, 500, 500]
    time.sleep(0.35)
    throttled = send(gateway)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    time.sleep(0.35)
    assert send(gateway).status_code == 201
    assert gateway.messages and len(gateway.messages) == 1


def test_every_send_request_is_counted_whatever_its_answer(gateway):
    gateway.go_down(503, 0.2)
    send(gateway)
    time.sleep(0.25)
    send(gateway, key="bn-9-9-sms")
    send(gateway, key="bn-9-9-sms")
    assert [status for _when, status in gateway.requests] == [503, 201, 200]
    assert gateway.stats["requests"] == 3


def test_outage_can_be_planned_over_http(gateway):
    planned = httpx.post(
        f"{gateway.url}/outage", json={"status": 503, "seconds": 60, "retry_after": 30}
    )
    assert planned.status_code == 201
    answer = send(gateway)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "30")


@pytest.mark.parametrize(
    "body", [{}, {"status": 200, "seconds": 5}, {"status": 503, "seconds": -1}, {"status": "x"}]
)
def test_outage_with_bad_values_is_refused_and_plans_nothing(gateway, body):
    assert httpx.post(f"{gateway.url}/outage", json=body).status_code == 400
    assert send(gateway).status_code == 201


def test_receipt_is_posted_to_the_callback_signed_with_the_secret(receiver):
    callback = f"{receiver.url}/hooks/status"
    with SimulatorServer(callback=callback, secret=SECRET, receipt_delay=0) as gateway:
        message_id = send(gateway).json()["id"]
        [hit] = receiver.wait_for(1)
    assert hit["signature"] == sign(SECRET, hit["body"])
    assert json.loads(hit["body"]) == {"id": message_id, "status": "delivered", "error": ""}


def test_receipt_for_an_undeliverable_number_reports_failure(receiver):
    callback = f"{receiver.url}/hooks/status"
    with SimulatorServer(callback=callback, secret=SECRET, receipt_delay=0) as gateway:
        send(gateway, to="+32470000012")
        [hit] = receiver.wait_for(1)
    receipt = json.loads(hit["body"])
    assert (receipt["status"], receipt["error"]) == ("failed", "unknown subscriber")


def test_receipt_the_app_did_not_accept_is_tried_again(monkeypatch):
    monkeypatch.setattr(simulator, "RECEIPT_RETRY_DELAYS", (0.01, 0.01))
    with (
        Receiver(answers=[404]) as app,
        SimulatorServer(
            callback=f"{app.url}/hooks/status", secret=SECRET, receipt_delay=0
        ) as gateway,
    ):
        send(gateway)
        hits = app.wait_for(2)
        time.sleep(0.05)
        assert gateway.stats["receipts_sent"] == 1
    assert len(hits) == 2
    assert hits[0]["body"] == hits[1]["body"]


def test_no_receipt_without_a_callback(gateway):
    send(gateway)
    time.sleep(0.1)
    assert gateway.stats["receipts_sent"] == 0


def test_inbound_reply_is_forwarded_signed_to_the_sibling_inbound_url(receiver):
    callback = f"{receiver.url}/hooks/status"
    with SimulatorServer(callback=callback, secret=SECRET) as gateway:
        answer = httpx.post(f"{gateway.url}/inbound", json={"from": "+32471234567", "text": "OK"})
    [hit] = receiver.received
    assert hit["path"] == "/hooks/inbound"
    assert hit["signature"] == sign(SECRET, hit["body"])
    assert json.loads(hit["body"])["text"] == "OK"
    assert answer.json()["answer"] == {"result": "acknowledged"}


def test_inbound_without_a_callback_is_refused(gateway):
    answer = httpx.post(f"{gateway.url}/inbound", json={"from": "+32471234567", "text": "OK"})
    assert answer.status_code == 409


def test_keep_alive_client_uses_one_connection(gateway):
    with httpx.Client(base_url=gateway.url) as client:
        for n in range(20):
            client.post("/messages", json={"to": "+32471234567", "text": f"{n}"})
    assert gateway.stats["connections"] == 1


def test_management_command_serves_the_simulator(tmp_path):
    from buurtnet.delivery.tests.test_sinks import free_port

    port = free_port()
    command = [sys.executable, "manage.py", "sms_simulator", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEBUG": "1"},  # a development tool: no production key needed
    )
    try:
        assert "listening" in process.stdout.readline()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/messages", json={"to": "+32471234567", "text": "x"}
        )
        assert answer.status_code == 201
    finally:
        process.terminate()
        process.wait(timeout=10)
