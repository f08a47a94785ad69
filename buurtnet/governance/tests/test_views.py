"""The governance pages through HTTP: who may open and use each, and that refused or bad
input shows a translated message and changes nothing."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from buurtnet.audit.models import AuditEvent
from buurtnet.governance import services as gov
from buurtnet.governance.models import (
    AgreementSignature,
    Attendance,
    Consultation,
    ConsultationAction,
    CoordinatorCase,
    Decision,
    DecisionStatus,
    EmergencyHandover,
    Evaluation,
    Meeting,
    MeetingRules,
    Outcome,
    Rsvp,
    Screening,
    Vote,
)
from buurtnet.networks.models import Membership, Network, NetworkStatus, Role
from buurtnet.networks.tests.factories import MembershipFactory, ZoneStaffFactory, square
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory

from .helpers import DAYS_AHEAD, meeting_input, more_members, start, steering_for

pytestmark = pytest.mark.django_db

EVERY_ROLE = [
    "member",
    "steering",
    "coordinator",
    "officer",
    "zone_staff",
    "municipal",
    "officer_b",
    "officer_far",
    "other_zone_staff",
    "outsider",
]


@pytest.fixture
def people(world):
    """Everyone the tables below name, on top of the world's own people."""
    officer_b = PersonFactory(full_name="Officer Bee")
    MembershipFactory(network=world.other_network, person=officer_b, role=Role.OFFICER)
    officer_far = PersonFactory(full_name="Officer Far")
    MembershipFactory(network=world.far_network, person=officer_far, role=Role.OFFICER)
    found = dict(world.people)
    found.update(
        officer_b=officer_b,
        officer_far=officer_far,
        other_zone_staff=ZoneStaffFactory(zone=world.other_zone).person,
    )
    return found


def as_(client, person):
    return log_in(client, person)


def expect(allowed: set[str], forbidden: set[str] = frozenset()) -> list[tuple[str, int]]:
    """Each role with the status it must get: 200 if allowed, 403 if it sees the BIN but
    may not do this, 404 otherwise."""
    return [
        (role, 200 if role in allowed else 403 if role in forbidden else 404) for role in EVERY_ROLE
    ]


SEES_BIN = {"member", "steering", "coordinator", "officer", "zone_staff", "municipal"}


@pytest.fixture
def meeting(world, now_sends):
    return now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(title="Spring meeting", decisions=[steering_for(world.member)]),
    )


@pytest.fixture
def agreement(world):
    return gov.draft_agreement(world.network, world.officer, "We agree to share information.")


def form_data(**fields):
    starts = timezone.localtime(timezone.now() + timedelta(days=DAYS_AHEAD)).replace(second=0)
    data = {
        "kind": "members",
        "title": "Autumn meeting",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Parish hall",
        "video_url": "",
        "agenda": "- Welcome\n- Steering group",
    }
    data.update(fields)
    return data


# --- Who may open which page ----------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), expect(SEES_BIN))
def test_the_governance_page_of_a_bin_is_for_those_who_see_it(client, world, people, role, status):
    as_(client, people[role])
    assert client.get(reverse("governance:network", args=[world.network.pk])).status_code == status


def test_a_member_sees_meetings_and_functions_but_not_consultations_or_cases(
    client, world, meeting
):
    gov.record_consultation(
        world.network,
        world.officer,
        gov.ConsultationInput(held_on=timezone.localdate(), topics="Quiet summer Qsecret"),
    )
    as_(client, world.member)
    page = client.get(reverse("governance:network", args=[world.network.pk])).content.decode()
    assert "Spring meeting" in page
    assert "Qsecret" not in page and "Cases about a coordinator" not in page


def test_the_officer_sees_consultations_and_cases(client, world):
    gov.record_consultation(
        world.network,
        world.officer,
        gov.ConsultationInput(held_on=timezone.localdate(), topics="Quiet summer Qsecret"),
    )
    as_(client, world.officer)
    page = client.get(reverse("governance:network", args=[world.network.pk])).content.decode()
    assert "Qsecret" in page and "Cases about a coordinator" in page


@pytest.mark.parametrize(
    ("role", "rows"),
    [("officer", {"BIN Ours"}), ("zone_staff", {"BIN Ours", "BIN Theirs"}), ("member", set())],
)
def test_the_overview_lists_the_bins_a_person_oversees(client, world, people, role, rows):
    as_(client, people[role])
    page = client.get(reverse("governance:index"))
    assert page.status_code == 200
    shown = {row.network.name for row in page.context["rows"]}
    assert shown == rows


