"""Task entry points; the work is in services."""

from django_tasks import task

from buurtnet.delivery.queues import BACKGROUND


@task(queue_name=BACKGROUND)
def deliver(delivery_id: int, attempt: int) -> str:
    from .services import deliver as run

    return run(delivery_id, attempt)
