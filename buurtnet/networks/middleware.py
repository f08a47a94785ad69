"""Officers, zone staff, municipal partners and administrators log in with a second factor.

It lives with `Standing` (who is police or staff), not with the accounts in `people`: the
accounts sit below the networks and know nothing of roles.
"""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .permissions import Standing

# Pages a staff member without a second factor may still reach: setting one up,
# logging out, the language switch, static files, the probes and the metrics.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz", "/metrics", "/i18n/")
SESSION_KEY = "buurtnet_second_factor_ok"
# What counts as a second factor: an authenticator app or a passkey / security key.
# (Recovery codes are a fallback for these, not a factor of their own.)
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class StaffSecondFactorMiddleware:
    """Officers, zone staff, municipal partners and administrators must set up a second
    factor (an authenticator app or a passkey) before anything else.

    The person's standing is computed here once per request and reused by the views;
    whether a staff member has a second factor is remembered in the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_second_factor(request):
            messages.warning(
                request,
                _(
                    "Police and staff accounts need a second factor. "
                    "Set up an authenticator app or a passkey to continue."
                ),
            )
            # allauth's two-factor page offers both: activate TOTP or add a security key.
            return redirect("mfa_index")
        return self.get_response(request)

    def _must_set_up_second_factor(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return False
        if not Standing.of(user).is_police_or_staff or request.session.get(SESSION_KEY):
            return False
        if Authenticator.objects.filter(user=user, type__in=SECOND_FACTOR_TYPES).exists():
            request.session[SESSION_KEY] = True
            return False
        return True
