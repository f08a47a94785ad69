"""E-mail through Django's mail backend: SMTP, the local outbox or an Anymail provider.

One backend connection is opened per batch and kept for every send in it: opening an SMTP
session (TCP, EHLO, STARTTLS, AUTH) costs far more than sending one message on it.
"""

import contextlib
import hashlib
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import SafeMIMEText, sanitize_address

from ..headers import one_line
from .base import Envelope, Outcome, TransportError

try:  # Anymail is only needed where a hosted provider is configured.
    from anymail.exceptions import (
        AnymailError,
        AnymailInvalidAddress,
        AnymailRecipientsRefused,
    )
except ImportError:  # pragma: no cover - Anymail is in the lock file
    AnymailError = AnymailInvalidAddress = AnymailRecipientsRefused = ()

# Rendered MIME bytes per distinct content (message × language × BIN), with placeholders,
# kept across batches of the same worker process; the oldest entry goes first.
TEMPLATES: dict[tuple, bytes | None] = {}
TEMPLATE_CACHE_SIZE = 256
TO_STAND_IN = "recipient@placeholder.invalid"
TO_MARK = b"@@TO@@"
ID_MARK = b"<@@MESSAGE_ID@@>"
BOUNCED = "bounced"
PROVIDER = "provider"
# HTTP statuses from a provider's API that are worth retrying: timeouts and rate limits.
RETRYABLE_API_STATUSES = {408, 409, 425, 429}


def message_id(idempotency_key: str, domain: str) -> str:
    """The same delivery always gets the same Message-ID, so a re-send after a crash is
    recognisably the same message to mail servers, providers and bounce handling."""
    return f"<{idempotency_key}@{domain}>"


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "buurtnet.local"


