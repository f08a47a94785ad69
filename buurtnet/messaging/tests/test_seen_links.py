"""The "seen" link in e-mails: bound to the recipient row and its person, expiring, kept
out of later addresses, and confirming only by POST."""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from buurtnet.messaging import services
from buurtnet.messaging.models import Recipient
from buurtnet.messaging.rendering import SEEN_SALT, seen_token, seen_url
from buurtnet.messaging.services import Draft


def notice(network, title: str = "Street party") -> Draft:
    return Draft(
        kind="notice",
        language="en",
        texts={"en": {"title": title, "body": "Road closed on Sunday.", "sms_text": ""}},
        target={"type": "networks", "networks": [network.pk]},
    )


@pytest.fixture
def recipient(world, now_sends) -> Recipient:
    message = now_sends(services.submit, world.officer, notice(world.network))
    return Recipient.objects.get(message=message, person=world.member)


@pytest.fixture
def browser() -> Client:
    """A browser opened from a mail client: no log-in, CSRF checked as in production."""
    return Client(enforce_csrf_checks=True)


def link_of(recipient: Recipient) -> str:
    return urlsplit(seen_url(recipient.pk, recipient.person_id)).path


def signed_days_ago(days: int, payload: list[int]) -> str:
    class Then(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - days * 86400)

    return Then(salt=SEEN_SALT).sign_object(payload)


def test_the_link_moves_its_token_into_the_session_and_redirects(browser, recipient):
    response = browser.get(link_of(recipient))
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:seen_message", args=[recipient.pk])


def test_opening_the_link_shows_the_message_and_marks_nothing(browser, recipient):
    response = browser.get(link_of(recipient), follow=True)
    assert response.status_code == 200
    assert "Street party" in response.content.decode()
    recipient.refresh_from_db()
    assert (recipient.seen_at, recipient.acknowledged_at) == (None, None)


def test_confirming_by_post_marks_the_message_seen_and_acknowledged(browser, recipient):
    browser.get(link_of(recipient), follow=True)
    page = reverse("messaging:seen_message", args=[recipient.pk])
    response = browser.post(page, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert response.status_code == 302
    recipient.refresh_from_db()
    assert recipient.seen_at is not None
    assert recipient.acknowledged_at is not None


def test_seen_pages_are_not_cached(browser, recipient):
    redirect = browser.get(link_of(recipient))
    page = browser.get(redirect["Location"])
    for response in (redirect, page):
        assert response["Cache-Control"] == "no-store, private"


def test_the_message_page_without_the_links_token_is_refused(browser, recipient):
    response = browser.get(reverse("messaging:seen_message", args=[recipient.pk]))
    assert response.status_code == 404


def test_the_token_of_one_message_does_not_open_another(world, now_sends, browser, recipient):
    other = now_sends(services.submit, world.officer, notice(world.network, "Other news"))
    theirs = Recipient.objects.get(message=other, person=world.steering)
    browser.get(link_of(recipient))
    response = browser.get(reverse("messaging:seen_message", args=[theirs.pk]))
    assert response.status_code == 404


def test_a_token_naming_another_person_is_refused(world, browser, recipient):
    token = seen_token(recipient.pk, world.steering.pk)
    response = browser.get(reverse("messaging:seen", args=[token]))
    assert response.status_code == 404


def test_an_old_style_token_for_a_recipient_id_is_refused(browser, recipient):
    forged = signing.Signer(salt="buurtnet.messaging.seen").sign(str(recipient.pk))
    response = browser.get(reverse("messaging:seen", args=[forged]))
    assert response.status_code == 404


def test_an_expired_link_is_refused_and_says_so(settings, browser, recipient):
    settings.SEEN_LINK_MAX_AGE_DAYS = 90
    token = signed_days_ago(91, [recipient.pk, recipient.person_id])
    response = browser.get(reverse("messaging:seen", args=[token]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_link_within_its_lifetime_opens(settings, browser, recipient):
    settings.SEEN_LINK_MAX_AGE_DAYS = 90
    token = signed_days_ago(89, [recipient.pk, recipient.person_id])
    response = browser.get(reverse("messaging:seen", args=[token]), follow=True)
    assert response.status_code == 200


def test_the_link_does_not_confirm_by_post(browser, recipient):
    response = browser.post(link_of(recipient))
    assert response.status_code in (403, 405)
    recipient.refresh_from_db()
    assert recipient.acknowledged_at is None


def test_the_links_in_a_sent_email_open_the_message_and_the_unsubscribe_page(
    world, now_sends, browser
):
    from buurtnet.delivery.models import OutboxMessage

    world.member.channels = ["email", "inapp"]
    world.member.save()
    now_sends(services.submit, world.officer, notice(world.network, "Street party"))
    body = OutboxMessage.objects.get(channel="email", recipient=world.member.email).body
    seen = next(urlsplit(w).path for w in body.split() if "/messages/seen/" in w)
    unsubscribe = next(urlsplit(w).path for w in body.split() if "/channels/unsubscribe/" in w)
    assert "Street party" in browser.get(seen, follow=True).content.decode()
    assert browser.get(unsubscribe).status_code == 200