def test_the_overview_shows_an_overdue_consultation(client, world):
    Network.objects.filter(pk=world.network.pk).update(
        agreement_signed_on=timezone.localdate() - timedelta(days=400)
    )
    as_(client, world.officer)
    page = client.get(reverse("governance:index")).content.decode()
    assert "overdue since" in page


def test_a_member_sees_the_upcoming_meetings_of_their_bin(client, world, meeting):
    as_(client, world.member)
    page = client.get(reverse("governance:index")).content.decode()
    assert "Spring meeting" in page


def test_an_outsider_sees_no_meeting_of_a_bin(client, world, meeting):
    as_(client, world.outsider)
    assert "Spring meeting" not in client.get(reverse("governance:index")).content.decode()


@pytest.mark.parametrize(("role", "status"), expect({"zone_staff"}))
def test_the_zone_overview_is_for_its_staff(client, world, people, role, status):
    as_(client, people[role])
    assert client.get(reverse("governance:zone", args=[world.zone.code])).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    answer = client.get(reverse("governance:network", args=[world.network.pk]))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


# --- Founding -------------------------------------------------------------------------------------


AREA = '{"type": "Polygon", "coordinates": [[[3.36, 50.82], [3.37, 50.82], [3.37, 50.83], [3.36, 50.83], [3.36, 50.82]]]}'  # noqa: E501


def test_a_resident_asks_for_a_bin_around_their_home(client, world):
    resident = PersonFactory(full_name="Rita Resident", at=(3.365, 50.825))
    as_(client, resident)
    answer = client.post(
        reverse("governance:request"),
        {
            "name": "BIN Molenwijk",
            "municipality_id": world.municipality.pk,
            "kind": "residents",
            "motivation": "Break-ins in our street.",
            "area": AREA,
        },
    )
    network = Network.objects.get(name="BIN Molenwijk")
    assert answer.status_code == 302 and network.status == NetworkStatus.PROPOSED
    # The requester follows their request on its page.
    assert client.get(answer["Location"]).status_code == 200


def test_a_request_whose_area_leaves_out_the_home_is_refused(client, world):
    resident = PersonFactory(full_name="Rita Resident", at=(3.9, 50.9))
    as_(client, resident)
    answer = client.post(
        reverse("governance:request"),
        {
            "name": "BIN Molenwijk",
            "municipality_id": world.municipality.pk,
            "kind": "residents",
            "motivation": "Break-ins in our street.",
            "area": AREA,
        },
    )
    assert answer.status_code == 400
    assert "must include your own address" in answer.content.decode()
    assert b"Break-ins in our street." in answer.content  # what was typed is kept
    assert not Network.objects.filter(name="BIN Molenwijk").exists()


def test_the_request_form_has_a_map_to_draw_on(client, world):
    as_(client, world.member)
    page = client.get(reverse("governance:request")).content.decode()
    assert 'data-mode="draw"' in page and "js/map/draw.js" in page


@pytest.fixture
def proposed(world):
    resident = PersonFactory(full_name="Rita Resident", at=(3.365, 50.825))
    return gov.request_founding(
        resident,
        gov.FoundingInput(
            name="BIN Molenwijk",
            municipality_id=world.municipality.pk,
            kind="residents",
            area=square(3.36, 50.82),
            motivation="Break-ins.",
        ),
    )


def test_zone_staff_decline_a_request(client, world, proposed):
    as_(client, world.zone_staff)
    url = reverse("governance:decline", args=[proposed.pk])
    assert client.post(url, {"reason": "Too small."}).status_code == 302
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.DISSOLVED


def test_a_decline_without_a_reason_changes_nothing(client, world, proposed):
    as_(client, world.zone_staff)
    answer = client.post(reverse("governance:decline", args=[proposed.pk]), {"reason": ""})
    assert answer.status_code == 400 and "This field is required." in answer.content.decode()
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.PROPOSED


def test_an_officer_cannot_decline_a_request_of_their_zone(client, world, proposed, people):
    as_(client, people["officer_b"])
    assert client.get(reverse("governance:decline", args=[proposed.pk])).status_code == 404


