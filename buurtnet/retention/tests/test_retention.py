"""Retention: each kind of data goes exactly when the zone's period is over, not before,
and only in that zone; the zone's page is for that zone's staff only."""

from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from buurtnet.api import services as api_services
from buurtnet.api.models import Scope
from buurtnet.delivery.models import Delivery, Notice, OutboxMessage
from buurtnet.delivery.services import notify_person, send_code
from buurtnet.messaging import services as messaging
from buurtnet.messaging.models import Message, Recipient, Reply
from buurtnet.networks.models import Membership, MembershipChange, MembershipStatus
from buurtnet.networks.tests.factories import MembershipFactory, ZoneStaffFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.reports import services as reports
from buurtnet.reports.models import Report, ReportPhoto
from buurtnet.reports.tests.test_reports import jpeg_with_gps, report_input
from buurtnet.retention import services
from buurtnet.retention.models import RetentionPolicy

DAY = timedelta(days=1)


def purge_at(now_sends, now) -> dict[str, int]:
    return now_sends(services.purge, now)


def left_member(network, days_ago: int = 0) -> Membership:
    when = timezone.now() - days_ago * DAY
    membership = MembershipFactory(
        network=network, status=MembershipStatus.LEFT, status_changed_at=when
    )
    MembershipChange.objects.create(
        membership=membership,
        from_status=MembershipStatus.APPROVED,
        to_status=MembershipStatus.LEFT,
        changed_at=when,
    )
    return membership


def closed_report(world, now_sends) -> Report:
    report = now_sends(
        reports.file_report,
        world.member,
        report_input(world, vehicle_plate="1-ABC-234", photos=[jpeg_with_gps()]),
    )
    now_sends(
        reports.change_status,
        report,
        world.officer,
        "closed",
        note="Called Our member back",
        outcome="no_action",
    )
    return Report.objects.get(pk=report.pk)


