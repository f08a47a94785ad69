"""Data subject rights: export, erasure, consents per purpose."""

import json

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from buurtnet.audit.models import AuditEvent
from buurtnet.delivery.models import Delivery, DeliveryState, Notice, PushSubscription, Reason
from buurtnet.delivery.services import notify_person, send_code
from buurtnet.messaging.models import (
    ForwardStage,
    Message,
    MessageNetwork,
    MessageStatus,
    MessageText,
    Recipient,
    Reply,
)
from buurtnet.networks.models import Membership, MembershipStatus
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.models import Person, PhoneVerification
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.privacy import services
from buurtnet.privacy.models import Consent, ConsentKind
from buurtnet.reports import services as reports
from buurtnet.reports.models import Report
from buurtnet.reports.tests.test_reports import report_input

ERIN = "Erin Erasable"


def file_report(world, person, django_capture_on_commit_callbacks, **overrides) -> Report:
    with django_capture_on_commit_callbacks(execute=True):
        return reports.file_report(person, report_input(world, **overrides))


def received(world, person, *, title="Burglars in Kerkstraat", deliveries=(("sms", "queued"),)):
    """A message from the officer to the person, with deliveries in the given states."""
    message = Message.objects.create(
        zone=world.zone,
        sender=world.officer,
        sender_role="officer",
        kind="alert",
        status=MessageStatus.SENT,
        language="en",
        sent_at=timezone.now(),
    )
    MessageText.objects.create(message=message, language="en", title=title, body="Doors forced.")
    link = MessageNetwork.objects.create(
        message=message, network=world.network, rule={}, stage=ForwardStage.MEMBERS
    )
    recipient = Recipient.objects.create(message=message, person=person, link=link, language="en")
    for channel, state in deliveries:
        Delivery.objects.create(message=message, recipient=recipient, channel=channel, state=state)
    return message


@pytest.fixture
def erin(world):
    person = PersonFactory(full_name=ERIN, at=(3.265, 50.825), channels=["email", "sms", "inapp"])
    MembershipFactory(network=world.network, person=person)
    return person


# --- Export ------------------------------------------------------------------------------


def test_the_html_page_shows_the_persons_own_data(
    world, erin, client, django_capture_on_commit_callbacks
):
    file_report(world, erin, django_capture_on_commit_callbacks, description="A red van, twice.")
    received(world, erin, title="Burglars in Kerkstraat")
    response = log_in(client, erin).get(reverse("privacy:my_data"))
    content = response.content.decode()
    assert response.status_code == 200
    for own in (erin.email, ERIN, "A red van, twice.", "Burglars in Kerkstraat", "BIN Ours"):
        assert own in content


def test_the_html_page_holds_nobody_elses_data(
    world, erin, client, django_capture_on_commit_callbacks
):
    file_report(world, erin, django_capture_on_commit_callbacks)
    received(world, erin)
    content = log_in(client, erin).get(reverse("privacy:my_data")).content.decode()
    for other in (world.officer, world.coordinator, world.their_member):
        assert other.full_name not in content
        assert other.email not in content
        assert other.phone not in content


