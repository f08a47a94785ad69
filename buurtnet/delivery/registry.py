"""What the apps above delivery plug into it.

Delivery is the lowest app and imports none above it, yet it sends messaging's messages and
receives the members' replies to them. So messaging registers, from its AppConfig.ready():

- the renderer of a message (`register_renderer`): the worker makes one per message it
  sends (`renderer_for`) and asks it for each delivery's envelope;
- the handler of an inbound SMS reply (`register_reply_handler`): the provider webhooks hand
  it every reply (`handle_reply`).

One of each: registering again replaces the earlier one (tests may swap them).
"""

import logging
from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from .channels.base import Envelope

logger = logging.getLogger(__name__)


class Renderer(Protocol):
    """Turns one message into the envelope of each of its deliveries."""

    def envelope(self, delivery: Any, person: Any) -> Envelope: ...


RendererFactory = Callable[[Any], Renderer]
# (the sender's number, the text, the channel) -> what became of it: "acknowledged",
# "replied", "limited" or "unknown" (no message this number could be answering).
ReplyHandler = Callable[[str, str, str], str]

_renderer: list[RendererFactory] = []
_reply_handler: list[ReplyHandler] = []


def register_renderer(factory: RendererFactory) -> None:
    _renderer[:] = [factory]


def renderer_for(message: Any) -> Renderer:
    """The registered renderer of the message (a `messaging.Message`, loaded through the
    delivery's own relation)."""
    if not _renderer:
        raise ImproperlyConfigured("No message renderer is registered with delivery")
    return _renderer[0](message)


def register_reply_handler(handler: ReplyHandler) -> None:
    _reply_handler[:] = [handler]


def handle_reply(phone: str, text: str, channel: str) -> str:
    if not _reply_handler:
        logger.warning("An SMS reply arrived, but no reply handler is registered")
        return "unknown"
    return _reply_handler[0](phone, text, channel)
