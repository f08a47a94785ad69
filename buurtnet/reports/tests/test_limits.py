"""How many reports a member (and, where the installation sets a ceiling, a BIN) may file
in a while (issue 19, finding 4)."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from buurtnet.api.tests.conftest import make_token
from buurtnet.common.limits import RateLimited
from buurtnet.delivery.models import OutboxMessage
from buurtnet.messaging.models import Message
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.networks.tests.test_views import log_in
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.reports import services
from buurtnet.reports.models import Report

from .test_reports import INSIDE, category, file


def filed_earlier(world, now_sends, count: int, ago: timedelta, person=None) -> None:
    """`count` reports of the person, filed `ago` (copies of one filed through the service)."""
    person = person or world.member
    report = file(world, now_sends, person=person)
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - ago)
    for _n in range(count - 1):
        report.pk, report.client_token = None, None
        report.created_at = timezone.now() - ago
        report.save()


def refused(world, now_sends, person=None) -> RateLimited:
    reports, mails = Report.objects.count(), OutboxMessage.objects.count()
    messages = Message.objects.count()
    with pytest.raises(RateLimited) as caught:
        file(world, now_sends, person=person)
    assert Report.objects.count() == reports
    assert Message.objects.count() == messages
    assert OutboxMessage.objects.count() == mails
    return caught.value


def test_a_sixth_report_within_ten_minutes_is_refused_with_when_to_try_again(world, now_sends):
    for _n in range(5):
        file(world, now_sends)
    error = refused(world, now_sends)
    assert "You sent 5 reports in the last 10 minutes" in error.messages[0]
    assert "in 10 minutes" in error.messages[0]
    assert "112" in error.messages[0] and "101" in error.messages[0]
    assert 590 <= error.retry_after <= 600


def test_a_member_reports_again_once_ten_minutes_have_passed(world, now_sends):
    filed_earlier(world, now_sends, 5, timedelta(minutes=11))
    assert file(world, now_sends).pk


def test_the_twenty_first_report_of_a_day_is_refused_until_the_oldest_is_a_day_old(
    world, now_sends
):
    filed_earlier(world, now_sends, 20, timedelta(hours=20))
    error = refused(world, now_sends)
    assert "You sent 20 reports in the last day" in error.messages[0]
    assert 4 * 3600 - 10 <= error.retry_after <= 4 * 3600
    assert " at " in error.messages[0]


def test_the_bins_ceiling_refuses_reports_from_many_accounts(world, now_sends, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "report_network": [(3, 3600)]}
    members = [PersonFactory(at=INSIDE) for _n in range(4)]
    for member in members:
        MembershipFactory(network=world.network, person=member)
    for member in members[:3]:
        file(world, now_sends, person=member)
    error = refused(world, now_sends, person=members[3])
    assert "The police of your BIN received 3 reports" in error.messages[0]
    assert "112" in error.messages[0]


def test_by_default_a_flood_from_other_accounts_does_not_silence_an_honest_member(world, now_sends):
    for _n in range(3):
        flooder = PersonFactory(at=INSIDE)
        MembershipFactory(network=world.network, person=flooder)
        filed_earlier(world, now_sends, 20, timedelta(minutes=30), person=flooder)
    assert file(world, now_sends).pk


def test_the_same_form_sent_again_is_not_refused(world, now_sends):
    token = uuid.uuid4()
    for _n in range(4):
        file(world, now_sends)
    first = file(world, now_sends, client_token=token)
    assert file(world, now_sends, client_token=token) == first


def test_a_refused_report_form_says_when_and_keeps_what_was_typed(world, client, now_sends):
    filed_earlier(world, now_sends, 5, timedelta(minutes=2))
    answer = log_in(client, world.member).post(
        reverse("reports:new"),
        {
            "network": world.network.pk,
            "category": category(world).pk,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "longitude": INSIDE[0],
            "latitude": INSIDE[1],
            "description": "Two men checking car doors",
        },
    )
    assert answer.status_code == 400
    assert "You can send another one in 8 minutes" in answer.text
    assert "Two men checking car doors" in answer.text
    assert Report.objects.count() == 5


def test_the_api_answers_429_with_retry_after(world, client, now_sends):
    filed_earlier(world, now_sends, 5, timedelta(minutes=4))
    answer = client.post(
        "/api/v1/reports",
        {
            "network_id": world.network.pk,
            "category_id": category(world).pk,
            "occurred_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
            "longitude": INSIDE[0],
            "latitude": INSIDE[1],
            "description": "A grey van drove slowly past every house, twice.",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {make_token(world.member)}",
    )
    assert answer.status_code == 429, answer.content
    assert 355 <= int(answer["Retry-After"]) <= 360
    assert answer.json()["type"] == "urn:buurtnet:problem:rate-limited"
    assert "in 6 minutes" in answer.json()["detail"]
    assert Report.objects.count() == 5


def test_a_relay_proposed_over_the_limit_comes_back_with_the_text(
    world, client, now_sends, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "relay_network": [(1, 3600)]}
    report = file(world, now_sends)
    texts = {"en": {"title": "Van", "body": "A grey van was seen.", "sms_text": ""}}
    now_sends(services.propose_relay, report, world.coordinator, texts, "en")
    messages = Message.objects.count()
    answer = log_in(client, world.coordinator).post(
        reverse("reports:relay", args=[report.pk]),
        {"language": "en", "title": "Van again", "body": "The grey van is back in Kerkstraat."},
    )
    assert answer.status_code == 400
    assert "You composed 1 relays for BIN Ours" in answer.text
    assert "The grey van is back in Kerkstraat." in answer.text
    assert Message.objects.count() == messages
