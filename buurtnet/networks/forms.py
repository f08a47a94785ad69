from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Municipality, NetworkStatus


class LocationForm(forms.Form):
    """Where the applicant lives: an address, or a point picked on the map."""

    street = forms.CharField(label=_("Street"), max_length=120, required=False)
    house_number = forms.CharField(label=_("House number"), max_length=12, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=4, required=False)
    city = forms.CharField(label=_("Municipality"), max_length=80, required=False)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)

    def clean_postcode(self) -> str:
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not (postcode.isdigit() and len(postcode) == 4):
            raise forms.ValidationError(_("A Belgian postcode has four digits."))
        return postcode

    def clean(self):
        data = super().clean()
        has_point = data.get("longitude") is not None and data.get("latitude") is not None
        has_address = data.get("street") and data.get("postcode")
        if not has_point and not has_address and not self.errors:
            raise forms.ValidationError(
                _("Give your street, house number and postcode, or tap your home on the map.")
            )
        return data


class MapAreaForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Show the map of"), queryset=Municipality.objects.all(), required=False
    )


class ZoneMapFilterForm(forms.Form):
    """Which BINs of a zone the zone map and its list show: both filters are optional."""

    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        required=False,
        empty_label=_("All municipalities"),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, zone, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Only what the choice needs: a municipality's outline can be large.
        self.fields["municipality"].queryset = (
            Municipality.objects.filter(zone=zone).only("id", "name").order_by("name")
        )
        self.fields["status"].choices = [("", _("All statuses")), *NetworkStatus.choices]

    def filters(self) -> dict:
        """The valid filters as queryset lookups on Network; an invalid one is left out
        (its message shows next to its field)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        found = {}
        if data.get("municipality"):
            found["municipality"] = data["municipality"]
        if data.get("status"):
            found["status"] = data["status"]
        return found


class ApplyForm(forms.Form):
    accept_charter = forms.BooleanField(
        label=_("I have read the charter of this network and agree to it."), required=True
    )
    accept_privacy = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data is used as it describes."),
        required=True,
    )
    motivation = forms.CharField(
        label=_("A message to the coordinator (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("decline", _("Decline"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason (required when you decline)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not data.get("reason", "").strip():
            self.add_error(
                "reason", _("Give a reason when you decline; the applicant will read it.")
            )
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), max_length=100, required=False)
