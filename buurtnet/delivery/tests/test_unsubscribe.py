"""One-click unsubscribe (RFC 8058): signed links that work without logging in."""

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from buurtnet.delivery.unsubscribe import read_token, unsubscribe_url
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return PersonFactory(channels=["email", "sms", "inapp"])


@pytest.fixture
def mail_client():
    """A mail client posting List-Unsubscribe=One-Click: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def path_of(url: str) -> str:
    return urlsplit(url).path


def one_click(client: Client, url: str):
    return client.post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def test_unsubscribe_url_is_absolute_on_the_site(settings, person):
    settings.SITE_URL = "https://buurtnet.example.be"
    assert unsubscribe_url(person.pk).startswith(
        "https://buurtnet.example.be/channels/unsubscribe/"
    )


def test_unsubscribe_url_carries_person_and_channel(person):
    token = path_of(unsubscribe_url(person.pk, "sms")).rsplit("/", 1)[1]
    assert read_token(token) == (person.pk, "sms")


def test_inapp_inbox_has_no_unsubscribe_link(person):
    with pytest.raises(ValueError):
        unsubscribe_url(person.pk, "inapp")


def test_opening_the_link_asks_and_changes_nothing(mail_client, person):
    response = mail_client.get(path_of(unsubscribe_url(person.pk)))
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    person.refresh_from_db()
    assert person.channels == ["email", "sms", "inapp"]


def test_one_click_post_removes_the_email_channel(mail_client, person):
    response = one_click(mail_client, unsubscribe_url(person.pk))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.channels == ["sms", "inapp"]


def test_one_click_post_removes_only_the_linked_channel(mail_client, person):
    one_click(mail_client, unsubscribe_url(person.pk, "sms"))
    person.refresh_from_db()
    assert person.channels == ["email", "inapp"]


def test_unsubscribing_twice_is_harmless(mail_client, person):
    url = unsubscribe_url(person.pk)
    one_click(mail_client, url)
    response = one_click(mail_client, url)
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.channels == ["sms", "inapp"]


def test_inapp_inbox_is_kept_when_the_last_channel_goes(mail_client):
    person = PersonFactory(channels=["email"])
    one_click(mail_client, unsubscribe_url(person.pk))
    person.refresh_from_db()
    assert person.channels == ["inapp"]


def test_confirmation_is_shown_in_the_members_language(mail_client):
    person = PersonFactory(channels=["email", "inapp"], language="nl")
    response = one_click(mail_client, unsubscribe_url(person.pk))
    assert response.context["LANGUAGE_CODE"] == "nl"


def test_tampered_token_is_refused_and_changes_nothing(mail_client, person):
    url = unsubscribe_url(person.pk)
    response = one_click(mail_client, url[:-1] + ("A" if url[-1] != "A" else "B"))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    person.refresh_from_db()
    assert person.channels == ["email", "sms", "inapp"]


def test_token_signed_for_something_else_is_refused(mail_client, person):
    forged = signing.Signer().sign_object([person.pk, "email"])
    response = one_click(mail_client, f"http://x/channels/unsubscribe/{forged}")
    assert response.status_code == 400
    person.refresh_from_db()
    assert "email" in person.channels
