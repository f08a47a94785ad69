"""Forms of the governance pages: they only parse what was typed; the rules are in services."""

import json
import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from buurtnet.common.form_errors import apply_errors
from buurtnet.networks.models import Municipality, NetworkKind

from .models import (
    NOTICE_DAYS_FLOOR,
    NOTICE_DAYS_MAX,
    QUORUM_MINIMUM_FLOOR,
    QUORUM_PERCENT_FLOOR,
    AppealOutcome,
    Choice,
    Function,
    MeetingKind,
    Party,
    RegistrationOutcome,
    Step,
)

DECISION_ROWS = 3
ACTION_ROWS = 3
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


# Dates far outside a BIN's life are typing errors; refusing them here also keeps date
# arithmetic in the services (a due date a few weeks later) from overflowing.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


class DateField(forms.DateField):
    def validate(self, value) -> None:
        super().validate(value)
        if value and not (EARLIEST <= value <= LATEST):
            raise forms.ValidationError(_("Give a real date."), code="out_of_range")


class DateTimeField(forms.DateTimeField):
    def validate(self, value) -> None:
        super().validate(value)
        if value and not (EARLIEST <= value.date() <= LATEST):
            raise forms.ValidationError(_("Give a real date."), code="out_of_range")


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def text_area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class RowErrorsMixin:
    """Services key the errors of repeated rows as `<prefix>_<index>`: they go with their
    row, the rest where apply_errors puts them."""

    row_prefix = ""

    def apply_service_errors(self, exc: ValidationError) -> None:
        self.row_errors: dict[int, list[str]] = getattr(self, "row_errors", {})
        if hasattr(exc, "error_dict"):
            rest = {}
            pattern = re.compile(rf"^{self.row_prefix}_(\d+)$")
            for key, messages in exc.message_dict.items():
                found = pattern.match(key)
                if found:
                    self.row_errors.setdefault(int(found.group(1)), []).extend(messages)
                else:
                    rest[key] = messages
            if rest:
                apply_errors(self, ValidationError(rest))
            if self.row_errors and not rest:
                self.add_error(None, _("Check the rows marked below."))
        else:
            apply_errors(self, exc)


# --- Founding ------------------------------------------------------------------------------


