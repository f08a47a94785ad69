from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CapFeed, CapSettings


class SettingsForm(forms.ModelForm):
    class Meta:
        model = CapSettings
        fields = ["send_at_once"]


class FeedForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("A CAP 1.2 document, or an Atom or RSS feed of CAP alerts."),
    )

    class Meta:
        model = CapFeed
        fields = ["name", "url", "poll_every_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["poll_every_minutes"].min_value = 1
        self.fields["poll_every_minutes"].max_value = 1440
        self.fields["poll_every_minutes"].widget.attrs.update({"min": 1, "max": 1440})

    def clean_poll_every_minutes(self) -> int:
        value = self.cleaned_data["poll_every_minutes"]
        if not 1 <= value <= 1440:
            raise forms.ValidationError(_("Read the feed every 1 to 1440 minutes."))
        return value


class RemoveFeedForm(forms.Form):
    remove = forms.IntegerField(min_value=1, max_value=2**31 - 1)
