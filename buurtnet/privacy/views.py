import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import EraseForm


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/my_data.html",
        {
            "data": services.export(request.user),
            "purposes": services.purposes(request.user),
        },
    )


@login_required
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    data = services.export(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"buurtnet-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    person = request.user
    form = EraseForm(request.POST or None, person=person)
    blockers = services.erasure_blockers(person)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase(person)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            logout(request)
            messages.success(request, _("Your account and your personal data have been erased."))
            return redirect("home")
    return render(request, "privacy/erase.html", {"form": form, "blockers": blockers})


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "privacy:my_data"


@login_required
@require_POST
def withdraw(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        cancelled = services.withdraw_consent(request.user, kind)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Your consent is withdrawn. Messages waiting for this channel: %(n)s cancelled.")
            % {"n": cancelled},
        )
    return redirect(_back(request))


@login_required
@require_POST
def give(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        enabled = services.give_consent(request.user, kind)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if enabled:
            messages.success(request, _("Thank you: your consent is recorded and the channel on."))
        else:
            messages.info(
                request,
                _(
                    "Your consent is recorded. The channel goes on once you have confirmed a "
                    "phone number that can take it: text messages go to mobile numbers only."
                ),
            )
    return redirect(_back(request))
