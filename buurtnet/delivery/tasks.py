"""Task entry points. They stay thin: the work is in outbox and worker.

A delivery task's arguments are ids (of one message's range, or a list) and a channel:
nothing of the person or the text, so the task backend's rows hold no personal data.
"""

from django_tasks import TaskContext, task

from .queues import NOTICES, known, sending_on

# The delivery tasks declare `notices`; outbox routes each to its message's queue
# (queues.queue_for_kind) or its notice kind's (notices.KINDS). Their follow-ups (retries,
# fall-backs) stay on the queue the batch came from: a survey's retries stay in bulk, an
# alert's in alerts.


@task(queue_name=NOTICES, takes_context=True)
def deliver_range(context: TaskContext, message_id: int, channel: str, lo: int, hi: int) -> int:
    from .worker import deliver_range as run

    with sending_on(known(context.task_result.task.queue_name)):
        return run(message_id, channel, lo, hi)


@task(queue_name=NOTICES, takes_context=True)
def deliver_ids(context: TaskContext, ids: list[int], channel: str) -> int:
    from .worker import deliver_ids as run

    with sending_on(known(context.task_result.task.queue_name)):
        return run(ids, channel)
