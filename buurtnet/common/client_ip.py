"""Where a request comes from: the client's address, for the audit log, the log-in rate limits
and the metrics.

The address is REMOTE_ADDR. Behind a reverse proxy set `TRUSTED_PROXY_COUNT` to the number of
proxies in front of Django that append to X-Forwarded-For; the client is then the address that
many places from the right. X-Forwarded-For is never read without that setting (anyone can
send the header).
"""

import ipaddress

from django.conf import settings


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(meta) -> str | None:
    """The client's address from a request's META (or a WSGI environ)."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        hops = [h for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return _valid_ip(hops[-proxies])
    return _valid_ip(meta.get("REMOTE_ADDR"))