class EmailTransport:
    channel = "email"

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._domain = ""
        self._from_email = ""
        self._sender = ""

    def open(self) -> None:
        self._connection = get_connection(fail_silently=False)
        self._domain = site_domain()
        self._from_email = settings.DEFAULT_FROM_EMAIL
        self._sender = sanitize_address(self._from_email, settings.DEFAULT_CHARSET)
        try:
            self._connection.open()
        except OSError:
            # The server may be back by the first send; that send reports the failure.
            self._drop_connection()

    def close(self) -> None:
        self._drop_connection()
        self._connection = None

    def send(self, envelope: Envelope) -> Outcome:
        if self._connection is None:
            self.open()
        if isinstance(self._connection, SmtpBackend) and envelope.to.isascii():
            return self._send_smtp(envelope)
        mail = self._build(envelope)
        try:
            self._reconnect_if_needed()
            sent = self._connection.send_messages([mail])
        except TransportError:
            raise
        except Exception as exc:
            error = self._map_error(exc)
            if not error.permanent:
                # The session may be half-broken (421, timeout, reset): start a fresh one.
                self._drop_connection()
            raise error from exc
        if not sent:
            raise TransportError("The mail backend sent nothing", permanent=True, reason=PROVIDER)
        return Outcome(state="sent", provider_ref=self._provider_ref(mail))

    def _build(self, envelope: Envelope) -> EmailMultiAlternatives:
        headers = {
            **{name: one_line(envelope.filled(value)) for name, value in envelope.headers.items()},
            "Message-ID": message_id(envelope.idempotency_key, self._domain),
        }
        mail = EmailMultiAlternatives(
            subject=one_line(envelope.subject),
            body=envelope.filled(envelope.text),
            from_email=self._from_email,
            to=[envelope.to],
            headers=headers,
            connection=self._connection,
        )
        if envelope.html:
            mail.attach_alternative(envelope.filled(envelope.html), "text/html")
        for filename, content, mimetype in envelope.attachments:
            _attach(mail, filename, content, mimetype)
        return mail

    def _send_smtp(self, envelope: Envelope) -> Outcome:
        """SMTP without building a MIME message per recipient: the message is rendered to
        bytes once per distinct content, and per recipient only the address, the
        Message-ID and the personal links are put in. Building the MIME tree costs about
        0.3 ms, several times what handing the bytes to the server costs."""
        template = self._template(envelope)
        if template is None:
            mail = self._build(envelope)
            data = mail.message().as_bytes(linesep="\r\n")
        else:
            data = template.replace(TO_MARK, envelope.to.encode()).replace(
                ID_MARK, message_id(envelope.idempotency_key, self._domain).encode()
            )
            for marker, value in envelope.fill.items():
                data = data.replace(marker.encode(), value.encode())
        try:
            self._reconnect_if_needed()
            self._connection.connection.sendmail(self._sender, [envelope.to], data)
        except TransportError:
            raise
        except Exception as exc:
            error = self._map_error(exc)
            if not error.permanent:
                self._drop_connection()
            raise error from exc
        return Outcome(
            state="sent",
            provider_ref=message_id(envelope.idempotency_key, self._domain).strip("<>")[:100],
        )

    def _template(self, envelope: Envelope) -> bytes | None:
        key = (
            self._from_email,
            envelope.subject,
            envelope.text,
            envelope.html,
            tuple(envelope.headers.items()),
            # Two messages with the same texts but different files never share bytes.
            tuple(
                (name, mimetype, _digest(content))
                for name, content, mimetype in envelope.attachments
            ),
        )
        if key not in TEMPLATES:
            stand_in = Envelope(**{**envelope.__dict__, "to": TO_STAND_IN, "fill": {}})
            mail = self._build(stand_in)
            mail.extra_headers["Message-ID"] = ID_MARK.decode()
            data = mail.message().as_bytes(linesep="\r\n")
            markers = [TO_STAND_IN.encode(), ID_MARK, *(m.encode() for m in envelope.fill)]
            # A long line makes Django switch to quoted-printable, which may cut a marker in
            # two: then this content goes the slow way.
            intact = all(marker in data for marker in markers)
            if len(TEMPLATES) >= TEMPLATE_CACHE_SIZE:
                TEMPLATES.pop(next(iter(TEMPLATES)))
            TEMPLATES[key] = data.replace(TO_STAND_IN.encode(), TO_MARK) if intact else None
        return TEMPLATES[key]

    def _reconnect_if_needed(self) -> None:
        """Open the connection ourselves: when send_messages() has to open it, it also
        closes it again afterwards, and the next send would pay for a new session."""
        try:
            self._connection.open()
        except OSError as exc:
            raise TransportError(f"Cannot connect to the mail server: {exc}") from exc

    def _drop_connection(self) -> None:
        if self._connection is None:
            return
        # Closing a broken session fails too (smtplib's errors are OSErrors); the backend
        # forgets the session either way.
        with contextlib.suppress(OSError):
            self._connection.close()

    @staticmethod
    def _map_error(exc: Exception) -> TransportError:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return _recipients_refused(exc)
        if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
            # With one recipient, a rejection after DATA is about this message.
            return TransportError(_smtp_text(exc), permanent=True, reason=PROVIDER)
        if isinstance(exc, (AnymailRecipientsRefused, AnymailInvalidAddress)):
            return TransportError(str(exc), permanent=True, reason=BOUNCED)
        if isinstance(exc, AnymailError):
            return _anymail_error(exc)
        if isinstance(exc, OSError):
            # Disconnects, timeouts, resets, 4xx replies, and refusals of our own sender or
            # login: a configuration fix or a later try can make these work.
            return TransportError(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, ValueError):
            # A header with a newline or an address Django cannot encode: never sendable.
            return TransportError(str(exc), permanent=True, reason=PROVIDER)
        return TransportError(f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _provider_ref(mail: EmailMultiAlternatives) -> str:
        status = getattr(mail, "anymail_status", None)
        if status is not None and isinstance(status.message_id, str):
            return status.message_id[:100]
        return mail.extra_headers["Message-ID"].strip("<>")[:100]


def _attach(mail: EmailMultiAlternatives, filename: str, content: bytes, mimetype: str) -> None:
    """Attach a file; a text type with parameters (an invitation is "text/calendar;
    method=REQUEST", which calendar clients look for) gets its part built here, since
    Django's attach() takes a bare type only. The file name goes into a header: one line."""
    filename = one_line(filename) or "attachment"
    base, _sep, params = mimetype.partition(";")
    maintype, _slash, subtype = base.strip().partition("/")
    if not params.strip() or maintype != "text":
        mail.attach(filename, content, base.strip())
        return
    try:
        text = content.decode()
    except UnicodeDecodeError:
        mail.attach(filename, content, "application/octet-stream")
        return
    part = SafeMIMEText(text, subtype, settings.DEFAULT_CHARSET)
    for param in params.split(";"):
        name, _eq, value = param.partition("=")
        if name.strip() and value.strip():
            part.set_param(name.strip(), value.strip().strip('"'))
    part.add_header(
        "Content-Disposition",
        "attachment",
        filename=filename if filename.isascii() else ("utf-8", "", filename),
    )
    mail.attach(part)


# The digest of each attachment's bytes, so a batch of thousands hashes a file once.
_DIGESTS: dict[int, tuple[bytes, str]] = {}


def _digest(content: bytes) -> str:
    found = _DIGESTS.get(id(content))
    # The bytes object is kept with its digest, so its id cannot be reused meanwhile.
    if found is None or found[0] is not content:
        if len(_DIGESTS) >= 16:
            _DIGESTS.pop(next(iter(_DIGESTS)))
        found = _DIGESTS[id(content)] = (content, hashlib.sha256(content).hexdigest())
    return found[1]


def _recipients_refused(exc: smtplib.SMTPRecipientsRefused) -> TransportError:
    codes = [code for code, _reply in exc.recipients.values()]
    text = "; ".join(
        f"{address}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
        for address, (code, reply) in exc.recipients.items()
    )
    permanent = bool(codes) and all(code >= 500 for code in codes)
    # A 4xx for one address (mailbox full, greylisting) says nothing about the server.
    return TransportError(
        text, permanent=permanent, reason=BOUNCED if permanent else "", recipient_only=True
    )


def _anymail_error(exc: Exception) -> TransportError:
    status = getattr(exc, "status_code", None)
    permanent = status is not None and 400 <= status < 500 and status not in RETRYABLE_API_STATUSES
    return TransportError(str(exc)[:500], permanent=permanent, reason=PROVIDER if permanent else "")


def _smtp_text(exc: smtplib.SMTPResponseException) -> str:
    reply = exc.smtp_error
    if isinstance(reply, bytes):
        reply = reply.decode(errors="replace")
    return f"{exc.smtp_code} {reply}"
