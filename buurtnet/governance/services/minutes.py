"""A meeting's minutes: written once it took place, approved, then sent to the members."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buurtnet.common.markdown import without_controls
from buurtnet.messaging.services import send_direct
from buurtnet.networks.models import Role
from buurtnet.networks.permissions import Standing
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plan

from ..models import Meeting, MeetingStatus
from .access import _require, can_run_meetings, is_officer
from .common import LANGUAGES, _invitees, _url
from .meetings import _started


def write_minutes(meeting: Meeting, by: Person, text: str) -> Meeting:
    """Minutes are Markdown, shown sanitised; approved minutes no longer change."""
    network = meeting.network
    _require(can_run_meetings(by, network) or Standing.of(by).role_in(network) == Role.STEERING)
    if meeting.minutes_approved:
        raise ValidationError(_("Approved minutes cannot be changed."), code="approved")
    if not _started(meeting) or meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(
            _("Minutes are written once the meeting has taken place."), code="not_held"
        )
    if not text.strip():
        raise ValidationError({"minutes": [_("Write the minutes.")]})
    meeting.minutes = without_controls(text.strip())
    meeting.minutes_written_by = by
    meeting.save(update_fields=["minutes", "minutes_written_by"])
    return meeting


def approve_minutes(meeting: Meeting, by: Person) -> Meeting:
    """The coordinator or the officer approves the minutes; members are then told."""
    network = meeting.network
    _require(can_run_meetings(by, network))
    if meeting.minutes_approved:
        raise ValidationError(_("The minutes are already approved."), code="approved")
    if not meeting.minutes.strip():
        raise ValidationError(_("Write the minutes first."), code="empty")
    now = timezone.now()
    with transaction.atomic():
        claimed = Meeting.objects.filter(pk=meeting.pk, minutes_approved_at__isnull=True).update(
            minutes_approved_at=now, minutes_approved_by=by
        )
        if not claimed:  # approved by a second click a moment ago
            raise ValidationError(_("The minutes are already approved."), code="approved")
        meeting.minutes_approved_at, meeting.minutes_approved_by = now, by
        people = _invitees(network)
        if people:
            plan = effective_plan(network)
            rule = plan.notice_rule(("email", "inapp"))
            url = _url("governance:meeting", meeting.pk)
            texts = {}
            for language in LANGUAGES:
                with translation.override(language):
                    title = _("Minutes: %(title)s") % {"title": meeting.title}
                    body = _("The minutes of the meeting are approved. Read them here: %(url)s") % {
                        "url": url
                    }
                    texts[language] = {"title": title, "body": body, "sms_text": title}
            send_direct(
                sender=by,
                sender_role=Role.OFFICER if is_officer(by, network) else Role.COORDINATOR,
                network=network,
                people=people,
                kind="notice",
                texts=texts,
                language=network.language,
                rule=rule,
                plan_version=plan.version,
            )
    return meeting
