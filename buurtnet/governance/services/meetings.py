"""Meetings: scheduling with their decision items, invitations and cancellations, answers,
attendance and the BIN's rules for votes."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.messaging.services import send_direct
from buurtnet.networks.models import Membership, MembershipStatus, Network, NetworkStatus, Role
from buurtnet.people.models import Person
from buurtnet.plans.services import effective_plan

from .. import calendar
from ..models import (
    Answer,
    Attendance,
    Decision,
    DecisionStatus,
    FoundingRequest,
    Function,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingStatus,
    Rsvp,
)
from .access import _require, can_oversee, can_run_meetings, is_officer
from .cases import is_screened
from .common import LANGUAGES, _invitees, _store, _url


@dataclass
class DecisionInput:
    function: str
    candidate_id: int | None
    takes_effect_on: date | None


@dataclass
class MeetingInput:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    place: str = ""
    video_url: str = ""
    agenda: str = ""
    kind: str = MeetingKind.MEMBERS
    decisions: list[DecisionInput] = field(default_factory=list)


def may_schedule(person: Person, network: Network, kind: str) -> bool:
    if kind == MeetingKind.INFORMATION:
        return can_oversee(person, network)
    return can_run_meetings(person, network)


def schedule_meeting(network: Network, by: Person, data: MeetingInput) -> Meeting:
    """Schedule a meeting and invite the members through the messaging pipeline, with an
    iCalendar file; decision items go on its agenda."""
    if data.kind not in MeetingKind.values:
        raise ValidationError({"kind": [_("Choose the kind of meeting.")]})
    _require(may_schedule(by, network, data.kind))
    errors = _meeting_errors(network, data)
    decisions = []
    for index, item in enumerate(data.decisions):
        try:
            decisions.append(_decision_checked(network, item, data.starts_at))
        except ValidationError as exc:
            errors[f"decision_{index}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            network=network,
            kind=data.kind,
            title=data.title.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=data.place.strip(),
            video_url=data.video_url.strip(),
            agenda=data.agenda.strip(),
            created_by=by,
        )
        for item in decisions:
            Decision.objects.create(
                meeting=meeting,
                function=item.function,
                candidate_id=item.candidate_id,
                takes_effect_on=item.takes_effect_on,
            )
        audit.record(
            by, audit.Action.GOVERNANCE, meeting, network=network, detail={"do": "schedule"}
        )
        meeting.invitation = _invite(meeting, by)
        meeting.save(update_fields=["invitation"])
    return meeting


def _meeting_errors(network: Network, data: MeetingInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if network.status == NetworkStatus.DISSOLVED:
        errors["title"] = [_("This BIN is dissolved.")]
    if not data.title.strip():
        errors["title"] = [_("Give the meeting a title.")]
    if data.starts_at is None:
        errors["starts_at"] = [_("Give the date and time it starts.")]
    elif data.starts_at <= timezone.now():
        errors["starts_at"] = [_("A meeting cannot be scheduled in the past.")]
    if data.ends_at is None:
        errors["ends_at"] = [_("Give the time it ends.")]
    elif data.starts_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("The meeting must end after it starts.")]
    elif data.starts_at and data.ends_at - data.starts_at > timedelta(hours=12):
        errors["ends_at"] = [_("A meeting lasts at most 12 hours.")]
    if not data.place.strip() and not data.video_url.strip():
        errors["place"] = [_("Give a place or a video link.")]
    if data.video_url.strip() and not data.video_url.strip().lower().startswith("https://"):
        errors["video_url"] = [_("A video link starts with https://.")]
    if data.kind == MeetingKind.INFORMATION and data.decisions:
        errors["kind"] = [_("An information session takes no decisions; members do.")]
    if data.kind == MeetingKind.MEMBERS and network.status == NetworkStatus.PROPOSED:
        errors["kind"] = [_("A proposed BIN first holds an information session.")]
    days = rules_for(network).notice_days
    if data.decisions and data.starts_at and data.starts_at < timezone.now() + timedelta(days=days):
        errors.setdefault("starts_at", []).append(
            _(
                "A meeting that votes on a function is announced at least %(days)s days ahead "
                "(the BIN's rules): choose a later date."
            )
            % {"days": days}
        )
    return errors


def _notice_given(meeting: Meeting) -> bool:
    """The members were invited at least the BIN's notice before the meeting started."""
    days = rules_for(meeting.network).notice_days
    return meeting.starts_at - meeting.created_at >= timedelta(days=days)


