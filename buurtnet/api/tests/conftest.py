from datetime import timedelta

import pytest
from django.utils import timezone

from buurtnet.api import services
from buurtnet.api.models import Scope


def make_token(person, scopes=None, days: int = 30) -> str:
    _token, secret = services.create_token(
        person,
        name="test system",
        scopes=list(scopes or Scope.values),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return secret


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
