"""A local SMS gateway simulator: what the demo, the tests and the benchmark send SMS to.

It speaks a small JSON API shaped like a real provider's:

    POST /messages  {"to", "from", "text"} + Idempotency-Key header
                    201 {"id", "status": "accepted"}; the same key again: 200, same id
                    422 {"error": "invalid number"} for numbers starting with the fail prefix
    GET  /messages?to=+32...   what arrived (all messages without ?to=)
    GET  /stats     {"requests", "accepted", "duplicates", "rejected", "connections", ...}
    POST /inbound   {"from", "text"}: a member's reply, forwarded to the app's inbound hook
    POST /outage    {"status": 503, "seconds": 600, "retry_after": 60}: answer every send with
                    that status (and `Retry-After`) for that long from the next send on (or
                    after the outage already planned), as a provider down or throttling

Every POST /messages is counted ("requests"), whatever it is answered, and kept with its time
and status (`SimulatorServer.requests`): a test can bound how hard the workers hit a gateway
that is down.

Idempotency is how a crash costs nothing: a worker that dies after the gateway accepted an
SMS but before it recorded that re-sends the delivery later with the same key (derived from
the Delivery row), and the gateway answers with the first message's id instead of sending a
second SMS. Only `/stats` ("duplicates") shows that it happened.

Delivery receipts and inbound replies are POSTed as JSON to the app's hooks, signed with
`X-Simulator-Signature: hex(hmac_sha256(secret, body))`. A receipt the app does not accept
(not 2xx) is retried with back-off, as real gateways do: the worker may not have stored the
gateway's id yet when a fast receipt arrives.

It is an aiohttp application because the benchmark pushes thousands of requests a second
through it over keep-alive connections. `SimulatorServer` runs it in a background thread for
tests; `manage.py sms_simulator` runs it in the foreground.
"""

import abc
import asyncio
import collections
import contextlib
import hashlib
import hmac
import json
import logging
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urljoin

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Simulator-Signature"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# Waits before each further try of a receipt the app did not accept.
RECEIPT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