def parse_area(text: str) -> dict:
    """The GeoJSON an area field holds (drawn on the map or typed); the services judge it."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise forms.ValidationError(_("Draw the area on the map.")) from exc
    if not isinstance(value, dict):
        raise forms.ValidationError(_("Draw the area on the map."))
    return value


def area_field(label: str | Promise) -> forms.CharField:
    """The GeoJSON text of a BIN area, which the map's drawing tools fill in; typing or
    pasting it stays possible for whoever cannot use the map."""
    return forms.CharField(
        label=label,
        max_length=20000,
        widget=text_area(3),
        help_text=_(
            "Draw the area on the map and this field fills itself; or type or paste a "
            "GeoJSON polygon here."
        ),
    )


class FoundingForm(forms.Form):
    name = forms.CharField(label=_("Name of the BIN"), max_length=120)
    municipality_id = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.order_by("name")
    )
    kind = forms.ChoiceField(label=_("Type of BIN"), choices=NetworkKind.choices)
    motivation = forms.CharField(
        label=_("Why does the neighbourhood want a BIN?"), max_length=2000, widget=text_area(5)
    )
    area = area_field(_("The proposed area (GeoJSON polygon)"))

    def clean_area(self) -> dict:
        return parse_area(self.cleaned_data["area"])


class AreaForm(forms.Form):
    """A BIN's new area, drawn by the zone's staff, and the step of the page: check the
    drawing, go back to it, or save it (which asks for `confirm`)."""

    CHECK, EDIT, SAVE = "check", "edit", "save"

    area = area_field(_("The area (GeoJSON polygon)"))
    confirm = forms.BooleanField(
        label=_("Yes, give this BIN the new area. Its coordinators and officers are told."),
        required=False,
    )
    step = forms.ChoiceField(choices=[(CHECK, CHECK), (EDIT, EDIT), (SAVE, SAVE)], required=False)

    def clean_area(self) -> dict:
        return parse_area(self.cleaned_data["area"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=text_area(4))


class DissolveForm(ReasonForm):
    confirm = forms.BooleanField(
        label=_("Yes, dissolve this BIN. Its members are told and their membership ends."),
        required=True,
    )


class AgreementForm(forms.Form):
    text = forms.CharField(label=_("Text of the agreement"), max_length=20000, widget=text_area(12))


class SignForm(forms.Form):
    party = forms.ChoiceField(
        label=_("I sign for"), choices=Party.choices, widget=forms.RadioSelect
    )


class DateForm(forms.Form):
    """One date, named as the service names it (set `field_name` and the label)."""

    def __init__(self, *args, field_name: str, label, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.field_name = field_name
        self.fields[field_name] = DateField(label=label, widget=date_input())

    @property
    def value(self):
        return self.cleaned_data[self.field_name]


class RegistrationReplyForm(forms.Form):
    reply_on = DateField(label=_("Reply received on"), widget=date_input())
    outcome = forms.ChoiceField(
        label=_("The ministry's answer"), choices=RegistrationOutcome.choices
    )
    reference = forms.CharField(label=_("Ministry's reference"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EvaluationForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=9999)
    held_on = DateField(label=_("Held on"), widget=date_input())
    summary = forms.CharField(label=_("Summary"), max_length=5000, widget=text_area(6))


class PersonChoiceForm(forms.Form):
    """A person chosen from a list of names; the service says whether they qualify."""

    person = forms.IntegerField(label=_("Member"), min_value=1, widget=forms.Select)

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].widget.choices = [("", "—")] + [(p.pk, p.full_name) for p in people]


class ScreeningForm(PersonChoiceForm):
    screened_on = DateField(label=_("Screened on"), widget=date_input())


class HandoverForm(PersonChoiceForm):
    reason = forms.CharField(
        label=_("Why it cannot wait for a members' meeting"), max_length=2000, widget=text_area(4)
    )


class OpenCaseForm(forms.Form):
    coordinator = forms.IntegerField(label=_("Coordinator"), min_value=1, widget=forms.Select)

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coordinator"].widget.choices = [("", "—")] + [
            (p.pk, p.full_name) for p in people
        ]


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=Step.choices)
    occurred_on = DateField(label=_("Date"), widget=date_input())
    reason = forms.CharField(label=_("Why"), max_length=3000, widget=text_area(4))
    authority = forms.CharField(
        label=_("Decided by (for a removal: the administrative authority)"),
        max_length=200,
        required=False,
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AppealOutcome.choices)
    decided_on = DateField(label=_("Decided on"), widget=date_input())


class CloseCaseForm(forms.Form):
    note = forms.CharField(label=_("Why the case is closed"), max_length=500, widget=text_area(3))


class RulesForm(forms.Form):
    """The bounds are the model's floors; the model (clean) and the database check them
    again, so this form is only the first place that explains them."""

    quorum_percent = forms.IntegerField(
        label=_("Quorum (% of the members)"), min_value=QUORUM_PERCENT_FLOOR, max_value=100
    )
    quorum_minimum = forms.IntegerField(
        label=_("Quorum (at least this many members)"),
        min_value=QUORUM_MINIMUM_FLOOR,
        max_value=10000,
    )
    notice_days = forms.IntegerField(
        label=_("Notice for a meeting that votes on a function (days)"),
        min_value=NOTICE_DAYS_FLOOR,
        max_value=NOTICE_DAYS_MAX,
    )
    proxies_allowed = forms.BooleanField(label=_("Absent members may give a proxy"), required=False)


class RoleChangeReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            ("approve", _("I approve: the function takes effect on its date")),
            ("object", _("I object: the function is not given")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why you object"), max_length=2000, required=False, widget=text_area(4)
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("verdict") == "object" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you object."))
        return data


# --- Consultations ----------------------------------------------------------------------------


class ConsultationForm(RowErrorsMixin, forms.Form):
    row_prefix = "action"

    held_on = DateField(label=_("Held on"), widget=date_input())
    topics = forms.CharField(label=_("Topics"), max_length=5000, widget=text_area(4))
    agreements = forms.CharField(
        label=_("Agreements made"), max_length=5000, required=False, widget=text_area(4)
    )
    next_on = DateField(
        label=_("Next consultation"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty to follow the plan's rhythm."),
    )

    def __init__(self, *args, owners=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.row_errors = {}
        choices = [("", "—")] + [(p.pk, p.full_name) for p in owners]
        for i in range(ACTION_ROWS):
            self.fields[f"action_{i}_description"] = forms.CharField(
                label=_("Action"), max_length=500, required=False
            )
            self.fields[f"action_{i}_owner"] = forms.IntegerField(
                label=_("Who"), required=False, min_value=1, widget=forms.Select(choices=choices)
            )
            self.fields[f"action_{i}_due_on"] = DateField(
                label=_("Due on"), required=False, widget=date_input()
            )

    def rows(self) -> list[dict]:
        return [
            {
                "number": i + 1,
                "fields": [
                    self[f"action_{i}_{name}"] for name in ("description", "owner", "due_on")
                ],
                "errors": self.row_errors.get(i, []),
            }
            for i in range(ACTION_ROWS)
        ]

    def actions(self) -> list[tuple[str, int | None, object]]:
        """The rows that were filled in (any field), in order."""
        found = []
        for i in range(ACTION_ROWS):
            description = self.cleaned_data.get(f"action_{i}_description") or ""
            owner = self.cleaned_data.get(f"action_{i}_owner")
            due_on = self.cleaned_data.get(f"action_{i}_due_on")
            if description.strip() or owner or due_on:
                found.append((description, owner, due_on))
        return found


# --- Meetings -----------------------------------------------------------------------------------


class MeetingForm(RowErrorsMixin, forms.Form):
    row_prefix = "decision"

    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=150)
    starts_at = DateTimeField(
        label=_("Starts at"), widget=datetime_input(), input_formats=[DATETIME_FORMAT]
    )
    ends_at = DateTimeField(
        label=_("Ends at"), widget=datetime_input(), input_formats=[DATETIME_FORMAT]
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    video_url = forms.CharField(
        label=_("Video link"),
        max_length=500,
        required=False,
        widget=forms.URLInput,
        help_text=_("Optional. A link that starts with https://."),
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        max_length=5000,
        required=False,
        widget=text_area(6),
        help_text=_("You can use Markdown: a line starting with - makes a list."),
    )

    def __init__(self, *args, candidates=(), kinds=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.row_errors = {}
        if kinds is not None:
            self.fields["kind"].choices = [c for c in MeetingKind.choices if c[0] in kinds]
        people = [("", "—")] + [(p.pk, p.full_name) for p in candidates]
        for i in range(DECISION_ROWS):
            self.fields[f"decision_{i}_function"] = forms.ChoiceField(
                label=_("Function"), choices=[("", "—"), *Function.choices], required=False
            )
            self.fields[f"decision_{i}_candidate"] = forms.IntegerField(
                label=_("Candidate"),
                required=False,
                min_value=1,
                widget=forms.Select(choices=people),
            )
            self.fields[f"decision_{i}_takes_effect_on"] = DateField(
                label=_("Takes effect on"), required=False, widget=date_input()
            )

    def rows(self) -> list[dict]:
        names = ("function", "candidate", "takes_effect_on")
        return [
            {
                "number": i + 1,
                "fields": [self[f"decision_{i}_{name}"] for name in names],
                "errors": self.row_errors.get(i, []),
            }
            for i in range(DECISION_ROWS)
        ]

    def decisions(self) -> list[tuple[str, int | None, object]]:
        found = []
        for i in range(DECISION_ROWS):
            function = self.cleaned_data.get(f"decision_{i}_function") or ""
            candidate = self.cleaned_data.get(f"decision_{i}_candidate")
            takes_effect_on = self.cleaned_data.get(f"decision_{i}_takes_effect_on")
            if function or candidate or takes_effect_on:
                found.append((function, candidate, takes_effect_on))
        return found


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no"), ("maybe", "maybe")])


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("Who is present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(p.pk, p.full_name) for p in people]


class ProxyForm(forms.Form):
    giver = forms.IntegerField(label=_("Absent member who gives the proxy"), min_value=1)
    holder = forms.IntegerField(label=_("Member present who holds it"), min_value=1)

    def __init__(self, *args, people=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(p.pk, p.full_name) for p in people]
        self.fields["giver"].widget = forms.Select(choices=choices)
        self.fields["holder"].widget = forms.Select(choices=choices)


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices)
    on_behalf_of = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        max_length=20000,
        widget=text_area(16),
        help_text=_("You can use Markdown. Members read the minutes once they are approved."),
    )
