"""A backup restores into a database the application runs on (issue 17), done the way
docs/operations.md tells an operator to: `pg_dump -Fc` and `pg_restore` on PostgreSQL, the
online backup API (`sqlite3 DB ".backup COPY"`) on SQLite. The restored copy is checked by
`manage.py` in its own process, as a fresh installation would be started on it."""

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.messaging.services import Draft
from buurtnet.reports import services as reports
from buurtnet.reports.services import ReportInput

# What an installation cannot lose: the BIN and its people, a message with its audience and
# deliveries, a member's report, and the audit trail of it all.
COUNTED_MODELS = [
    "networks.Network",
    "networks.Membership",
    "people.Person",
    "messaging.Message",
    "messaging.Recipient",
    "delivery.Delivery",
    "reports.Report",
    "audit.AuditEvent",
]
INSIDE_OUR_BIN = (3.265, 50.825)  # the World fixture's "BIN Ours" square at 3.26, 50.82

postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="pg_dump/pg_restore need PostgreSQL (the PostgreSQL leg of `make test` runs this)",
)
sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the SQLite backup needs the embedded default"
)


def fingerprint() -> dict:
    """Row counts of what matters, the content of the report and message, the delivery
    states and the migrations applied. Called here and, by `manage.py shell`, on the
    restored copy, so both sides count the same way."""
    from django.db.migrations.recorder import MigrationRecorder

    from buurtnet.delivery.models import Delivery
    from buurtnet.reports.models import Report

    counts = {label: apps.get_model(label).objects.count() for label in COUNTED_MODELS}
    return {
        "counts": counts,
        "report_descriptions": sorted(Report.objects.values_list("description", flat=True)),
        "message_kinds": sorted(Message.objects.values_list("kind", flat=True)),
        "delivery_states": dict(Counter(Delivery.objects.values_list("state", flat=True))),
        "migrations": MigrationRecorder.Migration.objects.count(),
    }


FINGERPRINT_COMMAND = (
    "import json; from buurtnet.tests.test_backup_restore import fingerprint; "
    "print(json.dumps(fingerprint(), sort_keys=True))"
)


