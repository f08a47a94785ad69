"""Work queues by urgency: which queue a piece of background work goes to, in one place.

    alerts      deliveries and dispatch of alerts; what must reach a person within a minute
                (log-in and verification codes: notices of the kind "code")
    notices     deliveries of every other message and notice to persons that is not bulk
    background  yearly report PDFs, webhooks, anything else
    bulk        deliveries of prevention tips and campaigns, surveys, other mass mailings

QUEUES is in priority order. A worker serving several queues takes work from the first that
has some: RQ checks its queues in the order given, django_tasks_db's worker takes the task
of the highest priority, and `route()` gives every task its queue's priority. A campaign to
100,000 members therefore waits behind an alert, never the other way round. Background
comes before bulk: a PDF or a webhook is a few seconds of work a person or a partner system
waits for, a campaign's ranges are minutes of work nobody waits for to the second.

This module imports nothing of Django's models, so settings and test configuration can
import QUEUES.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_tasks import Task

ALERTS = "alerts"
NOTICES = "notices"
BACKGROUND = "background"
BULK = "bulk"
QUEUES = (ALERTS, NOTICES, BACKGROUND, BULK)

# django_tasks_db's worker orders waiting tasks by priority, highest first (RQ has no task
# priority; there the order of the worker's queues does the same).
PRIORITY = {ALERTS: 30, NOTICES: 20, BACKGROUND: 10, BULK: 0}

# Message kinds (plans.models.MessageKind) other than alert whose deliveries do not go to
# `notices` (alerts, a coordinator's forward of one included, always go to `alerts`: see
# queue_for_kind). Tips, by hand or by a campaign, go to many members at once and are never
# urgent.
KIND_QUEUES = {"tip": BULK}

# Set while a block sends work of the kind "not urgent, to many": a survey's notices (kind
# notice, but a mass mailing), or a delivery task's own follow-ups (they stay on the queue
# their batch came from). Alerts always go to `alerts`.
_sending_on: ContextVar[str | None] = ContextVar("buurtnet_sending_on", default=None)


def queue_for_kind(kind: str) -> str:
    """The queue of the deliveries (and the scheduled dispatch) of a message of this kind."""
    if kind == "alert":
        return ALERTS
    return _sending_on.get() or KIND_QUEUES.get(kind, NOTICES)


@contextmanager
def sending_on(queue: str | None) -> Iterator[None]:
    """Messages sent inside the block (other than alerts) go to queue (None: by their kind).
    Also a decorator: `@sending_on(BULK)` on the function that sends a survey to every
    member."""
    if queue is not None and queue not in QUEUES:
        raise ValueError(f"Unknown work queue {queue!r}; the queues are {', '.join(QUEUES)}")
    token = _sending_on.set(queue)
    try:
        yield
    finally:
        _sending_on.reset(token)


def known(queue: str) -> str | None:
    """queue if it is one of ours, else None (a task left in an older installation's
    `default` queue)."""
    return queue if queue in QUEUES else None


def route(task: "Task", queue: str | None = None, run_after: datetime | None = None) -> "Task":
    """The task on queue (default: the queue it declares), with that queue's priority where
    the backend orders by priority, and run_after if given."""
    queue = queue or task.queue_name
    priority = PRIORITY[queue] if task.get_backend().supports_priority else None
    return task.using(queue_name=queue, priority=priority, run_after=run_after)
