"""One-click unsubscribe (RFC 8058): signed links that work without logging in, bound to
the message copy they came with, expiring after a year."""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from buurtnet.delivery.unsubscribe import SALT, make_token, read_token, unsubscribe_url
from buurtnet.messaging import services
from buurtnet.messaging.models import Recipient
from buurtnet.messaging.services import Draft
from buurtnet.people.tests.factories import PersonFactory


@pytest.fixture
def recipient(world, now_sends) -> Recipient:
    """The member's copy of a notice, the member choosing e-mail, SMS and the inbox."""
    message = now_sends(
        services.submit,
        world.officer,
        Draft(
            kind="notice",
            language="en",
            texts={"en": {"title": "Street party", "body": "Road closed.", "sms_text": ""}},
            target={"type": "networks", "networks": [world.network.pk]},
        ),
    )
    world.member.channels = ["email", "sms", "inapp"]
    world.member.save()
    return Recipient.objects.get(message=message, person=world.member)


@pytest.fixture
def person(recipient):
    return recipient.person


@pytest.fixture
def mail_client():
    """A mail client posting List-Unsubscribe=One-Click: no session, no CSRF token."""
    return Client(enforce_csrf_checks=True)


def path_of(url: str) -> str:
    return urlsplit(url).path


def link(recipient: Recipient, channel: str = "email") -> str:
    return unsubscribe_url(recipient.person_id, recipient.pk, channel)


def one_click(client: Client, url: str):
    return client.post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


class SignedLongAgo(signing.TimestampSigner):
    def __init__(self, days: int) -> None:
        super().__init__(salt=SALT)
        self.days = days

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.days * 86400)


def test_unsubscribe_url_is_absolute_on_the_site(settings, recipient):
    settings.SITE_URL = "https://buurtnet.example.be"
    assert link(recipient).startswith("https://buurtnet.example.be/channels/unsubscribe/")


def test_unsubscribe_url_carries_person_channel_and_recipient(recipient):
    token = path_of(link(recipient, "sms")).rsplit("/", 1)[1]
    assert read_token(token) == (recipient.person_id, "sms", recipient.pk)


def test_inapp_inbox_has_no_unsubscribe_link(recipient):
    with pytest.raises(ValueError):
        link(recipient, "inapp")


def test_opening_the_link_asks_and_changes_nothing(mail_client, recipient, person):
    response = mail_client.get(path_of(link(recipient)))
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    person.refresh_from_db()
    assert person.channels == ["email", "sms", "inapp"]


def test_unsubscribe_page_is_not_cached_and_sends_no_referrer(mail_client, recipient):
    response = mail_client.get(path_of(link(recipient)))
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives
    assert response["Referrer-Policy"] == "no-referrer"


def test_one_click_post_removes_the_email_channel(mail_client, recipient, person):
    response = one_click(mail_client, link(recipient))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.channels == ["sms", "inapp"]


def test_one_click_post_removes_only_the_linked_channel(mail_client, recipient, person):
    one_click(mail_client, link(recipient, "sms"))
    person.refresh_from_db()
    assert person.channels == ["email", "inapp"]


def test_unsubscribing_twice_is_harmless(mail_client, recipient, person):
    one_click(mail_client, link(recipient))
    response = one_click(mail_client, link(recipient))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.channels == ["sms", "inapp"]


def test_inapp_inbox_is_kept_when_the_last_channel_goes(mail_client, recipient, person):
    person.channels = ["email"]
    person.save()
    one_click(mail_client, link(recipient))
    person.refresh_from_db()
    assert person.channels == ["inapp"]


def test_confirmation_is_shown_in_the_members_language(mail_client, recipient, person):
    person.language = "nl"
    person.save()
    response = one_click(mail_client, link(recipient))
    assert response.context["LANGUAGE_CODE"] == "nl"


def test_tampered_token_is_refused_and_changes_nothing(mail_client, recipient, person):
    url = link(recipient)
    response = one_click(mail_client, url[:-1] + ("A" if url[-1] != "A" else "B"))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    person.refresh_from_db()
    assert person.channels == ["email", "sms", "inapp"]


def test_token_signed_for_something_else_is_refused(mail_client, recipient, person):
    forged = signing.Signer().sign_object([person.pk, "email", recipient.pk])
    response = one_click(mail_client, f"http://x/channels/unsubscribe/{forged}")
    assert response.status_code == 400
    person.refresh_from_db()
    assert "email" in person.channels


def test_token_naming_another_persons_message_copy_is_refused(mail_client, recipient):
    stranger = PersonFactory(channels=["email", "inapp"])
    token = make_token(stranger.pk, "email", recipient.pk)
    response = one_click(mail_client, f"http://x/channels/unsubscribe/{token}")
    assert response.status_code == 410
    stranger.refresh_from_db()
    assert stranger.channels == ["email", "inapp"]


def test_expired_link_says_how_to_change_channels_and_changes_nothing(
    settings, mail_client, recipient, person
):
    settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 365
    token = make_token(person.pk, "email", recipient.pk, using=SignedLongAgo(days=366))
    response = one_click(mail_client, f"http://x/channels/unsubscribe/{token}")
    assert response.status_code == 410
    assert "/me/preferences/" in response.content.decode()
    person.refresh_from_db()
    assert person.channels == ["email", "sms", "inapp"]


def test_link_within_its_year_still_works(settings, mail_client, recipient, person):
    settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 365
    token = make_token(person.pk, "email", recipient.pk, using=SignedLongAgo(days=364))
    one_click(mail_client, f"http://x/channels/unsubscribe/{token}")
    person.refresh_from_db()
    assert person.channels == ["sms", "inapp"]
