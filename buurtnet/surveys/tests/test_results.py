"""Figures per round and per BIN, with the anonymity threshold and no subtraction leak."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from buurtnet.surveys import services

from .helpers import answer, closed, members, sent

pytestmark = pytest.mark.django_db


def test_likert_mean_and_distribution_and_choice_shares(world):
    people = members(world.network, 6)
    round_ = sent(world.zone_staff, world.zone, [world.network])
    for i, person in enumerate(people):
        answer(round_, person, likert=[1, 2, 4, 4, 5, 5][i], option=i % 2, options=(0, 1))
    found = services.results(closed(round_))
    likert, single, multiple, text = found.questions
    assert likert.mean == 3.5
    assert likert.distribution == [1, 1, 0, 2, 2]
    assert [(s.label, s.count) for s in single.shares] == [
        ("Always", 3),
        ("Sometimes", 3),
        ("Never", 0),
    ]
    assert single.shares[0].share == 0.5
    assert [s.share for s in multiple.shares] == [1.0, 1.0]
    assert text.texts == []


def test_free_texts_are_sorted_not_in_answer_order(world):
    people = members(world.network, 5)
    round_ = sent(world.zone_staff, world.zone, [world.network])
    for person, text in zip(people, "edcba", strict=True):
        answer(round_, person, text=text)
    assert services.results(closed(round_)).questions[3].texts == list("abcde")


def test_per_bin_results_hide_the_free_texts(world):
    ours = members(world.network, 5)
    theirs = members(world.other_network, 5)
    round_ = sent(world.zone_staff, world.zone, [world.network, world.other_network])
    for person in ours + theirs:
        answer(round_, person, text="Lights")
    per_bin = services.results(closed(round_), [world.network.pk])
    assert per_bin.enough and per_bin.respondents == 5
    assert per_bin.questions[3].enough is False and per_bin.questions[3].texts == []
    assert services.results(closed(round_)).questions[3].texts == ["Lights"] * 10


def test_a_bin_below_the_threshold_shows_no_figures(world):
    ours = members(world.network, 6)
    theirs = members(world.other_network, 5)
    round_ = sent(world.zone_staff, world.zone, [world.network, world.other_network])
    for person in ours[:3] + theirs:
        answer(round_, person)
    assert not services.results(closed(round_), [world.network.pk]).enough


def test_a_small_bin_cannot_be_worked_out_by_subtracting_a_shown_bin_from_the_whole(world):
    ours = members(world.network, 3)
    theirs = members(world.other_network, 7)
    round_ = sent(world.zone_staff, world.zone, [world.network, world.other_network])
    for person in ours + theirs:
        answer(round_, person)
    assert services.results(closed(round_)).enough  # 10 together
    # Theirs has 7, but showing it would give ours (3) as the whole minus theirs.
    assert not services.results(closed(round_), [world.other_network.pk]).enough


def test_results_over_time_give_one_entry_per_round_ending_in_the_period(world):
    people = members(world.network, 5)
    today = timezone.localdate()
    first = sent(world.zone_staff, world.zone, [world.network], today=today - timedelta(days=400))
    second = sent(world.zone_staff, world.zone, [world.network], questions=None)
    for person in people:
        answer(second, person, likert=3)
    closed(first)
    closed(second)
    found = services.results_over_time(
        [world.network.pk], today - timedelta(days=500), today + timedelta(days=60)
    )
    assert [r.round_id for r in found] == [first.pk, second.pk]
    assert [r.enough for r in found] == [False, True]
    assert found[1].questions[0].mean == 3.0
    assert services.results_over_time([world.far_network.pk], date(2000, 1, 1), today) == []
