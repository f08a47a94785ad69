"""The HTML pages where a person creates and revokes their API tokens."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from buurtnet.common.form_errors import apply_errors

from . import services
from .forms import TokenForm
from .models import ApiToken, Scope


@login_required
@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    max_days = services.max_lifetime_days(request.user)
    form = TokenForm(request.POST or None, max_days=max_days)
    second_factor = services.session_passed_second_factor(request)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.create_token(
                request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
                second_factor=second_factor,
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # The secret is in this one answer only (never_cache: not kept by a browser
            # or proxy); the database keeps its hash.
            return render(request, "api/token_created.html", {"token": token, "secret": secret})
    tokens = ApiToken.objects.filter(person=request.user)
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "scope_labels": dict(Scope.choices),
            "max_tokens": services.max_tokens_per_person(),
            # Police and staff confirm their second factor in this session first.
            "confirm_second_factor": max_days is not None and not second_factor,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoking cannot be undone and stops the systems that use the token at once: the
    page asks first, the POST revokes."""
    token = get_object_or_404(ApiToken, pk=token_id, person=request.user)
    if request.method == "GET" or not token.is_active:
        if not token.is_active:
            return redirect("api_tokens:list")
        return render(request, "api/token_revoke.html", {"token": token})
    services.revoke_token(request.user, token, request=request)
    flash.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
