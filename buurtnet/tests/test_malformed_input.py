"""Property-based: malformed input to every form never causes a server error, and input
that is refused changes nothing.

Each form is found on its page (the field names are read from the HTML, so a field added
later is fed junk too) and posted back with values drawn by hypothesis: huge and negative
numbers, NaN, control characters, very long text, lists, scripts, SQL fragments. Whatever
a form accepts, no one-line text field of a saved row holds a line break or another control
character (buurtnet.common.form_fields.install_text_rules).
"""

import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtnet.common.form_fields import MULTILINE_MODEL_FIELDS, has_control_characters
from buurtnet.governance.tests.sites import minutes_url as governance_minutes_url
from buurtnet.networks.tests.test_views import log_in
from buurtnet.surveys.tests import sites as survey_sites

FIELD = re.compile(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"', re.IGNORECASE)
SKIP_FIELDS = {"csrfmiddlewaretoken", "next", "language"}
WATCHED = [
    "reports.Report",
    "reports.ReportCategory",
    "messaging.Message",
    "prevention.Tip",
    "prevention.Campaign",
    "absences.Absence",
    "networks.Membership",
    "plans.CommunicationPlan",
    "people.Person",
    "retention.RetentionPolicy",
    "privacy.Consent",
    "governance.Meeting",
    "governance.Decision",
    "governance.Consultation",
    "governance.Evaluation",
    "governance.EmergencyHandover",
    "webhooks.WebhookEndpoint",
    "api.ApiToken",
    "cap.CapFeed",
    "cap.CapSettings",
    "surveys.Survey",
    "surveys.Question",
    "surveys.Response",
    "surveys.Answer",
    "insights.YearlyReport",
]

junk = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "",
            "nan",
            "inf",
            "-1",
            "0",
            "1e308",
            "9999-12-31",
            "0000-00-00T00:00",
            "2026-02-30T25:61",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\x00",
            "a\nb",
            "a\r\nb",
            "a\u2028b",
            "\u202egnp.exe",
            "x" * 5000,
            '{"type": "area", "polygon": 5}',
        ]
    ),
)


def fields_of(client, url: str) -> list[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    names = FIELD.findall(page.content.decode())
    return sorted({n for n in names if n not in SKIP_FIELDS})


def counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in WATCHED}


def one_line_values_with_control_characters() -> list[tuple[str, str, str]]:
    found = []
    for label in WATCHED:
        model = apps.get_model(label)
        names = [
            f.name
            for f in model._meta.local_fields
            if isinstance(f, models.CharField)
            and f"{label}.{f.name}" not in MULTILINE_MODEL_FIELDS
            and not f.choices
        ]
        if not names:
            continue
        for row in model.objects.values_list(*names):
            found += [
                (label, name, value)
                for name, value in zip(names, row, strict=True)
                if isinstance(value, str) and has_control_characters(value)
            ]
    return found


# (who posts, how to build the URL)
FORMS = {
    "report": ("member", lambda world: reverse("reports:new")),
    "absence": ("member", lambda world: reverse("absences:new")),
    "compose": ("officer", lambda world: reverse("messaging:compose")),
    "tip": ("zone_staff", lambda world: reverse("prevention:new_tip")),
    "campaign": ("zone_staff", lambda world: reverse("prevention:new_campaign")),
    "categories": (
        "zone_staff",
        lambda world: reverse("reports:zone_categories", args=[world.zone.pk]),
    ),
    "plan": ("coordinator", lambda world: reverse("plans:edit", args=[world.network.pk])),
    "preferences": ("member", lambda world: reverse("people:preferences")),
    "retention": (
        "zone_staff",
        lambda world: reverse("retention:zone_policy", args=[world.zone.pk]),
    ),
    "erase": ("member", lambda world: reverse("privacy:erase")),
    "gov_request": ("member", lambda world: reverse("governance:request")),
    "gov_meeting": (
        "coordinator",
        lambda world: reverse("governance:meeting_new", args=[world.network.pk]),
    ),
    "gov_consultation": (
        "officer",
        lambda world: reverse("governance:consultation", args=[world.network.pk]),
    ),
    "gov_evaluation": (
        "officer",
        lambda world: reverse("governance:evaluation", args=[world.network.pk]),
    ),
    "gov_handover": (
        "officer",
        lambda world: reverse("governance:handover", args=[world.network.pk]),
    ),
    "gov_minutes": ("coordinator", governance_minutes_url),
    "webhook": ("zone_staff", lambda world: reverse("webhooks:zone", args=[world.zone.code])),
    "api_token": ("officer", lambda world: reverse("api_tokens:list")),
    "cap": ("zone_staff", lambda world: reverse("cap:zone", args=[world.zone.code])),
    "survey_new": ("zone_staff", lambda world: reverse("surveys:new", args=[world.zone.pk])),
    "survey_builder": ("zone_staff", survey_sites.builder_url),
    "survey_answer": ("member", survey_sites.answer_url),
    "yearly_report": (
        "officer",
        lambda world: reverse("insights:request_network_report", args=[world.network.pk]),
    ),
    "municipal_yearly_report": (
        "municipal",
        lambda world: reverse("insights:request_municipality_report", args=[world.municipality.pk]),
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_junk_never_breaks_a_form_and_refused_input_changes_nothing(client, world, form, data):
    who, url_of = FORMS[form]
    log_in(client, getattr(world, who))
    url = url_of(world)
    names = fields_of(client, url)
    assert names, f"no fields found on {url}"
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    payload = {name: data.draw(st.one_of(junk, st.lists(junk, max_size=3))) for name in chosen}
    before = counts()
    answer = client.post(url, payload)
    assert answer.status_code < 500, (url, payload)
    if answer.status_code != 302:
        assert counts() == before, (url, payload)
    assert not one_line_values_with_control_characters(), (url, payload)
