"""Purging and anonymising what is past the zone's retention periods.

`purge()` runs from `manage.py tick`. Every step is set-based (UPDATE or DELETE over a
batch of ids, never one query per row of a large set), commits per batch, and only picks
rows that still hold what must go, so it is safe to run twice or from two machines: a
second run finds nothing.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from buurtnet.audit.services import retention_days as audit_retention_days
from buurtnet.common.private_files import StorageUnavailable, delete_files
from buurtnet.delivery import notices
from buurtnet.delivery.models import Delivery, Notice, OutboxMessage
from buurtnet.messaging.models import Message, MessageText, Recipient, Reply
from buurtnet.networks.models import Membership, MembershipStatus, PoliceZone
from buurtnet.networks.permissions import Standing
from buurtnet.reports.models import Report, ReportEvent, ReportPhoto, ReportStatus

from .models import RetentionPolicy

logger = logging.getLogger(__name__)

FIELDS = ("left_members", "closed_reports", "delivery_records", "outbox_records")
# What `purge()` reports, in this order.
KINDS = (
    "left_members",
    "closed_reports",
    "deliveries",
    "recipients",
    "outbox_records",
    "notices",
)

MEMBERSHIP_BATCH = 1000
REPORT_BATCH = 500
MESSAGE_BATCH = 50
ROW_BATCH = 5000
# `manage.py tick` runs every few seconds; a purge is due once an hour.
PURGE_INTERVAL = timedelta(hours=1)


def policy_for(zone: PoliceZone | int) -> RetentionPolicy:
    """The zone's policy, created with the defaults the first time it is needed."""
    zone_id = zone if isinstance(zone, int) else zone.pk
    found, _created = RetentionPolicy.objects.get_or_create(zone_id=zone_id)
    return found


def may_manage(person, zone_id: int) -> bool:
    return Standing.of(person).can_view_zone(zone_id)


def save_policy(zone: PoliceZone, by, values: Mapping) -> RetentionPolicy:
    """Zone staff set their zone's periods. Raises ValidationError (per field, translated)
    and changes nothing when a value is out of range."""
    if not may_manage(by, zone.pk):
        raise PermissionDenied
    policy = policy_for(zone)
    for name in FIELDS:
        if name in values:
            setattr(policy, name, values[name])
    policy.full_clean(exclude=["zone"])
    policy.save(update_fields=list(FIELDS))
    return policy


def audit_days() -> int:
    """The audit log's period: platform-wide, shown read-only to zones."""
    return audit_retention_days()


# --- Purging ----------------------------------------------------------------------------------


def purge(now: datetime | None = None) -> dict[str, int]:
    """Apply every zone's policy; return how many rows of each kind were purged or
    anonymised. Zones without a policy yet get one with the defaults."""
    now = now or timezone.now()
    totals = dict.fromkeys(KINDS, 0)
    zone_ids = list(PoliceZone.objects.order_by("pk").values_list("pk", flat=True))
    outbox_days: list[int] = []
    for zone_id in zone_ids:
        policy = policy_for(zone_id)
        counts = {
            "left_members": _purge_left_members(zone_id, now - _days(policy.left_members)),
            "closed_reports": _anonymise_closed_reports(
                zone_id, now - _days(policy.closed_reports)
            ),
        }
        deliveries, recipients = _purge_delivery_records(
            zone_id, now - _days(policy.delivery_records)
        )
        counts.update(deliveries=deliveries, recipients=recipients)
        outbox_days.append(policy.outbox_records)
        for kind, n in counts.items():
            totals[kind] += n
        RetentionPolicy.objects.filter(pk=policy.pk).update(last_run_at=now, last_counts=counts)
    # Outbox rows belong to no zone: the shortest period any zone asked for applies.
    days = min(outbox_days, default=RetentionPolicy._meta.get_field("outbox_records").default)
    totals["outbox_records"] = _purge_outbox(now - _days(days))
    totals["notices"] = _purge_notices(now)
    logger.info("retention purge: %s", totals)
    return totals


