"""Signing up with an address already registered does the same work as a new sign-up, so
neither the page nor its timing tells who is registered."""

import pytest
from django.contrib.auth.hashers import get_hasher
from django.urls import reverse

from buurtnet.delivery.models import OutboxMessage
from buurtnet.people.models import Person
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Tournesol-2026!"


@pytest.fixture
def expensive_steps(monkeypatch):
    """Records the password hashes computed and the mails queued."""
    steps = []
    hasher_class = type(get_hasher())
    encode = hasher_class.encode

    def counting_encode(self, password, salt, *args, **kwargs):
        steps.append("hash")
        return encode(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher_class, "encode", counting_encode)
    monkeypatch.setattr(
        "buurtnet.people.adapters.send_code",
        lambda person, *, to, **fields: steps.append(f"queue mail to {to}"),
    )
    return steps


def sign_up(client, email: str):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_existing_and_new_address_do_the_same_expensive_work(client, expensive_steps):
    PersonFactory(email="known@example.be")
    expensive_steps.clear()

    existing = sign_up(client, "known@example.be")
    existing_steps = list(expensive_steps)
    expensive_steps.clear()
    client.logout()
    new = sign_up(client, "new@example.be")

    assert Person.objects.filter(email="new@example.be").exists()
    assert existing["Location"] == new["Location"]
    assert existing_steps == ["hash", "queue mail to known@example.be"]
    assert expensive_steps == ["hash", "queue mail to new@example.be"]


def test_no_sign_up_mail_is_sent_while_the_visitor_waits(client):
    PersonFactory(email="known@example.be")

    sign_up(client, "known@example.be")
    sign_up(client, "new@example.be")

    # Mails leave after the commit, through the task worker: none during the request.
    assert not OutboxMessage.objects.exists()
