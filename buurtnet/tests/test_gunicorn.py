"""The web process runs under gunicorn with production settings (issue 17): pages answer,
static files are served by their hashed names as immutable, and unsafe settings stop
gunicorn at once instead of having it start new workers that refuse for ever."""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).with_name("gunicorn")
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
# gunicorn trusts this header from 127.0.0.1 (forwarded_allow_ips), as it does from nginx.
BEHIND_TLS = {"X-Forwarded-Proto": "https"}
# Whatever the surrounding shell has set for these would change what is tested.
DECIDED = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DATABASE_URL",
    "SQLITE_PATH",
    "STATIC_ROOT",
    "TASKS_REDIS_URL",
    "CACHE_REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
)


def production_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DECIDED}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://127.0.0.1",
        DATABASE_URL=f"sqlite:///{folder / 'buurtnet.sqlite3'}",
        STATIC_ROOT=str(folder / "static"),
        BUURTNET_VAR_DIR=str(folder),
    )
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - the virtual environment's gunicorn
        [str(GUNICORN), "buurtnet.wsgi", "--bind", "127.0.0.1:0", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_address(process: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The address gunicorn bound (port 0: the system picked a free one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text())
        if found:
            return found.group(1)
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start: {log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn with two workers on a migrated database and collected static files, as a
    deploy sets them up."""
    folder = tmp_path_factory.mktemp("gunicorn")
    env = production_env(folder)
    manage("migrate", "--no-input", "-v0", env=env)
    manage("collectstatic", "--no-input", "-v0", env=env)
    log = folder / "gunicorn.log"
    process = start_gunicorn(env, log)
    try:
        address = wait_for_address(process, log)
        with httpx.Client(base_url=address, headers=BEHIND_TLS, timeout=30) as client:
            yield client, folder
    finally:
        stop(process)


def test_gunicorn_serves_the_home_page_over_https(gunicorn):
    client, _folder = gunicorn
    home = client.get("/")
    assert home.status_code == 200
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")


def test_gunicorn_serves_a_hashed_static_file_as_immutable(gunicorn):
    client, folder = gunicorn
    paths = json.loads((folder / "static" / "staticfiles.json").read_text())["paths"]
    page = client.get("/").text
    assert f"/static/{paths['css/site.css']}" in page
    answer = client.get(f"/static/{paths['css/site.css']}")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "max-age=315360000, public, immutable"


def test_unsafe_settings_stop_gunicorn_instead_of_restarting_workers(tmp_path):
    env = production_env(tmp_path)
    del env["ALLOWED_HOSTS"]
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, log)
    try:
        process.wait(timeout=60)
    finally:
        stop(process)
    refusals = [line for line in log.read_text().splitlines() if "refuses to start" in line]
    assert process.returncode != 0
    # One per worker started: none was started again after refusing.
    assert 1 <= len(refusals) <= 2, log.read_text()
    assert "ALLOWED_HOSTS is empty" in refusals[0]
