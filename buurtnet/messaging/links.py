"""The page a message leads to when it was made for something of an app above messaging.

A member's report reaches the police as a message that Buurtnet sends (no sender); its page
is the report, where the police answer. Messaging may not import the reports app, so that app
registers how to find the page and what the button says (reports.apps), by the message's kind.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    url: str
    label: str


# kind -> (function of the message's id that returns the page's URL, the button's words)
_pages: dict[str, tuple[Callable[[int], str], str]] = {}


def register(kind: str, page_of: Callable[[int], str], label: str) -> None:
    _pages[kind] = (page_of, label)


def page_of(message) -> Page | None:
    """The page this message was made for, or None (most messages)."""
    found = _pages.get(message.kind)
    if found is None:
        return None
    find, label = found
    url = find(message.pk)
    return Page(url=url, label=str(label)) if url else None
