"""How many replies a member and how many relays a coordinator may send in a while
(issue 19, finding 4)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.api.tests.conftest import make_token
from buurtnet.common.limits import RateLimited
from buurtnet.delivery.models import OutboxMessage
from buurtnet.messaging import services
from buurtnet.messaging.models import Message, MessageNetwork, Recipient, Reply
from buurtnet.networks.tests.test_views import log_in

from .test_rules import draft


@pytest.fixture
def alerts(world, now_sends):
    """Two alerts of the officer that reached every member of BIN Ours."""
    return [
        now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
        for _n in range(2)
    ]


def own_copy(world, message) -> Recipient:
    return Recipient.objects.select_related("message").get(message=message, person=world.member)


def mails_to(person) -> int:
    return OutboxMessage.objects.filter(recipient=person.email).count()


def refused_reply(world, now_sends, message) -> RateLimited:
    replies, mails = Reply.objects.count(), mails_to(world.officer)
    with pytest.raises(RateLimited) as caught:
        now_sends(services.reply, own_copy(world, message), "One more thing")
    assert Reply.objects.count() == replies
    assert mails_to(world.officer) == mails
    return caught.value


# --- Replies ---------------------------------------------------------------------------------


def test_a_sixth_reply_to_one_message_within_the_hour_is_refused(world, now_sends, alerts):
    before = mails_to(world.officer)
    for n in range(5):
        now_sends(services.reply, own_copy(world, alerts[0]), f"Also seen, {n}")
    assert mails_to(world.officer) == before + 5
    error = refused_reply(world, now_sends, alerts[0])
    assert "You already answered this message 5 times in the last hour" in error.messages[0]
    assert "in 60 minutes" in error.messages[0]
    assert 3590 <= error.retry_after <= 3600


def test_replies_to_another_message_are_still_taken(world, now_sends, alerts):
    for n in range(5):
        now_sends(services.reply, own_copy(world, alerts[0]), f"Also seen, {n}")
    assert now_sends(services.reply, own_copy(world, alerts[1]), "And here too").pk


def test_a_member_replies_again_once_the_hour_has_passed(world, now_sends, alerts):
    for n in range(5):
        now_sends(services.reply, own_copy(world, alerts[0]), f"Also seen, {n}")
    Reply.objects.update(received_at=timezone.now() - timedelta(minutes=61))
    assert now_sends(services.reply, own_copy(world, alerts[0]), "Gone now").pk


def test_the_thirty_first_reply_within_the_hour_is_refused(world, now_sends, alerts, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply_message": []}
    for n in range(30):
        services.reply(own_copy(world, alerts[n % 2]), f"Reply {n}")
    error = refused_reply(world, now_sends, alerts[1])
    assert "You sent 30 replies in the last hour" in error.messages[0]


def test_a_refused_reply_keeps_what_was_typed(world, client, now_sends, alerts):
    for n in range(5):
        now_sends(services.reply, own_copy(world, alerts[0]), f"Also seen, {n}")
    answer = log_in(client, world.member).post(
        reverse("messaging:inbox_item", args=[own_copy(world, alerts[0]).pk]),
        {"body": "The van is back"},
    )
    assert answer.status_code == 200
    assert "You already answered this message 5 times" in answer.text
    assert "The van is back" in answer.text
    assert Reply.objects.count() == 5


def test_a_flood_of_sms_replies_is_dropped_without_an_error(world, now_sends, alerts):
    member = world.member
    member.channels = ["sms", "inapp"]
    member.save()
    alert = now_sends(services.submit, world.officer, draft(world.network, kind="alert"))
    answers = [services.reply_by_phone(member.phone, f"Seen it, {n}") for n in range(6)]
    assert answers == ["replied"] * 5 + ["limited"]
    assert alert.replies.count() == 5


# --- Relays ----------------------------------------------------------------------------------


def relay(world, now_sends, n: int):
    texts = {"en": {"title": f"Street party {n}", "body": "Road closed on Sunday."}}
    return now_sends(
        services.submit, world.coordinator, draft(world.network, kind="relay", texts=texts)
    )


def test_an_eleventh_relay_for_a_bin_within_the_hour_is_refused(world, now_sends):
    for n in range(10):
        relay(world, now_sends, n)
    messages, mails = Message.objects.count(), OutboxMessage.objects.count()
    with pytest.raises(RateLimited) as caught:
        relay(world, now_sends, 10)
    assert "You composed 10 relays for BIN Ours in the last hour" in caught.value.messages[0]
    assert Message.objects.count() == messages
    assert OutboxMessage.objects.count() == mails


def test_a_coordinator_relays_again_once_the_hour_has_passed(world, now_sends):
    for n in range(10):
        relay(world, now_sends, n)
    Message.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert relay(world, now_sends, 10).pk


def test_the_api_answers_429_for_a_relay_over_the_limit(world, client, now_sends, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "relay_network": [(1, 3600)]}
    relay(world, now_sends, 0)
    answer = client.post(
        "/api/v1/messages",
        {
            "kind": "relay",
            "language": "en",
            "texts": {"en": {"title": "Street party", "body": "Road closed on Sunday."}},
            "target": {"type": "networks", "networks": [world.network.pk]},
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {make_token(world.coordinator)}",
    )
    assert answer.status_code == 429, answer.content
    assert int(answer["Retry-After"]) > 3500
    assert MessageNetwork.objects.count() == 1
