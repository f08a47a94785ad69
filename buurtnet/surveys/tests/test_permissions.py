"""Who may build, send, see results and answer."""

import pytest
from django.urls import reverse

from buurtnet.networks.tests.test_views import log_in
from buurtnet.surveys.models import Participation, Response
from buurtnet.surveys.services import can_manage

from .helpers import make_survey, sent

pytestmark = pytest.mark.django_db


def test_a_member_of_another_bin_cannot_answer(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.their_member)
    url = reverse("surveys:answer", args=[round_.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"token": "x"}).status_code == 404
    assert not Participation.objects.exists() and not Response.objects.exists()


def test_the_officer_is_not_asked(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.officer)
    assert client.get(reverse("surveys:answer", args=[round_.pk])).status_code == 404


def test_a_closed_survey_takes_no_answers(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.zone_staff)
    client.post(reverse("surveys:close", args=[round_.survey_id]))
    log_in(client, world.member)
    page = client.get(reverse("surveys:answer", args=[round_.pk]))
    assert page.status_code == 409 and "closed" in page.content.decode()
    assert not Participation.objects.exists()


def test_staff_of_another_zone_cannot_see_results_or_edit(client, world):
    from buurtnet.networks.tests.factories import ZoneStaffFactory

    round_ = sent(world.zone_staff, world.zone, [world.network])
    draft = make_survey(world.zone_staff, world.zone, [world.network])
    log_in(client, ZoneStaffFactory(zone=world.other_zone).person)
    assert client.get(reverse("surveys:results", args=[round_.pk])).status_code == 404
    assert client.get(reverse("surveys:survey", args=[draft.pk])).status_code == 404
    posted = client.post(reverse("surveys:survey", args=[draft.pk]), {"title_en": "Hacked"})
    assert posted.status_code == 404
    draft.refresh_from_db()
    assert draft.texts["en"]["title"] == "How safe do you feel?"


def test_a_municipal_partner_sees_surveys_of_their_municipality_only(client, world):
    ours = make_survey(world.zone_staff, world.zone, [world.network])
    theirs = make_survey(world.zone_staff, world.zone, [world.other_network])
    log_in(client, world.municipal)
    assert client.get(reverse("surveys:survey", args=[ours.pk])).status_code == 200
    assert client.get(reverse("surveys:survey", args=[theirs.pk])).status_code == 404


def test_a_municipal_partner_builds_and_sends_for_their_bin(client, world):
    log_in(client, world.municipal)
    made = client.post(
        reverse("surveys:new", args=[world.zone.pk]),
        {
            "language": "en",
            "title_en": "Safety",
            "scope": "networks",
            "network_ids": [world.network.pk],
            "recurrence": "once",
            "open_days": "21",
            "q-kind": "likert",
            "q-text_en": "I feel safe.",
        },
    )
    assert made.status_code == 302
    sent_page = client.post(made.url.rstrip("/") + "/send/")
    assert sent_page.status_code == 302


def test_members_cannot_open_the_builder(client, world):
    log_in(client, world.coordinator)
    assert client.get(reverse("surveys:list")).status_code == 403
    assert client.get(reverse("surveys:new", args=[world.zone.pk])).status_code == 404


def test_a_platform_administrator_manages_a_survey_of_any_zone(client, world):
    """Managing a zone's surveys is a permission, which a superuser has everywhere (Standing's
    rule), unlike a post such as importing a CAP alert."""
    draft = make_survey(world.zone_staff, world.zone, [world.network])
    assert can_manage(world.admin, draft)
    log_in(client, world.admin)
    assert client.get(reverse("surveys:survey", args=[draft.pk])).status_code == 200
