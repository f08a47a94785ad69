"""Task entry points. They stay thin: the work is in outbox, worker and messaging."""

import logging

from django.core.mail import EmailMultiAlternatives
from django_tasks import TaskContext, task

from buurtnet.people.phones import can_receive_sms

from .channels import Envelope, get_transport
from .headers import one_line
from .queues import ALERTS, NOTICES, known, sending_on

logger = logging.getLogger(__name__)


# A code or a verification link is typed in within minutes: these go with the alerts.
@task(queue_name=ALERTS)
def send_email(recipient: str, subject: str, body: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject=one_line(subject), body=body, to=[recipient])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@task(queue_name=ALERTS)
def send_sms(phone: str, text: str) -> None:
    """Send one text. The number is checked again here, at the door to the provider: a task
    queued before the rule, or before its country left SMS_ALLOWED_COUNTRIES, sends nothing."""
    import uuid

    if not can_receive_sms(phone):
        logger.warning("Not texting %s: not a mobile number of an allowed country", phone[:6])
        return
    transport = get_transport("sms")
    transport.open()
    try:
        transport.send(
            Envelope(
                delivery_id=0,
                idempotency_key=f"bn-once-{uuid.uuid4().hex}",
                channel="sms",
                to=phone,
                person_id=0,
                language="nl",
                subject="",
                text=text,
            )
        )
    finally:
        transport.close()


# The delivery tasks declare `notices`; outbox routes each to its message's queue
# (queues.queue_for_kind). Their follow-ups (retries, fall-backs) stay on the queue the batch
# came from: a survey's retries stay in bulk, an alert's in alerts.


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


@task(queue_name=NOTICES)
def dispatch_message(message_id: int) -> bool:
    from buurtnet.messaging.services import dispatch_scheduled

    return dispatch_scheduled(message_id)
