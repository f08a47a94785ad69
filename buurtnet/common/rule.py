"""A communication plan's rule for one message kind, as a typed and immutable value.

The plan says, per message kind, who may send, who approves, on which channels, at which
hours and how fast the police answer. A copy of the rule (a snapshot) is stored with every
message and report, so that a later plan edit never changes how an already sent message
behaves, and the delivery workers read that copy long after. The rule lives here, in the
lowest layer, because delivery reads it and may not import plans; so does the vocabulary a
rule is written in (message kinds, sender roles, approvers, channels).

`Rule.to_json()` writes the JSON the snapshots have always held; `Rule.from_json()` reads
every one of them, old ones included (a key they lack takes its default), and refuses with
a ValueError what no plan could have written.
"""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Self, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    ALERT = "alert", _("Alert (urgent)")
    NOTICE = "notice", _("Notice")
    TIP = "tip", _("Prevention tip")
    RELAY = "relay", _("Relay (coordinator to members)")
    FEEDBACK = "feedback", _("Feedback")
    REPORT = "report", _("Report (member to police)")


class SenderRole(models.TextChoices):
    OFFICER = "officer", _("Officer of the BIN")
    ZONE_STAFF = "zone_staff", _("Zone staff")
    COORDINATOR = "coordinator", _("Coordinator")
    STEERING = "steering", _("Steering group")
    MEMBER = "member", _("Member")


POLICE_ROLES = frozenset({SenderRole.OFFICER, SenderRole.ZONE_STAFF})


class Approver(models.TextChoices):
    OFFICER = "officer", _("The officer")
    COORDINATOR = "coordinator", _("The coordinator")


# The channels a rule can name: the values of people.models.Channel, which lives in a
# higher layer with the labels a person chooses from (a test keeps the two equal).
CHANNELS = ("email", "sms", "push", "voice", "inapp")

_BOOLEANS = ("quiet_hours_apply", "fallback", "plates_allowed", "reporter_contact_shared")
_MINUTES = ("response_minutes", "forward_within_minutes")
_TIMES = ("send_from", "send_until")


