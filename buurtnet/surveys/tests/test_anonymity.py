"""No answer can be traced to a member; a member answers a round once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from buurtnet.networks.tests.test_views import log_in
from buurtnet.surveys import services
from buurtnet.surveys.models import Answer, Participation, Response, Ticket

from .helpers import answer, closed, form, members, sent

pytestmark = pytest.mark.django_db


def field_types(model) -> dict[str, type]:
    return {f.name: type(f) for f in model._meta.concrete_fields}


def test_a_response_row_holds_no_person_and_no_time():
    for model in (Response, Answer):
        fields = model._meta.concrete_fields
        assert not [
            f for f in fields if f.is_relation and f.related_model._meta.label == "people.Person"
        ]
        assert not [f for f in fields if isinstance(f, models.DateTimeField)]
        assert isinstance(model._meta.pk, models.UUIDField)
    assert field_types(Response)["answered_on"] is models.DateField


def test_a_ticket_row_holds_no_person_and_no_time():
    assert set(field_types(Ticket)) == {"id", "round", "hash"}
    assert isinstance(Ticket._meta.pk, models.UUIDField)


def test_a_participation_holds_no_answer_and_no_time():
    assert set(field_types(Participation)) == {"id", "round", "person"}


def test_answering_stores_a_response_without_the_person(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    response = answer(round_, world.member, text=f"I am {world.member.full_name}")
    stored = Response.objects.filter(pk=response.pk).values().get()
    assert world.member.pk not in [v for k, v in stored.items() if k != "round_id"]
    assert Participation.objects.filter(round=round_, person=world.member).exists()
    # The ticket was consumed: nothing connects the participation to the response.
    assert not Ticket.objects.filter(round=round_).exists()


def test_a_single_bin_round_does_not_store_the_bin(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    assert answer(round_, world.member).network_id is None


def test_a_round_to_several_bins_stores_the_answering_bin(world):
    members(world.other_network, 3)  # five who answer, with their member and coordinator
    round_ = sent(world.zone_staff, world.zone, [world.network, world.other_network])
    assert answer(round_, world.their_member).network_id == world.other_network.pk


def test_a_bin_too_small_to_show_is_not_written_on_the_response(world):
    round_ = sent(world.zone_staff, world.zone, [world.network, world.other_network])
    assert answer(round_, world.their_member).network_id is None


def test_results_wait_until_the_round_has_closed(world):
    people = members(world.network, 5)
    round_ = sent(world.zone_staff, world.zone, [world.network])
    for person in people:
        answer(round_, person)
    assert not services.results(round_).enough
    assert services.results(closed(round_)).enough


def test_opening_the_page_twice_is_refused(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    services.open_answer_page(round_, world.member)
    with pytest.raises(ValidationError, match="already taken part"):
        services.open_answer_page(round_, world.member)
    assert Ticket.objects.filter(round=round_).count() == 1


def test_a_second_answer_is_refused_with_a_message(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    answer(round_, world.member)
    log_in(client, world.member)
    page = client.get(reverse("surveys:answer", args=[round_.pk]))
    assert page.status_code == 409
    assert "already taken part" in page.content.decode()
    assert Response.objects.filter(round=round_).count() == 1


def test_a_used_token_is_refused(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    token = services.open_answer_page(round_, world.member)
    services.submit_answers(round_, world.member, token, form(round_))
    with pytest.raises(ValidationError, match="not valid"):
        services.submit_answers(round_, world.member, token, form(round_))
    assert Response.objects.count() == 1


def test_a_forged_token_is_refused(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    services.open_answer_page(round_, world.member)
    with pytest.raises(ValidationError, match="not valid"):
        services.submit_answers(round_, world.member, "made-up", form(round_))
    assert not Response.objects.exists()


def test_a_stolen_token_is_refused_to_someone_who_did_not_open_the_page(world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    token = services.open_answer_page(round_, world.member)
    with pytest.raises(ValidationError, match="not valid"):
        services.submit_answers(round_, world.coordinator, token, form(round_))
    assert not Response.objects.exists()


def test_a_token_of_another_round_is_refused(world):
    first = sent(world.zone_staff, world.zone, [world.network])
    second = sent(world.zone_staff, world.zone, [world.network])
    token = services.open_answer_page(first, world.member)
    services.open_answer_page(second, world.member)
    with pytest.raises(ValidationError, match="not valid"):
        services.submit_answers(second, world.member, token, form(second))
    assert not Response.objects.exists()


def test_answering_through_the_pages_ends_on_the_thank_you_page(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.member)
    url = reverse("surveys:answer", args=[round_.pk])
    page = client.get(url).content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    data = form(round_)
    data["token"] = token
    got = client.post(url, data)
    assert got.status_code == 302 and got.url == reverse("surveys:thanks")
    assert client.get(got.url).status_code == 200
    assert Response.objects.filter(round=round_).count() == 1


def test_an_incomplete_form_keeps_the_ticket_for_a_corrected_answer(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.member)
    url = reverse("surveys:answer", args=[round_.pk])
    token = client.get(url).content.decode().split('name="token" value="')[1].split('"')[0]
    refused = client.post(url, {"token": token})
    assert refused.status_code == 400
    assert "Please answer this question." in refused.content.decode()
    data = form(round_)
    data["token"] = token
    assert client.post(url, data).status_code == 302


def test_results_below_five_show_not_enough_answers_and_no_numbers(client, world):
    people = members(world.network, 4)
    round_ = sent(world.zone_staff, world.zone, [world.network])
    for person in people:
        answer(round_, person, likert=5, text="More street lights")
    found = services.results(closed(round_))
    assert not found.enough and found.respondents is None and found.questions == []
    log_in(client, world.zone_staff)
    page = client.get(reverse("surveys:results", args=[round_.pk])).content.decode()
    assert "Not enough answers" in page
    assert "More street lights" not in page and "4 respondents" not in page
    assert "Average" not in page


def test_exactly_five_respondents_show_the_results(client, world):
    people = members(world.network, 5)
    round_ = sent(world.zone_staff, world.zone, [world.network])
    for person in people:
        answer(round_, person, likert=5, text="More street lights")
    found = services.results(closed(round_))
    assert found.enough and found.respondents == 5
    log_in(client, world.zone_staff)
    page = client.get(reverse("surveys:results", args=[round_.pk])).content.decode()
    assert "5 respondents" in page and "More street lights" in page
    assert "5 · Strongly agree" in page and 'class="w-100"' in page


def test_a_member_who_reloads_the_page_can_still_answer_once(client, world):
    round_ = sent(world.zone_staff, world.zone, [world.network])
    log_in(client, world.member)
    url = reverse("surveys:answer", args=[round_.pk])
    assert client.get(url).status_code == 200
    reloaded = client.get(url)
    assert reloaded.status_code == 200
    token = reloaded.context["token"]
    client.post(url, {"token": token, **form(round_)})
    assert Response.objects.filter(round=round_).count() == 1
    assert client.get(url).status_code == 409
