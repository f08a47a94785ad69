"""Which URLs the platform may connect to (server-side request forgery).

A webhook or a CAP feed makes the platform's own servers open a connection to an address
a zone typed. Without a check that address could be the machine itself, the database next
to it or a cloud metadata service. Only public addresses are allowed, over HTTPS unless
the caller accepts plain HTTP (CAP feeds); the local machine only when the caller's
setting allows loopback (WEBHOOKS_ALLOW_LOOPBACK, CAP_ALLOW_LOOPBACK: the tests' local
servers).

The URL is checked when it is saved (IP literals, including the odd spellings the system
resolver accepts, and local names) and again before every request on the addresses the
name resolves to. `PinnedTransport` then connects to exactly the address that was checked
(the name is not resolved a second time), so a name that points inside later, or between
the check and the connection (DNS rebinding), is refused.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LOCAL_NAMES = ("localhost", "localhost.localdomain")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", settings.DEBUG))


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself, or None for a name. Also the legacy spellings
    ("2130706433", "127.1", "0x7f.0.0.1") that inet_aton, and so the resolver, accept."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _plain(address: IPAddress) -> IPAddress:
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _embedded(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and reaches through a relay: 6to4
    (2002::/16), Teredo (2001::/32: server and client) and NAT64 (64:ff9b::/96)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.sixtofour] if address.sixtofour else []
    found += list(address.teredo or ())
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_loopback(address: IPAddress) -> bool:
    return _plain(address).is_loopback


def _is_global(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def is_public(address: IPAddress) -> bool:
    address = _plain(address)
    return _is_global(address) and all(_is_global(inner) for inner in _embedded(address))


def check_url(url: str, *, allow_http: bool = False, allow_loopback: bool | None = None) -> None:
    """Raise ValidationError (translated) unless the platform may connect to url.
    allow_http: plain http:// to public addresses too (a CAP feed is public information);
    allow_loopback: the caller's setting (None: WEBHOOKS_ALLOW_LOOPBACK)."""
    if allow_loopback is None:
        allow_loopback = loopback_allowed()
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValidationError(_("Enter a valid URL.")) from exc
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(_("Enter a URL that starts with https://."))
    if parts.username or parts.password:
        raise ValidationError(_("Leave the user name and password out of the URL."))
    address = literal_address(host)
    local = host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES)
    loopback = (address is not None and is_loopback(address)) or host in LOCAL_NAMES
    if loopback and allow_loopback:
        return
    if parts.scheme != "https" and not allow_http:
        raise ValidationError(
            _("Only https:// URLs are accepted: the data must be encrypted on the way.")
        )
    if local or (address is not None and not is_public(address)):
        raise ValidationError(
            _(
                "This address is on a private or local network. Only an address reachable "
                "on the internet can be used."
            )
        )


def resolve(url: str, *, allow_http: bool = False, allow_loopback: bool | None = None) -> IPAddress:
    """Before a request: check the URL, resolve its host and return the address to connect
    to. Every address the host resolves to must be allowed; raises ValidationError
    (translated) otherwise, and nothing is sent."""
    if allow_loopback is None:
        allow_loopback = loopback_allowed()
    check_url(url, allow_http=allow_http, allow_loopback=allow_loopback)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The host name could not be resolved.")) from exc
    checked = []
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not (is_public(address) or (is_loopback(address) and allow_loopback)):
            raise ValidationError(
                _("The host name resolves to a private or local address; nothing was sent.")
            )
        checked.append(address)
    if not checked:
        raise ValidationError(_("The host name could not be resolved."))
    return checked[0]


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request's URL (each redirect hop, each linked
    document) and connects to the address it checked, not to whatever a second lookup of
    the name would give: the request goes to the IP, with the original Host header and,
    for https, the original name for SNI and certificate verification. A refused URL
    raises ValidationError out of the client's call. Proxies are never used."""

    def __init__(self, *, allow_http: bool = False, allow_loopback: bool | None = None, **kw):
        super().__init__(**kw)
        self.allow_http, self.allow_loopback = allow_http, allow_loopback

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        address = resolve(
            str(request.url), allow_http=self.allow_http, allow_loopback=self.allow_loopback
        )
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = request.url.host
        # A new request: the client keeps the original (its URL resolves redirects).
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=str(address)),
            headers=request.headers,  # Host: still the name
            stream=request.stream,
            extensions=extensions,
        )
        return super().handle_request(pinned)
