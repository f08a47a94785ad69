"""Task entry points. They stay thin: the work is in outbox, worker and messaging."""

from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from .channels import Envelope, get_transport


@task()
def send_email(recipient: str, subject: str, body: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=[recipient])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@task()
def send_sms(phone: str, text: str) -> None:
    import uuid

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


@task()
def deliver_range(message_id: int, channel: str, lo: int, hi: int) -> int:
    from .worker import deliver_range as run

    return run(message_id, channel, lo, hi)


@task()
def deliver_ids(ids: list[int], channel: str) -> int:
    from .worker import deliver_ids as run

    return run(ids, channel)


@task()
def dispatch_message(message_id: int) -> bool:
    from buurtnet.messaging.services import dispatch_scheduled

    return dispatch_scheduled(message_id)