def _require_notice(meeting: Meeting) -> None:
    if not _notice_given(meeting):
        raise ValidationError(
            _(
                "This meeting was announced less than %(days)s days ahead; it cannot vote on a "
                "function. Schedule a new meeting with enough notice."
            )
            % {"days": rules_for(meeting.network).notice_days},
            code="short_notice",
        )


def _decision_checked(network: Network, item: DecisionInput, starts_at) -> DecisionInput:
    if item.function not in Function.values:
        raise ValidationError(_("Choose the function the vote is about."), code="function")
    if item.takes_effect_on is None:
        raise ValidationError(_("Give the date the function takes effect."), code="date")
    if starts_at and item.takes_effect_on < timezone.localdate(starts_at):
        raise ValidationError(
            _("A function cannot take effect before the meeting that confirms it."), code="date"
        )
    membership = Membership.objects.filter(
        network=network, person_id=item.candidate_id, status=MembershipStatus.APPROVED
    ).first()
    if membership is None or membership.role == Role.OFFICER:
        raise ValidationError(
            _("Only a member of this BIN can be proposed for a function."), code="not_member"
        )
    if membership.role == item.function:
        raise ValidationError(_("This member already holds that function."), code="holds")
    if item.function == Function.COORDINATOR and not is_screened(network, membership.person):
        raise ValidationError(
            _(
                "The police must record this member's screening before they can be proposed as "
                "coordinator."
            ),
            code="not_screened",
        )
    return item


def _invite(meeting: Meeting, by: Person, cancelled: bool = False):
    """Send the invitation (or the cancellation) to the BIN's members as a notice with the
    iCalendar file attached. The founding requester is invited to an information session."""
    network = meeting.network
    people = _invitees(network)
    if meeting.kind == MeetingKind.INFORMATION:
        founding = FoundingRequest.objects.filter(network=network).first()
        if founding and founding.requested_by:
            people.append(founding.requested_by)
    if not people:
        return None
    plan = effective_plan(network)
    rule = plan.notice_rule(("email", "inapp", "push"), fallback=True)
    url = _url("governance:meeting", meeting.pk)
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            when = timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M")
            title = (_("Cancelled: %(title)s") if cancelled else _("Invitation: %(title)s")) % {
                "title": meeting.title
            }
            lines = [
                _("%(network)s, %(when)s.") % {"network": network.name, "when": when},
                meeting.place or meeting.video_url,
            ]
            if cancelled:
                lines.append(_("This meeting does not take place."))
            else:
                lines.append(_("Let us know whether you come: %(url)s") % {"url": url})
            texts[language] = {"title": title, "body": "\n\n".join(lines), "sms_text": title}
    sender_role = Role.OFFICER if is_officer(by, network) else Role.COORDINATOR
    message = send_direct(
        sender=by,
        sender_role=sender_role,
        network=network,
        people=people,
        kind="notice",
        texts=texts,
        language=network.language,
        rule=rule,
        plan_version=plan.version,
    )
    ics = calendar.invitation_ics(meeting, method="CANCEL" if cancelled else "REQUEST")
    _store(message.attachment, "meeting.ics", ics)
    return message


def cancel_meeting(meeting: Meeting, by: Person) -> Meeting:
    _require(can_run_meetings(by, meeting.network) or can_oversee(by, meeting.network))
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(_("Only a scheduled meeting can be cancelled."), code="not_scheduled")
    with transaction.atomic():
        # Claimed by a conditional update: a double click sends one cancellation.
        claimed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED, sequence=F("sequence") + 1
        )
        if not claimed:
            raise ValidationError(
                _("Only a scheduled meeting can be cancelled."), code="not_scheduled"
            )
        meeting.refresh_from_db()
        meeting.decisions.exclude(status=DecisionStatus.CLOSED).update(
            status=DecisionStatus.WITHDRAWN
        )
        _invite(meeting, by, cancelled=True)
    return meeting