def alert(world, now_sends) -> Message:
    return now_sends(
        messaging.submit,
        world.officer,
        messaging.Draft(
            kind="alert",
            language="en",
            texts={"en": {"title": "Burglaries", "body": "Watch out.", "sms_text": "Watch"}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )


# --- Defaults and validation ------------------------------------------------------------------


def test_a_zone_gets_the_minimising_defaults_on_first_use(world):
    policy = services.policy_for(world.zone)
    assert (
        policy.left_members,
        policy.closed_reports,
        policy.delivery_records,
        policy.outbox_records,
    ) == (90, 365, 180, 30)
    assert services.policy_for(world.zone.pk) == policy


@pytest.mark.parametrize("value", [0, 6, 3651, 30000])
def test_a_period_out_of_range_is_refused_and_nothing_changes(world, value):
    with pytest.raises(ValidationError) as caught:
        services.save_policy(world.zone, world.zone_staff, {"closed_reports": value})
    assert "closed_reports" in caught.value.message_dict
    assert services.policy_for(world.zone).closed_reports == 365


def test_staff_of_another_zone_cannot_save_the_policy(world):
    stranger = ZoneStaffFactory(zone=world.other_zone).person
    with pytest.raises(PermissionDenied):
        services.save_policy(world.zone, stranger, {"left_members": 30})
    assert services.policy_for(world.zone).left_members == 90


# --- Left members -----------------------------------------------------------------------------


def test_a_left_member_stays_until_the_period_is_over(world, now_sends):
    membership = left_member(world.network)
    counts = purge_at(now_sends, timezone.now() + 89 * DAY)
    assert counts["left_members"] == 0
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_left_member_and_their_history_go_after_the_period(world, now_sends):
    membership = left_member(world.network)
    counts = purge_at(now_sends, timezone.now() + 91 * DAY)
    assert counts["left_members"] == 1
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not MembershipChange.objects.filter(membership_id=membership.pk).exists()


def test_current_members_are_never_purged(world, now_sends):
    before = Membership.objects.count()
    purge_at(now_sends, timezone.now() + 3000 * DAY)
    assert Membership.objects.count() == before


def test_another_zones_shorter_period_does_not_touch_this_zone(world, now_sends):
    services.save_policy(world.other_zone, PersonFactory(is_superuser=True), {"left_members": 7})
    ours = left_member(world.network, days_ago=30)
    far = left_member(world.far_network, days_ago=30)
    counts = purge_at(now_sends, timezone.now())
    assert counts["left_members"] == 1
    assert Membership.objects.filter(pk=ours.pk).exists()
    assert not Membership.objects.filter(pk=far.pk).exists()


# --- Closed reports ---------------------------------------------------------------------------


def test_a_closed_report_is_kept_whole_before_the_period_is_over(world, now_sends):
    report = closed_report(world, now_sends)
    counts = purge_at(now_sends, report.closed_at + 364 * DAY)
    report.refresh_from_db()
    assert counts["closed_reports"] == 0
    assert (report.reporter, report.vehicle_plate) == (world.member, "1-ABC-234")
    assert report.photos.count() == 1


def test_a_closed_report_is_anonymised_after_the_period(world, now_sends):
    report = closed_report(world, now_sends)
    photo = ReportPhoto.objects.get(report=report)
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)
    counts = purge_at(now_sends, report.closed_at + 366 * DAY)
    report.refresh_from_db()
    assert counts["closed_reports"] == 1
    assert (report.reporter, report.vehicle_plate, report.description) == (None, "", "")
    assert not ReportPhoto.objects.filter(report=report).exists()
    assert not storage.exists(name)
    assert not report.events.exclude(note="").exists()
    # What the figures need stays.
    assert (report.status, report.outcome, report.network) == ("closed", "no_action", world.network)
    assert report.category.code == "suspicious_vehicle"


def test_an_open_report_is_never_anonymised(world, now_sends):
    report = now_sends(reports.file_report, world.member, report_input(world))
    purge_at(now_sends, timezone.now() + 3000 * DAY)
    report.refresh_from_db()
    assert report.reporter == world.member


def test_a_second_purge_finds_nothing_left_to_do(world, now_sends):
    report = closed_report(world, now_sends)
    left_member(world.network)
    alert(world, now_sends)
    later = report.closed_at + 400 * DAY
    assert sum(purge_at(now_sends, later).values()) > 0
    assert purge_at(now_sends, later) == dict.fromkeys(services.KINDS, 0)


# --- Delivery records -------------------------------------------------------------------------


def test_delivery_records_stay_until_the_period_is_over(world, now_sends):
    message = alert(world, now_sends)
    deliveries = Delivery.objects.filter(message=message).count()
    counts = purge_at(now_sends, message.sent_at + 179 * DAY)
    assert (counts["deliveries"], counts["recipients"]) == (0, 0)
    assert Delivery.objects.filter(message=message).count() == deliveries > 0


def test_old_deliveries_and_recipients_go_while_the_message_stays(world, now_sends):
    message = alert(world, now_sends)
    deliveries = Delivery.objects.filter(message=message).count()
    recipients = Recipient.objects.filter(message=message).count()
    counts = purge_at(now_sends, message.sent_at + 181 * DAY)
    assert (counts["deliveries"], counts["recipients"]) == (deliveries, recipients)
    assert not Delivery.objects.filter(message=message).exists()
    assert not Recipient.objects.filter(message=message).exists()
    message.refresh_from_db()
    assert message.recipient_count == recipients > 0


def test_a_members_reply_survives_the_purge_of_its_recipient_row(world, now_sends):
    message = alert(world, now_sends)
    recipient = Recipient.objects.get(message=message, person=world.member)
    reply = messaging.reply(recipient, "Seen a ladder against number 4")
    purge_at(now_sends, message.sent_at + 181 * DAY)
    reply = Reply.objects.get(pk=reply.pk)
    assert (reply.recipient_id, reply.message_id) == (None, message.pk)


# --- Outbox -----------------------------------------------------------------------------------


def test_outbox_rows_go_after_the_period_and_not_before(world, now_sends):
    row = OutboxMessage.objects.create(channel="sms", recipient="+32470000000", body="code 1")
    assert purge_at(now_sends, row.created_at + 29 * DAY)["outbox_records"] == 0
    assert OutboxMessage.objects.filter(pk=row.pk).exists()
    assert purge_at(now_sends, row.created_at + 31 * DAY)["outbox_records"] == 1
    assert not OutboxMessage.objects.filter(pk=row.pk).exists()


# --- Notices ----------------------------------------------------------------------------------


def test_a_notice_goes_with_its_deliveries_after_the_setting_and_not_before(
    world, now_sends, settings
):
    settings.NOTICE_RETENTION_DAYS = 30
    notice = now_sends(
        notify_person,
        world.member,
        "networks/email/application_approved",
        {"network": world.network},
    )
    assert purge_at(now_sends, notice.created_at + 29 * DAY)["notices"] == 0
    assert purge_at(now_sends, notice.created_at + 31 * DAY)["notices"] == 1
    assert not Notice.objects.exists()
    assert not Delivery.objects.filter(notice_id=notice.pk).exists()


def test_a_code_goes_within_hours_while_other_notices_stay(world, now_sends, settings):
    settings.NOTICE_CODE_RETENTION_HOURS = 24
    code = now_sends(
        send_code, world.member, channel="sms", to=world.member.phone, text="Your code is 1"
    )
    notice = now_sends(
        notify_person,
        world.member,
        "networks/email/application_approved",
        {"network": world.network},
    )
    assert purge_at(now_sends, code.created_at + timedelta(hours=25))["notices"] == 1
    assert list(Notice.objects.all()) == [notice]


def test_an_installation_without_a_zone_still_forgets_log_in_codes(db, settings):
    from django.utils import timezone

    from buurtnet.networks.models import PoliceZone
    from buurtnet.people.tests.factories import PersonFactory
    from buurtnet.retention.services import purge_if_due

    assert not PoliceZone.objects.exists()
    settings.NOTICE_CODE_RETENTION_HOURS = 24
    first_admin = PersonFactory()
    send_code(first_admin, channel="email", to=first_admin.email, text="Your code is 1")
    assert purge_if_due(timezone.now() + timedelta(hours=25)) == 1
    assert not Notice.objects.exists()


# --- The tick step ----------------------------------------------------------------------------


def test_tick_purges_and_records_what_it_did(world, now_sends):
    membership = left_member(world.network, days_ago=100)
    now_sends(call_command, "tick")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    policy = RetentionPolicy.objects.get(zone=world.zone)
    assert policy.last_counts["left_members"] == 1
    assert policy.last_run_at is not None


def test_tick_does_not_purge_again_within_the_hour(world, now_sends):
    now_sends(services.purge_if_due)
    membership = left_member(world.network, days_ago=100)
    assert now_sends(services.purge_if_due) == 0
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- The zone's page --------------------------------------------------------------------------


def page(world):
    return reverse("retention:zone_policy", args=[world.zone.pk])


def test_zone_staff_see_the_periods_and_the_fixed_ones(world, client, settings):
    settings.AUDIT_RETENTION_DAYS = 730
    answer = log_in(client, world.zone_staff).get(page(world))
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Data retention in PZ Ours" in text
    assert "Entries are deleted after 730 days." in text
    assert reverse("absences:zone_settings", args=[world.zone.pk]) in text


def test_zone_staff_save_new_periods(world, client):
    answer = log_in(client, world.zone_staff).post(
        page(world),
        {
            "left_members": 30,
            "closed_reports": 180,
            "delivery_records": 60,
            "outbox_records": 7,
        },
    )
    assert answer.status_code == 302
    policy = services.policy_for(world.zone)
    assert (
        policy.left_members,
        policy.closed_reports,
        policy.delivery_records,
        policy.outbox_records,
    ) == (30, 180, 60, 7)


def test_a_bad_period_on_the_page_is_explained_and_nothing_changes(world, client):
    answer = log_in(client, world.zone_staff).post(
        page(world),
        {
            "left_members": 3,
            "closed_reports": 180,
            "delivery_records": 60,
            "outbox_records": 7,
        },
    )
    assert answer.status_code == 400
    assert b"Keep data at least 7 days" in answer.content
    assert services.policy_for(world.zone).closed_reports == 365


def test_staff_of_another_zone_get_404(world, client):
    stranger = ZoneStaffFactory(zone=world.other_zone).person
    assert log_in(client, stranger).get(page(world)).status_code == 404
    assert RetentionPolicy.objects.filter(zone=world.zone).count() == 0


@pytest.mark.parametrize("who", ["member", "coordinator", "officer", "municipal", "outsider"])
def test_people_who_are_not_zone_staff_get_404(world, client, who):
    client = log_in(client, getattr(world, who))
    assert client.get(page(world)).status_code == 404
    answer = client.post(page(world), {"left_members": 7})
    assert answer.status_code == 404
    assert services.policy_for(world.zone).left_members == 90


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    answer = client.get(page(world))
    assert answer.status_code == 302
    assert "login" in answer["Location"]


def test_the_page_and_its_errors_speak_dutch(world, client):
    log_in(client, world.zone_staff)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    answer = client.post(page(world), {**VALID, "delivery_records": 4000})
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "Bewaartermijnen in PZ Ours" in text
    assert "Bewaar gegevens hoogstens 3650 dagen" in text


VALID = {"left_members": 90, "closed_reports": 365, "delivery_records": 180, "outbox_records": 30}


@pytest.mark.parametrize(
    "junk", ["", "abc", "-1", "1e308", "\x00", "2" * 80, "<script>alert(1)</script>"]
)
def test_junk_in_any_field_is_refused_without_a_server_error(world, client, junk):
    log_in(client, world.zone_staff)
    for name in VALID:
        answer = client.post(page(world), {**VALID, name: junk})
        assert answer.status_code == 400, (name, junk)
    policy = services.policy_for(world.zone)
    assert [getattr(policy, name) for name in VALID] == list(VALID.values())


# --- Every copy of a closed report's text -----------------------------------------------------

DESCRIPTION = "Zilveren bestelwagen QX4711 stond urenlang voor nummer 12."
FEEDBACK = "Dank u mevrouw Claes-QX4711, Leielaan 12: de wagen is gecontroleerd."
THANKS = "Bedankt QX4711, ik woon op Leielaan 12 en was ongerust."
UNIQUE = (DESCRIPTION, FEEDBACK, THANKS)


def rows_holding(*needles: str) -> list[tuple[str, int, str]]:
    """Every row of every model whose stored value holds one of the needles: a copy of
    the text added to any table later is found too."""
    from django.apps import apps

    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() not in ("BinaryField",)
        ]
        for row in model._default_manager.values_list("pk", *fields):
            for name, value in zip(fields, row[1:], strict=True):
                if any(needle in str(value) for needle in needles):
                    found.append((model._meta.label, row[0], name))
    return found


