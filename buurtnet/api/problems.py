"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API gives is one JSON object with `type`, `title`, `status` and `detail`,
plus members that say more (`errors` for field errors, `scope` for a missing scope). Raise
`Problem` from an endpoint, or let a Django `ValidationError`, `PermissionDenied` or
`Http404` escape from a service: `install(api)` turns each into the matching problem.
"""

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from buurtnet.common.limits import RateLimited

CONTENT_TYPE = "application/problem+json"
# Problem types are listed in docs/api.md. "about:blank" would do, but a named type lets a
# client tell a missing scope from another 403. A URN promises no page to fetch.
TYPE_BASE = "urn:buurtnet:problem:"

FieldErrors = dict[str, list[str]]


class Problem(Exception):
    """An error answer. `extra` members are added to the JSON object as they are."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type: str = "",  # noqa: A002 (the RFC's member name)
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers or {}
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.type if self.type else "about:blank",
            "title": str(self.title),
            "status": self.status,
        }
        if self.detail:
            body["detail"] = str(self.detail)
        body.update(self.extra)
        return body


class ProblemOut(Schema):
    """The shape of every error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: dict[str, list[str]] | None = None
    scope: str | None = None


def problem_response(problem: Problem, request: HttpRequest | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem.as_dict(), default=str),
        status=problem.status,
        content_type=CONTENT_TYPE,
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


# --- Shorthands for the common ones -------------------------------------------------------


def unauthorized(detail: str = "") -> Problem:
    return Problem(
        401,
        _("Not authenticated"),
        detail or _("Send a valid, unexpired API token as 'Authorization: Bearer <token>'."),
        type="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="buurtnet"'},
    )


def forbidden(detail: str = "", **extra: Any) -> Problem:
    return Problem(
        403, _("Forbidden"), detail or _("You may not do this."), type="forbidden", **extra
    )


def not_found(detail: str = "") -> Problem:
    return Problem(
        404, _("Not found"), detail or _("No such object, or you may not see it."), type="not-found"
    )


def invalid(errors: FieldErrors, detail: str = "", status: int = 422) -> Problem:
    return Problem(
        status,
        _("Invalid input"),
        detail or _("Some values are not valid; see 'errors'."),
        type="invalid",
        errors=errors,
    )


def field_errors(exc: DjangoValidationError) -> FieldErrors:
    """A Django ValidationError as {field: [messages]}; errors not tied to a field go
    under "__all__"."""
    if hasattr(exc, "error_dict"):
        return {
            field: [str(message) for error in errors for message in error.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(message) for message in exc.messages]}


SOURCES = ("body", "query", "path", "header")
BODY_PARAMETER = "payload"  # what every endpoint calls its JSON body


def _location(loc: tuple | list) -> str:
    # ninja reports ("body", "payload", "field", …) or ("query", "field"); clients know the
    # field by its own name. Only the leading source is dropped: a field may be called
    # "body" too (texts.en.body).
    parts = [str(p) for p in loc]
    if parts and parts[0] in SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body" and parts[:1] == [BODY_PARAMETER]:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


# --- Handlers -------------------------------------------------------------------------------


def install(api) -> None:
    """Register the handlers on a NinjaAPI instance."""

    def on_problem(request, exc: Problem):
        return problem_response(exc, request)

    def on_django_validation(request, exc: DjangoValidationError):
        if isinstance(exc, RateLimited):  # a limit of buurtnet.common.limits: 429, not 422
            limited = Problem(
                429,
                _("Too many requests"),
                exc.messages[0],
                type="rate-limited",
                headers={"Retry-After": str(exc.retry_after)},
            )
            return problem_response(limited, request)
        return problem_response(invalid(field_errors(exc)), request)

    def on_ninja_validation(request, exc: NinjaValidationError):
        errors: FieldErrors = {}
        for error in exc.errors:
            errors.setdefault(_location(error.get("loc", ())), []).append(str(error.get("msg")))
        # A malformed query or body is a bad request; the shape of the errors is the same.
        return problem_response(invalid(errors, status=400), request)

    def on_permission_denied(request, exc: PermissionDenied):
        return problem_response(forbidden(str(exc) if str(exc) else ""), request)

    def on_not_found(request, exc: Http404):
        return problem_response(not_found(), request)

    def on_authentication(request, exc: AuthenticationError):
        return problem_response(unauthorized(), request)

    def on_authorization(request, exc: AuthorizationError):
        return problem_response(forbidden(), request)

    def on_http_error(request, exc: HttpError):
        return problem_response(Problem(exc.status_code, str(exc) or _("Error")), request)

    api.add_exception_handler(Problem, on_problem)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(AuthorizationError, on_authorization)
    api.add_exception_handler(HttpError, on_http_error)


# The error answers every authenticated endpoint may give, for `response=` in the schema.
AUTH_PROBLEMS = {401: ProblemOut, 403: ProblemOut, 429: ProblemOut}
