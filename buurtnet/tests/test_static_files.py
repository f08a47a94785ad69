"""Static files in production (issue 17): `collectstatic` writes hashed, gzip-compressed
copies, pages link the hashed names, and WhiteNoise serves those as immutable while a file
reached by its plain name is cached for a minute only."""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

MANIFEST_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
STYLESHEET = "css/site.css"  # linked by the base template on every page
HASHED = re.compile(r"^css/site\.[0-9a-f]{12}\.css$")
STATIC_TAG = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]""")
ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """One collectstatic with the manifest storage, as a deploy runs it."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=root, STORAGES={**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def manifest_storage(settings, static_root) -> Path:
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST_STORAGE}
    return static_root


def manifest(static_root: Path) -> dict[str, str]:
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


def test_collectstatic_writes_each_file_under_a_name_with_its_hash(static_root):
    hashed = manifest(static_root)[STYLESHEET]
    assert HASHED.match(hashed)
    assert (static_root / hashed).read_bytes() == (static_root / STYLESHEET).read_bytes()


def test_collectstatic_writes_a_gzip_copy_next_to_each_hashed_file(static_root):
    hashed = static_root / manifest(static_root)[STYLESHEET]
    packed = hashed.with_name(hashed.name + ".gz")
    assert gzip.decompress(packed.read_bytes()) == hashed.read_bytes()


def test_every_static_file_a_template_names_is_in_the_manifest(static_root):
    """The manifest storage answers 500 for a {% static %} name it does not know."""
    named = {
        name
        for template in ROOT.joinpath("buurtnet").rglob("templates/**/*.html")
        for name in STATIC_TAG.findall(template.read_text(encoding="utf-8"))
    }
    assert STYLESHEET in named
    assert named - set(manifest(static_root)) == set()


@pytest.mark.django_db
def test_a_page_links_the_hashed_name(manifest_storage, client):
    page = client.get(reverse("account_login")).content.decode()
    assert f'href="/static/{manifest(manifest_storage)[STYLESHEET]}"' in page
    assert f'"/static/{STYLESHEET}"' not in page


@pytest.mark.django_db
def test_whitenoise_serves_a_hashed_file_as_immutable(manifest_storage):
    # A new client loads the middleware now, so WhiteNoise reads the collected folder.
    answer = Client().get(f"/static/{manifest(manifest_storage)[STYLESHEET]}")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "max-age=315360000, public, immutable"


@pytest.mark.django_db
def test_whitenoise_serves_a_file_by_its_plain_name_for_a_minute_only(manifest_storage):
    answer = Client().get(f"/static/{STYLESHEET}")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "max-age=60, public"


@pytest.mark.django_db
def test_whitenoise_serves_the_gzip_copy_to_a_browser_that_takes_it(manifest_storage):
    answer = Client().get(
        f"/static/{manifest(manifest_storage)[STYLESHEET]}", HTTP_ACCEPT_ENCODING="gzip"
    )
    assert answer["Content-Encoding"] == "gzip"


STORAGE_CLASS = (
    "import django; django.setup(); from django.core.files.storage import storages; "
    "print(type(storages['staticfiles']).__name__)"
)


def static_storage_class(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "STATIC_ROOT")}
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", STORAGE_CLASS],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "buurtnet.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_production_settings_use_the_manifest_storage():
    assert static_storage_class(DEBUG="0") == "CompressedManifestStaticFilesStorage"


def test_development_settings_serve_static_files_by_their_plain_names():
    assert static_storage_class(DEBUG="1") == "StaticFilesStorage"