def test_the_information_session_held_starts_the_founding(client, world, proposed, now_sends):
    session = now_sends(
        gov.schedule_meeting,
        proposed,
        world.zone_staff,
        meeting_input(kind="information", title="Information evening"),
    )
    start(session)
    as_(client, world.zone_staff)
    client.post(reverse("governance:information_held", args=[session.pk]))
    proposed.refresh_from_db()
    assert proposed.status == NetworkStatus.FOUNDING


def test_dissolving_needs_the_confirmation(client, world):
    as_(client, world.officer)
    url = reverse("governance:dissolve", args=[world.network.pk])
    answer = client.post(url, {"reason": "No members left."})
    assert answer.status_code == 400
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.ACTIVE
    assert client.post(url, {"reason": "No members left.", "confirm": "on"}).status_code == 302
    world.network.refresh_from_db()
    assert world.network.status == NetworkStatus.DISSOLVED


@pytest.mark.parametrize(
    ("role", "status"),
    expect({"officer", "zone_staff"}, forbidden=SEES_BIN - {"officer", "zone_staff"}),
)
def test_only_the_police_may_dissolve(client, world, people, role, status):
    as_(client, people[role])
    url = reverse("governance:dissolve", args=[world.network.pk])
    assert client.get(url).status_code == status


# --- The agreement ------------------------------------------------------------------------------


def test_the_officer_drafts_the_agreement(client, world):
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:draft_agreement", args=[world.network.pk]), {"text": "We agree."}
    )
    assert answer.status_code == 302
    assert world.network.agreements.get().text == "We agree."


@pytest.mark.parametrize(
    ("role", "status"),
    expect({"coordinator", "officer", "zone_staff", "municipal"}, forbidden={"member", "steering"}),
)
def test_the_agreement_page_is_for_the_parties_and_the_police(
    client, world, people, agreement, role, status
):
    as_(client, people[role])
    assert client.get(reverse("governance:agreement", args=[agreement.pk])).status_code == status


def test_the_coordinator_signs_for_the_coordinator(client, world, agreement):
    as_(client, world.coordinator)
    page = client.get(reverse("governance:agreement", args=[agreement.pk])).content.decode()
    assert 'value="coordinator"' in page and 'value="zone"' not in page
    answer = client.post(reverse("governance:sign", args=[agreement.pk]), {"party": "coordinator"})
    assert answer.status_code == 302
    assert agreement.signatures.get().person == world.coordinator


def test_a_signature_for_a_party_one_does_not_represent_is_refused(client, world, agreement):
    as_(client, world.coordinator)
    answer = client.post(reverse("governance:sign", args=[agreement.pk]), {"party": "zone"})
    assert answer.status_code == 400
    assert "You cannot sign for The police zone." in answer.content.decode()
    assert not AgreementSignature.objects.exists()


def test_a_member_cannot_sign(client, world, agreement):
    as_(client, world.member)
    answer = client.post(reverse("governance:sign", args=[agreement.pk]), {"party": "coordinator"})
    assert answer.status_code == 403
    assert not AgreementSignature.objects.exists()


def test_the_agreement_pdf_is_a_private_attachment(client, world, agreement):
    as_(client, world.municipal)
    answer = client.get(reverse("governance:agreement_pdf", args=[agreement.pk]))
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    assert "no-store" in answer["Cache-Control"]
    assert b"".join(answer.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("role", ["member", "steering", "officer_b", "outsider"])
def test_the_agreement_pdf_is_not_found_for_others(client, world, people, agreement, role):
    as_(client, people[role])
    assert client.get(reverse("governance:agreement_pdf", args=[agreement.pk])).status_code == 404


def signed(world, agreement):
    gov.sign_agreement(agreement, world.coordinator, "coordinator")
    gov.sign_agreement(agreement, world.municipal, "municipality")
    gov.sign_agreement(agreement, world.zone_staff, "zone")
    agreement.refresh_from_db()
    return agreement


def test_the_registration_is_produced_sent_and_answered(client, world, agreement):
    signed(world, agreement)
    as_(client, world.zone_staff)
    client.post(reverse("governance:registration", args=[agreement.pk]))
    registration = agreement.registration
    pdf = client.get(reverse("governance:registration_pdf", args=[registration.pk]))
    assert pdf.status_code == 200 and "no-store" in pdf["Cache-Control"]
    today = timezone.localdate().isoformat()
    client.post(reverse("governance:registration_sent", args=[registration.pk]), {"sent_on": today})
    client.post(
        reverse("governance:registration_reply", args=[registration.pk]),
        {"reply_on": today, "outcome": "registered", "reference": "BZ-1"},
    )
    registration.refresh_from_db()
    assert registration.sent_on and registration.reply_outcome == "registered"


def test_the_registration_file_is_not_found_for_the_coordinator(client, world, agreement):
    signed(world, agreement)
    registration = gov.produce_registration(agreement, world.officer)
    as_(client, world.coordinator)
    url = reverse("governance:registration_pdf", args=[registration.pk])
    assert client.get(url).status_code == 404


def test_a_reply_before_sending_is_refused(client, world, agreement):
    signed(world, agreement)
    registration = gov.produce_registration(agreement, world.officer)
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:registration_reply", args=[registration.pk]),
        {"reply_on": timezone.localdate().isoformat(), "outcome": "registered"},
    )
    assert answer.status_code == 400
    assert "Record first when the registration was sent." in answer.content.decode()


