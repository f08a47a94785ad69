"""Governance objects for one BIN, for the URL walk (buurtnet/tests/test_authorization.py):
a meeting with a decision, an agreement with its registration file, a case about the
coordinator and a consultation action owned by the coordinator. Free texts carry the
site's marker word."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from buurtnet.governance import services as gov
from buurtnet.governance.models import CharterRegistration, RoleChange


def governance_objects(network, *, officer, coordinator, candidate, marker: str) -> dict:
    now, today = timezone.now(), timezone.localdate()
    meeting = gov.schedule_meeting(
        network,
        coordinator,
        gov.MeetingInput(
            title=f"Meeting {marker}",
            starts_at=now + timedelta(days=8),
            ends_at=now + timedelta(days=8, hours=2),
            place="Parish hall",
            agenda=f"Agenda {marker}",
            decisions=[gov.DecisionInput("steering", candidate.pk, today + timedelta(days=9))],
        ),
    )
    # A function a meeting gave, waiting for the officer.
    role_change = RoleChange.objects.create(
        network=network,
        person=candidate,
        to_role="steering",
        effective_at=now,
        decision=meeting.decisions.get(),
        by=coordinator,
        reason="decision",
        review_until=now + timedelta(days=7),
    )
    agreement = gov.draft_agreement(network, officer, f"Agreement {marker}")
    registration = CharterRegistration.objects.create(agreement=agreement)
    registration.document.save(f"registration-{network.pk}.pdf", ContentFile(b"%PDF-1.4 test"))
    consultation = gov.record_consultation(
        network,
        officer,
        gov.ConsultationInput(
            held_on=today,
            topics=f"Topics {marker}",
            actions=[gov.ActionInput(f"Action {marker}", coordinator.pk, today + timedelta(7))],
        ),
    )
    case = gov.open_case(network, coordinator, officer)
    gov.record_step(case, officer, gov.StepInput("talk", today, f"Talk {marker}"))
    return {
        "gov_meeting": meeting,
        "gov_decision": meeting.decisions.get(),
        "gov_agreement": agreement,
        "gov_registration": registration,
        "gov_action": consultation.actions.get(),
        "gov_case": case,
        "gov_role_change": role_change,
    }


def minutes_url(world) -> str:
    """For the malformed-input test: the minutes form of a meeting under way."""
    from django.urls import reverse

    from .helpers import meeting_input, start

    meeting = gov.schedule_meeting(world.network, world.coordinator, meeting_input())
    return reverse("governance:minutes", args=[start(meeting).pk])
