"""Form fields shared by several apps, and the project-wide rule on control characters in
text fields."""

import unicodedata

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


class IdChoiceField(forms.ModelMultipleChoiceField):
    """Refuses values that are not plausible ids before they reach the database (SQLite
    overflows on an integer past 64 bits instead of answering "no such row")."""

    def _check_values(self, value):
        for item in value:
            text = str(item)
            if not text.isdigit() or int(text) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super()._check_values(value)


# The value of an <input type="datetime-local">: local time, to the minute.
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class LocalMinuteField(forms.DateTimeField):
    """A moment picked in the browser's date-and-time control, in local time to the minute
    ("2026-05-01 14:30", typed where the browser has no such control, is taken too)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", [LOCAL_MINUTE, "%Y-%m-%d %H:%M"])
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)
        )
        super().__init__(**kwargs)


# --- Control characters in text --------------------------------------------------------------
#
# A line break in a one-line field (a message title) ends up in an e-mail header, a CSV cell,
# a file name or an SMS sender line, where it splits what follows or crashes the worker.
# Text fields are therefore checked in one place for the whole project, not form by form:
#
# - every ``forms.CharField`` (and subclass: e-mail, URL, slug…) of every form refuses
#   control characters when its form is validated. Whether the field is one line or several is
#   read from its widget at that moment (a form may swap the widget in ``__init__``): a
#   ``Textarea`` accepts line breaks and tabs, any other widget accepts none. Password inputs
#   are left alone: a password is never shown nor put in a header, and refusing one could lock
#   a person out. This is a patch of Django's ``CharField.validate``, installed once by
#   ``install_text_rules`` (Django itself refuses NUL in every CharField the same way).
# - every model ``CharField`` of Buurtnet's apps gets the one-line validator, and every model
#   ``TextField`` the multi-line one, so ``full_clean`` (model forms, services) refuses them
#   too. The validators join the field's ``validators`` list the way Django adds its own
#   max-length validator, so migrations do not see them. The few model ``CharField``s that
#   hold several lines (a reason typed in a text area, an error text) are named in
#   ``MULTILINE_MODEL_FIELDS``.
#
# A one-line field refuses Unicode categories Cc (C0, DEL, C1) and Cf (invisible format
# characters such as bidirectional overrides and zero-width spaces: "gpj.exe" shown as
# "exe.jpg") and the line and paragraph separators U+2028 and U+2029, but keeps the three
# format characters ordinary text holds: the soft hyphen, and the zero-width joiner and
# non-joiner of emoji sequences (a family emoji) and of some scripts. A multi-line field
# refuses Cc other than line feed, carriage return and tab; format characters stay (a soft
# hyphen pasted from a word processor, the joiners of an emoji sequence). The API applies the
# same rules (buurtnet/api/schemas.py).

MULTILINE_MODEL_FIELDS = frozenset(
    {
        "networks.NetworkStatusChange.note",
        "networks.Membership.decision_reason",
        "networks.Membership.motivation",
        "networks.MembershipChange.reason",
        "delivery.Delivery.error",
        "messaging.Message.decision_note",
        "messaging.MessageText.sms_text",
        "prevention.TipText.sms_text",
        "prevention.CampaignSend.error",
        "governance.CharterRegistration.reply_note",
        "governance.CoordinatorCase.close_note",
        "governance.RoleChange.drop_reason",
        "governance.RoleChange.reason",
        "governance.ConsultationAction.description",
        "cap.CapFeed.last_error",
        "webhooks.WebhookDelivery.last_error",
    }
)

LINE_BREAKS = "\n\r\t"
SEPARATORS = "\u2028\u2029"
HARMLESS_FORMAT = "\u00ad\u200c\u200d"  # soft hyphen, zero-width non-joiner and joiner


def is_control(char: str, *, multiline: bool) -> bool:
    """Whether `char` has no place in a one-line (or, with `multiline`, a multi-line) text."""
    if multiline:
        return char not in LINE_BREAKS and unicodedata.category(char) == "Cc"
    if char in SEPARATORS:
        return True
    category = unicodedata.category(char)
    return category == "Cc" or (category == "Cf" and char not in HARMLESS_FORMAT)


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    # str.isprintable() is true for nearly every ordinary text and costs one pass in C.
    if text.isprintable():
        return False
    return any(is_control(char, multiline=multiline) for char in text)


@deconstructible
class SingleLineValidator:
    """Refuses line breaks and other control characters (see the comment above)."""

    multiline = False
    message = _("This field must be on one line, without control characters.")
    code = "control_characters"

    def __call__(self, value) -> None:
        if isinstance(value, str) and has_control_characters(value, multiline=self.multiline):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


@deconstructible
class MultiLineValidator(SingleLineValidator):
    """Allows line breaks and tabs, refuses every other control character."""

    multiline = True
    message = _("This field may not contain control characters.")


def _validate_without_control_characters(field: forms.CharField, value) -> None:
    _validate_without_control_characters.django_validate(field, value)
    if isinstance(field.widget, forms.PasswordInput):
        return
    if isinstance(field.widget, forms.Textarea):
        MultiLineValidator()(value)
    else:
        SingleLineValidator()(value)


def install_text_rules() -> None:
    """Installs the control-character rules described above; called once from
    ``buurtnet.core``'s ``ready()``, after every model is loaded."""
    if forms.CharField.validate is not _validate_without_control_characters:
        _validate_without_control_characters.django_validate = forms.CharField.validate
        forms.CharField.validate = _validate_without_control_characters
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("buurtnet."):
            continue
        for model in app_config.get_models():
            for field in model._meta.local_fields:
                validator = _model_field_validator(model, field)
                if validator is not None and validator not in field.validators:
                    field.validators.append(validator)


def _model_field_validator(model, field) -> SingleLineValidator | None:
    if isinstance(field, models.TextField):
        return MultiLineValidator()
    if isinstance(field, models.CharField):
        if f"{model._meta.label}.{field.name}" in MULTILINE_MODEL_FIELDS:
            return MultiLineValidator()
        return SingleLineValidator()
    return None


def fold_to_line(text: str) -> str:
    """Text from another system (or for a mail header) made fit for one line instead of
    refused: other control and format characters go, then every run of white space (line
    breaks included) becomes one space."""
    if has_control_characters(text):
        text = "".join(
            char for char in text if char.isspace() or not is_control(char, multiline=False)
        )
    return " ".join(text.split())


def without_control_characters(text: str) -> str:
    """Text from another system made fit for a multi-line field: line breaks and tabs stay,
    other control characters go."""
    if not has_control_characters(text, multiline=True):
        return text
    return "".join(char for char in text if not is_control(char, multiline=True))
