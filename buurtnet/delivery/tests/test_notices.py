"""Notices (what one person is told outside a message) go through the outbox: with the mail
server and the SMS gateway down, then back, each one is retried and delivered exactly once.

The SMTP sink and the SMS simulator both keep a message sent twice (the sink every copy, the
simulator counts a repeated idempotency key), so a duplicate would show."""

import time
from collections import Counter
from datetime import time as clock

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.absences import services as absences
from buurtnet.absences.tests.test_absences import away
from buurtnet.delivery import notices, outbox, worker
from buurtnet.delivery.channels import FIXED_TRANSPORTS, Outcome, TransportError
from buurtnet.delivery.channels.email import message_id, site_domain
from buurtnet.delivery.models import PENDING_STATES, Delivery, DeliveryState, Notice, Reason
from buurtnet.delivery.services import notify_person, send_code
from buurtnet.delivery.simulator import SimulatorServer
from buurtnet.governance import services as governance
from buurtnet.messaging import services as messaging
from buurtnet.messaging.tests.test_rules import draft
from buurtnet.networks import services as networks
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people import services as people
from buurtnet.people.tests.factories import PersonFactory

from .smtp_sink import LoopbackController, RecordingHandler
from .throwaway import free_port

DECIDED = "networks/email/application_approved"


def notice_deliveries():
    return Delivery.objects.filter(notice__isnull=False)


def pending():
    return notice_deliveries().filter(state__in=PENDING_STATES)


@pytest.fixture
def providers_down(settings):
    """The mail server and the SMS gateway configured on ports nothing listens on (yet);
    pauses and back-off shortened from minutes to fractions of a second."""
    ports = {"smtp": free_port(), "sms": free_port()}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", ports["smtp"]
    settings.EMAIL_USE_TLS = False
    settings.SMS_TRANSPORT = "simulator"
    settings.SMS_SIMULATOR_URL = f"http://127.0.0.1:{ports['sms']}"
    settings.PROVIDER_PAUSE_SECONDS = 0.05
    settings.PROVIDER_PAUSE_MAX_SECONDS = 0.05
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.05
    return ports


def test_every_kind_of_notice_survives_an_outage_and_arrives_once(world, now_sends, providers_down):
    # An approval request: a coordinator's relay waits for the officer.
    now_sends(messaging.submit, world.coordinator, draft(world.network, kind="relay"))
    # A verification code by SMS.
    verifier = PersonFactory(phone="", phone_verified_at=None)
    now_sends(people.start_phone_verification, verifier, "0470 99 88 77")
    # An application decision, to an applicant who chose e-mail and SMS.
    applicant = PersonFactory(at=(3.265, 50.825), channels=["email", "sms", "inapp"])
    membership = networks.apply(applicant, world.network, consented=True)
    now_sends(networks.decide, membership, world.coordinator, approve=True)
    # An absence-watch notice: the resident is told the watch ended.
    away(world, start=-5, end=-1)
    assert now_sends(absences.tell_residents) == 1
    # A governance notice to every member: the BIN is dissolved.
    now_sends(governance.dissolve, world.network, world.officer, "Merged with the next BIN.")

    kinds = Counter(Notice.objects.values_list("kind", flat=True))
    assert kinds == {"approval": 1, "code": 1, "decision": 1, "absence": 1, "governance": 5}
    # Tried and kept: nothing failed, nothing was lost, everything waits for a retry.
    assert set(notice_deliveries().values_list("state", flat=True)) == {
        DeliveryState.AWAITING_RETRY
    }

    handler = RecordingHandler()
    smtp = LoopbackController(handler, hostname="127.0.0.1", port=providers_down["smtp"])
    smtp.start()
    try:
        with SimulatorServer(port=providers_down["sms"]) as gateway:
            deadline = time.monotonic() + 60
            while pending().exists() and time.monotonic() < deadline:
                time.sleep(0.1)
                outbox.recover()  # what the tick does
            texts = gateway.messages
            stats = gateway.stats
    finally:
        smtp.stop()

    assert not pending().exists()
    assert set(notice_deliveries().values_list("state", flat=True)) == {DeliveryState.SENT}
    mails = notice_deliveries().filter(channel="email")
    assert mails.count() == 8
    assert sorted(to for _id, to in handler.received) == sorted(
        [
            world.officer.email,  # the relay to approve
            applicant.email,  # the decision
            world.member.email,  # the end of the watch
            *(p.email for p in (world.member, world.steering, world.coordinator)),
            *(p.email for p in (world.officer, applicant)),  # the dissolution
        ]
    )
    assert handler.duplicates == []
    message_ids = Counter(message_id for message_id, _to in handler.received)
    for delivery in mails:
        assert message_ids[message_id(delivery.idempotency_key, site_domain())] == 1
    assert Counter(text["to"] for text in texts) == {verifier.phone: 1, applicant.phone: 2}
    assert stats["duplicates"] == 0


# --- Kinds: queues, quiet hours, fallback, idempotency ----------------------------------


def test_a_notice_made_twice_with_the_same_key_is_one_notice(world, now_sends):
    for _ in range(2):
        now_sends(
            notify_person,
            world.member,
            DECIDED,
            {"network": world.network},
            kind=notices.DECISION,
            key="k1",
        )
    notice = Notice.objects.get()
    assert (notice.person, notice.key, notice.kind) == (world.member, "k1", "decision")
    assert notice.deliveries.count() == 1
    assert notice.deliveries.get().state == DeliveryState.SENT


