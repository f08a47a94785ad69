"""Sending through the messaging pipeline, once and every year."""

from datetime import date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from buurtnet.messaging.models import Message, Recipient
from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.surveys import services
from buurtnet.surveys.models import Round

from .helpers import LIKERT, make_survey, sent

pytestmark = pytest.mark.django_db


def reached(round_) -> set[int]:
    return set(
        Recipient.objects.filter(message__in=Message.objects.filter(kind="notice")).values_list(
            "person_id", flat=True
        )
    )


def test_sending_reaches_exactly_the_members_of_the_target_bins(world, now_sends):
    round_ = now_sends(
        services.send, make_survey(world.zone_staff, world.zone, [world.network]), world.zone_staff
    )
    # The officer supervises, the other BIN was not chosen.
    assert reached(round_) == {world.member.pk, world.steering.pk, world.coordinator.pk}


def test_a_whole_zone_survey_reaches_every_bin_of_the_zone_and_no_other(world):
    survey = make_survey(world.zone_staff, world.zone, [], scope="zone")
    FarMember = PersonFactory()
    MembershipFactory(network=world.far_network, person=FarMember)
    services.send(survey, world.zone_staff)
    expected = {
        world.member.pk,
        world.steering.pk,
        world.coordinator.pk,
        world.their_member.pk,
        world.their_coordinator.pk,
    }
    assert reached(None) == expected


def test_the_notice_is_in_each_members_language_with_the_link(world):
    french = PersonFactory(language="fr")
    MembershipFactory(network=world.network, person=french, role=Role.MEMBER)
    texts = {
        "en": {"title": "How safe?", "intro": ""},
        "fr": {"title": "En sécurité ?", "intro": ""},
    }
    round_ = sent(world.zone_staff, world.zone, [world.network], texts=texts)
    recipient = Recipient.objects.get(person=french)
    assert recipient.language == "fr"
    text = recipient.message.texts.get(language="fr")
    assert f"/surveys/rounds/{round_.pk}/answer/" in text.body
    assert "En sécurité ?" in text.title


def test_a_survey_is_sent_once(world):
    survey = make_survey(world.zone_staff, world.zone, [world.network])
    services.send(survey, world.zone_staff)
    with pytest.raises(Exception, match="already sent"):
        services.send(survey, world.zone_staff)
    assert Round.objects.count() == 1


def yearly(world, starts_on: date, ends_on: date):
    survey = make_survey(
        world.zone_staff,
        world.zone,
        [world.network],
        [LIKERT],
        recurrence="yearly",
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return survey


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=9)))


def test_a_yearly_survey_gets_one_round_each_year_and_is_sent_once(world):
    today = timezone.localdate()
    survey = yearly(world, today, today.replace(year=today.year + 3))
    services.send(survey, world.zone_staff)
    assert survey.rounds.count() == 1
    next_year = services.moment_in(survey, today.year + 1)
    assert services.send_due(at(next_year - timedelta(days=1))) == 0
    assert services.send_due(at(next_year)) == 1
    assert services.send_due(at(next_year)) == 0  # a second tick sends nothing
    assert services.send_due(at(next_year + timedelta(days=3))) == 0
    assert sorted(survey.rounds.values_list("year", flat=True)) == [today.year, today.year + 1]
    assert Message.objects.filter(kind="notice").count() == 2


def test_no_yearly_round_after_the_period(world):
    today = timezone.localdate()
    survey = yearly(world, today, today + timedelta(days=30))
    services.send(survey, world.zone_staff)
    assert services.send_due(at(services.moment_in(survey, today.year + 1))) == 0


def test_a_first_sending_in_the_future_waits_for_its_day(world):
    today = timezone.localdate()
    survey = make_survey(
        world.zone_staff, world.zone, [world.network], [LIKERT], starts_on=today + timedelta(7)
    )
    assert services.send(survey, world.zone_staff) is None
    assert services.send_due(at(today + timedelta(6))) == 0
    assert services.send_due(at(today + timedelta(7))) == 1
    assert services.send_due(at(today + timedelta(8))) == 0


def test_the_year_claim_is_unique_in_the_database(world):
    today = timezone.localdate()
    survey = yearly(world, today, today.replace(year=today.year + 2))
    round_ = services.send(survey, world.zone_staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(survey=survey, year=round_.year, opened_on=today, closes_on=today)
