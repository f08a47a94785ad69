"""Refusing to start a production process that is not safe to run.

With DEBUG off, the entry points (manage.py, wsgi.py, asgi.py) call
`refuse_unsafe_settings()` before anything else runs. It stops the process with one line
on standard error and exit status 1 when:

- SECRET_KEY is missing, the public development key, a key Django marks as insecure or
  short: it signs sessions, CSRF tokens and the links in e-mails ("seen", unsubscribe), and
  with a key anyone knows anyone could forge them;
- ALLOWED_HOSTS is empty: the local names are the default only with DEBUG on, so a server
  that was not told its host name does not start (Django would answer 400 to everything);
- SITE_URL is not an https:// address: it is the address in every e-mail and SMS link, and
  it switches on secure cookies, HSTS and the redirect to HTTPS.

The test suite does not go through these entry points (pytest-django loads the settings
itself), so it runs with no environment, as `make test` and CI need; tests and benchmarks
that start manage.py in a subprocess give it DEBUG=1 or a production-like environment.
"""

import sys
from urllib.parse import urlsplit

from django.conf import settings

MIN_KEY_LENGTH = 32
KNOWN_KEYS = {
    "buurtnet-local-development-key-not-for-production",
    "changeme",
    "change-me",
    "secret",
}
REFUSAL = "Buurtnet refuses to start"
# The status a web server's worker exits with: gunicorn stops altogether on a worker that
# exits with 4 ("App failed to load"); on any other status it starts a new worker, which
# refuses again, for ever. Other servers see a failure either way.
APP_LOAD_ERROR = 4


def key_problem(key: str) -> str:
    """Why this key must not run a production installation ("" when it may)."""
    advice = (
        "set it to a long random value "
        '(python3 -c "import secrets; print(secrets.token_urlsafe(50))")'
    )
    if not key or key in KNOWN_KEYS or key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return f"SECRET_KEY is missing or is the public development key: {advice}"
    if key.startswith("django-insecure-"):
        return f"SECRET_KEY is a key Django marks as insecure: {advice}"
    if len(key) < MIN_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_KEY_LENGTH} characters: {advice}"
    return ""


def hosts_problem(hosts: list[str]) -> str:
    """Why these host names cannot serve the site ("" when they can)."""
    if not hosts:
        return (
            "ALLOWED_HOSTS is empty: set it to the host names the site answers on, "
            "comma-separated (e.g. buurtnet.example.be)"
        )
    return ""


def site_url_problem(site_url: str) -> str:
    """Why this public address may not be used ("" when it may)."""
    address = urlsplit(site_url)
    if address.scheme != "https" or not address.hostname:
        return (
            f"SITE_URL is {site_url or 'empty'}, not an https:// address: set it to the "
            "address members open (e.g. https://buurtnet.example.be)"
        )
    return ""


def settings_problems() -> list[str]:
    """Everything that makes these settings unsafe for a production process."""
    found = [
        key_problem(settings.SECRET_KEY),
        hosts_problem(list(settings.ALLOWED_HOSTS)),
        site_url_problem(settings.SITE_URL),
    ]
    return [problem for problem in found if problem]


def refuse_unsafe_settings(exit_status: int = 1) -> None:
    """Stop the process unless DEBUG is on or the settings are safe for production.

    Every problem is named at once, on one line, so that a service manager's log shows it
    whole and an operator fixes them all in one go."""
    if settings.DEBUG:
        return
    problems = settings_problems()
    if problems:
        print(
            f"{REFUSAL}: " + "; ".join(problems) + ". (On a development machine: DEBUG=1.)",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(exit_status)
