"""DATABASE_URL=sqlite:///… opens the database as the embedded default does (issue 17): WAL,
a busy timeout and IMMEDIATE transactions, so that a web process and workers writing to the
same file wait for each other instead of failing with "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
WRITES = 200

# What a process does with the database, by the first argument; run as `python -c CHILD …`
# with DATABASE_URL set, so that the settings are read as a production process reads them.
CHILD = """
import sqlite3
import sys

import django

django.setup()
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

action, *args = sys.argv[1:]
if action == "pragmas":
    with connection.cursor() as cursor:
        for pragma in ("journal_mode", "busy_timeout"):
            print(cursor.execute(f"PRAGMA {pragma}").fetchone()[0])
elif action == "lock-at-begin":
    # Can another connection still take the write lock while an ORM transaction that has
    # written nothing yet is open? Not when the ORM's BEGIN took it (IMMEDIATE).
    with transaction.atomic():
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            print("other writer got in")
        except sqlite3.OperationalError as error:
            print(error)
elif action == "create-table":
    call_command("migrate", "sessions", verbosity=0)
elif action == "write":
    # A read, then a write, in each transaction: the pattern that fails on the lock upgrade
    # when the transaction began without the write lock (SQLite's default, DEFERRED).
    name, count = args[0], int(args[1])
    for n in range(count):
        with transaction.atomic():
            Session.objects.filter(session_key__startswith=name).count()
            Session.objects.create(
                session_key=f"{name}-{n}", session_data="", expire_date=timezone.now()
            )
    print("done")
elif action == "count":
    print(Session.objects.count())
"""


def environment(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SQLITE_PATH", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="buurtnet.settings",
        DATABASE_URL=f"sqlite:///{database}",
        BUURTNET_VAR_DIR=str(database.parent),
    )
    return env


def child(database: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        env=environment(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def output(process: subprocess.Popen) -> list[str]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.split()


def test_a_sqlite_url_opens_the_database_in_wal_mode_with_a_busy_timeout(tmp_path):
    assert output(child(tmp_path / "db.sqlite3", "pragmas")) == ["wal", "5000"]


def test_a_sqlite_url_takes_the_write_lock_when_a_transaction_begins(tmp_path):
    assert output(child(tmp_path / "db.sqlite3", "lock-at-begin")) == ["database", "is", "locked"]


def test_two_processes_writing_at_once_wait_for_each_other(tmp_path):
    database = tmp_path / "db.sqlite3"
    output(child(database, "create-table"))
    writers = [child(database, "write", name, str(WRITES)) for name in ("web", "worker")]
    assert [output(writer) for writer in writers] == [["done"], ["done"]]
    assert output(child(database, "count")) == [str(2 * WRITES)]
