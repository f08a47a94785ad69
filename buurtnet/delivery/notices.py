"""The kinds of notice, and what a notice's delivery carries.

A notice is what one person is told outside a message (`models.Notice`; made by
`services.notify_person` and `services.send_code`). What differs between kinds is in one
table, `KINDS`:

    queue        the work queue of its deliveries: a code is typed in within minutes and
                 goes with the alerts; every other notice goes to `notices`
    quiet_hours  held during the person's quiet hours (non-urgent news); never a code, a
                 request to approve something or an overdue warning
    fallback     when e-mail fails for good, the person's next usable channel is tried, as
                 for an alert (a code goes only where it was asked for)
    valid        how long its deliveries wait for a provider that is down before they fail
    secret       it holds a code: kept only `NOTICE_CODE_RETENTION_HOURS`, never shown in
                 the admin or the export

Every notice is kept `NOTICE_RETENTION_DAYS` (retention's purge deletes it, with its
deliveries), a code only `NOTICE_CODE_RETENTION_HOURS`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .channels.base import Envelope
from .models import Delivery, Notice
from .queues import ALERTS, NOTICES


@dataclass(frozen=True)
class Kind:
    queue: str
    quiet_hours: bool
    fallback: bool
    valid: timedelta
    label: str
    secret: bool = False


CODE = "code"
LINK = "link"
APPROVAL = "approval"
OVERDUE = "overdue"
REPLY = "reply"
DECISION = "decision"
GOVERNANCE = "governance"
ABSENCE = "absence"
NOTICE = "notice"

NEWS_VALID = timedelta(days=2)
KINDS: dict[str, Kind] = {
    # Log-in, verification and confirmation codes and links.
    CODE: Kind(
        ALERTS,
        quiet_hours=False,
        fallback=False,
        valid=timedelta(minutes=15),
        secret=True,
        label=_("Code to type in"),
    ),
    # A link to confirm an address or set a password: as urgent as a code, but it stays
    # useful for days, so a mail server down for an hour must not fail it for good.
    LINK: Kind(
        ALERTS,
        quiet_hours=False,
        fallback=False,
        valid=timedelta(days=1),
        secret=True,
        label=_("Link to confirm"),
    ),
    # Someone waits for this person: a relay to approve, a founding request to decide.
    APPROVAL: Kind(
        NOTICES, quiet_hours=False, fallback=True, valid=NEWS_VALID, label=_("Request to decide")
    ),
    # A deadline has passed: a report or a forward not handled in time.
    OVERDUE: Kind(
        NOTICES, quiet_hours=False, fallback=True, valid=NEWS_VALID, label=_("Deadline passed")
    ),
    # A member answered the person's message (it may be an observation).
    REPLY: Kind(
        NOTICES, quiet_hours=False, fallback=True, valid=NEWS_VALID, label=_("Reply received")
    ),
    # News that can wait for the morning.
    DECISION: Kind(NOTICES, quiet_hours=True, fallback=True, valid=NEWS_VALID, label=_("Decision")),
    GOVERNANCE: Kind(
        NOTICES, quiet_hours=True, fallback=True, valid=NEWS_VALID, label=_("Life of the BIN")
    ),
    ABSENCE: Kind(
        NOTICES, quiet_hours=True, fallback=True, valid=NEWS_VALID, label=_("Absence watch")
    ),
    NOTICE: Kind(NOTICES, quiet_hours=True, fallback=True, valid=NEWS_VALID, label=_("Notice")),
}


def kind(name: str) -> Kind:
    """The rules of a kind; an unknown name (a row of a later version) gets NOTICE's."""
    return KINDS.get(name, KINDS[NOTICE])


def queue_of(name: str) -> str:
    return kind(name).queue


def label(name: str) -> str:
    """The kind in words, for the admin and the export."""
    return str(kind(name).label)


def urgent_kinds() -> list[str]:
    """The kinds someone waits for at their screen: counted with the alerts by readiness."""
    return [name for name, rules in KINDS.items() if rules.queue == ALERTS]


def secret_kinds() -> list[str]:
    return [name for name, rules in KINDS.items() if rules.secret]


def retention_cutoffs(now: datetime) -> tuple[list[str], datetime, datetime]:
    """(the secret kinds, before when a notice of theirs goes, before when any other goes)."""
    return (
        secret_kinds(),
        now - timedelta(hours=settings.NOTICE_CODE_RETENTION_HOURS),
        now - timedelta(days=settings.NOTICE_RETENTION_DAYS),
    )


def address(notice: Notice, channel: str) -> str:
    """Where the delivery on channel goes: the address or number the notice names, or
    else the person's own."""
    if channel == "email":
        return notice.email or (notice.person.email if notice.person else "")
    if channel in ("sms", "voice"):
        return notice.phone or (notice.person.phone if notice.person else "")
    if channel == "push":
        return str(notice.person_id or "")
    return ""


def envelope(delivery: Delivery, notice: Notice) -> Envelope:
    """The notice as it leaves on the delivery's channel: no "seen" link, no unsubscribe
    footer (a notice is not a message of a BIN; it is part of having an account)."""
    channel = delivery.channel
    short = notice.short_text or notice.subject
    return Envelope(
        delivery_id=delivery.pk,
        idempotency_key=delivery.idempotency_key,
        channel=channel,
        to=address(notice, channel),
        person_id=notice.person_id or 0,
        language=notice.language,
        subject=notice.subject,
        text=notice.text if channel == "email" else short,
        html=notice.html if channel == "email" else "",
        url=settings.SITE_URL if channel == "push" else "",
        urgent=kind(notice.kind).queue == ALERTS,
    )
