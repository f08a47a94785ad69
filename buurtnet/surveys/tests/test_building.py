"""Building a survey: bad input is refused with a clear message and nothing is stored."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from buurtnet.networks.tests.test_views import log_in
from buurtnet.surveys import services
from buurtnet.surveys.models import Option, Question, Survey

from .helpers import LIKERT, SINGLE, make_survey, survey_input

pytestmark = pytest.mark.django_db


def refused(call, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return " ".join(caught.value.messages)


def test_a_survey_without_questions_is_refused(world):
    message = refused(make_survey, world.zone_staff, world.zone, [world.network], [])
    assert "at least one question" in message
    assert not Survey.objects.exists()


def test_a_choice_question_with_one_option_is_refused(world):
    one = services.QuestionInput("single", {"en": "Pick"}, [{"en": "Only"}])
    message = refused(make_survey, world.zone_staff, world.zone, [world.network], [one])
    assert "at least two options" in message
    assert not Survey.objects.exists() and not Option.objects.exists()


def test_a_question_without_text_in_the_main_language_is_refused(world):
    dutch_only = services.QuestionInput("likert", {"nl": "Ik voel me veilig."})
    message = refused(make_survey, world.zone_staff, world.zone, [world.network], [dutch_only])
    assert "main language" in message
    assert not Question.objects.exists()


def test_sending_to_a_bin_of_another_zone_is_refused(world):
    message = refused(make_survey, world.zone_staff, world.zone, [world.far_network], [LIKERT])
    assert "BINs of this zone" in message
    assert not Survey.objects.exists()


def test_a_municipal_partner_cannot_target_another_municipality(world):
    message = refused(make_survey, world.municipal, world.zone, [world.other_network], [LIKERT])
    assert "BINs of this zone" in message


def test_a_yearly_survey_needs_its_period(world):
    data = survey_input([world.network], recurrence="yearly")
    message = refused(services.create_survey, world.zone_staff, world.zone, data, [LIKERT])
    assert "date of its first sending" in message


def test_the_last_question_cannot_be_removed(world):
    survey = make_survey(world.zone_staff, world.zone, [world.network], [LIKERT])
    message = refused(services.remove_question, survey.questions.get(), world.zone_staff)
    assert "at least one question" in message
    assert survey.questions.count() == 1


def test_questions_can_be_added_moved_and_removed(world):
    survey = make_survey(world.zone_staff, world.zone, [world.network], [LIKERT])
    added = services.add_question(survey, world.zone_staff, SINGLE)
    services.move_question(added, world.zone_staff, -1)
    assert [q.kind for q in survey.questions.all()] == ["single", "likert"]
    services.remove_question(added, world.zone_staff)
    assert [q.kind for q in survey.questions.all()] == ["likert"]


def test_a_sent_survey_cannot_be_changed(world):
    survey = make_survey(world.zone_staff, world.zone, [world.network], [LIKERT])
    services.send(survey, world.zone_staff)
    message = refused(services.add_question, survey, world.zone_staff, SINGLE)
    assert "cannot be changed" in message


def test_the_new_survey_page_shows_the_error_and_stores_nothing(client, world):
    log_in(client, world.zone_staff)
    page = client.post(
        reverse("surveys:new", args=[world.zone.pk]),
        {
            "language": "en",
            "title_en": "Safety",
            "scope": "networks",
            "network_ids": [world.network.pk],
            "recurrence": "once",
            "open_days": "21",
            "q-kind": "single",
            "q-text_en": "Pick one",
            "q-options_en": "Only one",
        },
    )
    assert page.status_code == 400
    assert "at least two options" in page.content.decode()
    assert not Survey.objects.exists()


def test_the_builder_adds_a_question_with_options(client, world):
    survey = make_survey(world.zone_staff, world.zone, [world.network], [LIKERT])
    log_in(client, world.zone_staff)
    client.post(
        reverse("surveys:add_question", args=[survey.pk]),
        {"new-kind": "multiple", "new-text_en": "Which?", "new-options_en": "Locks\nLights"},
    )
    question = survey.questions.last()
    assert question.kind == "multiple"
    assert [o.texts["en"] for o in question.options.all()] == ["Locks", "Lights"]


def test_the_whole_zone_is_for_zone_staff_only(world):
    data = survey_input(scope="zone")
    with pytest.raises(ValidationError, match="whole zone"):
        services.create_survey(world.municipal, world.zone, data, [LIKERT])
