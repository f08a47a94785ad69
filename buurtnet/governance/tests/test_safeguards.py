"""Issue 19, finding 8: one coordinator alone could make anyone a steering member (quorum
0 % with minimum 1, a meeting two minutes ahead, only himself present). Votes now need a
real quorum, a meeting that votes is announced days ahead, and the officer may object to
every function a meeting gives before it takes effect."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from buurtnet.delivery.models import OutboxMessage
from buurtnet.governance import services as gov
from buurtnet.governance.models import (
    OBJECTION_DAYS,
    Meeting,
    MeetingRules,
    Outcome,
    RoleChange,
)
from buurtnet.networks.models import Membership, Role
from buurtnet.networks.tests.test_views import log_in

from .helpers import meeting_input, start, steering_for

pytestmark = pytest.mark.django_db

ALL_YES = ("member", "steering", "coordinator")


def role_of(person, network) -> str:
    return Membership.objects.get(person=person, network=network, status="approved").role


def mails_to(person, word: str) -> int:
    return OutboxMessage.objects.filter(recipient=person.email, subject__icontains=word).count()


@pytest.fixture
def meeting(world, now_sends) -> Meeting:
    return now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(decisions=[steering_for(world.member)]),
    )


def accepted(world, meeting, now_sends) -> RoleChange:
    """Three members present vote yes: the meeting gives world.member the steering role."""
    start(meeting)
    people = [getattr(world, name) for name in ALL_YES]
    gov.record_attendance(meeting, world.coordinator, [p.pk for p in people])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    for person in people:
        gov.cast_vote(decision, person, "yes")
    decision = now_sends(gov.close_vote, decision, world.coordinator)
    assert decision.outcome == Outcome.ACCEPTED
    return RoleChange.objects.get(decision=decision)


# --- The quorum floor ---------------------------------------------------------------------------


@pytest.mark.parametrize(("percent", "minimum"), [(0, 3), (4, 3), (10, 1), (10, 2), (0, 1)])
def test_rules_below_the_quorum_floor_are_refused(world, percent, minimum):
    with pytest.raises(ValidationError):
        gov.save_rules(
            world.network,
            world.coordinator,
            quorum_percent=percent,
            quorum_minimum=minimum,
            proxies_allowed=False,
        )
    assert not MeetingRules.objects.exists()


def test_the_database_refuses_a_quorum_below_the_floor(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingRules.objects.create(network=world.network, quorum_percent=0, quorum_minimum=1)


def test_the_rules_page_refuses_a_quorum_of_one(client, world):
    log_in(client, world.coordinator)
    answer = client.post(
        reverse("governance:rules", args=[world.network.pk]),
        {"quorum_percent": 0, "quorum_minimum": 1, "notice_days": 7},
    )
    assert answer.status_code == 400
    assert not MeetingRules.objects.exists()


def test_a_coordinator_alone_cannot_give_a_function(world, meeting):
    start(meeting)
    gov.record_attendance(meeting, world.coordinator, [world.coordinator.pk])
    decision = meeting.decisions.get()
    gov.open_vote(decision, world.coordinator)
    gov.cast_vote(decision, world.coordinator, "yes")
    decision = gov.close_vote(decision, world.coordinator)
    assert decision.outcome == Outcome.NO_QUORUM
    assert decision.quorum_required == 3
    assert not RoleChange.objects.exists()


# --- The notice ---------------------------------------------------------------------------------


def test_a_meeting_that_votes_cannot_be_scheduled_at_short_notice(world):
    starts = timezone.now() + timedelta(minutes=2)
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(
            world.network,
            world.coordinator,
            meeting_input(
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                decisions=[steering_for(world.member, timezone.localdate())],
            ),
        )
    assert "at least 7 days ahead" in refused.value.message_dict["starts_at"][0]
    assert not Meeting.objects.exists()


def test_a_meeting_without_a_vote_may_be_held_at_short_notice(world):
    starts = timezone.now() + timedelta(hours=2)
    gov.schedule_meeting(
        world.network,
        world.coordinator,
        meeting_input(starts_at=starts, ends_at=starts + timedelta(hours=1)),
    )
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize("days", [0, 1, 2, 61])
def test_a_notice_outside_its_bounds_is_refused(world, days):
    with pytest.raises(ValidationError) as refused:
        gov.save_rules(
            world.network,
            world.coordinator,
            quorum_percent=10,
            quorum_minimum=3,
            proxies_allowed=False,
            notice_days=days,
        )
    assert "notice_days" in refused.value.message_dict


def test_a_vote_in_a_meeting_announced_too_late_is_refused(world, meeting):
    start(meeting)
    # Announced one day before it started (as a meeting made before the rule was).
    Meeting.objects.filter(pk=meeting.pk).update(created_at=meeting.starts_at - timedelta(days=1))
    meeting.refresh_from_db()
    gov.record_attendance(meeting, world.coordinator, [world.member.pk, world.steering.pk])
    with pytest.raises(ValidationError) as refused:
        gov.open_vote(meeting.decisions.get(), world.coordinator)
    assert refused.value.code == "short_notice"


# --- The officer's review -------------------------------------------------------------------


def test_the_officer_is_told_of_a_function_a_meeting_gave(world, meeting, now_sends):
    accepted(world, meeting, now_sends)
    assert mails_to(world.officer, "approve or object") == 1


def test_a_function_waits_for_the_objection_period(world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    assert role_of(world.member, world.network) == Role.MEMBER
    assert gov.apply_due_role_changes(change.review_until - timedelta(minutes=1)) == 0
    assert role_of(world.member, world.network) == Role.MEMBER
    assert gov.apply_due_role_changes(timezone.now() + timedelta(days=OBJECTION_DAYS)) == 1
    assert role_of(world.member, world.network) == Role.STEERING


def test_the_officers_approval_gives_the_function_at_once(world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    gov.approve_role_change(change, world.officer)
    assert role_of(world.member, world.network) == Role.STEERING


def test_an_objection_stops_the_function_and_tells_the_coordinator_and_the_person(
    world, meeting, now_sends
):
    change = accepted(world, meeting, now_sends)
    change = now_sends(gov.object_to_role_change, change, world.officer, "Not screened yet.")
    assert change.dropped_at and change.objection == "Not screened yet."
    assert gov.apply_due_role_changes(timezone.now() + timedelta(days=30)) == 0
    assert role_of(world.member, world.network) == Role.MEMBER
    assert mails_to(world.coordinator, "objected") == 1
    assert mails_to(world.member, "objected") == 1


def test_an_objection_needs_a_reason(world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    with pytest.raises(ValidationError):
        gov.object_to_role_change(change, world.officer, "  ")
    change.refresh_from_db()
    assert change.awaiting_review


@pytest.mark.parametrize("who", ["coordinator", "steering", "member", "their_coordinator"])
def test_only_the_police_approve_or_object(world, meeting, now_sends, who):
    change = accepted(world, meeting, now_sends)
    with pytest.raises(PermissionDenied):
        gov.approve_role_change(change, getattr(world, who))
    with pytest.raises(PermissionDenied):
        gov.object_to_role_change(change, getattr(world, who), "No.")
    change.refresh_from_db()
    assert change.awaiting_review


def test_no_objection_once_the_period_is_over(world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    RoleChange.objects.filter(pk=change.pk).update(review_until=timezone.now())
    with pytest.raises(ValidationError):
        gov.object_to_role_change(change, world.officer, "Too late.")


def test_the_officer_objects_on_the_page(client, world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    log_in(client, world.officer)
    url = reverse("governance:role_change", args=[change.pk])
    assert "Without an objection" in client.get(url).content.decode()
    answer = client.post(url, {"verdict": "object", "reason": "Not now."})
    assert answer.status_code == 302
    change.refresh_from_db()
    assert change.objection == "Not now." and change.dropped_at


def test_an_objection_without_reason_on_the_page_is_explained(client, world, meeting, now_sends):
    change = accepted(world, meeting, now_sends)
    log_in(client, world.officer)
    answer = client.post(reverse("governance:role_change", args=[change.pk]), {"verdict": "object"})
    assert answer.status_code == 400
    assert "Say why you object." in answer.content.decode()
    change.refresh_from_db()
    assert change.awaiting_review


def test_the_officer_hears_of_a_function_someone_else_changed(world, now_sends):
    """Every function change goes through `_change_role` (removal, overturned appeal,
    handover): the officer hears of those made by someone else."""
    membership = Membership.objects.get(person=world.member, network=world.network)
    now_sends(
        gov._change_role,
        membership,
        Role.STEERING,
        world.zone_staff,
        RoleChange(reason="removal"),
        timezone.now(),
    )
    assert mails_to(world.officer, "function changed") == 1
