import time
from datetime import timedelta

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.utils import timezone

from buurtnet.api import services
from buurtnet.api.models import Scope
from buurtnet.networks.tests.test_views import log_in


def give_second_factor(person) -> Authenticator:
    return Authenticator.objects.get_or_create(
        user=person, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )[0]


def make_token(person, scopes=None, days: int = 30) -> str:
    """A token as the token page makes it: police and staff have a second factor and
    made it in a session that passed it."""
    staff = services.must_use_second_factor(person)
    if staff:
        give_second_factor(person)
    _token, secret = services.create_token(
        person,
        name="test system",
        scopes=list(scopes or Scope.values),
        expires_at=timezone.now() + timedelta(days=days),
        second_factor=staff,
    )
    return secret


def log_in_with_second_factor(client, person):
    """Log in as after a TOTP code at the log-in (allauth's record of it in the session)."""
    authenticator = give_second_factor(person)
    log_in(client, person)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"}
    ]
    session["account_authentication_methods_user"] = str(person.pk)
    session.save()
    return client


class Api:
    """A client for /api/v1/ that sends a person's token."""

    def __init__(self, client) -> None:
        self.client = client
        self._tokens: dict[int, str] = {}

    def token(self, person, scopes=None) -> str:
        if scopes is not None:
            return make_token(person, scopes)
        if person.pk not in self._tokens:
            self._tokens[person.pk] = make_token(person)
        return self._tokens[person.pk]

    def get(self, person, path: str, scopes=None, **params):
        return self.client.get(
            f"/api/v1{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.token(person, scopes)}"
        )

    def post(self, person, path: str, data=None, scopes=None):
        return self.client.post(
            f"/api/v1{path}",
            data or {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token(person, scopes)}",
        )


@pytest.fixture
def api(client) -> Api:
    return Api(client)
