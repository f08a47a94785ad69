"""Riding out a database or broker outage, in long-running processes and after a commit.

A worker or the tick lives much longer than a request and keeps its connections open. When
PostgreSQL or Redis restarts, the old connection is dead and every later query on it fails;
Django only replaces broken connections between requests. `Outage.ride_out()` is what such a
loop calls with the error it caught: if it was a lost connection, it closes the broken ones,
waits with back-off until every service answers again, and says so in two log lines (one
when the connection is lost, one when it is back) instead of a traceback per loop.

`after_commit()` is `transaction.on_commit()` for handing work to the task broker: a broker
that does not answer is logged, never raised. The rows the work was about stay queued and
`manage.py tick` (outbox.recover) enqueues them again, so a saved alert never turns into a
500 because Redis was restarting at that moment.
"""

import logging
import random
import time
from collections.abc import Callable
from contextvars import copy_context

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    *BROKER_ERRORS,
)


def _chain(error: BaseException):
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def is_connection_error(error: BaseException) -> bool:
    """Whether the error (or one it was raised from) is a database or broker error of the
    kind a lost connection raises. An OperationalError may also be a lock timeout or a bad
    query: `Outage.ride_out()` then finds every connection usable and leaves it alone."""
    return any(isinstance(link, CONNECTION_ERRORS) for link in _chain(error))


def _uses_rq() -> bool:
    return settings.TASKS["default"]["BACKEND"].startswith("django_tasks_rq.")


def _uses_redis_cache() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def close_stale_connections() -> None:
    """What Django does between two requests (close_old_connections), for a loop that is
    not a request: close connections past their age or broken, so the next query opens a
    fresh one. A connection inside a transaction is left alone (a caller's atomic block, as
    when tests call the command)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def close_broken_connections() -> bool:
    """Close this thread's database connections that no longer work (the server restarted,
    or terminated them), so the next query opens a fresh one. Returns whether any was."""
    broken = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()
            broken = True
    return broken


def _database_down() -> bool:
    for connection in connections.all():
        try:
            connection.ensure_connection()
        except CONNECTION_ERRORS:
            connection.close()
            return True
    return False


def _broker_down() -> bool:
    if not _uses_rq():
        return False
    import django_rq

    try:
        django_rq.get_connection("alerts").ping()  # every work queue is on the same Redis
    except BROKER_ERRORS:
        return True
    return False


def _cache_down() -> bool:
    if not _uses_redis_cache():
        return False
    from django.core.cache import cache

    try:
        cache.get("reconnect:probe")
    except BROKER_ERRORS:
        return True
    return False


def unreachable() -> list[str]:
    """The services this process needs that do not answer now."""
    return [
        name
        for name, down in (
            ("database", _database_down),
            ("task broker", _broker_down),
            ("cache", _cache_down),
        )
        if down()
    ]


class ServiceUnavailable(Exception):
    """A service is down and the caller chose not to wait for it."""


class Outage:
    """Waits out a lost database, broker or cache for the loop of one process.

    `first` and `longest` bound the back-off between tries (doubling, with jitter so that
    many workers do not knock on the database at the same instant)."""

    def __init__(
        self,
        process: str,
        *,
        first: float = 0.5,
        longest: float = 30.0,
        probe: Callable[[], list[str]] = unreachable,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.process = process
        self.first, self.longest = first, longest
        self.probe, self.sleep = probe, sleep

    def ride_out(self, error: BaseException, *, wait: bool = True) -> bool:
        """After `error`: if it came from a lost connection, reconnect (waiting as long as
        it takes) and return True; return False for any other error, which the caller
        handles as before. With `wait=False` a service that is still down raises
        ServiceUnavailable instead of waiting."""
        if not is_connection_error(error):
            return False
        broken = close_broken_connections()
        down = self.probe()
        lost_broker = any(isinstance(link, BROKER_ERRORS) for link in _chain(error))
        if not (down or broken or lost_broker):
            # Every connection works: an ordinary OperationalError (a lock, a bad query).
            return False
        what = ", ".join(down) or "a connection"
        if down and not wait:
            raise ServiceUnavailable(f"{what} unreachable ({_one_line(error)})") from error
        started = time.monotonic()
        logger.warning(
            "%s: lost the connection to %s (%s); reconnecting with back-off",
            self.process,
            what,
            _one_line(error),
        )
        delay = self.first
        while down:
            self.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
            delay = min(delay * 2, self.longest)
            down = self.probe()
        logger.warning(
            "%s: %s back after %.0f s; going on",
            self.process,
            what,
            time.monotonic() - started,
        )
        return True


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


def after_commit(work: Callable[[], object], what: str) -> None:
    """Run `work` (an enqueue) after the transaction commits; a failure is logged and
    swallowed: what was committed stays, and the periodic recovery hands it out again.
    `work` runs in the context variables of the caller (e.g. the work queue a survey's
    notices were sent on), as they were when it was handed over."""
    context = copy_context()

    def run() -> None:
        try:
            context.run(work)
        except Exception as error:
            if is_connection_error(error):
                logger.warning(
                    "Could not enqueue %s, the task broker does not answer (%s); "
                    "it stays queued and the tick enqueues it again",
                    what,
                    _one_line(error),
                )
            else:
                logger.exception("Could not enqueue %s; it stays queued for the tick", what)

    transaction.on_commit(run)
