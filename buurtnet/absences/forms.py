from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AbsenceSettings
from .services import AbsenceInput

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format=ISO_DATE, **kwargs)


class AbsenceForm(forms.Form):
    # The home is the address in the person's profile, shown on the page, not a field.
    # Required fields are checked by the service together with the place and the zone's
    # limits, so that every problem shows at once, in words a resident understands.
    starts_on = forms.DateField(
        label=_("The day you leave"),
        required=False,
        input_formats=[ISO_DATE, "%d/%m/%Y"],
        widget=DateInput(),
    )
    ends_on = forms.DateField(
        label=_("The day you come back"),
        required=False,
        input_formats=[ISO_DATE, "%d/%m/%Y"],
        widget=DateInput(),
    )
    contact_name = forms.CharField(
        label=_("Name of a person the police can call"),
        max_length=120,
        required=False,
        help_text=_("Someone who can come to your home, for example a neighbour with a key."),
    )
    contact_phone = forms.CharField(
        label=_("Phone number of that person"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("For example 0470 12 34 56."),
    )
    remarks = forms.CharField(
        label=_("Anything the police should know"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: a car stays in the drive, the alarm is on, a neighbour empties "
            "the letterbox, the lights go on by a timer."
        ),
    )

    def __init__(self, *args, today=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if today is not None:
            # Greys out past days in the phone's date picker; the service decides.
            for name in ("starts_on", "ends_on"):
                self.fields[name].widget.attrs["min"] = today.isoformat()

    def absence_input(self) -> AbsenceInput:
        data = self.cleaned_data
        return AbsenceInput(
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            contact_name=data.get("contact_name", ""),
            contact_phone=data.get("contact_phone", ""),
            remarks=data.get("remarks", ""),
        )


class PassForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=300,
        required=False,
        help_text=_("For example: all closed; window open at the back, called the contact."),
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = AbsenceSettings
        fields = ["open_to_residents", "max_days", "retention_days", "lookahead_days"]
