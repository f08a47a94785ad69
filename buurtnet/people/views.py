from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import services
from .forms import PhoneCodeForm, PhoneForm, PreferencesForm, ProfileForm
from .phones import can_receive_sms, display_phone


def _next_url(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details have been saved."))
        return redirect(_next_url(request))
    return render(request, "people/profile.html", {"form": form, "next": _next_url(request, "")})


@login_required
def phone(request: HttpRequest) -> HttpResponse:
    """Give a phone number (step 1) and confirm it with the texted code (step 2)."""
    person = request.user
    phone_form = PhoneForm(initial={"phone": display_phone(person.phone)})
    code_form = PhoneCodeForm()
    if request.method == "POST" and "phone" in request.POST:
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                services.start_phone_verification(person, phone_form.cleaned_data["phone"])
            except ValidationError as exc:
                phone_form.add_error("phone", exc)
            else:
                if can_receive_sms(person.phone):
                    sent = _("We texted a code to %(phone)s.")
                else:
                    sent = _("We are calling %(phone)s to read out your code.")
                messages.info(request, sent % {"phone": display_phone(person.phone)})
    elif request.method == "POST" and "code" in request.POST:
        code_form = PhoneCodeForm(request.POST)
        if code_form.is_valid():
            try:
                services.confirm_phone(person, code_form.cleaned_data["code"])
            except ValidationError as exc:
                code_form.add_error("code", exc)
            else:
                messages.success(request, _("Your phone number is confirmed."))
                return redirect(_next_url(request))
    return render(
        request,
        "people/phone.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "awaiting_code": bool(person.phone) and not person.phone_verified,
            "phone_display": display_phone(person.phone),
            "next": _next_url(request, ""),
        },
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "language": person.language,
            "channels": person.channels,
            "quiet_hours_start": person.quiet_hours_start,
            "quiet_hours_end": person.quiet_hours_end,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_preferences(person, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your preferences have been saved."))
            return redirect("people:preferences")
    return render(request, "people/preferences.html", {"form": form})