# --- Evaluation, screening, handover, cases -------------------------------------------------------


def test_the_officer_records_an_evaluation(client, world):
    as_(client, world.officer)
    today = timezone.localdate()
    client.post(
        reverse("governance:evaluation", args=[world.network.pk]),
        {"year": today.year, "held_on": today.isoformat(), "summary": "Good year."},
    )
    assert Evaluation.objects.filter(network=world.network).count() == 1


def test_a_screening_in_the_future_is_refused(client, world):
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:screening", args=[world.network.pk]),
        {
            "person": world.member.pk,
            "screened_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert answer.status_code == 400 and "This date lies in the future." in answer.content.decode()
    assert not Screening.objects.exists()


def test_a_screening_of_another_bins_member_is_refused(client, world):
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:screening", args=[world.network.pk]),
        {"person": world.their_member.pk, "screened_on": timezone.localdate().isoformat()},
    )
    assert answer.status_code == 400 and "Choose a member of this BIN." in answer.content.decode()
    assert not Screening.objects.exists()


def test_the_officer_hands_the_role_over_in_an_emergency(client, world):
    gov.record_screening(world.network, world.member, world.officer, timezone.localdate())
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:handover", args=[world.network.pk]),
        {"person": world.member.pk, "reason": "The coordinator moved away."},
    )
    assert answer.status_code == 302
    assert Membership.objects.get(network=world.network, person=world.member).role == "coordinator"


@pytest.mark.parametrize("role", ["coordinator", "zone_staff", "steering"])
def test_only_the_officer_hands_over(client, world, people, role):
    as_(client, people[role])
    url = reverse("governance:handover", args=[world.network.pk])
    assert client.get(url).status_code == 403
    assert not EmergencyHandover.objects.exists()


@pytest.fixture
def case(world):
    return gov.open_case(world.network, world.coordinator, world.officer)


