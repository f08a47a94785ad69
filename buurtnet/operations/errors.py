"""Error reports to Sentry (or GlitchTip, which speaks the same protocol), without personal data.

`init_sentry()` is called from settings when SENTRY_DSN is set. What leaves the installation:
the exception type, its message and the stack (file, line, function; never a local
variable's value), the logger's message, the request's method and the URL pattern that
matched it. Scrubbed before sending (`before_send`, and for traces `before_send_span` or
`before_send_transaction`): e-mail addresses and phone numbers anywhere in a string, the
request's path (links carry secret tokens: a seen receipt, an unsubscribe link, a calendar
feed, a password reset key), cookies, the query string, request bodies, headers but a
harmless few, and the user (only its id is kept, and only if Sentry was given one).
"""

import re
from typing import Any
from urllib.parse import urlsplit

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+")
# International (+32 …) or national (04…, 0032…) numbers of at least 8 digits, with the
# separators people type. Long enough that line numbers and small counts survive.
PHONE = re.compile(r"(?<![\w.])(?:\+|00|0)\d(?:[\s./()-]?\d){7,}")
FILTERED = "[Filtered]"
# Request headers that carry nothing personal and help to read a report.
KEPT_HEADERS = {"content-type", "content-length", "accept", "accept-language", "user-agent"}


def scrub_text(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced."""
    return PHONE.sub(FILTERED, EMAIL.sub(FILTERED, text))


def short_error(error: BaseException, limit: int = 200) -> str:
    """'ClassName: first words of the message', scrubbed: safe to store and to show operators."""
    message = scrub_text(" ".join(str(error).split()))
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text[:limit]


def scrub(value: Any) -> Any:
    """Every string inside value (dicts, lists, tuples) scrubbed; other values as they are."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def path_pattern(path: str) -> str:
    """The URL pattern that matches path ("/messages/seen/<str:token>/"), never the values in
    it; a path no pattern matches has every segment replaced ("/*/*/")."""
    from django.urls import get_script_prefix, resolve

    prefix = get_script_prefix()
    try:
        route = resolve("/" + path.removeprefix(prefix)).route
    except Exception:  # noqa: BLE001 - a 404, or no URLconf in this process: hide it all
        return "/".join("*" if segment else "" for segment in path.split("/"))
    return prefix + route.removeprefix("^")


def url_pattern(url: str) -> str:
    """The URL with its path made a pattern (path_pattern), without query or fragment."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return origin + path_pattern(parts.path or "/") if url else ""


def _safe_name(name: Any) -> Any:
    """A transaction or segment name: Sentry names a request by its route ("/seen/{token}/"),
    but by the raw path when none matched. Braces never come from a link: a browser sends
    them encoded, so a name holding them is Sentry's pattern."""
    if isinstance(name, str) and name.startswith("/") and "{" not in name:
        return path_pattern(name)
    return name


def _scrub_request(request: dict) -> dict:
    headers = request.get("headers") or {}
    kept = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
    url = url_pattern(request.get("url") or "")
    return {"method": request.get("method"), "url": scrub_text(url), "headers": scrub(kept)}


def _drop_frame_vars(event: dict) -> None:
    """Local variables are off at init; this also covers a frame the SDK filled anyway."""
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def before_send(event: dict, hint: dict | None = None) -> dict:
    """Sentry's last look at an event before it leaves: remove what could name a person."""
    _drop_frame_vars(event)
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    if "user" in event:
        event["user"] = {"id": event["user"]["id"]} if event["user"].get("id") else {}
    event.pop("extra", None)
    if "transaction" in event:
        event["transaction"] = _safe_name(event["transaction"])
    for key in ("message", "logentry", "exception", "breadcrumbs", "tags", "contexts", "spans"):
        if key in event:
            event[key] = scrub(event[key])
    return event


def before_send_transaction(event: dict, hint: dict | None = None) -> dict:
    """sentry-sdk 2 sends a traced request as a transaction event: the same scrubbing, and
    the spans' data (URLs and their query strings of outgoing calls) left out."""
    for span in event.get("spans") or []:
        span.pop("data", None)
    return before_send(event, hint)


# Span attributes that hold the URL of the request being served (OpenTelemetry's names, and
# the older ones), and those that hold its query string.
SERVER_URL_ATTRIBUTES = {"url.full", "http.url"}
SERVER_PATH_ATTRIBUTES = {"url.path", "http.target"}
QUERY_ATTRIBUTES = {"url.query", "http.query", "http.fragment", "url.fragment"}


def before_send_span(span: dict, hint: dict | None = None) -> dict:
    """sentry-sdk 3 streams spans: the request's URL and path become its pattern, the name
    of a request nothing matched loses its path, every string is scrubbed."""
    attributes = dict(span.get("attributes") or {})
    for key in QUERY_ATTRIBUTES:
        attributes.pop(key, None)
    if attributes.get("sentry.op") != "http.client":
        for key in SERVER_URL_ATTRIBUTES & attributes.keys():
            attributes[key] = url_pattern(str(attributes[key]))
        for key in SERVER_PATH_ATTRIBUTES & attributes.keys():
            attributes[key] = path_pattern(str(attributes[key]).split("?", 1)[0])
    if "sentry.segment.name" in attributes:
        attributes["sentry.segment.name"] = _safe_name(attributes["sentry.segment.name"])
    span["attributes"] = {key: scrub(value) for key, value in attributes.items()}
    span["name"] = scrub(_safe_name(span.get("name", "")))
    return span


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """Breadcrumbs hold earlier log lines and SQL: scrubbed the same way."""
    crumb.pop("data", None)
    return scrub(crumb)


# What the SDK collects by itself (sentry-sdk 3's `data_collection`): no user, cookies,
# query strings, bodies, SQL parameters or local variables; request headers only from
# KEPT_HEADERS. Source lines around a frame stay: they are our code, not anyone's data.
DATA_COLLECTION = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
    "stack_frame_variables": False,
}


def privacy_options() -> dict:
    """The SDK's own switches for the above: `data_collection` in sentry-sdk 3, the older
    `send_default_pii` and `include_local_variables` in sentry-sdk 2 (pyproject allows both)."""
    from sentry_sdk.consts import DEFAULT_OPTIONS

    if "data_collection" in DEFAULT_OPTIONS:
        return {"data_collection": DATA_COLLECTION}
    return {"send_default_pii": False, "include_local_variables": False}


def tracing_options() -> dict:
    """Traces skip before_send: sentry-sdk 3 streams spans (`before_send_span`), sentry-sdk 2
    sends transaction events (`before_send_transaction`)."""
    from sentry_sdk.consts import DEFAULT_OPTIONS

    if "before_send_span" in DEFAULT_OPTIONS:
        return {"before_send_span": before_send_span}
    return {"before_send_transaction": before_send_transaction}


def init_sentry(
    dsn: str, *, environment: str | None, traces_sample_rate: float, release: str | None
) -> None:
    """Start the Sentry SDK for this process (web, worker or tick alike)."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration()],
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        **privacy_options(),
        **tracing_options(),
    )