def purge_if_due(now: datetime | None = None) -> int:
    """The tick step: purge when a zone has not been purged for PURGE_INTERVAL (or
    never); return how many rows were purged or anonymised."""
    now = now or timezone.now()
    never = PoliceZone.objects.filter(retention_policy__isnull=True).exists()
    stale = RetentionPolicy.objects.filter(
        Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - PURGE_INTERVAL)
    ).exists()
    if not (never or stale):
        # Notices belong to no zone: an installation without a zone yet (log-in codes of
        # its first administrators) still forgets them.
        return 0 if PoliceZone.objects.exists() else _purge_notices(now)
    return sum(purge(now).values())


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _purge_left_members(zone_id: int, cutoff: datetime) -> int:
    """Memberships of the zone's BINs that ended (left) before the cutoff go, with their
    change history (cascade)."""
    left = Membership.objects.filter(
        network__municipality__zone_id=zone_id,
        status=MembershipStatus.LEFT,
        status_changed_at__lt=cutoff,
    ).order_by("pk")
    deleted = 0
    while ids := list(left.values_list("pk", flat=True)[:MEMBERSHIP_BATCH]):
        _total, per_model = Membership.objects.filter(pk__in=ids).delete()
        deleted += per_model.get(Membership._meta.label, 0)
    return deleted


def _anonymise_closed_reports(zone_id: int, cutoff: datetime) -> int:
    """Reports closed before the cutoff lose everything that points to a person: the
    reporter, the description, the number plate, the member's reply it came from, the
    photos, and every copy of their text in the messaging tables (see
    `_erase_report_copies`). What is left counts in the figures: category, time, place in
    the BIN, status and outcome.

    Photo files go before their rows: when the storage does not answer, the batch and
    the ones after it stay as they are until the next run, so no erased report ever
    leaves its photos behind in a bucket or folder nobody looks at."""
    has_photos = Exists(ReportPhoto.objects.filter(report=OuterRef("pk")))
    has_copies = Exists(
        ReportEvent.objects.filter(
            report=OuterRef("pk"),
            kind__in=COPY_EVENTS,
            message__isnull=False,
        )
    )
    todo = (
        Report.objects.filter(
            network__municipality__zone_id=zone_id,
            status=ReportStatus.CLOSED,
            closed_at__lt=cutoff,
        )
        .filter(
            Q(reporter__isnull=False)
            | ~Q(description="")
            | ~Q(vehicle_plate="")
            | Q(source_reply__isnull=False)
            | has_photos
            | has_copies
        )
        .order_by("pk")
    )
    done = 0
    last = 0
    while ids := list(todo.filter(pk__gt=last).values_list("pk", flat=True)[:REPORT_BATCH]):
        last = ids[-1]
        photos = list(ReportPhoto.objects.filter(report_id__in=ids).values_list("pk", "image"))
        storage = ReportPhoto._meta.get_field("image").storage
        try:
            delete_files(storage, [name for _pk, name in photos if name])
        except StorageUnavailable:
            logger.warning("retention: photo storage unreachable, reports left for the next run")
            break
        with transaction.atomic():
            _erase_report_copies(ids)
            ReportPhoto.objects.filter(pk__in=[pk for pk, _name in photos]).delete()
            done += Report.objects.filter(pk__in=ids).update(
                reporter=None,
                description="",
                vehicle_plate="",
                vehicle_plate_foreign=False,
                vehicle_make="",
                vehicle_colour="",
                source_reply=None,
            )
            # The police's notes on the way (forwarded to whom, feedback text) may name
            # the reporter too.
            ReportEvent.objects.filter(report_id__in=ids).exclude(note="").update(note="")
    return done


# The events whose message carries the report's text: the notification to its receivers
# (made when it was filed) and the feedback to the reporter. Messages made of a report for
# the BIN (a notice, an alert, a relay) were written anew for everyone and stay.
COPY_EVENTS = (ReportEvent.Kind.FILED, ReportEvent.Kind.FEEDBACK)