def report_with_copies(world, now_sends) -> Report:
    """A report with its notification, feedback the reporter answered, then closed;
    the local outbox kept long enough to hold the e-mails too."""
    for zone in (world.zone, world.other_zone):
        services.save_policy(zone, world.admin, {"outbox_records": 3650})
    report = now_sends(
        reports.file_report, world.member, report_input(world, description=DESCRIPTION)
    )
    feedback = now_sends(reports.send_feedback, report, world.officer, FEEDBACK)
    inbox = Recipient.objects.get(message=feedback, person=world.member)
    now_sends(messaging.reply, inbox, THANKS)
    now_sends(reports.change_status, report, world.officer, "closed", outcome="no_action")
    return Report.objects.get(pk=report.pk)


def test_before_the_period_the_texts_are_where_the_tests_look(world, now_sends):
    report = report_with_copies(world, now_sends)
    purge_at(now_sends, report.closed_at + 364 * DAY)
    tables = {label for label, _pk, _name in rows_holding(*UNIQUE)}
    assert {"reports.Report", "messaging.MessageText", "messaging.Reply"} <= tables
    assert "delivery.OutboxMessage" in tables


def test_no_table_holds_a_closed_reports_text_after_the_period(world, now_sends):
    report = report_with_copies(world, now_sends)
    purge_at(now_sends, report.closed_at + 366 * DAY)
    assert rows_holding(*UNIQUE) == []


