"""A real SMTP server on loopback for the end-to-end tests (aiosmtpd).

Like a real relay, it keeps every message it receives, a repeated Message-ID included:
a member who got an e-mail twice shows up twice in `recipients()`, and `duplicates` lists
the Message-IDs received more than once (one entry per extra copy).
"""

import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class RecordingHandler:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[tuple[str, str]] = []  # (Message-ID, recipient), every copy
        self.messages: list = []  # the parsed messages, in order of arrival, every copy
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            time.sleep(self.delay)  # a slow remote MTA: keeps a worker busy mid-batch
        parsed = message_from_bytes(envelope.content)
        with self.lock:
            self.received.append((parsed["Message-ID"] or "", envelope.rcpt_tos[0]))
            self.messages.append(parsed)
        return "250 OK"

    def recipients(self) -> list[str]:
        """Every recipient once per message received: twice for a member mailed twice."""
        with self.lock:
            return [to for _message_id, to in self.received]

    @property
    def duplicates(self) -> list[str]:
        """The Message-IDs received more than once, once per extra copy."""
        with self.lock:
            seen: set[str] = set()
            extra = []
            for message_id, _to in self.received:
                if message_id in seen:
                    extra.append(message_id)
                seen.add(message_id)
            return extra


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
