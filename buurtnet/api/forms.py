from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Scope
from .schemas import single_line_error

DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “dispatch system”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What the token may do"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("It can never do more than you may do on the site."),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("At most one year from today."),
    )

    def __init__(self, *args, max_days: int | None = None, **kwargs) -> None:
        """max_days: the shorter life of a police or staff token (API_STAFF_TOKEN_DAYS)."""
        self.max_days = max_days
        days = min(DEFAULT_LIFETIME_DAYS, max_days or DEFAULT_LIFETIME_DAYS)
        kwargs.setdefault("initial", {"expires_on": timezone.localdate() + timedelta(days=days)})
        super().__init__(*args, **kwargs)
        if max_days is not None:
            self.fields["expires_on"].help_text = ngettext(
                "A police or staff token lives at most %(days)s day.",
                "A police or staff token lives at most %(days)s days.",
                max_days,
            ) % {"days": max_days}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        refused = single_line_error(name)
        if refused:
            raise forms.ValidationError(refused)
        return name

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("Choose a day after today."))
        if day > today + timedelta(days=MAX_LIFETIME_DAYS):
            raise forms.ValidationError(_("A token may live at most one year."))
        if self.max_days is not None and day > today + timedelta(days=self.max_days):
            raise forms.ValidationError(self.fields["expires_on"].help_text)
        return day

    def expires_at(self) -> datetime:
        """The start of the chosen day, local time: the token works until that day."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.min))
