"""The log-in throttle counts per real client behind the proxy and never locks an account:
wrong passwords slow the password form down, a log-in code by e-mail still works, and staff
still need their second factor after it."""

import re

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from buurtnet.delivery.models import OutboxMessage
from buurtnet.people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
PROXY = "10.0.0.1"


def log_in(client, email: str, password: str, client_address: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def request_code(client, email: str, client_address: str):
    """A request for a log-in code from a fresh browser: a session with a code pending is sent
    on to the confirmation page without asking again."""
    client.cookies.clear()
    return client.post(
        reverse("account_request_login_code"),
        {"email": email},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_address,
    )


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def mailed_code(email: str) -> str:
    body = OutboxMessage.objects.filter(recipient=email, channel="email").latest("pk").body
    return re.search(r"^\s*([A-Z0-9]+-[A-Z0-9]+|[A-Z0-9]{6,})\s*$", body, re.MULTILINE)[1]


def test_failures_from_two_clients_behind_the_proxy_do_not_block_each_other(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        log_in(client, f"nobody{n}@example.be", "wrong-password", "203.0.113.7")
    blocked = log_in(client, "nobody@example.be", "wrong-password", "203.0.113.7")
    assert "Too many wrong passwords" in blocked.text
    resident = PersonFactory()

    response = log_in(client, resident.email, PASSWORD, "198.51.100.20")

    assert response.status_code == 302
    assert is_logged_in(client)


def test_without_trusted_proxies_a_forged_forwarded_for_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(10):
        log_in(client, f"nobody{n}@example.be", "wrong-password", f"203.0.113.{n}")

    blocked = log_in(client, "nobody@example.be", "wrong-password", "198.51.100.20")

    assert "Too many wrong passwords" in blocked.text


def test_wrong_passwords_slow_the_password_form_down_and_offer_a_code(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    officer = PersonFactory()
    for _ in range(3):
        log_in(client, officer.email, "wrong-password", "203.0.113.7")

    response = log_in(client, officer.email, PASSWORD, "198.51.100.20")

    assert not is_logged_in(client)
    assert "log in with a code sent to your e-mail" in response.text
    assert reverse("account_request_login_code") in response.text


def test_a_strangers_wrong_passwords_do_not_stop_the_officer_logging_in_by_code(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXY_COUNT = 1
    officer = world.officer
    secret = pyotp.random_base32()
    TOTP.activate(officer, secret)
    for _ in range(20):
        log_in(client, officer.email, "wrong-password", "203.0.113.7")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_request_login_code"),
            {"email": officer.email},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.20",
        )
    assert response["Location"] == reverse("account_confirm_login_code")
    response = client.post(
        reverse("account_confirm_login_code"),
        {"code": mailed_code(officer.email)},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_logged_in(client)

    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 302
    assert is_logged_in(client)
    assert client.get(reverse("home")).status_code == 200


def test_staff_logging_in_by_code_without_the_second_factor_stay_out(
    client, world, django_capture_on_commit_callbacks
):
    officer = world.officer
    TOTP.activate(officer, pyotp.random_base32())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"email": officer.email})
    client.post(reverse("account_confirm_login_code"), {"code": mailed_code(officer.email)})

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_a_strangers_code_requests_do_not_stop_the_officer_asking_for_a_code(
    client, world, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    officer = world.officer
    for n in range(5):
        request_code(client, officer.email, f"203.0.113.{n}")

    response = request_code(client, officer.email, "198.51.100.20")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")


def test_too_many_code_requests_get_a_message_of_their_own(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(20):
        request_code(client, f"nobody{n}@example.be", "203.0.113.7")

    response = request_code(client, "nobody@example.be", "203.0.113.7")

    assert response.status_code == 200
    assert "Too many log-in codes were asked for" in response.text
    assert "wrong passwords" not in response.text
