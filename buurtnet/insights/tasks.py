"""Task entry points. They stay thin: the work is in report_services."""

from django_tasks import task

from buurtnet.delivery.queues import BACKGROUND


@task(queue_name=BACKGROUND)
def generate_yearly_report(report_id: int, version: int) -> bool:
    from .report_services import generate

    return generate(report_id, version)