def test_no_message_is_left_in_the_reporters_name_after_the_period(world, now_sends):
    report = report_with_copies(world, now_sends)
    purge_at(now_sends, report.closed_at + 366 * DAY)
    assert not Message.objects.filter(sender=world.member).exists()
    assert not Recipient.objects.filter(person=world.member).exists()


def api_get(client, person, path: str) -> str:
    """GET /api/v1<path> with a token the person made after their second factor."""
    if api_services.must_use_second_factor(person) and not api_services.has_second_factor(person):
        TOTP.activate(person, pyotp.random_base32())
    _token, secret = api_services.create_token(
        person,
        name="retention test",
        scopes=list(Scope.values),
        expires_at=timezone.now() + DAY,
        second_factor=True,
    )
    answer = client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 200, answer.content
    return answer.content.decode()


def test_the_api_no_longer_shows_a_closed_reports_text(world, now_sends, client):
    report = report_with_copies(world, now_sends)
    before = api_get(client, world.officer, "/messages")
    assert DESCRIPTION in before and FEEDBACK in before
    purge_at(now_sends, report.closed_at + 366 * DAY)
    for person, path in (
        (world.officer, "/messages"),
        (world.officer, f"/reports/{report.pk}"),
        (world.member, "/reports/mine"),
    ):
        answer = api_get(client, person, path)
        assert not any(text in answer for text in UNIQUE), path


def test_the_feedback_message_still_counts_without_its_text(world, now_sends):
    report = report_with_copies(world, now_sends)
    feedback = Message.objects.get(kind="feedback")
    purge_at(now_sends, report.closed_at + 366 * DAY)
    feedback.refresh_from_db()
    assert feedback.recipient_count == 1
    assert feedback.main_text.body == "Removed after the retention period."


def test_the_reply_a_report_was_made_from_goes_after_the_period(world, now_sends):
    message = alert(world, now_sends)
    inbox = Recipient.objects.get(message=message, person=world.member)
    reply = messaging.reply(inbox, DESCRIPTION)
    report = now_sends(reports.report_from_reply, reply, world.officer)
    now_sends(reports.change_status, report, world.officer, "closed", outcome="no_action")
    report.refresh_from_db()
    purge_at(now_sends, report.closed_at + 366 * DAY)
    assert not Reply.objects.filter(pk=reply.pk).exists()
    assert rows_holding(DESCRIPTION) == []
