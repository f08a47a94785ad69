from django.core.mail import EmailMultiAlternatives
from django_tasks import task

from .sms import get_transport


@task()
def send_email(recipient: str, subject: str, body: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=[recipient])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@task()
def send_sms(phone: str, text: str) -> None:
    get_transport().send(phone, text)
