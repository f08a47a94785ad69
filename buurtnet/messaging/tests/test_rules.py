"""How the plan shapes sending: approval, schedule, route, quiet hours, fallback, replies."""

import re
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from buurtnet.delivery.models import Delivery
from buurtnet.messaging import services
from buurtnet.messaging.models import ForwardStage, MessageStatus, Recipient
from buurtnet.messaging.services import Draft
from buurtnet.networks.tests.test_views import log_in
from buurtnet.plans import services as plans
from buurtnet.plans.defaults import DEFAULT_PLAN


def draft(network, **overrides) -> Draft:
    values = {
        "kind": "notice",
        "language": "en",
        "texts": {
            "en": {"title": "Street party", "body": "Road closed on Sunday.", "sms_text": ""}
        },
        "target": {"type": "networks", "networks": [network.pk]},
    }
    values.update(overrides)
    return Draft(**values)


def test_a_coordinator_relay_waits_for_the_officer_and_goes_out_when_approved(world, now_sends):
    message = now_sends(services.submit, world.coordinator, draft(world.network, kind="relay"))
    assert message.status == MessageStatus.AWAITING_APPROVAL
    assert not Recipient.objects.filter(message=message).exists()
    assert list(services.approval_queue(world.officer)) == [message]
    assert list(services.approval_queue(world.member)) == []
    now_sends(services.decide, message, world.officer, True)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert Recipient.objects.filter(message=message).count() == 4


def test_refusing_a_relay_needs_a_reason(world):
    message = services.submit(world.coordinator, draft(world.network, kind="relay"))
    with pytest.raises(ValidationError):
        services.decide(message, world.officer, False, "")


def test_a_schedule_in_the_past_is_refused_and_nothing_is_stored(world):
    past = timezone.now() - timedelta(minutes=5)
    with pytest.raises(ValidationError) as exc:
        services.submit(world.officer, draft(world.network, scheduled_for=past))
    assert "scheduled_for" in exc.value.message_dict
    assert not Recipient.objects.exists()


def test_a_schedule_more_than_a_year_ahead_is_refused(world):
    far = timezone.now() + timedelta(days=400)
    with pytest.raises(ValidationError) as exc:
        services.submit(world.officer, draft(world.network, scheduled_for=far))
    assert "scheduled_for" in exc.value.message_dict


def test_an_attachment_too_large_for_a_mailbox_is_refused(world):
    big = SimpleUploadedFile("leaflet.pdf", b"%PDF-1.4 " + b"0" * 5_000_001)
    with pytest.raises(ValidationError) as exc:
        services.submit(world.officer, draft(world.network, attachment=big))
    assert "attachment" in exc.value.message_dict


def test_a_scheduled_message_goes_out_when_due_and_can_be_cancelled_before(world, now_sends):
    later = timezone.now() + timedelta(hours=1)
    kept = services.submit(world.officer, draft(world.network, scheduled_for=later))
    dropped = services.submit(world.officer, draft(world.network, scheduled_for=later))
    services.cancel(dropped, world.officer)
    assert now_sends(services.dispatch_due, later + timedelta(seconds=1)) == 1
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert (kept.status, dropped.status) == (MessageStatus.SENT, MessageStatus.CANCELLED)


def test_a_bin_of_another_zone_cannot_be_targeted(world):
    with pytest.raises(ValidationError) as exc:
        services.submit(world.officer, draft(world.far_network))
    assert "target" in exc.value.message_dict


def test_an_empty_body_and_a_too_long_sms_are_refused(world):
    texts = {"en": {"title": "Hi", "body": " ", "sms_text": "x" * 500}}
    with pytest.raises(ValidationError) as exc:
        services.submit(world.officer, draft(world.network, texts=texts))
    assert {"body_en", "sms_text_en"} <= set(exc.value.message_dict)


def test_an_area_circle_reaches_only_the_bins_it_touches(world):
    target = {"type": "area", "circle": {"lon": 3.265, "lat": 50.825, "radius_m": 300}}
    preview = services.preview_message(world.zone_staff, draft(world.network, target=target))
    assert [r.network for r in preview.routes] == [world.network]
    assert preview.people == 4


def test_police_messages_go_through_the_coordinator_when_the_plan_says_so(world, now_sends):
    plan = plans.write_draft(
        world.network, world.officer, {**DEFAULT_PLAN, "police_route": "via_coordinator"}
    )
    plans.approve(plan, world.officer)
    plans.approve(plan, world.coordinator)
    message = now_sends(services.submit, world.officer, draft(world.network))
    assert list(Recipient.objects.filter(message=message).values_list("person", flat=True)) == [
        world.coordinator.pk
    ]
    link = message.networks.get()
    assert link.stage == ForwardStage.COORDINATOR
    assert services.flag_overdue_forwards(timezone.now() + timedelta(hours=1)) == 1
    texts = {"en": {"title": "Street party", "body": "Road closed Sunday.", "sms_text": ""}}
    child = now_sends(services.forward, link, world.coordinator, texts)
    assert Recipient.objects.filter(message=child).count() == 4
    link.refresh_from_db()
    assert link.stage == ForwardStage.FORWARDED


