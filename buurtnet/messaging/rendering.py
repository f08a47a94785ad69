"""Turning a message into what each channel carries, in the recipient's language.

Templates are rendered once per language and network; per recipient only the personal
links are filled in, so rendering costs microseconds per delivery.
"""

import logging
import mimetypes
import re
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from buurtnet.common.private_files import StorageUnavailable, reaching_storage
from buurtnet.delivery.channels import Envelope
from buurtnet.delivery.headers import one_line
from buurtnet.delivery.services import render_plain

from .models import Message

SEEN_SALT = "buurtnet.messaging.seen.v2"
REPLY_SALT = "buurtnet.messaging.reply"
SEEN_MARK = "@@SEEN_URL@@"
UNSUBSCRIBE_MARK = "@@UNSUBSCRIBE_URL@@"
REPLY_MARK = "reply-to@placeholder.invalid"
ICS_METHOD = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)

logger = logging.getLogger(__name__)


def seen_token(recipient_id: int, person_id: int) -> str:
    """The token of a "seen" link: names the recipient row and its person (both checked
    against the database when used) and carries its time (it expires)."""
    return signing.TimestampSigner(salt=SEEN_SALT).sign_object([recipient_id, person_id])


def read_seen_token(token: str) -> tuple[int, int]:
    """(recipient id, person id); signing.SignatureExpired for a link older than
    SEEN_LINK_MAX_AGE_DAYS, signing.BadSignature for anything we did not sign."""
    max_age = timedelta(days=settings.SEEN_LINK_MAX_AGE_DAYS)
    try:
        value = signing.TimestampSigner(salt=SEEN_SALT).unsign_object(token, max_age=max_age)
        recipient_id, person_id = value
    except (TypeError, ValueError) as exc:
        raise signing.BadSignature("Malformed seen token") from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise signing.BadSignature("Unexpected seen token content")
    return recipient_id, person_id


class PersonalLinks:
    """The seen and unsubscribe links of one recipient, made without resolving URLs or
    setting up a signer per delivery (a worker makes thousands per second)."""

    def __init__(self) -> None:
        from buurtnet.delivery import unsubscribe

        self.seen_signer = signing.TimestampSigner(salt=SEEN_SALT)
        self.reply_signer = signing.TimestampSigner(salt=REPLY_SALT)
        self.unsubscribe_signer = unsubscribe.signer()
        self.make_unsubscribe_token = unsubscribe.make_token
        base = settings.SITE_URL.rstrip("/")
        self.seen_prefix, self.seen_suffix = _around(base, "messaging:seen")
        self.unsubscribe_prefix, self.unsubscribe_suffix = _around(base, "channels:unsubscribe")

    def seen(self, recipient_id: int, person_id: int) -> str:
        token = self.seen_signer.sign_object([recipient_id, person_id])
        return f"{self.seen_prefix}{token}{self.seen_suffix}"

    def unsubscribe(self, recipient_id: int, person_id: int) -> str:
        token = self.make_unsubscribe_token(
            person_id, "email", recipient_id, using=self.unsubscribe_signer
        )
        return f"{self.unsubscribe_prefix}{token}{self.unsubscribe_suffix}"

    def reply_address(self, recipient_id: int, person_id: int) -> str:
        """Where an e-mail reply goes: its own signature, so the address (which shows in
        every reply and forward) never opens the message the way the seen link does."""
        token = self.reply_signer.sign_object([recipient_id, person_id])
        return f"reply+{token.replace(':', '.')}@{settings.EMAIL_REPLY_DOMAIN}"


def _around(base: str, name: str) -> tuple[str, str]:
    prefix, suffix = reverse(name, args=["TOKEN"]).split("TOKEN")
    return base + prefix, suffix


def seen_url(recipient_id: int, person_id: int) -> str:
    path = reverse("messaging:seen", args=[seen_token(recipient_id, person_id)])
    return settings.SITE_URL.rstrip("/") + path


def subject_prefix(message: Message) -> str:
    parts = []
    if message.is_exercise:
        parts.append(_("EXERCISE"))
    if message.kind == "alert":
        parts.append(_("ALERT"))
    return f"[{' – '.join(parts)}] " if parts else ""


