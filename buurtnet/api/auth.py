"""Token authentication and scopes for the API.

`auth=token_auth` on a Router or an endpoint: the request must carry
`Authorization: Bearer <token>` with an active token its person may use (police and staff:
made after a second factor, see services.refusal), and the calls of the token and of its
person in the current window must be within the rate limits. `request.auth` is then the
ApiToken (its `.person` is the caller) and `request.user` the person, so code shared with
the site (services, `Standing.of(request.user)`) works unchanged.

Scopes limit what a token may do on top of what the person may do: `require_scope(request,
"messages:write")` at the top of an endpoint. A scope never grants a permission the
person lacks on the site.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from . import services
from .models import ApiToken, Scope
from .problems import Problem, forbidden, unauthorized


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header)
        if not header:
            return None  # ninja answers 401 (the AuthenticationError handler)
        scheme, _space, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise unauthorized(_("The Authorization header must be 'Bearer <token>'."))
        return self.authenticate(request, raw)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = services.authenticate(token)
        if found is None:
            raise unauthorized(_("The token is invalid, expired or revoked."))
        # The site's rules for the person: a second factor for police and staff, and their
        # tokens' shorter life.
        refused = services.refusal(found)
        if refused:
            raise unauthorized(refused)
        throttled = services.throttle(found)
        if throttled:
            raise Problem(
                429,
                _("Too many requests"),
                throttled.message,
                type="rate-limited",
                headers={"Retry-After": str(throttled.wait)},
            )
        services.note_use(found)
        request.user = found.person
        return found


token_auth = TokenAuth()


def require_scope(request: HttpRequest, scope: str) -> None:
    """Raise the 403 problem unless the request's token carries the scope."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise unauthorized()
    if not token.has_scope(scope):
        raise forbidden(
            _("This token lacks the scope '%(scope)s'.") % {"scope": scope},
            scope=scope,
        )


__all__ = ["Scope", "require_scope", "token_auth"]
