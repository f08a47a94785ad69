"""Which URLs the platform may post to (server-side request forgery).

A webhook makes the platform's own servers open a connection to an address a zone typed.
Without a check that address could be the machine itself, the database next to it or a
cloud metadata service. Only public addresses over HTTPS are allowed; plain HTTP to the
local machine only when WEBHOOKS_ALLOW_LOOPBACK is on (the tests' local receiver).

The URL is checked when it is saved (IP literals, including the odd spellings the system
resolver accepts, and local names) and again before every attempt on the addresses the
name resolves to, so a name that later points inside is refused then.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

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


def _plain(address: IPAddress) -> IPAddress:
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_loopback(address: IPAddress) -> bool:
    return _plain(address).is_loopback


def is_public(address: IPAddress) -> bool:
    address = _plain(address)
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def check_url(url: str) -> None:
    """Raise ValidationError (translated) unless the platform may post to url."""
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
    if loopback and loopback_allowed():
        return
    if parts.scheme != "https":
        raise ValidationError(
            _("Only https:// URLs are accepted: the events must be encrypted on the way.")
        )
    if local or (address is not None and not is_public(address)):
        raise ValidationError(
            _(
                "This address is on a private or local network. Webhooks can only be sent "
                "to an address reachable on the internet."
            )
        )


def check_resolved(url: str) -> None:
    """Before an attempt: every address the host resolves to must be allowed. Raises
    ValidationError (the delivery then fails without being sent)."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The host name could not be resolved.")) from exc
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if is_loopback(address) and loopback_allowed():
            continue
        if not is_public(address):
            raise ValidationError(
                _("The host name resolves to a private or local address; nothing was sent.")
            )
