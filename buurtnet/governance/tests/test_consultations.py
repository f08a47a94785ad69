"""Consultations between the officer and the coordinator, their reminders, and the BIN
overview built from them."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buurtnet.delivery.models import OutboxMessage
from buurtnet.governance import services as gov
from buurtnet.governance.models import Consultation, ConsultationAction
from buurtnet.networks.models import Membership, MembershipChange, Network
from buurtnet.plans.models import CommunicationPlan

from .helpers import meeting_input, more_members

pytestmark = pytest.mark.django_db


def consultation(world, days_ago: int = 0, **fields) -> gov.ConsultationInput:
    values = {
        "held_on": timezone.localdate() - timedelta(days=days_ago),
        "topics": "Burglaries on the Kouter; the summer absence watch.",
        "agreements": "More tips in June.",
    }
    values.update(fields)
    return gov.ConsultationInput(**values)


def mails_to(person, word: str) -> int:
    return OutboxMessage.objects.filter(recipient=person.email, subject__icontains=word).count()


@pytest.fixture
def signed_long_ago(world) -> Network:
    network = world.network
    network.agreement_signed_on = timezone.localdate() - timedelta(days=400)
    network.save()
    return network


def test_without_a_next_date_the_plans_rhythm_sets_one(world):
    recorded = gov.record_consultation(world.network, world.officer, consultation(world))
    assert recorded.next_on == recorded.held_on + timedelta(days=90)


def test_a_next_date_beyond_the_plans_rhythm_is_refused(world):
    data = consultation(world, next_on=timezone.localdate() + timedelta(days=120))
    with pytest.raises(ValidationError) as refused:
        gov.record_consultation(world.network, world.officer, data)
    assert "next_on" in refused.value.message_dict
    assert not Consultation.objects.exists()


def test_the_rhythm_comes_from_the_agreed_plan(world):
    CommunicationPlan.objects.create(
        network=world.network, version=1, status="active", consult_every_days=30
    )
    recorded = gov.record_consultation(world.network, world.officer, consultation(world))
    assert recorded.next_on == recorded.held_on + timedelta(days=30)


def test_a_consultation_in_the_future_is_refused(world):
    with pytest.raises(ValidationError):
        gov.record_consultation(world.network, world.officer, consultation(world, days_ago=-1))


def test_actions_belong_to_the_officer_or_the_bins_leads(world):
    bad = gov.ActionInput("Hand out leaflets", world.member.pk, timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        gov.record_consultation(world.network, world.officer, consultation(world, actions=[bad]))
    assert "action_0" in refused.value.message_dict
    assert not ConsultationAction.objects.exists()


def test_the_consultation_keeps_its_actions_with_owner_and_due_date(world):
    due = timezone.localdate() + timedelta(days=14)
    recorded = gov.record_consultation(
        world.network,
        world.coordinator,
        consultation(
            world, actions=[gov.ActionInput("Update the charter", world.coordinator.pk, due)]
        ),
    )
    action = recorded.actions.get()
    assert (action.owner, action.due_on, action.network) == (world.coordinator, due, world.network)


def test_members_and_other_officers_cannot_record_consultations(world):
    with pytest.raises(PermissionDenied):
        gov.record_consultation(world.network, world.steering, consultation(world))
    with pytest.raises(PermissionDenied):
        gov.record_consultation(world.network, world.zone_staff, consultation(world))


# --- Reminders ------------------------------------------------------------------------------


def test_an_overdue_consultation_reminds_officer_and_coordinator_once(
    world, signed_long_ago, now_sends
):
    assert now_sends(gov.remind_overdue) == 1
    assert mails_to(world.officer, "overdue") == 1
    assert mails_to(world.coordinator, "overdue") == 1
    assert mails_to(world.member, "overdue") == 0
    assert now_sends(gov.remind_overdue) == 0
    assert mails_to(world.officer, "overdue") == 1


def test_a_recent_consultation_means_no_reminder(world, signed_long_ago, now_sends):
    gov.record_consultation(world.network, world.officer, consultation(world, days_ago=10))
    assert now_sends(gov.remind_overdue) == 0


def test_the_date_agreed_last_time_counts(world, signed_long_ago, now_sends):
    gov.record_consultation(
        world.network,
        world.officer,
        consultation(world, days_ago=40, next_on=timezone.localdate() - timedelta(days=1)),
    )
    assert now_sends(gov.remind_overdue) == 1


def test_a_new_missed_date_reminds_again(world, signed_long_ago, now_sends):
    now_sends(gov.remind_overdue)
    gov.record_consultation(world.network, world.officer, consultation(world, days_ago=100))
    assert now_sends(gov.remind_overdue) == 1
    assert mails_to(world.officer, "overdue") == 2


def test_an_overdue_action_reminds_its_owner_once(world, now_sends):
    gov.record_consultation(
        world.network,
        world.officer,
        consultation(
            world,
            days_ago=20,
            actions=[
                gov.ActionInput(
                    "Find a hall", world.coordinator.pk, timezone.localdate() - timedelta(days=2)
                ),
                gov.ActionInput(
                    "Later", world.coordinator.pk, timezone.localdate() + timedelta(days=2)
                ),
            ],
        ),
    )
    assert now_sends(gov.remind_overdue) == 1
    assert mails_to(world.coordinator, "Action overdue") == 1
    assert now_sends(gov.remind_overdue) == 0


def test_a_done_action_is_not_reminded(world, now_sends):
    recorded = gov.record_consultation(
        world.network,
        world.officer,
        consultation(
            world,
            days_ago=20,
            actions=[
                gov.ActionInput(
                    "Find a hall", world.coordinator.pk, timezone.localdate() - timedelta(days=2)
                )
            ],
        ),
    )
    gov.complete_action(recorded.actions.get(), world.coordinator)
    assert now_sends(gov.remind_overdue) == 0


def test_dormant_bins_are_not_reminded(world, signed_long_ago, now_sends):
    Network.objects.filter(pk=world.network.pk).update(status="dormant")
    assert now_sends(gov.remind_overdue) == 0


# --- Overview -------------------------------------------------------------------------------


def test_the_overview_shows_each_bins_standing(world, signed_long_ago, now_sends):
    gov.record_consultation(
        world.network,
        world.officer,
        consultation(
            world,
            days_ago=100,
            actions=[
                gov.ActionInput(
                    "Find a hall", world.coordinator.pk, timezone.localdate() - timedelta(days=2)
                ),
                gov.ActionInput(
                    "Leaflets", world.officer.pk, timezone.localdate() + timedelta(days=20)
                ),
            ],
        ),
    )
    meeting = now_sends(gov.schedule_meeting, world.network, world.coordinator, meeting_input())
    joined = more_members(world.network, 3)
    for person in joined:
        MembershipChange.objects.create(
            membership=Membership.objects.get(person=person),
            from_status="applied",
            to_status="approved",
        )
    left = Membership.objects.get(person=world.member)
    MembershipChange.objects.create(membership=left, from_status="approved", to_status="left")
    Membership.objects.filter(pk=left.pk).update(status="left")

    row = next(r for r in gov.overview(Network.objects.all()) if r.network == world.network)
    assert row.agreement_age_days == 400
    assert row.next_meeting == meeting.starts_at and row.last_meeting is None
    assert row.last_consultation == timezone.localdate() - timedelta(days=100)
    assert row.consultation_overdue
    assert (row.open_actions, row.overdue_actions) == (2, 1)
    assert row.plan_version is None
    assert row.members == 6  # steering, coordinator, officer and three new members
    assert (row.joined, row.left, row.trend) == (3, 1, 2)
    assert row.evaluation_due


def test_the_overview_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    gov.record_consultation(world.network, world.officer, consultation(world))
    with django_assert_max_num_queries(12):
        gov.overview(Network.objects.all())


def test_officers_oversee_their_bins_and_zone_staff_their_zone(world):
    assert set(gov.overseen_networks(world.officer)) == {world.network}
    assert set(gov.overseen_networks(world.zone_staff)) == {world.network, world.other_network}
    assert not gov.overseen_networks(world.member).exists()
