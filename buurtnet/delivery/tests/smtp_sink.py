"""A real SMTP server on loopback for the end-to-end tests (aiosmtpd).

Like a provider that honours an idempotency key, it accepts a Message-ID once and counts
a repeat as a duplicate, so tests can tell "delivered once" from "sent twice".
"""

import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class RecordingHandler:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.accepted: dict[str, str] = {}  # Message-ID -> recipient
        self.messages: list = []  # the parsed messages, in order of arrival
        self.duplicates: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            time.sleep(self.delay)  # a slow remote MTA: keeps a worker busy mid-batch
        parsed = message_from_bytes(envelope.content)
        message_id = parsed["Message-ID"] or ""
        with self.lock:
            if message_id in self.accepted:
                self.duplicates.append(message_id)
            else:
                self.accepted[message_id] = envelope.rcpt_tos[0]
                self.messages.append(parsed)
        return "250 OK"

    def recipients(self) -> list[str]:
        with self.lock:
            return list(self.accepted.values())


class LoopbackController(Controller):
    """Bound to port 0 (the OS picks a free port); the start-up probe needs the real one."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    def __init__(self, delay: float = 0.0) -> None:
        self.handler = RecordingHandler(delay)
        self.controller = LoopbackController(self.handler, hostname="127.0.0.1", port=0)

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.server.sockets[0].getsockname()[1]