def may_rsvp(meeting: Meeting, person: Person) -> bool:
    """The BIN's members (a paused one too: they may still come), and for an information
    session also the person who asked for the BIN."""
    if Membership.objects.filter(
        network=meeting.network,
        person=person,
        status__in=[MembershipStatus.APPROVED, MembershipStatus.PAUSED],
    ).exists():
        return True
    return (
        meeting.kind == MeetingKind.INFORMATION
        and FoundingRequest.objects.filter(network=meeting.network, requested_by=person).exists()
    )


def rsvp(meeting: Meeting, person: Person, answer: str) -> Rsvp:
    if not may_rsvp(meeting, person):
        raise PermissionDenied
    if answer not in Answer.values:
        raise ValidationError({"answer": [_("Choose an answer.")]})
    if meeting.status != MeetingStatus.SCHEDULED or meeting.ends_at <= timezone.now():
        raise ValidationError(_("This meeting is over or cancelled."), code="closed")
    found, _created = Rsvp.objects.update_or_create(
        meeting=meeting, person=person, defaults={"answer": answer, "answered_at": timezone.now()}
    )
    return found


def _voting_members(network: Network) -> QuerySet[Membership]:
    """Who may vote: the BIN's approved members, whatever their function, but not its
    officer, who supervises the BIN rather than belonging to it."""
    return Membership.objects.filter(network=network, status=MembershipStatus.APPROVED).exclude(
        role=Role.OFFICER
    )


def _started(meeting: Meeting, now: datetime | None = None) -> bool:
    return meeting.starts_at <= (now or timezone.now())


def record_attendance(meeting: Meeting, by: Person, person_ids: list[int]) -> int:
    """The chair ticks who is present. Only the BIN's members count; the list can be
    corrected until a vote opens, then it is fixed."""
    _require(can_run_meetings(by, meeting.network))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled."), code="cancelled")
    if not _started(meeting):
        raise ValidationError(
            _("Attendance is recorded once the meeting has started."), code="not_started"
        )
    if meeting.decisions.filter(status__in=[DecisionStatus.OPEN, DecisionStatus.CLOSED]).exists():
        raise ValidationError(_("A vote has opened; the attendance list is fixed."), code="fixed")
    ids = set(person_ids)
    members = set(
        _voting_members(meeting.network)
        .filter(person_id__in=ids)
        .values_list("person_id", flat=True)
    )
    if ids - members:
        raise ValidationError(
            {"present": [_("Only members of this BIN can be recorded as present.")]},
            code="not_member",
        )
    with transaction.atomic():
        meeting.attendances.exclude(person_id__in=members).delete()
        known = set(meeting.attendances.values_list("person_id", flat=True))
        Attendance.objects.bulk_create(
            (Attendance(meeting=meeting, person_id=pk, recorded_by=by) for pk in members - known),
            ignore_conflicts=True,  # the same list sent twice at once
        )
        if meeting.status == MeetingStatus.SCHEDULED:
            meeting.status = MeetingStatus.HELD
            meeting.save(update_fields=["status"])
    return len(members)


def rules_for(network: Network) -> MeetingRules:
    return MeetingRules.objects.filter(network=network).first() or MeetingRules(network=network)


def save_rules(
    network: Network,
    by: Person,
    *,
    quorum_percent: int,
    quorum_minimum: int,
    proxies_allowed: bool,
    notice_days: int | None = None,
) -> MeetingRules:
    _require(can_run_meetings(by, network))
    if Decision.objects.filter(meeting__network=network, status=DecisionStatus.OPEN).exists():
        raise ValidationError(
            _("A vote is open; the rules change after it closes."), code="vote_open"
        )
    rules = rules_for(network)
    rules.quorum_percent = quorum_percent
    rules.quorum_minimum = quorum_minimum
    rules.proxies_allowed = proxies_allowed
    if notice_days is not None:
        rules.notice_days = notice_days
    rules.full_clean(exclude=["network"])
    rules.save()
    audit.record(by, audit.Action.GOVERNANCE, rules, network=network, detail={"do": "rules"})
    return rules


def meetings_of(network: Network) -> QuerySet[Meeting]:
    return network.meetings.order_by("-starts_at", "-pk")
