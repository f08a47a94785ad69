"""With DEBUG off the entry points refuse to start unsafe settings (issue 17; the key: issue
19): a missing or known SECRET_KEY, an empty ALLOWED_HOSTS, a SITE_URL that is not https.
Each refusal is one line on standard error and a failing exit status."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from buurtnet.startup import REFUSAL, key_problem, site_url_problem

# The variables these tests decide; whatever the surrounding shell has is left out.
DECIDED = ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL", "DJANGO_SETTINGS_MODULE")


def production(**changes: str) -> dict[str, str]:
    """A safe production environment, with some variables changed (None: left out)."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "buurtnet.example.be",
        "SITE_URL": "https://buurtnet.example.be",
    }
    env.update(changes)
    return {name: value for name, value in env.items() if value is not None}


def start(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in DECIDED}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**clean, "BUURTNET_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused_in_one_line(done: subprocess.CompletedProcess, status: int, naming: str):
    assert done.returncode == status, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(REFUSAL)
    assert naming in lines[0]


def test_manage_py_refuses_to_start_without_a_key(tmp_path):
    done = start("manage.py", "check", env=production(SECRET_KEY=None), tmp_path=tmp_path)
    assert_refused_in_one_line(done, 1, "SECRET_KEY")


def test_manage_py_refuses_the_public_development_key(tmp_path):
    env = production(SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)
    done = start("manage.py", "check", env=env, tmp_path=tmp_path)
    assert_refused_in_one_line(done, 1, "SECRET_KEY")


def test_manage_py_refuses_to_start_without_allowed_hosts(tmp_path):
    done = start("manage.py", "check", env=production(ALLOWED_HOSTS=None), tmp_path=tmp_path)
    assert_refused_in_one_line(done, 1, "ALLOWED_HOSTS is empty")


def test_manage_py_refuses_an_http_site_url(tmp_path):
    env = production(SITE_URL="http://buurtnet.example.be")
    done = start("manage.py", "check", env=env, tmp_path=tmp_path)
    assert_refused_in_one_line(done, 1, "SITE_URL is http://buurtnet.example.be")


def test_every_problem_is_named_on_the_one_line(tmp_path):
    done = start("manage.py", "check", env={}, tmp_path=tmp_path)
    assert_refused_in_one_line(done, 1, "SECRET_KEY")
    assert "ALLOWED_HOSTS" in done.stderr and "SITE_URL" in done.stderr


def test_manage_py_starts_with_production_settings(tmp_path):
    done = start("manage.py", "check", env=production(), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr


def test_manage_py_starts_with_debug_on_and_nothing_else(tmp_path):
    done = start("manage.py", "check", env={"DEBUG": "1"}, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr


def test_web_entry_point_refuses_with_the_status_that_stops_gunicorn(tmp_path):
    # 4 is gunicorn's "App failed to load": it stops instead of starting workers for ever
    # (test_gunicorn shows it with a real server).
    done = start("-c", "import buurtnet.wsgi", env=production(SECRET_KEY=None), tmp_path=tmp_path)
    assert_refused_in_one_line(done, 4, "SECRET_KEY")


def test_asgi_entry_point_refuses_to_start_without_allowed_hosts(tmp_path):
    done = start(
        "-c", "import buurtnet.asgi", env=production(ALLOWED_HOSTS=None), tmp_path=tmp_path
    )
    assert_refused_in_one_line(done, 1, "ALLOWED_HOSTS")


@pytest.mark.parametrize(
    "key",
    ["", "buurtnet-local-development-key-not-for-production", "django-insecure-abc", "short"],
)
def test_known_or_weak_keys_are_refused(key):
    assert key_problem(key)


def test_a_long_random_key_is_accepted():
    assert key_problem(secrets.token_urlsafe(50)) == ""


@pytest.mark.parametrize(
    "site_url", ["", "http://buurtnet.example.be", "https://", "buurtnet.example.be"]
)
def test_a_site_url_without_https_and_a_host_is_refused(site_url):
    assert site_url_problem(site_url)


def test_an_https_site_url_is_accepted():
    assert site_url_problem("https://buurtnet.example.be") == ""
