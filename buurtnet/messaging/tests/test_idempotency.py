"""A second submit of the same compose form sends nothing more (issue 24, finding 6): a
double click, a retry after an error, a second tab, 9 ms or 0.3 s apart.

The concurrent test needs a real database server to show the race; run this file on
PostgreSQL with DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name>."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buurtnet.common.limits import RateLimited
from buurtnet.delivery.models import Delivery, OutboxMessage
from buurtnet.messaging import services
from buurtnet.messaging.models import Message, MessageStatus
from buurtnet.networks.tests.test_views import log_in

from .test_rules import draft

TOKEN = re.compile(r'name="client_token" value="([^"]+)"')


def alert_form(world, **overrides) -> dict:
    data = {
        "kind": "alert",
        "language": "en",
        "target_type": "networks",
        "networks": [world.network.pk],
        "title_en": "Burglars",
        "body_en": "Doors forced in Kerkstraat.",
        "sms_text_en": "Burglars in Kerkstraat",
        "action": "send",
        "zone": world.zone.pk,
    }
    data.update(overrides)
    return data


def token_of(page) -> str:
    [token] = TOKEN.findall(page.content.decode())
    return token


@pytest.fixture
def officer(world, client):
    for person in (world.member, world.coordinator):
        person.channels = ["email", "sms", "inapp"]
        person.save()
    return log_in(client, world.officer)


def post(client, data, capture):
    with capture(execute=True):
        return client.post(reverse("messaging:compose"), data)


def test_the_compose_form_carries_a_new_token_each_time_it_is_shown(officer):
    first = token_of(officer.get(reverse("messaging:compose")))
    second = token_of(officer.get(reverse("messaging:compose")))
    assert first != second


def test_the_preview_keeps_the_token_of_the_form(world, officer):
    token = token_of(officer.get(reverse("messaging:compose")))
    page = officer.post(
        reverse("messaging:compose"),
        alert_form(world, action="preview", client_token=token),
    )
    assert page.status_code == 200
    assert page.context["preview"] is not None
    assert token_of(page) == token


def test_a_second_submit_of_the_same_form_sends_nothing_more(
    world, officer, django_capture_on_commit_callbacks
):
    data = alert_form(world, client_token=token_of(officer.get(reverse("messaging:compose"))))
    first = post(officer, data, django_capture_on_commit_callbacks)
    message = Message.objects.get()
    deliveries, mails = Delivery.objects.count(), OutboxMessage.objects.count()
    assert deliveries > 0 and mails > 0
    second = post(officer, data, django_capture_on_commit_callbacks)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("messaging:detail", args=[message.pk])
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == deliveries
    assert OutboxMessage.objects.count() == mails


def test_the_second_submit_lands_on_the_first_message_with_a_calm_note(
    world, officer, django_capture_on_commit_callbacks
):
    data = alert_form(world, client_token=token_of(officer.get(reverse("messaging:compose"))))
    post(officer, data, django_capture_on_commit_callbacks)
    page = officer.post(reverse("messaging:compose"), data, follow=True)
    assert page.status_code == 200
    assert page.context["message"] == Message.objects.get()
    assert "This message was already sent." in page.text


def test_two_forms_shown_separately_send_two_messages(world, officer):
    for _n in range(2):
        token = token_of(officer.get(reverse("messaging:compose")))
        officer.post(reverse("messaging:compose"), alert_form(world, client_token=token))
    assert Message.objects.count() == 2


def test_a_form_sent_again_with_other_content_is_held_back_with_a_new_token(world, officer):
    token = token_of(officer.get(reverse("messaging:compose")))
    officer.post(reverse("messaging:compose"), alert_form(world, client_token=token))
    changed = alert_form(world, client_token=token, body_en="Doors forced in Molenstraat.")
    page = officer.post(reverse("messaging:compose"), changed)
    assert page.status_code == 200
    assert "This form was already sent, with other content" in page.text
    assert "Doors forced in Molenstraat." in page.text
    assert Message.objects.count() == 1
    again = officer.post(reverse("messaging:compose"), {**changed, "client_token": token_of(page)})
    assert again.status_code == 302
    assert Message.objects.count() == 2


def test_a_form_without_a_valid_token_is_still_sent_and_gets_one(world, officer):
    page = officer.post(
        reverse("messaging:compose"), alert_form(world, action="preview", client_token="junk")
    )
    assert page.status_code == 200
    assert token_of(page) != "junk"
    assert officer.post(reverse("messaging:compose"), alert_form(world)).status_code == 302
    assert Message.objects.count() == 1


def test_a_repeated_relay_is_not_counted_by_the_relay_limit(world, now_sends, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "relay_network": [(1, 3600)]}
    relay = draft(world.network, kind="relay", idempotency_key="6f1c2b1e-relay")
    first = now_sends(services.submit, world.coordinator, relay)
    again, created = now_sends(services.submit_once, world.coordinator, relay)
    assert (again, created) == (first, False)
    with pytest.raises(RateLimited):
        services.submit(world.coordinator, draft(world.network, kind="relay"))
    assert Message.objects.count() == 1


def test_a_repeat_of_a_message_awaiting_approval_returns_it(world, now_sends):
    relay = draft(world.network, kind="relay", idempotency_key="a-relay")
    first = now_sends(services.submit, world.coordinator, relay)
    assert first.status == MessageStatus.AWAITING_APPROVAL
    assert now_sends(services.submit_once, world.coordinator, relay) == (first, False)


def test_the_same_key_of_another_sender_is_another_message(world, now_sends):
    alert = draft(world.network, kind="alert", idempotency_key="shared-key")
    first = now_sends(services.submit, world.officer, alert)
    second, created = now_sends(services.submit_once, world.zone_staff, alert)
    assert created and second != first


def test_a_key_older_than_its_retention_names_a_new_message(world, now_sends):
    alert = draft(world.network, kind="alert", idempotency_key="old-key")
    first = now_sends(services.submit, world.officer, alert)
    Message.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - services.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
    )
    second, created = now_sends(services.submit_once, world.officer, alert)
    assert created and second != first
    first.refresh_from_db()
    assert first.idempotency_key == ""


def test_the_database_holds_one_message_per_sender_and_key(world, now_sends):
    first = now_sends(
        services.submit, world.officer, draft(world.network, idempotency_key="one-key")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            zone=first.zone,
            sender=world.officer,
            sender_role=first.sender_role,
            kind=first.kind,
            status=MessageStatus.SENT,
            idempotency_key="one-key",
        )


def test_a_submit_that_the_lock_did_not_stop_returns_the_first_message(
    world, now_sends, monkeypatch
):
    """What the unique constraint catches when two requests miss each other's row (the
    moment between their look-ups): the second one's INSERT fails, its transaction rolls
    back, and the first message is returned."""
    alert = draft(world.network, kind="alert", idempotency_key="raced-key")
    first = now_sends(services.submit, world.officer, alert)
    deliveries = Delivery.objects.count()
    real = services._earlier_submission
    missed = iter([None, None])
    monkeypatch.setattr(
        services,
        "_earlier_submission",
        lambda *args: next(missed, None) or real(*args),
    )
    assert now_sends(services.submit_once, world.officer, alert) == (first, False)
    assert Message.objects.count() == 1
    assert Delivery.objects.count() == deliveries


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_the_same_moment_make_one_message(world, monkeypatch):
    """Two POSTs of one form from two threads, released together: one message, one set of
    deliveries, one e-mail and one SMS per member. Sending is slowed down so that the
    second request arrives while the first still holds its transaction open."""
    for person in (world.member, world.coordinator):
        person.channels = ["email", "sms", "inapp"]
        person.save()
    real_send = services.send

    def slow_send(message):
        threading.Event().wait(0.3)
        return real_send(message)

    monkeypatch.setattr(services, "send", slow_send)
    clients = [log_in(Client(), world.officer) for _n in range(2)]
    token = token_of(clients[0].get(reverse("messaging:compose")))
    data = alert_form(world, client_token=token)
    start = threading.Barrier(2)
    answers, errors = [], []

    def submit(client) -> None:
        try:
            start.wait()
            answers.append(client.post(reverse("messaging:compose"), data))
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    message = Message.objects.get()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {reverse("messaging:detail", args=[message.pk])}
    per_member = Delivery.objects.filter(message=message, recipient__person=world.member)
    assert sorted(per_member.values_list("channel", flat=True)) == ["email", "inapp", "sms"]
    assert OutboxMessage.objects.filter(recipient=world.member.email).count() == 1
    assert OutboxMessage.objects.filter(recipient=world.member.phone).count() == 1