def test_a_notice_is_rendered_in_the_persons_language(world, now_sends):
    world.member.language = "nl"
    world.member.save()
    notice = now_sends(notify_person, world.member, DECIDED, {"network": world.network})
    assert notice.language == "nl"
    assert notice.subject.startswith("Welkom")


def test_news_waits_for_the_end_of_quiet_hours_but_an_approval_request_does_not(world, now_sends):
    member = world.member
    member.quiet_hours_start, member.quiet_hours_end = clock(0, 0), clock(23, 59)
    member.save()
    news = now_sends(notify_person, member, DECIDED, {"network": world.network})
    request = now_sends(
        notify_person,
        member,
        "messaging/email/approval_needed",
        {"message": None},
        kind=notices.APPROVAL,
    )
    held = news.deliveries.get()
    assert (held.state, held.reason) == (DeliveryState.AWAITING_RETRY, Reason.QUIET_HOURS)
    assert held.next_attempt_at > timezone.now()
    assert request.deliveries.get().state == DeliveryState.SENT


def test_a_code_is_never_held_for_quiet_hours(world, now_sends):
    member = world.member
    member.quiet_hours_start, member.quiet_hours_end = clock(0, 0), clock(23, 59)
    member.save()
    code = now_sends(send_code, member, channel="sms", to=member.phone, text="Code 123456")
    assert code.deliveries.get().state == DeliveryState.SENT


class RefusingEmail:
    """An e-mail transport whose server refuses every recipient for good."""

    channel = "email"

    def open(self) -> None:
        pass

    def send(self, envelope) -> Outcome:
        raise TransportError("550 No such user", permanent=True, reason=Reason.BOUNCED)

    def close(self) -> None:
        pass


@pytest.fixture
def mail_refused(monkeypatch):
    path = f"{__name__}.RefusingEmail"
    monkeypatch.setitem(FIXED_TRANSPORTS, "email", path)


def test_a_notice_whose_mail_bounces_falls_back_to_the_persons_next_channel(
    world, now_sends, mail_refused
):
    member = world.member
    member.channels = ["email", "inapp"]
    member.save()
    notice = notify_person(member, DECIDED, {"network": world.network})  # not sent yet
    member.channels = ["email", "sms", "inapp"]  # chosen since: a second way to reach them
    member.save()
    mail = notice.deliveries.get(channel="email")
    now_sends(worker.deliver_ids, [mail.pk], "email")
    mail.refresh_from_db()
    text = notice.deliveries.get(channel="sms")
    assert (mail.state, mail.reason) == (DeliveryState.FAILED, Reason.BOUNCED)
    assert (text.state, text.fallback_from_id) == (DeliveryState.SENT, mail.pk)


def test_an_emailed_code_does_not_fall_back(world, now_sends, mail_refused):
    member = world.member
    member.channels = ["email", "voice", "inapp"]
    member.save()
    code = now_sends(
        send_code, member, channel="email", to=member.email, subject="Code", text="123456"
    )
    assert list(code.deliveries.values_list("channel", "state")) == [
        ("email", DeliveryState.FAILED)
    ]


def test_codes_and_links_go_to_the_alerts_queue_and_other_notices_to_notices():
    urgent = {notices.CODE, notices.LINK}
    assert {notices.queue_of(name) for name in urgent} == {"alerts"}
    assert {notices.queue_of(name) for name in notices.KINDS if name not in urgent} == {"notices"}
    assert set(notices.urgent_kinds()) == urgent


def test_a_notice_to_a_text_withdrawn_since_is_not_texted(world, now_sends):
    member = world.member
    member.channels = ["email", "sms", "inapp"]
    member.save()
    notice = notify_person(member, DECIDED, {"network": world.network})  # not sent yet
    member.channels = ["email", "inapp"]
    member.save()
    text = notice.deliveries.get(channel="sms")
    worker.deliver_ids([text.pk], "sms")
    text.refresh_from_db()
    assert (text.state, text.reason) == (DeliveryState.SKIPPED, Reason.CHANNEL_WITHDRAWN)


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_shows_notices_read_only_and_never_the_text_of_a_code(world, client):
    code = send_code(world.member, channel="sms", to=world.member.phone, text="Code 482913")
    news = notify_person(world.member, DECIDED, {"network": world.network})
    staff = log_in(client, world.admin)
    for notice in (code, news):
        page = staff.get(reverse("admin:delivery_notice_change", args=[notice.pk]))
        assert page.status_code == 200
        assert "482913" not in page.content.decode()
    assert "Welcome to BIN Ours" in page.content.decode()
    assert "482913" not in staff.get(reverse("admin:delivery_notice_changelist")).content.decode()
    assert staff.get(reverse("admin:delivery_notice_add")).status_code == 403


def test_an_administrator_can_still_delete_a_person_who_has_notices(world, client):
    notify_person(world.member, DECIDED, {"network": world.network})
    staff = log_in(client, world.admin)
    url = reverse("admin:people_person_delete", args=[world.member.pk])
    assert staff.get(url).status_code == 200
    staff.post(url, {"post": "yes"})
    assert not Notice.objects.filter(person_id=world.member.pk).exists()


def test_staff_who_are_not_administrators_do_not_see_notices(world, client):
    from django.contrib.auth.models import Permission

    notify_person(world.member, DECIDED, {"network": world.network})
    world.officer.is_staff = True
    world.officer.save(update_fields=["is_staff"])
    world.officer.user_permissions.add(Permission.objects.get(codename="view_notice"))
    staff = log_in(client, world.officer)
    assert staff.get(reverse("admin:delivery_notice_changelist")).status_code == 403
