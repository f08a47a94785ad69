"""Benchmark: seed a large demo zone into a fresh database and time the busiest pages.

    .venv/bin/python bench/run.py [--members 100000] [--requests 20]

Runs on a fresh SQLite file in a temporary directory; when BENCH_DATABASE_URL is set
(e.g. postgres://postgres@127.0.0.1:5432/postgres) it runs again on a temporary
PostgreSQL database created on that server and dropped afterwards. Then it runs the
dashboard benchmark (bench/dashboard.py: the zone's communication-quality dashboard with a
year of messages, on SQLite and on PostgreSQL when BENCH_DATABASE_URL is set) and the
delivery benchmark (bench/delivery.py: an alert to 10,000 and 100,000 members through the
outbox and real local sinks, on PostgreSQL; skipped when no server is reachable). It prints
figures; it is not a test and fails only when something breaks.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SLOW_MS = 100.0
WARM_UP = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.backend:
        return run_backend(args)
    status = run_pages(args)
    status |= run_dashboard(args)
    status |= run_delivery()
    return status


def run_dashboard(args) -> int:
    """The dashboard benchmark (bench/dashboard.py: a year of messages on top of the demo
    zone, then the zone dashboard timed) in its own process, on its own databases."""
    command = [
        sys.executable,
        str(Path(__file__).with_name("dashboard.py")),
        "--members",
        str(args.members),
    ]
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603


def run_delivery() -> int:
    """The delivery benchmark in its own process (it sets up Django on its own database)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, str(Path(__file__).with_name("delivery.py"))]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    try:
        return process.wait()
    except KeyboardInterrupt:
        # It got the same Ctrl-C: let it stop its workers and sinks and drop its database.
        try:
            return process.wait(60)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait()
            raise


def run_pages(args) -> int:
    status = 0
    with tempfile.TemporaryDirectory(prefix="buurtnet-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            SQLITE_PATH=str(Path(tmp) / "bench.sqlite3"),
            BUURTNET_VAR_DIR=tmp,
            DJANGO_SETTINGS_MODULE="buurtnet.settings",
        )
        status |= spawn("sqlite", args, env)

    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if not pg_url:
        print("\nPostgreSQL page timings: skipped (set BENCH_DATABASE_URL to a server the bench")
        print(
            "may create a temporary database on, e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        )
        return status
    with tempfile.TemporaryDirectory(prefix="buurtnet-bench-") as tmp, temporary_pg(pg_url) as url:
        if url is None:
            return status
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url, BUURTNET_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="buurtnet.settings"
        )
        status |= spawn("postgres", args, env)
    return status


def spawn(backend: str, args, env: dict) -> int:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--backend",
        backend,
        "--members",
        str(args.members),
        "--requests",
        str(args.requests),
    ]
    return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode  # noqa: S603


class temporary_pg:
    """CREATE a throwaway database on the server of url, yield its URL, DROP it after."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.name = f"buurtnet_bench_{os.getpid()}"

    def __enter__(self) -> str | None:
        import psycopg

        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.Error as exc:
            print(f"\nPostgreSQL: skipped, cannot create a temporary database: {exc}")
            self.name = None
            return None
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def __exit__(self, *exc) -> None:
        if self.name is None:
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- inside one backend's process ------------------------------------------------------


def run_backend(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # no "Forbidden" lines in the table
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, no collectstatic
    import django

    django.setup()

    from collections import Counter

    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from buurtnet.core.management.commands import seed_demo
    from buurtnet.networks.middleware import SESSION_KEY
    from buurtnet.networks.models import Membership, MembershipStatus, Network, Role
    from buurtnet.people.models import Person

    print(f"\n=== {args.backend}: {connection.vendor} {connection.settings_dict['NAME']} ===")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    call_command("seed_demo", members=args.members, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seed_seconds = time.perf_counter() - started
    print(f"seed_demo --members {args.members}: {seed_seconds:.1f} s")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"database file: {os.path.getsize(connection.settings_dict['NAME']) / 1e6:.0f} MB")

    people = Person.objects.in_bulk(
        [email for email, *_ in seed_demo.NAMED_LOGINS], field_name="email"
    )
    first = (
        Membership.objects.filter(person=people[seed_demo.COORDINATOR_EMAIL], role=Role.COORDINATOR)
        .select_related("network")
        .get()
        .network
    )
    biggest = (
        Network.objects.filter(memberships__status=MembershipStatus.APPROVED)
        .annotate(n=Count("memberships"))
        .order_by("-n")
        .first()
    )
    surnames = Counter(
        name.rsplit(" ", 1)[-1]
        for name in Membership.objects.filter(network=first).values_list(
            "person__full_name", flat=True
        )
    )
    surname = surnames.most_common(1)[0][0]
    print(
        f"first BIN: {first.name} ({first.memberships.count()} memberships); "
        f"biggest: {biggest.name} ({biggest.n}); search ?q={surname}"
    )

    clients = {}
    for email, *_ in seed_demo.NAMED_LOGINS:
        client = Client()
        client.force_login(people[email])
        session = client.session
        session[SESSION_KEY] = True  # as after a TOTP log-in
        session.save()
        clients[email.split("@")[0]] = client

    net = f"/networks/{first.pk}"
    pages = [(role, "/") for role in clients] + [
        ("member", f"{net}/"),
        ("coordinator", f"{net}/members/"),
        ("coordinator", f"{net}/members/?page=3"),
        ("coordinator", f"{net}/members/?q={surname}"),
        ("coordinator", f"{net}/members/?q=an"),
        ("coordinator", f"{net}/applications/"),
        ("officer", f"{net}/members/"),
        ("zone", f"/networks/{biggest.pk}/members/"),
        ("zone", f"/zones/{seed_demo.ZONE_CODE}/"),
        ("admin", f"/zones/{seed_demo.ZONE_CODE}/"),
        ("member", "/join/location/"),
        ("officer", "/reports/"),
        ("zone", "/reports/?show=overdue"),
        ("officer", "/absences/watch/"),
        ("member", f"/prevention/{seed_demo.ZONE_CODE}/"),
        ("member", f"/prevention/{seed_demo.ZONE_CODE}/feed.atom"),
        ("zone", "/audit/"),
        ("member", "/privacy/my-data/"),
        ("zone", "/governance/"),
        ("officer", f"/governance/networks/{first.pk}/"),
        ("member", "/governance/"),
    ]

    rows = []
    for role, url in pages:
        client = clients[role]
        for _ in range(WARM_UP):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{role} GET {url}: {response.status_code}")
        reset_queries()  # each request clears the log; start counting from zero
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)
        slowest_sql = max((float(q["time"]) for q in queries.captured_queries), default=0) * 1000
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        median = timings[len(timings) // 2]
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        rows.append((role, url, median, p95, query_count, slowest_sql))

    print(f"\n{'role':<12} {'page':<34} {'median':>8} {'p95':>8} {'queries':>8} {'max SQL':>8}")
    slow = 0
    for role, url, median, p95, count, slowest_sql in rows:
        flag = "  SLOW" if p95 > SLOW_MS or median > SLOW_MS else ""
        slow += bool(flag)
        print(
            f"{role:<12} {url:<34} {median:>6.1f}ms {p95:>6.1f}ms {count:>8} "
            f"{slowest_sql:>6.1f}ms{flag}"
        )
    print(
        f"\n{args.requests} timed requests per page after {WARM_UP} warm-up; server time via the "
        f"test client; 'max SQL' is the slowest query of one request. "
        f"{slow} page(s) over {SLOW_MS:.0f} ms."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