def test_the_json_download_is_an_attachment_with_the_same_data(
    world, erin, client, django_capture_on_commit_callbacks
):
    report = file_report(world, erin, django_capture_on_commit_callbacks)
    received(world, erin)
    PushSubscription.objects.create(
        person=erin, endpoint="https://push.example.org/abc/secret-token", p256dh="k", auth="a"
    )
    response = log_in(client, erin).get(reverse("privacy:my_data_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["profile"]["email"] == erin.email
    assert [r["id"] for r in data["reports"]] == [report.pk]
    assert data["messages_received"][0]["title"] == "Burglars in Kerkstraat"
    assert data["deliveries"][0]["channel"] == "sms"
    assert data["push_subscriptions"] == [
        {
            "endpoint_host": "push.example.org",
            "user_agent": "",
            "created_at": data["push_subscriptions"][0]["created_at"],
        }
    ]
    assert data["memberships"][0]["network"] == "BIN Ours"


def test_the_json_holds_nobody_elses_data(world, erin, client, django_capture_on_commit_callbacks):
    file_report(world, erin, django_capture_on_commit_callbacks)
    received(world, erin)
    body = log_in(client, erin).get(reverse("privacy:my_data_json")).content.decode()
    for other in (world.officer, world.coordinator, world.their_member):
        assert other.full_name not in body
        assert other.email not in body
        assert other.phone not in body


def test_no_privacy_url_takes_a_persons_id():
    resolver = get_resolver("buurtnet.privacy.urls")
    for pattern in resolver.url_patterns:
        assert isinstance(pattern, URLPattern)
        assert set(pattern.pattern.converters) <= {"kind"}


def test_staff_asking_for_someone_elses_export_get_their_own(world, erin, client):
    response = log_in(client, world.admin).get(
        reverse("privacy:my_data_json"), {"person": erin.pk, "id": erin.pk}
    )
    data = json.loads(response.content)
    assert data["profile"]["email"] == world.admin.email
    assert erin.email not in response.content.decode()


def test_the_export_page_links_to_the_correction_pages(world, erin, client):
    content = log_in(client, erin).get(reverse("privacy:my_data")).content.decode()
    assert reverse("people:profile") in content
    assert reverse("people:preferences") in content


# --- Erasure -----------------------------------------------------------------------------


def erase(client, person):
    return log_in(client, person).post(reverse("privacy:erase"), {"email": person.email.upper()})


def test_erasure_deletes_the_person_and_logs_out(world, erin, client):
    response = erase(client, erin)
    assert response.status_code == 302
    assert not Person.objects.filter(pk=erin.pk).exists()
    assert client.get(reverse("privacy:my_data")).status_code == 302  # logged out


def test_erasure_deletes_what_belongs_to_the_person(world, erin, client):
    received(world, erin)
    Consent.objects.create(person=erin, kind=ConsentKind.SMS, version="1")
    PhoneVerification.objects.create(
        person=erin, phone=erin.phone, code_hash="x", expires_at=timezone.now()
    )
    erase(client, erin)
    assert not Membership.objects.filter(person_id=erin.pk).exists()
    assert not Recipient.objects.filter(person_id=erin.pk).exists()
    assert not Delivery.objects.exists()
    assert not Consent.objects.filter(person_id=erin.pk).exists()
    assert not PhoneVerification.objects.filter(person_id=erin.pk).exists()


def test_a_wrong_confirmation_erases_nothing(world, erin, client):
    response = log_in(client, erin).post(reverse("privacy:erase"), {"email": "someone@else.be"})
    assert response.status_code == 200
    assert "This is not the e-mail address of your account." in response.content.decode()
    assert Person.objects.filter(pk=erin.pk, full_name=ERIN).exists()


def test_reports_stay_without_the_reporter(world, erin, client, django_capture_on_commit_callbacks):
    report = file_report(world, erin, django_capture_on_commit_callbacks, description="Grey van.")
    officer = log_in(Client(), world.officer)
    url = reverse("reports:detail", args=[report.pk])
    assert ERIN in officer.get(url).content.decode()
    erase(client, erin)
    report.refresh_from_db()
    assert report.reporter_id is None
    assert report.description == "Grey van."
    page = officer.get(url)
    assert page.status_code == 200
    assert ERIN not in page.content.decode()


def test_audit_entries_stay_without_the_actor(world, erin, client):
    AuditEvent.objects.create(
        actor=erin, actor_label="member", action="view_report", zone=world.zone
    )
    staff = log_in(Client(), world.zone_staff)
    assert ERIN in staff.get(reverse("audit:search")).content.decode()
    erase(client, erin)
    event = AuditEvent.objects.get(action="view_report")
    assert event.actor_id is None
    assert event.actor_label == "member"
    page = staff.get(reverse("audit:search"))
    assert page.status_code == 200
    assert ERIN not in page.content.decode()


def test_the_erased_person_leaves_the_member_list_and_its_search(world, erin, client):
    coordinator = log_in(Client(), world.coordinator)
    members = reverse("networks:members", args=[world.network.pk])
    assert ERIN in coordinator.get(members, {"q": "Erin"}).content.decode()
    erase(client, erin)
    assert ERIN not in coordinator.get(members).content.decode()
    assert ERIN not in coordinator.get(members, {"q": "Erin"}).content.decode()


def test_the_erased_person_leaves_the_messages_reach_report(world, erin, client):
    message = received(world, erin, deliveries=(("sms", "failed"),))
    officer = log_in(Client(), world.officer)
    url = reverse("messaging:detail", args=[message.pk])
    assert ERIN in officer.get(url).content.decode()
    erase(client, erin)
    page = officer.get(url)
    assert page.status_code == 200
    assert ERIN not in page.content.decode()


def test_an_erased_applicant_leaves_the_coordinators_applications(world, client):
    applicant = PersonFactory(full_name=ERIN, at=(3.265, 50.825))
    MembershipFactory(network=world.network, person=applicant, status=MembershipStatus.APPLIED)
    coordinator = log_in(Client(), world.coordinator)
    url = reverse("networks:applications", args=[world.network.pk])
    assert ERIN in coordinator.get(url).content.decode()
    erase(client, applicant)
    page = coordinator.get(url)
    assert page.status_code == 200
    assert ERIN not in page.content.decode()


def test_the_only_coordinator_of_an_active_bin_is_refused(world, client):
    coordinator = world.coordinator
    response = erase(client, coordinator)
    assert response.status_code == 200
    assert "Ask for a handover" in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.is_active and coordinator.full_name == "Our coordinator"
    assert Membership.objects.filter(person=coordinator, status=MembershipStatus.APPROVED).exists()


def test_a_coordinator_with_a_second_coordinator_can_erase(world, client):
    MembershipFactory(network=world.network, person=PersonFactory(), role="coordinator")
    erase(client, world.coordinator)
    assert not Person.objects.filter(pk=world.coordinator.pk).exists()


def test_an_officer_who_sent_messages_is_anonymised_not_deleted(world, erin, client):
    message = received(world, erin)
    officer = world.officer
    erase(client, officer)
    officer.refresh_from_db()
    assert officer.full_name == "Erased person"
    assert officer.email == f"erased-{officer.pk}@invalid"
    assert (officer.phone, officer.street, officer.latitude) == ("", "", None)
    assert not officer.is_active and not officer.has_usable_password()
    assert not Membership.objects.filter(person=officer).exists()
    assert Message.objects.get(pk=message.pk).sender_id == officer.pk


# --- Consents ----------------------------------------------------------------------------


def test_withdrawing_sms_consent_cancels_queued_sms_and_removes_the_channel(world, erin, client):
    Consent.objects.create(person=erin, kind=ConsentKind.SMS, version="1")
    received(world, erin, deliveries=(("sms", "queued"), ("email", "queued")))
    received(world, erin, title="Second", deliveries=(("sms", "retry"),))
    received(world, erin, title="Third", deliveries=(("sms", "sent"),))
    response = log_in(client, erin).post(reverse("privacy:withdraw", args=["sms"]))
    assert response.status_code == 302
    erin.refresh_from_db()
    assert "sms" not in erin.channels
    states = dict(
        Delivery.objects.filter(channel="sms").values_list("state", "reason").order_by("pk")
    )
    cancelled = Delivery.objects.filter(state=DeliveryState.CANCELLED)
    assert sorted(cancelled.values_list("channel", flat=True)) == ["sms", "sms"]
    assert set(cancelled.values_list("reason", flat=True)) == {Reason.CHANNEL_WITHDRAWN}
    assert "sent" in states
    assert Delivery.objects.get(channel="email").state == "queued"


def test_the_withdrawal_is_recorded(world, erin, client):
    consent = Consent.objects.create(person=erin, kind=ConsentKind.SMS, version="1")
    log_in(client, erin).post(reverse("privacy:withdraw", args=["sms"]))
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_consent_can_be_given_again(world, erin, client):
    services.withdraw_consent(erin, "sms")
    log_in(client, erin).post(
        reverse("privacy:give", args=["sms"]), {"next": reverse("people:preferences")}
    )
    erin.refresh_from_db()
    assert "sms" in erin.channels
    assert Consent.objects.filter(person=erin, kind="sms", withdrawn_at__isnull=True).count() == 1


def test_sms_consent_does_not_turn_sms_on_for_a_confirmed_landline(world, erin):
    erin.phone, erin.channels = "+3292345678", ["email", "inapp"]
    erin.save()

    assert services.give_consent(erin, "sms") is False

    erin.refresh_from_db()
    assert erin.channels == ["email", "inapp"]
    assert Consent.objects.filter(person=erin, kind="sms", withdrawn_at__isnull=True).exists()


def test_sms_consent_turns_sms_on_for_a_belgian_mobile(world, erin):
    erin.phone, erin.channels = "+32471234567", ["email", "inapp"]
    erin.save()

    assert services.give_consent(erin, "sms") is True

    erin.refresh_from_db()
    assert erin.channels == ["email", "inapp", "sms"]


def test_voice_consent_turns_calls_on_for_a_confirmed_landline(world, erin):
    erin.phone, erin.channels = "+3292345678", ["email", "inapp"]
    erin.save()

    assert services.give_consent(erin, "voice") is True

    erin.refresh_from_db()
    assert "voice" in erin.channels


def test_an_unknown_purpose_changes_nothing(world, erin, client):
    log_in(client, erin).post(reverse("privacy:withdraw", args=["privacy_notice"]))
    erin.refresh_from_db()
    assert erin.channels == ["email", "sms", "inapp"]
    assert not Consent.objects.filter(person=erin).exists()


def test_the_preferences_page_offers_the_consents(world, erin, client):
    content = log_in(client, erin).get(reverse("people:preferences")).content.decode()
    assert reverse("privacy:give", args=["sms"]) in content
    assert reverse("privacy:my_data") in content


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("my_data", []),
        ("my_data_json", []),
        ("erase", []),
        ("withdraw", ["sms"]),
        ("give", ["sms"]),
    ],
)
def test_anonymous_is_sent_to_log_in(db, client, name, args):
    url = reverse(f"privacy:{name}", args=args)
    response = client.post(url) if name in ("withdraw", "give") else client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_withdrawing_without_csrf_token_is_refused(world, erin):
    client = log_in(Client(enforce_csrf_checks=True), erin)
    assert client.post(reverse("privacy:withdraw", args=["sms"])).status_code == 403
    erin.refresh_from_db()
    assert "sms" in erin.channels


