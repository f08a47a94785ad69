"""Exit 0 when the PostgreSQL server of the given URL answers, 1 otherwise."""

import sys

import psycopg

url = sys.argv[1]
try:
    psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except psycopg.Error as exc:
    print(f"PostgreSQL at {url.split('@')[-1]} not reachable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
