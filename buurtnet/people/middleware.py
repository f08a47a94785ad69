from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from buurtnet.networks.permissions import Standing

# Pages a staff member without a second factor may still reach: setting one up,
# logging out, the language switch, static files and the health probe.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")
SESSION_KEY = "buurtnet_second_factor_ok"


class StaffSecondFactorMiddleware:
    """Officers, zone staff and administrators must set up TOTP before anything else.

    The person's standing is computed here once per request and reused by the views;
    whether a staff member has a TOTP device is remembered in the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_second_factor(request):
            messages.warning(
                request,
                _(
                    "Police and staff accounts need a second factor. "
                    "Set up an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_set_up_second_factor(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return False
        if not Standing.of(user).is_police_or_staff or request.session.get(SESSION_KEY):
            return False
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            request.session[SESSION_KEY] = True
            return False
        return True
