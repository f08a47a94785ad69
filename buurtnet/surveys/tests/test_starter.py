"""The ready "safety feeling" survey."""

import pytest
from django.core.management import CommandError, call_command

from buurtnet.surveys import services
from buurtnet.surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_the_starter_survey_installs_as_a_draft_in_three_languages(world):
    call_command("starter_survey", zone=world.zone.code)
    survey = Survey.objects.get()
    assert survey.status == "draft" and survey.zone == world.zone
    assert survey.author == world.zone_staff
    assert 8 <= survey.questions.count() <= 10
    for question in survey.questions.prefetch_related("options"):
        assert set(question.texts) == {"nl", "fr", "en"}
        for option in question.options.all():
            assert set(option.texts) == {"nl", "fr", "en"}
    assert {"nl", "fr", "en"} <= set(survey.texts)


def test_the_starter_survey_can_be_sent_as_it_is(world):
    call_command("starter_survey", zone=world.zone.code)
    round_ = services.send(Survey.objects.get(), world.zone_staff)
    assert round_.networks.count() == 2  # the zone's two BINs


def test_an_unknown_zone_is_refused():
    with pytest.raises(CommandError, match="No police zone"):
        call_command("starter_survey", zone="0000")
