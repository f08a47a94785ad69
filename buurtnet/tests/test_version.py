"""The version an installation runs: `buurtnet.__version__`, `manage.py version` and the
admin's footer (issue 17)."""

import io
import os
import subprocess
import sys
import tomllib

import django
from django.conf import settings
from django.core.management import call_command

import buurtnet
from buurtnet.networks.tests.test_views import log_in


def pyproject_version() -> str:
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def test_version_is_the_one_in_pyproject():
    assert buurtnet.__version__ == pyproject_version()


def test_installed_metadata_answers_when_there_is_no_checkout(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    dist_info = site / "buurtnet-9.8.7.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: buurtnet\nVersion: 9.8.7\n")
    monkeypatch.syspath_prepend(str(site))

    assert buurtnet.read_version(tmp_path / "no-pyproject.toml") == "9.8.7"


def test_a_pyproject_of_another_project_is_not_taken_for_ours(tmp_path):
    other = tmp_path / "pyproject.toml"
    other.write_text('[project]\nname = "something-else"\nversion = "4.0.0"\n')

    assert buurtnet.read_version(other) != "4.0.0"


def test_version_command_prints_the_version():
    out = io.StringIO()
    call_command("version", stdout=out)
    assert out.getvalue().strip() == pyproject_version()


def test_manage_py_version_prints_buurtnet_version_not_djangos():
    """Django answers `manage.py version` itself, with its own version, before it looks at
    the installed commands: manage.py has to hand it to ours."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "version"],
        cwd=settings.BASE_DIR,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == pyproject_version() != django.get_version()


def test_admin_footer_shows_the_version(client, world):
    response = log_in(client, world.admin).get("/admin/")
    assert response.status_code == 200
    assert f"Version {pyproject_version()}" in response.content.decode()
