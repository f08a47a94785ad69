"""A URLconf for the Sentry test: one view that fails with personal data all around it."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

EMAIL = "jan.peeters@example.be"
PHONE = "+32 470 12 34 56"


def failing(request: HttpRequest) -> HttpResponse:
    member_email = EMAIL  # a local variable Sentry could otherwise send
    member_phone = PHONE
    raise ValueError(f"cannot reach {member_email} at {member_phone}")


def failing_with_token(request: HttpRequest, token: str) -> HttpResponse:
    """Like the links in messages: a secret token in the path (a seen receipt, a feed)."""
    raise ValueError("this link failed")


urlpatterns = [
    path("fail/", failing, name="fail"),
    path("seen/<str:token>/", failing_with_token, name="seen"),
]
