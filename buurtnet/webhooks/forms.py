from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventType
from .services import EndpointInput


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where your system receives the events; https:// only."),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def endpoint_input(self) -> EndpointInput:
        data = self.cleaned_data
        return EndpointInput(
            url=data["url"],
            events=list(data["events"]),
            is_active=data.get("is_active", False),
            description=data.get("description", ""),
        )
