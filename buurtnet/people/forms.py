from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from .models import Channel, Language, Person


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, with an existing address costing what a new one costs.

    For an address already registered allauth creates nothing and mails the owner instead
    (ACCOUNT_PREVENT_ENUMERATION): the page is the same, but without the password hash, the
    slowest step of a real sign-up, the answer came back faster and told who is registered.
    So the password is hashed (and thrown away) there too; both paths queue one mail.
    """

    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """allauth's request for a log-in code, with a throttle message of its own: the shared
    one speaks of failed log-ins, and this form is where someone goes after them."""

    def clean_email(self) -> str:
        try:
            return super().clean_email()
        except forms.ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            raise forms.ValidationError(
                _(
                    "Too many log-in codes were asked for from your connection. Wait a minute "
                    "and try again."
                ),
                code="too_many_code_requests",
            ) from error


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["full_name", "language"]
        labels = {"full_name": _("Your name"), "language": _("Language of your messages")}

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."))
        return name


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=30,
        help_text=_(
            "For example 0470 12 34 56. We text a code to a mobile number; a landline gets a "
            "voice call with the code, and messages by voice call only."
        ),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("The six-digit code we sent you"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of your messages"), choices=Language.choices)
    channels = forms.MultipleChoiceField(
        label=_("How do you want to receive messages?"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("No messages then, except urgent alerts."),
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
