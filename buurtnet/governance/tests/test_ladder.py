"""The coordinator's standing: screening, the removal ladder, the appeal, the emergency
handover."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from buurtnet.delivery.models import OutboxMessage
from buurtnet.governance import services as gov
from buurtnet.governance.models import EmergencyHandover, RoleChange, Screening
from buurtnet.networks.models import Membership, NetworkStatus, Role, ZoneStaff
from buurtnet.networks.tests.factories import ZoneStaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chief(world):
    return ZoneStaffFactory(zone=world.zone, is_chief=True).person


@pytest.fixture
def case(world):
    return gov.open_case(world.network, world.coordinator, world.officer)


def step(kind: str, days_ago: int = 0, **fields) -> gov.StepInput:
    return gov.StepInput(
        step=kind,
        occurred_on=timezone.localdate() - timedelta(days=days_ago),
        reason=fields.pop("reason", "Shared a photo of a suspect in the group."),
        **fields,
    )


def climb_to_removal(case, world, chief, removed_days_ago: int = 0):
    gov.record_step(case, world.officer, step("talk", removed_days_ago + 30))
    gov.record_step(case, chief, step("reprimand", removed_days_ago + 20))
    gov.record_step(case, world.officer, step("official_report", removed_days_ago + 10))
    return gov.record_step(
        case,
        world.zone_staff,
        step("removal", removed_days_ago, authority="The mayor of Ourtown"),
    )


def role_of(person, network) -> str:
    return Membership.objects.get(person=person, network=network, status="approved").role


# --- Screening ------------------------------------------------------------------------------


def test_the_police_record_that_a_screening_was_done_and_when_only(world):
    screening = gov.record_screening(
        world.network, world.steering, world.officer, timezone.localdate()
    )
    fields = {f.name for f in Screening._meta.get_fields()}
    assert fields == {"id", "network", "person", "screened_on", "recorded_by", "recorded_at"}
    assert gov.is_screened(world.network, world.steering)
    assert screening.recorded_by == world.officer


def test_members_cannot_record_a_screening(world):
    with pytest.raises(PermissionDenied):
        gov.record_screening(world.network, world.steering, world.coordinator, timezone.localdate())


def test_a_screening_in_the_future_is_refused(world):
    with pytest.raises(ValidationError):
        gov.record_screening(
            world.network, world.steering, world.officer, timezone.localdate() + timedelta(days=1)
        )


# --- The ladder -----------------------------------------------------------------------------


def test_the_ladder_starts_with_a_talk(world, case, chief):
    with pytest.raises(ValidationError) as refused:
        gov.record_step(case, chief, step("reprimand"))
    assert "step" in refused.value.message_dict
    assert not case.steps.exists()


def test_no_step_can_be_skipped(world, case):
    gov.record_step(case, world.officer, step("talk"))
    with pytest.raises(ValidationError):
        gov.record_step(case, world.officer, step("official_report"))
    with pytest.raises(ValidationError):
        gov.record_step(case, world.zone_staff, step("removal", authority="The mayor of Ourtown"))
    assert list(case.steps.values_list("step", flat=True)) == ["talk"]


def test_no_step_is_repeated(world, case):
    gov.record_step(case, world.officer, step("talk"))
    with pytest.raises(ValidationError):
        gov.record_step(case, world.officer, step("talk"))


def test_the_talk_is_the_officers_and_the_reprimand_the_chief_of_polices(world, case, chief):
    with pytest.raises(ValidationError):
        gov.record_step(case, world.zone_staff, step("talk"))
    gov.record_step(case, world.officer, step("talk"))
    with pytest.raises(ValidationError):
        gov.record_step(case, world.zone_staff, step("reprimand"))
    gov.record_step(case, chief, step("reprimand"))


def test_every_step_keeps_who_when_and_why(world, case):
    recorded = gov.record_step(case, world.officer, step("talk", 2, reason="Rude to members."))
    assert recorded.recorded_by == world.officer
    assert recorded.occurred_on == timezone.localdate() - timedelta(days=2)
    assert recorded.reason == "Rude to members."


def test_a_step_without_a_reason_is_refused(world, case):
    with pytest.raises(ValidationError) as refused:
        gov.record_step(case, world.officer, step("talk", reason=" "))
    assert "reason" in refused.value.message_dict


def test_a_removal_needs_the_authority_that_decided_it(world, case, chief):
    gov.record_step(case, world.officer, step("talk", 3))
    gov.record_step(case, chief, step("reprimand", 2))
    gov.record_step(case, world.officer, step("official_report", 1))
    with pytest.raises(ValidationError) as refused:
        gov.record_step(case, world.zone_staff, step("removal"))
    assert "authority" in refused.value.message_dict


def test_the_removal_takes_the_role_and_leaves_the_bin_dormant(world, case, chief, now_sends):
    now_sends(climb_to_removal, case, world, chief)
    assert role_of(world.coordinator, world.network) == Role.MEMBER
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.DORMANT
    change = RoleChange.objects.get(person=world.coordinator)
    assert change.case_step.step == "removal"
    assert OutboxMessage.objects.filter(recipient=world.coordinator.email).exists()


def test_the_appeal_deadline_is_three_weeks_after_the_removal(world, case, chief):
    removal = climb_to_removal(case, world, chief, removed_days_ago=5)
    case.refresh_from_db()
    assert case.appeal_deadline == removal.occurred_on + timedelta(days=21)


def test_an_appeal_after_the_deadline_is_refused(world, case, chief):
    climb_to_removal(case, world, chief, removed_days_ago=30)
    case.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        gov.lodge_appeal(case, world.zone_staff, timezone.localdate())
    assert "lodged_on" in refused.value.message_dict


def test_an_appeal_on_the_last_day_is_accepted(world, case, chief):
    climb_to_removal(case, world, chief, removed_days_ago=21)
    case.refresh_from_db()
    gov.lodge_appeal(case, world.zone_staff, case.appeal_deadline)
    assert case.appeal_lodged_on == timezone.localdate()


def test_an_overturned_removal_gives_the_role_back(world, case, chief):
    climb_to_removal(case, world, chief, removed_days_ago=3)
    case.refresh_from_db()
    gov.lodge_appeal(case, world.zone_staff, timezone.localdate() - timedelta(days=1))
    gov.decide_appeal(case, world.zone_staff, "overturned", timezone.localdate())
    case.refresh_from_db()
    assert role_of(world.coordinator, world.network) == Role.COORDINATOR
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.ACTIVE
    assert case.closed_at is not None


def test_an_upheld_removal_closes_the_case(world, case, chief):
    climb_to_removal(case, world, chief, removed_days_ago=3)
    case.refresh_from_db()
    gov.lodge_appeal(case, world.zone_staff, timezone.localdate())
    gov.decide_appeal(case, world.zone_staff, "upheld", timezone.localdate())
    case.refresh_from_db()
    assert role_of(world.coordinator, world.network) == Role.MEMBER
    assert case.closed_at is not None


def test_the_ministry_notice_is_recorded_after_the_removal(world, case, chief):
    with pytest.raises(ValidationError):
        gov.record_ministry_notice(case, world.zone_staff, timezone.localdate())
    climb_to_removal(case, world, chief)
    case.refresh_from_db()
    gov.record_ministry_notice(case, world.zone_staff, timezone.localdate())
    assert case.ministry_notified_on == timezone.localdate()


def test_one_open_case_per_coordinator(world, case):
    with pytest.raises(ValidationError):
        gov.open_case(world.network, world.coordinator, world.officer)


def test_a_case_is_only_about_a_coordinator(world):
    with pytest.raises(ValidationError):
        gov.open_case(world.network, world.member, world.officer)


def test_members_and_coordinators_cannot_open_or_see_cases(world):
    with pytest.raises(PermissionDenied):
        gov.open_case(world.network, world.coordinator, world.steering)
    assert not gov.can_see_cases(world.member, world.network)
    assert not gov.can_see_cases(world.coordinator, world.network)
    assert gov.can_see_cases(world.municipal, world.network)


def test_another_zones_chief_cannot_reprimand(world, case):
    far_chief = ZoneStaffFactory(zone=world.other_zone, is_chief=True).person
    gov.record_step(case, world.officer, step("talk"))
    with pytest.raises(PermissionDenied):
        gov.record_step(case, far_chief, step("reprimand"))
    assert ZoneStaff.objects.filter(person=far_chief, is_chief=True).exists()


# --- Emergency handover --------------------------------------------------------------------


def test_the_officer_hands_over_in_an_emergency_with_a_reason(world):
    gov.record_screening(world.network, world.steering, world.officer, timezone.localdate())
    handover = gov.hand_over(world.network, world.officer, world.steering, "Hospitalised.")
    assert role_of(world.steering, world.network) == Role.COORDINATOR
    assert RoleChange.objects.get(person=world.steering).handover == handover


def test_a_handover_needs_a_reason_and_a_screening(world):
    with pytest.raises(ValidationError) as refused:
        gov.hand_over(world.network, world.officer, world.steering, "")
    assert set(refused.value.message_dict) == {"reason", "person"}
    assert not EmergencyHandover.objects.exists()
    assert role_of(world.steering, world.network) == Role.STEERING


def test_only_the_officer_hands_over(world):
    gov.record_screening(world.network, world.steering, world.officer, timezone.localdate())
    with pytest.raises(PermissionDenied):
        gov.hand_over(world.network, world.zone_staff, world.steering, "Urgent.")
    with pytest.raises(PermissionDenied):
        gov.hand_over(world.network, world.coordinator, world.steering, "Urgent.")
