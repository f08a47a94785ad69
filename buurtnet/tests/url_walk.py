"""Walk every URL pattern of the site and say what a request to each one did.

Used by test_authorization.py: `walk()` lists the patterns (namespaces included) straight
from the URL resolver, so a pattern added later is walked without anyone listing it;
`fetch()` requests one URL inside a savepoint that is rolled back afterwards, so every
request sees the same data whatever the one before it changed; `outcome()` reduces a
response to allow / deny / login / n/a, which the test compares with its table.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse


@dataclass(frozen=True)
class Route:
    """One URL pattern of the site."""

    name: str | None  # "namespace:name", or "name" for a pattern outside any namespace
    route: str  # the whole pattern as written, e.g. "reports/<int:pk>/photos/<int:photo_pk>/"
    kwargs: tuple[str, ...]  # the parameters, in the order they appear in the URL
    top: str  # the first include() it came through ("" for the project's own patterns)

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} /{self.route}"


def walk(patterns=None, prefix: str = "", namespace: str = "", top: str | None = None):
    """Every URLPattern below `patterns` (the project's root URLconf by default), with the
    prefixes and namespaces of the include()s it sits under."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(
                entry.url_patterns,
                here,
                inner,
                str(entry.pattern) if top is None else top,
            )
        elif isinstance(entry, URLPattern):
            groups = entry.pattern.regex.groupindex
            kwargs = tuple(sorted(groups, key=groups.get))
            name = None
            if entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name=name, route=here, kwargs=kwargs, top="" if top is None else top)


# --- What a response means ---------------------------------------------------------------

ALLOW, DENY, LOGIN, NOT_APPLICABLE = "allow", "deny", "login", "n/a"
SECOND_FACTOR, ERROR = "2fa", "error"


def outcome(response: HttpResponse) -> str:
    """allow: the view let the person through (2xx; a redirect that is not to the log-in or
    second-factor page; 400/409, which a view answers only after its permission check);
    deny: 401, 403 or 404; login: a redirect to the log-in page; n/a: 405, the view does
    not take that method; 2fa: a redirect to set up a second factor (the test's log-in is
    wrong); error: 5xx. Anything else comes back as "status <code>", for the test to
    classify."""
    code = response.status_code
    if code >= 500:
        return ERROR
    if code == 405:
        return NOT_APPLICABLE
    if code in (401, 403, 404):
        return DENY
    if 300 <= code < 400:
        path = urlsplit(response["Location"]).path
        if path == reverse("account_login"):
            return LOGIN
        if path.startswith("/accounts/2fa/"):
            return SECOND_FACTOR
        return ALLOW
    if 200 <= code < 300 or code in (400, 409):
        return ALLOW
    return f"status {code}"


@dataclass
class Fetched:
    method: str
    url: str
    status: int | None
    outcome: str
    body: str  # the decoded body of a text response, "" otherwise
    problem: str = ""  # the exception a view raised, if it raised one


def fetch(client, method: str, url: str) -> Fetched:
    """Request `url`; roll back whatever the request wrote, so the next one starts from the
    same data. An exception in the view counts as a 500 (the test client re-raises it)."""
    with transaction.atomic():
        try:
            response = getattr(client, method.lower())(url)
        except Exception as exc:  # noqa: BLE001 - any exception is a 500 to report
            transaction.set_rollback(True)
            frames = traceback.extract_tb(exc.__traceback__)
            where = next((f for f in reversed(frames) if "/buurtnet/" in f.filename), None)
            at = f" at {where.filename.split('/buurtnet/')[-1]}:{where.lineno}" if where else ""
            return Fetched(method, url, 500, ERROR, "", f"{type(exc).__name__}: {exc}{at}")
        transaction.set_rollback(True)
    body = ""
    if response.streaming:
        # Photos and images. Reading to the end closes the file the way the test client
        # expects; response.close() itself would close the test database's connection.
        b"".join(response.streaming_content)
    elif response.get("Content-Type", "").split(";")[0].strip() in TEXT_TYPES:
        body = response.content.decode(response.charset or "utf-8", errors="replace")
    # Flash messages are kept in a cookie until a page shows them; each request starts clean.
    client.cookies.pop("messages", None)
    return Fetched(method, url, response.status_code, outcome(response), body)


TEXT_TYPES = {
    "text/html",
    "text/plain",
    "text/xml",
    "text/calendar",
    "application/json",
    "application/xml",
    "application/atom+xml",
    "application/geo+json",
    "application/javascript",
}