def fill_installation(world, now_sends) -> None:
    """An alert sent to our BIN (its deliveries handed to the outbox by the immediate task
    backend) and a member's report, all committed so that another process sees them."""
    world.member.channels = ["email", "sms", "inapp"]
    world.member.save()
    alert = now_sends(
        messaging.submit,
        world.officer,
        Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglars", "body": "Doors forced.", "sms_text": "Burglars"}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )
    assert alert.status == MessageStatus.SENT
    now_sends(
        reports.file_report,
        world.member,
        ReportInput(
            network_id=world.network.pk,
            category_id=reports.categories_for(world.zone).get(code="suspicious_vehicle").pk,
            occurred_at=timezone.now(),
            longitude=INSIDE_OUR_BIN[0],
            latitude=INSIDE_OUR_BIN[1],
            description="A grey van drove slowly past every house, twice.",
        ),
    )


def snapshot() -> dict:
    """The fingerprint as the copy's process will print it (JSON keys are strings), with
    something in every part, or a copy that lost the lot could still compare equal."""
    expected = json.loads(json.dumps(fingerprint(), sort_keys=True))
    filled = {label: n for label, n in expected["counts"].items() if label != "audit.AuditEvent"}
    assert all(filled.values()), expected["counts"]
    assert expected["delivery_states"] and expected["report_descriptions"]
    return expected


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py` in a process of its own, with only the database we give it."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SQLITE_PATH", "SECRET_KEY")
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, manage.py and arguments
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def assert_runs_on(expected: dict, **database_env: str) -> None:
    """No migration is missing on the copy, and it holds the same data."""
    check = manage("migrate", "--check", **database_env)
    assert check.returncode == 0, check.stdout + check.stderr
    shell = manage("shell", "-c", FINGERPRINT_COMMAND, **database_env)
    assert shell.returncode == 0, shell.stderr
    assert json.loads(shell.stdout.strip().splitlines()[-1]) == expected


def run(*command: str, env: dict | None = None) -> None:
    done = subprocess.run(  # noqa: S603 - a PostgreSQL or SQLite client tool, our arguments
        command, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"


# --- PostgreSQL --------------------------------------------------------------------------


def client_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install Debian's postgresql-client")
    return path


def libpq_environment() -> dict:
    """The test database's server and role for the client tools, the way libpq reads them."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}{port}/{name}"


def assert_client_not_older_than_server(pg_dump: str) -> None:
    """pg_dump refuses a server newer than itself, and a dump taken with an older client
    may miss what the newer server has: the major versions must match or the client must
    be newer (Debian's postgresql-client-NN beside postgresql-NN)."""
    out = subprocess.run(  # noqa: S603 - the pg_dump found on PATH, no input
        [pg_dump, "--version"], capture_output=True, text=True, check=True
    ).stdout
    client_major = int(re.search(r"(\d+)(?:\.\d+)?", out).group(1))
    server_major = connection.pg_version // 10000
    assert client_major >= server_major, (
        f"pg_dump {client_major} is older than the server ({server_major}): "
        f"install postgresql-client-{server_major}"
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_restores_into_a_new_database_the_app_runs_on(world, now_sends, tmp_path):
    pg_dump, pg_restore = client_tool("pg_dump"), client_tool("pg_restore")
    createdb, dropdb = client_tool("createdb"), client_tool("dropdb")
    assert_client_not_older_than_server(pg_dump)
    fill_installation(world, now_sends)
    expected = snapshot()
    env = libpq_environment()
    dump = tmp_path / "buurtnet.dump"
    restored = f"buurtnet_restore_{uuid.uuid4().hex[:12]}"

    run(pg_dump, "-Fc", "-f", str(dump), connection.settings_dict["NAME"], env=env)
    run(createdb, restored, env=env)
    try:
        run(pg_restore, "--no-owner", "--exit-on-error", "-d", restored, str(dump), env=env)
        assert_runs_on(expected, DATABASE_URL=database_url(restored))
    finally:
        run(dropdb, "--if-exists", "--force", restored, env=env)


# --- SQLite ------------------------------------------------------------------------------


def sqlite_file() -> Path:
    return Path(connection.settings_dict["NAME"])


def online_backup(source: Path, copy: Path) -> None:
    """SQLite's online backup API, which reads through the WAL: what the documented
    `sqlite3 DB ".backup COPY"` calls. Called from this process (the same SQLite library as
    the test database's own connection) rather than through the sqlite3 command line tool:
    run by the tool on the live test database, late in the full suite, new connections to it
    then failed with "disk I/O error" (not seen in smaller runs)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as live,
        contextlib.closing(sqlite3.connect(copy)) as backup,
    ):
        live.backup(backup)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_online_backup_is_a_database_the_app_runs_on(world, now_sends, tmp_path):
    fill_installation(world, now_sends)
    expected = snapshot()
    copy = tmp_path / "buurtnet-backup.sqlite3"

    online_backup(sqlite_file(), copy)

    assert_runs_on(expected, SQLITE_PATH=str(copy))


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_plain_copy_of_a_wal_database_misses_committed_rows(world, tmp_path):
    """Why docs/operations.md forbids `cp` of a live SQLite file: rows committed since the
    last checkpoint live in the -wal file, and a copy of the main file alone lacks them.
    The online backup has them."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    world.network.name = "BIN Ours, renamed after the checkpoint"
    world.network.save()
    plain, backup = tmp_path / "plain.sqlite3", tmp_path / "backup.sqlite3"

    shutil.copyfile(sqlite_file(), plain)
    online_backup(sqlite_file(), backup)

    query = "SELECT name FROM networks_network WHERE id = ?"
    for path, expected_name in ((plain, "BIN Ours"), (backup, world.network.name)):
        with contextlib.closing(sqlite3.connect(path)) as copy:
            assert copy.execute(query, [world.network.pk]).fetchone() == (expected_name,)
