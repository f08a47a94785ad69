"""Building surveys, rounds and answers for the tests."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from buurtnet.networks.models import Role
from buurtnet.networks.tests.factories import MembershipFactory
from buurtnet.people.tests.factories import PersonFactory
from buurtnet.surveys import services
from buurtnet.surveys.models import Round

LIKERT = services.QuestionInput(
    "likert", {"en": "I feel safe at home.", "nl": "Ik voel me veilig."}
)
SINGLE = services.QuestionInput(
    "single",
    {"en": "How often do you read the messages?"},
    [{"en": "Always"}, {"en": "Sometimes"}, {"en": "Never"}],
)
MULTIPLE = services.QuestionInput(
    "multiple", {"en": "What did you do?"}, [{"en": "Locks"}, {"en": "Lights"}]
)
TEXT = services.QuestionInput("text", {"en": "What would help?"})
ALL = [LIKERT, SINGLE, MULTIPLE, TEXT]


def survey_input(networks=(), **fields) -> services.SurveyInput:
    values = {
        "texts": {"en": {"title": "How safe do you feel?", "intro": "Five minutes."}},
        "language": "en",
        "scope": "networks",
        "network_ids": [n.pk for n in networks],
    }
    values.update(fields)
    return services.SurveyInput(**values)


def make_survey(by, zone, networks, questions=None, **fields):
    return services.create_survey(
        by, zone, survey_input(networks, **fields), ALL if questions is None else questions
    )


def sent(by, zone, networks, questions=None, today: date | None = None, **fields) -> Round:
    survey = make_survey(by, zone, networks, questions, **fields)
    return services.send(survey, by, today=today)


def members(network, count: int, prefix: str = "Member") -> list:
    people = []
    for i in range(count):
        person = PersonFactory(full_name=f"{prefix} {i}")
        MembershipFactory(network=network, person=person, role=Role.MEMBER)
        people.append(person)
    return people


def form(round_, likert: int = 4, option: int = 0, options=(0,), text: str = "") -> MultiValueDict:
    """A filled-in answer form for the round's questions."""
    data = MultiValueDict()
    for question in round_.survey.questions.prefetch_related("options"):
        name = f"q{question.pk}"
        listed = list(question.options.all())
        if question.kind == "likert":
            data[name] = str(likert)
        elif question.kind == "single":
            data[name] = str(listed[option].pk)
        elif question.kind == "multiple":
            data.setlist(name, [str(listed[i].pk) for i in options])
        elif text:
            data[name] = text
    return data


def answer(round_, person, **values):
    token = services.open_answer_page(round_, person)
    return services.submit_answers(round_, person, token, form(round_, **values))


def closed(round_: Round) -> Round:
    """The round's answering time is over (results exist only then)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    Round.objects.filter(pk=round_.pk).update(
        opened_on=min(round_.opened_on, yesterday), closes_on=yesterday
    )
    round_.refresh_from_db()
    return round_
