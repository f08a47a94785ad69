"""The plan rule as a typed value: every rule a plan, a template or a snapshot holds reads
back unchanged, old snapshots read with their defaults, and bad input is refused."""

import dataclasses
from datetime import time

import pytest

from buurtnet.common.rule import CHANNELS, Approver, MessageKind, Rule, SenderRole
from buurtnet.people.models import Channel
from buurtnet.plans.defaults import DEFAULT_PLAN, default_rule
from buurtnet.plans.forms import PlanForm

# The keys every snapshot of a plan rule has held (PlanRule.as_dict before the Rule).
SNAPSHOT_KEYS = {
    "kind",
    "senders",
    "approval_needed_for",
    "approver",
    "channels",
    "quiet_hours_apply",
    "send_from",
    "send_until",
    "response_minutes",
    "fallback",
    "plates_allowed",
    "report_to",
    "reporter_contact_shared",
}


def form_content(**changes) -> dict:
    """A plan as the plan form writes it: the default plan, posted back with changes."""
    initial = PlanForm.initial_from(DEFAULT_PLAN)
    posted = {name: value for name, value in initial.items() if value not in (None, False)}
    posted.update(note="", **changes)
    form = PlanForm(data=_as_post(posted))
    assert form.is_valid(), form.errors
    return form.content()


def _as_post(values: dict) -> dict:
    return {
        name: value.strftime("%H:%M") if isinstance(value, time) else value
        for name, value in values.items()
    }


# --- Round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("data", DEFAULT_PLAN["rules"], ids=lambda r: r["kind"])
def test_every_default_rule_survives_a_round_trip(data):
    rule = Rule.from_json(data)
    assert Rule.from_json(rule.to_json()) == rule


@pytest.mark.parametrize("data", DEFAULT_PLAN["rules"], ids=lambda r: r["kind"])
def test_a_default_rule_writes_back_what_it_read(data):
    assert data.items() <= Rule.from_json(data).to_json().items()


def test_a_rule_written_by_the_plan_form_survives_a_round_trip():
    content = form_content(
        report__report_to=["officer", "coordinator"],
        report__reporter_contact_shared="on",
        notice__send_from="07:30",
        notice__send_until="22:00",
    )
    for data in content["rules"]:
        assert Rule.from_json(data).to_json() == data
    notice = next(Rule.from_json(r) for r in content["rules"] if r["kind"] == "notice")
    assert notice.sending_hours == (time(7, 30), time(22, 0))


def test_the_json_keeps_the_shape_of_the_stored_snapshots():
    assert set(default_rule(MessageKind.ALERT).to_json()) == SNAPSHOT_KEYS


def test_a_messages_snapshot_keeps_its_forward_deadline():
    snapshot = {**default_rule(MessageKind.ALERT).to_json(), "forward_within_minutes": 30}
    rule = Rule.from_json(snapshot)
    assert rule.forward_within_minutes == 30
    assert rule.to_json() == snapshot


# --- Old snapshots -----------------------------------------------------------------------


def test_a_partial_snapshot_reads_as_its_readers_always_read_it():
    """A meeting's minutes were sent with only the channels in the snapshot."""
    rule = Rule.from_json({"channels": ["email", "inapp"]}, kind=MessageKind.NOTICE)
    assert rule.kind == MessageKind.NOTICE
    assert rule.channels == ("email", "inapp")
    assert rule.quiet_hours_apply is True
    assert rule.fallback is False
    assert rule.sending_hours is None
    assert rule.response_minutes is None


def test_the_kind_in_the_snapshot_wins_over_the_assumed_one():
    assert Rule.from_json({"kind": "tip"}, kind=MessageKind.NOTICE).kind == MessageKind.TIP


def test_a_report_rule_without_receivers_sends_reports_to_the_officer():
    rule = Rule.from_json({"kind": "report", "report_to": []})
    assert rule.report_to == ()
    assert rule.report_receivers == (Approver.OFFICER,)


def test_every_kind_has_a_default_rule():
    assert {default_rule(kind).kind for kind in MessageKind} == set(MessageKind)


# --- Refused input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"kind": "telegram"}, "'kind'"),
        ({"senders": ["officer", "mayor"]}, "'senders'"),
        ({"approval_needed_for": ["neighbour"]}, "'approval_needed_for'"),
        ({"approver": "mayor"}, "'approver'"),
        ({"channels": ["email", "fax"]}, "'channels'"),
        ({"channels": "email"}, "'channels'"),
        ({"report_to": "officer"}, "'report_to'"),
        ({"quiet_hours_apply": "yes"}, "'quiet_hours_apply'"),
        ({"fallback": None}, "'fallback'"),
        ({"response_minutes": "15"}, "'response_minutes'"),
        ({"response_minutes": True}, "'response_minutes'"),
        ({"response_minutes": -5}, "'response_minutes'"),
        ({"forward_within_minutes": 1.5}, "'forward_within_minutes'"),
        ({"send_from": "8h", "send_until": "21:00:00"}, "'send_from'"),
        ({"send_from": 800, "send_until": "21:00:00"}, "'send_from'"),
        ({"chanels": ["email"]}, "chanels"),
    ],
)
def test_a_bad_rule_is_refused_with_the_field_it_is_about(changes, complaint):
    data = {**default_rule(MessageKind.TIP).to_json(), **changes}
    with pytest.raises(ValueError, match=complaint):
        Rule.from_json(data)


def test_a_snapshot_that_names_no_kind_needs_one_assumed():
    with pytest.raises(ValueError, match="kind"):
        Rule.from_json({"channels": ["email"]})


def test_a_rule_is_a_json_object():
    with pytest.raises(ValueError, match="JSON object"):
        Rule.from_json(["alert"])


def test_a_changed_copy_is_validated_too():
    with pytest.raises(ValueError, match="'channels'"):
        default_rule(MessageKind.ALERT).with_channels(["email", "pigeon"])


def test_a_rule_cannot_be_changed_in_place():
    rule = default_rule(MessageKind.ALERT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.channels = ("email",)


# --- What callers ask --------------------------------------------------------------------


def test_the_rule_answers_who_may_send_and_who_needs_approval():
    relay = default_rule(MessageKind.RELAY)
    assert relay.may_send(SenderRole.COORDINATOR)
    assert not relay.may_send(SenderRole.MEMBER)
    assert relay.needs_approval(SenderRole.STEERING)
    assert not default_rule(MessageKind.ALERT).needs_approval(SenderRole.OFFICER)


def test_an_automatic_notice_keeps_to_the_quiet_channels_of_the_rule():
    notice = default_rule(MessageKind.NOTICE)  # e-mail, SMS, push, in-app
    quiet = notice.with_channels_within(("email", "inapp", "push"), otherwise=("email",))
    assert quiet.channels == ("email", "push", "inapp")
    assert not quiet.sends_on("sms")
    assert notice.sends_on("sms")


def test_an_automatic_notice_falls_back_to_the_given_channels_when_none_is_left():
    voice_only = default_rule(MessageKind.NOTICE).with_channels(["voice"])
    quiet = voice_only.with_channels_within(("email", "inapp"), otherwise=("email", "inapp"))
    assert quiet.channels == ("email", "inapp")


def test_the_rule_names_the_same_channels_a_person_chooses_from():
    assert set(CHANNELS) == set(Channel.values)
