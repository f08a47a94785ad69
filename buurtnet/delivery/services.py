"""Telling one person something outside a message: notices, through the outbox.

A notice (an application decided, a relay waiting for approval, an overdue warning, a
verification code) is one `Notice` row, rendered once in the person's language, with one
delivery per channel. The same workers as an alert's send them: claimed under a lease,
retried with back-off, waiting while a provider is paused, falling back to the person's next
channel where the kind allows (`notices.KINDS`), each outcome recorded. Nothing leaves before
the surrounding transaction commits, so a rolled-back request sends nothing.
"""

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from . import notices, outbox, reach
from .models import Channel, Delivery, DeliveryState, Notice

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

# What a text message of a notice holds at most: its subject and the start of its body.
SHORT_TEXT_LENGTH = 300


def render_plain(template_name: str, context: dict) -> str:
    """Render a plain-text template (an e-mail's text part, a subject, an SMS) without HTML
    escaping: "L'Espinette & Co" must not arrive as "L&#x27;Espinette &amp; Co". Only the
    HTML part of an e-mail escapes."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def notify_person(
    person: "AbstractBaseUser",
    template: str,
    context: dict,
    *,
    kind: str = notices.NOTICE,
    key: str = "",
) -> Notice:
    """Tell a person something, in their language, by e-mail and, if they chose it and their
    confirmed number can take a text (a mobile of an allowed country), by SMS.

    template names a pair: `<template>_subject.txt` and `<template>_body.txt`. kind is a
    key of `notices.KINDS`, chosen by the caller (the app that knows what it tells). A second
    call with the same person and a non-empty key returns the first notice and sends
    nothing more.
    """
    with translation.override(person.language):
        context = {**context, "person": person, "site_url": settings.SITE_URL}
        subject = " ".join(render_plain(f"{template}_subject.txt", context).split())
        body = render_plain(f"{template}_body.txt", context).strip()
    channels = [Channel.EMAIL.value]
    if Channel.SMS in (person.channels or []) and not reach.unusable_reason(person, "sms"):
        channels.append(Channel.SMS.value)
    return notify(
        kind=kind,
        person=person,
        language=person.language,
        subject=subject,
        text=body,
        short_text=f"{subject}. {body}"[:SHORT_TEXT_LENGTH],
        channels=channels,
        key=key,
    )


def send_code(
    person: "AbstractBaseUser | None",
    *,
    channel: str,
    to: str,
    text: str,
    subject: str = "",
    html: str = "",
    language: str = "",
    kind: str = notices.CODE,
) -> Notice | None:
    """Send a code or a link to type in or follow within minutes (log-in, verification,
    confirmation) to one address or number, on one channel: "email", "sms" (a mobile) or
    "voice" (read out in a call, for a landline). It goes with the alerts, never waits for
    quiet hours and never falls back to another channel. person may be None (a mail to an
    address without an account). A number that may not be texted or called (a country not
    in SMS_ALLOWED_COUNTRIES, a special number) gets nothing: returns None."""
    by_phone = channel in reach.PHONE_CHANNELS
    if by_phone and (reason := reach.number_reason(to, channel)):
        logger.warning("Not sending a code to %s by %s: %s", to[:6], channel, reason)
        return None
    return notify(
        kind=kind,
        person=person,
        language=language or getattr(person, "language", "") or translation.get_language(),
        email="" if by_phone else to,
        phone=to if by_phone else "",
        subject=subject,
        text="" if by_phone else text,
        html=html,
        short_text=text if by_phone else "",
        channels=[channel],
    )


def notify(
    *,
    kind: str,
    language: str,
    channels: Iterable[str],
    person: "AbstractBaseUser | None" = None,
    email: str = "",
    phone: str = "",
    subject: str = "",
    text: str = "",
    html: str = "",
    short_text: str = "",
    key: str = "",
) -> Notice:
    """Store a rendered notice and its deliveries; the workers get them once the
    transaction commits. With a key, the person's existing notice of that key is returned
    instead (two requests at the same moment: the unique constraint keeps one)."""
    with transaction.atomic():
        if key and person is not None:
            earlier = Notice.objects.filter(person=person, key=key).first()
            if earlier is not None:
                return earlier
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    person=person,
                    kind=kind,
                    key=key if person is not None else "",
                    language=(language or settings.LANGUAGE_CODE)[:2],
                    email=email,
                    phone=phone,
                    subject=subject[:300],
                    text=text,
                    html=html,
                    short_text=short_text,
                )
        except IntegrityError:
            if not key:
                raise
            return Notice.objects.get(person=person, key=key)
        now = timezone.now()
        Delivery.objects.bulk_create(
            Delivery(
                notice=notice,
                channel=channel,
                state=DeliveryState.QUEUED,
                next_attempt_at=now,
                queued_at=now,
            )
            for channel in dict.fromkeys(channels)
        )
    outbox.enqueue_notice(notice.pk, notice.kind)
    return notice