class Renderer:
    def __init__(self, message: Message) -> None:
        self.message = message
        self.texts = {t.language: t for t in message.texts.all()}
        self.cache: dict[tuple[str, int, str], tuple[str, str, str]] = {}
        self.links = PersonalLinks()
        self._attachments: tuple | None = None

    @property
    def attachments(self) -> tuple[tuple[str, bytes, str], ...]:
        """The message's file, read once per message (not per delivery) and only when an
        e-mail needs it."""
        if self._attachments is None:
            self._attachments = _read_attachment(self.message)
        return self._attachments

    def text_for(self, language: str):
        return (
            self.texts.get(language)
            or self.texts.get(self.message.language)
            or next(iter(self.texts.values()))
        )

    def _parts(self, language: str, network, channel: str) -> tuple[str, str, str]:
        key = (language, network.pk, channel)
        if key not in self.cache:
            text = self.text_for(language)
            with translation.override(text.language):
                context = {
                    "message": self.message,
                    "text": text,
                    "network": network,
                    "seen_url": SEEN_MARK,
                    "unsubscribe_url": UNSUBSCRIBE_MARK,
                }
                subject = one_line(subject_prefix(self.message) + text.title)
                if channel == "email":
                    body = render_plain("messaging/email/message.txt", context)
                    html = render_to_string("messaging/email/message.html", context)
                elif channel == "sms":
                    marker = _("EXERCISE") + ": " if self.message.is_exercise else ""
                    body, html = marker + (text.sms_text or text.title), ""
                elif channel == "voice":
                    intro = _("This is a message from your neighbourhood information network.")
                    if self.message.is_exercise:
                        intro += " " + _("This is an exercise.")
                    body, html = f"{intro} {text.title}. {text.sms_text or text.body}", ""
                else:
                    body, html = text.sms_text or text.body[:240], ""
            self.cache[key] = (subject, body, html)
        return self.cache[key]

    def envelope(self, delivery, person) -> Envelope:
        recipient = delivery.recipient
        subject, body, html = self._parts(
            recipient.language, recipient.link.network, delivery.channel
        )
        url = ""
        headers: dict[str, str] = {}
        fill: dict[str, str] = {}
        to = person.email
        if delivery.channel == "email":
            url = self.links.seen(recipient.pk, person.pk)
            # The transport fills these in, so the rendered message stays the same for all.
            fill = {
                SEEN_MARK: url,
                UNSUBSCRIBE_MARK: self.links.unsubscribe(recipient.pk, person.pk),
            }
            headers = {
                "List-Unsubscribe": f"<{UNSUBSCRIBE_MARK}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
            if settings.EMAIL_REPLY_DOMAIN:
                fill[REPLY_MARK] = self.links.reply_address(recipient.pk, person.pk)
                headers["Reply-To"] = REPLY_MARK
        elif delivery.channel in ("sms", "voice"):
            to = person.phone
        elif delivery.channel == "push":
            url = self.links.seen(recipient.pk, person.pk)
            to = str(person.pk)
        return Envelope(
            delivery_id=delivery.pk,
            idempotency_key=delivery.idempotency_key,
            channel=delivery.channel,
            to=to,
            person_id=person.pk,
            language=recipient.language,
            subject=subject,
            text=body,
            html=html,
            url=url,
            headers=headers,
            fill=fill,
            urgent=self.message.kind == "alert",
            attachments=self.attachments if delivery.channel == "email" else (),
        )


def attachment_type(filename: str, content: bytes) -> str:
    """An invitation (.ics) says its iTIP method, which calendar clients act on."""
    if filename.lower().endswith(".ics"):
        found = ICS_METHOD.search(content)
        method = found.group(1).decode().upper() if found else "REQUEST"
        return f"text/calendar; method={method}"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _read_attachment(message: Message) -> tuple[tuple[str, bytes, str], ...]:
    if not message.attachment:
        return ()
    try:
        with (
            reaching_storage("read", message.attachment.name),
            message.attachment.open("rb") as file,
        ):
            content = file.read()
    except (FileNotFoundError, StorageUnavailable):
        # A file gone from storage cannot come back by retrying, and an alert must not
        # wait for object storage to come back: the e-mail still goes, without it.
        logger.warning("Attachment of message %s cannot be read", message.pk)
        return ()
    filename = message.attachment_name or PurePosixPath(message.attachment.name).name
    return ((filename, content, attachment_type(filename, content)),)
