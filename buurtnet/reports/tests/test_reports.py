"""Members' reports: routing by plan, triage, overdue, feedback, messages made of them,
and who may see or touch what."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from buurtnet.common.rule import Approver
from buurtnet.delivery.models import Delivery, OutboxMessage
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import MESSAGE_BODY_MAX, Message, MessageStatus, Recipient
from buurtnet.networks.models import Membership, MembershipStatus, Role
from buurtnet.networks.tests.factories import MembershipFactory, StreetFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.plans import services as plans
from buurtnet.plans.defaults import DEFAULT_PLAN
from buurtnet.plans.models import PlanRule
from buurtnet.reports import services
from buurtnet.reports.forms import MessageFromReportForm, RelayForm
from buurtnet.reports.models import Report, ReportEvent, ReportPhoto
from buurtnet.reports.services import ReportInput

INSIDE = (3.265, 50.825)  # in "BIN Ours" (the world fixture's square at 3.26, 50.82)


def category(world, code: str = "suspicious_vehicle"):
    return services.categories_for(world.zone).get(code=code)


def report_input(world, **overrides) -> ReportInput:
    values = {
        "network_id": world.network.pk,
        "category_id": category(world).pk,
        "occurred_at": timezone.now() - timedelta(minutes=20),
        "longitude": INSIDE[0],
        "latitude": INSIDE[1],
        "description": "A grey van drove slowly past every house, twice.",
    }
    values.update(overrides)
    return ReportInput(**values)


def file(world, now_sends, person=None, **overrides) -> Report:
    return now_sends(services.file_report, person or world.member, report_input(world, **overrides))


def agree_plan(world, **report_rule) -> None:
    """An active plan for BIN Ours whose report rule has the given changes."""
    content = plans.plan_content(plans.effective_plan(world.network))
    for rule in content["rules"]:
        if rule["kind"] == "report":
            rule.update(report_rule)
    plan = plans.write_draft(world.network, world.coordinator, content)
    plans.approve(plan, world.coordinator)
    plans.approve(plan, world.officer)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (120, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (50.0, 49.0, 30.0), "E", (3.0, 15.0, 54.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


# --- Routing by the plan -----------------------------------------------------------------


def test_a_report_goes_to_the_officer_on_the_plans_channels_and_to_nobody_else(world, now_sends):
    report = file(world, now_sends)
    notice = Message.objects.get(kind="report")
    people = set(Recipient.objects.filter(message=notice).values_list("person_id", flat=True))
    assert people == {world.officer.pk}
    channels = set(Delivery.objects.filter(message=notice).values_list("channel", flat=True))
    assert channels <= set(DEFAULT_PLAN["rules"][-1]["channels"])
    assert "email" in channels
    assert report.filed_rule.report_to == (Approver.OFFICER,)
    assert OutboxMessage.objects.filter(recipient=world.officer.email).exists()


def test_a_plan_can_send_reports_to_the_coordinator_and_the_officer(world, now_sends):
    agree_plan(world, report_to=["officer", "coordinator"])
    file(world, now_sends)
    notice = Message.objects.get(kind="report")
    people = set(Recipient.objects.filter(message=notice).values_list("person_id", flat=True))
    assert people == {world.officer.pk, world.coordinator.pk}


def test_a_report_to_the_coordinator_of_a_bin_without_one_goes_to_the_officer(world, now_sends):
    agree_plan(world, report_to=["coordinator"])
    Membership.objects.filter(network=world.network, role=Role.COORDINATOR).update(
        status=MembershipStatus.LEFT
    )
    file(world, now_sends)
    notice = Message.objects.get(kind="report")
    assert list(Recipient.objects.filter(message=notice).values_list("person_id", flat=True)) == [
        world.officer.pk
    ]


def test_a_plan_written_before_reports_had_receivers_sends_them_to_the_officer(world, now_sends):
    agree_plan(world, report_to=["officer", "coordinator"])
    PlanRule.objects.filter(plan__network=world.network, kind="report").update(report_to=[])
    report = file(world, now_sends)
    assert report.filed_rule.report_to == (Approver.OFFICER,)
    notice = Message.objects.get(kind="report")
    assert list(Recipient.objects.filter(message=notice).values_list("person_id", flat=True)) == [
        world.officer.pk
    ]


def test_a_report_keeps_the_rule_it_was_filed_under_when_the_plan_changes(world, now_sends):
    agree_plan(world, response_minutes=60)
    report = file(world, now_sends)
    agree_plan(world, response_minutes=600)
    report.refresh_from_db()
    assert report.filed_rule.response_minutes == 60
    assert report.due_at == report.created_at + timedelta(minutes=60)


def test_a_coordinators_own_report_is_not_sent_back_to_them(world, now_sends):
    agree_plan(world, report_to=["officer", "coordinator"])
    file(world, now_sends, person=world.coordinator)
    notice = Message.objects.get(kind="report")
    assert list(Recipient.objects.filter(message=notice).values_list("person_id", flat=True)) == [
        world.officer.pk
    ]


def test_the_officers_inbox_links_the_notification_to_the_report(world, now_sends, client):
    report = file(world, now_sends)
    item = Recipient.objects.get(message__kind="report", person=world.officer)
    answer = log_in(client, world.officer).get(reverse("messaging:inbox_item", args=[item.pk]))
    assert report.get_absolute_url().encode() in answer.content
    assert b"Send my reply" not in answer.content


def test_the_notification_never_names_the_reporter(world, now_sends):
    file(world, now_sends)
    notice = Message.objects.get(kind="report")
    for text in notice.texts.all():
        assert world.member.full_name not in text.body + text.title + text.sms_text
        assert world.member.email not in text.body


def test_the_answer_is_due_after_the_plans_response_time(world, now_sends):
    agree_plan(world, response_minutes=90)
    report = file(world, now_sends)
    assert report.plan_version == 1
    assert report.due_at - report.created_at == timedelta(minutes=90)


def test_the_reporter_does_not_follow_the_police_notification_as_their_message(
    world, now_sends, client
):
    file(world, now_sends)
    notice = Message.objects.get(kind="report")
    log_in(client, world.member)
    assert client.get(reverse("messaging:detail", args=[notice.pk])).status_code == 404
    assert notice not in client.get(reverse("messaging:list")).context["sent"]


def test_buurtnet_itself_sends_the_police_notification_of_a_report(world, now_sends):
    file(world, now_sends)
    notice = Message.objects.get(kind="report")
    assert (notice.sender_id, notice.sender_role) == (None, "")


def test_nobody_replies_to_the_notification_of_a_report(world, now_sends):
    from django.core.exceptions import ValidationError

    from buurtnet.messaging import services as messaging

    file(world, now_sends)
    item = Recipient.objects.get(message__kind="report", person=world.officer)
    with pytest.raises(ValidationError):
        messaging.reply(item, "Seen, we are coming")
    assert not item.message.replies.exists()


# --- Filing: who and what ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "their_member", "zone_staff"])
def test_only_approved_members_of_the_bin_can_report(world, now_sends, who):
    with pytest.raises(PermissionDenied):
        file(world, now_sends, person=getattr(world, who))
    assert not Report.objects.exists()


def test_an_applicant_gets_403_on_the_report_form(world, client):
    applicant = PersonFactory()
    MembershipFactory(network=world.network, person=applicant, status=MembershipStatus.APPLIED)
    log_in(client, applicant)
    answer = client.get(reverse("reports:new"))
    assert answer.status_code == 403
    assert b"112" in answer.content


def test_posting_to_another_bin_is_refused_with_403(world, client):
    log_in(client, world.member)
    data = {
        "network": world.other_network.pk,
        "category": category(world).pk,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "longitude": "3.305",
        "latitude": "50.825",
        "description": "Someone at the door",
    }
    answer = client.post(reverse("reports:new"), data)
    assert answer.status_code == 403
    assert not Report.objects.exists()


def test_a_place_far_outside_the_bin_is_refused_and_nothing_is_stored(world, now_sends):
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, longitude=3.70, latitude=51.05)
    assert "outside the area of BIN Ours" in caught.value.message_dict["location"][0]
    assert not Report.objects.exists()
    assert not Message.objects.exists()


def test_a_place_just_across_the_border_is_accepted(world, now_sends):
    # The square spans 3.26–3.27; 300 m east of its edge is a neighbouring street.
    report = file(world, now_sends, longitude=3.2743, latitude=50.825)
    assert report.pk


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("description", "   ", "description"),
        ("occurred_at", None, "occurred_at"),
        ("category_id", None, "category"),
        ("vehicle_plate", "XYZ", "vehicle_plate"),
    ],
)
def test_bad_input_is_refused_per_field(world, now_sends, field, value, error):
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, **{field: value})
    assert error in caught.value.message_dict
    assert not Report.objects.exists()


def test_a_time_in_the_future_is_refused(world, now_sends):
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, occurred_at=timezone.now() + timedelta(hours=2))
    assert "future" in caught.value.message_dict["occurred_at"][0]


def test_a_belgian_plate_is_normalised_and_a_foreign_one_kept(world, now_sends):
    report = file(world, now_sends, vehicle_plate="1 abc 234")
    assert report.vehicle_plate == "1-ABC-234"
    foreign = file(world, now_sends, vehicle_plate="AB-123-CD", vehicle_plate_foreign=True)
    assert foreign.vehicle_plate == "AB123CD"
    assert foreign.vehicle_plate_foreign


def test_a_retired_category_cannot_be_chosen(world, now_sends):
    retired = category(world)
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, category_id=retired.pk)
    assert "category" in caught.value.message_dict


def test_the_same_form_sent_twice_makes_one_report(world, now_sends):
    token = uuid.uuid4()
    first = file(world, now_sends, client_token=token)
    second = file(world, now_sends, client_token=token)
    assert first.pk == second.pk
    assert Report.objects.count() == 1
    assert Message.objects.filter(kind="report").count() == 1


def test_a_report_can_start_from_an_alert_the_member_received(world, now_sends):
    alert = now_sends(
        messaging.submit,
        world.officer,
        messaging.Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglaries", "body": "Watch out tonight.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )
    report = file(world, now_sends, source_message_id=alert.pk)
    assert report.source_message == alert
    stranger = file(world, now_sends, person=world.steering, source_message_id=999999)
    assert stranger.source_message is None


# --- Photos ----------------------------------------------------------------------------


def test_an_uploaded_photo_is_stored_without_its_location(world, client):
    log_in(client, world.member)
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "IMG_0001.JPG"
    answer = client.post(
        reverse("reports:new"),
        {
            "network": world.network.pk,
            "category": category(world).pk,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "longitude": INSIDE[0],
            "latitude": INSIDE[1],
            "description": "Two men checking car doors",
            "photos": [photo],
        },
    )
    assert answer.status_code == 302, answer.content
    stored = ReportPhoto.objects.get()
    with stored.image.open("rb") as handle:
        data = handle.read()
    assert b"Exif" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_a_file_that_is_not_a_photo_is_refused_and_what_was_typed_stays(world, client):
    log_in(client, world.member)
    fake = io.BytesIO(b"%PDF-1.4 not a photo at all")
    fake.name = "holiday.jpg"
    answer = client.post(
        reverse("reports:new"),
        {
            "network": world.network.pk,
            "category": category(world).pk,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "longitude": INSIDE[0],
            "latitude": INSIDE[1],
            "description": "Two men checking car doors",
            "photos": [fake],
        },
    )
    assert answer.status_code == 400
    assert b"not a photo" in answer.content
    assert b"Two men checking car doors" in answer.content
    assert not Report.objects.exists()


def test_every_problem_shows_at_once_photos_included(world, now_sends):
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, description="", photos=[b"not a photo"])
    assert {"description", "photos"} <= set(caught.value.message_dict)


def test_four_photos_are_too_many(world, now_sends):
    with pytest.raises(ValidationError) as caught:
        file(world, now_sends, photos=[jpeg_with_gps()] * 4)
    assert "photos" in caught.value.message_dict


def test_photos_are_served_to_the_police_and_the_reporter_only(world, now_sends, client):
    report = file(world, now_sends, photos=[jpeg_with_gps()])
    url = reverse("reports:photo", args=[report.pk, report.photos.get().pk])
    for person, status in [
        (world.officer, 200),
        (world.zone_staff, 200),
        (world.member, 200),
        (world.coordinator, 404),
        (world.steering, 404),
        (world.their_coordinator, 404),
    ]:
        log_in(client, person)
        answer = client.get(url)
        assert answer.status_code == status, person
        if status == 200:
            assert answer["Cache-Control"] == "no-store"
            b"".join(answer.streaming_content)


# --- Triage ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ["acknowledged", "in_progress", "forwarded", "closed"],
        ["in_progress", "closed"],
        ["forwarded", "in_progress", "forwarded", "closed"],
        ["closed"],
    ],
)
def test_legal_status_paths(world, now_sends, path):
    report = file(world, now_sends)
    for status in path:
        report = services.change_status(
            report, world.officer, status, note="to dispatch", outcome="patrol"
        )
    assert report.status == path[-1]
    assert report.events.filter(kind=ReportEvent.Kind.STATUS).count() == len(path)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([], "new"),
        (["acknowledged"], "new"),
        (["acknowledged"], "acknowledged"),
        (["in_progress"], "acknowledged"),
        (["closed"], "in_progress"),
        (["closed"], "new"),
        ([], "bogus"),
    ],
)
def test_illegal_status_moves_are_refused_and_change_nothing(world, now_sends, before, after):
    report = file(world, now_sends)
    for status in before:
        report = services.change_status(report, world.officer, status, outcome="no_action")
    with pytest.raises(ValidationError) as caught:
        services.change_status(report, world.officer, after, note="x", outcome="no_action")
    assert "status" in caught.value.message_dict
    report.refresh_from_db()
    assert report.status == (before[-1] if before else "new")


def test_forwarding_needs_a_note_and_closing_an_outcome(world, now_sends):
    report = file(world, now_sends)
    with pytest.raises(ValidationError) as forwarded:
        services.change_status(report, world.officer, "forwarded")
    assert "note" in forwarded.value.message_dict
    with pytest.raises(ValidationError) as closed:
        services.change_status(report, world.officer, "closed")
    assert "outcome" in closed.value.message_dict
    report.refresh_from_db()
    assert report.status == "new"


def test_each_change_records_who_and_when(world, now_sends):
    report = file(world, now_sends)
    before = timezone.now()
    services.change_status(report, world.officer, "forwarded", note="Dispatch, 22:14")
    event = report.events.get(kind=ReportEvent.Kind.STATUS)
    assert (event.actor, event.from_status, event.to_status) == (world.officer, "new", "forwarded")
    assert event.note == "Dispatch, 22:14"
    assert event.at >= before
    report.refresh_from_db()
    assert report.responded_at is not None


@pytest.mark.parametrize("who", ["coordinator", "zone_staff", "member", "their_coordinator"])
def test_only_the_bins_officer_changes_a_reports_status(world, now_sends, who):
    report = file(world, now_sends)
    with pytest.raises(PermissionDenied):
        services.change_status(report, getattr(world, who), "acknowledged")
    report.refresh_from_db()
    assert report.status == "new"


def test_a_second_bins_officer_can_neither_see_nor_change_the_report(world, now_sends, client):
    report = file(world, now_sends)
    their_officer = PersonFactory()
    MembershipFactory(network=world.other_network, person=their_officer, role=Role.OFFICER)
    log_in(client, their_officer)
    assert client.get(report.get_absolute_url()).status_code == 404
    answer = client.post(reverse("reports:status", args=[report.pk]), {"status": "acknowledged"})
    assert answer.status_code == 404
    assert report not in services.visible_reports(their_officer)
    report.refresh_from_db()
    assert report.status == "new"


def test_the_officer_changes_status_over_http(world, now_sends, client):
    report = file(world, now_sends)
    log_in(client, world.officer)
    answer = client.post(reverse("reports:status", args=[report.pk]), {"status": "acknowledged"})
    assert answer.status_code == 302
    bad = client.post(reverse("reports:status", args=[report.pk]), {"status": "new"})
    assert bad.status_code == 400
    assert b"cannot become" in bad.content
    report.refresh_from_db()
    assert report.status == "acknowledged"


def test_the_coordinator_gets_403_on_a_status_change(world, now_sends, client):
    report = file(world, now_sends)
    log_in(client, world.coordinator)
    answer = client.post(reverse("reports:status", args=[report.pk]), {"status": "closed"})
    assert answer.status_code == 403


def test_the_queue_shows_overdue_reports_first_then_the_newest(world, now_sends):
    old = file(world, now_sends)
    newer = file(world, now_sends)
    Report.objects.filter(pk=old.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert list(services.visible_reports(world.officer)) == [old, newer]


# --- Overdue ---------------------------------------------------------------------------


def test_a_report_past_its_response_time_is_flagged_once_and_the_officer_told(world, now_sends):
    report = file(world, now_sends)
    OutboxMessage.objects.all().delete()
    later = report.due_at + timedelta(minutes=1)
    assert now_sends(services.flag_overdue_reports, later) == 1
    assert now_sends(services.flag_overdue_reports, later) == 0
    report.refresh_from_db()
    assert report.overdue_flagged_at == later
    assert report.events.filter(kind=ReportEvent.Kind.OVERDUE).exists()
    [mail] = OutboxMessage.objects.filter(channel="email")
    assert mail.recipient == world.officer.email
    assert "waiting for an answer" in mail.subject


def test_an_answered_report_is_never_overdue(world, now_sends):
    report = file(world, now_sends)
    services.change_status(report, world.officer, "acknowledged")
    assert services.flag_overdue_reports(report.due_at + timedelta(days=1)) == 0


def test_not_yet_due_is_not_flagged(world, now_sends):
    report = file(world, now_sends)
    assert services.flag_overdue_reports(report.due_at - timedelta(minutes=1)) == 0


def test_zone_staff_see_the_overdue_reports_of_their_zone(world, now_sends, client):
    report = file(world, now_sends)
    services.flag_overdue_reports(report.due_at + timedelta(minutes=1))
    log_in(client, world.zone_staff)
    answer = client.get(reverse("reports:queue") + "?show=overdue")
    assert answer.status_code == 200
    assert report in answer.context["reports"]
    assert b"overdue" in answer.content


# --- Feedback and messages made of a report --------------------------------------------------


def test_feedback_goes_to_the_reporter_alone_in_their_language(world, now_sends):
    member = world.member
    member.language = "fr"
    member.save()
    report = file(world, now_sends)
    message = now_sends(services.send_feedback, report, world.officer, "Une patrouille est passée.")
    assert message.kind == "feedback"
    recipients = Recipient.objects.filter(message=message)
    assert [(r.person_id, r.language) for r in recipients] == [(member.pk, "fr")]
    assert message.texts.get().title.startswith("Retour sur votre signalement")
    assert [f["text"].body for f in services.feedback_for(report)] == ["Une patrouille est passée."]
    report.refresh_from_db()
    assert report.responded_at is not None


def test_feedback_with_a_number_plate_is_refused(world, now_sends):
    report = file(world, now_sends)
    with pytest.raises(ValidationError) as caught:
        services.send_feedback(report, world.officer, "We stopped 1-ABC-234.")
    assert "body" in caught.value.message_dict
    assert not Message.objects.filter(kind="feedback").exists()


def test_only_the_officer_gives_feedback(world, now_sends):
    report = file(world, now_sends)
    with pytest.raises(PermissionDenied):
        services.send_feedback(report, world.coordinator, "Thanks")


def test_a_report_becomes_a_notice_for_the_bin_without_the_reporter(world, now_sends):
    report = file(world, now_sends, photos=[jpeg_with_gps()])
    text = services.message_draft_text(report, "en")
    assert world.member.full_name not in text["body"]
    message = now_sends(
        services.publish_to_network, report, world.officer, "notice", {"en": text}, "en"
    )
    assert message.status == MessageStatus.SENT
    assert not message.attachment
    members = set(Recipient.objects.filter(message=message).values_list("person_id", flat=True))
    assert world.member.pk in members and world.steering.pk in members
    assert world.their_member.pk not in members
    assert report.events.filter(kind=ReportEvent.Kind.MESSAGE, message=message).exists()


def test_a_plate_may_go_in_an_alert_but_not_in_a_notice(world, now_sends):
    report = file(world, now_sends)
    text = {"en": {"title": "Van", "body": "Grey van 1-ABC-234 seen.", "sms_text": ""}}
    with pytest.raises(ValidationError):
        services.publish_to_network(report, world.officer, "notice", text, "en")
    alert = now_sends(services.publish_to_network, report, world.officer, "alert", text, "en")
    assert alert.status == MessageStatus.SENT


def test_a_coordinators_relay_of_a_report_waits_for_the_officer(world, now_sends):
    report = file(world, now_sends)
    text = {"en": {"title": "Van", "body": "A grey van was seen twice.", "sms_text": ""}}
    message = now_sends(services.propose_relay, report, world.coordinator, text, "en")
    assert message.status == MessageStatus.AWAITING_APPROVAL
    assert message in messaging.approval_queue(world.officer)
    with pytest.raises(PermissionDenied):
        services.propose_relay(report, world.member, text, "en")


def test_the_officer_turns_a_members_reply_into_a_report(world, now_sends, client):
    alert = now_sends(
        messaging.submit,
        world.officer,
        messaging.Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglaries", "body": "Watch out.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )
    recipient = Recipient.objects.get(message=alert, person=world.member)
    reply = messaging.reply(recipient, "I saw a man climb the fence at number 12")
    with pytest.raises(PermissionDenied):
        services.report_from_reply(reply, world.coordinator)
    log_in(client, world.officer)
    answer = client.post(reverse("reports:from_reply", args=[reply.pk]))
    report = Report.objects.get()
    assert answer.status_code == 302
    assert (report.reporter, report.source, report.status) == (
        world.member,
        "reply",
        "acknowledged",
    )
    assert report.description == "I saw a man climb the fence at number 12"
    assert services.report_from_reply(reply, world.officer) == report


# --- Who sees what -----------------------------------------------------------------------


def test_the_coordinator_sees_the_report_without_who_made_it(world, now_sends, client):
    report = file(world, now_sends, vehicle_plate="1-ABC-234")
    log_in(client, world.coordinator)
    answer = client.get(report.get_absolute_url())
    assert answer.status_code == 200
    assert world.member.full_name.encode() not in answer.content
    assert world.member.email.encode() not in answer.content
    assert b"1-ABC-234" not in answer.content
    assert b"reporter-hidden" in answer.content
    # Where it happened is often the reporter's home.
    assert answer.context["area_map"]["points"] == []
    assert answer.context["place"] is None
    assert b"geo:" not in answer.content


def test_the_plan_can_let_the_coordinator_see_who_reported(world, now_sends, client):
    agree_plan(world, reporter_contact_shared=True)
    report = file(world, now_sends)
    log_in(client, world.coordinator)
    answer = client.get(report.get_absolute_url())
    assert world.member.email.encode() in answer.content


def test_the_officer_sees_who_reported(world, now_sends, client):
    report = file(world, now_sends)
    log_in(client, world.officer)
    answer = client.get(report.get_absolute_url())
    assert world.member.email.encode() in answer.content
    assert b"triage" in answer.content


@pytest.mark.parametrize("who", ["steering", "outsider", "their_member", "municipal"])
def test_other_people_cannot_open_a_report(world, now_sends, client, who):
    report = file(world, now_sends)
    log_in(client, getattr(world, who))
    assert client.get(report.get_absolute_url()).status_code == 404


def test_the_member_sees_their_reports_status_and_feedback(world, now_sends, client):
    report = file(world, now_sends)
    services.change_status(report, world.officer, "in_progress")
    now_sends(services.send_feedback, report, world.officer, "We sent a patrol at 22:30.")
    log_in(client, world.member)
    listing = client.get(reverse("reports:mine"))
    assert report in listing.context["reports"]
    page = client.get(report.get_absolute_url())
    assert b"We sent a patrol at 22:30." in page.content
    assert b"In progress" in page.content
    assert b"triage" not in page.content


def test_a_member_sees_only_their_own_reports(world, now_sends):
    file(world, now_sends)
    assert not services.own_reports(world.steering).exists()


# --- Categories ------------------------------------------------------------------------------


def test_zone_staff_rename_and_retire_categories(world, client):
    categories = list(services.categories_for(world.zone))
    log_in(client, world.zone_staff)
    url = reverse("reports:zone_categories", args=[world.zone.pk])
    data = {"form-TOTAL_FORMS": len(categories) + 1, "form-INITIAL_FORMS": len(categories)}
    for i, c in enumerate(categories):
        data[f"form-{i}-id"] = c.pk
        data[f"form-{i}-name_nl"] = c.names["nl"]
        data[f"form-{i}-name_fr"] = c.names["fr"]
        data[f"form-{i}-position"] = i
        data[f"form-{i}-is_active"] = "on" if c.code != "vandalism" else ""
    n = len(categories)
    data[f"form-{n}-name_nl"] = "Drugsoverlast"
    data[f"form-{n}-name_fr"] = "Nuisances liées à la drogue"
    data[f"form-{n}-is_active"] = "on"
    assert client.post(url, data).status_code == 302
    offered = services.categories_for(world.zone).filter(is_active=True)
    assert "vandalism" not in {c.code for c in offered}
    assert "Drugsoverlast" in {c.names["nl"] for c in offered}


def test_staff_of_another_zone_cannot_edit_categories(world, client):
    log_in(client, world.zone_staff)
    answer = client.get(reverse("reports:zone_categories", args=[world.other_zone.pk]))
    assert answer.status_code == 404


# --- Found in review ---------------------------------------------------------------------


def form_data(world, **overrides) -> dict:
    data = {
        "network": world.network.pk,
        "category": category(world).pk,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "longitude": INSIDE[0],
        "latitude": INSIDE[1],
        "description": "Two men checking car doors",
    }
    data.update(overrides)
    return data


def test_more_than_three_photos_are_refused_before_they_are_read(world, client):
    log_in(client, world.member)
    photos = []
    for i in range(4):
        photo = io.BytesIO(jpeg_with_gps())
        photo.name = f"p{i}.jpg"
        photos.append(photo)
    answer = client.post(reverse("reports:new"), form_data(world, photos=photos))
    assert answer.status_code == 400
    assert b"at most 3 photos" in answer.content
    assert b"choose your photos again" in answer.content
    assert not Report.objects.exists()


def test_a_far_place_is_explained_next_to_the_map(world, client):
    log_in(client, world.member)
    answer = client.post(
        reverse("reports:new"), form_data(world, longitude="3.70", latitude="51.05", description="")
    )
    assert answer.status_code == 400
    assert answer.context["location_errors"]
    # Every problem at once: the empty description too.
    assert answer.context["form"].errors["description"]


def test_damaged_hidden_values_do_not_block_the_form(world, client):
    log_in(client, world.member)
    answer = client.post(
        reverse("reports:new"),
        form_data(world, message="99999999999999999999999", client_token="junk"),
    )
    assert answer.status_code == 302
    report = Report.objects.get()
    assert report.source_message is None and report.client_token is None


def test_members_cannot_answer_a_report_notification(world, now_sends, client):
    file(world, now_sends)
    item = Recipient.objects.get(message__kind="report", person=world.officer)
    with pytest.raises(ValidationError):
        messaging.reply(item, "I'll go and look")
    answer = log_in(client, world.officer).post(
        reverse("messaging:inbox_item", args=[item.pk]), {"body": "I'll go and look"}
    )
    assert answer.status_code == 200
    assert not item.message.replies.exists()


def test_withdrawing_the_coordinators_view_of_the_reporter_applies_to_older_reports(
    world, now_sends, client
):
    agree_plan(world, reporter_contact_shared=True)
    report = file(world, now_sends)
    agree_plan(world, reporter_contact_shared=False)
    answer = log_in(client, world.coordinator).get(report.get_absolute_url())
    assert world.member.email.encode() not in answer.content


def test_a_zone_template_alone_never_shows_the_reporter_to_the_coordinator(world, now_sends):
    content = plans.plan_content(plans.effective_plan(world.network))
    for rule in content["rules"]:
        if rule["kind"] == "report":
            rule["reporter_contact_shared"] = True
    plans.save_zone_template(world.zone, world.zone_staff, content)
    report = file(world, now_sends)
    assert report.filed_rule.reporter_contact_shared is True
    assert not services.access(world.coordinator, report).contact


def test_feedback_without_sms_text_sends_a_short_sms_with_the_link(world, now_sends):
    report = file(world, now_sends)
    message = now_sends(services.send_feedback, report, world.officer, "Long answer. " * 200)
    sms = message.texts.get().sms_text
    assert report.get_absolute_url() in sms
    assert len(sms) < 160


def test_feedback_sms_longer_than_the_plan_allows_is_refused(world, now_sends):
    report = file(world, now_sends)
    with pytest.raises(ValidationError) as caught:
        services.send_feedback(report, world.officer, "Thanks", sms_text="x" * 600)
    assert "sms_text" in caught.value.message_dict


def test_only_answers_to_alerts_notices_and_relays_become_reports(world, now_sends):
    report = file(world, now_sends)
    feedback = now_sends(services.send_feedback, report, world.officer, "Thanks")
    answer = messaging.reply(Recipient.objects.get(message=feedback), "You're welcome")
    with pytest.raises(ValidationError):
        services.report_from_reply(answer, world.officer)
    assert Report.objects.count() == 1


@pytest.mark.parametrize("form_class", [MessageFromReportForm, RelayForm])
def test_a_message_made_of_a_report_refuses_a_body_over_the_limit(form_class):
    body = "A grey van was seen. " * (MESSAGE_BODY_MAX // 21 + 1)
    form = form_class({"kind": "notice", "language": "en", "title": "Van", "body": body})
    assert not form.is_valid()
    assert f"at most {MESSAGE_BODY_MAX} characters" in form.errors["body"][0]


# --- The place ----------------------------------------------------------------------------

KERKSTRAAT_12 = (3.26392, 50.82392)  # StreetFactory's Kerkstraat (8500), number 12 of 100


def kerkstraat(world, **overrides):
    return StreetFactory(municipality=world.municipality, **overrides)


def test_an_address_typed_wins_over_the_pin(world, client):
    kerkstraat(world)
    log_in(client, world.member)
    answer = client.post(reverse("reports:new"), form_data(world, address="Kerkstraat 12"))
    assert answer.status_code == 302
    report = Report.objects.get()
    assert (round(report.longitude, 5), round(report.latitude, 5)) == KERKSTRAAT_12


def test_an_address_is_found_with_a_postcode_of_the_bins_municipality(world, client):
    kerkstraat(world, name="Marktplein", postcode="8501")
    log_in(client, world.member)  # lives in 8500
    answer = client.post(reverse("reports:new"), form_data(world, address="marktplein 12"))
    assert answer.status_code == 302
    assert round(Report.objects.get().longitude, 5) == KERKSTRAAT_12[0]


def test_an_unknown_address_is_explained_next_to_its_field_and_nothing_is_saved(world, client):
    kerkstraat(world)
    log_in(client, world.member)
    answer = client.post(
        reverse("reports:new"), form_data(world, address="Nergensstraat 3", vehicle_make="Ford")
    )
    assert answer.status_code == 400
    assert not Report.objects.exists()
    form = answer.context["form"]
    assert "We cannot find this address in Ourtown" in form.errors["address"][0]
    assert b'value="Nergensstraat 3"' in answer.content
    assert b'value="Ford"' in answer.content


def test_an_address_far_outside_the_bin_is_refused_as_a_far_pin_is(world, client):
    StreetFactory(
        municipality=world.municipality,
        postcode="8500",
        name="Verre Weg",
        start_lon=3.70,
        start_lat=51.05,
        end_lon=3.71,
        end_lat=51.06,
    )
    log_in(client, world.member)
    answer = client.post(reverse("reports:new"), form_data(world, address="Verre Weg 5"))
    assert answer.status_code == 400
    assert answer.context["location_errors"]
    assert not Report.objects.exists()


def test_the_report_form_puts_the_pin_on_the_members_home(world, client):
    answer = log_in(client, world.member).get(reverse("reports:new"))
    assert answer.context["pin"] == "home"
    assert b'data-mode="pick"' in answer.content
    assert b"data-map-locate" in answer.content
    assert answer.context["area_map"]["areas"]["features"][0]["properties"]["this"] is True


def test_the_officer_reads_the_nearest_address_and_a_geo_link(world, now_sends, client):
    kerkstraat(world)
    report = file(world, now_sends, longitude=KERKSTRAAT_12[0], latitude=KERKSTRAAT_12[1])
    answer = log_in(client, world.officer).get(report.get_absolute_url())
    assert b"Near Kerkstraat 12, 8500" in answer.content
    lat, lon = f"{report.latitude:.6f}", f"{report.longitude:.6f}"
    assert f'href="geo:{lat},{lon}?q={lat},{lon}"'.encode() in answer.content
    assert answer.context["area_map"]["points"][0]["lon"] == report.longitude


def test_the_queue_numbers_the_rows_as_the_map_numbers_its_markers(world, now_sends, client):
    first = file(world, now_sends, longitude=3.265, latitude=50.825)
    second = file(world, now_sends, longitude=3.27, latitude=50.83)
    answer = log_in(client, world.officer).get(reverse("reports:queue"))
    rows = {r.pk: r.number for r in answer.context["reports"]}
    points = {(p["lon"], p["lat"], p["number"]) for p in answer.context["area_map"]["points"]}
    assert sorted(rows.values()) == [1, 2]
    assert points == {(r.longitude, r.latitude, str(rows[r.pk])) for r in (first, second)}
    assert b'<span class="list-number">1</span>' in answer.content


def test_reports_made_at_one_place_share_one_marker_with_both_numbers(world, now_sends, client):
    for _ in range(2):
        file(world, now_sends, longitude=3.265, latitude=50.825)
    answer = log_in(client, world.officer).get(reverse("reports:queue"))
    assert [p["number"] for p in answer.context["area_map"]["points"]] == ["1, 2"]


def test_the_coordinators_queue_shows_no_places(world, now_sends, client):
    file(world, now_sends)
    answer = log_in(client, world.coordinator).get(reverse("reports:queue"))
    assert answer.context["area_map"]["points"] == []
    assert b"geo:" not in answer.content
