"""Votes in a members' meeting: proxies, opening, casting, the tally with its quorum, and
the function an accepted decision gives."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtnet.audit import services as audit
from buurtnet.people.models import Person

from ..models import (
    OBJECTION_DAYS,
    QUORUM_MINIMUM_FLOOR,
    QUORUM_PERCENT_FLOOR,
    Choice,
    Decision,
    DecisionStatus,
    Meeting,
    MeetingRules,
    MeetingStatus,
    Outcome,
    Proxy,
    RoleChange,
    Vote,
)
from .access import _require, can_run_meetings
from .common import _local_midnight, _notify, _url
from .meetings import _require_notice, _voting_members, rules_for
from .roles import _apply_role_change, _reviewers

# A meeting may overrun; a vote days later, on that day's attendance, would not be the
# members' decision.
VOTE_GRACE = timedelta(hours=2)


def _voting_time(meeting: Meeting, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return meeting.starts_at <= now <= meeting.ends_at + VOTE_GRACE


def record_proxy(meeting: Meeting, by: Person, giver: Person, holder: Person) -> Proxy:
    _require(can_run_meetings(by, meeting.network))
    if not rules_for(meeting.network).proxies_allowed:
        raise ValidationError(_("This BIN's rules do not allow proxies."), code="no_proxies")
    members = set(
        _voting_members(meeting.network)
        .filter(person__in=[giver, holder])
        .values_list("person_id", flat=True)
    )
    if members != {giver.pk, holder.pk} or giver.pk == holder.pk:
        raise ValidationError(
            _("A proxy is given by one member to another member."), code="not_member"
        )
    if meeting.attendances.filter(person=giver).exists():
        raise ValidationError(_("A member who is present votes in person."), code="present")
    if meeting.decisions.filter(status__in=[DecisionStatus.OPEN, DecisionStatus.CLOSED]).exists():
        raise ValidationError(_("A vote has opened; proxies are fixed."), code="fixed")
    try:
        with transaction.atomic():
            return Proxy.objects.create(meeting=meeting, giver=giver, holder=holder, recorded_by=by)
    except IntegrityError as exc:
        raise ValidationError(
            _("Each member gives and holds at most one proxy."), code="duplicate"
        ) from exc


def open_vote(decision: Decision, by: Person) -> Decision:
    meeting = decision.meeting
    _require(can_run_meetings(by, meeting.network))
    if meeting.status == MeetingStatus.CANCELLED or decision.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This vote cannot be opened."), code="not_proposed")
    if not _voting_time(meeting):
        raise ValidationError(
            _("A vote is held during the meeting, from its start until shortly after its end."),
            code="not_during",
        )
    if not meeting.attendances.exists():
        raise ValidationError(_("Record who is present before the vote."), code="no_attendance")
    _require_notice(meeting)
    decision.status = DecisionStatus.OPEN
    decision.opened_at = timezone.now()
    decision.save(update_fields=["status", "opened_at"])
    return decision


def cast_vote(
    decision: Decision, person: Person, choice: str, on_behalf_of: Person | None = None
) -> Vote:
    """One vote per member: in person when present, or for an absent member whose proxy the
    person holds (where the BIN's rules allow proxies)."""
    meeting = decision.meeting
    if choice not in Choice.values:
        raise ValidationError({"choice": [_("Choose yes, no or abstain.")]})
    is_member = _voting_members(meeting.network).filter(person=person).exists()
    if not is_member:
        raise ValidationError(_("Only members of this BIN vote."), code="not_member")
    if not meeting.attendances.filter(person=person).exists():
        raise ValidationError(_("Only members present at the meeting vote."), code="not_present")
    voter = person
    if on_behalf_of is not None and on_behalf_of.pk != person.pk:
        if not (
            rules_for(meeting.network).proxies_allowed
            and meeting.proxies.filter(giver=on_behalf_of, holder=person).exists()
            and _voting_members(meeting.network).filter(person=on_behalf_of).exists()
        ):
            raise ValidationError(_("You hold no proxy for this member."), code="no_proxy")
        voter = on_behalf_of
    try:
        with transaction.atomic():
            locked = Decision.objects.select_for_update().get(pk=decision.pk)
            if locked.status != DecisionStatus.OPEN:
                raise ValidationError(_("This vote is not open."), code="not_open")
            if not _voting_time(meeting):
                raise ValidationError(_("The meeting is over; the vote is closed."), code="over")
            return Vote.objects.create(decision=locked, voter=voter, cast_by=person, choice=choice)
    except IntegrityError as exc:
        raise ValidationError(_("This member has already voted."), code="voted") from exc


@dataclass
class Tally:
    yes: int
    no: int
    abstain: int
    present: int
    eligible: int
    quorum_required: int

    @property
    def quorum_reached(self) -> bool:
        return self.present >= self.quorum_required

    @property
    def outcome(self) -> str:
        """Accepted with more yes than no among the votes cast, once the quorum is there;
        a tie is not a majority."""
        if not self.quorum_reached:
            return Outcome.NO_QUORUM
        return Outcome.ACCEPTED if self.yes > self.no else Outcome.REJECTED


def tally(decision: Decision) -> Tally:
    meeting = decision.meeting
    rules = rules_for(meeting.network)
    members = set(_voting_members(meeting.network).values_list("person_id", flat=True))
    present = set(meeting.attendances.values_list("person_id", flat=True)) & members
    represented = set()
    if rules.proxies_allowed:
        represented = {
            giver
            for giver, holder in meeting.proxies.values_list("giver_id", "holder_id")
            if holder in present and giver in members and giver not in present
        }
    counts = dict(
        decision.votes.filter(voter_id__in=members)
        .values_list("choice")
        .annotate(n=Count("pk"))
        .order_by()
    )
    eligible = len(members)
    return Tally(
        yes=counts.get(Choice.YES, 0),
        no=counts.get(Choice.NO, 0),
        abstain=counts.get(Choice.ABSTAIN, 0),
        present=len(present | represented),
        eligible=eligible,
        quorum_required=quorum_for(rules, eligible),
    )


def quorum_for(rules: MeetingRules, eligible: int) -> int:
    """How many must be present or represented: the BIN's rules, never below the floors
    (a row written around the model's checks changes nothing)."""
    percent = max(rules.quorum_percent, QUORUM_PERCENT_FLOOR)
    return max(rules.quorum_minimum, QUORUM_MINIMUM_FLOOR, math.ceil(eligible * percent / 100))


def close_vote(decision: Decision, by: Person) -> Decision:
    """Close the vote, compute and record the result and the quorum; an accepted decision
    gives the function from the day it takes effect (at once if that day has come)."""
    _require(can_run_meetings(by, decision.meeting.network))
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Decision.objects.select_for_update()
            .select_related("meeting__network")
            .get(pk=decision.pk)
        )
        if locked.status != DecisionStatus.OPEN:
            raise ValidationError(_("This vote is not open."), code="not_open")
        _require_notice(locked.meeting)
        result = tally(locked)
        locked.status = DecisionStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = by
        locked.yes, locked.no, locked.abstain = result.yes, result.no, result.abstain
        locked.present, locked.eligible = result.present, result.eligible
        locked.quorum_required = result.quorum_required
        locked.outcome = result.outcome
        locked.save()
        audit.record(
            by,
            audit.Action.GOVERNANCE,
            locked,
            network=locked.meeting.network,
            detail={"do": "vote_closed", "outcome": result.outcome},
        )
        change = None
        if result.outcome == Outcome.ACCEPTED:
            change = RoleChange.objects.create(
                network=locked.meeting.network,
                person_id=locked.candidate_id,
                to_role=locked.function,
                effective_at=_local_midnight(locked.takes_effect_on),
                decision=locked,
                by=by,
                reason="decision",
                review_until=now + timedelta(days=OBJECTION_DAYS),
            )
            _ask_officer_to_review(change)
    if change is not None:
        _apply_role_change(change.pk, now)
    return locked


def _ask_officer_to_review(change: RoleChange) -> None:
    network = change.network
    _notify(
        _reviewers(network),
        "role_change_review",
        {
            "network": network,
            "change": change,
            "candidate": change.person,
            "url": _url("governance:role_change", change.pk),
        },
    )
