"""Take the README's screenshots from the demo database.

Run after `make demo` has seeded var/buurtnet.sqlite3:
    .venv/bin/python scripts/screenshots.py
It serves the site on a free port, logs in as the demo zone staff and coordinator by
creating their sessions directly, and saves PNGs under docs/screenshots/.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
# Playwright's sync API runs an event loop in this thread; our ORM calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from buurtnet.networks.middleware import SESSION_KEY as SECOND_FACTOR_OK  # noqa: E402
from buurtnet.networks.models import Membership, PoliceZone  # noqa: E402
from buurtnet.people.models import Person  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def session_for(email: str) -> str:
    person = Person.objects.get(email=email)
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store[SECOND_FACTOR_OK] = True
    store["_language"] = "nl"
    store.create()
    return store.session_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},  # the development key is refused without DEBUG
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        zone = PoliceZone.objects.get(code="5999")
        coordinated = Membership.objects.get(
            person__email="coordinator@demo.buurtnet.be", role="coordinator"
        ).network_id
        shots = [
            ("zone@demo.buurtnet.be", f"/zones/{zone.code}/", "zone-map.png", 1100),
            (
                "coordinator@demo.buurtnet.be",
                f"/networks/{coordinated}/applications/",
                "applications.png",
                420,
            ),
        ]
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            for email, path, name, width in shots:
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": session_for(email),
                            "url": f"http://127.0.0.1:{port}",
                        },
                        {
                            "name": "django_language",
                            "value": "nl",
                            "url": f"http://127.0.0.1:{port}",
                        },
                    ]
                )
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{port}{path}")
                page.screenshot(path=str(OUT / name), full_page=False)
                context.close()
                print(f"saved {OUT / name}")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