def sign(secret: str, body: bytes) -> str:
    """The simulator's webhook signature: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class SimulatorConfig:
    # Where receipts go (empty: no receipts); replies go to `inbound_callback`, by default
    # the sibling path "inbound" of the receipt URL (…/simulator/status → …/simulator/inbound).
    callback: str = ""
    inbound_callback: str = ""
    secret: str = ""
    receipt_delay: float = 0.5
    # Numbers the gateway refuses at once (422), and numbers it accepts but cannot deliver
    # to (a "failed" receipt follows), so both failure paths can be shown.
    fail_prefix: str = "+3247000000"
    undeliverable_prefix: str = "+3247000001"
    # Share of sends answered 503 at random, to exercise the workers' retries.
    error_rate: float = 0.0
    # The number members' replies are addressed to.
    own_number: str = "Buurtnet"

    @property
    def inbound_url(self) -> str:
        if self.inbound_callback:
            return self.inbound_callback
        return urljoin(self.callback, "inbound") if self.callback else ""


class Gateway:
    """The simulator's state and HTTP handlers. Runs on one event loop; tests read its state
    from another thread through `SimulatorServer`, which copies what it hands out."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.messages: list[dict[str, Any]] = []
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.in_flight: set[str] = set()
        self.counts = collections.Counter(
            requests=0, accepted=0, duplicates=0, rejected=0, receipts_sent=0, receipts_failed=0
        )
        # (time.time(), status) of every POST /messages, in the order answered.
        self.request_log: list[tuple[float, int]] = []
        # Planned outages, one after another: [status, seconds, Retry-After, ends at]; the
        # clock (time.monotonic()) of each starts with the first send it answers.
        self.outages: collections.deque[list] = collections.deque()
        self.peers: set[Any] = set()
        # Faults queued by tests: ("status", 503) answers the next send with 503,
        # ("delay", 2.0) makes it wait first. A deque so another thread may append.
        self.faults: collections.deque[tuple[str, float]] = collections.deque()
        self.session: ClientSession | None = None
        self.tasks: set[asyncio.Task] = set()
        self.closed = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/messages", self.post_message)
        app.router.add_get("/messages", self.list_messages)
        app.router.add_get("/stats", self.stats)
        app.router.add_post("/inbound", self.inbound)
        app.router.add_post("/outage", self.post_outage)
        app.on_startup.append(self._open_session)
        app.on_cleanup.append(self._close_session)
        return app

    async def _open_session(self, app: web.Application) -> None:
        # One pooled client for all callbacks; a limit so a burst of receipts cannot
        # open thousands of connections to the app.
        self.session = ClientSession(
            connector=TCPConnector(limit=32), timeout=ClientTimeout(total=10)
        )

    async def _close_session(self, app: web.Application) -> None:
        self.closed = True
        for task in list(self.tasks):
            task.cancel()
        if self.session is not None:
            await self.session.close()

    # --- Sending ------------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        self.peers.add(request.transport.get_extra_info("peername") if request.transport else 0)
        response = self._outage_answer() or await self._message(request)
        self.counts["requests"] += 1
        self.request_log.append((time.time(), response.status))
        return response

    async def _message(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            return error(400, "invalid JSON")
        if not isinstance(data, dict) or not all(
            isinstance(data.get(name), str) for name in ("to", "text")
        ):
            return error(400, "to and text are required")
        key = request.headers.get("Idempotency-Key", "")
        if key in self.by_key:
            # The re-send of a message already accepted: same answer, nothing sent again.
            self.counts["duplicates"] += 1
            return web.json_response(
                {"id": self.by_key[key], "status": "accepted", "duplicate": True}
            )
        if key in self.in_flight:
            # A client that timed out and retried while its first try is still handled:
            # "try again later" (then the first try's id), never a second message.
            return error(409, "a request with this key is in progress")
        if key:
            self.in_flight.add(key)
        try:
            return await self._accept(data, key)
        finally:
            self.in_flight.discard(key)

    async def _accept(self, data: dict[str, Any], key: str) -> web.Response:
        fault = await self._injected_fault()
        if fault:
            return fault
        to = data["to"]
        if not E164.match(to) or to.startswith(self.config.fail_prefix):
            self.counts["rejected"] += 1
            return error(422, "invalid number")
        record = self._store(to, str(data.get("from", "")), data["text"], key)
        if self.config.callback:
            asyncio.get_running_loop().call_later(
                self.config.receipt_delay, self._spawn_receipt, record
            )
        return web.json_response({"id": record["id"], "status": "accepted"}, status=201)

    async def _injected_fault(self) -> web.Response | None:
        while self.faults:
            kind, value = self.faults.popleft()
            if kind == "delay":
                await asyncio.sleep(value)
            else:
                return error(int(value), "injected failure")
        if self.config.error_rate and random.random() < self.config.error_rate:
            return error(503, "temporarily unavailable")
        return None

    # --- Outages ------------------------------------------------------------------------

    def plan_outage(self, status: int, seconds: float, retry_after: int | None = None) -> None:
        """Answer every send with `status` for `seconds` from the next send on (after the
        outages already planned), with `Retry-After: retry_after` when given."""
        self.outages.append([status, seconds, retry_after, None])

    def _outage_answer(self) -> web.Response | None:
        now = time.monotonic()
        while self.outages:
            phase = self.outages[0]
            if phase[3] is None:
                phase[3] = now + phase[1]
            if phase[3] > now:
                break
            self.outages.popleft()
        if not self.outages:
            return None
        status, _seconds, retry_after, _ends = self.outages[0]
        response = error(status, "too many requests" if status == 429 else "gateway unavailable")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def post_outage(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            status, seconds = int(data["status"]), float(data["seconds"])
            retry_after = data.get("retry_after")
            retry_after = None if retry_after is None else int(retry_after)
        except (ValueError, KeyError, TypeError):
            return error(400, "status and seconds are required")
        if not 400 <= status <= 599 or seconds <= 0 or (retry_after or 0) < 0:
            return error(400, "status must be 4xx or 5xx, seconds and retry_after positive")
        self.plan_outage(status, seconds, retry_after)
        return web.json_response({"planned": len(self.outages)}, status=201)

    def _store(self, to: str, sender: str, text: str, key: str) -> dict[str, Any]:
        record = {
            "id": f"sim-{uuid.uuid4().hex}",
            "to": to,
            "from": sender,
            "text": text,
            "status": "accepted",
            "idempotency_key": key,
            "created_at": time.time(),
        }
        self.messages.append(record)
        self.by_id[record["id"]] = record
        if key:
            self.by_key[key] = record["id"]
        self.counts["accepted"] += 1
        return record

    # --- Receipts and replies -----------------------------------------------------------

    def _spawn_receipt(self, record: dict[str, Any]) -> None:
        if self.closed:
            return
        task = asyncio.ensure_future(self._receipt(record))
        # Keep a reference: the loop holds tasks only weakly.
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _receipt(self, record: dict[str, Any]) -> None:
        failed = record["to"].startswith(self.config.undeliverable_prefix)
        record["status"] = "failed" if failed else "delivered"
        payload = {
            "id": record["id"],
            "status": record["status"],
            "error": "unknown subscriber" if failed else "",
        }
        for delay in (*RECEIPT_RETRY_DELAYS, None):
            status, _answer = await self._post_signed(self.config.callback, payload)
            if 200 <= status < 300:
                self.counts["receipts_sent"] += 1
                return
            if delay is None:
                break
            await asyncio.sleep(delay)
        self.counts["receipts_failed"] += 1
        logger.warning("The app did not accept the receipt for %s", record["id"])

    async def _post_signed(self, url: str, payload: dict[str, Any]) -> tuple[int, Any]:
        """POST the payload as signed JSON; (0, reason) when the app cannot be reached."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self.config.secret:
            headers[SIGNATURE_HEADER] = sign(self.config.secret, body)
        assert self.session is not None
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                text = await response.text()
                with contextlib.suppress(ValueError):
                    return response.status, json.loads(text)
                return response.status, text
        except (ClientError, TimeoutError) as exc:
            return 0, str(exc) or type(exc).__name__

    async def inbound(self, request: web.Request) -> web.Response:
        """Pretend a member texted back: forward the reply to the app and show its answer."""
        try:
            data = await request.json()
        except ValueError:
            return error(400, "invalid JSON")
        if not isinstance(data, dict) or not all(
            isinstance(data.get(name), str) for name in ("from", "text")
        ):
            return error(400, "from and text are required")
        if not self.config.inbound_url:
            return error(409, "no callback URL configured")
        payload = {
            "id": f"sim-in-{uuid.uuid4().hex}",
            "from": data["from"],
            "to": self.config.own_number,
            "text": data["text"],
        }
        status, answer = await self._post_signed(self.config.inbound_url, payload)
        if not status:
            return error(502, f"the app could not be reached: {answer}")
        return web.json_response({"id": payload["id"], "app_status": status, "answer": answer})

    # --- Looking -----------------------------------------------------------------------

    async def list_messages(self, request: web.Request) -> web.Response:
        to = request.query.get("to")
        found = [m for m in self.messages if to is None or m["to"] == to]
        return web.json_response({"messages": found})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.snapshot())

    def snapshot(self) -> dict[str, int]:
        return {**self.counts, "connections": len(self.peers)}


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class BackgroundServer(abc.ABC):
    """An aiohttp application on 127.0.0.1, in the foreground or in a thread with its own
    event loop (`start()`/`stop()`, or as a context manager), bound to a free port by default."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @abc.abstractmethod
    def build_app(self) -> web.Application:
        """The aiohttp application this server runs."""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _start_site(self) -> None:
        # No access log: at benchmark rates writing it would cost more than the handling.
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _stop_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start(self) -> Self:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start_site(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop_site(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def call(self, function: Any, *args: Any) -> Any:
        """Run a plain function on the server's loop and return its result: reads the
        server's state without racing its handlers."""

        async def run() -> Any:
            return function(*args)

        assert self._loop is not None, "start() the server first"
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def serve_forever(self, on_ready: Any = None) -> None:
        """Serve in the foreground until interrupted (Ctrl-C)."""

        async def main() -> None:
            await self._start_site()
            if on_ready:
                on_ready(self.url)
            try:
                await asyncio.Event().wait()
            finally:
                await self._stop_site()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class SimulatorServer(BackgroundServer):
    """The SMS gateway simulator, ready to run in-process:

    with SimulatorServer(callback=..., secret=...) as simulator:
        settings.SMS_SIMULATOR_URL = simulator.url
        ...
        simulator.messages  # what arrived
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        super().__init__(host, port)
        self.gateway = Gateway(SimulatorConfig(**config))

    def build_app(self) -> web.Application:
        return self.gateway.app()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.call(lambda: [dict(m) for m in self.gateway.messages])

    @property
    def stats(self) -> dict[str, int]:
        return self.call(self.gateway.snapshot)

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Answer the next `count` sends with this HTTP status."""
        self.gateway.faults.extend([("status", status)] * count)

    def delay_next(self, count: int = 1, seconds: float = 1.0) -> None:
        """Make the next `count` sends wait this long before they are handled."""
        self.gateway.faults.extend([("delay", seconds)] * count)

    def go_down(self, status: int, seconds: float, retry_after: int | None = None) -> None:
        """Answer every send with this status (and Retry-After) for this long from the next
        send on, after the outages already planned: go_down(500, 3); go_down(429, 3, 1)."""
        self.call(self.gateway.plan_outage, status, seconds, retry_after)

    @property
    def requests(self) -> list[tuple[float, int]]:
        """(time.time(), status) of every send request, whatever its answer."""
        return self.call(lambda: list(self.gateway.request_log))
