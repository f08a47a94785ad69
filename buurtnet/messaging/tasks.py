"""Background work of messaging: sending a scheduled message at its time."""

from datetime import datetime

from django_tasks import default_task_backend, task

from buurtnet.common.reconnect import after_commit
from buurtnet.delivery.queues import NOTICES, queue_for_kind, route


@task(queue_name=NOTICES)
def dispatch_message(message_id: int) -> bool:
    from .services import dispatch_scheduled

    return dispatch_scheduled(message_id)


def schedule_dispatch(message_id: int, kind: str, when: datetime) -> None:
    """Send a scheduled message at its time, from the queue of its kind (an alert's from
    `alerts`). The periodic tick is the safety net for a backend that cannot defer, a task
    that was lost or a broker that did not answer."""

    def enqueue() -> None:
        if default_task_backend.supports_defer:
            task = route(dispatch_message, queue_for_kind(kind), run_after=when)
            task.enqueue(message_id)

    after_commit(enqueue, f"the scheduled dispatch of message {message_id}")
