"""Meetings, votes, quorum and the role changes a decision brings."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from icalendar import Calendar

from buurtnet.governance import services as gov
from buurtnet.governance.models import (
    OBJECTION_DAYS,
    Decision,
    DecisionStatus,
    Meeting,
    MeetingRules,
    Outcome,
    RoleChange,
    Vote,
)
from buurtnet.messaging.models import MessageNetwork, Recipient
from buurtnet.networks.models import Membership, MembershipStatus, Role
from buurtnet.networks.permissions import Action, Standing
from buurtnet.people.tests.factories import PersonFactory

from .helpers import DAYS_AHEAD, meeting_input, more_members, start, steering_for

pytestmark = pytest.mark.django_db


def role_of(person, network) -> str:
    return Membership.objects.get(person=person, network=network, status="approved").role


@pytest.fixture
def meeting(world, now_sends):
    return now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(decisions=[steering_for(world.member)]),
    )


def vote_in(meeting: Meeting, chair, votes: dict) -> Decision:
    """Start the meeting, record as present everyone in `votes`, open the vote, let them
    vote and close it."""
    start(meeting)
    gov.record_attendance(meeting, chair, [p.pk for p in votes])
    decision = meeting.decisions.get()
    gov.open_vote(decision, chair)
    for person, choice in votes.items():
        if choice:
            gov.cast_vote(decision, person, choice)
    return gov.close_vote(decision, chair)


# --- Scheduling and invitations ------------------------------------------------------------


def test_scheduling_invites_every_member_with_a_calendar_file(world, meeting):
    invitation = meeting.invitation
    invited = set(Recipient.objects.filter(message=invitation).values_list("person_id", flat=True))
    assert invited == {world.member.pk, world.steering.pk, world.coordinator.pk, world.officer.pk}
    calendar = Calendar.from_ical(invitation.attachment.read())
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["UID"]).startswith(str(meeting.uid))
    assert event.decoded("DTSTART") == meeting.starts_at


def test_an_invitation_keeps_to_the_plans_channels_but_never_texts_or_calls(world, meeting):
    """The default plan sends notices by SMS too; a meeting's invitation goes only by
    e-mail, push and the in-app inbox."""
    link = MessageNetwork.objects.get(message=meeting.invitation)
    assert link.applied_rule.channels == ("email", "push", "inapp")
    assert link.applied_rule.fallback is True


def test_invitation_never_reaches_another_bin(world, meeting):
    invited = Recipient.objects.filter(message=meeting.invitation)
    assert not invited.filter(person__in=[world.their_member, world.their_coordinator]).exists()


def test_a_meeting_in_the_past_is_refused_and_nothing_is_stored(world):
    past = timezone.now() - timedelta(hours=1)
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(
            world.network,
            world.coordinator,
            meeting_input(starts_at=past, ends_at=past + timedelta(hours=2)),
        )
    assert "starts_at" in refused.value.message_dict
    assert not Meeting.objects.exists()


def test_a_meeting_must_end_after_it_starts(world):
    starts = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(
            world.network, world.coordinator, meeting_input(starts_at=starts, ends_at=starts)
        )
    assert "ends_at" in refused.value.message_dict


def test_a_meeting_needs_a_place_or_a_video_link(world):
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(world.network, world.coordinator, meeting_input(place=""))
    assert "place" in refused.value.message_dict


def test_a_decision_on_a_person_who_is_not_a_member_is_refused(world):
    stranger = PersonFactory()
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(
            world.network, world.coordinator, meeting_input(decisions=[steering_for(stranger)])
        )
    assert "decision_0" in refused.value.message_dict
    assert not Meeting.objects.exists()


def test_a_member_of_another_bin_cannot_be_proposed(world):
    with pytest.raises(ValidationError):
        gov.schedule_meeting(
            world.network,
            world.coordinator,
            meeting_input(decisions=[steering_for(world.their_member)]),
        )


def test_a_coordinator_candidate_must_have_been_screened_by_the_police(world):
    proposal = gov.DecisionInput(
        "coordinator", world.member.pk, timezone.localdate() + timedelta(days=DAYS_AHEAD)
    )
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(world.network, world.coordinator, meeting_input(decisions=[proposal]))
    assert "screening" in refused.value.message_dict["decision_0"][0]


def test_a_plain_member_cannot_schedule_a_meeting(world):
    with pytest.raises(PermissionDenied):
        gov.schedule_meeting(world.network, world.member, meeting_input())


def test_another_bins_officer_cannot_schedule_a_meeting(world):
    officer_b = PersonFactory()
    Membership.objects.create(
        network=world.other_network, person=officer_b, role=Role.OFFICER, status="approved"
    )
    with pytest.raises(PermissionDenied):
        gov.schedule_meeting(world.network, officer_b, meeting_input())


def test_members_answer_the_invitation_once_and_can_change_their_answer(world, meeting):
    gov.rsvp(meeting, world.member, "yes")
    gov.rsvp(meeting, world.member, "no")
    assert meeting.rsvps.get().answer == "no"


def test_someone_outside_the_bin_cannot_answer_an_invitation(world, meeting):
    with pytest.raises(PermissionDenied):
        gov.rsvp(meeting, world.their_member, "yes")


def test_cancelling_sends_a_calendar_cancellation(world, meeting, now_sends):
    now_sends(gov.cancel_meeting, meeting, world.coordinator)
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.sequence == 1
    decision = meeting.decisions.get()
    assert decision.status == DecisionStatus.WITHDRAWN


# --- Attendance and votes ----------------------------------------------------------------


def test_attendance_is_recorded_only_once_the_meeting_started(world, meeting):
    with pytest.raises(ValidationError):
        gov.record_attendance(meeting, world.coordinator, [world.member.pk])


def test_a_non_member_cannot_be_recorded_as_present(world, meeting):
    start(meeting)
    with pytest.raises(ValidationError):
        gov.record_attendance(meeting, world.coordinator, [world.their_member.pk])
    assert not meeting.attendances.exists()


def test_a_vote_by_a_non_member_is_refused(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    with pytest.raises(ValidationError):
        gov.cast_vote(decision, world.their_member, "yes")
    assert not Vote.objects.exists()


def test_a_vote_by_a_member_who_is_not_present_is_refused(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    with pytest.raises(ValidationError) as refused:
        gov.cast_vote(decision, world.steering, "yes")
    assert refused.value.code == "not_present"


def test_a_second_vote_by_the_same_member_is_refused(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    gov.cast_vote(decision, world.member, "yes")
    with pytest.raises(ValidationError) as refused:
        gov.cast_vote(decision, world.member, "no")
    assert refused.value.code == "voted"
    assert decision.votes.get().choice == "yes"


def test_the_officer_does_not_vote(world, meeting):
    start(meeting)
    with pytest.raises(ValidationError):
        gov.record_attendance(meeting, world.coordinator, [world.officer.pk])


def test_no_vote_before_it_opens_or_after_it_closes(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    with pytest.raises(ValidationError):
        gov.cast_vote(decision, world.member, "yes")
    gov.open_vote(decision, world.coordinator)
    gov.close_vote(decision, world.coordinator)
    with pytest.raises(ValidationError):
        gov.cast_vote(decision, world.member, "yes")


def test_attendance_is_fixed_once_a_vote_opened(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    gov.open_vote(meeting.decisions.get(), world.coordinator)
    with pytest.raises(ValidationError):
        gov.record_attendance(meeting, world.coordinator, [world.member.pk, world.steering.pk])


# --- Quorum and result ------------------------------------------------------------------------


def test_a_majority_with_quorum_is_accepted_and_recorded(world, meeting):
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "no"},
    )
    assert decision.outcome == Outcome.ACCEPTED
    assert (decision.yes, decision.no, decision.abstain) == (2, 1, 0)
    assert (decision.present, decision.eligible, decision.quorum_required) == (3, 3, 3)


def test_a_tie_is_not_a_majority(world, meeting):
    extra = more_members(world.network, 1)[0]
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "no", extra: "no"},
    )
    assert (decision.yes, decision.no) == (2, 2)
    assert decision.outcome == Outcome.REJECTED
    assert not RoleChange.objects.exists()


def test_an_unreached_quorum_decides_nothing(world, meeting):
    decision = vote_in(meeting, world.coordinator, {world.member: "yes", world.steering: "yes"})
    assert decision.outcome == Outcome.NO_QUORUM
    assert (decision.present, decision.quorum_required) == (2, 3)
    assert not RoleChange.objects.exists()
    assert role_of(world.member, world.network) == Role.MEMBER


def test_the_quorum_is_a_share_of_the_members(world, meeting):
    MeetingRules.objects.create(network=world.network, quorum_percent=50, quorum_minimum=3)
    more_members(world.network, 7)  # 10 voting members: 5 must be present
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    assert (decision.eligible, decision.quorum_required) == (10, 5)
    assert decision.outcome == Outcome.NO_QUORUM


def test_abstentions_count_for_the_quorum_not_for_the_majority(world, meeting):
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "abstain", world.coordinator: "abstain"},
    )
    assert decision.outcome == Outcome.ACCEPTED
    assert decision.abstain == 2


def test_present_members_who_do_not_vote_still_count_for_the_quorum(world, meeting):
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: None, world.coordinator: None},
    )
    assert decision.present == 3
    assert decision.outcome == Outcome.ACCEPTED


def test_proxies_are_refused_unless_the_rules_allow_them(world, meeting):
    start(meeting)
    with pytest.raises(ValidationError) as refused:
        gov.record_proxy(meeting, world.coordinator, world.steering, world.member)
    assert refused.value.code == "no_proxies"


def test_a_proxy_holder_votes_for_the_absent_member_where_allowed(world, meeting):
    MeetingRules.objects.create(network=world.network, proxies_allowed=True)
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk, world.coordinator.pk])
    gov.record_proxy(meeting, world.coordinator, world.steering, world.member)
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    gov.cast_vote(decision, world.member, "yes")
    gov.cast_vote(decision, world.member, "yes", on_behalf_of=world.steering)
    gov.cast_vote(decision, world.coordinator, "no")
    with pytest.raises(ValidationError):
        gov.cast_vote(decision, world.coordinator, "no", on_behalf_of=world.steering)
    decision = gov.close_vote(decision, world.coordinator)
    assert (decision.present, decision.yes, decision.no) == (3, 2, 1)
    assert decision.outcome == Outcome.ACCEPTED


def test_only_the_chair_closes_a_vote(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    with pytest.raises(PermissionDenied):
        gov.close_vote(decision, world.member)


# --- Roles change at the effective date --------------------------------------------------------


def test_the_role_changes_exactly_at_the_effective_date(world, now_sends):
    effective_on = timezone.localdate() + timedelta(days=DAYS_AHEAD + 3)
    meeting = now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(decisions=[steering_for(world.member, effective_on)]),
    )
    decision = vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    change = gov.approve_role_change(RoleChange.objects.get(), world.officer)
    assert timezone.localtime(change.effective_at).date() == decision.takes_effect_on
    assert timezone.localtime(change.effective_at).hour == 0
    assert role_of(world.member, world.network) == Role.MEMBER

    assert gov.apply_due_role_changes(change.effective_at - timedelta(microseconds=1)) == 0
    assert role_of(world.member, world.network) == Role.MEMBER

    assert gov.apply_due_role_changes(change.effective_at) == 1
    assert role_of(world.member, world.network) == Role.STEERING
    change.refresh_from_db()
    assert change.decision.meeting == meeting and change.from_role == Role.MEMBER


def test_a_role_taking_effect_today_applies_when_the_officer_approves(world, meeting):
    vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    assert role_of(world.member, world.network) == Role.MEMBER
    gov.approve_role_change(RoleChange.objects.get(), world.officer)
    assert role_of(world.member, world.network) == Role.STEERING
    world.member._standing = None
    del world.member._standing
    assert Standing.of(world.member).can(Action.VIEW_MEMBERS, world.network)


def test_approving_a_role_change_applies_that_change_only(world, meeting):
    vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    approved = RoleChange.objects.get()
    due_elsewhere = RoleChange.objects.create(
        network=world.other_network,
        person=world.their_member,
        to_role=Role.STEERING,
        effective_at=timezone.now() - timedelta(hours=1),
        reason="decision",
    )

    gov.approve_role_change(approved, world.officer)

    assert role_of(world.member, world.network) == Role.STEERING
    assert role_of(world.their_member, world.other_network) == Role.MEMBER
    due_elsewhere.refresh_from_db()
    assert due_elsewhere.applied_at is None
    assert gov.apply_due_role_changes() == 1


def test_a_role_is_applied_only_once_by_two_ticks(world, meeting):
    vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    later = timezone.now() + timedelta(days=OBJECTION_DAYS, minutes=1)
    assert gov.apply_due_role_changes(later) == 1
    assert gov.apply_due_role_changes(later) == 0


def test_a_member_who_left_before_the_date_does_not_get_the_role(world, meeting):
    vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    Membership.objects.filter(person=world.member).update(status=MembershipStatus.LEFT)
    assert gov.apply_due_role_changes(timezone.now() + timedelta(days=OBJECTION_DAYS + 1)) == 0
    change = RoleChange.objects.get()
    assert change.dropped_at and change.drop_reason == "no longer a member"


def test_a_coordinator_confirmed_by_the_members_takes_office(world, now_sends):
    gov.record_screening(world.network, world.steering, world.officer, timezone.localdate())
    proposal = gov.DecisionInput(
        "coordinator", world.steering.pk, timezone.localdate() + timedelta(days=DAYS_AHEAD)
    )
    meeting = now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(decisions=[proposal]),
    )
    vote_in(
        meeting,
        world.coordinator,
        {world.member: "yes", world.steering: "yes", world.coordinator: "yes"},
    )
    gov.approve_role_change(RoleChange.objects.get(), world.officer)
    assert role_of(world.steering, world.network) == Role.COORDINATOR


# --- Minutes --------------------------------------------------------------------------------


def test_minutes_wait_for_the_meeting(world, meeting):
    with pytest.raises(ValidationError):
        gov.write_minutes(meeting, world.coordinator, "We met.")


def test_approved_minutes_are_shared_with_the_members_and_then_fixed(world, meeting, now_sends):
    start(meeting)
    gov.write_minutes(meeting, world.steering, "# Minutes\nWe met <script>x</script>.")
    now_sends(gov.approve_minutes, meeting, world.coordinator)
    meeting.refresh_from_db()
    assert meeting.minutes_approved
    shared = Recipient.objects.filter(message__texts__title__startswith="Minutes").values_list(
        "person_id", flat=True
    )
    assert world.member.pk in set(shared)
    with pytest.raises(ValidationError):
        gov.write_minutes(meeting, world.coordinator, "Changed afterwards.")


def test_a_member_cannot_approve_minutes(world, meeting):
    start(meeting)
    gov.write_minutes(meeting, world.coordinator, "We met.")
    with pytest.raises(PermissionDenied):
        gov.approve_minutes(meeting, world.member)


def test_no_vote_opens_long_after_the_meeting(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3)
    )
    meeting.refresh_from_db()
    with pytest.raises(ValidationError):
        gov.open_vote(meeting.decisions.get(), world.coordinator)


def test_no_vote_is_cast_once_the_meeting_is_long_over(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=5), ends_at=timezone.now() - timedelta(hours=3)
    )
    decision.refresh_from_db()
    with pytest.raises(ValidationError):
        gov.cast_vote(decision, world.member, "yes")


def test_the_rules_do_not_change_while_a_vote_is_open(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.member.pk])
    gov.open_vote(meeting.decisions.get(), world.coordinator)
    with pytest.raises(ValidationError):
        gov.save_rules(
            world.network,
            world.coordinator,
            quorum_percent=20,
            quorum_minimum=3,
            proxies_allowed=True,
        )


def test_a_second_approval_of_the_minutes_sends_nothing_more(world, meeting, now_sends):
    start(meeting)
    gov.write_minutes(meeting, world.coordinator, "We met.")
    stale = Meeting.objects.get(pk=meeting.pk)
    now_sends(gov.approve_minutes, meeting, world.coordinator)
    with pytest.raises(ValidationError):
        gov.approve_minutes(stale, world.officer)
    assert (
        Recipient.objects.filter(message__texts__title__startswith="Minutes")
        .filter(person=world.member)
        .count()
        == 1
    )
