from datetime import datetime, time, timedelta

from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import AuditAction

# The kinds of object entries are written about, in the order the filter offers them.
OBJECT_MODELS = (
    "networks.network",
    "networks.membership",
    "reports.report",
    "plans.communicationplan",
    "plans.plantemplate",
)


def object_type_label(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Who (name or e-mail)"), max_length=100, required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    object_id = forms.CharField(label=_("Object number"), max_length=64, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Everything")), *AuditAction.choices]
        self.fields["object_type"].choices = [
            ("", _("Any object")),
            *((label, capfirst(object_type_label(label))) for label in OBJECT_MODELS),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date lies before the start date."))
        return data

    def filters(self) -> dict:
        """The search as `services.search` takes it: whole local days, end included."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def start_of(day):
            return timezone.make_aware(datetime.combine(day, time.min), zone)

        return {
            "actor": data["actor"],
            "action": data["action"],
            "since": start_of(data["since"]) if data["since"] else None,
            "until": start_of(data["until"] + timedelta(days=1)) if data["until"] else None,
            "object_type": data["object_type"],
            "object_id": data["object_id"],
        }
