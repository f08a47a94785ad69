"""Refusing to run in production with a key anyone knows.

SECRET_KEY signs sessions, CSRF tokens and the links in e-mails ("seen", unsubscribe):
with the public development key, anyone could forge them. The entry points (manage.py,
wsgi.py, asgi.py) call `refuse_unsafe_key()` before anything else runs; with DEBUG off and
no key, a known key or a short one, the process stops with one line and exit status 1.

The test suite does not go through these entry points (pytest-django loads the settings
itself), so it runs with the development key and no environment, as `make test` and CI
need; tests that start manage.py in a subprocess give it DEBUG=1 or a key of their own.
"""

import sys

from django.conf import settings

MIN_LENGTH = 32
KNOWN_KEYS = {
    "buurtnet-local-development-key-not-for-production",
    "changeme",
    "change-me",
    "secret",
}


def key_problem(key: str) -> str:
    """Why this key must not run a production installation ("" when it may)."""
    if not key:
        return "SECRET_KEY is not set."
    if key in KNOWN_KEYS or key == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return "SECRET_KEY is missing or is the public development key."
    if key.startswith("django-insecure-"):
        return "SECRET_KEY is a key Django marks as insecure."
    if len(key) < MIN_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_LENGTH} characters."
    return ""


def refuse_unsafe_key() -> None:
    """Stop the process unless DEBUG is on or SECRET_KEY is a real key."""
    if settings.DEBUG:
        return
    problem = key_problem(settings.SECRET_KEY)
    if problem:
        sys.exit(
            f"Buurtnet refuses to start: {problem} Set SECRET_KEY to a long random value "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or DEBUG=1 on a development machine."
        )