def _erase_report_copies(report_ids: list[int]) -> None:
    """Every copy of these reports' text outside the report row goes:

    - the notification message (sent in the reporter's name, the description in every
      language): deleted with its texts, recipients (inbox copies), deliveries and the
      replies threaded to it;
    - the feedback messages to the reporter: the reporter's inbox copy, its deliveries and
      the replies go; the message stays for the figures, its body replaced by a note;
    - the member's reply a report was made from;
    - the local outbox's rendered e-mails and texts holding any of it.
    """
    events = ReportEvent.objects.filter(
        report_id__in=report_ids, kind__in=COPY_EVENTS, message__isnull=False
    )
    notices = list(events.filter(kind=ReportEvent.Kind.FILED).values_list("message_id", flat=True))
    feedback = list(
        events.filter(kind=ReportEvent.Kind.FEEDBACK).values_list("message_id", flat=True)
    )
    source_replies = list(
        Report.objects.filter(pk__in=report_ids, source_reply__isnull=False).values_list(
            "source_reply_id", flat=True
        )
    )
    texts = set(
        Report.objects.filter(pk__in=report_ids)
        .exclude(description="")
        .values_list("description", flat=True)
    )
    for body, sms_text in MessageText.objects.filter(message_id__in=feedback).values_list(
        "body", "sms_text"
    ):
        texts.update((body, sms_text))
    replies = Reply.objects.filter(Q(pk__in=source_replies) | Q(message_id__in=notices + feedback))
    texts.update(replies.values_list("body", flat=True))
    # Detached first: the event keeps its kind and time, no longer the message.
    events.update(message=None)
    replies.delete()
    _delete_in_chunks(Recipient, Recipient.objects.filter(message_id__in=notices + feedback))
    Message.objects.filter(pk__in=notices).delete()
    for text in MessageText.objects.filter(message_id__in=feedback):
        with translation.override(text.language):
            text.body = gettext("Removed after the retention period.")
        text.sms_text = ""
        text.save(update_fields=["body", "sms_text"])
    _delete_outbox_copies(texts)


OUTBOX_MATCH_BATCH = 50
# Shorter texts ("Yes", "OK") could match unrelated mail; the outbox's own period takes them.
OUTBOX_MATCH_MIN_LENGTH = 12


def _delete_outbox_copies(texts: set[str]) -> None:
    """Rendered e-mails, texts and calls in the local outbox that hold one of the texts."""
    wanted = sorted(t.strip() for t in texts if len(t.strip()) >= OUTBOX_MATCH_MIN_LENGTH)
    for start in range(0, len(wanted), OUTBOX_MATCH_BATCH):
        match = Q()
        for text in wanted[start : start + OUTBOX_MATCH_BATCH]:
            match |= Q(body__contains=text) | Q(subject__contains=text)
        OutboxMessage.objects.filter(match).delete()


def _purge_delivery_records(zone_id: int, cutoff: datetime) -> tuple[int, int]:
    """Deliveries and recipients of the zone's messages sent before the cutoff (or, never
    sent, created before it). The message itself and its recipient count stay; replies
    stay, detached from the recipient row."""
    old = (
        Message.objects.filter(zone_id=zone_id)
        .filter(Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True, created_at__lt=cutoff))
        .filter(
            Exists(Recipient.objects.filter(message=OuterRef("pk")))
            | Exists(Delivery.objects.filter(message=OuterRef("pk")))
        )
        .order_by("pk")
    )
    deliveries = recipients = 0
    last = 0
    while batch := list(old.filter(pk__gt=last).values_list("pk", flat=True)[:MESSAGE_BATCH]):
        last = batch[-1]
        deliveries += _delete_in_chunks(Delivery, Delivery.objects.filter(message_id__in=batch))
        Reply.objects.filter(recipient__message_id__in=batch).update(recipient=None)
        recipients += _delete_in_chunks(Recipient, Recipient.objects.filter(message_id__in=batch))
    return deliveries, recipients


def _delete_in_chunks(model, rows) -> int:
    """Delete through the ORM (cascades included) in chunks of ids, so a message with
    300,000 deliveries never loads them all at once."""
    deleted = 0
    rows = rows.order_by("pk")
    while ids := list(rows.values_list("pk", flat=True)[:ROW_BATCH]):
        _total, per_model = model.objects.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)
    return deleted


def _purge_notices(now: datetime) -> int:
    """Notices (what one person was told outside a message) and their deliveries, after
    NOTICE_RETENTION_DAYS; those holding a code after NOTICE_CODE_RETENTION_HOURS. They
    belong to no zone: the installation's settings apply."""
    secret, code_cutoff, cutoff = notices.retention_cutoffs(now)
    old = Notice.objects.filter(
        Q(kind__in=secret, created_at__lt=code_cutoff) | Q(created_at__lt=cutoff)
    )
    return _delete_in_chunks(Notice, old)


def _purge_outbox(cutoff: datetime) -> int:
    _total, per_model = OutboxMessage.objects.filter(created_at__lt=cutoff).delete()
    return per_model.get(OutboxMessage._meta.label, 0)