def test_erasing_without_csrf_token_is_refused(world, erin):
    client = log_in(Client(enforce_csrf_checks=True), erin)
    response = client.post(reverse("privacy:erase"), {"email": erin.email})
    assert response.status_code == 403
    assert Person.objects.filter(pk=erin.pk).exists()


def test_replies_of_the_erased_person_are_deleted(world, erin, client):
    message = received(world, erin)
    Reply.objects.create(message=message, author=erin, channel="inapp", body="I saw it too.")
    erase(client, erin)
    assert not Reply.objects.filter(body="I saw it too.").exists()


# --- Found in review ---------------------------------------------------------------------


def test_erasure_forgets_notices_and_admin_history(world):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    person = world.member
    notify_person(person, "networks/email/application_approved", {"network": world.network})
    send_code(None, channel="email", to=person.email, subject="Confirm", text="Dear you")
    send_code(None, channel="email", to="someone@else.be", subject="Confirm", text="Dear someone")
    LogEntry.objects.create(
        user=world.admin,
        content_type=ContentType.objects.get_for_model(type(person)),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message="Changed phone.",
    )
    services.erase(person)
    assert list(Notice.objects.values_list("email", flat=True)) == ["someone@else.be"]
    assert Delivery.objects.filter(notice__isnull=False).count() == 1
    assert not LogEntry.objects.filter(object_repr__icontains=person.full_name).exists()


