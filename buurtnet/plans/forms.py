from django import forms
from django.utils.translation import gettext_lazy as _

from buurtnet.common.rule import Rule
from buurtnet.people.models import Channel

from .models import Approver, MessageKind, PoliceRoute, SenderRole

RULE_KINDS = [k.value for k in MessageKind]


class PlanForm(forms.Form):
    """A whole plan on one page: the route of police messages and one rule per kind."""

    police_route = forms.ChoiceField(label=_("Police messages go"), choices=PoliceRoute.choices)
    forward_within_minutes = forms.IntegerField(
        label=_("The coordinator forwards within (minutes)"), min_value=1, max_value=1440
    )
    sms_segment_limit = forms.IntegerField(
        label=_("Longest SMS (segments)"), min_value=1, max_value=10
    )
    consult_every_days = forms.IntegerField(
        label=_("The officer and the coordinator consult every (days)"),
        min_value=7,
        max_value=366,
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in RULE_KINDS:
            p = f"{kind}__"
            self.fields[p + "senders"] = forms.MultipleChoiceField(
                label=_("Who may send"),
                choices=SenderRole.choices,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[p + "approval_needed_for"] = forms.MultipleChoiceField(
                label=_("Needs approval when sent by"),
                choices=SenderRole.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
            self.fields[p + "approver"] = forms.ChoiceField(
                label=_("Approved by"), choices=Approver.choices
            )
            self.fields[p + "channels"] = forms.MultipleChoiceField(
                label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
            )
            self.fields[p + "quiet_hours_apply"] = forms.BooleanField(
                label=_("Members' quiet hours apply"), required=False
            )
            self.fields[p + "send_from"] = forms.TimeField(
                label=_("Send only from"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[p + "send_until"] = forms.TimeField(
                label=_("until"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[p + "response_minutes"] = forms.IntegerField(
                label=_("Expected response time (minutes)"), required=False, min_value=1
            )
            self.fields[p + "fallback"] = forms.BooleanField(
                label=_("Fall back to the member's next channel"), required=False
            )
            self.fields[p + "plates_allowed"] = forms.BooleanField(
                label=_("Police may include number plates"), required=False
            )
            if kind == MessageKind.REPORT:
                self.fields[p + "report_to"] = forms.MultipleChoiceField(
                    label=_("Members' reports go to"),
                    choices=Approver.choices,
                    widget=forms.CheckboxSelectMultiple,
                )
                self.fields[p + "reporter_contact_shared"] = forms.BooleanField(
                    label=_("The coordinator sees the reporter's contact details"),
                    required=False,
                )

    @classmethod
    def initial_from(cls, content: dict) -> dict:
        initial = {
            "police_route": content["police_route"],
            "forward_within_minutes": content["forward_within_minutes"],
            "sms_segment_limit": content["sms_segment_limit"],
            "consult_every_days": content.get("consult_every_days", 90),
        }
        for data in content["rules"]:
            rule = Rule.from_json(data)
            p = f"{rule.kind}__"
            initial.update(
                {
                    p + "senders": list(rule.senders),
                    p + "approval_needed_for": list(rule.approval_needed_for),
                    p + "approver": rule.approver,
                    p + "channels": list(rule.channels),
                    p + "quiet_hours_apply": rule.quiet_hours_apply,
                    p + "send_from": rule.send_from,
                    p + "send_until": rule.send_until,
                    p + "response_minutes": rule.response_minutes,
                    p + "fallback": rule.fallback,
                    p + "plates_allowed": rule.plates_allowed,
                }
            )
            if rule.kind == MessageKind.REPORT:
                initial[p + "report_to"] = list(rule.report_receivers)
                initial[p + "reporter_contact_shared"] = rule.reporter_contact_shared
        return initial

    def sections(self) -> list[tuple[str, str, list]]:
        labels = dict(MessageKind.choices)
        return [
            (kind, labels[kind], [f for f in self if f.name.startswith(kind + "__")])
            for kind in RULE_KINDS
        ]

    def content(self) -> dict:
        data = self.cleaned_data
        return {
            "police_route": data["police_route"],
            "forward_within_minutes": data["forward_within_minutes"],
            "sms_segment_limit": data["sms_segment_limit"],
            "consult_every_days": data["consult_every_days"],
            "rules": [self.rule(kind).to_json() for kind in RULE_KINDS],
        }

    def rule(self, kind: str) -> Rule:
        """The rule typed for one kind (the form's choices keep it within the vocabulary)."""
        data = self.cleaned_data
        p = f"{kind}__"
        return Rule(
            kind=kind,
            senders=data[p + "senders"],
            approval_needed_for=data[p + "approval_needed_for"],
            approver=data[p + "approver"],
            channels=data[p + "channels"],
            quiet_hours_apply=data[p + "quiet_hours_apply"],
            send_from=data[p + "send_from"],
            send_until=data[p + "send_until"],
            response_minutes=data[p + "response_minutes"],
            fallback=data[p + "fallback"],
            plates_allowed=data[p + "plates_allowed"],
            report_to=data.get(p + "report_to", ()),
            reporter_contact_shared=data.get(p + "reporter_contact_shared", False),
        )
