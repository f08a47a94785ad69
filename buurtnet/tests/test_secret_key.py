"""The entry points refuse to start with DEBUG off and a key anyone knows (issue 19)."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from buurtnet.secret_key import key_problem

REFUSAL = "Buurtnet refuses to start"


def start(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_refuses_to_start_without_a_key():
    done = start("manage.py", "check")
    assert done.returncode == 1
    assert done.stderr.strip().startswith(REFUSAL)
    assert len(done.stderr.strip().splitlines()) == 1


def test_web_entry_point_refuses_the_public_development_key():
    done = start("-c", "import buurtnet.wsgi", SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)
    assert done.returncode == 1
    assert REFUSAL in done.stderr


def test_asgi_entry_point_refuses_to_start_without_a_key():
    done = start("-c", "import buurtnet.asgi")
    assert done.returncode == 1
    assert REFUSAL in done.stderr


def test_manage_py_starts_with_a_real_key():
    done = start("manage.py", "check", SECRET_KEY=secrets.token_urlsafe(50))
    assert done.returncode == 0, done.stderr


def test_manage_py_starts_with_debug_on_and_no_key():
    done = start("manage.py", "check", DEBUG="1")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "key",
    ["", "buurtnet-local-development-key-not-for-production", "django-insecure-abc", "short"],
)
def test_known_or_weak_keys_are_refused(key):
    assert key_problem(key)


def test_a_long_random_key_is_accepted():
    assert key_problem(secrets.token_urlsafe(50)) == ""
