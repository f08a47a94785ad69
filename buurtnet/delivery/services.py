"""Sending one-off e-mails and SMS (verification, decisions) through the task workers.

Work is enqueued only after the surrounding transaction commits, so a rolled-back
request never sends anything and a worker never looks for rows not yet visible.
"""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from buurtnet.people.models import Channel, Person

from . import tasks


def enqueue_email(recipient: str, subject: str, body: str, html: str = "") -> None:
    transaction.on_commit(lambda: tasks.send_email.enqueue(recipient, subject, body, html))


def enqueue_sms(phone: str, text: str) -> None:
    transaction.on_commit(lambda: tasks.send_sms.enqueue(phone, text))


def notify_person(person: Person, template: str, context: dict) -> None:
    """Tell a person something, in their language, by e-mail and, if they chose it, by SMS.

    template names a pair: `<template>_subject.txt` and `<template>_body.txt`.
    """
    with translation.override(person.language):
        context = {**context, "person": person, "site_url": settings.SITE_URL}
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context).strip()
    enqueue_email(person.email, subject, body)
    if Channel.SMS in (person.channels or []) and person.phone_verified:
        enqueue_sms(person.phone, f"{subject}. {body}"[:300])
