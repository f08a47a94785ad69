from django import forms
from django.utils.translation import gettext_lazy as _


class EraseForm(forms.Form):
    """Erasure cannot be undone: the person types their e-mail address to confirm."""

    email = forms.EmailField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email != self.person.email.lower():
            raise forms.ValidationError(
                _("This is not the e-mail address of your account."), code="mismatch"
            )
        return email
