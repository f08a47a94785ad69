"""The life of a BIN: request, information session, agreement, active; evaluation,
dormancy, dissolution."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from buurtnet.api.tests.conftest import make_token
from buurtnet.audit.models import AuditEvent
from buurtnet.delivery.models import OutboxMessage
from buurtnet.governance import services as gov
from buurtnet.governance.models import (
    AgreementStatus,
    FoundingRequest,
    MeetingKind,
    RequesterKind,
)
from buurtnet.networks import services as networks
from buurtnet.networks.models import (
    Membership,
    MembershipStatus,
    Network,
    NetworkStatus,
    NetworkStatusChange,
    Role,
)
from buurtnet.networks.tests.factories import MembershipFactory, square
from buurtnet.operations.models import PeriodicRun
from buurtnet.people.models import Person
from buurtnet.people.tests.factories import PersonFactory

from .helpers import DAYS_AHEAD, meeting_input, start

pytestmark = pytest.mark.django_db

HOME = (3.365, 50.825)
AGREEMENT = "The coordinator, the municipality and the police zone agree to run this BIN."


def founding_input(world, **fields) -> gov.FoundingInput:
    values = {
        "name": "BIN Kouter",
        "municipality_id": world.municipality.pk,
        "kind": "residents",
        "area": square(3.36, 50.82),
        "motivation": "Three burglaries in our street this winter.",
    }
    values.update(fields)
    return gov.FoundingInput(**values)


def mailed(person) -> list[str]:
    return list(
        OutboxMessage.objects.filter(recipient=person.email).values_list("subject", flat=True)
    )


@pytest.fixture
def resident(db):
    return PersonFactory(full_name="Rita Resident", at=HOME)


@pytest.fixture
def proposed(world, resident, now_sends) -> Network:
    return now_sends(gov.request_founding, resident, founding_input(world))


def sign_all(agreement, world, coordinator):
    # As in a new request: the person's roles are read afresh.
    coordinator = Person.objects.get(pk=coordinator.pk)
    gov.sign_agreement(agreement, coordinator, "coordinator")
    gov.sign_agreement(agreement, world.municipal, "municipality")
    return gov.sign_agreement(agreement, world.zone_staff, "zone")


# --- The request ----------------------------------------------------------------------------


def test_a_residents_request_proposes_a_bin_and_tells_the_zone(world, resident, proposed):
    assert proposed.status == NetworkStatus.PROPOSED
    request = FoundingRequest.objects.get(network=proposed)
    assert request.requester_kind == RequesterKind.RESIDENTS
    assert request.requested_by == resident
    assert any("proposed" in subject for subject in mailed(world.zone_staff))


def test_the_zone_and_the_municipality_request_as_themselves(world):
    by_zone = gov.request_founding(world.zone_staff, founding_input(world, name="BIN A"))
    by_town = gov.request_founding(world.municipal, founding_input(world, name="BIN B"))
    assert by_zone.founding.requester_kind == RequesterKind.ZONE
    assert by_town.founding.requester_kind == RequesterKind.MUNICIPALITY


def test_residents_can_only_propose_an_area_around_their_home(world):
    elsewhere = PersonFactory(at=(3.10, 50.70))
    with pytest.raises(ValidationError) as refused:
        gov.request_founding(elsewhere, founding_input(world))
    assert "area" in refused.value.message_dict
    assert not Network.objects.filter(name="BIN Kouter").exists()


def test_an_area_that_is_not_a_polygon_is_refused(world, resident):
    with pytest.raises(ValidationError) as refused:
        gov.request_founding(
            resident, founding_input(world, area={"type": "Point", "coordinates": [3.3, 50.8]})
        )
    assert "area" in refused.value.message_dict


def test_a_request_without_motivation_is_refused(world, resident):
    with pytest.raises(ValidationError) as refused:
        gov.request_founding(resident, founding_input(world, motivation="  "))
    assert "motivation" in refused.value.message_dict


def test_the_zone_declines_a_request_with_a_reason_the_requester_reads(
    world, resident, proposed, now_sends
):
    now_sends(gov.decline_request, proposed, world.zone_staff, "Covered by BIN Ours already.")
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.DISSOLVED
    assert mailed(resident)


def test_only_the_zone_declines_a_request(world, proposed):
    with pytest.raises(PermissionDenied):
        gov.decline_request(proposed, world.officer, "No.")


# --- Information session and founding --------------------------------------------------------


def test_a_proposed_bin_holds_an_information_session_not_a_members_meeting(world, proposed):
    officer = PersonFactory()
    MembershipFactory(network=proposed, person=officer, role=Role.OFFICER)
    with pytest.raises(ValidationError) as refused:
        gov.schedule_meeting(proposed, officer, meeting_input())
    assert "kind" in refused.value.message_dict


def test_the_information_session_invites_the_requester(world, resident, proposed, now_sends):
    session = now_sends(
        gov.schedule_meeting,
        proposed,
        world.zone_staff,
        meeting_input(kind=MeetingKind.INFORMATION, title="Information session"),
    )
    assert session.invitation.recipients.filter(person=resident).exists()


def test_the_held_information_session_starts_the_founding(world, proposed, now_sends):
    session = now_sends(
        gov.schedule_meeting,
        proposed,
        world.zone_staff,
        meeting_input(kind=MeetingKind.INFORMATION, title="Information session"),
    )
    with pytest.raises(ValidationError):
        gov.mark_information_session_held(session, world.zone_staff)
    gov.mark_information_session_held(start(session), world.zone_staff)
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.FOUNDING
    assert NetworkStatusChange.objects.filter(
        network=proposed, status=NetworkStatus.FOUNDING, changed_by=world.zone_staff
    ).exists()


def test_the_officer_approves_members_while_the_bin_has_no_coordinator(world):
    founding = world.other_network
    founding.status = NetworkStatus.FOUNDING
    founding.save()
    officer = PersonFactory()
    MembershipFactory(network=founding, person=officer, role=Role.OFFICER)
    applicant = PersonFactory(at=(3.305, 50.825))
    application = MembershipFactory(
        network=founding, person=applicant, status=MembershipStatus.APPLIED, decided_at=None
    )
    networks.decide(application, officer, approve=True)
    assert Membership.objects.get(pk=application.pk).status == MembershipStatus.APPROVED


# --- The agreement --------------------------------------------------------------------------


def test_the_agreement_is_frozen_with_its_annexes_before_anyone_signs(world):
    agreement = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    assert agreement.charter == world.network.charter
    assert agreement.plan_content["rules"]
    assert agreement.document.read()[:5] == b"%PDF-"
    assert len(agreement.document_sha256) == 64


def test_a_signature_by_someone_without_that_role_is_refused(world):
    agreement = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    with pytest.raises(ValidationError) as refused:
        gov.sign_agreement(agreement, world.member, "coordinator")
    assert "party" in refused.value.message_dict
    with pytest.raises(ValidationError):
        gov.sign_agreement(agreement, world.officer, "zone")
    with pytest.raises(ValidationError):
        gov.sign_agreement(agreement, world.zone_staff, "municipality")
    assert not agreement.signatures.exists()


def test_each_party_signs_once(world):
    agreement = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    gov.sign_agreement(agreement, world.coordinator, "coordinator")
    with pytest.raises(ValidationError):
        gov.sign_agreement(agreement, world.coordinator, "coordinator")


def test_every_signature_is_for_the_frozen_document_with_who_and_when(world):
    agreement = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    signature = gov.sign_agreement(agreement, world.municipal, "municipality")
    assert signature.person == world.municipal and signature.signed_at
    assert signature.document_sha256 == agreement.document_sha256


def test_a_new_draft_replaces_the_unsigned_one(world):
    first = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    gov.draft_agreement(world.network, world.officer, AGREEMENT + " Amended.")
    first.refresh_from_db()
    assert first.status == AgreementStatus.SUPERSEDED
    with pytest.raises(ValidationError):
        gov.sign_agreement(first, world.coordinator, "coordinator")


def test_members_cannot_draft_an_agreement(world):
    with pytest.raises(PermissionDenied):
        gov.draft_agreement(world.network, world.coordinator, AGREEMENT)


def test_the_whole_founding_workflow_ends_active(world, resident, proposed, now_sends):
    session = now_sends(
        gov.schedule_meeting,
        proposed,
        world.zone_staff,
        meeting_input(kind=MeetingKind.INFORMATION, title="Information session"),
    )
    gov.mark_information_session_held(start(session), world.zone_staff)
    proposed.refresh_from_db()
    officer = PersonFactory()
    MembershipFactory(network=proposed, person=officer, role=Role.OFFICER)
    neighbours = [PersonFactory(at=HOME) for _ in range(2)]
    for person in [resident, *neighbours]:
        MembershipFactory(network=proposed, person=person)
    gov.record_screening(proposed, resident, officer, timezone.localdate())
    meeting = now_sends(
        gov.schedule_meeting,
        proposed,
        officer,
        meeting_input(
            decisions=[
                gov.DecisionInput(
                    "coordinator", resident.pk, timezone.localdate() + timedelta(days=DAYS_AHEAD)
                )
            ],
        ),
    )
    start(meeting)
    gov.record_attendance(meeting, officer, [resident.pk, *(n.pk for n in neighbours)])
    decision = meeting.decisions.get()
    gov.open_vote(decision, officer)
    for person in [resident, *neighbours]:
        gov.cast_vote(decision, person, "yes")
    gov.close_vote(decision, officer)
    gov.approve_role_change(decision.role_changes.get(), officer)
    agreement = gov.draft_agreement(proposed, officer, AGREEMENT, charter="We watch out.")
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.FOUNDING
    sign_all(agreement, world, resident)
    proposed.refresh_from_db()
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SIGNED and agreement.signed_at
    assert proposed.status == NetworkStatus.ACTIVE
    assert proposed.agreement_signed_on == timezone.localdate()
    statuses = list(proposed.status_changes.values_list("status", flat=True))
    assert statuses == ["proposed", "founding", "active"]


# --- Registration with the ministry ---------------------------------------------------------


def test_the_signed_charter_gets_a_registration_file_and_the_reply_is_recorded(world):
    agreement = gov.draft_agreement(world.network, world.officer, AGREEMENT)
    with pytest.raises(ValidationError):
        gov.produce_registration(agreement, world.officer)
    sign_all(agreement, world, world.coordinator)
    agreement.refresh_from_db()
    registration = gov.produce_registration(agreement, world.officer)
    assert registration.document.read()[:5] == b"%PDF-"
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        gov.record_registration_reply(
            registration, world.officer, reply_on=today, outcome="registered"
        )
    gov.record_registration_sent(registration, world.officer, today - timedelta(days=10))
    gov.record_registration_reply(
        registration, world.officer, reply_on=today, outcome="registered", reference="BIN/2026/17"
    )
    registration.refresh_from_db()
    assert registration.reply_outcome == "registered" and registration.reply_reference


# --- Evaluation, dormancy, dissolution -----------------------------------------------------


def test_one_evaluation_per_year(world):
    today = timezone.localdate()
    gov.record_evaluation(
        world.network, world.officer, year=today.year, held_on=today, summary="Going well."
    )
    with pytest.raises(ValidationError):
        gov.record_evaluation(
            world.network, world.officer, year=today.year, held_on=today, summary="Again."
        )


def test_an_evaluation_is_due_a_year_after_the_agreement(world):
    network = world.network
    network.agreement_signed_on = timezone.localdate() - timedelta(days=366)
    network.save()
    assert gov.evaluation_due(network)
    gov.record_evaluation(
        network,
        world.officer,
        year=timezone.localdate().year,
        held_on=timezone.localdate(),
        summary="Fine.",
    )
    assert not gov.evaluation_due(network)


def test_a_bin_without_coordinator_goes_dormant_and_wakes_with_a_new_one(world):
    networks.leave(Membership.objects.get(person=world.coordinator), world.coordinator)
    gov.sync_all_dormancy()
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.DORMANT
    gov.record_screening(world.network, world.steering, world.officer, timezone.localdate())
    gov.hand_over(world.network, world.officer, world.steering, "The coordinator moved away.")
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.ACTIVE


def test_a_bin_moves_only_along_its_status_machine(world):
    """The one guard every status change passes (governance's steps and any other caller):
    an active BIN cannot go back to proposed, and the refusal writes nothing."""
    with pytest.raises(ValidationError) as refused:
        world.network.move_to(NetworkStatus.PROPOSED, by=world.officer)
    assert refused.value.code == "illegal_move"
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.ACTIVE
    assert not NetworkStatusChange.objects.filter(
        network=world.network, status=NetworkStatus.PROPOSED
    ).exists()


def test_going_dormant_is_kept_in_the_history_and_the_audit_log(world):
    networks.leave(Membership.objects.get(person=world.coordinator), world.coordinator)
    gov.sync_all_dormancy()
    change = NetworkStatusChange.objects.filter(network=world.network).latest("changed_at")
    assert (change.status, change.note) == (NetworkStatus.DORMANT, "no coordinator")
    assert AuditEvent.objects.filter(
        action="change_network", network_id=world.network.pk, detail__to=NetworkStatus.DORMANT
    ).exists()


def test_dissolving_tells_the_members_and_ends_every_membership(world, now_sends):
    meeting = now_sends(gov.schedule_meeting, world.network, world.coordinator, meeting_input())
    now_sends(gov.dissolve, world.network, world.officer, "Nobody wants to coordinate.")
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.DISSOLVED
    assert not Membership.objects.filter(
        network=world.network, status__in=["applied", "approved", "paused"]
    ).exists()
    assert mailed(world.member)
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"


def test_a_coordinators_api_token_stops_working_when_the_bin_is_dissolved(client, world):
    secret = make_token(world.coordinator)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/networks", **bearer).status_code == 200

    gov.dissolve(world.network, world.officer, "Ended.")

    assert client.get("/api/v1/networks", **bearer).status_code == 401


def test_a_dissolved_bin_cannot_come_back(world):
    gov.dissolve(world.network, world.officer, "Ended.")
    with pytest.raises(ValidationError):
        gov.dissolve(world.network, world.officer, "Again.")
    with pytest.raises(ValidationError):
        gov.schedule_meeting(world.network, world.officer, meeting_input())


def test_members_cannot_dissolve_their_bin(world):
    with pytest.raises(PermissionDenied):
        gov.dissolve(world.network, world.coordinator, "We stop.")


def test_dissolving_keeps_a_message_meant_for_other_bins_too(world):
    from buurtnet.messaging import services as messaging

    later = timezone.now() + timedelta(days=1)
    shared = messaging.submit(
        world.zone_staff,
        messaging.Draft(
            kind="notice",
            language="nl",
            texts={"nl": {"title": "Werken", "body": "Omleiding.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk, world.other_network.pk]},
            scheduled_for=later,
        ),
    )
    alone = messaging.submit(
        world.officer,
        messaging.Draft(
            kind="notice",
            language="nl",
            texts={"nl": {"title": "Vergadering", "body": "Zaal.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
            scheduled_for=later,
        ),
    )
    gov.dissolve(world.network, world.officer, "Ended.")
    shared.refresh_from_db()
    alone.refresh_from_db()
    assert (shared.status, alone.status) == ("scheduled", "cancelled")


def test_tick_looks_for_bins_without_coordinator_at_most_every_ten_minutes(world):
    call_command("tick")
    networks.leave(Membership.objects.get(person=world.coordinator), world.coordinator)
    call_command("tick")
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.ACTIVE  # not looked at again so soon
    PeriodicRun.objects.filter(name="dormancy_synced").update(  # ten minutes later
        last_started=F("last_started") - timedelta(minutes=10)
    )
    call_command("tick")
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.DORMANT