def test_opening_a_case_page_is_written_to_the_audit_log(client, world, case):
    as_(client, world.officer)
    assert client.get(reverse("governance:case", args=[case.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="view_governance", actor=world.officer).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    expect({"officer", "zone_staff", "municipal"}, forbidden={"member", "steering", "coordinator"}),
)
def test_a_case_is_for_the_police_and_the_municipality(client, world, people, case, role, status):
    as_(client, people[role])
    assert client.get(reverse("governance:case", args=[case.pk])).status_code == status


def test_a_step_cannot_be_skipped(client, world, case):
    as_(client, world.zone_staff)
    answer = client.post(
        reverse("governance:case_step", args=[case.pk]),
        {
            "step": "official_report",
            "occurred_on": timezone.localdate().isoformat(),
            "reason": "Shared a photo of a suspect.",
        },
    )
    assert answer.status_code == 400
    assert "no step can be skipped" in answer.content.decode()
    assert not case.steps.exists()


def test_the_officer_records_the_talk(client, world, case):
    as_(client, world.officer)
    client.post(
        reverse("governance:case_step", args=[case.pk]),
        {"step": "talk", "occurred_on": timezone.localdate().isoformat(), "reason": "Tone."},
    )
    assert case.steps.get().step == "talk"


def test_the_officer_opens_a_case_through_the_form(client, world):
    as_(client, world.officer)
    client.post(
        reverse("governance:open_case", args=[world.network.pk]),
        {"coordinator": world.coordinator.pk},
    )
    assert CoordinatorCase.objects.filter(coordinator=world.coordinator).exists()


# --- Consultations --------------------------------------------------------------------------------


def test_the_officer_logs_a_consultation_with_an_action(client, world):
    as_(client, world.officer)
    today = timezone.localdate()
    answer = client.post(
        reverse("governance:consultation", args=[world.network.pk]),
        {
            "held_on": today.isoformat(),
            "topics": "Summer holidays",
            "action_0_description": "Update the member list",
            "action_0_owner": world.coordinator.pk,
            "action_0_due_on": (today + timedelta(days=14)).isoformat(),
        },
    )
    assert answer.status_code == 302
    action = ConsultationAction.objects.get()
    assert action.owner == world.coordinator


def test_an_action_for_a_plain_member_is_refused_on_its_row(client, world):
    as_(client, world.officer)
    today = timezone.localdate()
    answer = client.post(
        reverse("governance:consultation", args=[world.network.pk]),
        {
            "held_on": today.isoformat(),
            "topics": "Summer holidays",
            "action_1_description": "Bake a cake",
            "action_1_owner": world.member.pk,
            "action_1_due_on": today.isoformat(),
        },
    )
    assert answer.status_code == 400
    assert "An action belongs to the officer" in answer.content.decode()
    assert not Consultation.objects.exists()


def test_the_coordinator_marks_an_action_done(client, world):
    today = timezone.localdate()
    consultation = gov.record_consultation(
        world.network,
        world.officer,
        gov.ConsultationInput(
            held_on=today,
            topics="Plans",
            actions=[gov.ActionInput("Call the mayor", world.officer.pk, today)],
        ),
    )
    action = consultation.actions.get()
    as_(client, world.coordinator)
    client.post(reverse("governance:action_done", args=[action.pk]))
    action.refresh_from_db()
    assert action.done_by == world.coordinator


def test_a_member_cannot_log_a_consultation(client, world):
    as_(client, world.member)
    url = reverse("governance:consultation", args=[world.network.pk])
    assert client.get(url).status_code == 403


# --- Meetings ------------------------------------------------------------------------------------


def test_the_coordinator_schedules_a_meeting_with_a_decision(client, world):
    as_(client, world.coordinator)
    effective = (timezone.localdate() + timedelta(days=DAYS_AHEAD + 1)).isoformat()
    answer = client.post(
        reverse("governance:meeting_new", args=[world.network.pk]),
        form_data(
            decision_0_function="steering",
            decision_0_candidate=world.member.pk,
            decision_0_takes_effect_on=effective,
        ),
    )
    assert answer.status_code == 302
    decision = Decision.objects.get()
    assert decision.candidate == world.member and decision.meeting.title == "Autumn meeting"


def test_the_schedule_form_names_the_candidates_without_contact_data(client, world):
    as_(client, world.coordinator)
    page = client.get(reverse("governance:meeting_new", args=[world.network.pk])).content.decode()
    assert world.member.full_name in page
    assert world.member.email not in page and world.member.phone not in page


def test_a_meeting_in_the_past_is_refused(client, world):
    as_(client, world.coordinator)
    past = timezone.localtime(timezone.now() - timedelta(days=1))
    answer = client.post(
        reverse("governance:meeting_new", args=[world.network.pk]),
        form_data(
            starts_at=past.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(past + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert answer.status_code == 400
    assert "A meeting cannot be scheduled in the past." in answer.content.decode()
    assert b"Autumn meeting" in answer.content
    assert not Meeting.objects.exists()


def test_a_decision_on_a_non_member_is_refused_on_its_row(client, world):
    as_(client, world.coordinator)
    answer = client.post(
        reverse("governance:meeting_new", args=[world.network.pk]),
        form_data(
            decision_0_function="steering",
            decision_0_candidate=world.their_member.pk,
            decision_0_takes_effect_on=(
                timezone.localdate() + timedelta(days=DAYS_AHEAD + 1)
            ).isoformat(),
        ),
    )
    assert answer.status_code == 400
    assert "Only a member of this BIN can be proposed for a function." in answer.content.decode()
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    expect({"coordinator", "officer", "zone_staff"}, forbidden={"member", "steering", "municipal"}),
)
def test_who_may_open_the_schedule_form(client, world, people, role, status):
    as_(client, people[role])
    url = reverse("governance:meeting_new", args=[world.network.pk])
    assert client.get(url).status_code == status


@pytest.mark.parametrize(("role", "status"), expect(SEES_BIN))
def test_a_meeting_page_is_for_those_who_see_the_bin(client, world, people, meeting, role, status):
    as_(client, people[role])
    assert client.get(reverse("governance:meeting", args=[meeting.pk])).status_code == status


def test_the_agenda_is_rendered_without_scripts(client, world, now_sends):
    meeting = now_sends(
        gov.schedule_meeting,
        world.network,
        world.coordinator,
        meeting_input(agenda="- **Welcome**\n<script>alert(1)</script>"),
    )
    as_(client, world.member)
    page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "<strong>Welcome</strong>" in page and "alert(1)" not in page


def test_the_calendar_file_parses(client, world, meeting):
    as_(client, world.member)
    answer = client.get(reverse("governance:meeting_ics", args=[meeting.pk]))
    assert answer["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(answer.content).walk("VEVENT")[0]
    assert "Spring meeting" in str(event["SUMMARY"])


def test_the_calendar_file_is_not_found_for_an_outsider(client, world, meeting):
    as_(client, world.outsider)
    assert client.get(reverse("governance:meeting_ics", args=[meeting.pk])).status_code == 404


def test_members_answer_and_only_the_chair_sees_who(client, world, meeting):
    as_(client, world.member)
    client.post(reverse("governance:rsvp", args=[meeting.pk]), {"answer": "yes"})
    assert Rsvp.objects.get(person=world.member).answer == "yes"
    page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "Your answer" in page and "Who answered" not in page
    as_(client, world.coordinator)
    page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "Who answered" in page and world.member.full_name in page


def test_zone_staff_cannot_answer_an_invitation(client, world, meeting):
    as_(client, world.zone_staff)
    answer = client.post(reverse("governance:rsvp", args=[meeting.pk]), {"answer": "yes"})
    assert answer.status_code == 403 and not Rsvp.objects.exists()


def test_the_attendance_form_ticks_those_who_said_yes(client, world, meeting):
    gov.rsvp(meeting, world.member, "yes")
    start(meeting)
    as_(client, world.coordinator)
    form = client.get(reverse("governance:attendance", args=[meeting.pk])).context["form"]
    assert form["present"].value() == [world.member.pk]


def test_attendance_before_the_meeting_is_refused(client, world, meeting):
    as_(client, world.coordinator)
    answer = client.post(
        reverse("governance:attendance", args=[meeting.pk]), {"present": [world.member.pk]}
    )
    assert answer.status_code == 400
    assert "Attendance is recorded once the meeting has started." in answer.content.decode()
    assert not Attendance.objects.exists()


def test_a_member_cannot_record_attendance(client, world, meeting):
    start(meeting)
    as_(client, world.member)
    assert client.get(reverse("governance:attendance", args=[meeting.pk])).status_code == 403


@pytest.fixture
def open_decision(client, world, meeting):
    """The meeting under way, the member, steering and coordinator present, the vote open."""
    start(meeting)
    as_(client, world.coordinator)
    client.post(
        reverse("governance:attendance", args=[meeting.pk]),
        {"present": [world.member.pk, world.steering.pk, world.coordinator.pk]},
    )
    decision = meeting.decisions.get()
    client.post(reverse("governance:open_vote", args=[decision.pk]))
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.OPEN
    return decision


def test_a_present_member_votes_and_sees_it(client, world, open_decision):
    as_(client, world.steering)
    client.post(reverse("governance:vote", args=[open_decision.pk]), {"choice": "yes"})
    assert Vote.objects.get(voter=world.steering).choice == "yes"
    page = client.get(reverse("governance:meeting", args=[open_decision.meeting_id]))
    assert "You voted" in page.content.decode()


def test_a_second_vote_is_refused(client, world, open_decision):
    as_(client, world.steering)
    url = reverse("governance:vote", args=[open_decision.pk])
    client.post(url, {"choice": "yes"})
    answer = client.post(url, {"choice": "no"}, follow=True)
    assert "This member has already voted." in answer.content.decode()
    assert Vote.objects.get(voter=world.steering).choice == "yes"


def test_a_vote_by_someone_not_present_is_refused(client, world, open_decision):
    absent = more_members(world.network, 1)[0]
    as_(client, absent)
    answer = client.post(
        reverse("governance:vote", args=[open_decision.pk]), {"choice": "yes"}, follow=True
    )
    assert "Only members present at the meeting vote." in answer.content.decode()
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"), [("officer", 403), ("zone_staff", 403), ("officer_b", 404)]
)
def test_the_police_do_not_vote(client, world, people, open_decision, role, status):
    as_(client, people[role])
    answer = client.post(reverse("governance:vote", args=[open_decision.pk]), {"choice": "yes"})
    assert answer.status_code == status and not Vote.objects.exists()


def test_a_member_cannot_close_the_vote(client, world, open_decision):
    as_(client, world.member)
    assert client.post(reverse("governance:close_vote", args=[open_decision.pk])).status_code == 403


def test_closing_the_vote_shows_the_result(client, world, open_decision):
    MeetingRules.objects.create(network=world.network, quorum_percent=10, quorum_minimum=3)
    for person in (world.member, world.steering):
        as_(client, person)
        client.post(reverse("governance:vote", args=[open_decision.pk]), {"choice": "yes"})
    as_(client, world.coordinator)
    client.post(reverse("governance:close_vote", args=[open_decision.pk]))
    open_decision.refresh_from_db()
    assert open_decision.outcome == Outcome.ACCEPTED
    page = client.get(reverse("governance:meeting", args=[open_decision.meeting_id]))
    text = page.content.decode()
    assert (
        "Accepted" in text and 'data-count="yes">2<' in text and 'data-count="present">3<' in text
    )


def test_minutes_are_written_approved_and_shown_sanitised(client, world, meeting):
    start(meeting)
    as_(client, world.coordinator)
    client.post(
        reverse("governance:minutes", args=[meeting.pk]),
        {"minutes": "**Decided**: more walks.\n<script>alert(1)</script>"},
    )
    as_(client, world.member)
    page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "more walks" not in page  # not approved yet
    as_(client, world.coordinator)
    client.post(reverse("governance:approve_minutes", args=[meeting.pk]))
    as_(client, world.member)
    page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "<strong>Decided</strong>" in page and "alert(1)" not in page


def test_a_member_cannot_write_minutes(client, world, meeting):
    start(meeting)
    as_(client, world.member)
    assert client.get(reverse("governance:minutes", args=[meeting.pk])).status_code == 403


def test_the_coordinator_cancels_a_meeting_after_confirming(client, world, meeting):
    as_(client, world.coordinator)
    url = reverse("governance:cancel_meeting", args=[meeting.pk])
    assert "Yes, cancel the meeting" in client.get(url).content.decode()
    client.post(url)
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"


def test_meeting_rules_out_of_range_are_refused(client, world):
    as_(client, world.coordinator)
    answer = client.post(
        reverse("governance:rules", args=[world.network.pk]),
        {"quorum_percent": 150, "quorum_minimum": 3, "notice_days": 7},
    )
    assert answer.status_code == 400 and not MeetingRules.objects.exists()


def test_a_proxy_is_refused_where_the_rules_allow_none(client, world, meeting):
    start(meeting)
    as_(client, world.coordinator)
    answer = client.post(
        reverse("governance:proxy", args=[meeting.pk]),
        {"giver": world.member.pk, "holder": world.steering.pk},
    )
    assert answer.status_code == 400
    assert "This BIN's rules do not allow proxies." in html.unescape(answer.content.decode())


def test_the_bin_page_links_to_governance(client, world):
    as_(client, world.member)
    page = client.get(reverse("networks:detail", args=[world.network.pk])).content.decode()
    assert reverse("governance:network", args=[world.network.pk]) in page


def test_the_requester_sees_the_information_session_they_are_invited_to(
    client, world, proposed, now_sends
):
    session = now_sends(
        gov.schedule_meeting,
        proposed,
        world.zone_staff,
        meeting_input(kind="information", title="Information evening"),
    )
    as_(client, proposed.founding.requested_by)
    assert client.get(reverse("governance:meeting", args=[session.pk])).status_code == 200
    as_(client, world.outsider)
    assert client.get(reverse("governance:meeting", args=[session.pk])).status_code == 404


def test_a_date_far_in_the_future_is_refused_before_any_arithmetic(client, world):
    as_(client, world.officer)
    answer = client.post(
        reverse("governance:consultation", args=[world.network.pk]),
        {"held_on": "9999-10-03", "topics": "x"},
    )
    assert answer.status_code == 400 and "Give a real date." in answer.content.decode()
    assert not Consultation.objects.exists()
