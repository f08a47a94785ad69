"""Survey objects for the URL walk (buurtnet/tests/test_authorization.py) and the forms
for the malformed-input test. A site's survey goes to its own BIN; its title carries the
site's marker word."""

from django.urls import reverse

from buurtnet.surveys import services

from .helpers import ALL, survey_input


def survey_objects(zone, network, *, author, marker: str) -> dict:
    """A sent survey (with its round) and a draft, both to `network`, by `author`."""
    texts = {"en": {"title": f"Safety {marker}", "intro": f"Intro {marker}"}}
    sent = services.create_survey(author, zone, survey_input([network], texts=texts), ALL)
    round_ = services.send(sent, author)
    draft = services.create_survey(author, zone, survey_input([network], texts=texts), ALL)
    return {
        "survey": draft,
        "survey_question": draft.questions.first(),
        "survey_round": round_,
    }


def answer_url(world) -> str:
    """A fresh round to world.network, so each example opens its page for the first time."""
    survey = services.create_survey(
        world.zone_staff, world.zone, survey_input([world.network]), ALL
    )
    return reverse("surveys:answer", args=[services.send(survey, world.zone_staff).pk])


def builder_url(world) -> str:
    survey = services.create_survey(
        world.zone_staff, world.zone, survey_input([world.network]), ALL
    )
    return reverse("surveys:survey", args=[survey.pk])
