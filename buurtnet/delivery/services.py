"""Sending one-off e-mails and SMS (verification, decisions) through the task workers.

Work is enqueued only after the surrounding transaction commits, so a rolled-back
request never sends anything and a worker never looks for rows not yet visible.
"""

import logging

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from buurtnet.common.reconnect import after_commit
from buurtnet.people.models import Channel, Person
from buurtnet.people.phones import can_receive_sms

from . import tasks
from .queues import ALERTS, NOTICES, route

logger = logging.getLogger(__name__)


def enqueue_email(
    recipient: str, subject: str, body: str, html: str = "", queue: str = ALERTS
) -> None:
    task = route(tasks.send_email, queue)
    after_commit(lambda: task.enqueue(recipient, subject, body, html), "an e-mail")


def enqueue_sms(phone: str, text: str, queue: str = ALERTS) -> bool:
    """Queue a text to phone, unless the number may not receive one (a landline, a country
    not in SMS_ALLOWED_COUNTRIES, a special number): then nothing is queued. Returns whether
    the text was queued."""
    if not can_receive_sms(phone):
        logger.warning("Not texting %s: not a mobile number of an allowed country", phone[:6])
        return False
    task = route(tasks.send_sms, queue)
    after_commit(lambda: task.enqueue(phone, text), "an SMS")
    return True


def render_plain(template_name: str, context: dict) -> str:
    """Render a plain-text template (an e-mail's text part, a subject, an SMS) without HTML
    escaping: "L'Espinette & Co" must not arrive as "L&#x27;Espinette &amp; Co". Only the
    HTML part of an e-mail escapes."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def notify_person(person: Person, template: str, context: dict) -> None:
    """Tell a person something, in their language, by e-mail and, if they chose it and their
    confirmed number can take a text (a mobile of an allowed country), by SMS.

    template names a pair: `<template>_subject.txt` and `<template>_body.txt`.
    """
    with translation.override(person.language):
        context = {**context, "person": person, "site_url": settings.SITE_URL}
        subject = " ".join(render_plain(f"{template}_subject.txt", context).split())
        body = render_plain(f"{template}_body.txt", context).strip()
    # A notice, not a code to type in: it does not go with the alerts.
    enqueue_email(person.email, subject, body, queue=NOTICES)
    if Channel.SMS in (person.channels or []) and person.can_receive_sms:
        enqueue_sms(person.phone, f"{subject}. {body}"[:300], queue=NOTICES)