def test_quiet_hours_hold_a_notice_but_not_an_alert(world, now_sends):
    member = world.member
    member.channels = ["email", "inapp"]
    member.quiet_hours_start, member.quiet_hours_end = time(0, 0), time(23, 59)
    member.save()
    notice = now_sends(services.submit, world.officer, draft(world.network))
    alert = now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
    held = Delivery.objects.get(message=notice, recipient__person=member, channel="email")
    sent = Delivery.objects.get(message=alert, recipient__person=member, channel="email")
    assert (held.state, held.reason) == ("retry", "quiet_hours")
    assert sent.state == "sent"


def test_an_unverified_phone_is_not_sent_to_and_the_reach_report_says_why(world, now_sends):
    member = world.member
    member.channels = ["sms", "inapp"]
    member.phone_verified_at = None
    member.save()
    message = now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
    delivery = Delivery.objects.get(message=message, recipient__person=member, channel="sms")
    assert (delivery.state, delivery.reason) == ("skipped", "phone_unverified")
    assert member in [r.person for r in services.unreached(message)]


def test_the_reach_report_names_an_internal_sending_error_without_its_exception_text(
    world, now_sends, client
):
    member = world.member
    member.channels = ["sms", "inapp"]
    member.save()
    message = now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
    Delivery.objects.filter(message=message, recipient__person=member, channel="sms").update(
        state="failed",
        reason="sending_error",
        error="AttributeError: 'NoneType' object has no attribute 'phone'",
    )
    page = log_in(client, world.officer).get(reverse("messaging:detail", args=[message.pk]))
    assert "Error in Buurtnet while sending" in page.text
    assert "AttributeError" not in page.text and "NoneType" not in page.text
    delivery = Delivery.objects.get(message=message, recipient__person=member, channel="sms")
    assert delivery.error.startswith("AttributeError")


def test_an_sms_ok_reply_acknowledges_and_other_text_becomes_a_thread(world, now_sends):
    member = world.member
    member.channels = ["sms", "inapp"]
    member.save()
    message = now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
    assert services.reply_by_phone(member.phone, "ok") == "acknowledged"
    assert services.reply_by_phone(member.phone, "I saw the van at 22:10") == "replied"
    assert message.replies.get().body == "I saw the van at 22:10"
    assert Recipient.objects.get(message=message, person=member).acknowledged_at is not None


def test_a_failed_sms_receipt_falls_back_to_the_members_next_channel(world, now_sends):
    from buurtnet.delivery.receipts import record_receipt

    member = world.member
    member.channels = ["sms", "voice", "inapp"]  # a notice goes by SMS, not by voice
    member.save()
    message = now_sends(services.submit, world.officer, draft(world.network))
    assert not Delivery.objects.filter(message=message, channel="voice").exists()
    sms = Delivery.objects.get(message=message, recipient__person=member, channel="sms")
    Delivery.objects.filter(pk=sms.pk).update(provider_ref="SM123")
    now_sends(record_receipt, "SM123", "undelivered", "30005 unknown subscriber")
    voice = Delivery.objects.get(message=message, recipient__person=member, channel="voice")
    assert voice.fallback_from_id == sms.pk
    assert voice.state == "sent"


def test_sending_costs_no_query_per_member(world, now_sends):
    """Fan-out and the workers are set-based: twenty more members, not one more query,
    but for the one "sent" record a worker writes right after each send (so that a killed
    worker sends at most its message in flight again: delivery/worker.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from buurtnet.networks.tests.factories import MembershipFactory
    from buurtnet.people.tests.factories import PersonFactory

    sent_record = re.compile(
        r"UPDATE delivery_delivery SET state = .*, sent_at = .* WHERE id = \d+ AND"
    )

    def queries_to_send() -> int:
        with CaptureQueriesContext(connection) as captured:
            now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
        # The local outbox sink stores each message it "sends": that is the sink, not us.
        return len(
            [
                q
                for q in captured
                if "delivery_outboxmessage" not in q["sql"] and not sent_record.match(q["sql"])
            ]
        )

    for person in (world.member, world.steering, world.coordinator, world.officer):
        person.channels = ["email", "sms", "inapp"]
        person.save()
    queries_to_send()  # warm-up: the sender's standing is cached after the first send
    few = queries_to_send()
    for _ in range(20):
        MembershipFactory(
            network=world.network, person=PersonFactory(channels=["email", "sms", "inapp"])
        )
    assert queries_to_send() == few