@dataclass(frozen=True)
class Rule:
    """What a plan says for one message kind. Built from lists (or tuples) of strings; it
    holds tuples of the choices above, so it can be compared, hashed and shared safely.

    The defaults are what a snapshot that lacks the key has always meant to its readers:
    the automatic notices of governance and surveys stored only some keys."""

    kind: MessageKind
    senders: tuple[SenderRole, ...] = ()
    approval_needed_for: tuple[SenderRole, ...] = ()
    approver: Approver = Approver.OFFICER
    channels: tuple[str, ...] = ()
    quiet_hours_apply: bool = True
    send_from: time | None = None
    send_until: time | None = None
    response_minutes: int | None = None
    # The delivery worker never fell back for a snapshot that did not say it may.
    fallback: bool = False
    plates_allowed: bool = False
    # Only for the "report" kind: who receives members' reports, and whether the
    # coordinator may see who reported.
    report_to: tuple[Approver, ...] = ()
    reporter_contact_shared: bool = False
    # Not part of the plan's rule itself: messaging adds the plan's forward deadline to a
    # message's snapshot, so that the deadline travels with the message.
    forward_within_minutes: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # the dataclass is frozen; this is its own construction
        set_(self, "kind", _choice(MessageKind, self.kind, "kind"))
        set_(self, "approver", _choice(Approver, self.approver, "approver"))
        set_(self, "senders", _choices(SenderRole, self.senders, "senders"))
        set_(
            self,
            "approval_needed_for",
            _choices(SenderRole, self.approval_needed_for, "approval_needed_for"),
        )
        set_(self, "report_to", _choices(Approver, self.report_to, "report_to"))
        set_(self, "channels", _channels(self.channels))
        for name in _BOOLEANS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"Plan rule field {name!r} must be true or false.")
        for name in _MINUTES:
            _check_minutes(getattr(self, name), name)
        for name in _TIMES:
            if getattr(self, name) is not None and not isinstance(getattr(self, name), time):
                raise ValueError(f"Plan rule field {name!r} must be a time or None.")

    # --- JSON ----------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, kind: str | None = None) -> Self:
        """Read a rule as plans, templates and snapshots store it. `kind` is the message kind
        to assume when the snapshot does not name one (an automatic notice's)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"A plan rule is a JSON object, not {type(data).__name__}.")
        unknown = set(data) - _FIELD_NAMES
        if unknown:
            raise ValueError(f"Unknown keys in a plan rule: {', '.join(sorted(unknown))}.")
        values = dict(data)
        values["kind"] = values.get("kind") or kind
        if not values["kind"]:
            raise ValueError("A plan rule needs the message kind it is for.")
        for name in _TIMES:
            values[name] = _parse_time(values.get(name), name)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON, in the shape snapshots have always had (the forward deadline
        only where messaging added one)."""
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "senders": [role.value for role in self.senders],
            "approval_needed_for": [role.value for role in self.approval_needed_for],
            "approver": self.approver.value,
            "channels": list(self.channels),
            "quiet_hours_apply": self.quiet_hours_apply,
            "send_from": self.send_from.isoformat() if self.send_from is not None else None,
            "send_until": self.send_until.isoformat() if self.send_until is not None else None,
            "response_minutes": self.response_minutes,
            "fallback": self.fallback,
            "plates_allowed": self.plates_allowed,
            "report_to": [approver.value for approver in self.report_to],
            "reporter_contact_shared": self.reporter_contact_shared,
        }
        if self.forward_within_minutes is not None:
            data["forward_within_minutes"] = self.forward_within_minutes
        return data

    # --- What callers ask ----------------------------------------------------------------

    def may_send(self, role: str) -> bool:
        return role in self.senders

    def needs_approval(self, role: str) -> bool:
        """Whether a message of this kind sent as `role` waits for the approver."""
        return role in self.approval_needed_for

    def sends_on(self, channel: str) -> bool:
        return channel in self.channels

    @property
    def sending_hours(self) -> tuple[time, time] | None:
        """The plan's window (from, until) outside which nothing of this kind is sent; it may
        cross midnight. Half a window is no window (a plan refuses one; see PlanRule.clean)."""
        if self.send_from is None or self.send_until is None:
            return None
        return self.send_from, self.send_until

    @property
    def report_receivers(self) -> tuple[Approver, ...]:
        """Who receives members' reports: plans written before reports had receivers sent
        them to the officer."""
        return self.report_to or (Approver.OFFICER,)

    # --- Changed copies ------------------------------------------------------------------

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, validated like any rule."""
        return dataclasses.replace(self, **changes)

    def with_channels(self, channels: Iterable[str]) -> Self:
        return self.replace(channels=tuple(channels))

    def with_channels_within(self, allowed: Iterable[str], otherwise: Iterable[str]) -> Self:
        """Only this rule's channels that are also `allowed` (in the rule's order), or
        `otherwise` when none is left: an automatic notice keeps to the plan's channels
        without calling anyone at night."""
        allowed = set(allowed)
        kept = tuple(channel for channel in self.channels if channel in allowed)
        return self.with_channels(kept or tuple(otherwise))


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(Rule))
Choice = TypeVar("Choice", bound=models.TextChoices)
# Rules are read for every BIN a message goes to: a lookup is cheaper than Enum(value).
_MEMBERS: dict[type, dict[str, Any]] = {
    choices: {member.value: member for member in choices}
    for choices in (MessageKind, SenderRole, Approver)
}
_CHANNELS = {channel: channel for channel in CHANNELS}


def _choice(choices: type[Choice], value: object, name: str) -> Choice:
    member = _MEMBERS[choices].get(value) if isinstance(value, str) else None
    if member is None:
        known = ", ".join(choices.values)
        raise ValueError(f"Plan rule field {name!r}: {value!r} is not one of {known}.")
    return member


def _choices(choices: type[Choice], values: object, name: str) -> tuple[Choice, ...]:
    if not isinstance(values, list | tuple):
        raise ValueError(f"Plan rule field {name!r} must be a list, not {values!r}.")
    return tuple(_choice(choices, value, name) for value in values)


def _channels(values: object) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        raise ValueError(f"Plan rule field 'channels' must be a list, not {values!r}.")
    channels = tuple(_CHANNELS.get(c) if isinstance(c, str) else None for c in values)
    if None in channels:
        wrong = next(c for c, known in zip(values, channels, strict=True) if known is None)
        known = ", ".join(CHANNELS)
        raise ValueError(f"Plan rule field 'channels': {wrong!r} is not one of {known}.")
    return channels


def _check_minutes(value: object, name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"Plan rule field {name!r} must be a whole number of minutes or None.")


def _parse_time(value: object, name: str) -> time | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"Plan rule field {name!r}: {value!r} is not a time like 08:00:00.")