def test_the_export_lists_the_persons_notices_without_their_text(world, erin):
    notify_person(
        erin, "networks/email/application_approved", {"network": world.network}, kind="decision"
    )
    send_code(erin, channel="sms", to=erin.phone, text="Your code is 123456")
    notify_person(world.member, "networks/email/application_approved", {"network": world.network})
    data = services.export(erin)
    assert [(n["kind"], n["subject"]) for n in data["notices"]] == [
        ("decision", "Welcome to BIN Ours"),
        ("code", ""),
    ]
    assert [d["channel"] for d in data["notices"][0]["deliveries"]] == ["email", "sms"]
    assert "123456" not in json.dumps(data, default=str)


def test_withdrawing_sms_consent_cancels_a_queued_notice_text_but_not_a_code(world, erin):
    Consent.objects.create(person=erin, kind=ConsentKind.SMS, version="1")
    notice = notify_person(erin, "networks/email/application_approved", {"network": world.network})
    code = send_code(erin, channel="sms", to=erin.phone, text="Your code is 123456")
    services.withdraw_consent(erin, "sms")
    assert notice.deliveries.get(channel="sms").state == DeliveryState.CANCELLED
    assert notice.deliveries.get(channel="email").state == DeliveryState.QUEUED
    assert code.deliveries.get().state == DeliveryState.QUEUED


def test_the_only_coordinator_of_a_founding_bin_must_hand_over_too(world):
    world.network.status = "founding"
    world.network.save()
    assert services.erasure_blockers(world.coordinator) == [world.network]
