"""The dashboard's period: a GET form, so a period can be bookmarked and shared."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from buurtnet.governance.forms import DateField, date_input

from .figures import Period


class PeriodForm(forms.Form):
    start = DateField(label=_("From"), widget=date_input())
    end = DateField(label=_("To"), widget=date_input())

    def __init__(self, data=None, **kwargs) -> None:
        # Without a period in the URL: the last twelve months, valid at once.
        if data is not None and not (data.get("from") or data.get("to")):
            data = None
        default = Period.last_twelve_months()
        super().__init__(data, initial={"start": default.start, "end": default.end}, **kwargs)
        self.default = default

    def add_prefix(self, field_name: str) -> str:
        # The query string says ?from=…&to=… (shorter, and the names the CSV links use).
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:
                self.period_value = Period(start, end)
            except ValidationError as error:
                raise ValidationError(error.messages) from error
        return cleaned

    @property
    def period(self) -> Period | None:
        """The valid period, the default one when none was asked for; None when invalid."""
        if not self.is_bound:
            return self.default
        return getattr(self, "period_value", None) if self.is_valid() else None
